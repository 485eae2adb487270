// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// HTTP/3 error codes (RFC 9114 §8.1) and QPACK's (RFC 9204 §6). The numeric
// values are the wire values carried by RESET_STREAM, STOP_SENDING and
// CONNECTION_CLOSE, so an error_code in category "strata.http3" says exactly
// what the peer sent or what strata answered.

#include <strata/config.hpp>

#include <cstdint>
#include <type_traits>

namespace strata::http3 {

enum class error : std::uint64_t {
    no_error = 0x100,
    general_protocol_error = 0x101,
    internal_error = 0x102,
    stream_creation_error = 0x103,
    closed_critical_stream = 0x104,
    frame_unexpected = 0x105,
    frame_error = 0x106,
    excessive_load = 0x107,
    id_error = 0x108,
    settings_error = 0x109,
    missing_settings = 0x10a,
    request_rejected = 0x10b,
    request_cancelled = 0x10c,
    request_incomplete = 0x10d,
    message_error = 0x10e,
    connect_error = 0x10f,
    version_fallback = 0x110,
    qpack_decompression_failed = 0x200,
    qpack_encoder_stream_error = 0x201,
    qpack_decoder_stream_error = 0x202,
};

const error_category& error_category_instance() noexcept;

inline error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category_instance()};
}

} // namespace strata::http3

template <>
struct boost::system::is_error_code_enum<strata::http3::error> : std::true_type {};
