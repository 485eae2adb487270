// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Gateway errors, category "strata.gateway". Each has the short code a
// client sees in an error envelope ({"type":"error","data":{"code":...}}),
// so that programs branch on the code and people read the reason.

#include <strata/config.hpp>

#include <string_view>
#include <type_traits>

namespace strata::gateway {

enum class error {
    bad_envelope = 1,    ///< not a JSON object, invalid JSON, `type` or `id` of the wrong kind, binary
    too_big,             ///< an envelope over config::max_message_bytes
    unknown_type,        ///< no service handles the type
    service_unavailable, ///< the service of the type is not connected (and not held for)
    service_busy,        ///< the service's queue is full
    forbidden,           ///< a subscription the authorize hook refused
    slow_consumer,       ///< the client read too slowly and was cut off (close 1013)
    too_many_errors,     ///< config::max_bad_messages bad envelopes in a row (close 1008)
    bad_service_message, ///< a service link message the gateway cannot act on
    unknown_session,     ///< a reply to a session that has gone
    not_connected,       ///< service side: the link to the gateway is down
};

const error_category& gateway_category() noexcept;

inline error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), gateway_category()};
}

/// The code of an error envelope: "bad_envelope", "unknown_type", ...
std::string_view code_name(error e) noexcept;

} // namespace strata::gateway

template <>
struct boost::system::is_error_code_enum<strata::gateway::error> : std::true_type {};
