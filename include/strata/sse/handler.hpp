// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Server-Sent Events from a topic, on any HTTP version: a text/event-stream
// response that does not end. Each event leaves as soon as it is published
// (the topic's pre-encoded bytes, flushed per batch); comments keep a quiet
// stream open through proxies; a client that reconnects with Last-Event-ID
// gets exactly what it missed.
//
//   srv.route("GET", "/scores", strata::sse::handler(scores));

#include <strata/config.hpp>
#include <strata/request.hpp>
#include <strata/response.hpp>
#include <strata/router.hpp>
#include <strata/topic.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace strata::sse {

struct handler_config {
    /// A comment line is sent after this long without an event, so proxies
    /// and load balancers do not close the stream as idle (and a dead client
    /// is noticed by the failed write).
    std::chrono::milliseconds heartbeat{15'000};
    /// Sent first as `retry:`: how long clients wait before reconnecting.
    /// Zero: not sent (browsers then use their own, about 3 s).
    std::chrono::milliseconds retry{1'000};
    /// Without Last-Event-ID, start with the oldest retained event rather
    /// than with the next one published (a chat's backlog).
    bool replay_retained = false;
    /// When a client's Last-Event-ID is older than the retention window,
    /// this event (no id, data {"after":ID,"missed":N}) says so before the
    /// stream resumes at the oldest retained event. Never silent.
    std::string gap_event_type = "strata-gap";
    /// Ends the stream after this long (the client reconnects and resumes):
    /// spreads long-lived connections over a fleet. Zero: never.
    std::chrono::milliseconds max_duration{0};
    /// The query parameter read as the cursor when there is no
    /// Last-Event-ID header (clients that cannot set headers). Empty: none.
    std::string cursor_param = "lastEventId";
};

/// A route handler streaming `t` (which must outlive the server's use of it).
strata::handler handler(topic& t, handler_config cfg = {});

/// Streams `t` on `res` (not started yet), for handlers that check first
/// (authorization, a topic per user). Returns when the client goes away,
/// the subscriber lags and is cut off, max_duration passes or the topic
/// closes; `ec` says which.
net::awaitable<void> stream(topic& t, request& req, response& res, const handler_config& cfg, error_code& ec);

} // namespace strata::sse
