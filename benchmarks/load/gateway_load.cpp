// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// The load client of the gateway benchmark (load/gateway.sh): simulated
// riders, each a WebSocket to a gateway that speaks the protocol of
// include/strata/gateway/README.md (strata's, or load/gateway_node.js). Like
// load/ws_load.cpp it is Boost.Asio alone with the handshake and the framing
// done by hand (load/ws_client.hpp), one thread, callbacks, so it favours
// neither gateway; the envelopes it receives are parsed with simdjson's
// on-demand parser.
//
// Riders come in pairs: rider i connects as user rider-i (GET
// --path?access_token=rider-i; the token is the user id), waits for the
// `welcome`, subscribes to loc/rider-P where P = i^1, its partner playing its
// driver, and waits for `subscribed`; at most --concurrency riders are
// between connect and `subscribed` at a time. Once all are, each sends
//   {"type":"location_update","data":{"lat":..,"lng":..,"t":T}}
// which the gateway publishes, data unchanged, on loc/rider-i as
//   {"type":"location","data":{"lat":..,"lng":..,"t":T},"topic":"loc/rider-i","seq":N}
// to the partner. T is the sender's steady_clock in nanoseconds since this
// program started (not since boot: a Node gateway reads numbers as doubles,
// exact only up to 2^53, which a machine up for 104 days passes), so the
// latency of a message is the receiving time minus T, on one clock.
//
//   rate        each rider sends --rate updates per second (default 1), the
//               riders' sending times spread evenly over the period
//   saturation  each rider keeps --depth updates in flight: it sends --depth
//               at once, then one for every update it receives from its
//               partner (those one read brings are answered in one write)
//   idle        nothing is sent; after --settle-ms the growth of the
//               gateway's VmRSS (/proc/PID/status) over the riders is its
//               memory per idle rider, and every connection must still be open
//
// After --warmup seconds it measures for --duration seconds: location
// messages received (each one routed message), their latency (p50, p99,
// max), the gateway's CPU time (utime + stime from /proc/PID/stat, all its
// threads) and this program's own (getrusage), so that a client at 100% of
// its core shows it may be what limits the rate. During the warm-up every
// location message is checked: its topic is the partner's and its data the
// bytes the partner wrote. A `seq` that is not the last one plus one counts
// as a gap (a message lost or duplicated).
//
//   strata_gateway_load --port PORT [--pid PID] [--name NAME] [--host 127.0.0.1] [--path /gateway]
//                       [--clients 10000] [--mode rate|saturation|idle] [--rate 1] [--depth 4]
//                       [--warmup 3] [--duration 10] [--concurrency 256] [--settle-ms 2000]
//
// The last line is for scripts:
//   RESULT name=.. mode=.. clients=.. msgs_per_s=.. cpu_us_per_msg=.. msgs_per_core_s=.. p50_us=.. p99_us=..
//          max_us=.. bytes_per_client=.. client_cpu_pct=.. (and more)

#include "ws_client.hpp" // first: <utility> for Boost 1.74's Asio headers under GCC 12

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
namespace json = simdjson::ondemand;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using boost::system::error_code;
using namespace strata_bench;

enum class run_mode { rate, saturation, idle };

const char* mode_name(run_mode m)
{
    return m == run_mode::rate ? "rate" : m == run_mode::saturation ? "saturation" : "idle";
}

struct options {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    long pid = 0;
    std::string name = "gateway";
    std::string path = "/gateway";
    std::size_t clients = 10000;
    run_mode mode = run_mode::rate;
    double rate = 1;
    std::size_t depth = 4;
    double warmup = 3;
    double duration = 10;
    std::size_t concurrency = 256;
    long settle_ms = 2000;
};

[[noreturn]] void usage(const char* why)
{
    std::fprintf(
        stderr,
        "strata_gateway_load: %s\n"
        "usage: strata_gateway_load --port PORT [--pid PID] [--name NAME] [--host ADDR] [--path /gateway]\n"
        "                           [--clients N] [--mode rate|saturation|idle] [--rate UPDATES/S] [--depth "
        "D]\n"
        "                           [--warmup S] [--duration S] [--concurrency C] [--settle-ms MS]\n",
        why);
    std::exit(2);
}

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help")
            usage("simulated riders for a gateway: location updates, latency, CPU and memory");
        if (i + 1 >= argc)
            usage("an option lacks its value");
        const std::string_view v = argv[++i];
        if (arg == "--host")
            o.host = v;
        else if (arg == "--port")
            o.port = static_cast<unsigned short>(std::atoi(v.data()));
        else if (arg == "--pid")
            o.pid = std::atol(v.data());
        else if (arg == "--name")
            o.name = v;
        else if (arg == "--path")
            o.path = v;
        else if (arg == "--clients")
            o.clients = std::strtoul(v.data(), nullptr, 10);
        else if (arg == "--mode" && v == "rate")
            o.mode = run_mode::rate;
        else if (arg == "--mode" && v == "saturation")
            o.mode = run_mode::saturation;
        else if (arg == "--mode" && v == "idle")
            o.mode = run_mode::idle;
        else if (arg == "--rate")
            o.rate = std::atof(v.data());
        else if (arg == "--depth")
            o.depth = std::strtoul(v.data(), nullptr, 10);
        else if (arg == "--warmup")
            o.warmup = std::atof(v.data());
        else if (arg == "--duration")
            o.duration = std::atof(v.data());
        else if (arg == "--concurrency")
            o.concurrency = std::strtoul(v.data(), nullptr, 10);
        else if (arg == "--settle-ms")
            o.settle_ms = std::atol(v.data());
        else
            usage(arg == "--mode" ? "--mode is rate, saturation or idle" : "unknown option");
    }
    if (o.port == 0)
        usage("--port is required");
    if (o.clients < 2 || o.clients % 2 != 0)
        usage("--clients must be even: riders come in pairs");
    if (o.depth == 0 || o.concurrency == 0 || o.rate <= 0 || o.duration <= 0 || o.warmup < 0)
        usage("--depth, --concurrency, --rate and --duration must be positive");
    if (o.mode == run_mode::idle && o.pid <= 0)
        usage("--mode idle needs the gateway's --pid");
    return o;
}

// ---- the envelopes ---------------------------------------------------------------

std::string user_of(std::size_t rider)
{
    return "rider-" + std::to_string(rider);
}

std::string partner_topic_of(std::size_t rider)
{
    return "loc/" + user_of(rider ^ 1);
}

// A location update's data, {"lat":..,"lng":..,"t":..}, numbers in their
// shortest round-trip form: what JSON.stringify writes too, so a gateway
// that parses and re-encodes data (the Node one) gives back the same bytes
// and the check below holds for both. Returns the length; `out` holds 128.
std::size_t format_data(char* out, double lat, double lng, std::int64_t t)
{
    char* p = out;
    auto put = [&p](std::string_view s) { p = std::copy(s.begin(), s.end(), p); };
    put(R"({"lat":)");
    p = std::to_chars(p, out + 48, lat).ptr;
    put(R"(,"lng":)");
    p = std::to_chars(p, out + 96, lng).ptr;
    put(R"(,"t":)");
    p = std::to_chars(p, out + 127, t).ptr;
    *p++ = '}';
    return static_cast<std::size_t>(p - out);
}

constexpr std::string_view update_prefix = R"({"type":"location_update","data":)";

// ---- the run ---------------------------------------------------------------------

class load;

class connection {
public:
    connection(load& l, net::io_context& ioc, std::size_t rider, std::size_t read_buffer)
        : load_(l), rider_(rider), socket_(ioc), buf_(read_buffer), reader_(opcode::text)
    {}

    void start(const tcp::endpoint& ep);
    void send_updates(std::size_t n);
    bool alive() { return peer_still_open(socket_.native_handle()); }

private:
    enum class state { connecting, welcome, subscribing, ready };

    void on_handshake_read(std::size_t have);
    void read();
    void parse(const std::uint8_t* p, std::size_t n);
    void queue_update();
    void flush();
    bool on_location(json::document& doc);
    bool check_location();
    bool fail(const std::string& why);

    // What frame_reader calls.
    friend class strata_bench::frame_reader;
    bool on_data(const std::uint8_t* p, std::size_t n);
    bool on_message_end();
    bool on_ping(const std::uint8_t* p, std::size_t n)
    {
        append_frame(out_, opcode::pong, p, n);
        flush();
        return true;
    }
    void on_error(const std::string& why) { fail(why); }

    load& load_;
    std::size_t rider_;
    tcp::socket socket_;
    std::vector<std::uint8_t> buf_;
    std::string request_;

    frame_reader reader_;
    // The message being received, kept with simdjson's padding after it.
    std::string message_;
    state state_ = state::connecting;
    // The last seq seen on the partner's topic.
    std::uint64_t seq_ = 0;
    // Partner updates the current read completed (saturation mode answers them).
    std::size_t received_ = 0;

    // Frames queued while a write is under way, and those of that write.
    std::vector<std::uint8_t> out_, writing_;
    bool write_busy_ = false;
    std::uint64_t updates_ = 0;
};

class load {
public:
    load(const options& opt, net::io_context& ioc)
        : opt_(opt), ioc_(ioc), timer_(ioc), send_timer_(ioc), epoch_(clock_type::now())
    {}

    int run()
    {
        endpoint_ = tcp::endpoint{net::ip::make_address(opt_.host), opt_.port};
        // Messages are ~150 bytes; saturation brings a few per read.
        const std::size_t read_buffer = opt_.mode == run_mode::saturation ? 16 * 1024 : 2048;
        conns_.reserve(opt_.clients);
        for (std::size_t i = 0; i < opt_.clients; ++i)
            conns_.push_back(std::make_unique<connection>(*this, ioc_, i, read_buffer));
        if (opt_.pid > 0) {
            rss_before_ = rss_kib(opt_.pid).value_or(-1);
            if (rss_before_ < 0)
                return die("cannot read /proc/" + std::to_string(opt_.pid) + "/status");
        }
        set_up_started_ = clock_type::now();
        for (std::size_t i = 0; i < std::min(opt_.concurrency, conns_.size()); ++i)
            start_next();
        ioc_.run();
        return exit_code_;
    }

    // ---- what connections ask and report ------------------------------------------

    const options& opt() const { return opt_; }
    bool verifying() const { return phase_ == phase::warmup; }
    json::parser& parser() { return parser_; }
    std::int64_t now_ns() const
    {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - epoch_).count();
    }

    void subscribed()
    {
        if (++ready_ == conns_.size())
            all_ready();
        else
            start_next();
    }

    void sent(std::size_t n) { sent_ += n; }
    void seq_gap() { ++seq_gaps_; }

    void delivered(std::int64_t latency_ns)
    {
        ++delivered_;
        if (phase_ == phase::measuring)
            latencies_ns_.push_back(static_cast<std::uint64_t>(std::max<std::int64_t>(latency_ns, 0)));
    }

    void failed(std::size_t rider, const std::string& why)
    {
        // Before the measurement every rider must come up; during it a lost
        // connection makes the figures wrong, so the run stops either way.
        if (phase_ == phase::done)
            return;
        phase_ = phase::done;
        die(user_of(rider) + ": " + why);
    }

private:
    enum class phase { connecting, warmup, measuring, done };

    struct snapshot {
        clock_type::time_point at;
        std::uint64_t delivered = 0;
        std::uint64_t sent = 0;
        std::uint64_t seq_gaps = 0;
        double server_cpu = 0;
        double own_cpu = 0;
    };

    int die(const std::string& why)
    {
        std::fprintf(stderr, "strata_gateway_load (%s): %s\n", opt_.name.c_str(), why.c_str());
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
        s.delivered = delivered_;
        s.sent = sent_;
        s.seq_gaps = seq_gaps_;
        if (opt_.pid > 0)
            s.server_cpu = process_cpu_seconds(opt_.pid).value_or(0);
        s.own_cpu = own_cpu_seconds();
        return s;
    }

    void all_ready()
    {
        setup_secs_ = std::chrono::duration<double>(clock_type::now() - set_up_started_).count();
        std::printf("%s: %zu riders connected and subscribed in %.2f s\n", opt_.name.c_str(), conns_.size(),
                    setup_secs_);
        std::fflush(stdout);
        if (opt_.mode == run_mode::idle) {
            phase_ = phase::measuring;
            timer_.expires_after(std::chrono::milliseconds{opt_.settle_ms});
            timer_.async_wait([this](error_code) { report(); });
            return;
        }
        phase_ = phase::warmup;
        if (opt_.mode == run_mode::saturation) {
            for (auto& c : conns_)
                c->send_updates(opt_.depth);
        } else {
            period_ = std::chrono::duration_cast<clock_type::duration>(
                std::chrono::duration<double>(1.0 / (opt_.rate * static_cast<double>(conns_.size()))));
            if (period_.count() <= 0)
                period_ = clock_type::duration{1};
            next_due_ = clock_type::now();
            tick();
        }
        timer_.expires_after(seconds(opt_.warmup));
        timer_.async_wait([this](error_code) {
            if (phase_ != phase::warmup)
                return;
            latencies_ns_.reserve(static_cast<std::size_t>(
                std::min(2e7, opt_.duration * (opt_.mode == run_mode::rate
                                                   ? opt_.rate * static_cast<double>(conns_.size()) * 1.1
                                                   : 2e5))));
            begin_ = take();
            phase_ = phase::measuring;
            timer_.expires_after(seconds(opt_.duration));
            timer_.async_wait([this](error_code) {
                if (phase_ == phase::measuring)
                    report();
            });
        });
    }

    static clock_type::duration seconds(double s)
    {
        return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
    }

    // Rate mode: rider k's updates are due at start + (k + j * riders) * period.
    // One timer serves them all, waking at most every millisecond; each
    // update carries the time it was really written.
    void tick()
    {
        if (phase_ == phase::done)
            return;
        auto now = clock_type::now();
        while (next_due_ <= now) {
            conns_[cursor_]->send_updates(1);
            cursor_ = cursor_ + 1 == conns_.size() ? 0 : cursor_ + 1;
            next_due_ += period_;
        }
        send_timer_.expires_at(std::max(next_due_, now + std::chrono::milliseconds{1}));
        send_timer_.async_wait([this](error_code ec) {
            if (!ec)
                tick();
        });
    }

    void report()
    {
        const auto end = take();
        const bool idle = opt_.mode == run_mode::idle;
        // -1: unknown (no --pid, or the gateway is gone).
        const long rss_after = opt_.pid > 0 ? rss_kib(opt_.pid).value_or(-1) : -1;
        std::size_t alive = 0;
        for (auto& c : conns_)
            alive += c->alive() ? 1 : 0;
        phase_ = phase::done;
        send_timer_.cancel();

        const double secs = idle ? 0 : std::chrono::duration<double>(end.at - begin_.at).count();
        const auto delivered = idle ? 0 : end.delivered - begin_.delivered;
        const auto sent = idle ? 0 : end.sent - begin_.sent;
        const auto gaps = end.seq_gaps;
        const double server_cpu = idle ? 0 : end.server_cpu - begin_.server_cpu;
        const double own_cpu = idle ? 0 : end.own_cpu - begin_.own_cpu;
        const double per_s = secs > 0 ? static_cast<double>(delivered) / secs : 0;
        const double us_per_msg = delivered ? server_cpu * 1e6 / static_cast<double>(delivered) : 0;
        const double per_core_s = server_cpu > 0 ? static_cast<double>(delivered) / server_cpu : 0;
        const double p50 = quantile(latencies_ns_, 0.50) / 1e3, p99 = quantile(latencies_ns_, 0.99) / 1e3;
        const double max =
            latencies_ns_.empty()
                ? 0
                : static_cast<double>(*std::max_element(latencies_ns_.begin(), latencies_ns_.end())) / 1e3;
        const double per_client =
            rss_before_ >= 0 && rss_after >= 0
                ? static_cast<double>(rss_after - rss_before_) * 1024.0 / static_cast<double>(conns_.size())
                : 0;
        if (idle) {
            std::printf("%s: gateway RSS %ld KiB before, %ld KiB with %zu idle riders (%zu still open): "
                        "%.0f bytes each\n",
                        opt_.name.c_str(), rss_before_, rss_after, conns_.size(), alive, per_client);
        } else {
            std::printf(
                "%s: %zu riders, %s: %.0f messages routed/s (%.0f updates sent/s), latency p50 %.2f ms, "
                "p99 %.2f ms, max %.2f ms;\n"
                "   gateway CPU %.1f%% (%.2f us per message, %.0f messages per core-second), "
                "client CPU %.1f%%, %llu seq gaps\n",
                opt_.name.c_str(), conns_.size(), mode_name(opt_.mode), per_s,
                static_cast<double>(sent) / secs, p50 / 1e3, p99 / 1e3, max / 1e3, server_cpu / secs * 100,
                us_per_msg, per_core_s, own_cpu / secs * 100, static_cast<unsigned long long>(gaps));
        }
        std::printf(
            "RESULT name=%s mode=%s clients=%zu depth=%zu rate=%g secs=%.3f delivered=%llu sent=%llu "
            "msgs_per_s=%.0f sent_per_s=%.0f server_cpu_pct=%.1f cpu_us_per_msg=%.3f msgs_per_core_s=%.0f "
            "p50_us=%.1f p99_us=%.1f max_us=%.1f bytes_per_client=%.0f rss_before_kib=%ld "
            "rss_after_kib=%ld alive=%zu client_cpu_pct=%.1f seq_gaps=%llu setup_s=%.2f\n",
            opt_.name.c_str(), mode_name(opt_.mode), conns_.size(),
            opt_.mode == run_mode::saturation ? opt_.depth : 0, opt_.mode == run_mode::rate ? opt_.rate : 0,
            secs, static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(sent), per_s,
            secs > 0 ? static_cast<double>(sent) / secs : 0, secs > 0 ? server_cpu / secs * 100 : 0,
            us_per_msg, per_core_s, p50, p99, max, per_client, rss_before_, rss_after, alive,
            secs > 0 ? own_cpu / secs * 100 : 0, static_cast<unsigned long long>(gaps), setup_secs_);
        std::fflush(stdout);
        if (alive != conns_.size()) {
            std::fprintf(stderr, "strata_gateway_load (%s): the gateway closed %zu of the connections\n",
                         opt_.name.c_str(), conns_.size() - alive);
            exit_code_ = 1;
        }
        if (!idle && delivered == 0)
            exit_code_ = 1;
        ioc_.stop();
    }

    const options& opt_;
    net::io_context& ioc_;
    net::steady_timer timer_, send_timer_;
    const clock_type::time_point epoch_;
    tcp::endpoint endpoint_;
    json::parser parser_;
    std::vector<std::unique_ptr<connection>> conns_;
    std::size_t next_ = 0, ready_ = 0;
    phase phase_ = phase::connecting;
    clock_type::time_point set_up_started_;
    double setup_secs_ = 0;
    clock_type::duration period_{};
    clock_type::time_point next_due_;
    std::size_t cursor_ = 0;
    std::uint64_t delivered_ = 0, sent_ = 0, seq_gaps_ = 0;
    std::vector<std::uint64_t> latencies_ns_;
    snapshot begin_;
    long rss_before_ = -1;
    int exit_code_ = 0;
};

void connection::start(const tcp::endpoint& ep)
{
    request_ = handshake_request(load_.opt().host, load_.opt().port,
                                 load_.opt().path + "?access_token=" + user_of(rider_));
    socket_.async_connect(ep, [this](error_code ec) {
        if (ec)
            return (void)fail("connect: " + ec.message());
        socket_.set_option(tcp::no_delay(true), ec);
        net::async_write(socket_, net::buffer(request_), [this](error_code ec, std::size_t) {
            if (ec)
                return (void)fail("handshake write: " + ec.message());
            std::string{}.swap(request_);
            on_handshake_read(0);
        });
    });
}

void connection::on_handshake_read(std::size_t have)
{
    socket_.async_read_some(net::buffer(buf_.data() + have, buf_.size() - have), [this, have](error_code ec,
                                                                                              std::size_t n) {
        if (ec)
            return (void)fail("handshake read: " + ec.message());
        const std::string_view text{reinterpret_cast<const char*>(buf_.data()), have + n};
        const auto end = text.find("\r\n\r\n");
        if (end == std::string_view::npos) {
            if (have + n == buf_.size())
                return (void)fail("handshake answer longer than " + std::to_string(buf_.size()) + " bytes");
            return on_handshake_read(have + n);
        }
        if (auto why = check_handshake(text.substr(0, end + 2)); !why.empty())
            return (void)fail(why);
        state_ = state::welcome;
        // Anything after the head is already WebSocket frames: the welcome.
        const auto head = end + 4;
        if (text.size() > head)
            parse(buf_.data() + head, text.size() - head);
        read();
    });
}

void connection::read()
{
    socket_.async_read_some(net::buffer(buf_), [this](error_code ec, std::size_t n) {
        if (ec)
            return (void)fail("read: " + ec.message());
        parse(buf_.data(), n);
        read();
    });
}

void connection::parse(const std::uint8_t* p, std::size_t n)
{
    received_ = 0;
    if (!reader_.feed(p, n, *this))
        return;
    if (received_ > 0 && load_.opt().mode == run_mode::saturation)
        send_updates(received_);
}

bool connection::on_data(const std::uint8_t* p, std::size_t n)
{
    if (message_.size() + n > 1024 * 1024)
        return fail("a message over 1 MiB");
    message_.append(reinterpret_cast<const char*>(p), n);
    return true;
}

bool connection::on_message_end()
{
    if (message_.capacity() < message_.size() + simdjson::SIMDJSON_PADDING)
        message_.reserve(message_.size() + simdjson::SIMDJSON_PADDING);
    json::document doc;
    std::string_view type;
    if (load_.parser().iterate(message_.data(), message_.size(), message_.capacity()).get(doc) ||
        doc["type"].get_string().get(type))
        return fail("not an envelope: " + message_);
    if (type == "location") {
        if (!on_location(doc))
            return false;
    } else if (type == "welcome" && state_ == state::welcome) {
        std::string_view user;
        if (doc["data"]["user"].get_string().get(user) || user != user_of(rider_))
            return fail("a welcome for another user: " + message_);
        std::string subscribe =
            R"({"type":"subscribe","data":{"topic":")" + partner_topic_of(rider_) + "\"}}";
        append_frame(out_, opcode::text, subscribe.data(), subscribe.size());
        flush();
        state_ = state::subscribing;
    } else if (type == "subscribed" && state_ == state::subscribing) {
        std::string_view topic;
        auto data = doc["data"];
        if (data["topic"].get_string().get(topic) || topic != partner_topic_of(rider_) ||
            data["seq"].get_uint64().get(seq_))
            return fail("a subscribed without the topic or its seq: " + message_);
        state_ = state::ready;
        load_.subscribed();
    } else {
        return fail("unexpected message: " + message_);
    }
    message_.clear();
    return true;
}

bool connection::on_location(json::document& doc)
{
    const auto now = load_.now_ns();
    std::int64_t t = 0;
    std::uint64_t seq = 0;
    if (state_ != state::ready)
        return fail("a location before subscribed: " + message_);
    if (doc["data"]["t"].get_int64().get(t) || doc["seq"].get_uint64().get(seq))
        return fail("a location without data.t or seq: " + message_);
    if (seq != seq_ + 1)
        load_.seq_gap();
    seq_ = seq;
    if (load_.verifying() && !check_location())
        return false;
    load_.delivered(now - t);
    ++received_;
    return true;
}

// The warm-up's checks: the topic is the partner's, and data is byte for
// byte what a rider writes (which the numbers in it give back).
bool connection::check_location()
{
    auto& parser = load_.parser();
    json::document doc;
    std::string_view topic, raw;
    if (parser.iterate(message_.data(), message_.size(), message_.capacity()).get(doc) ||
        doc["topic"].get_string().get(topic) || topic != partner_topic_of(rider_))
        return fail("a location on another topic: " + message_);
    json::object data;
    doc.rewind();
    if (doc["data"].get_object().get(data) || data.raw_json().get(raw))
        return fail("a location whose data is not an object: " + message_);
    const simdjson::padded_string copy{raw};
    double lat = 0, lng = 0;
    std::int64_t t = 0;
    json::document d;
    if (parser.iterate(copy).get(d) || d["lat"].get_double().get(lat) || d["lng"].get_double().get(lng) ||
        d["t"].get_int64().get(t))
        return fail("a location without lat, lng and t: " + message_);
    char expected[128];
    if (raw != std::string_view{expected, format_data(expected, lat, lng, t)})
        return fail("data changed on the way: got " + std::string(raw) + ", sent " +
                    std::string(expected, format_data(expected, lat, lng, t)));
    return true;
}

void connection::send_updates(std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i)
        queue_update();
    load_.sent(n);
    flush();
}

// Coordinates that move a little with every update, around San Francisco.
void connection::queue_update()
{
    char payload[update_prefix.size() + 129];
    std::copy(update_prefix.begin(), update_prefix.end(), payload);
    const double lat =
        37.70 + static_cast<double>(rider_ % 1000) * 1e-4 + static_cast<double>(updates_ % 500) * 1e-6;
    const double lng = -122.50 + static_cast<double>(rider_ / 1000 % 100) * 1e-3 -
                       static_cast<double>(updates_ % 700) * 1e-6;
    auto size = update_prefix.size();
    size += format_data(payload + size, lat, lng, load_.now_ns());
    payload[size++] = '}';
    append_frame(out_, opcode::text, payload, size);
    ++updates_;
}

void connection::flush()
{
    if (write_busy_ || out_.empty())
        return;
    std::swap(out_, writing_);
    out_.clear();
    write_busy_ = true;
    net::async_write(socket_, net::buffer(writing_), [this](error_code ec, std::size_t) {
        if (ec)
            return (void)fail("write: " + ec.message());
        write_busy_ = false;
        flush();
    });
}

bool connection::fail(const std::string& why)
{
    load_.failed(rider_, why);
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    const auto opt = parse(argc, argv);
    if (!raise_open_file_limit(opt.clients, "strata_gateway_load"))
        return 1;
    try {
        // One thread and nothing shared with another: Asio may skip its locks.
        net::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
        load l{opt, ioc};
        return l.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata_gateway_load: %s\n", e.what());
        return 1;
    }
}
