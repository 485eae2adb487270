// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// strata::client against a raw HTTP/2 server (h2c, prior knowledge) that
// holds its SETTINGS back: a page's requests must go at once, not one
// ahead and the rest a round trip later (RFC 9113 §6.5.2 lets a client send
// before it knows the server's limits). The server then announces a stream
// limit below what was sent and refuses the excess with REFUSED_STREAM, as
// nghttp2 and nginx do; the client sends those again and every request is
// answered. A server that keeps refusing gets a few more tries, spaced out.

#include <strata/config.hpp>

#include "h2_frames.hpp"
#include "test_support.hpp"

#include <strata/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace strata;
using namespace std::chrono_literals;
namespace h2 = test::h2;
using tcp = net::ip::tcp;

namespace {

constexpr int page_requests = 10;
constexpr std::uint32_t server_stream_limit = 4;

struct raw_server_log {
    int connections = 0;
    // HEADERS frames the first connection carried before the server said anything.
    int headers_before_settings = 0;
    int refused = 0;
    int answered = 0;
};

/// Built outside the coroutine: GCC 12 mishandles initializer lists inside one.
std::string limit_settings()
{
    return h2::settings({{h2::setting::max_concurrent_streams, server_stream_limit}});
}

/// Accepts until the acceptor is closed; `serve(socket)` makes each
/// connection's coroutine.
template <class Serve>
void accept_all(net::io_context& io, tcp::acceptor& acceptor, Serve serve)
{
    net::co_spawn(
        io,
        [&io, &acceptor, serve]() -> net::awaitable<void> {
            for (;;) {
                error_code ec;
                tcp::socket s{io};
                co_await acceptor.async_accept(s, net::redirect_error(net::use_awaitable, ec));
                if (ec)
                    co_return;
                net::co_spawn(io, serve(std::move(s)), net::detached);
            }
        },
        net::detached);
}

/// Serves one connection: on the first, waits (up to 2 s) for the whole
/// page before its SETTINGS, then refuses what exceeds the limit; on any,
/// answers every other request 200 with an empty body.
net::awaitable<void> serve(tcp::socket s, std::shared_ptr<raw_server_log> log, bool first)
{
    h2::frame_reader reader{true};
    char buf[16 * 1024];
    error_code ec;
    std::vector<std::uint32_t> held;
    std::string pending;
    bool settings_sent = false;
    auto ex = co_await net::this_coro::executor;
    net::steady_timer deadline{ex, 2s};
    if (first)
        deadline.async_wait([&](error_code e) {
            if (!e)
                s.cancel();
        });
    for (;;) {
        auto n = co_await s.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
        if (ec == net::error::operation_aborted && first && !settings_sent)
            ec = {}; // the page did not come whole: answer what came
        else if (ec)
            break;
        reader.feed(std::string_view{buf, n});
        // Nothing goes before the server's SETTINGS, not even the ACK of the client's.
        std::string& out = pending;
        while (auto f = reader.next()) {
            if (f->type == h2::type::settings && !f->has(h2::flag::ack))
                out += h2::settings_ack();
            if (f->type != h2::type::headers)
                continue;
            if (!settings_sent)
                held.push_back(f->stream);
            else
                out += h2::response(f->stream, 200, true);
        }
        if (!settings_sent && (!first || static_cast<int>(held.size()) == page_requests || n == 0)) {
            deadline.cancel();
            settings_sent = true;
            if (first)
                log->headers_before_settings = static_cast<int>(held.size());
            std::string head = limit_settings();
            for (std::size_t i = 0; i < held.size(); ++i) {
                if (i < server_stream_limit) {
                    head += h2::response(held[i], 200, true);
                    ++log->answered;
                } else {
                    head += h2::rst_stream(held[i], h2::code::refused_stream);
                    ++log->refused;
                }
            }
            held.clear();
            out = head + out;
        }
        if (settings_sent && !out.empty()) {
            co_await net::async_write(s, net::buffer(out), net::redirect_error(net::use_awaitable, ec));
            out.clear();
            if (ec)
                break;
        }
    }
}

TEST(Http2ClientSettings, APageGoesBeforeTheServersSettingsAndRefusedStreamsAreSentAgain)
{
    net::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint{net::ip::make_address("127.0.0.1"), 0}};
    auto port = acceptor.local_endpoint().port();
    auto log = std::make_shared<raw_server_log>();
    accept_all(io, acceptor, [log](tcp::socket s) {
        bool first = log->connections++ == 0;
        return serve(std::move(s), log, first);
    });

    int ok = 0;
    test::run(io, [&]() -> net::awaitable<void> {
        client_config cfg;
        cfg.http2_prior_knowledge = true;
        cfg.max_connections_per_origin = 1;
        client cli{io.get_executor(), cfg};
        std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
        int done = 0;
        auto one = [&]() -> net::awaitable<void> {
            error_code ec;
            client_request req;
            req.url = url;
            auto res = co_await cli.request(req, ec);
            EXPECT_FALSE(ec) << ec.message();
            if (!ec && res.status() == 200) {
                auto body = co_await res.body(ec);
                EXPECT_FALSE(ec) << ec.message();
                EXPECT_TRUE(body.empty());
                ++ok;
            }
            ++done;
        };
        for (int i = 0; i < page_requests; ++i)
            net::co_spawn(io, one(), net::detached);
        while (done < page_requests)
            co_await test::sleep_for(5ms);
        acceptor.close();
    });
    EXPECT_EQ(log->headers_before_settings, page_requests);
    EXPECT_EQ(log->refused, page_requests - static_cast<int>(server_stream_limit));
    EXPECT_EQ(ok, page_requests);
}

/// Refuses every request at once, noting when each arrived.
net::awaitable<void> refuse_all(tcp::socket s,
                                std::shared_ptr<std::vector<std::chrono::steady_clock::time_point>> arrivals)
{
    h2::frame_reader reader{true};
    char buf[16 * 1024];
    error_code ec;
    std::string out = h2::settings();
    for (;;) {
        if (!out.empty()) {
            co_await net::async_write(s, net::buffer(out), net::redirect_error(net::use_awaitable, ec));
            out.clear();
            if (ec)
                co_return;
        }
        auto n = co_await s.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
        if (ec)
            co_return;
        reader.feed(std::string_view{buf, n});
        while (auto f = reader.next()) {
            if (f->type == h2::type::settings && !f->has(h2::flag::ack))
                out += h2::settings_ack();
            if (f->type == h2::type::headers) {
                arrivals->push_back(std::chrono::steady_clock::now());
                out += h2::rst_stream(f->stream, h2::code::refused_stream);
            }
        }
    }
}

TEST(Http2ClientSettings, AServerThatKeepsRefusingIsAskedFiveTimesWithGrowingPauses)
{
    net::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint{net::ip::make_address("127.0.0.1"), 0}};
    auto port = acceptor.local_endpoint().port();
    auto arrivals = std::make_shared<std::vector<std::chrono::steady_clock::time_point>>();
    accept_all(io, acceptor, [arrivals](tcp::socket s) { return refuse_all(std::move(s), arrivals); });

    error_code got;
    test::run(io, [&]() -> net::awaitable<void> {
        client_config cfg;
        cfg.http2_prior_knowledge = true;
        client cli{io.get_executor(), cfg};
        client_request req;
        req.url = "http://127.0.0.1:" + std::to_string(port) + "/";
        auto res = co_await cli.request(req, got);
        acceptor.close();
    });
    EXPECT_TRUE(got) << "a request the server always refuses must fail";
    ASSERT_EQ(arrivals->size(), 5u) << "the first try and four more";
    // The second try follows at once; the third, fourth and fifth wait at
    // least 25, 50 and 100 ms (a timer never fires early).
    const auto gap = [&](std::size_t i) { return (*arrivals)[i] - (*arrivals)[i - 1]; };
    EXPECT_GE(gap(2), 25ms);
    EXPECT_GE(gap(3), 50ms);
    EXPECT_GE(gap(4), 100ms);
    EXPECT_LT(gap(4), 150ms + 500ms) << "at most half again, plus scheduling";
}

} // namespace
