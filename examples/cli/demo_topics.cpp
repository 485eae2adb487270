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
#include <cstdlib>

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

/// Cents as a JSON number: 4810 -> "48.10", -35 -> "-0.35".
std::string decimal(long long cents)
{
    const auto whole = std::llabs(cents) / 100, part = std::llabs(cents) % 100;
    return (cents < 0 ? "-" : "") + std::to_string(whole) + (part < 10 ? ".0" : ".") + std::to_string(part);
}

} // namespace

demo_topics::demo_topics(net::any_io_executor ex)
    : ticks_(demo_window()), stocks_(demo_window()), prices_{{"ASIO", 10125, 0},
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
}

void demo_topics::start()
{
    net::co_spawn(timer_.get_executor(), publish_every_second(), net::detached);
}

void demo_topics::stop()
{
    stopped_ = true;
    timer_.cancel();
    ticks_.close();
    stocks_.close();
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
    }
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
