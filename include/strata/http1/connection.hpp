// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The HTTP/1.1 codec (RFC 9112): a sans-I/O state machine in the shape every
// strata codec shares (DESIGN.md "One codec shape", STYLE.md 9-12, 15).
//
//   input:    prepare()/commit() read straight into the codec's buffer;
//             handle_bytes() copies (tests, fuzzing); commit_eof() on FIN
//   events:   poll_event() -> headers | data | trailers | informational | upgrade
//   commands: submit_headers / submit_data / submit_trailers / submit_informational
//   output:   poll_output() -> a list of buffers to write, in order
//
// One exchange at a time: the connection numbers exchanges 1, 3, 5, ... as
// stream ids. A server-role connection pauses after a complete request until
// its response is complete, so pipelined requests are answered in order.

#include <strata/config.hpp>
#include <strata/http/event.hpp>
#include <strata/http1/error.hpp>

#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace strata::http1 {

enum class role : unsigned char { client, server };

/// Limits, each with a default chosen so that a hostile peer costs little and
/// a well-behaved one never meets them.
struct config {
    /// Request line / status line plus all header fields, in bytes. Over it:
    /// 431 (414 when the request target alone is over max_target_bytes).
    std::size_t max_header_bytes = 16 * 1024;
    /// Number of header (and trailer) fields. Over it: 431.
    std::size_t max_field_count = 100;
    /// Request target length. Over it: 414.
    std::size_t max_target_bytes = 8 * 1024;
    /// Total decoded body bytes per message; over it 413 (server role) or
    /// error::body_too_large (client role). Streaming handlers raise it per request
    /// with set_body_limit().
    std::uint64_t max_body_bytes = 8ull * 1024 * 1024;
    /// Chunk extensions are parsed and ignored; their total per chunk line is bounded.
    std::size_t max_chunk_ext_bytes = 1024;
    /// Largest read the codec asks the transport for at once.
    std::size_t read_buffer_bytes = 16 * 1024;
};

/// A field to send. The name is written as given (case kept).
struct field {
    std::string_view name;
    std::string_view value;
};

/// What submit_headers() sends as the first line.
struct request_head {
    std::string_view method;
    std::string_view target; ///< origin-form "/a?b" or absolute-form for proxies
    std::span<const field> fields;
    http::version ver = http::version::http1_1;
};

struct response_head {
    unsigned status = 200;
    std::string_view reason; ///< empty: the standard reason phrase
    std::span<const field> fields;
};

/// State of the connection as h11 names them, one per direction is folded
/// into the single view the driver needs.
enum class state : unsigned char {
    idle,     ///< between exchanges: waiting for a request (server) or a submit (client)
    busy,     ///< an exchange is in progress
    paused,   ///< server: request complete, waiting for its response to finish
    upgraded, ///< a 101 or 2xx-to-CONNECT switched the protocol; the codec is done
    closed,   ///< the connection must close once poll_output() is written
    failed,   ///< a peer violation or local misuse; see error()
};

class connection {
public:
    explicit connection(role r, config cfg = {});
    ~connection();
    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;

    // ---- input -------------------------------------------------------------

    /// A writable region of at least `min_bytes` (capped by the limits) at the
    /// end of the input buffer, for the transport to read into. Without
    /// min_bytes the region is about config::read_buffer_bytes. Empty when the
    /// buffer already holds max_header_bytes + read_buffer_bytes unread bytes
    /// (a paused server with pipelined requests): read again after poll_event.
    std::span<std::byte> prepare(std::size_t min_bytes = 0);
    /// `n` bytes were read into the region prepare() returned.
    void commit(std::size_t n);
    /// The peer closed its sending side. Ends a close-delimited response body;
    /// mid-message it is error::partial_message.
    void commit_eof();
    /// Copies `in` into the input buffer (prepare + memcpy + commit). Returns the
    /// bytes taken: fewer than in.size() when the buffer is at its limit and the
    /// codec waits for poll_event() to consume what it holds.
    std::size_t handle_bytes(std::span<const std::byte> in);

    /// The next decoded event, or nullopt when the codec needs more input, is
    /// paused, closed or failed (see current_state()). Views in the event
    /// stay valid until the next call to poll_event, prepare, commit or
    /// handle_bytes.
    std::optional<http::event> poll_event();

    // ---- commands ----------------------------------------------------------

    /// Client role: starts a request; `stream` must be next_stream_id(), and an
    /// HTTP/1.1 request must carry Host. Server role: answers the current
    /// request (the stream of its headers event); a 1xx status other than 101
    /// is sent as an informational response with the fields given.
    /// Body framing follows the fields: a Content-Length field is honoured;
    /// without one an end_stream head gets `Content-Length: 0` (none for
    /// 1xx/204/304 or HEAD), otherwise the body is chunked on HTTP/1.1 and
    /// close-delimited to an HTTP/1.0 peer. Hop-by-hop framing fields given by
    /// the caller that contradict this are misuse (error::bad_submit).
    void submit_headers(http::stream_id stream, const request_head& head, bool end_stream, error_code& ec);
    void submit_headers(http::stream_id stream, const response_head& head, bool end_stream, error_code& ec);
    /// Body bytes are not copied: they are referenced by poll_output() and must
    /// stay alive until the buffers it returns have been written.
    void submit_data(http::stream_id stream, std::span<const std::byte> bytes, bool end_stream,
                     error_code& ec);
    /// Ends a chunked body with trailer fields (dropped, with end of body, when the
    /// body is not chunked).
    void submit_trailers(http::stream_id stream, std::span<const field> fields, error_code& ec);
    /// Server role: a 1xx response, e.g. 100 Continue.
    void submit_informational(http::stream_id stream, unsigned status, error_code& ec);

    /// Server role: raise or lower the body limit of the request being read.
    void set_body_limit(std::uint64_t bytes) noexcept;

    // ---- output ------------------------------------------------------------

    /// Bytes to send, oldest first. The buffers stay valid until the next call
    /// to poll_output(); calling it means the previous list has been written.
    std::span<const net::const_buffer> poll_output();
    bool has_output() const noexcept;

    // ---- state -------------------------------------------------------------

    state current_state() const noexcept;
    /// Why the codec failed: a peer violation (http1::error, category
    /// "strata.http1") or misuse. Empty while not failed.
    error_code error() const noexcept;
    /// Server role: the status a failed request is answered with (400, 413,
    /// 414, 431, 501, 505). The codec has already queued that response, with
    /// `Connection: close`, in poll_output() if no response had been started.
    unsigned error_status() const noexcept;
    /// True while the connection can carry another exchange after this one.
    bool keep_alive() const noexcept;
    /// The version the peer speaks (from its first message), for framing.
    http::version peer_version() const noexcept;
    /// Frees the input buffer when it holds no unread bytes: an idle keep-alive
    /// connection then owns almost nothing (STYLE.md 15). Also frees the field
    /// array (views of the last event end here) and, when nothing new was
    /// submitted, the output storage: call it only once the buffers of the
    /// last poll_output() have been written. memory_usage() is then 0.
    void shrink_to_fit() noexcept;
    /// Frees the input buffer and the field array when no unread bytes are
    /// held, leaving output alone: a server streaming a long response (an
    /// event stream) holds no read buffer meanwhile. Views of the last event
    /// end here.
    void release_input() noexcept;
    /// Client role: the stream id the next submit_headers() must use (1, 3, 5, ...).
    http::stream_id next_stream_id() const noexcept;
    /// Bytes of heap the codec holds now (buffers), for tests and benchmarks.
    std::size_t memory_usage() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace strata::http1
