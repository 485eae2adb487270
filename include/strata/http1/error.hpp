// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// HTTP/1.1 errors (RFC 9112): what was wrong in the peer's input, plus one
// value for misuse of the codec's API. The peer's violations each map to the
// status a server answers them with (status_for).

#include <strata/config.hpp>

#include <type_traits>

namespace strata::http1 {

enum class error {
    // ---- start line --------------------------------------------------------
    bad_method = 1,      ///< method is empty or not a token (400)
    bad_target,          ///< request-target malformed or not allowed for the method (400)
    bad_version,         ///< HTTP-version malformed (400)
    unsupported_version, ///< well-formed but not HTTP/1.x, e.g. HTTP/2.0 (505)
    bad_status,          ///< status-line malformed, or a status not allowed here (client role)
    bad_request_line,    ///< request line has the wrong number of parts or stray whitespace (400)
    // ---- fields ------------------------------------------------------------
    bad_field_name,          ///< field name empty or not a token (400)
    bad_field_value,         ///< CTL (other than HTAB) or DEL in a field value (400)
    obs_fold,                ///< line folding (RFC 9112 §5.2), refused (400)
    bare_cr,                 ///< CR not followed by LF (400, RFC 9112 §2.2)
    bare_lf,                 ///< LF without the CR before it (400)
    whitespace_before_colon, ///< whitespace between field name and colon (400, RFC 9112 §5.1)
    missing_host,            ///< HTTP/1.1 request without Host (400, RFC 9112 §3.2)
    duplicate_host,          ///< more than one Host field (400)
    // ---- framing -----------------------------------------------------------
    both_content_length_and_transfer_encoding, ///< RFC 9112 §6.3 item 3 (400)
    conflicting_content_length,                ///< differing Content-Length values (400)
    bad_content_length,                        ///< Content-Length not a decimal number (400)
    bad_transfer_encoding,                     ///< chunked not last, chunked twice, or TE on HTTP/1.0 (400)
    unknown_transfer_coding,                   ///< a transfer coding the codec does not know (501)
    bad_chunk_size,                            ///< chunk-size line is not hex digits (400)
    chunk_size_overflow,                       ///< chunk-size over 16 hex digits (400)
    bad_chunk_extension,                       ///< chunk extension malformed or too long (400)
    bad_chunk_end,                             ///< chunk data not followed by CRLF (400)
    // ---- limits ------------------------------------------------------------
    header_too_large, ///< head over config::max_header_bytes (431)
    target_too_long,  ///< request-target over config::max_target_bytes (414)
    too_many_fields,  ///< more than config::max_field_count fields (431)
    body_too_large,   ///< body over config::max_body_bytes or the per-request limit (413)
    // ---- connection --------------------------------------------------------
    partial_message,      ///< the peer closed in the middle of a message (400)
    unsolicited_response, ///< a response arrived with no request outstanding
    // ---- local misuse (not the peer's fault) -------------------------------
    bad_submit, ///< a submit_* call the codec cannot honour in its state; nothing was sent
};

const error_category& error_category_instance() noexcept;

inline error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category_instance()};
}

/// The status a server answers a peer violation with (400, 413, 414, 431, 501,
/// 505); 0 for bad_submit, which is never the peer's fault.
unsigned status_for(error e) noexcept;

} // namespace strata::http1

template <>
struct boost::system::is_error_code_enum<strata::http1::error> : std::true_type {};
