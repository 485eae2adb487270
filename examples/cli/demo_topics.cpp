// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "demo_topics.hpp"

#include <strata/conditional.hpp>
#include <strata/long_poll/handler.hpp>
#include <strata/sse/handler.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace strata_cli {

namespace net = boost::asio;
using strata::request;
using strata::response;
using strata::status;

namespace {

// A demo publishes forever: a bounded window keeps its memory flat, and an
// hour of ticks is more than any client resumes from.
strata::topic_config demo_window()
{
    strata::topic_config cfg;
    cfg.max_events = 3600;
    cfg.max_lag = 3000;
    return cfg;
}

std::uint64_t mix(std::uint64_t x) // splitmix64's finaliser: a fixed, well-spread "random" roll
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Only the score now matters to someone who opens the page: a window of
// one event, replayed to each new stream, is the current score at once.
strata::topic_config latest_only()
{
    strata::topic_config cfg;
    cfg.max_events = 1;
    cfg.max_lag = 0; // a stream behind by one event just gets the newest (after a strata-gap)
    return cfg;
}

/// Cents as a JSON number: 4810 -> "48.10", -35 -> "-0.35".
std::string decimal(long long cents)
{
    const auto whole = std::llabs(cents) / 100, part = std::llabs(cents) % 100;
    return (cents < 0 ? "-" : "") + std::to_string(whole) + (part < 10 ? ".0" : ".") + std::to_string(part);
}

} // namespace

std::string scoreboard::document()
{
    constexpr std::chrono::seconds tick_length{3};
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

demo_topics::demo_topics(net::any_io_executor ex)
    : ticks_(demo_window()), stocks_(demo_window()), scores_(latest_only()), prices_{{"ASIO", 10125, 0},
                                                                                     {"HTTP", 2999, 0},
                                                                                     {"QUIC", 4810, 0},
                                                                                     {"TLS", 7200, 0}},
      timer_(ex)
{}

void demo_topics::add_routes(strata::server& srv)
{
    srv.route("GET", "/ticks/events", strata::sse::handler(ticks_));
    srv.route("GET", "/ticks/poll", strata::long_poll::handler(ticks_));
    srv.route("GET", "/stocks/events", strata::sse::handler(stocks_));
    srv.route("GET", "/stocks/poll", strata::long_poll::handler(stocks_));
    srv.route("GET", "/stocks/quote", [this](request& req, response& res) -> net::awaitable<void> {
        auto doc = quote_document();
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
    srv.route("GET", "/scores", [this](request& req, response& res) -> net::awaitable<void> {
        auto doc = board_.document();
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
    strata::sse::handler_config latest;
    latest.replay_retained = true;
    srv.route("GET", "/scores/events", strata::sse::handler(scores_, latest));
}

void demo_topics::start()
{
    publish_score();
    net::co_spawn(timer_.get_executor(), publish_every_second(), net::detached);
}

void demo_topics::stop()
{
    stopped_ = true;
    timer_.cancel();
    ticks_.close();
    stocks_.close();
    scores_.close();
}

net::awaitable<void> demo_topics::publish_every_second()
{
    for (std::uint64_t tick = 1;; ++tick) {
        timer_.expires_after(std::chrono::seconds(1));
        strata::error_code ec;
        co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
        if (stopped_)
            co_return;
        ticks_.publish("tick", std::to_string(tick));
        move_a_price(tick);
        publish_score();
    }
}

void demo_topics::publish_score()
{
    auto doc = board_.document();
    if (doc == last_score_)
        return;
    last_score_ = doc;
    doc.pop_back(); // the document's final line break: one data line
    scores_.publish("score", doc);
}

void demo_topics::move_a_price(std::uint64_t tick)
{
    const auto roll = mix(tick);
    auto& s = prices_[roll % prices_.size()];
    // A step of -50 to +50 cents; a price never falls below 1.00.
    s.change = static_cast<long long>((roll >> 8) % 101) - 50;
    if (s.cents + s.change < 100)
        s.change = -s.change;
    s.cents += s.change;
    stocks_.publish("quote", "{\"symbol\":\"" + s.symbol + "\",\"price\":" + decimal(s.cents) +
                                 ",\"change\":" + decimal(s.change) + "}");
}

std::string demo_topics::quote_document() const
{
    std::string doc = "{";
    for (const auto& s : prices_)
        doc += (doc.size() > 1 ? ",\"" : "\"") + s.symbol + "\":" + decimal(s.cents);
    return doc + "}\n";
}

} // namespace strata_cli
