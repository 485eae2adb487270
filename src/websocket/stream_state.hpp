// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// What a websocket::stream holds, and the seam to what carries its bytes.
// Private to src/websocket/.

#include <strata/websocket/stream.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace strata::websocket::detail {

/// The byte stream under a WebSocket: an upgraded HTTP/1.1 connection, or
/// an HTTP/2 or HTTP/3 stream after an extended CONNECT. One read and one
/// write may be in progress at once.
class transport {
public:
    virtual ~transport() = default;
    /// 0 with no error: the peer ended its side.
    virtual net::awaitable<std::size_t> read_some(std::span<std::byte> out, error_code& ec) = 0;
    /// Completes when read_some would not wait (at once where that cannot be told).
    virtual net::awaitable<void> wait_readable(error_code& ec)
    {
        ec = {};
        co_return;
    }
    virtual net::awaitable<void> write(std::span<const net::const_buffer> pieces, error_code& ec) = 0;
    /// Ends our sending side after the close handshake.
    virtual net::awaitable<void> finish(error_code& ec) = 0;
    /// Ends everything now; operations in progress fail.
    virtual void abort() noexcept = 0;
};

struct stream_state : std::enable_shared_from_this<stream_state> {
    using clock = std::chrono::steady_clock;

    stream_state(net::any_io_executor ex, std::unique_ptr<transport> io, role r, const stream_config& cfg,
                 std::optional<deflate_params> negotiated);
    ~stream_state();

    void start_keepalive();
    void on_ping_timer();
    void detach() noexcept;

    net::awaitable<void> wait_cv();
    net::awaitable<void> flush(error_code& ec);
    net::awaitable<void> flush_replies();
    net::awaitable<void> send_queued(std::size_t before, error_code& ec);
    net::awaitable<void> write_texts(std::span<const std::string_view> texts, error_code& ec);
    net::awaitable<void> write_frames(message_type type, std::span<const std::byte> data, bool fin,
                                      error_code& ec);
    net::awaitable<bool> next_piece(error_code& ec);
    net::awaitable<void> end_read();
    net::awaitable<message> read_message(error_code& ec);
    net::awaitable<std::size_t> read_some(std::span<std::byte> out, error_code& ec);
    net::awaitable<void> close(std::uint16_t code, std::string_view reason, error_code& ec);

    net::any_io_executor ex;
    std::unique_ptr<transport> io;
    connection codec;
    stream_config cfg;
    http::version version = http::version::http1_1;
    std::string subprotocol;

    // Reading.
    std::vector<std::byte> rbuf;
    std::size_t rbegin = 0;
    std::size_t rend = 0;
    std::span<const std::byte> piece; ///< what the codec handed out and the reader has not taken yet
    bool piece_done = true;
    bool piece_last = false;
    bool in_message = false;
    message_type current_type = message_type::text;
    bool reading = false;
    error_code read_failed; ///< sticky: error::closed after the peer's close frame
    std::uint16_t close_code_received = 1006;
    std::string close_reason_received;
    clock::time_point last_rx;
    /// Whether the peer's last two reads came close together: a busy
    /// connection keeps its read buffer, a quiet one waits without it.
    bool busy = false;

    // Writing.
    bool writing = false;
    bool ping_flushing = false;
    std::size_t queued_total = 0;
    std::size_t flushed_total = 0;
    error_code broken;          ///< sticky: the transport failed to write
    net::steady_timer write_cv; ///< cancelled whenever a writer, a closer or a read's end may go on

    net::steady_timer ping_timer;
    bool detached = false;
};

} // namespace strata::websocket::detail
