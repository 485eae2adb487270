// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// strata client <-> strata server on loopback: the request/response
// pattern, bodies both ways, keep-alive, pooling and multiplexing. Every
// test runs on HTTP/1.1 and HTTP/2, each over TCP and over TLS, with the
// same handlers and the same client calls (DESIGN.md rule 4).

#include "test_support.hpp"
#include "transports.hpp"

#include <strata/client.hpp>
#include <strata/conditional.hpp>
#include <strata/error.hpp>
#include <strata/server.hpp>

#include <boost/asio/detached.hpp>

#include <cstring>

using namespace strata;
using namespace std::chrono_literals;
using test::run;

namespace {

using test::transport;

class Exchange : public ::testing::TestWithParam<transport> {
protected:
    /// A client that speaks the version under test: ALPN offers h2 or
    /// not on TLS; prior knowledge decides on TCP.
    client_config client_cfg() const { return test::client_config_for(GetParam()); }
    /// HTTP/2 and HTTP/3 carry many exchanges on one connection at once.
    bool multiplexed() const { return GetParam().h2() || GetParam().h3(); }
    std::string scheme() const { return GetParam().scheme(); }
    std::string listen_scheme() const { return GetParam().listen_scheme(); }

    void SetUp() override
    {
        srv.route("GET", "/hello", [](request&, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, "hello\n");
        });
        srv.route("POST", "/echo", [](request& req, response& res) -> net::awaitable<void> {
            auto body = co_await req.read_body();
            res.set_header("X-Version", http::to_string(req.version()));
            co_await res.send(status::ok, body,
                              req.header("Content-Type").value_or("application/octet-stream"));
        });
        srv.route("GET", "/users/{id}/files/{rest...}",
                  [](request& req, response& res) -> net::awaitable<void> {
                      co_await res.send(status::ok,
                                        std::string(req.param("id")) + "|" + std::string(req.param("rest")));
                  });
        srv.route("GET", "/stream", [](request& req, response& res) -> net::awaitable<void> {
            int n = std::stoi(req.query_param("n").value_or("3"));
            co_await res.start(status::ok);
            for (int i = 0; i < n; ++i)
                co_await res.write("chunk " + std::to_string(i) + "\n");
            http::fields trailers{{"X-Checksum", "42"}};
            co_await res.finish(trailers, ignored);
        });
        srv.route("GET", "/peer", [](request& req, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, req.remote_address().to_string());
        });
        srv.route("GET", "/throws", [](request&, response&) -> net::awaitable<void> {
            throw std::runtime_error("handler bug");
            co_return;
        });
        endpoint = srv.listen(listen_scheme() + "://127.0.0.1:0");
        base = scheme() + "://127.0.0.1:" + std::to_string(endpoint.port());
    }

    static inline error_code ignored;
    net::io_context io;
    server srv{io.get_executor(), test::server_config_for(GetParam())};
    net::ip::tcp::endpoint endpoint;
    std::string base;
};

TEST_P(Exchange, GetReturnsBodyAndVersion)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        auto res = co_await cli.get(base + "/hello");
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.version(), GetParam().version);
        EXPECT_EQ(res.header("Content-Type"), "text/plain; charset=utf-8");
        EXPECT_EQ(res.header("Server"), "strata");
        EXPECT_TRUE(res.header("Date").has_value());
        EXPECT_EQ(co_await res.body(), "hello\n");
    });
}

TEST_P(Exchange, PostEchoesBodyWithContentLength)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        std::string big(100'000, 'x');
        for (std::size_t i = 0; i < big.size(); ++i)
            big[i] = static_cast<char>('a' + i % 26);
        auto res = co_await cli.post(base + "/echo", big, "text/plain");
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.header("X-Version"), http::to_string(GetParam().version));
        EXPECT_EQ(res.header("Content-Length"), std::to_string(big.size()));
        EXPECT_EQ(co_await res.body(), big);
    });
}

TEST_P(Exchange, StreamedUploadIsChunked)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        client_request req;
        req.method = "POST";
        req.url = base + "/echo";
        int pieces = 0;
        req.body_source = [&](std::span<std::byte> out) -> net::awaitable<std::size_t> {
            if (pieces == 5)
                co_return 0;
            auto text = "piece" + std::to_string(pieces++) + ";";
            std::memcpy(out.data(), text.data(), text.size());
            co_return text.size();
        };
        error_code ec;
        auto res = co_await cli.request(std::move(req), ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(co_await res.body(), "piece0;piece1;piece2;piece3;piece4;");
    });
}

TEST_P(Exchange, ExpectContinueSendsBodyAfter100)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        client_request req;
        req.method = "POST";
        req.url = base + "/echo";
        req.body = "after continue";
        req.expect_continue = true;
        auto start = std::chrono::steady_clock::now();
        error_code ec;
        auto res = co_await cli.request(std::move(req), ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(co_await res.body(), "after continue");
        // The server answered 100 at once: the client did not sit out its 1 s fallback.
        EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
    });
}

TEST_P(Exchange, StreamedResponseWithTrailers)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        auto res = co_await cli.get(base + "/stream?n=4");
        // Chunked framing on HTTP/1.1; HTTP/2 and HTTP/3 frame bodies themselves and forbid the field.
        if (multiplexed())
            EXPECT_FALSE(res.header("Transfer-Encoding").has_value());
        else
            EXPECT_EQ(res.header("Transfer-Encoding"), "chunked");
        std::string all;
        char buf[5];
        for (;;) {
            auto n = co_await res.read_some(net::buffer(buf));
            if (n == 0)
                break;
            all.append(buf, n);
        }
        EXPECT_EQ(all, "chunk 0\nchunk 1\nchunk 2\nchunk 3\n");
        EXPECT_EQ(res.trailers().get("X-Checksum"), "42");
    });
}

TEST_P(Exchange, KeepAliveReusesOneConnection)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        for (int i = 0; i < 5; ++i) {
            auto res = co_await cli.get(base + "/hello");
            EXPECT_EQ(co_await res.body(), "hello\n");
            EXPECT_EQ(res.reused_connection(), i > 0);
        }
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(Exchange, PoolHoldsAtMostConfiguredConnectionsPerOrigin)
{
    srv.route("GET", "/slow", [](request&, response& res) -> net::awaitable<void> {
        co_await test::sleep_for(50ms);
        co_await res.send(status::ok, "slow");
    });
    run(io, [&]() -> net::awaitable<void> {
        client_config cfg = client_cfg();
        cfg.max_connections_per_origin = 2;
        client cli{io.get_executor(), cfg};
        int done = 0;
        auto one = [&]() -> net::awaitable<void> {
            auto res = co_await cli.get(base + "/slow");
            EXPECT_EQ(co_await res.body(), "slow");
            ++done;
        };
        auto ex = co_await net::this_coro::executor;
        for (int i = 0; i < 8; ++i)
            net::co_spawn(ex, one(), net::detached);
        while (done < 8)
            co_await test::sleep_for(10ms);
        // HTTP/1.1: two connections, four rounds of 50 ms, the pool queued the
        // rest. HTTP/2 and HTTP/3: one connection carries all eight at once.
        EXPECT_EQ(cli.connections_opened(), multiplexed() ? 1u : 2u);
    });
}

TEST_P(Exchange, HeadHasHeadersButNoBody)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        client_request req;
        req.method = "HEAD";
        req.url = base + "/hello";
        error_code ec;
        auto res = co_await cli.request(std::move(req), ec);
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.header("Content-Length"), "6");
        EXPECT_EQ(co_await res.body(), "");
        // The connection is clean for the next request.
        auto again = co_await cli.get(base + "/hello");
        EXPECT_EQ(co_await again.body(), "hello\n");
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(Exchange, RouterParamsNotFoundAndMethodNotAllowed)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        auto res = co_await cli.get(base + "/users/42/files/a/b%20c.txt");
        EXPECT_EQ(co_await res.body(), "42|a/b c.txt");
        auto missing = co_await cli.get(base + "/nope");
        EXPECT_EQ(missing.status(), 404u);
        co_await missing.body();
        auto wrong = co_await cli.post(base + "/hello", "x", "text/plain");
        EXPECT_EQ(wrong.status(), 405u);
        EXPECT_EQ(wrong.header("Allow"), "GET");
        co_await wrong.body();
    });
}

TEST_P(Exchange, HandlerExceptionBecomes500AndConnectionSurvives)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        auto res = co_await cli.get(base + "/throws");
        EXPECT_EQ(res.status(), 500u);
        co_await res.body();
        auto ok = co_await cli.get(base + "/hello");
        EXPECT_EQ(ok.status(), 200u);
        co_await ok.body();
    });
}

TEST_P(Exchange, PeerAddressIsVisibleToHandlers)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        auto res = co_await cli.get(base + "/peer");
        EXPECT_EQ(co_await res.body(), "127.0.0.1");
    });
}

TEST_P(Exchange, RedirectsAreFollowedWhenAsked)
{
    srv.route("POST", "/old", [](request&, response& res) -> net::awaitable<void> {
        res.set_header("Location", "/hello");
        co_await res.send(status::see_other, "moved");
    });
    srv.route("GET", "/loop", [](request&, response& res) -> net::awaitable<void> {
        res.set_header("Location", "/loop");
        co_await res.send(status::found);
    });
    run(io, [&]() -> net::awaitable<void> {
        client_config cfg = client_cfg();
        cfg.follow_redirects = true;
        cfg.max_redirects = 3;
        client cli{io.get_executor(), cfg};
        auto res = co_await cli.post(base + "/old", "data", "text/plain");
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.url().target, "/hello");
        EXPECT_EQ(co_await res.body(), "hello\n");
        error_code ec;
        client_request loop;
        loop.url = base + "/loop";
        co_await cli.request(loop, ec);
        EXPECT_EQ(ec, error::too_many_redirects);
    });
}

TEST_P(Exchange, ConditionalGetAnswers304)
{
    srv.route("GET", "/doc", [](request& req, response& res) -> net::awaitable<void> {
        std::string doc = "version 1";
        auto tag = make_etag(doc);
        res.set_header("ETag", tag);
        if (not_modified(req, tag))
            co_await res.send(status::not_modified, {}, {});
        else
            co_await res.send(status::ok, doc);
    });
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        auto first = co_await cli.get(base + "/doc");
        auto tag = std::string(first.header("ETag").value_or(""));
        EXPECT_EQ(co_await first.body(), "version 1");
        client_request again;
        again.url = base + "/doc";
        again.fields.add("If-None-Match", "\"other\", W/" + tag);
        error_code ec;
        auto second = co_await cli.request(again, ec);
        EXPECT_EQ(second.status(), 304u);
        EXPECT_EQ(co_await second.body(), "");
    });
}

TEST_P(Exchange, ListensOnIpv6Loopback)
{
    auto ep6 = srv.listen(listen_scheme() + "://[::1]:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        auto res = co_await cli.get(scheme() + "://[::1]:" + std::to_string(ep6.port()) + "/peer");
        EXPECT_EQ(res.version(), GetParam().version);
        EXPECT_EQ(co_await res.body(), "::1");
    });
}

TEST_P(Exchange, ConnectionRefusedIsAnError)
{
    run(io, [&]() -> net::awaitable<void> {
        // A port nobody listens on; over QUIC the ICMP port-unreachable
        // answer to the first Initial says so.
        net::ip::tcp::acceptor probe{io, {net::ip::address_v4::loopback(), 0}};
        auto port = probe.local_endpoint().port();
        probe.close();
        client cli{io.get_executor(), client_cfg()};
        error_code ec;
        client_request req;
        req.url = scheme() + "://127.0.0.1:" + std::to_string(port) + "/";
        co_await cli.request(req, ec);
        EXPECT_EQ(ec, net::error::connection_refused);
    });
}

TEST_P(Exchange, CallbackAndFutureTokensWork)
{
    std::string via_callback;
    client cli{io.get_executor(), client_cfg()};
    cli.get(base + "/hello", [&](error_code ec, client_response res) {
        EXPECT_FALSE(ec);
        via_callback = std::to_string(res.status());
        io.stop();
    });
    io.run_for(10s);
    EXPECT_EQ(via_callback, "200");
}

TEST_P(Exchange, NoContentAndNotModifiedCarryNoLength)
{
    srv.route("DELETE", "/thing",
              [](request&, response& res) -> net::awaitable<void> { co_await res.send(status::no_content); });
    srv.route("GET", "/same", [](request&, response& res) -> net::awaitable<void> {
        error_code ec;
        co_await res.send(status::not_modified, "a body", "text/plain", ec);
        EXPECT_EQ(ec, error::body_not_allowed); // refused before anything was sent
        res.set_header("ETag", "\"v1\"");
        co_await res.send(status::not_modified);
    });
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        client_request del;
        del.method = "DELETE";
        del.url = base + "/thing";
        error_code ec;
        auto res = co_await cli.request(del, ec);
        EXPECT_EQ(res.status(), 204u);
        EXPECT_FALSE(res.header("Content-Length").has_value());
        co_await res.body();
        auto same = co_await cli.get(base + "/same");
        EXPECT_EQ(same.status(), 304u);
        EXPECT_FALSE(same.header("Content-Length").has_value());
        EXPECT_FALSE(same.header("Content-Type").has_value());
        EXPECT_EQ(same.header("ETag"), "\"v1\"");
        co_await same.body();
        EXPECT_EQ(cli.connections_opened(), 1u);
    });
}

TEST_P(Exchange, OversizedResponseBodyIsRefusedAndItsConnectionDropped)
{
    run(io, [&]() -> net::awaitable<void> {
        client_config cfg = client_cfg();
        cfg.max_body_bytes = 1000;
        client cli{io.get_executor(), cfg};
        auto res = co_await cli.post(base + "/echo", std::string(100'000, 'b'), "text/plain");
        error_code ec;
        co_await res.body(ec);
        EXPECT_EQ(ec, error::body_too_large);
        // HTTP/1.1: the half-read connection was closed, not pooled, and the
        // next request opens another. HTTP/2 and HTTP/3: only the stream was reset.
        auto next = co_await cli.get(base + "/hello");
        EXPECT_EQ(co_await next.body(), "hello\n");
        EXPECT_EQ(next.reused_connection(), multiplexed());
        EXPECT_EQ(cli.connections_opened(), multiplexed() ? 1u : 2u);
    });
}

TEST_P(Exchange, RunReturnsWhileOnlyIdlePooledConnectionsRemain)
{
    net::io_context io;
    auto srv = std::make_unique<server>(io.get_executor(), test::server_config_for(GetParam()));
    srv->route("GET", "/",
               [](request&, response& res) -> net::awaitable<void> { co_await res.send(status::ok, "x"); });
    auto port = srv->listen(listen_scheme() + "://127.0.0.1:0").port();
    client cli{io.get_executor(), client_cfg()};
    bool fetched = false;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            auto res = co_await cli.get(scheme() + "://127.0.0.1:" + std::to_string(port) + "/");
            EXPECT_EQ(res.version(), GetParam().version);
            fetched = co_await res.body() == "x";
            srv->shutdown(); // the server's side ends; the client's connection stays pooled
        },
        net::detached);
    auto start = std::chrono::steady_clock::now();
    io.run_for(10s);
    EXPECT_TRUE(fetched);
    EXPECT_TRUE(io.stopped()) << "run() did not return: something of the client kept the executor busy";
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

INSTANTIATE_TEST_SUITE_P(Versions, Exchange, test::all_transports(), test::transport_name);

} // namespace
