// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The WebSocket codec (RFC 6455 §5-7, permessage-deflate RFC 7692): a
// sans-I/O state machine for one connection, either role.
//
//   input:    read() parses frames from the start of the caller's buffer
//             (unmasking in place) and returns how much it consumed and at
//             most one event: a piece of a message, a ping, a pong, a close
//   commands: write_message / write_ping / write_pong / write_close
//   output:   output() -> the bytes to write, as a list of buffers;
//             output_written() once they are
//
// Pings are answered (the pong is queued) and the peer's close is echoed
// without the caller's help; the events are still returned. A peer's
// violation fails the codec with a websocket::error and queues the close
// frame that tells the peer why (close_code_for); it stays failed.

#include <strata/config.hpp>
#include <strata/websocket/deflate.hpp>
#include <strata/websocket/error.hpp>
#include <strata/websocket/frame.hpp>

#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

namespace strata::websocket {

/// Limits and behaviour, each with a default that a well-behaved peer never meets.
struct config {
    /// A message over this (its payload, or what it inflates to) fails with
    /// error::message_too_big or error::inflated_too_big (close 1009).
    std::size_t max_message_bytes = 16 * 1024 * 1024;
    /// A frame over this fails with error::frame_too_big (close 1009),
    /// checked from its header before any payload arrives.
    std::size_t max_frame_bytes = 16 * 1024 * 1024;
    /// Check that text messages and close reasons are UTF-8 (RFC 6455 §8.1).
    bool validate_utf8 = true;
    /// Outgoing messages (or pieces) larger than this go out as several
    /// frames; 0: never fragment.
    std::size_t write_fragment_bytes = 0;
    /// Test hook: where client mask keys come from. Empty: OpenSSL
    /// RAND_bytes, drawn 64 keys at a time so masking stays cheap.
    std::function<mask_key()> mask_key_source;
};

class connection {
public:
    connection(role r, const config& cfg, std::optional<deflate_params> deflate = {},
               const deflate_config& dcfg = {});
    ~connection();
    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;

    // ---- input ---------------------------------------------------------------

    /// A piece of a message: payload already unmasked (in place, in the
    /// caller's buffer) or inflated (into the codec's buffer), and checked as
    /// UTF-8 as far as it goes for text. `first` on the piece that begins the
    /// message, `last` on the one that ends it; an empty piece may carry them
    /// (an empty message is one empty piece with both).
    struct message_data {
        std::span<const std::byte> bytes;
        message_type type;
        bool first;
        bool last;
    };
    struct ping {
        std::span<const std::byte> payload;
    };
    struct pong {
        std::span<const std::byte> payload;
    };
    /// The peer's close frame: code 1005 (no_status) when it had no payload.
    struct close {
        std::uint16_t code;
        std::string_view reason;
    };
    using event = std::variant<message_data, ping, pong, close>;
    struct result {
        std::size_t consumed = 0;
        std::optional<event> ev;
        error_code ec;
    };

    /// Parses from the start of `in` (mutable: masked payload is unmasked in
    /// place). Returns how many bytes it consumed and at most one event,
    /// whose spans stay valid until the next call or until the caller reuses
    /// those bytes. Bytes not consumed must be at the start of `in` next time.
    ///
    /// consumed == 0 and no event: more bytes are needed. A control frame is
    /// parsed only whole, so the buffer must hold at least 14 + 125 bytes; a
    /// data frame's payload is handed out in pieces as it arrives. While a
    /// compressed message has more to inflate than fit in one piece, the
    /// codec leaves at least one byte unconsumed, so calling again with what
    /// is left always makes progress.
    ///
    /// On error: ec set, the codec is failed and has queued a close frame
    /// with close_code_for(ec). After the peer's close frame (the event
    /// `close`, with our echo queued if we had not sent a close yet) input
    /// is ignored: consumed is all of it.
    result read(std::span<std::byte> in);

    // ---- commands --------------------------------------------------------------

    /// Frames a message (fin) or a piece of one (!fin: later calls continue it
    /// with continuation frames and their `type` is ignored). Client frames
    /// are masked. With permessage-deflate a message is compressed when its
    /// first piece is at least min_compress_bytes or is not its last (a
    /// message written in pieces is compressed as one stream).
    /// error::closed once a close was sent (or the codec failed).
    void write_message(message_type type, std::span<const std::byte> payload, bool fin, error_code& ec);
    /// Payload up to 125 bytes, else error::bad_write.
    void write_ping(std::span<const std::byte> payload, error_code& ec);
    void write_pong(std::span<const std::byte> payload, error_code& ec);
    /// Starts the close handshake, or answers the peer's. `code` must be valid
    /// on the wire (is_valid_close_code) or 1005, meaning a close frame with
    /// no payload; `reason` must be UTF-8 and is cut to 123 bytes at a
    /// character boundary. error::bad_write otherwise, error::closed when a
    /// close was already sent.
    void write_close(std::uint16_t code, std::string_view reason, error_code& ec);

    // ---- output ----------------------------------------------------------------

    /// The bytes to write, in order. Small frames are copied into one buffer
    /// so many small messages make one write; a server's large unmasked,
    /// uncompressed payloads (1 KiB and more) are referenced, not copied: the
    /// caller's payload must then stay valid until output_written(). Writes
    /// made while these buffers are being written queue behind them and do
    /// not disturb them; calling output() again before output_written()
    /// returns the same list.
    std::span<const net::const_buffer> output();
    /// Bytes queued and not yet written (including what output() handed out).
    std::size_t output_bytes() const noexcept;
    /// What the last output() returned was written; the codec drops it.
    void output_written() noexcept;

    // ---- state -----------------------------------------------------------------

    bool close_sent() const noexcept;
    bool close_received() const noexcept;
    /// Both closes exchanged, or failed: nothing more is read or framed;
    /// output() may still hold the last frames.
    bool done() const noexcept;
    bool failed() const noexcept;
    /// Why the codec failed; empty otherwise.
    error_code error() const noexcept;
    bool deflate_enabled() const noexcept;
    role get_role() const noexcept;
    /// Heap bytes held (buffers, zlib state), for memory accounting.
    std::size_t memory_usage() const noexcept;
    /// Gives back buffers that are idle (output written, no message being
    /// inflated). Spans of the last event end here.
    void shrink_to_fit() noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace strata::websocket
