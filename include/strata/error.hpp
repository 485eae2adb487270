// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Errors of strata's own making that belong to no protocol: deadlines, limits
// the library enforces above the codecs, and misuse of the API. Protocol
// violations have their own category per layer (http1::error, ...).

#include <strata/config.hpp>

#include <type_traits>

namespace strata {

enum class error {
    timeout = 1,        ///< a deadline passed (connect, handshake, header, body, idle)
    connection_limit,   ///< the server is at max_connections
    shutting_down,      ///< the server or client is stopping
    bad_url,            ///< the URL could not be parsed or has an unsupported scheme
    too_many_redirects, ///< the redirect limit was reached
    body_too_large,     ///< a body is larger than the caller allowed
    response_started,   ///< the handler already sent the response head
    no_alpn_match,      ///< TLS finished without a protocol both sides speak
    stream_closed,      ///< the exchange ended before the operation could finish
    unsupported,        ///< the peer or the build lacks what was asked for
    body_not_allowed,   ///< a body given with a status that has none (1xx, 204, 304)
};

const error_category& error_category_instance() noexcept;

inline error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category_instance()};
}

} // namespace strata

template <>
struct boost::system::is_error_code_enum<strata::error> : std::true_type {};
