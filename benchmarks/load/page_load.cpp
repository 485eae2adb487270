// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// A page of many small resources, fetched the ways browsers have fetched
// them: HTTP/1.1 on one connection, HTTP/1.1 on six connections, HTTP/1.1 on
// six connections to each of three host names (domain sharding), and HTTP/2
// on one connection. Every fetch goes through strata::client against a
// strata::server over TLS on loopback; the figures are wall time for the
// whole page and the connections the client opened.
//
// Loopback has no latency, and netem is not available everywhere (it needs
// CAP_NET_ADMIN and the sch_netem module), so the server waits --delay-ms
// before each response: a stand-in for the time a request spends in flight
// and in a real server's backend. It does not model the round trips of
// TCP and TLS handshakes; those cost only CPU here.
//
// The server runs on its own thread (one io_context), the client on the main
// thread. Each run uses a fresh client: no pooled connection and no TLS
// session to resume, as on a first visit.
//
//   strata_page_load [--resources N] [--bytes N] [--delay-ms N] [--runs N]

#include <strata/config.hpp>

#include <strata/client.hpp>
#include <strata/server.hpp>
#include <strata/transport/tls_certificates.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace net = strata::net;
using clock_type = std::chrono::steady_clock;

struct options {
    std::size_t resources = 100;
    std::size_t bytes = 4096;
    std::chrono::milliseconds delay{5};
    std::size_t runs = 7;
};

/// One way of loading the page.
struct setup {
    std::string name;
    bool http2 = false;
    std::size_t connections_per_origin = 6;
    /// Resource i is fetched from hosts[i % hosts.size()].
    std::vector<std::string> hosts;
};

struct run_result {
    std::chrono::microseconds wall{};
    std::size_t connections = 0;
};

/// The body of resource i: its number repeated, so that a response carrying
/// another resource's body, or a cut one, is caught.
std::string resource_body(std::size_t i, std::size_t bytes)
{
    const std::string unit = "resource " + std::to_string(i) + "\n";
    std::string body;
    body.reserve(bytes);
    while (body.size() < bytes)
        body.append(unit, 0, std::min(unit.size(), bytes - body.size()));
    return body;
}

std::size_t parse_count(std::string_view text, const char* what)
{
    std::size_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw std::invalid_argument(std::string("bad ") + what + ": " + std::string(text));
    return v;
}

/// The page's server: /page/0 .. /page/N-1 over TLS on 127.0.0.1, .2 and .3
/// (one port), each answered after the configured delay.
class page_server {
public:
    page_server(const options& opt, const std::vector<std::string>& bodies,
                const strata::tls::certificate& cert)
        : server_(ioc_.get_executor(), make_config(cert))
    {
        server_.route("GET", "/page/{n}",
                      [&bodies, delay = opt.delay](strata::request& req,
                                                   strata::response& res) -> net::awaitable<void> {
                          const auto n = req.param("n");
                          std::size_t i = 0;
                          auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), i);
                          if (ec != std::errc{} || end != n.data() + n.size() || i >= bodies.size()) {
                              co_await res.send(strata::status::not_found, "no such resource\n",
                                                "text/plain");
                              co_return;
                          }
                          if (delay.count() > 0) {
                              net::steady_timer wait{co_await net::this_coro::executor, delay};
                              co_await wait.async_wait(net::use_awaitable);
                          }
                          co_await res.send(strata::status::ok, bodies[i], "text/css");
                      });
        port_ = server_.listen("https://127.0.0.1:0").port();
        // The sharded hosts: other loopback addresses, the same port. Linux
        // routes all of 127.0.0.0/8 to lo.
        for (const char* host : {"127.0.0.2", "127.0.0.3"})
            server_.listen("https://" + std::string(host) + ":" + std::to_string(port_));
        thread_ = std::thread([this] { ioc_.run(); });
    }

    page_server(const page_server&) = delete;
    page_server& operator=(const page_server&) = delete;

    ~page_server()
    {
        net::post(ioc_, [this] {
            server_.shutdown();
            server_.async_wait_stopped([this](strata::error_code) { ioc_.stop(); });
        });
        thread_.join();
    }

    unsigned short port() const noexcept { return port_; }

private:
    static strata::server_config make_config(const strata::tls::certificate& cert)
    {
        strata::server_config cfg;
        cfg.tls.certificate_chain_pem = cert.certificate_pem;
        cfg.tls.private_key_pem = cert.private_key_pem;
        cfg.shutdown_timeout = std::chrono::seconds{1};
        return cfg;
    }

    net::io_context ioc_{1};
    strata::server server_;
    unsigned short port_ = 0;
    std::thread thread_;
};

struct page_state {
    std::size_t pending = 0;
    std::string failure;
    net::steady_timer* all_done = nullptr;
};

net::awaitable<void> fetch(strata::client& cli, std::string url, const std::string& expected,
                           strata::http::version want, page_state& st)
{
    strata::error_code ec;
    strata::client_request req;
    req.url = url;
    auto res = co_await cli.request(std::move(req), ec);
    std::string body;
    if (!ec)
        body = co_await res.body(ec);
    if (st.failure.empty()) {
        if (ec)
            st.failure = url + ": " + ec.message();
        else if (res.status() != 200)
            st.failure = url + ": status " + std::to_string(res.status());
        else if (body != expected)
            st.failure = url + ": a body of " + std::to_string(body.size()) + " bytes, not the resource's";
        else if (res.version() != want)
            st.failure = url + ": answered over " + std::string(strata::http::to_string(res.version())) +
                         ", not " + std::string(strata::http::to_string(want));
    }
}

/// Loads the page once with a fresh client, all resources requested at
/// once (the pool queues what its connections cannot carry yet).
run_result load_page(const setup& s, unsigned short port, const std::vector<std::string>& bodies,
                     const std::string& ca_pem)
{
    net::io_context ioc{1};
    run_result result;
    std::string failure;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            strata::client_config cfg;
            cfg.enable_http2 = s.http2;
            cfg.max_connections_per_origin = s.connections_per_origin;
            cfg.tls.use_system_store = false;
            cfg.tls.ca_pem = ca_pem;
            strata::client cli{ioc.get_executor(), cfg};
            const auto want = s.http2 ? strata::http::version::http2 : strata::http::version::http1_1;

            net::steady_timer all_done{ioc, clock_type::time_point::max()};
            page_state st;
            st.pending = bodies.size();
            st.all_done = &all_done;
            const auto start = clock_type::now();
            for (std::size_t i = 0; i < bodies.size(); ++i) {
                auto url = "https://" + s.hosts[i % s.hosts.size()] + ":" + std::to_string(port) + "/page/" +
                           std::to_string(i);
                net::co_spawn(ioc, fetch(cli, std::move(url), bodies[i], want, st),
                              [&st](std::exception_ptr e) {
                                  if (e && st.failure.empty()) {
                                      try {
                                          std::rethrow_exception(e);
                                      } catch (const std::exception& ex) {
                                          st.failure = ex.what();
                                      }
                                  }
                                  if (--st.pending == 0)
                                      st.all_done->cancel();
                              });
            }
            strata::error_code ec;
            co_await all_done.async_wait(net::redirect_error(net::use_awaitable, ec));
            result.wall = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
            result.connections = cli.connections_opened();
            failure = st.failure;
        },
        [&](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    failure = ex.what();
                }
            }
            ioc.stop();
        });
    ioc.run();
    if (!failure.empty())
        throw std::runtime_error(s.name + ": " + failure);
    return result;
}

double median_ms(std::vector<run_result> runs)
{
    std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.wall < b.wall; });
    const auto n = runs.size();
    const auto mid =
        n % 2 ? runs[n / 2].wall.count() : (runs[n / 2 - 1].wall.count() + runs[n / 2].wall.count()) / 2;
    return static_cast<double>(mid) / 1000.0;
}

int run(const options& opt)
{
    std::vector<std::string> bodies;
    for (std::size_t i = 0; i < opt.resources; ++i)
        bodies.push_back(resource_body(i, opt.bytes));
    // One certificate covering the three host names of the sharded setup.
    const auto cert =
        strata::tls::make_self_signed("localhost", {"localhost", "127.0.0.1", "127.0.0.2", "127.0.0.3"});
    page_server server{opt, bodies, cert};

    const std::vector<std::string> one_host = {"127.0.0.1"};
    const std::vector<std::string> three_hosts = {"127.0.0.1", "127.0.0.2", "127.0.0.3"};
    std::vector<setup> setups;
    setups.push_back({"HTTP/1.1, 1 connection", false, 1, one_host});
    setups.push_back({"HTTP/1.1, 6 connections", false, 6, one_host});
    setups.push_back({"HTTP/1.1, 6 connections x 3 hosts (sharding)", false, 6, three_hosts});
    // Browser settings (6 per origin): the pool waits for the first
    // connection's ALPN answer and puts every request on it.
    setups.push_back({"HTTP/2, 1 connection", true, 6, one_host});

    std::printf(
        "page load: %zu resources of %zu bytes over TLS, server delay %lld ms per response, %zu runs, "
        "a fresh client each run\n",
        opt.resources, opt.bytes, static_cast<long long>(opt.delay.count()), opt.runs);
    std::vector<std::vector<run_result>> results(setups.size());
    // The setups alternate, so that a busy moment on a shared machine does
    // not fall on one of them only.
    for (std::size_t r = 0; r < opt.runs; ++r) {
        for (std::size_t k = 0; k < setups.size(); ++k) {
            const auto res = load_page(setups[k], server.port(), bodies, cert.certificate_pem);
            results[k].push_back(res);
            std::printf("  run %zu  %-46s %9.1f ms  %3zu connections\n", r + 1, setups[k].name.c_str(),
                        static_cast<double>(res.wall.count()) / 1000.0, res.connections);
        }
    }

    const double h2 = median_ms(results.back());
    std::printf("\n| how the page is fetched | connections opened | wall time, median of %zu (ms) | "
                "fastest - slowest (ms) | ÷ HTTP/2 |\n",
                opt.runs);
    std::printf("| --- | --- | --- | --- | --- |\n");
    for (std::size_t k = 0; k < setups.size(); ++k) {
        const auto& rs = results[k];
        auto [lo, hi] = std::minmax_element(rs.begin(), rs.end(),
                                            [](const auto& a, const auto& b) { return a.wall < b.wall; });
        auto [cmin, cmax] = std::minmax_element(
            rs.begin(), rs.end(), [](const auto& a, const auto& b) { return a.connections < b.connections; });
        const auto conns = cmin->connections == cmax->connections
                               ? std::to_string(cmin->connections)
                               : std::to_string(cmin->connections) + "-" + std::to_string(cmax->connections);
        const double med = median_ms(rs);
        std::printf("| %s | %s | %.1f | %.1f - %.1f | %.2fx |\n", setups[k].name.c_str(), conns.c_str(), med,
                    static_cast<double>(lo->wall.count()) / 1000.0,
                    static_cast<double>(hi->wall.count()) / 1000.0, med / h2);
    }
    std::printf("\n");
    for (std::size_t k = 0; k < setups.size(); ++k)
        std::printf("PAGE_LOAD setup=%zu http2=%d hosts=%zu per_origin=%zu median_ms=%.1f connections=%zu\n",
                    k, setups[k].http2 ? 1 : 0, setups[k].hosts.size(), setups[k].connections_per_origin,
                    median_ms(results[k]), results[k].back().connections);
    return 0;
}

int usage()
{
    std::fprintf(stderr, "usage: strata_page_load [--resources N] [--bytes N] [--delay-ms N] [--runs N]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    options opt;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string_view arg = argv[i];
            if (arg == "-h" || arg == "--help") {
                usage();
                return 0;
            }
            if (i + 1 >= argc)
                return usage();
            const std::string_view value = argv[++i];
            if (arg == "--resources")
                opt.resources = parse_count(value, "--resources");
            else if (arg == "--bytes")
                opt.bytes = parse_count(value, "--bytes");
            else if (arg == "--delay-ms")
                opt.delay = std::chrono::milliseconds{parse_count(value, "--delay-ms")};
            else if (arg == "--runs")
                opt.runs = parse_count(value, "--runs");
            else
                return usage();
        }
        if (opt.resources == 0 || opt.runs == 0)
            return usage();
        return run(opt);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata_page_load: %s\n", e.what());
        return 1;
    }
}
