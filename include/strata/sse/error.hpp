// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Server-Sent Events errors, category "strata.sse": limits the parser
// enforces on a peer's stream, and the reasons an event_source gives up
// (the WHATWG "fail the connection" cases) rather than reconnecting.

#include <strata/config.hpp>

#include <type_traits>

namespace strata::sse {

enum class error {
    line_too_long = 1, ///< a line longer than parser_config::max_line_bytes
    event_too_large,   ///< an event's data longer than parser_config::max_event_bytes
    bad_status,        ///< the response status was not 200 (the source does not reconnect)
    bad_content_type,  ///< the response was not text/event-stream (the source does not reconnect)
    invalid_field,     ///< encoder: an id or event type containing CR, LF or NUL
};

const error_category& error_category_instance() noexcept;

inline error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category_instance()};
}

} // namespace strata::sse

template <>
struct boost::system::is_error_code_enum<strata::sse::error> : std::true_type {};
