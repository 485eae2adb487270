// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The pieces of the opening handshake (RFC 6455 §4) that need no I/O: the
// key and its accept value, token lists, subprotocol choice. The
// permessage-deflate offer and answer are in deflate.hpp.

#include <strata/config.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace strata::websocket {

/// A fresh Sec-WebSocket-Key: 16 random bytes (OpenSSL RAND_bytes), base64.
std::string make_key();

/// Whether `key` is base64 of exactly 16 bytes (RFC 6455 §4.2.1 item 5).
bool is_valid_key(std::string_view key) noexcept;

/// Sec-WebSocket-Accept for `key` (RFC 6455 §4.2.2: base64 of the SHA-1 of
/// the key followed by "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").
std::string accept_key(std::string_view key);

/// Whether a comma-separated field value (Connection, Upgrade,
/// Sec-WebSocket-Protocol) holds `token`, case-insensitively, OWS ignored.
bool header_has_token(std::string_view value, std::string_view token) noexcept;

/// Server: the first subprotocol in `supported` (the server's order of
/// preference) that the client offered in Sec-WebSocket-Protocol; nullopt
/// when none. Subprotocol names compare case-sensitively.
std::optional<std::string> select_subprotocol(std::string_view offered,
                                              std::span<const std::string> supported);

} // namespace strata::websocket
