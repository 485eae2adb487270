// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The seam between the version-free client and a connection driver. Private to src/.

#include <strata/client.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace strata::detail {

struct response_head {
    unsigned status = 0;
    std::string reason;
    http::fields fields;
    http::version version = http::version::http1_1;
};

class client_connection {
public:
    virtual ~client_connection() = default;

    /// Sends the request and reads up to the final response head.
    virtual net::awaitable<void> send(const client_request& req, const url& target, response_head& out,
                                      error_code& ec) = 0;
    virtual net::awaitable<std::size_t> read_body(std::span<std::byte> out, error_code& ec) = 0;
    virtual bool body_done() const noexcept = 0;
    virtual const http::fields& trailers() const noexcept = 0;
    /// The exchange is complete and the connection may carry another.
    virtual bool reusable() const noexcept = 0;
    /// Whether any byte of a response arrived: a reused connection that fails
    /// before that was closed by the server while idle, and the request can be retried.
    virtual bool got_response_bytes() const noexcept = 0;
    virtual http::version version() const noexcept = 0;
    virtual void close() = 0;
    /// After a protocol switch: the new protocol's bytes, and the end of
    /// them (`end` with no pieces closes the sending half).
    virtual net::awaitable<void> write_tunnel(std::span<const net::const_buffer> pieces, bool end,
                                              error_code& ec) = 0;
    /// The connection goes back to the pool: nothing of it may keep the
    /// executor busy (io_context::run() returns while only idle connections remain).
    virtual void park() = 0;

    /// Several of these share one connection (HTTP/2 streams): the pool
    /// neither parks nor closes the connection when one is released, and
    /// destroying an unfinished one cancels only its stream.
    virtual bool multiplexed() const noexcept { return false; }
    /// The request never reached the application: the server refused the
    /// stream (REFUSED_STREAM, or above a GOAWAY's last stream), so it may be
    /// retried whatever its method.
    virtual bool refused() const noexcept { return false; }

    std::chrono::steady_clock::time_point idle_since{};
};

/// An HTTP/2 or HTTP/3 connection to one origin, shared by the requests it carries.
class multiplexed_session {
public:
    virtual ~multiplexed_session() = default;
    /// A new request may start now (under the server's stream limit, no GOAWAY).
    virtual bool can_open_stream() const noexcept = 0;
    /// Neither failed nor closed nor going away: it may carry requests again later.
    virtual bool usable() const noexcept = 0;
    /// The server's stream limit is not known yet (its SETTINGS, or the QUIC
    /// handshake, are a round trip away): wait for it rather than open another connection.
    virtual bool awaiting_settings() const noexcept = 0;
    /// Whether any request has used it already (client_response::reused_connection).
    virtual bool used() const noexcept = 0;
    /// No exchange in progress: close_idle() may close it.
    virtual bool idle() const noexcept = 0;
    /// A new stream for one exchange; call only when can_open_stream().
    virtual std::shared_ptr<client_connection> open_stream() = 0;
    virtual void close() = 0;
    /// Called (on the session's executor) whenever a stream ends: a request
    /// waiting for room may go on.
    std::function<void()> on_stream_closed;
    /// Called when the room changes for everyone: the server's SETTINGS
    /// arrived, or a GOAWAY means no more room at all.
    std::function<void()> on_capacity;
};

using tls_client_stream = net::ssl::stream<net::ip::tcp::socket>;

std::shared_ptr<client_connection> make_http1_client_connection(net::ip::tcp::socket socket,
                                                                const client_config& cfg);
std::shared_ptr<client_connection> make_http1_client_connection(tls_client_stream stream,
                                                                const client_config& cfg);
std::shared_ptr<multiplexed_session> make_http2_session(net::ip::tcp::socket socket,
                                                        const client_config& cfg);
std::shared_ptr<multiplexed_session> make_http2_session(tls_client_stream stream, const client_config& cfg);

class http3_client_context;

/// Opens a QUIC connection to `remote` and starts HTTP/3 on it; completes
/// once the handshake finished (or, with a resumption ticket and 0-RTT
/// enabled, at once, so idempotent requests go in early data), or failed
/// within cfg.handshake_timeout.
net::awaitable<std::shared_ptr<multiplexed_session>> connect_http3(std::shared_ptr<http3_client_context> ctx,
                                                                   const url& target,
                                                                   const net::ip::udp::endpoint& remote,
                                                                   const client_config& cfg, error_code& ec);
/// The QUIC TLS context and resumption tickets a client shares among its
/// HTTP/3 connections; made on first use.
std::shared_ptr<http3_client_context> make_http3_client_context(const client_config& cfg, error_code& ec);
std::size_t early_data_requests(const http3_client_context& ctx) noexcept;

} // namespace strata::detail
