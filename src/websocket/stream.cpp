// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The WebSocket's I/O: one read loop feeding the codec from a buffer of its
// own, one writer at a time flushing what the codec framed, whatever carries
// the bytes (an upgraded HTTP/1.1 connection, an HTTP/2 or HTTP/3 stream).

#include "stream_state.hpp"

#include <strata/error.hpp>
#include <strata/websocket/handshake.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstring>

namespace strata::websocket {

namespace detail {

namespace {

/// A control frame must be parsed whole: 14 bytes of header and 125 of payload.
constexpr std::size_t min_read_buffer = 256;
/// The buffer grows only when the codec needs more contiguous bytes than it holds.
constexpr std::size_t max_read_buffer = 64 * 1024;
/// Reads closer together than this keep the read buffer between them.
constexpr std::chrono::milliseconds busy_gap{50};

} // namespace

stream_state::stream_state(net::any_io_executor executor, std::unique_ptr<transport> t, role r,
                           const stream_config& c, std::optional<deflate_params> negotiated)
    : ex(std::move(executor)), io(std::move(t)), codec(r, c.codec, negotiated, c.deflate), cfg(c),
      write_cv(ex), ping_timer(ex)
{
    write_cv.expires_at(clock::time_point::max());
    last_rx = clock::now();
}

stream_state::~stream_state() = default;

void stream_state::start_keepalive()
{
    if (cfg.ping_interval.count() <= 0)
        return;
    ping_timer.expires_after(cfg.ping_interval);
    ping_timer.async_wait([weak = weak_from_this()](error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->detached)
            return;
        self->on_ping_timer();
    });
}

// Pings go out only while a read is in progress: that read answers for the
// ping's write (it does not return before the write is done), so nothing
// touches the transport once the owner has stopped using the WebSocket.
void stream_state::on_ping_timer()
{
    // A WebSocket that is closing or gone needs no pings, and a timer left
    // armed would keep its io_context running for as long as it exists.
    if (codec.close_sent() || codec.close_received() || read_failed || broken)
        return;
    auto quiet = clock::now() - last_rx;
    if (quiet >= cfg.ping_interval && reading && !ping_flushing && !codec.close_sent() && !broken) {
        error_code ec;
        codec.write_ping({}, ec);
        if (!ec && !writing) {
            ping_flushing = true;
            net::co_spawn(
                ex,
                [self = shared_from_this()]() -> net::awaitable<void> {
                    error_code ignored;
                    co_await self->flush(ignored);
                    self->ping_flushing = false;
                    self->write_cv.cancel();
                },
                net::detached);
        }
    }
    start_keepalive();
}

net::awaitable<void> stream_state::wait_cv()
{
    error_code ignored;
    co_await write_cv.async_wait(net::redirect_error(net::use_awaitable, ignored));
    write_cv.expires_at(clock::time_point::max());
}

net::awaitable<void> stream_state::flush(error_code& ec)
{
    ec = {};
    writing = true;
    while (!broken && codec.output_bytes() > 0) {
        auto out = codec.output();
        std::size_t bytes = 0;
        for (auto& b : out)
            bytes += b.size();
        error_code wec;
        co_await io->write(out, wec);
        if (wec) {
            broken = wec;
            ping_timer.cancel();
            break;
        }
        codec.output_written();
        flushed_total += bytes;
    }
    writing = false;
    write_cv.cancel();
    ec = broken;
}

net::awaitable<void> stream_state::send_queued(std::size_t before, error_code& ec)
{
    queued_total += codec.output_bytes() - before;
    auto target = queued_total;
    if (!writing) {
        co_await flush(ec);
        co_return;
    }
    // Another writer is flushing: it takes what we queued with it. Our
    // payload may be referenced rather than copied, so wait until it is out.
    while (flushed_total < target && !broken) {
        co_await wait_cv();
        if (!writing && flushed_total < target && !broken) {
            co_await flush(ec);
            co_return;
        }
    }
    ec = broken;
}

net::awaitable<void> stream_state::write_frames(message_type type, std::span<const std::byte> data, bool fin,
                                                error_code& ec)
{
    ec = {};
    if (broken) {
        ec = broken;
        co_return;
    }
    // Back-pressure: a slow peer makes writers wait rather than queue without bound.
    while (codec.output_bytes() > cfg.max_write_queue_bytes && !broken)
        co_await wait_cv();
    if (broken) {
        ec = broken;
        co_return;
    }
    auto before = codec.output_bytes();
    codec.write_message(type, data, fin, ec);
    if (ec)
        co_return;
    co_await send_queued(before, ec);
}

net::awaitable<void> stream_state::write_texts(std::span<const std::string_view> texts, error_code& ec)
{
    ec = {};
    while (codec.output_bytes() > cfg.max_write_queue_bytes && !broken)
        co_await wait_cv();
    if (broken) {
        ec = broken;
        co_return;
    }
    auto before = codec.output_bytes();
    for (auto text : texts) {
        codec.write_message(message_type::text,
                            {reinterpret_cast<const std::byte*>(text.data()), text.size()}, true, ec);
        if (ec)
            co_return;
    }
    co_await send_queued(before, ec);
}

net::awaitable<void> stream_state::flush_replies()
{
    if (writing || codec.output_bytes() == 0)
        co_return;
    error_code ignored;
    co_await flush(ignored);
}

net::awaitable<bool> stream_state::next_piece(error_code& ec)
{
    ec = {};
    for (;;) {
        if (read_failed) {
            ec = read_failed;
            co_return false;
        }
        if (rbegin < rend) {
            auto r = codec.read({rbuf.data() + rbegin, rend - rbegin});
            rbegin += r.consumed;
            if (r.ec) {
                // The codec queued the close frame that tells the peer why.
                close_code_received = 1006;
                read_failed = r.ec;
                ping_timer.cancel();
                co_await flush_replies();
                if (codec.done() || codec.failed())
                    co_await io->finish(ec);
                ec = r.ec;
                co_return false;
            }
            if (r.ev) {
                if (auto* d = std::get_if<connection::message_data>(&*r.ev)) {
                    current_type = d->type;
                    piece = d->bytes;
                    piece_last = d->last;
                    in_message = !d->last;
                    co_return true;
                }
                if (std::holds_alternative<connection::ping>(*r.ev)) {
                    co_await flush_replies(); // the pong the codec queued
                    continue;
                }
                if (auto* c = std::get_if<connection::close>(&*r.ev)) {
                    close_code_received = c->code;
                    close_reason_received.assign(c->reason);
                    read_failed = error::closed;
                    ping_timer.cancel();
                    co_await flush_replies(); // our echo, when the peer began the close
                    if (codec.done()) {
                        error_code ignored;
                        co_await io->finish(ignored);
                    }
                    write_cv.cancel(); // close() may be waiting for this
                    ec = error::closed;
                    co_return false;
                }
                continue; // a pong: the peer is alive, which last_rx already says
            }
            if (r.consumed > 0)
                continue;
        }
        // The codec needs more bytes.
        if (rbegin == rend) {
            rbegin = rend = 0;
            if (!busy) {
                // A quiet peer: wait without a buffer, so an idle WebSocket
                // holds none (thousands of them wait at once).
                std::vector<std::byte>().swap(rbuf);
                error_code wec;
                co_await io->wait_readable(wec);
                if (wec) {
                    read_failed = wec;
                    close_code_received = 1006;
                    ping_timer.cancel();
                    ec = read_failed;
                    write_cv.cancel();
                    co_return false;
                }
            }
            if (rbuf.empty())
                rbuf.resize(std::max(min_read_buffer, cfg.read_buffer_bytes));
        } else if (rbegin > 0) {
            std::memmove(rbuf.data(), rbuf.data() + rbegin, rend - rbegin);
            rend -= rbegin;
            rbegin = 0;
        }
        if (rend == rbuf.size()) {
            if (rbuf.size() >= max_read_buffer) {
                read_failed = error::frame_too_big;
                ec = read_failed;
                co_return false;
            }
            rbuf.resize(std::min(max_read_buffer, std::max(min_read_buffer, rbuf.size() * 2)));
        }
        error_code rec;
        auto n = co_await io->read_some({rbuf.data() + rend, rbuf.size() - rend}, rec);
        auto now = clock::now();
        busy = now - last_rx < busy_gap;
        last_rx = now;
        if (rec || n == 0) {
            // The peer went away without a close frame: 1006 (RFC 6455 §7.1.5).
            read_failed = rec ? rec : error_code{net::error::eof};
            close_code_received = 1006;
            ping_timer.cancel();
            ec = read_failed;
            write_cv.cancel();
            co_return false;
        }
        rend += n;
        // A read that filled the buffer means large frames are streaming in:
        // a bigger buffer takes them in fewer system calls. Idle, it goes.
        if (rend == rbuf.size() && rbuf.size() < max_read_buffer)
            rbuf.resize(std::min(max_read_buffer, rbuf.size() * 2));
    }
}

net::awaitable<void> stream_state::end_read()
{
    // A ping this read let go out must be written before the caller goes on.
    while (ping_flushing)
        co_await wait_cv();
    reading = false;
}

net::awaitable<message> stream_state::read_message(error_code& ec)
{
    ec = {};
    message m;
    reading = true;
    bool started = false;
    for (;;) {
        if (piece_done) {
            if (!co_await next_piece(ec))
                break;
            piece_done = false;
        }
        if (!started) {
            m.type = current_type;
            started = true;
        }
        if (m.data.size() + piece.size() > cfg.codec.max_message_bytes) {
            ec = error::message_too_big; // the codec enforces it first; a guard all the same
            break;
        }
        m.data.append(reinterpret_cast<const char*>(piece.data()), piece.size());
        piece = {};
        piece_done = true;
        if (piece_last)
            break;
    }
    co_await end_read();
    co_return m;
}

net::awaitable<std::size_t> stream_state::read_some(std::span<std::byte> out, error_code& ec)
{
    ec = {};
    reading = true;
    std::size_t n = 0;
    for (;;) {
        if (piece_done) {
            if (!co_await next_piece(ec))
                break;
            piece_done = false;
        }
        n = std::min(out.size(), piece.size());
        std::memcpy(out.data(), piece.data(), n);
        piece = piece.subspan(n);
        if (piece.empty())
            piece_done = true;
        // An empty piece that is not the message's end carries nothing worth returning.
        if (n > 0 || (piece_done && piece_last) || out.empty())
            break;
    }
    co_await end_read();
    co_return n;
}

net::awaitable<void> stream_state::close(std::uint16_t code, std::string_view reason, error_code& ec)
{
    ec = {};
    if (!codec.close_sent()) {
        if (broken) {
            ec = broken;
            co_return;
        }
        auto before = codec.output_bytes();
        codec.write_close(code, reason, ec);
        if (ec)
            co_return;
        co_await send_queued(before, ec);
        if (ec)
            co_return;
    }
    // Wait for the peer's close frame: read it ourselves, or let the read
    // in progress find it.
    net::steady_timer give_up{ex, cfg.close_timeout};
    bool timed_out = false;
    give_up.async_wait([&timed_out, weak = weak_from_this()](error_code e) {
        auto self = weak.lock();
        if (e || !self)
            return;
        timed_out = true;
        self->io->abort();
        self->write_cv.cancel();
    });
    if (!reading) {
        reading = true;
        while (!read_failed) {
            error_code ignored;
            piece_done = true;
            if (!co_await next_piece(ignored))
                break;
        }
        co_await end_read();
    } else {
        while (!read_failed && !timed_out)
            co_await wait_cv();
    }
    give_up.cancel();
    ping_timer.cancel();
    if (timed_out)
        ec = strata::error::timeout;
    else if (read_failed != error_code{error::closed} && read_failed != error_code{net::error::eof})
        ec = read_failed;
    error_code ignored;
    if (!timed_out)
        co_await io->finish(ignored);
}

} // namespace detail

// ---- stream ------------------------------------------------------------------

stream::stream() noexcept = default;
stream::stream(std::shared_ptr<detail::stream_state> state) noexcept : state_(std::move(state)) {}
stream::stream(stream&&) noexcept = default;
stream& stream::operator=(stream&& other) noexcept
{
    if (this != &other) {
        if (state_)
            state_->detach();
        state_ = std::move(other.state_);
    }
    return *this;
}
stream::~stream()
{
    if (state_)
        state_->detach();
}

void detail::stream_state::detach() noexcept
{
    detached = true;
    ping_timer.cancel();
    if (!codec.done())
        io->abort();
}

namespace {
const error_code not_open = make_error_code(strata::error::stream_closed);
}

net::awaitable<message> stream::read(error_code& ec)
{
    if (!state_) {
        ec = not_open;
        co_return message{};
    }
    auto keep = state_;
    co_return co_await keep->read_message(ec);
}

net::awaitable<message> stream::read()
{
    error_code ec;
    auto m = co_await read(ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::websocket::stream::read");
    co_return m;
}

net::awaitable<std::size_t> stream::read_some(std::span<std::byte> out, error_code& ec)
{
    if (!state_) {
        ec = not_open;
        co_return 0;
    }
    auto keep = state_;
    co_return co_await keep->read_some(out, ec);
}

bool stream::message_done() const noexcept
{
    return !state_ || (state_->piece_done && !state_->in_message);
}

message_type stream::read_type() const noexcept
{
    return state_ ? state_->current_type : message_type::text;
}

net::awaitable<void> stream::write(std::string_view text, error_code& ec)
{
    co_await write(message_type::text, {reinterpret_cast<const std::byte*>(text.data()), text.size()}, ec);
}

net::awaitable<void> stream::write(std::string_view text)
{
    error_code ec;
    co_await write(text, ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::websocket::stream::write");
}

net::awaitable<void> stream::write(message_type type, std::span<const std::byte> data, error_code& ec)
{
    co_await write_some(type, data, true, ec);
}

net::awaitable<void> stream::write(std::span<const std::string_view> texts, error_code& ec)
{
    if (!state_) {
        ec = not_open;
        co_return;
    }
    auto keep = state_;
    co_await keep->write_texts(texts, ec);
}

net::awaitable<void> stream::write_some(message_type type, std::span<const std::byte> data, bool fin,
                                        error_code& ec)
{
    if (!state_) {
        ec = not_open;
        co_return;
    }
    auto keep = state_;
    co_await keep->write_frames(type, data, fin, ec);
}

net::awaitable<void> stream::ping(std::span<const std::byte> payload, error_code& ec)
{
    if (!state_) {
        ec = not_open;
        co_return;
    }
    auto keep = state_;
    ec = keep->broken;
    if (ec)
        co_return;
    auto before = keep->codec.output_bytes();
    keep->codec.write_ping(payload, ec);
    if (!ec)
        co_await keep->send_queued(before, ec);
}

net::awaitable<void> stream::close(std::uint16_t code, std::string_view reason, error_code& ec)
{
    if (!state_) {
        ec = not_open;
        co_return;
    }
    auto keep = state_;
    co_await keep->close(code, reason, ec);
}

net::awaitable<void> stream::close(std::uint16_t code, std::string_view reason)
{
    error_code ec;
    co_await close(code, reason, ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::websocket::stream::close");
}

net::awaitable<std::pair<error_code, message>> stream::read_for_token()
{
    error_code ec;
    auto m = co_await read(ec);
    co_return std::pair{ec, std::move(m)};
}

net::awaitable<std::pair<error_code, std::size_t>> stream::write_for_token(message_type type,
                                                                           std::string data)
{
    error_code ec;
    co_await write(type, {reinterpret_cast<const std::byte*>(data.data()), data.size()}, ec);
    co_return std::pair{ec, data.size()};
}

bool stream::is_open() const noexcept
{
    return state_ && !state_->read_failed && !state_->broken && !state_->codec.close_sent();
}
std::uint16_t stream::close_code() const noexcept
{
    return state_ ? state_->close_code_received : 1006;
}
std::string_view stream::close_reason() const noexcept
{
    return state_ ? std::string_view{state_->close_reason_received} : std::string_view{};
}
std::string_view stream::subprotocol() const noexcept
{
    return state_ ? std::string_view{state_->subprotocol} : std::string_view{};
}
bool stream::deflate() const noexcept
{
    return state_ && state_->codec.deflate_enabled();
}
http::version stream::version() const noexcept
{
    return state_ ? state_->version : http::version::http1_1;
}
std::size_t stream::queued_bytes() const noexcept
{
    return state_ ? state_->codec.output_bytes() : 0;
}
std::size_t stream::memory_usage() const noexcept
{
    return state_ ? sizeof(detail::stream_state) + state_->rbuf.capacity() + state_->codec.memory_usage() : 0;
}
net::any_io_executor stream::get_executor() const
{
    return state_ ? state_->ex : net::any_io_executor{};
}

} // namespace strata::websocket
