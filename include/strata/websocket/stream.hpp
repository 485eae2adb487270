// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// A WebSocket, whichever way it was opened: an HTTP/1.1 Upgrade, or an
// extended CONNECT on HTTP/2 (RFC 8441) or HTTP/3 (RFC 9220). The codec
// (websocket::connection) does the framing; this object does the I/O.

#include <strata/client.hpp>
#include <strata/config.hpp>
#include <strata/detail/async_adapt.hpp>
#include <strata/http/fields.hpp>
#include <strata/http/version.hpp>
#include <strata/request.hpp>
#include <strata/response.hpp>
#include <strata/websocket/connection.hpp>
#include <strata/websocket/deflate.hpp>
#include <strata/websocket/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::websocket {

/// A whole message as read().
struct message {
    message_type type = message_type::text;
    std::string data;
    bool is_text() const noexcept { return type == message_type::text; }
};

struct stream_config {
    /// Message and frame limits (1009 past them), UTF-8 checking, fragmentation of writes.
    config codec;
    /// permessage-deflate (RFC 7692); off unless enabled.
    deflate_config deflate;
    /// Server: the subprotocols it speaks, preferred first. Client: the ones it offers.
    std::vector<std::string> subprotocols;
    /// A ping goes out after this long without a frame from the peer; zero: never.
    std::chrono::milliseconds ping_interval{30'000};
    /// Client: silence past ping_interval + pong_timeout means the peer is
    /// gone (read() fails with strata::error::timeout). A server's
    /// connections are bounded the same way by server_config::idle_timeout.
    std::chrono::milliseconds pong_timeout{30'000};
    /// close(): how long to wait for the peer's close frame.
    std::chrono::milliseconds close_timeout{5'000};
    /// Bytes framed but not yet written above which write() waits (back-pressure).
    std::size_t max_write_queue_bytes = 1024 * 1024;
    /// The initial read buffer; it grows to hold a control frame, never more.
    std::size_t read_buffer_bytes = 4096;
};

struct accept_config : stream_config {
    /// Called with the Origin field (empty when absent); false answers 403.
    /// Browsers send Origin: a server taking cookies or ambient credentials
    /// should check it (cross-site WebSocket hijacking).
    std::function<bool(std::string_view origin)> allow_origin;
};

struct connect_config : stream_config {
    /// HTTP/1.1 opens with an Upgrade; HTTP/2 and HTTP/3 with an extended
    /// CONNECT, which the server must allow in its SETTINGS.
    http::version version = http::version::http1_1;
    /// Extra request fields: Origin, Authorization, cookies.
    http::fields fields;
    /// For the connection connect() opens (TLS verification, timeouts). The
    /// opening handshake must finish within client.response_timeout.
    client_config client;
    /// Sees the answer to the opening request before it is checked: its
    /// status and fields (cookies, or why a server refused).
    std::function<void(const client_response&)> on_response;
};

/// Whether `req` asks to open a WebSocket: an HTTP/1.1 Upgrade to
/// "websocket", or an extended CONNECT with :protocol "websocket".
bool is_upgrade(const request& req) noexcept;

class stream;

/// Server: checks the opening handshake and answers it (101 on HTTP/1.1, 200
/// on HTTP/2 and HTTP/3), or answers 400, 403 or 426 and fails. The
/// WebSocket lives within the handler: when the handler returns, the
/// connection (or the HTTP/2 or HTTP/3 stream) ends.
net::awaitable<stream> accept(request& req, response& res, const accept_config& cfg, error_code& ec);
net::awaitable<stream> accept(request& req, response& res, const accept_config& cfg = {});

/// Client: opens a WebSocket to a ws://, wss://, http:// or https:// URL on a
/// connection of its own.
net::awaitable<stream> connect(net::any_io_executor ex, std::string_view url, const connect_config& cfg,
                               error_code& ec);
net::awaitable<stream> connect(net::any_io_executor ex, std::string_view url, const connect_config& cfg = {});
/// The same on `c`'s connections: over HTTP/2 or HTTP/3, several WebSockets
/// (and plain requests) share one connection. connect_config::client and
/// ::version are ignored: `c` decides the version.
net::awaitable<stream> connect(client& c, std::string_view url, const connect_config& cfg, error_code& ec);

namespace detail {
struct stream_state;
}

/// One reader and one writer may run at the same time (from different
/// coroutines on the stream's executor); further writers queue behind,
/// and all that is queued goes out in one write. Pings are answered while a
/// read is in progress, so keep one going.
class stream {
public:
    stream() noexcept;
    explicit stream(std::shared_ptr<detail::stream_state> state) noexcept;
    stream(stream&&) noexcept;
    stream& operator=(stream&&) noexcept;
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;
    /// Drops the connection without a close handshake if it is still open.
    ~stream();

    /// The next whole message. Fails with websocket::error::closed once the
    /// peer's close frame arrived (close_code() says why), with the protocol's
    /// error when the peer broke it (after the close frame that says so went out).
    net::awaitable<message> read(error_code& ec);
    net::awaitable<message> read();
    /// Streamed reading: the next piece of the current message into `out`; 0
    /// only for an empty message. message_done() says whether it ended.
    net::awaitable<std::size_t> read_some(std::span<std::byte> out, error_code& ec);
    bool message_done() const noexcept;
    /// The type of the message being read (or last read).
    message_type read_type() const noexcept;

    /// Sends a whole message: complete once handed to the connection.
    net::awaitable<void> write(std::string_view text, error_code& ec);
    net::awaitable<void> write(std::string_view text);
    net::awaitable<void> write(message_type type, std::span<const std::byte> data, error_code& ec);
    /// Several whole text messages, framed together and sent in one write:
    /// a broadcaster's queue costs one system call, not one per message.
    net::awaitable<void> write(std::span<const std::string_view> texts, error_code& ec);
    /// Streamed writing: a piece of a message, the last with `fin`.
    net::awaitable<void> write_some(message_type type, std::span<const std::byte> data, bool fin,
                                    error_code& ec);
    net::awaitable<void> ping(std::span<const std::byte> payload, error_code& ec);
    /// The close handshake: sends a close frame and waits (close_timeout) for
    /// the peer's. Reason up to 123 bytes.
    net::awaitable<void> close(std::uint16_t code, std::string_view reason, error_code& ec);
    net::awaitable<void> close(std::uint16_t code = 1000, std::string_view reason = {});

    template <class CompletionToken = net::use_awaitable_t<>>
    auto async_read(CompletionToken&& token = {})
    {
        return strata::detail::async_with_ec<message>(
            get_executor(), [this]() { return read_for_token(); }, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = net::use_awaitable_t<>>
    auto async_write(message_type type, std::string data, CompletionToken&& token = {})
    {
        return strata::detail::async_with_ec<std::size_t>(
            get_executor(),
            [this, type, d = std::move(data)]() mutable { return write_for_token(type, std::move(d)); },
            std::forward<CompletionToken>(token));
    }

    bool is_open() const noexcept;
    /// The code and reason of the peer's close frame (1005 when it had none,
    /// 1006 when the connection ended without one).
    std::uint16_t close_code() const noexcept;
    std::string_view close_reason() const noexcept;
    /// The negotiated subprotocol; empty when none.
    std::string_view subprotocol() const noexcept;
    /// Whether permessage-deflate was negotiated.
    bool deflate() const noexcept;
    http::version version() const noexcept;
    /// Bytes framed and not yet written.
    std::size_t queued_bytes() const noexcept;
    /// Heap bytes this WebSocket holds (buffers, compressor), for memory accounting.
    std::size_t memory_usage() const noexcept;
    net::any_io_executor get_executor() const;

private:
    net::awaitable<std::pair<error_code, message>> read_for_token();
    net::awaitable<std::pair<error_code, std::size_t>> write_for_token(message_type type, std::string data);
    std::shared_ptr<detail::stream_state> state_;
};

} // namespace strata::websocket
