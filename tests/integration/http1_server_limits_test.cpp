// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The strata server against raw bytes on a socket: malformed input,
// pipelining, deadlines, connection limits and graceful shutdown.

#include "test_support.hpp"

#include <strata/server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

using namespace strata;
using namespace std::chrono_literals;
using test::raw_exchange;
using test::run;

namespace {

server_config quick_config()
{
    server_config cfg;
    cfg.header_timeout = 300ms;
    cfg.idle_timeout = 300ms;
    cfg.body_timeout = 300ms;
    cfg.shutdown_timeout = 2s;
    return cfg;
}

class Http1ServerLimits : public ::testing::Test {
protected:
    void SetUp() override
    {
        srv.route("GET", "/a", [](request& req, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, std::string(req.path()));
        });
        srv.route("GET", "/b", [](request& req, response& res) -> net::awaitable<void> {
            co_await test::sleep_for(30ms); // finishes after /c would if order were not kept
            co_await res.send(status::ok, std::string(req.path()));
        });
        srv.route("GET", "/c", [](request& req, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, std::string(req.path()));
        });
        srv.route("POST", "/ignore-body", [](request&, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, "ignored");
        });
        ep = srv.listen("http://127.0.0.1:0");
    }

    net::io_context io;
    server srv{io.get_executor(), quick_config()};
    net::ip::tcp::endpoint ep;
};

std::size_t count(const std::string& hay, std::string_view needle)
{
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
        ++n;
    return n;
}

TEST_F(Http1ServerLimits, PipelinedRequestsAreAnsweredInOrder)
{
    run(io, [&]() -> net::awaitable<void> {
        auto out = co_await raw_exchange(ep, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                                             "GET /c HTTP/1.1\r\nHost: x\r\n\r\n"
                                             "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        auto b = out.find("\r\n\r\n/b"), c = out.find("\r\n\r\n/c"), a = out.find("\r\n\r\n/a");
        EXPECT_NE(b, std::string::npos) << out;
        EXPECT_NE(c, std::string::npos) << out;
        EXPECT_NE(a, std::string::npos) << out;
        EXPECT_LT(b, c);
        EXPECT_LT(c, a);
        EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 3u);
    });
}

struct malformed_case {
    const char* name;
    const char* bytes;
    const char* status_line;
};

TEST_F(Http1ServerLimits, MalformedRequestsGetTheProtocolsAnswerAndAClose)
{
    const malformed_case cases[] = {
        {"both CL and TE",
         "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "HTTP/1.1 400"},
        {"conflicting CL",
         "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "HTTP/1.1 400"},
        {"obs-fold", "GET /a HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", "HTTP/1.1 400"},
        {"space before colon", "GET /a HTTP/1.1\r\nHost : x\r\n\r\n", "HTTP/1.1 400"},
        {"bare CR", "GET /a HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", "HTTP/1.1 400"},
        {"TE not ending in chunked",
         "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "HTTP/1.1 400"},
        {"missing Host", "GET /a HTTP/1.1\r\n\r\n", "HTTP/1.1 400"},
        {"bad version", "GET /a HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.1 505"},
    };
    for (const auto& c : cases) {
        run(io, [&]() -> net::awaitable<void> {
            auto out = co_await raw_exchange(ep, c.bytes);
            EXPECT_TRUE(out.starts_with(c.status_line)) << c.name << ": " << out;
            EXPECT_NE(out.find("Connection: close"), std::string::npos) << c.name;
        });
        io.restart();
    }
}

TEST_F(Http1ServerLimits, OversizedInputGets414And431)
{
    run(io, [&]() -> net::awaitable<void> {
        auto long_target = "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
        auto out = co_await raw_exchange(ep, long_target);
        EXPECT_TRUE(out.starts_with("HTTP/1.1 414")) << out.substr(0, 80);
        std::string many = "GET /a HTTP/1.1\r\nHost: x\r\n";
        for (int i = 0; i < 200; ++i)
            many += "X-F" + std::to_string(i) + ": v\r\n";
        out = co_await raw_exchange(ep, many + "\r\n");
        EXPECT_TRUE(out.starts_with("HTTP/1.1 431")) << out.substr(0, 80);
        auto huge = "GET /a HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'v') + "\r\n\r\n";
        out = co_await raw_exchange(ep, huge);
        EXPECT_TRUE(out.starts_with("HTTP/1.1 431")) << out.substr(0, 80);
    });
}

TEST_F(Http1ServerLimits, OversizedBodyGets413)
{
    run(io, [&]() -> net::awaitable<void> {
        srv.route("POST", "/upload", [](request& req, response& res) -> net::awaitable<void> {
            error_code ec;
            auto body = co_await req.read_body(1 << 30, ec);
            co_await res.send(ec ? status::bad_request : status::ok, std::to_string(body.size()));
        });
        auto out = co_await raw_exchange(
            ep, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n");
        EXPECT_TRUE(out.starts_with("HTTP/1.1 413")) << out.substr(0, 80);
    });
}

TEST_F(Http1ServerLimits, SlowHeadIsCutAtTheHeaderDeadline)
{
    run(io, [&]() -> net::awaitable<void> {
        auto start = std::chrono::steady_clock::now();
        auto out = co_await raw_exchange(ep, "GET /a HTTP/1.1\r\nHost: x\r\n", 5s);
        auto took = std::chrono::steady_clock::now() - start;
        EXPECT_EQ(out.find("200 OK"), std::string::npos);
        EXPECT_GE(took, 250ms);
        EXPECT_LT(took, 3s);
    });
}

TEST_F(Http1ServerLimits, IdleKeepAliveConnectionIsClosed)
{
    run(io, [&]() -> net::awaitable<void> {
        auto start = std::chrono::steady_clock::now();
        auto out = co_await raw_exchange(ep, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 5s);
        auto took = std::chrono::steady_clock::now() - start;
        EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 1u);
        EXPECT_GE(took, 250ms);
        EXPECT_LT(took, 3s);
    });
}

TEST_F(Http1ServerLimits, TrimmedIdleConnectionKeepsServing)
{
    server_config cfg = quick_config();
    cfg.idle_timeout = 3s;
    cfg.idle_trim_after = 50ms;
    server trimming{io.get_executor(), cfg};
    trimming.route("GET", "/n", [](request& req, response& res) -> net::awaitable<void> {
        co_await res.send(status::ok, std::string(req.query()));
    });
    auto tep = trimming.listen("http://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        net::ip::tcp::socket s{io};
        co_await s.async_connect(tep, net::use_awaitable);
        // Requests after pauses long enough for the sweeper to trim the
        // connection between them, and one right after another.
        for (auto pause : {200ms, 0ms, 300ms}) {
            co_await test::sleep_for(pause);
            std::string req = "GET /n?" + std::to_string(pause.count()) + " HTTP/1.1\r\nHost: x\r\n\r\n";
            co_await net::async_write(s, net::buffer(req), net::use_awaitable);
            char buf[512];
            auto n = co_await s.async_read_some(net::buffer(buf), net::use_awaitable);
            std::string out(buf, n);
            EXPECT_TRUE(out.starts_with("HTTP/1.1 200")) << out;
            EXPECT_TRUE(out.ends_with("\r\n\r\n" + std::to_string(pause.count()))) << out;
        }
        // A request split across the trim: its first half arrives, the
        // connection is trimmed, the rest follows.
        std::string first = "GET /n?split HTTP/1.1\r\n";
        co_await net::async_write(s, net::buffer(first), net::use_awaitable);
        co_await test::sleep_for(200ms);
        std::string rest = "Host: x\r\n\r\n";
        co_await net::async_write(s, net::buffer(rest), net::use_awaitable);
        char buf[512];
        auto n = co_await s.async_read_some(net::buffer(buf), net::use_awaitable);
        EXPECT_TRUE(std::string(buf, n).ends_with("\r\n\r\nsplit")) << std::string(buf, n);
    });
}

TEST_F(Http1ServerLimits, UnreadBodyIsDrainedAndConnectionKept)
{
    run(io, [&]() -> net::awaitable<void> {
        auto out = co_await raw_exchange(
            ep, "POST /ignore-body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 2u) << out;
        EXPECT_NE(out.find("\r\n\r\n/a"), std::string::npos);
    });
}

TEST_F(Http1ServerLimits, ConnectionsOverTheLimitGet503)
{
    server_config cfg = quick_config();
    cfg.max_connections = 1;
    server small{io.get_executor(), cfg};
    small.route("GET", "/a",
                [](request&, response& res) -> net::awaitable<void> { co_await res.send(status::ok, "a"); });
    auto sep = small.listen("http://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        net::ip::tcp::socket first{io};
        co_await first.async_connect(sep, net::use_awaitable);
        co_await test::sleep_for(50ms);
        auto out = co_await raw_exchange(sep, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_TRUE(out.starts_with("HTTP/1.1 503")) << out;
    });
}

TEST_F(Http1ServerLimits, GracefulShutdownFinishesInFlightAndClosesIdle)
{
    srv.route("GET", "/long", [](request&, response& res) -> net::awaitable<void> {
        co_await res.start(status::ok);
        for (int i = 0; i < 5; ++i) {
            co_await res.write("tick\n");
            co_await test::sleep_for(40ms);
        }
        co_await res.finish();
    });
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        // One idle keep-alive connection, one in the middle of a response.
        net::ip::tcp::socket idle{ex};
        co_await idle.async_connect(ep, net::use_awaitable);
        std::string in_flight;
        bool finished = false;
        net::co_spawn(
            ex,
            [&]() -> net::awaitable<void> {
                in_flight = co_await raw_exchange(ep, "GET /long HTTP/1.1\r\nHost: x\r\n\r\n");
                finished = true;
            },
            net::detached);
        co_await test::sleep_for(60ms);
        srv.shutdown();
        bool stopped = false;
        srv.async_wait_stopped([&](error_code) { stopped = true; });
        char c;
        error_code ec;
        co_await idle.async_read_some(net::buffer(&c, 1), net::redirect_error(net::use_awaitable, ec));
        EXPECT_EQ(ec, net::error::eof); // the idle connection was closed, not reset
        while (!finished || !stopped)
            co_await test::sleep_for(10ms);
        EXPECT_EQ(count(in_flight, "tick\n"), 5u) << in_flight;
        EXPECT_NE(in_flight.find("\r\n0\r\n\r\n"), std::string::npos); // the chunked body ended properly
        EXPECT_EQ(srv.connection_count(), 0u);
    });
}

TEST_F(Http1ServerLimits, UpgradeHandsTheStreamAndTrailingBytesToTheHandler)
{
    // A toy protocol after 101: echo every byte back in upper case until "QUIT".
    srv.route("GET", "/shout", [](request& req, response& res) -> net::awaitable<void> {
        if (!req.is_upgrade()) {
            co_await res.send(status::upgrade_required, "upgrade to shout\n");
            co_return;
        }
        res.set_header("Connection", "Upgrade");
        res.set_header("Upgrade", "shout");
        co_await res.start(status::switching_protocols);
        std::string seen;
        char buf[64];
        while (seen.find("quit") == std::string::npos) {
            auto n = co_await req.read_some(net::buffer(buf));
            if (n == 0)
                break;
            std::string piece(buf, n);
            seen += piece;
            for (auto& c : piece)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            co_await res.write(piece);
        }
    });
    run(io, [&]() -> net::awaitable<void> {
        // "hello " arrives in the same packet as the request head: it must
        // reach the new protocol, not be lost in the HTTP/1.1 codec.
        auto out = co_await raw_exchange(ep, "GET /shout HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                             "Upgrade: shout\r\n\r\nhello quit");
        EXPECT_TRUE(out.starts_with("HTTP/1.1 101")) << out;
        EXPECT_TRUE(out.ends_with("\r\n\r\nHELLO QUIT")) << out;
        auto plain = co_await raw_exchange(ep, "GET /shout HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        EXPECT_TRUE(plain.starts_with("HTTP/1.1 426")) << plain;
    });
}

} // namespace
