// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The EventSource of the HTML standard (§9.2), for C++: it opens the
// stream, delivers events one by one, and when the connection drops it
// waits the reconnection time (the server's `retry:`, or 3 s) and reconnects
// with Last-Event-ID, so a server resuming from a topic loses nothing.
// A response that is not 200 text/event-stream "fails the connection": the
// source closes and says why (sse::error::bad_status, bad_content_type).
//
//   strata::sse::event_source es{cli, "https://example.com/scores"};
//   for (;;) { auto ev = co_await es.next(); std::cout << ev.data << '\n'; }

#include <strata/client.hpp>
#include <strata/config.hpp>
#include <strata/detail/async_adapt.hpp>
#include <strata/sse/error.hpp>
#include <strata/sse/event.hpp>
#include <strata/sse/parser.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace strata::sse {

struct source_config {
    /// Wait before reconnecting until the server sends `retry:`.
    std::chrono::milliseconds reconnect_delay{3'000};
    /// Connections that fail before opening double the wait, up to this.
    std::chrono::milliseconds max_reconnect_delay{60'000};
    /// No byte for this long (not even a heartbeat comment) counts as a
    /// dead connection: reconnect. Zero: the client's body_timeout.
    std::chrono::milliseconds idle_timeout{60'000};
    /// The Last-Event-ID to send on the first connection (a resumed session).
    std::string last_event_id;
    /// Extra request fields (Authorization, ...).
    http::fields fields;
    parser_config parser;
};

enum class ready_state { connecting, open, closed };

class event_source {
public:
    event_source(client& c, std::string url, source_config cfg = {});
    event_source(const event_source&) = delete;
    event_source& operator=(const event_source&) = delete;
    ~event_source();

    /// Completes with the next event; void(error_code, event). Reconnects as
    /// needed in between. Errors: sse::error::bad_status / bad_content_type
    /// (the source is closed), error::shutting_down after close().
    template <class CompletionToken = net::use_awaitable_t<>>
    auto async_next(CompletionToken&& token = {})
    {
        return detail::async_with_ec<event>(
            client_.get_executor(), [this] { return next_for_token(); },
            std::forward<CompletionToken>(token));
    }
    net::awaitable<event> next(error_code& ec);
    net::awaitable<event> next();

    /// Stops: a pending next() completes with error::shutting_down, the
    /// connection is closed (HTTP/1.1) or its stream reset (HTTP/2, HTTP/3).
    void close();

    ready_state state() const noexcept { return state_; }
    const std::string& url() const noexcept { return url_; }
    /// What the next reconnection sends as Last-Event-ID.
    const std::string& last_event_id() const noexcept { return parser_.last_event_id(); }
    /// The wait before the next reconnection.
    std::chrono::milliseconds reconnection_time() const noexcept;
    /// Connections opened so far (1 + reconnections that got a stream).
    std::size_t connections() const noexcept { return connections_; }
    /// Why the last connection ended or failed.
    error_code last_error() const noexcept { return last_error_; }
    /// The status of the last response (0 before one).
    unsigned last_status() const noexcept { return last_status_; }
    /// The HTTP version of the current or last stream.
    http::version version() const noexcept { return version_; }

private:
    net::awaitable<std::pair<error_code, event>> next_for_token();
    net::awaitable<bool> connect(error_code& fatal);
    net::awaitable<bool> sleep(std::chrono::milliseconds d);

    client& client_;
    std::string url_;
    source_config cfg_;
    parser parser_;
    net::steady_timer timer_;
    client_response res_;
    std::shared_ptr<request_canceller> canceller_;
    std::vector<std::byte> buffer_;
    std::size_t buffered_ = 0, offset_ = 0; // bytes in buffer_ the parser has not taken yet
    ready_state state_ = ready_state::connecting;
    error_code fatal_;
    error_code last_error_;
    unsigned last_status_ = 0;
    http::version version_ = http::version::http1_1;
    std::size_t connections_ = 0;
    unsigned failures_ = 0; // connection attempts in a row that did not open
    std::size_t attempts_ = 0;
    bool reading_ = false; // a read of res_ is in progress
};

} // namespace strata::sse
