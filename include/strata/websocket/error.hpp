// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// WebSocket errors, category "strata.websocket": what was wrong in the
// peer's frames (RFC 6455 §5, RFC 7692 §6), in its opening handshake
// (RFC 6455 §4, RFC 8441, RFC 9220), and one value for misuse of the codec.
// Each peer violation maps to the close code (RFC 6455 §7.4.1) the peer is
// told with (close_code_for).

#include <strata/config.hpp>

#include <cstdint>
#include <type_traits>

namespace strata::websocket {

/// Status codes of a close frame (RFC 6455 §7.4.1, IANA registry).
enum class close_code : std::uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported_data = 1003,
    no_status = 1005, ///< never on the wire: the close frame had no payload
    abnormal = 1006,  ///< never on the wire: the connection ended without a close frame
    invalid_payload = 1007,
    policy_violation = 1008,
    message_too_big = 1009,
    mandatory_extension = 1010,
    internal_error = 1011,
    service_restart = 1012,
    try_again_later = 1013,
};

/// Whether `code` may appear in a close frame on the wire (RFC 6455 §7.4:
/// 1000-1003, 1007-1011, 1012-1014 registered by IANA since, 3000-4999).
bool is_valid_close_code(std::uint16_t code) noexcept;

enum class error {
    closed = 1, ///< the close handshake ended the connection (not a failure)
    // ---- framing (RFC 6455 §5) -----------------------------------------------
    reserved_bits,           ///< RSV1-3 set without an extension that defines them (1002)
    bad_opcode,              ///< a reserved opcode, 3-7 or 11-15 (1002)
    fragmented_control,      ///< a control frame without FIN (1002)
    control_too_big,         ///< a control frame payload over 125 bytes (1002)
    bad_close_payload,       ///< a close frame with a 1-byte payload (1002)
    bad_close_code,          ///< a close code that may not be sent (1002)
    unmasked_frame,          ///< server: a client frame without a mask (1002)
    masked_frame,            ///< client: a server frame with a mask (1002)
    unexpected_continuation, ///< a continuation frame with no message in progress (1002)
    expected_continuation,   ///< a text or binary frame while a message is in progress (1002)
    bad_length,              ///< a length not in its minimal encoding, or over 2^63 (1002)
    invalid_utf8,            ///< a text message or close reason that is not UTF-8 (1007)
    frame_too_big,           ///< a frame over config::max_frame_bytes (1009)
    message_too_big,         ///< a message over config::max_message_bytes (1009)
    // ---- permessage-deflate (RFC 7692) ---------------------------------------
    inflate_failed,   ///< compressed data that does not inflate (1007)
    inflated_too_big, ///< a message inflating past config::max_message_bytes (1009)
    // ---- opening handshake ----------------------------------------------------
    bad_handshake,            ///< the request or response is not a WebSocket handshake
    bad_version,              ///< Sec-WebSocket-Version is not 13
    bad_key,                  ///< Sec-WebSocket-Key missing or not base64 of 16 bytes
    bad_accept,               ///< Sec-WebSocket-Accept does not match the key
    no_upgrade,               ///< Upgrade: websocket or Connection: upgrade missing
    bad_subprotocol,          ///< the server chose a subprotocol the client did not offer
    bad_extension,            ///< Sec-WebSocket-Extensions not acceptable (RFC 7692 §5)
    extended_connect_refused, ///< the HTTP/2 or HTTP/3 server does not allow extended CONNECT
    origin_refused,           ///< server: accept_config::allow_origin refused the Origin (403 sent)
    // ---- local misuse (not the peer's fault) ----------------------------------
    bad_write, ///< a write the codec cannot frame (control payload over 125 bytes, a close code
               ///< that may not be sent, a close reason that is not UTF-8); nothing was queued
};

const error_category& websocket_category() noexcept;

inline error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), websocket_category()};
}

/// The close code a failure is reported to the peer with: 1002 for protocol
/// errors, 1007 for payload inconsistent with its message (bad UTF-8, bad
/// deflate data), 1009 for size limits, 1000 for `closed`, 1011 otherwise.
close_code close_code_for(error_code ec) noexcept;

} // namespace strata::websocket

template <>
struct boost::system::is_error_code_enum<strata::websocket::error> : std::true_type {};
