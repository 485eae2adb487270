// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// One stock ticker, three ways to follow it, side by side:
//   GET /quote   short polling: every price in one document, ETag and 304
//   GET /poll    long polling:  the request is held until a price moves
//   GET /stream  Server-Sent Events: each move pushed as it happens
// Long polling and SSE are served from one topic; the client modes print
// each update with the time it arrived, so the three can be compared.
// Run: ./stock_ticker [port]                        (default 8080)
//      ./stock_ticker client short|long|sse [url]   (default: that route on 127.0.0.1:8080)

#include <strata/conditional.hpp>
#include <strata/long_poll/handler.hpp>
#include <strata/long_poll/poller.hpp>
#include <strata/server.hpp>
#include <strata/short_poll.hpp>
#include <strata/sse/event_source.hpp>
#include <strata/sse/handler.hpp>
#include <strata/topic.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <utility>

namespace net = boost::asio;
using namespace std::chrono_literals;

std::string dollars(long cents)
{
    char out[32];
    std::snprintf(out, sizeof out, "%ld.%02ld", cents / 100, cents % 100);
    return out;
}

// ---- the server ----------------------------------------------------------

struct market {
    std::map<std::string, long> cents{{"ASIO", 10125}, {"HTTP", 2999}, {"QUIC", 4810}};
    strata::topic moves; // every price move, for long polling and SSE

    std::string quote() const // the short-polling document
    {
        std::string doc;
        for (auto& [symbol, c] : cents)
            doc += (doc.empty() ? "{\"" : ",\"") + symbol + "\":" + dollars(c);
        return doc + "}\n";
    }
};

// Every second one price moves by up to 50 cents either way.
net::awaitable<void> trade(market& m)
{
    std::mt19937 rng{7};
    net::steady_timer timer{co_await net::this_coro::executor};
    for (;;) {
        timer.expires_after(1s);
        co_await timer.async_wait(net::use_awaitable);
        auto it = std::next(m.cents.begin(), static_cast<long>(rng() % m.cents.size()));
        it->second = std::max(100L, it->second + static_cast<long>(rng() % 101) - 50);
        m.moves.publish("quote", "{\"symbol\":\"" + it->first + "\",\"price\":" + dollars(it->second) + "}");
    }
}

int serve(const std::string& port)
{
    net::io_context io;
    market m; // outlives the server, whose handlers use it
    strata::server srv{io.get_executor()};
    srv.route("GET", "/quote", [&m](strata::request& req, strata::response& res) -> net::awaitable<void> {
        auto doc = m.quote();
        auto tag = strata::make_etag(doc);
        res.set_header("ETag", tag);
        if (strata::not_modified(req, tag)) { // the client has this one: 304, no body
            co_await res.start(strata::status::not_modified);
            co_await res.finish();
        } else {
            co_await res.send(strata::status::ok, doc, "application/json");
        }
    });
    srv.route("GET", "/poll", strata::long_poll::handler(m.moves));
    srv.route("GET", "/stream", strata::sse::handler(m.moves));
    auto ep = srv.listen("http://127.0.0.1:" + port);
    net::co_spawn(io, trade(m), net::detached);
    std::cout << "prices on http://127.0.0.1:" << ep.port() << ": /quote (short poll), /poll (long poll), "
              << "/stream (SSE)" << std::endl;
    io.run();
    return 0;
}

// ---- the clients ---------------------------------------------------------

// The arrival time (seconds within the minute, to the millisecond), then what arrived.
void print(const std::string& what)
{
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count() % 60'000;
    std::printf("[%02lld.%03lld] %s\n", ms / 1000, ms % 1000, what.c_str());
    std::fflush(stdout);
}

// Asks every 500 ms; most answers are 304s, and a move waits up to 500 ms.
net::awaitable<void> follow_short(strata::client& cli, std::string url)
{
    strata::short_poller poller{cli, url, {.interval = 500ms, .max_backoff = 30s, .fields = {}}};
    for (;;) {
        auto u = co_await poller.async_next();
        if (u.body.ends_with('\n'))
            u.body.pop_back();
        print(u.body + "   (" + std::to_string(poller.requests()) + " requests, " +
              std::to_string(poller.not_modified()) + " answered 304)");
    }
}

// One request held by the server until a price moves; then the next at once.
net::awaitable<void> follow_long(strata::client& cli, std::string url)
{
    strata::long_poll::poller poller{cli, url};
    for (;;)
        for (auto& e : (co_await poller.next()).events)
            print(e.data + "   (id " + std::to_string(e.id) + ", request " +
                  std::to_string(poller.requests()) + ")");
}

// One response that never ends; each move arrives on it as an event.
net::awaitable<void> follow_sse(strata::client& cli, std::string url)
{
    strata::sse::event_source stream{cli, url};
    for (;;) {
        auto e = co_await stream.next();
        print(e.data + "   (id " + e.last_event_id + ", connection " + std::to_string(stream.connections()) +
              ")");
    }
}

int follow(const std::string& how, std::string url)
{
    const char* path = how == "short"  ? "/quote"
                       : how == "long" ? "/poll"
                       : how == "sse"  ? "/stream"
                                       : nullptr;
    if (!path) {
        std::cerr << "usage: stock_ticker client short|long|sse [url]\n";
        return 2;
    }
    if (url.empty())
        url = std::string("http://127.0.0.1:8080") + path;
    net::io_context io;
    strata::client cli{io.get_executor()};
    auto following = how == "short"  ? follow_short(cli, url)
                     : how == "long" ? follow_long(cli, url)
                                     : follow_sse(cli, url);
    net::co_spawn(io, std::move(following), [&](std::exception_ptr e) {
        try {
            if (e)
                std::rethrow_exception(e);
        } catch (const std::exception& x) {
            std::cerr << "stopped: " << x.what() << "\n";
        }
        cli.close_idle(); // the pooled connection would keep io.run() going
    });
    io.run();
    return 1; // only an error ends following; Ctrl-C ends the program
}

int main(int argc, char** argv)
{
    std::string first = argc > 1 ? argv[1] : "8080";
    if (first == "client")
        return follow(argc > 2 ? argv[2] : "", argc > 3 ? argv[3] : "");
    return serve(first);
}
