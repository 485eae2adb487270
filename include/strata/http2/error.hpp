// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// HTTP/2 error codes (RFC 9113 §7). The numeric values are the wire values
// carried by RST_STREAM and GOAWAY, so an error_code in category
// "strata.http2" says exactly what the peer sent or what strata answered.

#include <strata/config.hpp>

#include <cstdint>
#include <type_traits>

namespace strata::http2 {

enum class error : std::uint32_t {
    no_error = 0x0,
    protocol_error = 0x1,
    internal_error = 0x2,
    flow_control_error = 0x3,
    settings_timeout = 0x4,
    stream_closed = 0x5,
    frame_size_error = 0x6,
    refused_stream = 0x7,
    cancel = 0x8,
    compression_error = 0x9,
    connect_error = 0xa,
    enhance_your_calm = 0xb,
    inadequate_security = 0xc,
    http_1_1_required = 0xd,
};

const error_category& error_category_instance() noexcept;

inline error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category_instance()};
}

} // namespace strata::http2

template <>
struct boost::system::is_error_code_enum<strata::http2::error> : std::true_type {};
