// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// What only HTTP/3 has: discovery by Alt-Svc and the fallback to TCP when
// QUIC fails, 0-RTT on a resumed connection, address validation by Retry,
// and an Initial flood from many addresses that the server must not amplify.
// (Everything else runs on HTTP/3 through the shared suites.)

#include <strata/config.hpp>

#include "test_support.hpp"
#include "transports.hpp"

// The flood test builds real client Initials with strata's own QUIC
// connection (private to the library) rather than a hand-rolled encoder.
#include "../../src/transport/quic/connection.hpp"

#include <strata/client.hpp>
#include <strata/error.hpp>
#include <strata/server.hpp>

#include <boost/asio/ip/udp.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace strata {
namespace {

using namespace std::chrono_literals;
using test::run;

const test::transport h3{http::version::http3, true};
const test::transport h2_tls{http::version::http2, true};

server_config tls_server_config(server_config cfg = {})
{
    return test::server_config_for(h3, std::move(cfg));
}

/// A client that starts on TCP (h2 by ALPN) and follows Alt-Svc.
client_config browser_like()
{
    auto cfg = test::client_config_for(h2_tls);
    cfg.enable_http3 = true;
    return cfg;
}

void add_routes(server& srv)
{
    srv.route("GET", "/hello", [](request&, response& res) -> net::awaitable<void> {
        co_await res.send(status::ok, "hello\n");
    });
    srv.route("POST", "/echo", [](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        auto body = co_await req.read_body(1 << 20, ec);
        co_await res.send(status::ok, body);
    });
}

TEST(Http3, AltSvcMovesLaterRequestsToHttp3)
{
    net::io_context io;
    server srv{io.get_executor(), tls_server_config()};
    add_routes(srv);
    auto quic_port = srv.listen("quic://127.0.0.1:0").port();
    auto tls_port = srv.listen("https://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), browser_like()};
        auto url = "https://127.0.0.1:" + std::to_string(tls_port) + "/hello";
        auto first = co_await cli.get(url);
        EXPECT_EQ(first.version(), http::version::http2);
        EXPECT_EQ(first.header("Alt-Svc"), "h3=\":" + std::to_string(quic_port) + "\"; ma=86400");
        EXPECT_EQ(co_await first.body(), "hello\n");
        auto second = co_await cli.get(url);
        EXPECT_EQ(second.version(), http::version::http3);
        EXPECT_EQ(co_await second.body(), "hello\n");
        // HTTP/3 responses do not advertise what they already are.
        EXPECT_FALSE(second.header("Alt-Svc").has_value());
        EXPECT_NE(cli.version_reason("https://127.0.0.1:" + std::to_string(tls_port)).find("Alt-Svc"),
                  std::string::npos);
        srv.shutdown();
    });
}

TEST(Http3, AltSvcClearAndForeignHostsAreNotFollowed)
{
    net::io_context io;
    server srv{io.get_executor(), tls_server_config()};
    std::string advertised;
    srv.route("GET", "/", [&](request&, response& res) -> net::awaitable<void> {
        res.set_header("Alt-Svc", advertised);
        co_await res.send(status::ok, "x");
    });
    auto quic_port = srv.listen("quic://127.0.0.1:0").port();
    auto tls_port = srv.listen("https://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), browser_like()};
        auto url = "https://127.0.0.1:" + std::to_string(tls_port) + "/";
        // Another host: its certificate would have to be checked for this origin.
        advertised = "h3=\"elsewhere.example:" + std::to_string(quic_port) + "\"";
        co_await (co_await cli.get(url)).body();
        EXPECT_EQ((co_await cli.get(url)).version(), http::version::http2);
        // A protocol we do not speak, then h3 on this host: the h3 entry counts.
        advertised = "h2=\":1\", h3=\":" + std::to_string(quic_port) + "\"; ma=60";
        co_await (co_await cli.get(url)).body();
        auto moved = co_await cli.get(url);
        EXPECT_EQ(moved.version(), http::version::http3);
        co_await moved.body();
        srv.shutdown();
    });
}

TEST(Http3, FallsBackToTcpWhenQuicIsUnreachableAndRemembers)
{
    net::io_context io;
    server srv{io.get_executor(), tls_server_config()};
    // A UDP port that swallows everything: no ICMP answer, so only the QUIC
    // handshake deadline tells the client that HTTP/3 does not work here.
    net::ip::udp::socket black_hole{io, {net::ip::address_v4::loopback(), 0}};
    auto hole = black_hole.local_endpoint().port();
    srv.route("GET", "/", [&](request&, response& res) -> net::awaitable<void> {
        res.set_header("Alt-Svc", "h3=\":" + std::to_string(hole) + "\"");
        co_await res.send(status::ok, "tcp");
    });
    auto tls_port = srv.listen("https://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        auto cfg = browser_like();
        cfg.http3_handshake_timeout = 300ms;
        client cli{io.get_executor(), cfg};
        auto origin = "https://127.0.0.1:" + std::to_string(tls_port);
        co_await (co_await cli.get(origin + "/")).body();
        auto start = std::chrono::steady_clock::now();
        auto fallback = co_await cli.get(origin + "/");
        EXPECT_EQ(fallback.version(), http::version::http2);
        EXPECT_EQ(co_await fallback.body(), "tcp");
        EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
        EXPECT_NE(cli.version_reason(origin).find("fell back to TCP"), std::string::npos)
            << cli.version_reason(origin);
        // Remembered: the next request does not wait for QUIC again.
        start = std::chrono::steady_clock::now();
        auto again = co_await cli.get(origin + "/");
        EXPECT_EQ(again.version(), http::version::http2);
        co_await again.body();
        EXPECT_LT(std::chrono::steady_clock::now() - start, 250ms);
        srv.shutdown();
    });
}

TEST(Http3, Http3OnlyFailsWhenQuicIsUnreachable)
{
    net::io_context io;
    net::ip::udp::socket black_hole{io, {net::ip::address_v4::loopback(), 0}};
    auto hole = black_hole.local_endpoint().port();
    run(io, [&]() -> net::awaitable<void> {
        auto cfg = test::client_config_for(h3);
        cfg.http3_handshake_timeout = 200ms;
        client cli{io.get_executor(), cfg};
        error_code ec;
        client_request req;
        req.url = "https://127.0.0.1:" + std::to_string(hole) + "/";
        co_await cli.request(req, ec);
        EXPECT_EQ(ec, error::timeout);
        // Over a closed port ICMP answers at once.
        black_hole.close();
        auto start = std::chrono::steady_clock::now();
        co_await cli.request(req, ec);
        EXPECT_EQ(ec, net::error::connection_refused) << ec.message();
        EXPECT_LT(std::chrono::steady_clock::now() - start, 150ms);
    });
}

TEST(Http3, ResumedConnectionSendsIdempotentRequestsInZeroRtt)
{
    net::io_context io;
    server srv{io.get_executor(), tls_server_config()};
    add_routes(srv);
    auto port = srv.listen("quic://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), test::client_config_for(h3)};
        auto base = "https://127.0.0.1:" + std::to_string(port);
        EXPECT_EQ(co_await (co_await cli.get(base + "/hello")).body(), "hello\n");
        EXPECT_EQ(cli.early_data_requests(), 0u);
        // The ticket arrives after the handshake; then a new connection.
        co_await test::sleep_for(150ms);
        cli.close_idle();
        EXPECT_EQ(co_await (co_await cli.get(base + "/hello")).body(), "hello\n");
        EXPECT_EQ(cli.connections_opened(), 2u);
        EXPECT_EQ(cli.early_data_requests(), 1u);
        // A POST is not idempotent: it waits for the handshake, even on a
        // resumed connection.
        co_await test::sleep_for(150ms);
        cli.close_idle();
        auto res = co_await cli.post(base + "/echo", "not early", "text/plain");
        EXPECT_EQ(co_await res.body(), "not early");
        EXPECT_EQ(cli.connections_opened(), 3u);
        EXPECT_EQ(cli.early_data_requests(), 1u);
        srv.shutdown();
    });
}

TEST(Http3, AConnectionPastItsIdleTimeoutIsNotReused)
{
    net::io_context io;
    server srv{io.get_executor(), tls_server_config()};
    add_routes(srv);
    auto port = srv.listen("quic://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        auto cfg = test::client_config_for(h3);
        cfg.quic.idle_timeout = 400ms; // the shorter of both sides' applies
        client cli{io.get_executor(), cfg};
        auto base = "https://127.0.0.1:" + std::to_string(port);
        EXPECT_EQ(co_await (co_await cli.get(base + "/hello")).body(), "hello\n");
        // Parked in the pool, the connection hears nothing and times out at
        // both ends; a POST (not retried on a dead connection) must not be
        // sent on it.
        co_await test::sleep_for(800ms);
        error_code ec;
        auto res = co_await cli.post(base + "/echo", "fresh", "text/plain");
        EXPECT_EQ(co_await res.body(ec), "fresh");
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(cli.connections_opened(), 2u);
        // Still fresh: reused.
        auto again = co_await cli.get(base + "/hello");
        EXPECT_TRUE(again.reused_connection());
        co_await again.body();
        srv.shutdown();
    });
}

TEST(Http3, RetryValidatesTheClientAddressFirst)
{
    net::io_context io;
    auto cfg = tls_server_config();
    cfg.quic.retry_above_handshakes = 0; // every new client echoes a Retry token first
    server srv{io.get_executor(), cfg};
    add_routes(srv);
    auto port = srv.listen("quic://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), test::client_config_for(h3)};
        auto res = co_await cli.get("https://127.0.0.1:" + std::to_string(port) + "/hello");
        EXPECT_EQ(res.version(), http::version::http3);
        EXPECT_EQ(co_await res.body(), "hello\n");
        srv.shutdown();
    });
}

TEST(Http3, OversizedFieldSectionGets431AndTheConnectionSurvives)
{
    net::io_context io;
    server srv{io.get_executor(), tls_server_config()};
    add_routes(srv);
    auto port = srv.listen("quic://127.0.0.1:0").port();
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), test::client_config_for(h3)};
        auto base = "https://127.0.0.1:" + std::to_string(port);
        client_request big;
        big.url = base + "/hello";
        big.fields.set("X-Big", std::string(100 * 1024, 'a'));
        error_code ec;
        auto res = co_await cli.request(big, ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(res.status(), 431u);
        co_await res.body(ec);
        auto ok = co_await cli.get(base + "/hello");
        EXPECT_EQ(co_await ok.body(), "hello\n");
        EXPECT_EQ(cli.connections_opened(), 1u);
        srv.shutdown();
    });
}

TEST(Http3, InitialFloodFromManyAddressesIsAnsweredStatelesslyAndNotAmplified)
{
    net::io_context io;
    auto cfg = tls_server_config();
    cfg.quic.retry_above_handshakes = 4;
    server srv{io.get_executor(), cfg};
    add_routes(srv);
    auto port = srv.listen("quic://127.0.0.1:0").port();
    net::ip::udp::endpoint target{net::ip::address_v4::loopback(), port};

    // Real client Initials, each from its own socket: as many source
    // addresses as a spoofing attacker would use. Nobody answers the server.
    error_code ec;
    auto tls = quic::detail::make_tls_client_context(client_config{}.tls, {"h3"}, false, ec);
    ASSERT_FALSE(ec);
    constexpr int sources = 64;
    std::vector<std::unique_ptr<net::ip::udp::socket>> sockets;
    std::vector<std::size_t> sent_by;
    std::size_t sent = 0;
    for (int i = 0; i < sources; ++i) {
        auto s = std::make_unique<net::ip::udp::socket>(
            io, net::ip::udp::endpoint{net::ip::address_v4::loopback(), 0});
        quic::detail::connection::client_params p;
        p.tls = tls.get();
        p.host = "localhost";
        quic::detail::path path{s->local_endpoint(), target};
        auto conn = quic::detail::connection::make_client(quic::config{}, path, std::move(p),
                                                          std::chrono::steady_clock::now(), ec);
        ASSERT_FALSE(ec);
        std::vector<std::byte> buf(64 * 1024);
        std::size_t segment = 0;
        auto n = conn->write(buf, segment, std::chrono::steady_clock::now());
        ASSERT_GE(n, 1200u); // a client's first flight is padded (RFC 9000 §14.1)
        s->send_to(net::buffer(buf.data(), segment), target);
        sent += segment;
        sent_by.push_back(segment);
        sockets.push_back(std::move(s));
    }
    run(io, [&]() -> net::awaitable<void> {
        co_await test::sleep_for(300ms);
        srv.shutdown();
    });
    std::size_t received = 0;
    int retries = 0;
    int answered = 0;
    for (std::size_t i = 0; i < sockets.size(); ++i) {
        auto& s = sockets[i];
        s->non_blocking(true);
        std::size_t from_server = 0;
        std::array<unsigned char, 2048> buf{};
        for (;;) {
            error_code rec;
            auto n = s->receive(net::buffer(buf), 0, rec);
            if (rec)
                break;
            from_server += n;
            // Long header, type Retry (RFC 9000 §17.2.5: type bits 0b11).
            if ((buf[0] & 0x80) && ((buf[0] & 0x30) >> 4) == 3)
                ++retries;
        }
        // RFC 9000 §8.1: before validation at most three times what the
        // address sent.
        EXPECT_LE(from_server, 3 * sent_by[i]);
        received += from_server;
        answered += from_server > 0;
    }
    EXPECT_EQ(answered, sources);
    // Past the handshake budget every new address got a Retry, not state.
    EXPECT_GE(retries, sources - 4);
    EXPECT_LE(received, 3 * sent);
}

/// Sends one datagram from a fresh socket and collects what comes back
/// within `wait`.
std::vector<std::vector<unsigned char>> exchange_datagram(net::io_context& io, net::ip::udp::endpoint target,
                                                          const std::vector<unsigned char>& packet,
                                                          std::chrono::milliseconds wait)
{
    net::ip::udp::socket s{io, {net::ip::address_v4::loopback(), 0}};
    s.send_to(net::buffer(packet), target);
    std::vector<std::vector<unsigned char>> replies;
    test::run(io, [&]() -> net::awaitable<void> { co_await test::sleep_for(wait); });
    io.restart();
    s.non_blocking(true);
    for (;;) {
        std::array<unsigned char, 2048> buf{};
        error_code ec;
        auto n = s.receive(net::buffer(buf), 0, ec);
        if (ec)
            break;
        replies.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return replies;
}

TEST(Http3, MalformedDatagramsAreDroppedAndUnknownPeersAnsweredStatelessly)
{
    net::io_context io;
    server srv{io.get_executor(), tls_server_config()};
    add_routes(srv);
    auto port = srv.listen("quic://127.0.0.1:0").port();
    net::ip::udp::endpoint target{net::ip::address_v4::loopback(), port};

    // Garbage, a truncated long header and an undersized Initial: dropped
    // without a word (an answer would make the server a reflector).
    for (const auto& junk :
         {std::vector<unsigned char>(40, 0xff), std::vector<unsigned char>{0xc0, 0, 0, 0, 1},
          std::vector<unsigned char>(300, 0xc3)}) {
        EXPECT_TRUE(exchange_datagram(io, target, junk, 50ms).empty());
    }

    // An unknown version in a full-sized long header: Version Negotiation
    // listing QUIC v1 (RFC 9000 §6.1), echoing the client's ids swapped.
    std::vector<unsigned char> unknown(1200, 0);
    unknown[0] = 0xc0;
    unknown[1] = 0x1a, unknown[2] = 0x2a, unknown[3] = 0x3a, unknown[4] = 0x4a;
    unknown[5] = 8; // dcid length
    for (int i = 0; i < 8; ++i)
        unknown[6 + i] = static_cast<unsigned char>(0xd0 + i);
    unknown[14] = 4; // scid length
    for (int i = 0; i < 4; ++i)
        unknown[15 + i] = static_cast<unsigned char>(0x50 + i);
    auto vn = exchange_datagram(io, target, unknown, 50ms);
    ASSERT_EQ(vn.size(), 1u);
    const auto& v = vn[0];
    ASSERT_GE(v.size(), 7u + 4 + 8 + 4);
    EXPECT_TRUE(v[0] & 0x80);
    EXPECT_EQ(v[1] | v[2] | v[3] | v[4], 0); // version 0 marks Version Negotiation
    EXPECT_EQ(v[5], 4);                      // dcid = the client's scid
    EXPECT_EQ(v[6], 0x50);
    EXPECT_EQ(v[10], 8); // scid = the client's dcid
    EXPECT_EQ(v[11], 0xd0);
    bool lists_v1 = false;
    for (std::size_t i = 19; i + 4 <= v.size(); i += 4)
        lists_v1 = lists_v1 || (v[i] == 0 && v[i + 1] == 0 && v[i + 2] == 0 && v[i + 3] == 1);
    EXPECT_TRUE(lists_v1);

    // A short-header packet for a connection the server does not know: a
    // stateless reset, shorter than what triggered it (RFC 9000 §10.3).
    std::vector<unsigned char> stray(60, 0x42);
    stray[0] = 0x40;
    auto reset = exchange_datagram(io, target, stray, 50ms);
    ASSERT_EQ(reset.size(), 1u);
    EXPECT_LT(reset[0].size(), stray.size());
    EXPECT_GE(reset[0].size(), 21u);
    EXPECT_EQ(reset[0][0] & 0xc0, 0x40); // looks like a short-header packet

    // And the server still serves.
    test::run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), test::client_config_for(h3)};
        auto res = co_await cli.get("https://127.0.0.1:" + std::to_string(port) + "/hello");
        EXPECT_EQ(co_await res.body(), "hello\n");
        srv.shutdown();
    });
}

} // namespace
} // namespace strata
