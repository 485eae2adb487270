// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The same server and client over TLS: verification on by default, a test
// CA made at run time, session resumption, and clear certificate errors.

#include "test_support.hpp"

#include <strata/client.hpp>
#include <strata/error.hpp>
#include <strata/server.hpp>
#include <strata/transport/tls.hpp>
#include <strata/transport/tls_certificates.hpp>

using namespace strata;
using namespace std::chrono_literals;
using test::run;

namespace {

const tls::test_authority& authority()
{
    static const auto ca = tls::make_test_authority();
    return ca;
}

server_config tls_server_config(const tls::certificate& cert)
{
    server_config cfg;
    cfg.tls.certificate_chain_pem = cert.certificate_pem;
    cfg.tls.private_key_pem = cert.private_key_pem;
    return cfg;
}

client_config trusting_client()
{
    client_config cfg;
    cfg.tls.ca_pem = authority().ca.certificate_pem;
    return cfg;
}

class HttpsExchange : public ::testing::Test {
protected:
    void SetUp() override
    {
        srv.route("GET", "/hello", [](request& req, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok,
                              std::string(req.scheme()) + " " + std::string(http::to_string(req.version())));
        });
        srv.route("POST", "/echo", [](request& req, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, co_await req.read_body());
        });
        port = srv.listen("https://127.0.0.1:0").port();
    }
    std::string url(std::string_view host, std::string_view path) const
    {
        return "https://" + std::string(host) + ":" + std::to_string(port) + std::string(path);
    }

    net::io_context io;
    tls::certificate cert = authority().issue("localhost", {"localhost", "127.0.0.1"});
    server srv{io.get_executor(), tls_server_config(cert)};
    std::uint16_t port = 0;
};

TEST_F(HttpsExchange, VerifiedRequestOverTls)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), trusting_client()};
        auto res = co_await cli.get(url("localhost", "/hello"));
        // ALPN: the client offers h2 and the server prefers it.
        EXPECT_EQ(co_await res.body(), "https HTTP/2");
        std::string big(300'000, 'z');
        auto echoed = co_await cli.post(url("127.0.0.1", "/echo"), big, "application/octet-stream");
        EXPECT_EQ(co_await echoed.body(), big);
    });
}

TEST_F(HttpsExchange, UnknownCaIsRefusedWithAReason)
{
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor()}; // system store only: the test CA is unknown
        error_code ec;
        client_request req;
        req.url = url("localhost", "/hello");
        co_await cli.request(req, ec);
        EXPECT_EQ(ec.category(), tls::verify_category()) << ec.message();
        EXPECT_NE(ec.message().find("certificate verify failed"), std::string::npos) << ec.message();
    });
}

TEST_F(HttpsExchange, WrongHostNameIsRefused)
{
    auto other = authority().issue("elsewhere.test", {"elsewhere.test"});
    server wrong{io.get_executor(), tls_server_config(other)};
    wrong.route("GET", "/",
                [](request&, response& res) -> net::awaitable<void> { co_await res.send(status::ok); });
    auto p = wrong.listen("https://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), trusting_client()};
        error_code ec;
        client_request req;
        req.url = "https://localhost:" + std::to_string(p) + "/";
        co_await cli.request(req, ec);
        EXPECT_EQ(ec, tls::verify_error::hostname_mismatch) << ec.message();
    });
}

TEST_F(HttpsExchange, AlpnFallsBackToHttp1WhenTheServerHasNoH2)
{
    auto cfg = tls_server_config(cert);
    cfg.enable_http2 = false;
    server h1_only{io.get_executor(), cfg};
    h1_only.route("GET", "/v", [](request& req, response& res) -> net::awaitable<void> {
        co_await res.send(status::ok, http::to_string(req.version()));
    });
    auto p = h1_only.listen("https://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), trusting_client()}; // offers h2 and http/1.1
        auto res = co_await cli.get("https://localhost:" + std::to_string(p) + "/v");
        EXPECT_EQ(res.version(), http::version::http1_1);
        EXPECT_EQ(co_await res.body(), "HTTP/1.1");
    });
}

TEST_F(HttpsExchange, InsecureModeSkipsVerificationOnlyWhenAsked)
{
    run(io, [&]() -> net::awaitable<void> {
        client_config cfg;
        cfg.tls.verify_peer = false;
        client cli{io.get_executor(), cfg};
        auto res = co_await cli.get(url("localhost", "/hello"));
        EXPECT_EQ(res.status(), 200u);
        co_await res.body();
    });
}

TEST_F(HttpsExchange, SecondConnectionResumesTheSession)
{
    run(io, [&]() -> net::awaitable<void> {
        client_config cfg = trusting_client();
        cfg.max_connections_per_origin = 1;
        client cli{io.get_executor(), cfg};
        auto first = co_await cli.get(url("localhost", "/hello"));
        co_await first.body();
        cli.close_idle(); // force a new TLS connection for the next request
        auto second = co_await cli.get(url("localhost", "/hello"));
        EXPECT_EQ(co_await second.body(), "https HTTP/2");
        EXPECT_EQ(cli.connections_opened(), 2u);
        EXPECT_EQ(cli.tls_sessions_resumed(), 1u);
    });
}

TEST_F(HttpsExchange, HandshakeDeadlineCutsASilentClient)
{
    server_config cfg = tls_server_config(cert);
    cfg.handshake_timeout = 200ms;
    server slow{io.get_executor(), cfg};
    auto ep = slow.listen("https://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        auto start = std::chrono::steady_clock::now();
        auto out = co_await test::raw_exchange(ep, "", 5s); // connects and says nothing
        EXPECT_TRUE(out.empty());
        EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
        EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
    });
}

} // namespace
