// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/server.hpp>
#include <strata/topic.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace strata_cli {

/// The push demos of `strata serve`: two topics fed once a second, each
/// served as Server-Sent Events and as long polling, on every listener.
///   /ticks/events, /ticks/poll    a counter: events "tick", data 1, 2, 3, ...
///   /stocks/events, /stocks/poll  a stock ticker: events "quote", data
///                                 {"symbol":"QUIC","price":48.10,"change":-0.35}
///   /stocks/quote                 every price in one document, with ETag/304
///                                 (short polling)
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

    strata::topic ticks_;
    strata::topic stocks_;
    std::vector<stock> prices_;
    boost::asio::steady_timer timer_;
    bool stopped_ = false;
};

} // namespace strata_cli
