// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// The load client of the WebSocket echo benchmark (load/ws_echo.sh). It is
// written on Boost.Asio alone, with the opening handshake and the framing
// done by hand, so that it favours none of the three servers it drives
// (strata, websocketpp, Boost.Beast) and costs as little per message as a
// client can: one thread, callbacks, frames encoded once. What it shares
// with the gateway's load client (/proc readers, handshake, framing) is in
// load/ws_client.hpp.
//
// Echo mode: opens --connections WebSockets (GET --path, the RFC 6455 §1.3
// example key, so the Sec-WebSocket-Accept of the 101 can be checked
// without SHA-1), then each keeps --depth binary messages of --size bytes in
// flight: whenever echoes arrive it sends as many new messages, in one write
// (several when depth > 1 and echoes arrive together). The frames are
// masked with one fixed key and encoded once at start-up: RFC 6455 §5.3 asks
// clients for an unpredictable key per frame to protect intermediaries from
// forged requests, which means nothing on loopback, and every server unmasks
// at the same cost whatever the key. Echoes are parsed (header, opcode,
// length, fragments joined), and during the warm-up their bytes are also
// compared with what was sent. After --warmup seconds it counts, for
// --duration seconds: round trips, payload bytes each way, the latency of
// each round trip (write started to echo parsed), the server's CPU time
// (utime + stime from /proc/PID/stat, all threads) and its own (getrusage),
// so that a client at 100% of its core shows it may be the bottleneck.
//
// Idle mode (--idle): opens --connections WebSockets to a freshly started
// server (--concurrency handshakes at a time), sends nothing more, waits
// --settle-ms, and reports the growth of the server's VmRSS
// (/proc/PID/status) over the connections: the server's own memory per idle
// WebSocket (socket buffers are the kernel's and not in it). It then checks
// that the server kept every connection open.
//
//   strata_ws_load --port PORT [--pid PID] [--name NAME] [--host 127.0.0.1] [--path /echo]
//                  [--connections 50] [--size 64] [--depth 1] [--warmup 2] [--duration 10]
//                  [--idle] [--concurrency 256] [--settle-ms 2000]
//
// The last line is for scripts:
//   RESULT name=.. mode=echo connections=.. size=.. depth=.. rt_per_s=.. mb_per_s_up=.. ...
//   RESULT name=.. mode=idle connections=.. alive=.. rss_before_kib=.. rss_after_kib=.. bytes_per_conn=..

#include "ws_client.hpp" // first: <utility> for Boost 1.74's Asio headers under GCC 12

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using boost::system::error_code;
using namespace strata_bench;

struct options {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    long pid = 0;
    std::string name = "server";
    std::string path = "/echo";
    std::size_t connections = 50;
    std::size_t size = 64;
    std::size_t depth = 1;
    double warmup = 2;
    double duration = 10;
    bool idle = false;
    std::size_t concurrency = 256;
    long settle_ms = 2000;
};

[[noreturn]] void usage(const char* why)
{
    std::fprintf(
        stderr,
        "strata_ws_load: %s\n"
        "usage: strata_ws_load --port PORT [--pid PID] [--name NAME] [--host ADDR] [--path /echo]\n"
        "                      [--connections N] [--size BYTES] [--depth D] [--warmup S] [--duration S]\n"
        "                      [--idle] [--concurrency C] [--settle-ms MS]\n",
        why);
    std::exit(2);
}

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--idle") {
            o.idle = true;
            continue;
        }
        if (arg == "-h" || arg == "--help")
            usage("a WebSocket echo load client and idle-memory probe");
        if (i + 1 >= argc)
            usage("an option lacks its value");
        const char* v = argv[++i];
        if (arg == "--host")
            o.host = v;
        else if (arg == "--port")
            o.port = static_cast<unsigned short>(std::atoi(v));
        else if (arg == "--pid")
            o.pid = std::atol(v);
        else if (arg == "--name")
            o.name = v;
        else if (arg == "--path")
            o.path = v;
        else if (arg == "--connections")
            o.connections = std::strtoul(v, nullptr, 10);
        else if (arg == "--size")
            o.size = std::strtoul(v, nullptr, 10);
        else if (arg == "--depth")
            o.depth = std::strtoul(v, nullptr, 10);
        else if (arg == "--warmup")
            o.warmup = std::atof(v);
        else if (arg == "--duration")
            o.duration = std::atof(v);
        else if (arg == "--concurrency")
            o.concurrency = std::strtoul(v, nullptr, 10);
        else if (arg == "--settle-ms")
            o.settle_ms = std::atol(v);
        else
            usage("unknown option");
    }
    if (o.port == 0)
        usage("--port is required");
    if (o.connections == 0 || o.depth == 0 || o.concurrency == 0 || o.duration <= 0 || o.warmup < 0)
        usage("--connections, --depth, --concurrency and --duration must be positive");
    if (o.idle && o.pid <= 0)
        usage("--idle needs the server's --pid");
    return o;
}

// ---- framing -------------------------------------------------------------------

std::uint8_t payload_byte(std::size_t i)
{
    return static_cast<std::uint8_t>(i * 31 + 7);
}

// One masked binary frame (FIN set) carrying `size` bytes of payload_byte().
std::vector<std::uint8_t> encode_frame(std::size_t size)
{
    std::vector<std::uint8_t> payload(size);
    for (std::size_t i = 0; i < size; ++i)
        payload[i] = payload_byte(i);
    std::vector<std::uint8_t> f;
    append_frame(f, opcode::binary, payload.data(), payload.size());
    return f;
}

// ---- the run -------------------------------------------------------------------

class load;

class connection {
public:
    connection(load& l, net::io_context& ioc, std::size_t read_buffer)
        : load_(l), socket_(ioc), buf_(read_buffer), reader_(opcode::binary)
    {}

    void start(const tcp::endpoint& ep);
    void send(std::size_t frames);
    bool alive();

private:
    void on_handshake_read(std::size_t have);
    void read();
    void parse(const std::uint8_t* p, std::size_t n);
    void write();
    void fail(const std::string& why);

    // What frame_reader calls.
    friend class strata_bench::frame_reader;
    bool on_data(const std::uint8_t* p, std::size_t n);
    bool on_message_end();
    bool on_ping(const std::uint8_t*, std::size_t) { return true; } // no server pings within a run
    void on_error(const std::string& why) { fail(why); }

    load& load_;
    tcp::socket socket_;
    std::vector<std::uint8_t> buf_;

    frame_reader reader_;
    // The bytes of the message being received so far, and the echoes the
    // current read completed.
    std::uint64_t message_bytes_ = 0;
    std::size_t echoed_ = 0;

    // Messages whose write has not started, and those of the write under way.
    std::size_t pending_ = 0;
    std::size_t writing_ = 0;
    // When each message in flight was handed to write, oldest first (a ring
    // of depth entries: echoes come back in order).
    std::vector<clock_type::time_point> sent_at_;
    std::size_t sent_head_ = 0, sent_count_ = 0;
};

class load {
public:
    load(const options& opt, net::io_context& ioc) : opt_(opt), ioc_(ioc), timer_(ioc)
    {
        const auto frame = encode_frame(opt.size);
        frame_bytes_ = frame.size();
        for (std::size_t i = 0; i < opt.depth; ++i)
            frames_.insert(frames_.end(), frame.begin(), frame.end());
        request_ = handshake_request(opt.host, opt.port, opt.path);
    }

    int run()
    {
        endpoint_ = tcp::endpoint{net::ip::make_address(opt_.host), opt_.port};
        // Load mode reads up to 64 KiB at once; idle connections only read the 101.
        const std::size_t read_buffer = opt_.idle ? 1024 : 64 * 1024;
        conns_.reserve(opt_.connections);
        for (std::size_t i = 0; i < opt_.connections; ++i)
            conns_.push_back(std::make_unique<connection>(*this, ioc_, read_buffer));
        if (opt_.idle) {
            rss_before_ = rss_kib(opt_.pid);
            if (!rss_before_)
                return die("cannot read /proc/" + std::to_string(opt_.pid) + "/status");
        }
        set_up_started_ = clock_type::now();
        for (std::size_t i = 0; i < std::min(opt_.concurrency, conns_.size()); ++i)
            start_next();
        ioc_.run();
        return exit_code_;
    }

    // ---- what connections report --------------------------------------------------

    const std::string& request() const { return request_; }
    bool idle() const { return opt_.idle; }
    bool verifying() const { return phase_ == phase::warmup; }
    std::size_t size() const { return opt_.size; }
    std::size_t depth() const { return opt_.depth; }
    std::size_t frame_bytes() const { return frame_bytes_; }
    const std::uint8_t* frames() const { return frames_.data(); }

    void handshake_done()
    {
        if (++ready_ == conns_.size())
            all_ready();
        else
            start_next();
    }

    void written(std::size_t frames) { frames_written_ += frames; }

    void round_trip(clock_type::time_point sent, clock_type::time_point now)
    {
        ++round_trips_;
        if (phase_ == phase::measuring)
            latencies_ns_.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent).count(), UINT32_MAX)));
    }

    void failed(const std::string& why)
    {
        ++errors_;
        if (errors_ == 1)
            first_error_ = why;
        // Before the measurement every connection must come up; during it a
        // lost connection makes the figures wrong, so the run stops either way.
        if (phase_ != phase::done) {
            phase_ = phase::done;
            die(first_error_);
        }
    }

private:
    enum class phase { connecting, warmup, measuring, done };

    struct snapshot {
        clock_type::time_point at;
        std::uint64_t round_trips = 0;
        std::uint64_t frames_written = 0;
        double server_cpu = 0;
        double own_cpu = 0;
    };

    int die(const std::string& why)
    {
        std::fprintf(stderr, "strata_ws_load (%s): %s\n", opt_.name.c_str(), why.c_str());
        exit_code_ = 1;
        ioc_.stop();
        return 1;
    }

    void start_next()
    {
        if (next_ < conns_.size())
            conns_[next_++]->start(endpoint_);
    }

    snapshot take()
    {
        snapshot s;
        s.at = clock_type::now();
        s.round_trips = round_trips_;
        s.frames_written = frames_written_;
        if (opt_.pid > 0)
            s.server_cpu = process_cpu_seconds(opt_.pid).value_or(0);
        s.own_cpu = own_cpu_seconds();
        return s;
    }

    void all_ready()
    {
        const auto setup = std::chrono::duration<double>(clock_type::now() - set_up_started_).count();
        std::printf("%s: %zu WebSockets open in %.2f s\n", opt_.name.c_str(), conns_.size(), setup);
        std::fflush(stdout);
        if (opt_.idle) {
            phase_ = phase::measuring;
            timer_.expires_after(std::chrono::milliseconds{opt_.settle_ms});
            timer_.async_wait([this](error_code) { report_idle(); });
            return;
        }
        phase_ = phase::warmup;
        for (auto& c : conns_)
            c->send(opt_.depth);
        timer_.expires_after(
            std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt_.warmup)));
        timer_.async_wait([this](error_code) {
            if (phase_ != phase::warmup)
                return;
            latencies_ns_.reserve(1 << 20);
            begin_ = take();
            phase_ = phase::measuring;
            timer_.expires_after(std::chrono::duration_cast<clock_type::duration>(
                std::chrono::duration<double>(opt_.duration)));
            timer_.async_wait([this](error_code) {
                if (phase_ == phase::measuring)
                    report_echo();
            });
        });
    }

    void report_echo()
    {
        const auto end = take();
        phase_ = phase::done;
        const double secs = std::chrono::duration<double>(end.at - begin_.at).count();
        const auto rts = end.round_trips - begin_.round_trips;
        const auto written = end.frames_written - begin_.frames_written;
        const double p50 = quantile(latencies_ns_, 0.50) / 1e3, p99 = quantile(latencies_ns_, 0.99) / 1e3;
        const double server_cpu = end.server_cpu - begin_.server_cpu;
        const double own_cpu = end.own_cpu - begin_.own_cpu;
        const double rt_per_s = static_cast<double>(rts) / secs;
        const double up = static_cast<double>(written * opt_.size) / secs / 1e6;
        const double down = static_cast<double>(rts * opt_.size) / secs / 1e6;
        const double server_us = rts ? server_cpu * 1e6 / static_cast<double>(rts) : 0;
        std::printf(
            "%s: %zu conns x %zu B, depth %zu: %.0f round trips/s, %.2f MB/s up, %.2f MB/s down (payload),\n"
            "   latency p50 %.1f us, p99 %.1f us; server CPU %.1f%% (%.2f us per round trip); "
            "client CPU %.1f%%\n",
            opt_.name.c_str(), opt_.connections, opt_.size, opt_.depth, rt_per_s, up, down, p50, p99,
            server_cpu / secs * 100, server_us, own_cpu / secs * 100);
        std::printf("RESULT name=%s mode=echo connections=%zu size=%zu depth=%zu secs=%.3f round_trips=%llu "
                    "rt_per_s=%.0f mb_per_s_up=%.3f mb_per_s_down=%.3f p50_us=%.1f p99_us=%.1f "
                    "server_cpu_pct=%.1f server_us_per_rt=%.3f client_cpu_pct=%.1f errors=%zu\n",
                    opt_.name.c_str(), opt_.connections, opt_.size, opt_.depth, secs,
                    static_cast<unsigned long long>(rts), rt_per_s, up, down, p50, p99,
                    server_cpu / secs * 100, server_us, own_cpu / secs * 100, errors_);
        std::fflush(stdout);
        if (rts == 0)
            exit_code_ = 1;
        ioc_.stop();
    }

    void report_idle()
    {
        phase_ = phase::done;
        const auto after = rss_kib(opt_.pid);
        std::size_t alive = 0;
        for (auto& c : conns_)
            alive += c->alive() ? 1 : 0;
        if (!after) {
            die("cannot read /proc/" + std::to_string(opt_.pid) + "/status");
            return;
        }
        const double per_conn =
            static_cast<double>(*after - *rss_before_) * 1024.0 / static_cast<double>(conns_.size());
        std::printf(
            "%s: RSS %ld KiB before, %ld KiB after %zu idle WebSockets (%zu still open): %.0f bytes each\n",
            opt_.name.c_str(), *rss_before_, *after, conns_.size(), alive, per_conn);
        std::printf("RESULT name=%s mode=idle connections=%zu alive=%zu rss_before_kib=%ld rss_after_kib=%ld "
                    "bytes_per_conn=%.0f\n",
                    opt_.name.c_str(), conns_.size(), alive, *rss_before_, *after, per_conn);
        std::fflush(stdout);
        if (alive != conns_.size()) {
            std::fprintf(stderr, "strata_ws_load (%s): the server closed %zu of the idle WebSockets\n",
                         opt_.name.c_str(), conns_.size() - alive);
            exit_code_ = 1;
        }
        ioc_.stop();
    }

    const options& opt_;
    net::io_context& ioc_;
    net::steady_timer timer_;
    tcp::endpoint endpoint_;
    std::string request_;
    std::vector<std::uint8_t> frames_; // depth copies of the one frame
    std::size_t frame_bytes_ = 0;
    std::vector<std::unique_ptr<connection>> conns_;
    std::size_t next_ = 0, ready_ = 0;
    phase phase_ = phase::connecting;
    clock_type::time_point set_up_started_;
    std::uint64_t round_trips_ = 0, frames_written_ = 0;
    std::vector<std::uint32_t> latencies_ns_;
    snapshot begin_;
    std::optional<long> rss_before_;
    std::size_t errors_ = 0;
    std::string first_error_;
    int exit_code_ = 0;
};

void connection::start(const tcp::endpoint& ep)
{
    socket_.async_connect(ep, [this](error_code ec) {
        if (ec)
            return fail("connect: " + ec.message());
        socket_.set_option(tcp::no_delay(true), ec);
        net::async_write(socket_, net::buffer(load_.request()), [this](error_code ec, std::size_t) {
            if (ec)
                return fail("handshake write: " + ec.message());
            on_handshake_read(0);
        });
    });
}

void connection::on_handshake_read(std::size_t have)
{
    socket_.async_read_some(
        net::buffer(buf_.data() + have, buf_.size() - have), [this, have](error_code ec, std::size_t n) {
            if (ec)
                return fail("handshake read: " + ec.message());
            const std::string_view text{reinterpret_cast<const char*>(buf_.data()), have + n};
            const auto end = text.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (have + n == buf_.size())
                    return fail("handshake answer longer than " + std::to_string(buf_.size()) + " bytes");
                return on_handshake_read(have + n);
            }
            if (auto why = check_handshake(text.substr(0, end + 2)); !why.empty())
                return fail(why);
            sent_at_.resize(load_.depth());
            // Anything after the head is already WebSocket frames.
            const auto head = end + 4;
            if (text.size() > head)
                parse(buf_.data() + head, text.size() - head);
            load_.handshake_done();
            if (!load_.idle())
                read();
        });
}

void connection::send(std::size_t frames)
{
    pending_ += frames;
    if (writing_ == 0)
        write();
}

void connection::write()
{
    writing_ = pending_;
    pending_ = 0;
    const auto now = clock_type::now();
    for (std::size_t i = 0; i < writing_; ++i)
        sent_at_[(sent_head_ + sent_count_++) % sent_at_.size()] = now;
    net::async_write(socket_, net::buffer(load_.frames(), writing_ * load_.frame_bytes()),
                     [this](error_code ec, std::size_t) {
                         if (ec)
                             return fail("write: " + ec.message());
                         load_.written(writing_);
                         writing_ = 0;
                         if (pending_ > 0)
                             write();
                     });
}

void connection::read()
{
    socket_.async_read_some(net::buffer(buf_), [this](error_code ec, std::size_t n) {
        if (ec)
            return fail("read: " + ec.message());
        parse(buf_.data(), n);
        read();
    });
}

// Echoes must be binary messages, as sent; the echoes one read completes
// are answered in one write.
void connection::parse(const std::uint8_t* p, std::size_t n)
{
    echoed_ = 0;
    if (reader_.feed(p, n, *this) && echoed_ > 0)
        send(echoed_);
}

bool connection::on_data(const std::uint8_t* p, std::size_t n)
{
    if (load_.verifying())
        for (std::size_t i = 0; i < n; ++i)
            if (p[i] != payload_byte(message_bytes_ + i)) {
                fail("echo differs at byte " + std::to_string(message_bytes_ + i));
                return false;
            }
    message_bytes_ += n;
    return true;
}

bool connection::on_message_end()
{
    if (message_bytes_ != load_.size()) {
        fail("echo of " + std::to_string(message_bytes_) + " bytes, sent " + std::to_string(load_.size()));
        return false;
    }
    message_bytes_ = 0;
    if (sent_count_ == 0) {
        fail("an echo of a message never sent");
        return false;
    }
    load_.round_trip(sent_at_[sent_head_], clock_type::now());
    sent_head_ = (sent_head_ + 1) % sent_at_.size();
    --sent_count_;
    ++echoed_;
    return true;
}

bool connection::alive()
{
    return peer_still_open(socket_.native_handle());
}

void connection::fail(const std::string& why)
{
    load_.failed(why);
}

} // namespace

int main(int argc, char** argv)
{
    const auto opt = parse(argc, argv);
    if (!raise_open_file_limit(opt.connections, "strata_ws_load"))
        return 1;
    try {
        // One thread and nothing shared with another: Asio may skip its locks.
        net::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
        load l{opt, ioc};
        return l.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata_ws_load: %s\n", e.what());
        return 1;
    }
}
