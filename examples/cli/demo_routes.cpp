// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "demo_routes.hpp"

#include <strata/conditional.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <memory>

namespace strata_cli {

namespace net = boost::asio;
using namespace std::chrono_literals;
using strata::request;
using strata::response;
using strata::status;

namespace {

/// A match that moves one minute every three seconds, with goals on some
/// minutes (the same ones every run), played lazily: the state catches up
/// with the clock when someone asks, so an idle server does no work.
class scoreboard {
public:
    std::string document()
    {
        const auto now_tick =
            static_cast<std::uint64_t>((std::chrono::steady_clock::now() - start_) / tick_length);
        while (tick_ < now_tick) {
            ++tick_;
            if (tick_ % 90 == 0)
                home_ = away_ = 0; // full time: the next match kicks off
            const auto roll = mix(tick_) % 8;
            home_ += roll == 0;
            away_ += roll == 1;
        }
        const auto updated = std::chrono::system_clock::to_time_t(wall_start_ + tick_ * tick_length);
        std::tm tm{};
        ::gmtime_r(&updated, &tm);
        char out[256];
        std::snprintf(out, sizeof out,
                      "{\"match\":\"Strata Rovers - Asio Athletic\",\"minute\":%u,\"home\":%d,\"away\":%d,"
                      "\"updated\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\"}\n",
                      static_cast<unsigned>(tick_ % 90 + 1), home_, away_, tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return out;
    }

private:
    static constexpr std::chrono::seconds tick_length{3};
    static std::uint64_t mix(std::uint64_t x) // splitmix64's finaliser: a fixed, well-spread "random" roll
    {
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        return x ^ (x >> 31);
    }

    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::system_clock::time_point wall_start_ = std::chrono::system_clock::now();
    std::uint64_t tick_ = 0;
    int home_ = 0, away_ = 0;
};

net::awaitable<void> stream_lines(request& req, response& res)
{
    unsigned n = 10;
    if (auto q = req.query_param("n")) {
        auto [end, ec] = std::from_chars(q->data(), q->data() + q->size(), n);
        if (ec != std::errc{} || end != q->data() + q->size() || n > 10'000) {
            co_await res.send(status::bad_request, "n must be a number from 0 to 10000\n");
            co_return;
        }
    }
    res.set_header("Content-Type", "text/plain; charset=utf-8");
    res.set_header("Cache-Control", "no-store");
    strata::error_code ec;
    co_await res.start(status::ok, ec); // no Content-Length: chunked on HTTP/1.1
    net::steady_timer timer{co_await net::this_coro::executor};
    for (unsigned i = 1; i <= n && !ec; ++i) {
        if (i > 1) {
            timer.expires_after(100ms);
            co_await timer.async_wait(net::use_awaitable);
        }
        co_await res.write("line " + std::to_string(i) + " of " + std::to_string(n) + "\n", ec);
    }
    if (!ec)
        co_await res.finish(ec);
}

} // namespace

void add_demo_routes(strata::server& srv)
{
    srv.route("GET", "/hello", [](request&, response& res) -> net::awaitable<void> {
        co_await res.send(status::ok, "hello from strata\n");
    });
    srv.route("POST", "/echo", [](request& req, response& res) -> net::awaitable<void> {
        auto type = std::string(req.header("Content-Type").value_or("application/octet-stream"));
        co_await res.send(status::ok, co_await req.read_body(), type);
    });
    auto board = std::make_shared<scoreboard>();
    srv.route("GET", "/scores", [board](request& req, response& res) -> net::awaitable<void> {
        auto doc = board->document();
        auto tag = strata::make_etag(doc);
        res.set_header("ETag", tag);
        res.set_header("Cache-Control", "no-cache");
        if (strata::not_modified(req, tag)) {
            co_await res.start(status::not_modified);
            co_await res.finish();
        } else {
            co_await res.send(status::ok, doc, "application/json");
        }
    });
    srv.route("GET", "/stream", stream_lines);
}

} // namespace strata_cli
