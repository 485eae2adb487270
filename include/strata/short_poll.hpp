// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Short polling, client side: ask every interval, deliver only changes.
// Each poll after the first carries If-None-Match, so an unchanged resource
// costs a 304 with no body.

#include <strata/client.hpp>
#include <strata/detail/async_adapt.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace strata {

struct short_poll_config {
    /// Time between the end of one poll and the start of the next.
    std::chrono::milliseconds interval{1000};
    /// After an error the wait doubles from `interval` up to this.
    std::chrono::milliseconds max_backoff{30'000};
    /// Extra fields sent with every poll (Authorization, Accept, ...).
    http::fields fields;
};

/// A representation that differs from the one delivered before.
struct poll_update {
    unsigned status = 0;
    std::string body;
    std::string etag;
    http::fields fields;
};

class short_poller {
public:
    short_poller(client& c, std::string url, short_poll_config cfg = {});

    /// Completes with the next changed representation; void(error_code, poll_update).
    /// Transport errors and 5xx answers are retried with back-off, not
    /// delivered; 4xx answers are delivered (they are changes too). After
    /// stop(), completes with error::shutting_down.
    template <class CompletionToken = net::use_awaitable_t<>>
    auto async_next(CompletionToken&& token = {})
    {
        return detail::async_with_ec<poll_update>(
            client_.get_executor(), [this] { return next_for_token(); },
            std::forward<CompletionToken>(token));
    }
    net::awaitable<poll_update> next(error_code& ec);

    /// Ends polling: a pending or later next() completes with error::shutting_down.
    void stop();

    std::size_t requests() const noexcept { return requests_; }
    std::size_t not_modified() const noexcept { return not_modified_; }
    std::size_t errors() const noexcept { return errors_; }
    /// The transport error of the last poll, if it failed that way.
    error_code last_error() const noexcept { return last_error_; }
    /// The status of the last answer (0 when the last poll got none): a 5xx
    /// here with an empty last_error() is a server error being backed off.
    unsigned last_status() const noexcept { return last_status_; }

private:
    net::awaitable<std::pair<error_code, poll_update>> next_for_token();
    net::awaitable<bool> sleep(std::chrono::milliseconds d);

    client& client_;
    std::string url_;
    short_poll_config cfg_;
    net::steady_timer timer_;
    std::string etag_;
    std::string last_body_;
    bool delivered_ = false;
    bool stopped_ = false;
    std::size_t requests_ = 0, not_modified_ = 0, errors_ = 0;
    error_code last_error_;
    unsigned last_status_ = 0;
};

} // namespace strata
