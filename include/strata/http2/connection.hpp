// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The HTTP/2 codec (RFC 9113): a sans-I/O wrapper around an nghttp2_session
// in the shape every strata codec shares (DESIGN.md "One codec shape").
//
//   input:    handle_bytes() -> bytes consumed; it stops after each DATA
//             chunk so the chunk's bytes are handed out without a copy
//   events:   poll_event() -> headers | data | trailers | informational |
//             reset | goaway | settings
//   commands: submit_headers / submit_data / submit_trailers / submit_reset /
//             submit_goaway / consume
//   output:   poll_output() -> one buffer of frames to write
//
// nghttp2 does the framing, HPACK, stream states and most of RFC 9113's
// checks; this layer adds what nghttp2 leaves to the application: header
// list size, flood and rapid-reset limits, flow-control budgeting, and the
// translation to strata's event vocabulary. nghttp2.h stays out of this header.

#include <strata/config.hpp>
#include <strata/http/event.hpp>
#include <strata/http2/error.hpp>

#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace strata::http2 {

enum class role : unsigned char { client, server };

/// The client connection preface (RFC 9113 §3.4); a cleartext server that
/// sees it speaks HTTP/2 with prior knowledge.
inline constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Settings and limits. Defaults favour throughput for well-behaved peers
/// and bound what a hostile one can cost.
struct config {
    /// SETTINGS_MAX_CONCURRENT_STREAMS we allow the peer to open.
    std::uint32_t max_concurrent_streams = 100;
    /// SETTINGS_INITIAL_WINDOW_SIZE: body bytes a peer may send on one stream
    /// before the application reads them. A slow reader stalls only its own stream.
    std::uint32_t initial_stream_window = 1024 * 1024;
    /// Connection window, and the budget of received body bytes not yet read
    /// by the application. While under budget, connection credit is returned
    /// at once, so one slow stream never stalls the others; over it, credit
    /// returns only as the application reads, which bounds memory.
    std::uint32_t connection_window = 16 * 1024 * 1024;
    /// SETTINGS_MAX_FRAME_SIZE we accept (16 KiB to 16 MiB).
    std::uint32_t max_frame_size = 16 * 1024;
    /// SETTINGS_MAX_HEADER_LIST_SIZE: decoded field bytes (RFC 9113 §6.5.2
    /// counts name + value + 32 each). Over it a request gets 431 and a
    /// response its stream reset; four times over it ends the connection.
    std::uint32_t max_header_list_size = 64 * 1024;
    /// SETTINGS_HEADER_TABLE_SIZE for the peer's HPACK encoder.
    std::uint32_t header_table_size = 4096;
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): accept extended CONNECT
    /// (WebSockets over HTTP/2). Server role only.
    bool enable_connect_protocol = false;
    /// Streams the peer reset before they were answered. Past this many, when
    /// they are also more than half the streams opened, the connection ends
    /// with ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487).
    std::uint32_t max_premature_resets = 200;
    /// Frames that carry nothing (empty DATA without END_STREAM, empty
    /// CONTINUATION, WINDOW_UPDATE, PRIORITY, unknown types) allowed in a
    /// row before a frame with content; past it: ENHANCE_YOUR_CALM.
    std::uint32_t max_empty_frames = 1000;
    /// SETTINGS and PING acknowledgements queued unsent (SETTINGS/PING flood).
    std::uint32_t max_outbound_ack = 1000;
    /// SETTINGS entries in one frame.
    std::uint32_t max_settings_entries = 32;
    /// CONTINUATION frames after one HEADERS (CONTINUATION flood).
    std::uint32_t max_continuations = 8;
    /// RST_STREAM token bucket (server role): burst and refill per second.
    std::uint32_t reset_burst = 1000;
    std::uint32_t reset_rate = 33;
};

/// The head of a request to send (client role). Names are lowercased and
/// connection-specific fields (Connection, Keep-Alive, Transfer-Encoding,
/// Upgrade, Proxy-Connection, Host) are dropped, as RFC 9113 §8.2.2 requires.
struct request_head {
    std::string_view method;
    std::string_view scheme;
    std::string_view authority;
    std::string_view path;
    std::string_view protocol; ///< :protocol of an extended CONNECT (RFC 8441)
    std::span<const http::field_view> fields;
};

/// The head of a response to send (server role); 1xx other than 101 is an
/// informational response. Fields are cleaned as for requests.
struct response_head {
    unsigned status = 200;
    std::span<const http::field_view> fields;
};

class connection {
public:
    explicit connection(role r, config cfg = {});
    ~connection();
    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;

    // ---- input -------------------------------------------------------------

    /// Feeds bytes read from the transport. Returns how many were consumed:
    /// it stops after each DATA chunk, whose event points into `in`, so the
    /// caller must drain poll_event() before it reuses `in` and then feed
    /// the rest. After a connection error the codec is failed (see error());
    /// the GOAWAY it queued is in poll_output().
    std::size_t handle_bytes(std::span<const std::byte> in);

    /// The next event, or nullopt. Views stay valid until the next call to
    /// poll_event or handle_bytes (data views: while `in` lives).
    std::optional<http::event> poll_event();

    // ---- commands ----------------------------------------------------------

    /// Client role: starts a request on next_stream_id(). Server role:
    /// answers `stream` (a 1xx status sends an informational response).
    /// end_stream: no body follows.
    void submit_headers(http::stream_id stream, const request_head& head, bool end_stream, error_code& ec);
    void submit_headers(http::stream_id stream, const response_head& head, bool end_stream, error_code& ec);
    /// Queues body bytes (copied) under flow control.
    void submit_data(http::stream_id stream, std::span<const std::byte> bytes, bool end_stream,
                     error_code& ec);
    /// Ends the body with trailer fields.
    void submit_trailers(http::stream_id stream, std::span<const http::field_view> fields, error_code& ec);
    /// RST_STREAM: abandons one stream.
    void submit_reset(http::stream_id stream, error code);
    /// The response on `stream` is complete or about to be, and the rest of
    /// the peer's body is not wanted: RST_STREAM(NO_ERROR) once the last
    /// frame of the response is written (RFC 9113 §8.1), not before, so the
    /// response is not lost.
    void stop_receiving(http::stream_id stream);
    /// GOAWAY. no_error: graceful, streams already opened finish and no new
    /// ones are accepted; any other code ends the connection once written.
    void submit_goaway(error code);
    /// PING; the peer's answer proves the connection alive.
    void submit_ping();
    /// The application has read `n` bytes of the stream's body: flow-control
    /// credit goes back to the peer. Also call it for bytes thrown away.
    void consume(http::stream_id stream, std::size_t n);

    // ---- output ------------------------------------------------------------

    /// Frames to send, oldest first. The buffers stay valid until the next
    /// call; calling it means the previous list was written.
    std::span<const net::const_buffer> poll_output();
    bool has_output() const noexcept;

    // ---- state -------------------------------------------------------------

    /// Body bytes submitted on the stream and not yet framed (waiting for the
    /// peer's flow-control window): a driver's back-pressure measure.
    std::size_t pending_output(http::stream_id stream) const noexcept;
    /// Client role: the id submit_headers() must use next, 0 when exhausted.
    http::stream_id next_stream_id() const noexcept;
    /// Streams open now (both directions counted once).
    std::size_t active_streams() const noexcept;
    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS (client role: how many
    /// requests this connection may carry at once).
    std::uint32_t peer_max_concurrent_streams() const noexcept;
    /// The peer allows extended CONNECT (RFC 8441).
    bool peer_enable_connect_protocol() const noexcept;
    /// A new stream may be opened (client role): under the peer's limit and
    /// no GOAWAY seen or sent.
    bool can_open_stream() const noexcept;
    /// GOAWAY was received or sent.
    bool going_away() const noexcept;
    /// Nothing more to read or write: the driver closes the transport.
    bool finished() const noexcept;
    /// Why the connection failed (category "strata.http2"); empty otherwise.
    error_code error() const noexcept;
    /// Heap held by strata's side of the codec (not nghttp2's), for tests.
    std::size_t memory_usage() const noexcept;
    /// Gives back the storage strata's side keeps for reuse (output batch,
    /// header scratch, pooled stream records) while no stream is open: an
    /// idle connection then holds little beyond nghttp2's session. Call it
    /// only once the buffers of the last poll_output() have been written.
    void shrink_to_fit() noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace strata::http2
