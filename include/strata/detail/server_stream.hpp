// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The seam between the version-free request/response objects and a
// connection driver: one implementation per HTTP version. Nothing above this
// interface knows which version carries the exchange.

#include <strata/config.hpp>
#include <strata/http/fields.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace strata::detail {

class server_stream {
public:
    virtual ~server_stream() = default;

    /// Copies request body bytes into `out`; 0 with no error at the end of the body.
    /// Sends `100 Continue` first when the client asked for it.
    virtual net::awaitable<std::size_t> read_body(std::span<std::byte> out, error_code& ec) = 0;
    /// Completes when read_body would not wait: a caller that holds no
    /// buffer while idle (an upgraded protocol's reader) takes one only then.
    /// Where the transport cannot tell (TLS keeps its own buffer), at once.
    virtual net::awaitable<void> wait_readable(error_code& ec)
    {
        ec = {};
        co_return;
    }
    /// Request trailers, valid once read_body returned 0.
    virtual const http::fields& request_trailers() const noexcept = 0;
    /// Sends the response head and, in the same write, the first piece of body.
    virtual net::awaitable<void> write_head(unsigned status, const http::fields& fields,
                                            std::span<const std::byte> body, bool end_stream,
                                            error_code& ec) = 0;
    virtual net::awaitable<void> write_body(std::span<const std::byte> body, bool end_stream,
                                            error_code& ec) = 0;
    /// Writes several pieces of body at once (not ending it): one write on
    /// HTTP/1.1, so a stream that fell behind catches up in one system call.
    virtual net::awaitable<void> write_body_pieces(std::span<const net::const_buffer> pieces,
                                                   error_code& ec) = 0;
    virtual net::awaitable<void> write_trailers(const http::fields& trailers, error_code& ec) = 0;
    virtual void set_body_limit(std::uint64_t bytes) noexcept = 0;
    virtual net::any_io_executor executor() const = 0;
    /// Ends the exchange at once, from outside the handler's own calls: the
    /// connection is closed (HTTP/1.1) or the stream reset (HTTP/2, HTTP/3).
    /// Operations in progress on it complete with an error.
    virtual void abort_exchange() noexcept = 0;

    /// A handler that holds its response open (an event stream, a held long
    /// poll) says how to end it early: the driver calls `f` once, on the
    /// stream's executor, when the server starts a graceful shutdown.
    void on_shutdown(std::function<void()> f)
    {
        shutdown_hook_ = std::move(f);
        if (shutdown_begun_)
            shutting_down();
    }
    /// Called by the driver when the server starts a graceful shutdown.
    void shutting_down()
    {
        shutdown_begun_ = true;
        if (auto f = std::move(shutdown_hook_))
            f();
    }

private:
    std::function<void()> shutdown_hook_;
    bool shutdown_begun_ = false;
};

} // namespace strata::detail
