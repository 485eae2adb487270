// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The HTTP/3 codec (RFC 9114, QPACK RFC 9204): a sans-I/O wrapper around an
// nghttp3_conn in the shape every strata codec shares (DESIGN.md "One codec
// shape"). HTTP/3 runs on QUIC streams, not on one byte stream, so its input
// and output name the stream they belong to:
//
//   input:    handle_stream_data(stream, bytes, fin) for every QUIC stream,
//             plus the transport's stream events (handle_stream_reset,
//             handle_stop_sending, handle_stream_close)
//   events:   poll_event() -> headers | data | trailers | informational |
//             reset | goaway | settings
//   commands: submit_headers / submit_data / submit_trailers / submit_reset /
//             submit_goaway / consume
//   output:   poll_output() -> the next stream's bytes; the driver hands them
//             to QUIC and reports back with add_write_offset / block_stream /
//             add_ack_offset, as nghttp3 asks
//   transport requests: poll_stream_action() (reset a stream's sending side,
//             STOP_SENDING its receiving side) and poll_credit() (flow-control
//             credit to return to the peer)
//
// The codec never touches QUIC: the driver opens the streams and moves bytes
// and acknowledgements between the two. nghttp3.h stays out of this header.

#include <strata/config.hpp>
#include <strata/http/event.hpp>
#include <strata/http3/error.hpp>

#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace strata::http3 {

enum class role : unsigned char { client, server };

/// Settings and limits. Defaults bound what a hostile peer can cost.
struct config {
    /// SETTINGS_MAX_FIELD_SECTION_SIZE: decoded field bytes (name + value + 32
    /// each, RFC 9114 §4.2.2). Over it a request gets 431 and a response its
    /// stream reset (H3_EXCESSIVE_LOAD).
    std::uint64_t max_field_section_size = 64 * 1024;
    /// SETTINGS_QPACK_MAX_TABLE_CAPACITY: dynamic table the peer's encoder may use.
    std::size_t qpack_max_table_capacity = 4096;
    /// Dynamic table our encoder uses (bounded by the peer's setting).
    std::size_t qpack_encoder_max_table_capacity = 4096;
    /// SETTINGS_QPACK_BLOCKED_STREAMS: streams that may wait for encoder
    /// instructions at once.
    std::size_t qpack_blocked_streams = 100;
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 9220): accept extended CONNECT
    /// (WebSockets over HTTP/3). Server role only.
    bool enable_connect_protocol = false;
    /// Server role: request streams the peer may open, as announced by QUIC's
    /// initial_max_streams_bidi; the codec refuses more (H3_REQUEST_REJECTED).
    std::uint64_t max_concurrent_streams = 100;
};

/// The head of a request to send (client role). Names are lowercased and
/// connection-specific fields (Connection, Keep-Alive, Transfer-Encoding,
/// Upgrade, Proxy-Connection, Host) are dropped, as RFC 9114 §4.2 requires.
struct request_head {
    std::string_view method;
    std::string_view scheme;
    std::string_view authority;
    std::string_view path;
    std::string_view protocol; ///< :protocol of an extended CONNECT (RFC 9220)
    std::span<const http::field_view> fields;
};

/// The head of a response to send (server role); 1xx other than 101 is an
/// informational response. Fields are cleaned as for requests.
struct response_head {
    unsigned status = 200;
    std::span<const http::field_view> fields;
};

/// Bytes the codec wants written on one QUIC stream. `data` stays valid until
/// the bytes are acknowledged (add_ack_offset) or the stream closes.
struct stream_output {
    http::stream_id stream = -1; ///< -1: nothing to write now
    std::span<const net::const_buffer> data;
    bool fin = false; ///< the stream's sending side ends after `data`
};

/// A QUIC-level action the codec needs on one stream.
struct stream_action {
    enum kind_type : unsigned char {
        reset_stream, ///< abandon our sending side (RESET_STREAM) with `code`
        stop_sending, ///< ask the peer to stop its sending side (STOP_SENDING) with `code`
    };
    http::stream_id stream = 0;
    kind_type kind = reset_stream;
    std::uint64_t code = 0; ///< HTTP/3 application error code (error enum value)
};

/// Flow-control credit: the codec is done with `bytes` more bytes of
/// `stream` (framing it consumed, body bytes the application consume()d).
/// The driver extends the stream's and the connection's receive windows by it.
struct stream_credit {
    http::stream_id stream = 0;
    std::size_t bytes = 0;
};

class connection {
public:
    explicit connection(role r, config cfg = {});
    ~connection();
    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;

    /// Binds the three unidirectional streams this side opened (RFC 9114
    /// §6.2.1 control stream, RFC 9204 §4.2 encoder and decoder streams);
    /// call once, right after the QUIC handshake lets us open them.
    void bind_local_streams(http::stream_id control, http::stream_id qpack_encoder,
                            http::stream_id qpack_decoder, error_code& ec);

    // ---- input -------------------------------------------------------------

    /// Feeds bytes received on a QUIC stream (`fin`: the peer's sending side
    /// ended there). Body events point into `in`: drain poll_event() before
    /// `in` is reused. After a connection error the codec is failed (see
    /// error()) and the driver closes QUIC with error().value().
    void handle_stream_data(http::stream_id stream, std::span<const std::byte> in, bool fin);
    /// The peer reset its sending side of `stream` (RESET_STREAM).
    void handle_stream_reset(http::stream_id stream, std::uint64_t app_error);
    /// The peer asked us to stop sending on `stream` (STOP_SENDING).
    void handle_stop_sending(http::stream_id stream, std::uint64_t app_error);
    /// QUIC closed `stream` (both directions done). Closing a critical stream
    /// (control, QPACK) fails the connection with H3_CLOSED_CRITICAL_STREAM.
    void handle_stream_close(http::stream_id stream, std::uint64_t app_error);

    /// The next event, or nullopt. Views stay valid until the next call to
    /// poll_event or handle_stream_data.
    std::optional<http::event> poll_event();

    // ---- commands ----------------------------------------------------------

    /// Client role: starts a request on `stream`, a bidirectional stream the
    /// driver just opened. Server role: answers `stream` (a 1xx status sends
    /// an informational response). end_stream: no body follows.
    void submit_headers(http::stream_id stream, const request_head& head, bool end_stream, error_code& ec);
    void submit_headers(http::stream_id stream, const response_head& head, bool end_stream, error_code& ec);
    /// Queues body bytes (copied; kept until QUIC reports them acknowledged).
    void submit_data(http::stream_id stream, std::span<const std::byte> bytes, bool end_stream,
                     error_code& ec);
    /// Ends the body with trailer fields.
    void submit_trailers(http::stream_id stream, std::span<const http::field_view> fields, error_code& ec);
    /// Abandons one stream both ways: queues reset_stream and stop_sending
    /// actions with `code` and forgets the stream's queued output.
    void submit_reset(http::stream_id stream, error code);
    /// The response on `stream` is complete or about to be and the rest of
    /// the request body is not wanted: STOP_SENDING(H3_NO_ERROR), RFC 9114 §4.1.
    void stop_receiving(http::stream_id stream);
    /// GOAWAY (RFC 9114 §5.2). Server role: a first call announces shutdown,
    /// requests already received finish; no new ones are accepted.
    void submit_goaway();
    /// The application has read `n` bytes of the stream's body: their credit
    /// becomes available through poll_credit(). Also call it for bytes thrown away.
    void consume(http::stream_id stream, std::size_t n);

    // ---- output ------------------------------------------------------------

    /// The next stream with bytes to write, or stream == -1 when none. The
    /// driver offers the bytes to QUIC, then reports what QUIC took.
    stream_output poll_output();
    /// QUIC took `n` bytes of the last poll_output() of `stream` (and its fin
    /// once all were taken).
    void add_write_offset(http::stream_id stream, std::size_t n);
    /// QUIC's flow control blocks `stream`; unblock_stream when it has room.
    void block_stream(http::stream_id stream);
    void unblock_stream(http::stream_id stream);
    /// QUIC will take nothing more on `stream` (its sending side was reset).
    void shutdown_stream_write(http::stream_id stream);
    /// The peer acknowledged `n` more bytes of `stream`: their storage is freed.
    void add_ack_offset(http::stream_id stream, std::uint64_t n);

    std::optional<stream_action> poll_stream_action();
    std::optional<stream_credit> poll_credit();

    // ---- state -------------------------------------------------------------

    /// Body bytes submitted on the stream and not yet acknowledged by the
    /// peer: a driver's back-pressure measure.
    std::size_t pending_output(http::stream_id stream) const noexcept;
    /// Request streams open now.
    std::size_t active_streams() const noexcept;
    /// The peer's SETTINGS arrived (nghttp3 0.8 does not report them, so the
    /// codec reads the peer's control stream's first frame itself).
    bool peer_settings_received() const noexcept;
    /// The peer allows extended CONNECT (RFC 9220).
    bool peer_enable_connect_protocol() const noexcept;
    /// GOAWAY was received or sent.
    bool going_away() const noexcept;
    /// Client role: the largest stream id a GOAWAY from the server still
    /// allows (requests above it were not processed and may be retried).
    http::stream_id goaway_stream() const noexcept;
    /// Why the connection failed (category "strata.http3"); empty otherwise.
    error_code error() const noexcept;
    /// Heap held by strata's side of the codec (not nghttp3's), for tests.
    std::size_t memory_usage() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace strata::http3
