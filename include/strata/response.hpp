// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/config.hpp>
#include <strata/detail/server_stream.hpp>
#include <strata/http/fields.hpp>
#include <strata/http/status.hpp>
#include <strata/http/version.hpp>

#include <boost/asio/awaitable.hpp>

#include <span>
#include <string_view>

namespace strata {

/// The answer a handler gives, whatever HTTP version carries it. Either all
/// at once with send(), or as a stream: start(), write() as often as needed
/// (each write is flushed, so an SSE event or a long-poll answer leaves at
/// once), then finish(). A response that is never finished stays open until
/// the peer goes away or the server shuts down.
class response {
public:
    response(detail::server_stream& stream, http::version v) : stream_(&stream), version_(v)
    {
        // Room for the usual few (Content-Length, Content-Type, a validator)
        // in one allocation each rather than a regrowth per field.
        fields_.reserve(4, 96);
    }

    http::fields& fields() noexcept { return fields_; }
    void set_header(std::string_view name, std::string_view value) { fields_.set(name, value); }
    http::version version() const noexcept { return version_; }
    bool started() const noexcept { return started_; }
    bool finished() const noexcept { return finished_; }

    /// Sends a complete response with a Content-Length.
    net::awaitable<void> send(http::status s, std::string_view body, std::string_view content_type,
                              error_code& ec);
    net::awaitable<void> send(http::status s, std::string_view body = {},
                              std::string_view content_type = "text/plain; charset=utf-8");
    /// Sends the head; the body follows with write(). Set Content-Length in
    /// fields() first if it is known, otherwise the body is framed as chunks
    /// (HTTP/1.1) or DATA frames (HTTP/2, HTTP/3).
    net::awaitable<void> start(http::status s, error_code& ec);
    net::awaitable<void> start(http::status s);
    net::awaitable<void> write(std::span<const std::byte> bytes, error_code& ec);
    net::awaitable<void> write(std::string_view text, error_code& ec);
    net::awaitable<void> write(std::string_view text);
    /// Writes the pieces as one (one system call on HTTP/1.1): shared,
    /// pre-encoded buffers go out without being joined first.
    net::awaitable<void> write(std::span<const net::const_buffer> pieces, error_code& ec);
    /// Ends the body; with trailers when given (chunked / HEADERS frame).
    net::awaitable<void> finish(error_code& ec);
    net::awaitable<void> finish(const http::fields& trailers, error_code& ec);
    net::awaitable<void> finish();

private:
    net::awaitable<void> begin_write(error_code& ec);

    detail::server_stream* stream_;
    http::fields fields_;
    http::version version_;
    bool started_ = false;
    bool finished_ = false;
};

} // namespace strata
