// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// permessage-deflate (RFC 7692): negotiating it in the opening handshake,
// and the compressor and decompressor of one connection. zlib stays in the
// .cpp; the zlib streams are allocated on first use and, where a direction
// has no context takeover, freed after each message, so an idle connection
// without context takeover holds none.

#include <strata/config.hpp>
#include <strata/websocket/error.hpp>
#include <strata/websocket/frame.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::websocket {

struct deflate_config {
    /// Offer (client) or accept (server) permessage-deflate.
    bool enable = false;
    /// LZ77 window of the server's compressor, 2^n bytes, 8..15. zlib cannot
    /// make a raw deflate stream with an 8-bit window, so a strata server
    /// compresses with at least 9 and declines an offer that holds it to 8; a
    /// strata client held to 8 sends its messages uncompressed.
    /// Both window settings bound compressors only: strata inflates with a
    /// 32 KiB window whatever was settled, so that a peer reaching past its
    /// window is decoded the same however its bytes are cut into reads (zlib
    /// does not enforce the window).
    int server_max_window_bits = 15;
    /// The same for the client's compressor, 8..15.
    int client_max_window_bits = 15;
    /// Ask for (or, on a server, impose) a fresh compressor per message on
    /// that side: less compression, but no window kept between messages.
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    /// zlib's level 1..9: 6 is zlib's own default, which node's ws uses too.
    int compression_level = 6;
    /// zlib's memLevel 1..9: 8 is its default (128 KiB of hash state at 15 bits).
    int mem_level = 8;
    /// Smaller messages go uncompressed (RSV1 clear): below this, deflate
    /// rarely wins back its block overhead.
    std::size_t min_compress_bytes = 32;
};

/// What the handshake settled (RFC 7692 §7.1).
struct deflate_params {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    int server_max_window_bits = 15;
    int client_max_window_bits = 15;
};

/// Client: the Sec-WebSocket-Extensions value to offer.
std::string deflate_offer(const deflate_config& cfg);

/// Server: picks the first acceptable permessage-deflate offer in the
/// request's Sec-WebSocket-Extensions value(s) (a comma-separated list;
/// parameters with token or quoted values; other extensions are ignored; an
/// offer with an unknown, duplicate or invalid parameter is not acceptable)
/// and fills `response` with the value to answer it with. nullopt: no
/// extension (also when cfg.enable is false or the value is malformed).
std::optional<deflate_params> deflate_negotiate(std::string_view request_extensions,
                                                const deflate_config& cfg, std::string& response);

/// Client: checks the server's Sec-WebSocket-Extensions against what was
/// offered (RFC 7692 §7.1: an extension not offered, a duplicate, an unknown
/// or malformed parameter, a window larger than the offer allowed =>
/// error::bad_extension). nullopt with no error: the server declined.
std::optional<deflate_params> deflate_accept_response(std::string_view response_extensions,
                                                      const deflate_config& offered, error_code& ec);

/// The compressor of our direction and the decompressor of the peer's, for
/// one connection (RFC 7692 §7.2).
class deflate_codec {
public:
    deflate_codec(role r, const deflate_params& p, const deflate_config& cfg);
    ~deflate_codec();
    deflate_codec(deflate_codec&&) noexcept;
    deflate_codec& operator=(deflate_codec&&) noexcept;

    /// False when our compressor is held to an 8-bit window (see
    /// deflate_config): messages then go uncompressed, which RFC 7692 allows
    /// message by message.
    bool can_compress() const noexcept;

    /// Compresses a whole message, or one piece of a message written in
    /// pieces (`last` on the final one), appending to `out`. Each piece is
    /// flushed so its bytes can go out at once; at the message's end the
    /// 00 00 ff ff tail is removed (RFC 7692 §7.2.1) and, without context
    /// takeover on our side, the compressor is freed.
    void compress(std::span<const std::byte> in, bool last, std::vector<std::byte>& out, error_code& ec);

    struct inflate_result {
        std::size_t consumed = 0; ///< bytes of `in` taken
        std::size_t produced = 0; ///< bytes written to `out`
        bool done = false;        ///< the message is complete: everything has been output
    };
    /// Inflates as much of `in` (the next compressed bytes of the current
    /// message) as fits into `out`. `last`: `in` ends the message; the
    /// 00 00 ff ff tail is appended once all of `in` is consumed, and calls
    /// with `in` empty then drain what is left until `done`. More than
    /// `limit` bytes in total for the message: error::inflated_too_big (no
    /// more than out.size() past the limit is ever written). Bad data:
    /// error::inflate_failed. On an error `produced` counts what came out
    /// before it (up to the limit), so the caller can check it first.
    inflate_result inflate(std::span<const std::byte> in, bool last, std::span<std::byte> out,
                           std::size_t limit, error_code& ec);

    /// Heap bytes the zlib streams hold now.
    std::size_t memory_usage() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace strata::websocket
