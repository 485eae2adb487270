// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The WebSocket frame (RFC 6455 §5.2): opcodes, the masking transform, and
// the header's encoding both ways. Nothing here keeps state; the rules about
// which frames may follow which live in connection.hpp.

#include <strata/config.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace strata::websocket {

enum class role : unsigned char { client, server };

enum class opcode : std::uint8_t {
    continuation = 0,
    text = 1,
    binary = 2,
    close = 8,
    ping = 9,
    pong = 10,
};

/// Opcodes 8-15 are control frames (RFC 6455 §5.5), whether defined or reserved.
constexpr bool is_control(opcode op) noexcept
{
    return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

enum class message_type { text, binary };

using mask_key = std::array<std::byte, 4>;

/// XORs `data` with `key`, starting at byte `offset` of the key cycle (so a
/// payload unmasked in several pieces continues where it left off; only
/// offset % 4 matters). The same call masks and unmasks (RFC 6455 §5.3).
void apply_mask(std::span<std::byte> data, mask_key key, std::size_t offset) noexcept;

/// The longest header: 2 bytes, 8 of extended length, 4 of mask key.
inline constexpr std::size_t max_frame_header_bytes = 14;

/// Writes a frame header (2 to 14 bytes) into `out`; returns its size. rsv1
/// marks a compressed message (RFC 7692 §6). `mask` null: an unmasked frame.
std::size_t write_frame_header(std::span<std::byte, 14> out, opcode op, bool fin, bool rsv1,
                               std::uint64_t payload_size, const mask_key* mask) noexcept;

/// A frame header as it was on the wire; `op` may hold a reserved value.
struct frame_header {
    bool fin = false;
    bool rsv1 = false;
    bool rsv2 = false;
    bool rsv3 = false;
    opcode op = opcode::continuation;
    bool masked = false;
    mask_key key{};
    std::uint64_t payload_size = 0;
    std::size_t header_size = 0; ///< bytes the header took
};

enum class header_status {
    ok,
    need_more,  ///< `in` holds only part of the header
    bad_length, ///< the length is not in its minimal form, or has the top bit set (RFC 6455 §5.2)
};

/// Reads the frame header at the start of `in`. It checks only the length's
/// encoding: what the other fields may be is the connection's business.
header_status parse_frame_header(std::span<const std::byte> in, frame_header& h) noexcept;

} // namespace strata::websocket
