// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// Memory a server spends on an idle keep-alive connection. The client opens N
// connections (default 10,000) to a server process, sends one request on each
// and reads the whole response, so every connection is a real keep-alive
// connection past its first exchange, then leaves them idle. The server's RSS
// (and Pss, from /proc/<pid>/smaps_rollup where the kernel has it) is read
// before and after; the difference over N is the cost of one idle connection
// in the server's own memory (socket buffers live in the kernel and are not
// counted, for any server). Finally it checks the server kept them all open.
//
//   strata_idle_memory --pid PID --port PORT [--name NAME] [--connections N]
//                      [--host 127.0.0.1] [--concurrency 256] [--settle-ms 2000] [--protocol h1|h2c]
//
// --protocol h2c opens each connection with HTTP/2 prior knowledge (the
// client side of strata's HTTP/2 codec), completes one GET on stream 1 and
// leaves the connection idle, for servers that speak h2c (strata, nghttpd).
//
// The last line is machine-readable for run.sh:
//   RESULT name=NAME connections=N alive=A rss_before_kib=.. rss_after_kib=.. rss_bytes_per_conn=.. ...

// First: <utility> for Boost 1.74's awaitable.hpp (GCC 12), co_await detection (Clang 14).
#include <strata/config.hpp>

#include <strata/http2/connection.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct options {
    long pid = 0;
    unsigned short port = 0;
    std::string host = "127.0.0.1";
    std::string name = "server";
    std::size_t connections = 10'000;
    std::size_t concurrency = 256;
    long settle_ms = 2000;
    bool h2c = false;
};

[[noreturn]] void usage(const char* why)
{
    std::fprintf(
        stderr,
        "strata_idle_memory: %s\n"
        "usage: strata_idle_memory --pid PID --port PORT [--name NAME] [--connections N]\n"
        "                          [--host ADDR] [--concurrency C] [--settle-ms MS] [--protocol h1|h2c]\n",
        why);
    std::exit(2);
}

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc)
            usage("missing value");
        const char* v = argv[++i];
        if (a == "--pid")
            o.pid = std::atol(v);
        else if (a == "--port")
            o.port = static_cast<unsigned short>(std::atoi(v));
        else if (a == "--host")
            o.host = v;
        else if (a == "--name")
            o.name = v;
        else if (a == "--connections")
            o.connections = static_cast<std::size_t>(std::atol(v));
        else if (a == "--concurrency")
            o.concurrency = static_cast<std::size_t>(std::max(1L, std::atol(v)));
        else if (a == "--settle-ms")
            o.settle_ms = std::atol(v);
        else if (a == "--protocol")
            o.h2c = std::string_view(v) == "h2c";
        else
            usage("unknown option");
    }
    if (o.pid <= 0 || o.port == 0)
        usage("--pid and --port are required");
    return o;
}

/// A "Key:   123 kB" line of a /proc file, in KiB; nullopt when absent.
std::optional<long> proc_kib(const std::string& path, std::string_view key)
{
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        if (line.compare(0, key.size(), key) == 0)
            return std::atol(line.c_str() + key.size());
    return std::nullopt;
}

struct memory {
    long rss_kib = -1;
    long pss_kib = -1; ///< -1 when smaps_rollup is not available
};

memory measure(long pid)
{
    const std::string base = "/proc/" + std::to_string(pid);
    memory m;
    m.rss_kib = proc_kib(base + "/status", "VmRSS:").value_or(-1);
    m.pss_kib = proc_kib(base + "/smaps_rollup", "Pss:").value_or(-1);
    return m;
}

/// Two file descriptors per connection would be the server's; ours is one
/// each, plus a margin for stdio and the resolver.
void raise_fd_limit(std::size_t connections)
{
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
        usage("getrlimit failed");
    const rlim_t need = connections + 64;
    if (lim.rlim_cur >= need)
        return;
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < need) {
        std::fprintf(stderr,
                     "strata_idle_memory: %zu connections need %llu file descriptors; the hard limit is "
                     "%llu (raise it, e.g. in /etc/security/limits.conf, or use fewer --connections)\n",
                     connections, static_cast<unsigned long long>(need),
                     static_cast<unsigned long long>(lim.rlim_max));
        std::exit(1);
    }
    lim.rlim_cur = need;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0 || ::getrlimit(RLIMIT_NOFILE, &lim) != 0 ||
        lim.rlim_cur < need) {
        std::fprintf(stderr, "strata_idle_memory: could not raise RLIMIT_NOFILE to %llu: %s\n",
                     static_cast<unsigned long long>(need), std::strerror(errno));
        std::exit(1);
    }
}

struct run_state {
    const options* opt;
    tcp::endpoint ep;
    std::vector<tcp::socket> sockets;
    std::size_t next = 0;
    std::size_t ok = 0;
    std::size_t failed = 0;
    std::string first_error;
};

std::size_t content_length(std::string_view head)
{
    // Case-insensitive search for the field; all three servers send it.
    std::string lower(head);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(c | (c >= 'A' && c <= 'Z' ? 0x20 : 0)); });
    const auto at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos)
        return 0;
    return static_cast<std::size_t>(std::atol(lower.c_str() + at + 17));
}

/// One HTTP/2 exchange (prior knowledge) on a connected socket: SETTINGS both
/// ways, GET / on stream 1, its whole response read.
net::awaitable<void> h2c_exchange(tcp::socket& s, const std::string& host)
{
    strata::http2::connection codec{strata::http2::role::client};
    strata::error_code ec;
    const strata::http::field_view fields[] = {{"user-agent", "strata_idle_memory"}};
    codec.submit_headers(codec.next_stream_id(),
                         strata::http2::request_head{"GET", "http", host, "/", {}, fields}, true, ec);
    if (ec)
        throw std::runtime_error("h2c request: " + ec.message());
    unsigned status = 0;
    bool done = false;
    std::byte buf[16384];
    while (!done) {
        auto out = codec.poll_output();
        if (!out.empty())
            co_await net::async_write(s, out, net::use_awaitable);
        auto n = co_await s.async_read_some(net::buffer(buf), net::use_awaitable);
        std::span<const std::byte> in{buf, n};
        while (!in.empty()) {
            in = in.subspan(codec.handle_bytes(in));
            while (auto ev = codec.poll_event()) {
                if (auto* h = std::get_if<strata::http::headers>(&*ev)) {
                    status = h->status;
                    done = done || h->end_stream;
                } else if (auto* d = std::get_if<strata::http::data>(&*ev)) {
                    codec.consume(d->stream, d->bytes.size());
                    done = done || d->end_stream;
                } else if (std::holds_alternative<strata::http::reset>(*ev) ||
                           std::holds_alternative<strata::http::goaway>(*ev)) {
                    throw std::runtime_error("h2c: stream reset or GOAWAY");
                }
            }
        }
        if (codec.error())
            throw std::runtime_error("h2c: " + codec.error().message());
    }
    // The SETTINGS ACK and WINDOW_UPDATEs the exchange still owes.
    auto out = codec.poll_output();
    if (!out.empty())
        co_await net::async_write(s, out, net::use_awaitable);
    if (status != 200)
        throw std::runtime_error("h2c response was not 200: " + std::to_string(status));
}

/// One of `concurrency` workers: takes the next connection index, connects,
/// completes one exchange and keeps the socket.
net::awaitable<void> worker(run_state& st)
{
    const std::string request = "GET / HTTP/1.1\r\nHost: " + st.opt->host +
                                "\r\nUser-Agent: strata_idle_memory\r\nAccept: */*\r\n\r\n";
    auto ex = co_await net::this_coro::executor;
    while (st.next < st.sockets.size()) {
        const std::size_t i = st.next++;
        try {
            tcp::socket s{ex};
            co_await s.async_connect(st.ep, net::use_awaitable);
            if (st.opt->h2c) {
                co_await h2c_exchange(s, st.opt->host);
                st.sockets[i] = std::move(s);
                ++st.ok;
                continue;
            }
            co_await net::async_write(s, net::buffer(request), net::use_awaitable);
            std::string in;
            const std::size_t head =
                co_await net::async_read_until(s, net::dynamic_buffer(in), "\r\n\r\n", net::use_awaitable);
            if (in.compare(0, 12, "HTTP/1.1 200") != 0)
                throw std::runtime_error("response was not 200: " + in.substr(0, in.find('\r')));
            const std::size_t total = head + content_length(std::string_view(in).substr(0, head));
            if (in.size() < total)
                co_await net::async_read(s, net::dynamic_buffer(in), net::transfer_exactly(total - in.size()),
                                         net::use_awaitable);
            st.sockets[i] = std::move(s);
            ++st.ok;
        } catch (const std::exception& e) {
            if (st.failed++ == 0)
                st.first_error = e.what();
        }
    }
}

/// A connection the server closed reads EOF (0) at once; an open idle one
/// has nothing to read.
bool still_open(tcp::socket& s)
{
    if (!s.is_open())
        return false;
    char c;
    const ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

double per_conn(long before_kib, long after_kib, std::size_t n)
{
    return n == 0 ? 0.0 : static_cast<double>(after_kib - before_kib) * 1024.0 / static_cast<double>(n);
}

} // namespace

int main(int argc, char** argv)
{
    const options opt = parse(argc, argv);
    raise_fd_limit(opt.connections);

    net::io_context ioc{1};
    run_state st;
    st.opt = &opt;
    st.ep = tcp::endpoint{net::ip::make_address(opt.host), opt.port};
    st.sockets.reserve(opt.connections);
    for (std::size_t i = 0; i < opt.connections; ++i)
        st.sockets.emplace_back(ioc);

    const memory before = measure(opt.pid);
    if (before.rss_kib < 0) {
        std::fprintf(stderr, "strata_idle_memory: cannot read /proc/%ld/status\n", opt.pid);
        return 1;
    }

    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t w = 0; w < std::min(opt.concurrency, opt.connections); ++w)
        net::co_spawn(ioc, worker(st), net::detached);
    ioc.run();
    const double open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // Let the server finish whatever it does after a response (timers, frees).
    ioc.restart();
    net::steady_timer settle{ioc, std::chrono::milliseconds{opt.settle_ms}};
    settle.async_wait([](boost::system::error_code) {});
    ioc.run();

    const memory after = measure(opt.pid);
    std::size_t alive = 0;
    for (auto& s : st.sockets)
        alive += still_open(s) ? 1 : 0;
    for (auto& s : st.sockets) {
        boost::system::error_code ignored;
        s.close(ignored);
    }

    const double rss_per = per_conn(before.rss_kib, after.rss_kib, alive);
    const double pss_per =
        before.pss_kib >= 0 && after.pss_kib >= 0 ? per_conn(before.pss_kib, after.pss_kib, alive) : -1;
    std::printf("%s: %zu connections opened in %.1f s (%zu failed%s%s), %zu still open after %ld ms idle\n",
                opt.name.c_str(), st.ok, open_s, st.failed, st.failed ? ": " : "", st.first_error.c_str(),
                alive, opt.settle_ms);
    std::printf("%s: RSS %ld -> %ld KiB = %.0f bytes per idle connection", opt.name.c_str(), before.rss_kib,
                after.rss_kib, rss_per);
    if (pss_per >= 0)
        std::printf("; Pss %ld -> %ld KiB = %.0f bytes per idle connection", before.pss_kib, after.pss_kib,
                    pss_per);
    std::printf("\nRESULT name=%s connections=%zu alive=%zu rss_before_kib=%ld rss_after_kib=%ld "
                "rss_bytes_per_conn=%.0f pss_before_kib=%ld pss_after_kib=%ld pss_bytes_per_conn=%.0f\n",
                opt.name.c_str(), opt.connections, alive, before.rss_kib, after.rss_kib, rss_per,
                before.pss_kib, after.pss_kib, pss_per);
    return alive == opt.connections ? 0 : 1;
}
