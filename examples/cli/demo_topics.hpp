// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/server.hpp>
#include <strata/topic.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace strata_cli {

/// A match that moves one minute every three seconds, with goals on some
/// minutes (the same ones every run), played lazily: the state catches up
/// with the clock when someone asks.
class scoreboard {
public:
    /// {"match":"...","minute":M,"home":H,"away":A,"updated":"2026-...Z"}
    std::string document();

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::system_clock::time_point wall_start_ = std::chrono::system_clock::now();
    std::uint64_t tick_ = 0;
    int home_ = 0, away_ = 0;
};

/// The push demos of `strata serve`: topics fed once a second, served as
/// Server-Sent Events, as long polling and as short polling, on every listener.
///   /ticks/events, /ticks/poll    a counter: events "tick", data 1, 2, 3, ...
///   /stocks/events, /stocks/poll  a stock ticker: events "quote", data
///                                 {"symbol":"QUIC","price":48.10,"change":-0.35}
///   /stocks/quote                 every price in one document, with ETag/304
///                                 (short polling)
///   /scores                       the live score of a match, with ETag/304
///                                 (short polling)
///   /scores/events                the same document as event "score" each time
///                                 it changes, the latest one first (SSE)
class demo_topics {
public:
    explicit demo_topics(boost::asio::any_io_executor ex);

    /// `this` must outlive the server's use of the routes.
    void add_routes(strata::server& srv);
    /// Starts publishing.
    void start();
    /// Closes the topics, which ends every stream and held poll, and stops
    /// publishing: a graceful shutdown need not wait for clients that never
    /// hang up.
    void stop();

private:
    struct stock {
        std::string symbol;
        long long cents;
        long long change; ///< cents, since the last move
    };

    boost::asio::awaitable<void> publish_every_second();
    void move_a_price(std::uint64_t tick);
    std::string quote_document() const;

    void publish_score();

    scoreboard board_;
    std::string last_score_;
    strata::topic ticks_;
    strata::topic stocks_;
    strata::topic scores_;
    std::vector<stock> prices_;
    boost::asio::steady_timer timer_;
    bool stopped_ = false;
};

} // namespace strata_cli
