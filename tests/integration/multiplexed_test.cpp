// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// What HTTP/2 and HTTP/3 have and HTTP/1.1 lacks, end to end between
// strata's client and server: multiplexing on one connection up to the
// server's stream limit, flow control under small windows, per-stream
// deadlines and cancellation, and graceful shutdown with GOAWAY. The tests
// run HTTP/2 over TCP (prior knowledge) and TLS (ALPN), and HTTP/3 over QUIC.

#include "test_support.hpp"
#include "transports.hpp"

#include <strata/client.hpp>
#include <strata/error.hpp>
#include <strata/http2/connection.hpp>
#include <strata/server.hpp>

#include <boost/asio/detached.hpp>

#include <atomic>
#include <functional>
#include <vector>

using namespace strata;
using namespace std::chrono_literals;
using test::run;

namespace {

std::string pattern(std::size_t n)
{
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('A' + (i * 31 + i / 4096) % 26);
    return s;
}

class Multiplexed : public ::testing::TestWithParam<test::transport> {
protected:
    test::transport transport() const { return GetParam(); }
    bool h3() const { return GetParam().h3(); }
    std::string version_name() const { return std::string(http::to_string(GetParam().version)); }
    /// Stream and connection receive windows, for either protocol.
    void set_windows(server_config& cfg, std::uint32_t stream, std::uint32_t connection) const
    {
        cfg.http2.initial_stream_window = stream;
        cfg.http2.connection_window = connection;
        cfg.quic.stream_window = cfg.quic.max_stream_window = stream;
        cfg.quic.connection_window = cfg.quic.max_connection_window = connection;
    }
    void set_windows(client_config& cfg, std::uint32_t stream, std::uint32_t connection) const
    {
        cfg.http2.initial_stream_window = stream;
        cfg.http2.connection_window = connection;
        cfg.quic.stream_window = cfg.quic.max_stream_window = stream;
        cfg.quic.connection_window = cfg.quic.max_connection_window = connection;
    }

    void start(server_config cfg = {})
    {
        srv = std::make_unique<server>(io.get_executor(), test::server_config_for(transport(), cfg));
        srv->route("GET", "/hello", [](request& req, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, http::to_string(req.version()));
        });
        srv->route("GET", "/slow", [this](request&, response& res) -> net::awaitable<void> {
            ++in_flight;
            max_in_flight = std::max(max_in_flight, in_flight);
            co_await test::sleep_for(100ms);
            --in_flight;
            co_await res.send(status::ok, "slow");
        });
        srv->route("GET", "/big", [this](request& req, response& res) -> net::awaitable<void> {
            auto n = std::stoul(req.query_param("n").value_or("4194304"));
            auto body = pattern(n);
            co_await res.start(status::ok);
            error_code ec;
            for (std::size_t at = 0; at < body.size() && !ec; at += 64 * 1024)
                co_await res.write(std::string_view(body).substr(at, 64 * 1024), ec);
            if (ec)
                big_write_error = ec;
            else
                co_await res.finish(ec);
        });
        srv->route("POST", "/echo", [](request& req, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, co_await req.read_body(64 * 1024 * 1024));
        });
        srv->route("GET", "/never", [this](request&, response& res) -> net::awaitable<void> {
            co_await test::sleep_for(1500ms);
            error_code ec;
            co_await res.send(status::ok, "late", "text/plain", ec);
            never_write_error = ec;
        });
        port = srv->listen(transport().listen_scheme() + "://127.0.0.1:0").port();
    }
    std::string url(std::string_view path) const
    {
        return transport().scheme() + "://127.0.0.1:" + std::to_string(port) + std::string(path);
    }
    client_config client_cfg(client_config cfg = {}) const
    {
        return test::client_config_for(transport(), cfg);
    }

    net::io_context io;
    std::unique_ptr<server> srv;
    std::uint16_t port = 0;
    int in_flight = 0, max_in_flight = 0;
    error_code big_write_error, never_write_error;
};

TEST_P(Multiplexed, ConcurrentRequestsShareOneConnection)
{
    start();
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        int done = 0;
        auto one = [&]() -> net::awaitable<void> {
            auto res = co_await cli.get(url("/slow"));
            EXPECT_EQ(res.version(), transport().version);
            EXPECT_EQ(co_await res.body(), "slow");
            ++done;
        };
        auto ex = co_await net::this_coro::executor;
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 50; ++i)
            net::co_spawn(ex, one(), net::detached);
        while (done < 50)
            co_await test::sleep_for(5ms);
        // Fifty 100 ms handlers at once on one connection: no head-of-line wait.
        EXPECT_EQ(cli.connections_opened(), 1u);
        EXPECT_EQ(max_in_flight, 50);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
    });
}

TEST_P(Multiplexed, SecondConnectionOnlyWhenTheStreamLimitIsReached)
{
    server_config cfg;
    cfg.http2.max_concurrent_streams = 4;
    cfg.quic.max_streams_bidi = 4;
    start(cfg);
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        int done = 0;
        auto one = [&]() -> net::awaitable<void> {
            error_code ec;
            client_request req;
            req.url = url("/slow");
            auto res = co_await cli.request(req, ec);
            EXPECT_FALSE(ec) << ec.message();
            EXPECT_EQ(co_await res.body(ec), "slow");
            ++done;
        };
        auto ex = co_await net::this_coro::executor;
        for (int i = 0; i < 10; ++i)
            net::co_spawn(ex, one(), net::detached);
        while (done < 10)
            co_await test::sleep_for(5ms);
        // Four streams per connection: ten requests need three connections, no more.
        EXPECT_EQ(cli.connections_opened(), 3u);
        EXPECT_LE(max_in_flight, 10);
    });
}

TEST_P(Multiplexed, SmallWindowsStillCarryLargeBodiesBothWays)
{
    server_config cfg;
    set_windows(cfg, 1024, 4096);
    start(cfg);
    run(io, [&]() -> net::awaitable<void> {
        client_config ccfg;
        set_windows(ccfg, 1024, 4096);
        client cli{io.get_executor(), client_cfg(ccfg)};
        auto upload = pattern(300'000);
        auto echoed = co_await cli.post(url("/echo"), upload, "application/octet-stream");
        EXPECT_EQ(co_await echoed.body(), upload);
        auto big = co_await cli.get(url("/big?n=500000"));
        EXPECT_EQ(co_await big.body(), pattern(500'000));
    });
}

TEST_P(Multiplexed, ASlowReaderStallsOnlyItsOwnStream)
{
    start();
    run(io, [&]() -> net::awaitable<void> {
        client_config ccfg;
        set_windows(ccfg, 64 * 1024, 256 * 1024);
        client cli{io.get_executor(), client_cfg(ccfg)};
        // Read one piece of a 4 MiB body and then nothing for a while.
        auto big = co_await cli.get(url("/big"));
        char piece[1000];
        EXPECT_GT(co_await big.read_some(net::buffer(piece)), 0u);
        // Other streams on the same connection go on meanwhile.
        for (int i = 0; i < 20; ++i) {
            auto res = co_await cli.get(url("/hello"));
            EXPECT_EQ(co_await res.body(), version_name());
        }
        EXPECT_EQ(cli.connections_opened(), 1u);
        // The stalled stream resumes and arrives whole.
        std::string rest(piece, sizeof piece);
        rest += co_await big.body();
        EXPECT_EQ(rest, pattern(4 * 1024 * 1024));
    });
}

TEST_P(Multiplexed, AResponseDeadlineResetsOnlyItsStream)
{
    start();
    run(io, [&]() -> net::awaitable<void> {
        client_config ccfg;
        ccfg.response_timeout = 200ms;
        client cli{io.get_executor(), client_cfg(ccfg)};
        auto warm = co_await cli.get(url("/hello"));
        co_await warm.body();
        error_code ec;
        client_request req;
        req.url = url("/never");
        auto start = std::chrono::steady_clock::now();
        co_await cli.request(req, ec);
        EXPECT_EQ(ec, error::timeout);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
        // The connection survived the reset stream.
        auto after = co_await cli.get(url("/hello"));
        EXPECT_EQ(co_await after.body(), version_name());
        EXPECT_EQ(cli.connections_opened(), 1u);
        // The server learnt of the RST_STREAM: its late answer had nowhere to go.
        co_await test::sleep_for(1600ms);
        EXPECT_EQ(never_write_error, error::stream_closed);
    });
}

TEST_P(Multiplexed, DroppingAResponseCancelsItsStream)
{
    start();
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        {
            auto big = co_await cli.get(url("/big?n=16777216"));
            char piece[100];
            EXPECT_GT(co_await big.read_some(net::buffer(piece)), 0u);
        } // destroyed half-read: RST_STREAM(CANCEL)
        for (int i = 0; i < 100 && !big_write_error; ++i)
            co_await test::sleep_for(10ms);
        EXPECT_EQ(big_write_error, error::stream_closed);
        auto res = co_await cli.get(url("/hello"));
        EXPECT_EQ(co_await res.body(), version_name());
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(Multiplexed, GracefulShutdownLetsStreamsInFlightFinish)
{
    start();
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        auto warm = co_await cli.get(url("/hello"));
        co_await warm.body();
        bool finished = false;
        auto ex = co_await net::this_coro::executor;
        net::co_spawn(
            ex,
            [&]() -> net::awaitable<void> {
                auto res = co_await cli.get(url("/slow"));
                EXPECT_EQ(co_await res.body(), "slow");
                finished = true;
            },
            net::detached);
        co_await test::sleep_for(30ms);
        srv->shutdown(); // GOAWAY: the slow stream is in flight and finishes
        bool stopped = false;
        srv->async_wait_stopped([&](error_code) { stopped = true; });
        for (int i = 0; i < 200 && !stopped; ++i)
            co_await test::sleep_for(10ms);
        EXPECT_TRUE(finished);
        EXPECT_TRUE(stopped);
        EXPECT_EQ(srv->connection_count(), 0u);
    });
}

INSTANTIATE_TEST_SUITE_P(Versions, Multiplexed,
                         ::testing::Values(test::transport{http::version::http2, false},
                                           test::transport{http::version::http2, true},
                                           test::transport{http::version::http3, true}),
                         test::transport_name);

// A "server" that accepts and never sends its preface: requests on the
// connection, and those waiting for its SETTINGS, fail by the handshake
// deadline instead of waiting for ever.
TEST(Http2Client, AServerThatNeverSendsSettingsFailsItsRequestsInTime)
{
    net::io_context io;
    net::ip::tcp::acceptor silent{io, {net::ip::make_address("127.0.0.1"), 0}};
    std::vector<net::ip::tcp::socket> held;
    std::function<void()> accept_more = [&] {
        silent.async_accept([&](error_code ec, net::ip::tcp::socket s) {
            if (ec)
                return;
            held.push_back(std::move(s)); // read nothing, say nothing
            accept_more();
        });
    };
    accept_more();
    auto url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
    client_config cfg;
    cfg.http2_prior_knowledge = true;
    cfg.handshake_timeout = 300ms;
    cfg.response_timeout = 10s;
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), cfg};
        int done = 0;
        auto one = [&]() -> net::awaitable<void> {
            error_code ec;
            client_request req;
            req.url = url;
            co_await cli.request(req, ec);
            EXPECT_TRUE(ec) << "a request to a silent server succeeded";
            ++done;
        };
        auto ex = co_await net::this_coro::executor;
        auto start = std::chrono::steady_clock::now();
        net::co_spawn(ex, one(), net::detached);
        net::co_spawn(ex, one(), net::detached);
        while (done < 2 && std::chrono::steady_clock::now() - start < 5s)
            co_await test::sleep_for(10ms);
        EXPECT_EQ(done, 2);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
        silent.close();
    });
}

// Extended CONNECT (RFC 8441), which WebSockets over HTTP/2 stand on: the
// server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL when configured, and a
// CONNECT with :protocol reaches the handler as an upgrade whose body is a
// byte stream both ways. The client side is an http2::connection on a raw
// socket: strata::client gains extended CONNECT with WebSockets.
net::awaitable<bool> extended_connect_echo(std::uint16_t port, bool& advertised)
{
    auto ex = co_await net::this_coro::executor;
    net::ip::tcp::socket s{ex};
    co_await s.async_connect({net::ip::make_address("127.0.0.1"), port}, net::use_awaitable);
    http2::connection codec{http2::role::client};
    std::byte buf[16384];
    auto flush = [&]() -> net::awaitable<void> {
        auto out = codec.poll_output();
        if (!out.empty())
            co_await net::async_write(s, out, net::use_awaitable);
    };
    // Reads until `done` says so; false when the connection ends first.
    auto read_until = [&](auto done) -> net::awaitable<bool> {
        for (;;) {
            error_code ec;
            auto n =
                co_await s.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
            std::span<const std::byte> in{buf, n};
            while (!in.empty()) {
                in = in.subspan(codec.handle_bytes(in));
                while (auto ev = codec.poll_event())
                    if (done(*ev))
                        co_return true;
            }
            co_await flush();
            if (ec)
                co_return false;
        }
    };
    co_await flush();
    co_await read_until([](const http::event& ev) { return std::holds_alternative<http::settings>(ev); });
    advertised = codec.peer_enable_connect_protocol();
    if (!advertised)
        co_return false;
    error_code ec;
    auto id = codec.next_stream_id();
    auto authority = "127.0.0.1:" + std::to_string(port);
    codec.submit_headers(id, http2::request_head{"CONNECT", "http", authority, "/chat", "websocket", {}},
                         false, ec);
    EXPECT_FALSE(ec) << ec.message();
    std::string_view hello = "hello over a tunnel";
    codec.submit_data(id, std::as_bytes(std::span(hello.data(), hello.size())), false, ec);
    co_await flush();
    unsigned status = 0;
    std::string echoed;
    co_await read_until([&](const http::event& ev) {
        if (auto* h = std::get_if<http::headers>(&ev)) {
            status = h->status;
            return h->end_stream;
        }
        if (auto* d = std::get_if<http::data>(&ev)) {
            echoed.append(reinterpret_cast<const char*>(d->bytes.data()), d->bytes.size());
            codec.consume(d->stream, d->bytes.size());
            return d->end_stream || echoed.size() >= hello.size();
        }
        if (auto* r = std::get_if<http::reset>(&ev)) {
            ADD_FAILURE() << "stream reset: " << r->code.message();
            return true;
        }
        return false;
    });
    EXPECT_EQ(status, 200u);
    EXPECT_EQ(echoed, hello);
    co_return status == 200 && echoed == hello;
}

TEST(Http2ExtendedConnect, TunnelsBytesWhenEnabled)
{
    net::io_context io;
    server_config cfg;
    cfg.http2.enable_connect_protocol = true;
    server srv{io.get_executor(), cfg};
    srv.route("CONNECT", "/chat", [](request& req, response& res) -> net::awaitable<void> {
        EXPECT_TRUE(req.is_upgrade());
        co_await res.start(status::switching_protocols); // 200 on HTTP/2 (RFC 8441 §5)
        char buf[64];
        auto n = co_await req.read_some(net::buffer(buf));
        co_await res.write(std::string_view(buf, n));
        co_await res.finish();
    });
    auto port = srv.listen("http://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        bool advertised = false;
        EXPECT_TRUE(co_await extended_connect_echo(port, advertised));
        EXPECT_TRUE(advertised);
    });
}

TEST(Http2ExtendedConnect, NotAdvertisedByDefault)
{
    net::io_context io;
    server srv{io.get_executor()};
    auto port = srv.listen("http://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        bool advertised = true;
        EXPECT_FALSE(co_await extended_connect_echo(port, advertised));
        EXPECT_FALSE(advertised);
    });
}

} // namespace
