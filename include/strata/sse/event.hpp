// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace strata::sse {

/// One dispatched Server-Sent Event, as the HTML standard's EventSource
/// delivers it (§9.2.6 "Interpreting an event stream").
struct event {
    /// The event type; "message" when the stream gave no `event:` field.
    std::string type = "message";
    /// The data lines joined with LF (the last LF removed).
    std::string data;
    /// The last event ID at dispatch: the most recent `id:` field seen on the
    /// stream so far, which need not be on this event (it persists).
    std::string last_event_id;
};

/// What a server writes: `id`, `event`, `data` and `retry` fields. Empty
/// optional fields are left out; a type of "message" is left out too (it
/// is the default).
struct outgoing_event {
    std::optional<std::string> id;
    std::string type;
    std::string data;
    std::optional<std::chrono::milliseconds> retry;
};

} // namespace strata::sse
