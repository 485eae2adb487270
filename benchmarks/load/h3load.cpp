// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// An h2load-like load generator on strata::client, for HTTP/3 (h2load 1.52
// as Debian builds it has no QUIC). Every connection is its own
// strata::client with one connection per origin, so -c N opens N QUIC
// connections; each carries -m request coroutines, each sending its next
// request as soon as its previous response body is read. All of it runs on
// one io_context thread, as h2load -t 1 does.
//
//   strata_h3load [-c CONNECTIONS] [-m STREAMS] [-n REQUESTS | -D SECONDS] [--http2]
//                 [--insecure | --cacert FILE] [--delay-ms MS] [--timeout SECONDS] URL
//   strata_h3load --ttfb N [--resume] [--http2] [--insecure | --cacert FILE] [--delay-ms MS] URL
//
// Load mode reports requests per second, body MB/s (10^6 bytes), latency
// (from the request's start to its body's end) min/p50/p90/p99/max, and
// errors: a transport error, a status other than 2xx, or a response carried
// by another HTTP version than asked for. With -D the rate counts the
// requests completed by the deadline over exactly that time (as h2load -D);
// requests in flight then are reported apart, and abandoned after 2 s more.
// The connections the clients opened are reported too: more than -c means
// the pool opened extra ones (as it did while a server's stream limit ran
// out before it learned to wait for MAX_STREAMS).
//
// --ttfb N makes N first requests and reports the time from the start of
// the request to its response head: the cost of connecting. One client,
// warmed by an unmeasured request (trust store, TLS contexts), closes its
// idle connection (client::close_idle) before each measured one. It keeps
// no tickets (a full handshake each time) unless --resume: then it waits
// 150 ms after each request, so the session ticket
// of the previous connection has arrived: HTTP/3 may then send the request
// in 0-RTT (if client and server agree to), HTTP/2 resumes its TLS session
// (still TCP + TLS round trips).
//
// --timeout sets the client's response and body timeouts (default 30 s), so
// that a lost request costs a TTFB run seconds rather than half a minute.
//
// --http2 speaks HTTP/2 over TLS (h2 by ALPN) instead, the same way, for
// strata-h3-vs-strata-h2 comparisons.
//
// --delay-ms MS puts a relay in front of the server, in this process, that
// holds every UDP datagram and every piece of a TCP stream MS ms in each
// direction (a round-trip time of 2 x MS), because loopback has none and
// netem (tc qdisc ... netem) needs the sch_netem module, which not every
// machine has. The relay accepts a TCP connection at once, so it holds the
// first bytes the client sends one round trip longer: the SYN / SYN-ACK
// exchange a real TCP connect waits for. It is meant for --ttfb: it runs on
// the client's thread and copies every packet.

#include <strata/config.hpp>

#include <strata/client.hpp>
#include <strata/url.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = strata::net;
using clock_type = std::chrono::steady_clock;
using udp = net::ip::udp;
using tcp = net::ip::tcp;

struct options {
    std::size_t connections = 1;
    std::size_t streams = 1;
    std::size_t requests = 0;  // -n; 0 with -D
    double seconds = 0;        // -D
    std::size_t ttfb_runs = 0; // --ttfb
    bool resume = false;       // --ttfb --resume
    bool http2 = false;
    bool insecure = false;
    std::string cacert;
    std::chrono::milliseconds delay{0};
    /// --timeout: the client's response and body timeouts (0: its defaults, 30 s).
    std::chrono::milliseconds timeout{0};
    std::string url;
};

std::size_t parse_count(std::string_view text, const char* what)
{
    std::size_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw std::invalid_argument(std::string("bad ") + what + ": " + std::string(text));
    return v;
}

double parse_seconds(std::string_view text, const char* what)
{
    const std::string s{text};
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !(v > 0))
        throw std::invalid_argument(std::string("bad ") + what + ": " + s);
    return v;
}

strata::client_config make_client_config(const options& opt)
{
    strata::client_config cfg;
    // One connection per client: -c counts connections, as in h2load.
    cfg.max_connections_per_origin = 1;
    if (opt.http2) {
        cfg.enable_http2 = true;
        cfg.enable_http3 = false; // ignore the server's Alt-Svc
        cfg.http3_only = false;
    } else {
        cfg.http3_only = true;
    }
    if (opt.insecure) {
        cfg.tls.verify_peer = false;
    } else if (!opt.cacert.empty()) {
        cfg.tls.use_system_store = false;
        cfg.tls.ca_file = opt.cacert;
    }
    if (opt.timeout.count() > 0) {
        cfg.response_timeout = opt.timeout;
        cfg.body_timeout = opt.timeout;
    }
    // The largest body a run asks for is read with read_some; body() is not used.
    return cfg;
}

strata::http::version wanted_version(const options& opt)
{
    return opt.http2 ? strata::http::version::http2 : strata::http::version::http3;
}

// ---------------------------------------------------------------------------
// The relay behind --delay-ms.

/// Runs actions at their due time, in due-time order (insertion order among
/// equal times): the one queue every relayed packet waits in.
class delay_line {
public:
    explicit delay_line(net::any_io_executor ex) : timer_(ex, clock_type::time_point::max()) {}

    void start() { net::co_spawn(timer_.get_executor(), pump(), net::detached); }
    void stop()
    {
        stopped_ = true;
        timer_.cancel();
    }

    void at(clock_type::time_point due, std::function<void()> action)
    {
        const bool earliest = queue_.empty() || due < queue_.begin()->first;
        queue_.emplace(due, std::move(action));
        if (earliest)
            timer_.cancel();
    }

private:
    net::awaitable<void> pump()
    {
        while (!stopped_) {
            const auto now = clock_type::now();
            if (!queue_.empty() && queue_.begin()->first <= now) {
                auto action = std::move(queue_.begin()->second);
                queue_.erase(queue_.begin());
                action();
                continue;
            }
            timer_.expires_at(queue_.empty() ? clock_type::time_point::max() : queue_.begin()->first);
            strata::error_code ec;
            co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
        }
    }

    net::steady_timer timer_;
    std::multimap<clock_type::time_point, std::function<void()>> queue_;
    bool stopped_ = false;
};

/// UDP: one front socket the client talks to; one upstream socket per client
/// address, so the server sees as many peers as there are clients.
class udp_relay {
public:
    udp_relay(net::any_io_executor ex, udp::endpoint target, std::chrono::milliseconds delay,
              delay_line& line)
        : ex_(ex), target_(target), delay_(delay), line_(line),
          front_(std::make_shared<udp::socket>(ex, udp::endpoint{target.address(), 0}))
    {
        net::co_spawn(ex_, from_clients(), net::detached);
    }

    unsigned short port() const { return front_->local_endpoint().port(); }

    void stop()
    {
        strata::error_code ec;
        front_->close(ec);
        for (auto& [peer, s] : upstream_)
            s->close(ec);
    }

private:
    net::awaitable<void> from_clients()
    {
        std::vector<unsigned char> buf(65536);
        for (;;) {
            udp::endpoint from;
            strata::error_code ec;
            const auto n = co_await front_->async_receive_from(net::buffer(buf), from,
                                                               net::redirect_error(net::use_awaitable, ec));
            if (ec == net::error::operation_aborted || !front_->is_open())
                co_return;
            if (ec)
                continue;
            auto& up = upstream_[from];
            if (!up) {
                up = std::make_shared<udp::socket>(ex_, udp::endpoint{target_.address(), 0});
                up->connect(target_);
                net::co_spawn(ex_, from_server(up, from), net::detached);
            }
            line_.at(clock_type::now() + delay_, [up, data = std::vector<unsigned char>(
                                                          buf.begin(), buf.begin() + static_cast<long>(n))] {
                strata::error_code ignored;
                up->send(net::buffer(data), 0, ignored);
            });
        }
    }

    net::awaitable<void> from_server(std::shared_ptr<udp::socket> up, udp::endpoint client)
    {
        std::vector<unsigned char> buf(65536);
        for (;;) {
            strata::error_code ec;
            const auto n =
                co_await up->async_receive(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
            if (ec == net::error::operation_aborted || !up->is_open())
                co_return;
            if (ec)
                continue; // ICMP unreachable while the server starts: keep going
            line_.at(clock_type::now() + delay_,
                     [front = front_, client,
                      data = std::vector<unsigned char>(buf.begin(), buf.begin() + static_cast<long>(n))] {
                         strata::error_code ignored;
                         front->send_to(net::buffer(data), client, 0, ignored);
                     });
        }
    }

    net::any_io_executor ex_;
    udp::endpoint target_;
    std::chrono::milliseconds delay_;
    delay_line& line_;
    std::shared_ptr<udp::socket> front_;
    std::map<udp::endpoint, std::shared_ptr<udp::socket>> upstream_;
};

/// TCP: accepts, connects to the target, and relays both directions through
/// the delay line; the client's first bytes wait one round trip more (the
/// handshake the local accept skipped).
class tcp_relay {
public:
    tcp_relay(net::any_io_executor ex, tcp::endpoint target, std::chrono::milliseconds delay,
              delay_line& line)
        : ex_(ex), target_(target), delay_(delay), line_(line),
          acceptor_(ex, tcp::endpoint{target.address(), 0})
    {
        net::co_spawn(ex_, accept_loop(), net::detached);
    }

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    void stop()
    {
        strata::error_code ec;
        acceptor_.close(ec);
    }

private:
    net::awaitable<void> accept_loop()
    {
        for (;;) {
            strata::error_code ec;
            auto down = std::make_shared<tcp::socket>(ex_);
            co_await acceptor_.async_accept(*down, net::redirect_error(net::use_awaitable, ec));
            if (ec == net::error::operation_aborted || !acceptor_.is_open())
                co_return;
            if (ec)
                continue;
            auto up = std::make_shared<tcp::socket>(ex_);
            co_await up->async_connect(target_, net::redirect_error(net::use_awaitable, ec));
            if (ec)
                continue;
            down->set_option(tcp::no_delay{true});
            up->set_option(tcp::no_delay{true});
            net::co_spawn(ex_, pipe(down, up, 3 * delay_), net::detached);
            net::co_spawn(ex_, pipe(up, down, delay_), net::detached);
        }
    }

    /// Copies from -> to, each piece `delay_` later than it was read (the
    /// first `first_delay` later), never overtaking an earlier piece.
    net::awaitable<void> pipe(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to,
                              std::chrono::milliseconds first_delay)
    {
        std::vector<unsigned char> buf(65536);
        auto last_due = clock_type::time_point::min();
        auto delay = first_delay;
        for (;;) {
            strata::error_code ec;
            const auto n =
                co_await from->async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
            const auto due = std::max(clock_type::now() + delay, last_due);
            last_due = due;
            delay = delay_;
            if (ec) {
                line_.at(due, [to] {
                    strata::error_code ignored;
                    to->shutdown(tcp::socket::shutdown_send, ignored);
                });
                co_return;
            }
            line_.at(due, [to, data = std::vector<unsigned char>(buf.begin(),
                                                                 buf.begin() + static_cast<long>(n))] {
                strata::error_code ignored;
                net::write(*to, net::buffer(data), ignored);
            });
        }
    }

    net::any_io_executor ex_;
    tcp::endpoint target_;
    std::chrono::milliseconds delay_;
    delay_line& line_;
    tcp::acceptor acceptor_;
};

/// The relay for one run, and the URL that goes through it.
struct relay {
    relay(net::io_context& ioc, const options& opt) : line(ioc.get_executor())
    {
        url = opt.url;
        if (opt.delay.count() <= 0)
            return;
        const auto u = strata::url::parse(opt.url);
        // An address, not a name: the relay stands in for one server.
        const auto address = net::ip::make_address(u.host);
        const auto port = u.port;
        line.start();
        unsigned short relay_port = 0;
        if (opt.http2) {
            tcp_ = std::make_unique<tcp_relay>(ioc.get_executor(), tcp::endpoint{address, port}, opt.delay,
                                               line);
            relay_port = tcp_->port();
        } else {
            udp_ = std::make_unique<udp_relay>(ioc.get_executor(), udp::endpoint{address, port}, opt.delay,
                                               line);
            relay_port = udp_->port();
        }
        // The same URL with the relay's port: the host (and so the
        // certificate check) stays.
        url = u.scheme + "://" + (u.ipv6_literal() ? "[" + u.host + "]" : u.host) + ":" +
              std::to_string(relay_port) + u.target;
    }

    void stop()
    {
        if (udp_)
            udp_->stop();
        if (tcp_)
            tcp_->stop();
        line.stop();
    }

    delay_line line;
    std::unique_ptr<udp_relay> udp_;
    std::unique_ptr<tcp_relay> tcp_;
    std::string url;
};

// ---------------------------------------------------------------------------
// Statistics.

struct stats {
    std::vector<double> latency_us;
    std::uint64_t body_bytes = 0;
    std::size_t succeeded = 0; // 2xx, body read, the version asked for
    std::size_t failed = 0;    // another status
    std::size_t errored = 0;   // transport errors, wrong version
    std::string first_error;

    void error(const std::string& what)
    {
        ++errored;
        if (first_error.empty())
            first_error = what;
    }
};

double percentile(std::vector<double>& sorted, double p)
{
    if (sorted.empty())
        return 0;
    const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(i, sorted.size() - 1)];
}

/// Makes one request and reads its body; returns false on a transport error.
net::awaitable<bool> exchange(strata::client& cli, const std::string& url, strata::http::version want,
                              std::vector<std::byte>& buf, stats& st,
                              clock_type::time_point* head_at = nullptr)
{
    strata::error_code ec;
    strata::client_request req;
    req.url = url;
    auto res = co_await cli.request(std::move(req), ec);
    if (head_at)
        *head_at = clock_type::now();
    if (ec) {
        st.error("request: " + ec.message());
        co_return false;
    }
    for (;;) {
        const auto n = co_await res.read_some(net::buffer(buf.data(), buf.size()), ec);
        if (ec) {
            st.error("body: " + ec.message());
            co_return false;
        }
        if (n == 0)
            break;
        st.body_bytes += n;
    }
    if (res.version() != want) {
        st.error("answered over " + std::string(strata::http::to_string(res.version())));
        co_return true;
    }
    if (res.status() / 100 == 2)
        ++st.succeeded;
    else
        ++st.failed;
    co_return true;
}

struct load_state {
    const options* opt = nullptr;
    std::string url;
    std::size_t issued = 0;
    clock_type::time_point deadline;
    std::size_t running = 0;
    clock_type::time_point last_done;
    stats st;
    net::steady_timer* all_done = nullptr;
};

net::awaitable<void> worker(strata::client& cli, load_state& ls)
{
    std::vector<std::byte> buf(64 * 1024);
    const auto want = wanted_version(*ls.opt);
    for (;;) {
        if (ls.opt->requests > 0) {
            if (ls.issued >= ls.opt->requests)
                break;
            ++ls.issued;
        } else if (clock_type::now() >= ls.deadline) {
            break;
        }
        const auto t0 = clock_type::now();
        const bool ok = co_await exchange(cli, ls.url, want, buf, ls.st);
        const auto t1 = clock_type::now();
        ls.st.latency_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        ls.last_done = t1;
        if (!ok && ls.opt->requests == 0) {
            // A dead server would otherwise spin here until the deadline.
            net::steady_timer pause{co_await net::this_coro::executor, std::chrono::milliseconds{10}};
            co_await pause.async_wait(net::use_awaitable);
        }
    }
}

/// What a run is reported from.
struct result {
    stats st;
    double seconds = 0;
    std::size_t opened = 0;     // connections the clients opened
    std::size_t unfinished = 0; // -D: requests in flight at the end, not counted
};

int report(const options& opt, result& r)
{
    auto& st = r.st;
    const double secs = r.seconds;
    const std::size_t done = st.succeeded + st.failed + st.errored;
    std::sort(st.latency_us.begin(), st.latency_us.end());
    const double rps = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double mbps = secs > 0 ? static_cast<double>(st.body_bytes) / secs / 1e6 : 0;
    const char* proto = opt.http2 ? "h2" : "h3";
    std::printf("finished in %.3f s, %.0f req/s, %.2f MB/s (body bytes, 10^6 per MB)\n", secs, rps, mbps);
    std::printf(
        "requests: %zu done, %zu succeeded (2xx), %zu failed (other status), %zu errored, %zu in flight "
        "at the end (not counted)\n",
        done, st.succeeded, st.failed, st.errored, r.unfinished);
    if (!st.first_error.empty())
        std::printf("first error: %s\n", st.first_error.c_str());
    // More connections than -c: the pool replaced or added connections.
    std::printf(
        "protocol: %s, %zu connection(s) x %zu stream(s), %zu connection(s) opened, %llu body bytes\n", proto,
        opt.connections, opt.streams, r.opened, static_cast<unsigned long long>(st.body_bytes));
    std::printf("latency (ms): min %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
                percentile(st.latency_us, 0) / 1e3, percentile(st.latency_us, 0.5) / 1e3,
                percentile(st.latency_us, 0.9) / 1e3, percentile(st.latency_us, 0.99) / 1e3,
                percentile(st.latency_us, 1) / 1e3);
    std::printf(
        "H3LOAD proto=%s c=%zu m=%zu opened=%zu done=%zu ok=%zu failed=%zu errored=%zu unfinished=%zu "
        "seconds=%.4f rps=%.1f mbps=%.2f p50_ms=%.3f p99_ms=%.3f\n",
        proto, opt.connections, opt.streams, r.opened, done, st.succeeded, st.failed, st.errored,
        r.unfinished, secs, rps, mbps, percentile(st.latency_us, 0.5) / 1e3,
        percentile(st.latency_us, 0.99) / 1e3);
    std::fflush(stdout);
    return st.succeeded == 0 ? 1 : 0;
}

int run_load(const options& opt)
{
    net::io_context ioc{1};
    relay r{ioc, opt};
    load_state ls;
    ls.opt = &opt;
    ls.url = r.url;
    std::vector<std::unique_ptr<strata::client>> clients;
    for (std::size_t i = 0; i < opt.connections; ++i)
        clients.push_back(std::make_unique<strata::client>(ioc.get_executor(), make_client_config(opt)));
    auto opened = [&clients] {
        std::size_t n = 0;
        for (auto& c : clients)
            n += c->connections_opened();
        return n;
    };

    const auto start = clock_type::now();
    ls.deadline =
        start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt.seconds));
    ls.last_done = start;
    std::string failure;
    result res;
    std::optional<result> at_deadline;
    for (auto& cli : clients) {
        for (std::size_t s = 0; s < opt.streams; ++s) {
            ++ls.running;
            net::co_spawn(ioc, worker(*cli, ls), [&](std::exception_ptr e) {
                if (e && failure.empty()) {
                    try {
                        std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                        failure = ex.what();
                    }
                }
                if (--ls.running == 0) {
                    // Outside this completion: closing the clients sends
                    // their CONNECTION_CLOSE (GOAWAY) before the loop stops.
                    net::post(ioc, [&] {
                        res.opened = opened();
                        clients.clear();
                        r.stop();
                        net::post(ioc, [&ioc] { ioc.stop(); });
                    });
                }
            });
        }
    }
    if (opt.requests == 0) {
        // -D: the rate counts what completed by the deadline, as h2load -D
        // does; a request stuck past it cannot stretch the measured time.
        // Those still unanswered 2 s later are abandoned.
        net::co_spawn(
            ioc,
            [&]() -> net::awaitable<void> {
                net::steady_timer t{ioc, ls.deadline};
                co_await t.async_wait(net::use_awaitable);
                at_deadline = result{ls.st, opt.seconds, opened(), ls.running};
                t.expires_after(std::chrono::seconds{2});
                co_await t.async_wait(net::use_awaitable);
                if (ls.running > 0) {
                    std::printf("%zu request(s) still unanswered 2 s after the end: abandoned\n", ls.running);
                    std::_Exit(report(opt, *at_deadline));
                }
            },
            net::detached);
    }
    ioc.run();
    if (!failure.empty())
        throw std::runtime_error(failure);
    if (at_deadline)
        return report(opt, *at_deadline);
    res.st = std::move(ls.st);
    res.seconds = std::chrono::duration<double>(ls.last_done - start).count();
    return report(opt, res);
}

// ---------------------------------------------------------------------------
// --ttfb

net::awaitable<void> ttfb_runs(net::io_context& ioc, const options& opt, const std::string& url, stats& st,
                               std::vector<double>& ttfb_ms, std::size_t& connections, std::size_t& resumed)
{
    std::vector<std::byte> buf(64 * 1024);
    const auto want = wanted_version(opt);
    auto measure = [&](strata::client& cli) -> net::awaitable<void> {
        const auto t0 = clock_type::now();
        clock_type::time_point head_at;
        const auto before = st.errored;
        co_await exchange(cli, url, want, buf, st, &head_at);
        if (st.errored == before)
            ttfb_ms.push_back(std::chrono::duration<double, std::milli>(head_at - t0).count());
    };
    // One client for every run, warmed by a first request: what is measured
    // is connection set-up and the exchange, not loading the trust store or
    // making TLS contexts. Without --resume it keeps no tickets, so every
    // run is a full handshake.
    auto cfg = make_client_config(opt);
    if (!opt.resume) {
        cfg.tls.session_resumption = false;
        cfg.quic.enable_early_data = false;
    }
    strata::client cli{ioc.get_executor(), cfg};
    co_await exchange(cli, url, want, buf, st); // the first visit (and, with --resume, a ticket)
    for (std::size_t i = 0; i < opt.ttfb_runs; ++i) {
        cli.close_idle();
        // The ticket comes after the handshake (NewSessionTicket, RFC 8446
        // §4.6.1); by now it is in the client's cache.
        net::steady_timer pause{ioc, std::chrono::milliseconds{150}};
        co_await pause.async_wait(net::use_awaitable);
        co_await measure(cli);
    }
    connections += cli.connections_opened() - 1;
    resumed += cli.tls_sessions_resumed();
}

int run_ttfb(const options& opt)
{
    net::io_context ioc{1};
    relay r{ioc, opt};
    stats st;
    std::vector<double> ttfb_ms;
    std::size_t connections = 0, resumed = 0;
    std::string failure;
    net::co_spawn(ioc, ttfb_runs(ioc, opt, r.url, st, ttfb_ms, connections, resumed),
                  [&](std::exception_ptr e) {
                      if (e) {
                          try {
                              std::rethrow_exception(e);
                          } catch (const std::exception& ex) {
                              failure = ex.what();
                          }
                      }
                      r.stop();
                      net::post(ioc, [&ioc] { ioc.stop(); });
                  });
    ioc.run();
    if (!failure.empty())
        throw std::runtime_error(failure);
    std::sort(ttfb_ms.begin(), ttfb_ms.end());
    const char* mode = opt.http2 ? (opt.resume ? "h2-resumed" : "h2") : (opt.resume ? "h3-0rtt" : "h3");
    std::printf(
        "time to first byte, %s%s: %zu runs, %zu new connections, %zu TLS sessions resumed, %zu errors\n",
        mode,
        opt.delay.count() > 0
            ? (" (relay delay " + std::to_string(opt.delay.count()) + " ms each way)").c_str()
            : "",
        ttfb_ms.size(), connections, resumed, st.errored);
    if (!st.first_error.empty())
        std::printf("first error: %s\n", st.first_error.c_str());
    std::printf("ttfb (ms): min %.3f  p50 %.3f  p90 %.3f  max %.3f\n", percentile(ttfb_ms, 0),
                percentile(ttfb_ms, 0.5), percentile(ttfb_ms, 0.9), percentile(ttfb_ms, 1));
    std::printf("H3LOAD_TTFB mode=%s delay_ms=%lld runs=%zu errored=%zu median_ms=%.3f\n", mode,
                static_cast<long long>(opt.delay.count()), ttfb_ms.size(), st.errored,
                percentile(ttfb_ms, 0.5));
    return ttfb_ms.empty() ? 1 : 0;
}

int usage(int code)
{
    std::fprintf(code ? stderr : stdout,
                 "usage: strata_h3load [-c CONNECTIONS] [-m STREAMS] [-n REQUESTS | -D SECONDS] [--http2]\n"
                 "                     [--insecure | --cacert FILE] [--delay-ms MS] [--timeout SECONDS] URL\n"
                 "       strata_h3load --ttfb N [--resume] [--http2] [--insecure | --cacert FILE]\n"
                 "                     [--delay-ms MS] [--timeout SECONDS] URL\n");
    return code;
}

} // namespace

int main(int argc, char** argv)
{
    options opt;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string_view arg = argv[i];
            const bool has_value = i + 1 < argc;
            if (arg == "-h" || arg == "--help")
                return usage(0);
            if (arg == "--http2")
                opt.http2 = true;
            else if (arg == "--insecure" || arg == "-k")
                opt.insecure = true;
            else if (arg == "--resume")
                opt.resume = true;
            else if (arg == "-c" && has_value)
                opt.connections = parse_count(argv[++i], "-c");
            else if (arg == "-m" && has_value)
                opt.streams = parse_count(argv[++i], "-m");
            else if (arg == "-n" && has_value)
                opt.requests = parse_count(argv[++i], "-n");
            else if (arg == "-D" && has_value)
                opt.seconds = parse_seconds(argv[++i], "-D");
            else if (arg == "--ttfb" && has_value)
                opt.ttfb_runs = parse_count(argv[++i], "--ttfb");
            else if (arg == "--cacert" && has_value)
                opt.cacert = argv[++i];
            else if (arg == "--timeout" && has_value)
                opt.timeout = std::chrono::milliseconds{
                    static_cast<long long>(parse_seconds(argv[++i], "--timeout") * 1000)};
            else if (arg == "--delay-ms" && has_value)
                opt.delay = std::chrono::milliseconds{parse_count(argv[++i], "--delay-ms")};
            else if (!arg.starts_with("-") && opt.url.empty())
                opt.url = arg;
            else
                return usage(2);
        }
        if (opt.url.empty() || opt.connections == 0 || opt.streams == 0)
            return usage(2);
        if (opt.ttfb_runs > 0)
            return run_ttfb(opt);
        if ((opt.requests > 0) == (opt.seconds > 0))
            return usage(2); // exactly one of -n and -D
        return run_load(opt);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata_h3load: %s\n", e.what());
        return 1;
    }
}
