// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Long polling from a topic, on any HTTP version ("the server holds the
// request open"). GET /path?since=ID answers at once with the events after
// ID, or holds the request until one is published or `hold` passes, then
// answers with what there is (maybe nothing). Every answer carries the
// cursor to ask with next:
//
//   {"next":42,"missed":0,"events":[{"id":41,"type":"score","data":"..."},...]}
//
// Without since=, the request waits for the next event published. A since=
// older than the retention window is answered with the oldest retained
// events and "missed" says how many were dropped: never silently.
//
//   srv.route("GET", "/scores/poll", strata::long_poll::handler(scores));

#include <strata/config.hpp>
#include <strata/request.hpp>
#include <strata/response.hpp>
#include <strata/router.hpp>
#include <strata/topic.hpp>

#include <chrono>
#include <string>

namespace strata::long_poll {

struct handler_config {
    /// How long a request with nothing to answer is held.
    std::chrono::milliseconds hold{30'000};
    /// The query parameter carrying the cursor.
    std::string cursor_param = "since";
};

/// A route handler answering long polls from `t` (which must outlive the
/// server's use of it).
strata::handler handler(topic& t, handler_config cfg = {});

/// Answers one long poll on `res`, for handlers that check first.
net::awaitable<void> answer(topic& t, request& req, response& res, const handler_config& cfg, error_code& ec);

} // namespace strata::long_poll
