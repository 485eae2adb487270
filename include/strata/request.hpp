// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/config.hpp>
#include <strata/detail/server_stream.hpp>
#include <strata/http/fields.hpp>
#include <strata/http/version.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {

/// A request as a server handler sees it, whatever HTTP version carried it.
/// The head is owned; the body is read on demand, as a stream.
class request {
public:
    struct head {
        std::string method;
        std::string target; ///< as sent: "/path?query" (origin-form) or absolute-form
        std::string authority;
        std::string scheme; ///< "http" or "https"
        http::fields fields;
        http::version version = http::version::http1_1;
        net::ip::address remote_address;
        std::uint16_t remote_port = 0;
        bool has_body = false;
        bool upgrade = false;
        std::string protocol; ///< :protocol of an extended CONNECT (HTTP/2, HTTP/3)
    };

    request(head h, detail::server_stream& stream) : head_(std::move(h)), stream_(&stream) {}

    std::string_view method() const noexcept { return head_.method; }
    std::string_view target() const noexcept { return head_.target; }
    /// The path of the target, not decoded.
    std::string_view path() const noexcept;
    /// The query of the target without '?', not decoded; empty when none.
    std::string_view query() const noexcept;
    /// A query parameter, percent-decoded ('+' is a space, as forms send it).
    std::optional<std::string> query_param(std::string_view name) const;
    std::string_view authority() const noexcept { return head_.authority; }
    std::string_view scheme() const noexcept { return head_.scheme; }
    const http::fields& fields() const noexcept { return head_.fields; }
    std::optional<std::string_view> header(std::string_view name) const noexcept
    {
        return head_.fields.get(name);
    }
    http::version version() const noexcept { return head_.version; }
    const net::ip::address& remote_address() const noexcept { return head_.remote_address; }
    std::uint16_t remote_port() const noexcept { return head_.remote_port; }

    /// A path parameter captured by the route pattern ("/users/{id}"), decoded.
    std::string_view param(std::string_view name) const noexcept;
    void set_params(std::vector<std::pair<std::string, std::string>> params) { params_ = std::move(params); }

    /// Whether the client asks to switch protocols (HTTP/1.1 Upgrade, or an
    /// extended CONNECT on HTTP/2 and HTTP/3). Answering `101 Switching
    /// Protocols` with response::start() turns the body in both directions
    /// into the new protocol's byte stream: read_some() and response::write()
    /// carry it, whatever the HTTP version underneath.
    bool is_upgrade() const noexcept { return head_.upgrade; }
    /// The protocol an extended CONNECT asks for (":protocol", RFC 8441 and
    /// RFC 9220); empty otherwise (on HTTP/1.1 the Upgrade field names it).
    std::string_view protocol() const noexcept { return head_.protocol; }
    /// Whether a body follows the head (Content-Length > 0, chunked, or an h2/h3 DATA frame).
    bool has_body() const noexcept { return head_.has_body; }
    /// Reads the next piece of the body into `out`; 0 at its end.
    net::awaitable<std::size_t> read_some(net::mutable_buffer out, error_code& ec);
    net::awaitable<std::size_t> read_some(net::mutable_buffer out);
    /// Completes when read_some() would not wait (at once where the transport
    /// cannot tell): a protocol reading after an upgrade waits here without a
    /// buffer while its peer is quiet.
    net::awaitable<void> wait_readable(error_code& ec) { return stream_->wait_readable(ec); }
    /// Reads the whole body, at most `limit` bytes (413 Content Too Large is sent
    /// by the codec when the peer goes past the connection's limit).
    net::awaitable<std::string> read_body(std::size_t limit, error_code& ec);
    net::awaitable<std::string> read_body(std::size_t limit = 1024 * 1024);
    /// Trailer fields, once the body has been read to its end.
    const http::fields& trailers() const noexcept { return stream_->request_trailers(); }
    /// Raises the per-request body limit (config::max_body_bytes) for a streaming upload.
    void set_body_limit(std::uint64_t bytes) noexcept { stream_->set_body_limit(bytes); }

    net::any_io_executor get_executor() const { return stream_->executor(); }
    /// Ends the exchange now: the connection is closed (HTTP/1.1) or the
    /// stream reset (HTTP/2, HTTP/3); reads and writes in progress fail.
    /// For protocols that ran on after an upgrade and must give up on a peer.
    void abort() noexcept { stream_->abort_exchange(); }
    /// Calls `f` (on this request's executor) when the server starts a
    /// graceful shutdown, so a handler holding its response open (an event
    /// stream, a long poll) ends it rather than keep the shutdown waiting.
    /// An empty function unregisters; it must be cleared before what it refers to goes.
    void on_shutdown(std::function<void()> f) { stream_->on_shutdown(std::move(f)); }

private:
    head head_;
    detail::server_stream* stream_;
    std::vector<std::pair<std::string, std::string>> params_;
};

} // namespace strata
