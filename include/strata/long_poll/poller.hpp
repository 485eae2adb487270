// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Long polling, client side: ask with the cursor, deliver the batch, ask
// again at once with the new cursor. Errors back off; an empty answer (the
// server's hold passed) is asked again without delivering anything. Every
// event is delivered once, in order: the cursor only moves past what was
// delivered, and an event at or below it is never delivered again.
//
//   strata::long_poll::poller p{cli, "https://example.com/scores/poll"};
//   for (;;) for (auto& e : (co_await p.next()).events) use(e);

#include <strata/client.hpp>
#include <strata/config.hpp>
#include <strata/detail/async_adapt.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata::long_poll {

struct poller_config {
    /// Start after this event id; nullopt: with the next event published.
    std::optional<std::uint64_t> since;
    /// The query parameter carrying the cursor (the server's handler_config).
    std::string cursor_param = "since";
    /// How long one request may wait for its answer: more than the server's
    /// hold (30 s by default), or every quiet poll would time out.
    std::chrono::milliseconds response_timeout{60'000};
    /// After an error the wait starts here and doubles up to max_backoff.
    std::chrono::milliseconds initial_backoff{500};
    std::chrono::milliseconds max_backoff{30'000};
    /// Extra request fields (Authorization, ...).
    http::fields fields;
};

struct event {
    std::uint64_t id = 0;
    std::string type;
    std::string data;
};

struct batch {
    std::vector<event> events;
    /// The cursor after this batch.
    std::uint64_t next = 0;
    /// Events the server no longer had (the cursor was older than its
    /// retention window): never silently skipped.
    std::uint64_t missed = 0;
    /// The server's log started again (it was restarted, its cursor is
    /// behind ours): ids begin anew, and what came before cannot be counted.
    bool reset = false;
};

class poller {
public:
    poller(client& c, std::string url, poller_config cfg = {});
    poller(const poller&) = delete;
    poller& operator=(const poller&) = delete;
    ~poller();

    /// Completes with the next batch that has events (or a gap or reset to report);
    /// void(error_code, batch). After stop(): error::shutting_down.
    template <class CompletionToken = net::use_awaitable_t<>>
    auto async_next(CompletionToken&& token = {})
    {
        return detail::async_with_ec<batch>(
            client_.get_executor(), [this] { return next_for_token(); },
            std::forward<CompletionToken>(token));
    }
    net::awaitable<batch> next(error_code& ec);
    net::awaitable<batch> next();

    /// Stops at once: a request in flight is abandoned.
    void stop();

    /// The cursor: the id of the last event delivered (0 before one).
    std::uint64_t cursor() const noexcept { return cursor_.value_or(0); }
    std::size_t requests() const noexcept { return requests_; }
    std::size_t errors() const noexcept { return errors_; }
    error_code last_error() const noexcept { return last_error_; }

private:
    net::awaitable<std::pair<error_code, batch>> next_for_token();
    net::awaitable<bool> sleep(std::chrono::milliseconds d);

    client& client_;
    std::string url_;
    poller_config cfg_;
    net::steady_timer timer_;
    std::shared_ptr<request_canceller> canceller_;
    std::optional<std::uint64_t> cursor_;
    std::size_t requests_ = 0, errors_ = 0;
    error_code last_error_;
    bool stopped_ = false;
};

} // namespace strata::long_poll
