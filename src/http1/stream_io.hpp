// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// What both HTTP/1.1 drivers (server and client) do the same way: read into
// the codec's buffer under a deadline, pull events, write the codec's output,
// and hand out a message body piece by piece.

#include "../detail/stream_socket.hpp"
#include "../detail/watchdog.hpp"

#include <strata/error.hpp>
#include <strata/http/fields.hpp>
#include <strata/http1/connection.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>

namespace strata::detail {

template <class Stream>
class http1_stream_io {
public:
    using tcp = net::ip::tcp;
    static constexpr bool is_tls = is_tls_stream<Stream>;

    http1_stream_io(Stream stream, http1::role role, const http1::config& cfg)
        : stream_(std::move(stream)), codec_(role, cfg), dog_(stream_.get_executor())
    {}

    tcp::socket& socket() noexcept { return socket_of(stream_); }
    void close_socket() { close_socket_of(stream_); }
    /// `owner` keeps the object holding this alive while the deadline timer waits.
    void start_watchdog(std::weak_ptr<void> owner)
    {
        dog_.start(std::move(owner), [this] { close_socket(); });
    }
    error_code timeout_or(error_code ec) const { return dog_.expired() ? error_code{error::timeout} : ec; }

    /// Reads once into the codec's buffer. The peer's FIN is not an error:
    /// it is handed to the codec, which decides what it means.
    net::awaitable<void> fill(std::chrono::milliseconds timeout, error_code& ec)
    {
        if (eof_) {
            ec = net::error::eof;
            co_return;
        }
        auto buffer = codec_.prepare();
        dog_.expires_after(timeout);
        std::size_t n = co_await stream_.async_read_some(net::buffer(buffer.data(), buffer.size()),
                                                         net::redirect_error(net::use_awaitable, ec));
        dog_.clear();
        codec_.commit(n);
        if (n > 0)
            got_bytes_ = true;
        if (ec == net::error::eof || (is_tls && ec == net::ssl::error::stream_truncated)) {
            eof_ = true;
            codec_.commit_eof();
            ec = {};
        }
        ec = timeout_or(ec);
    }

    /// The next event; nullopt with `ec` set on an error, nullopt alone when
    /// the codec waits for the other side (paused), closed or upgraded.
    net::awaitable<std::optional<http::event>> next_event(std::chrono::milliseconds first_timeout,
                                                          std::chrono::milliseconds timeout,
                                                          std::chrono::milliseconds write_timeout,
                                                          error_code& ec)
    {
        ec = {};
        bool first = true;
        for (;;) {
            if (auto ev = codec_.poll_event())
                co_return ev;
            switch (codec_.current_state()) {
            case http1::state::failed: {
                // The codec queued its own answer (400, 413, 431, ...) if it could.
                error_code ignored;
                co_await flush(write_timeout, ignored);
                ec = codec_.error();
                co_return std::nullopt;
            }
            case http1::state::closed:
            case http1::state::upgraded:
            case http1::state::paused:
                co_return std::nullopt;
            default:
                break;
            }
            if (eof_) {
                ec = net::error::eof;
                co_return std::nullopt;
            }
            co_await fill(first ? first_timeout : timeout, ec);
            if (ec)
                co_return std::nullopt;
            first = false;
        }
    }

    net::awaitable<void> flush(std::chrono::milliseconds timeout, error_code& ec)
    {
        auto buffers = codec_.poll_output();
        if (buffers.empty())
            co_return;
        dog_.expires_after(timeout);
        co_await net::async_write(stream_, buffers, net::redirect_error(net::use_awaitable, ec));
        dog_.clear();
        ec = timeout_or(ec);
        if (ec)
            broken_ = true;
    }

    /// A new message body begins (end: the head said there is none).
    void begin_body(bool end)
    {
        body_done_ = end;
        pending_ = {};
        pending_end_ = false;
        trailers_.clear();
    }

    /// The protocol switched (101): from now on the body is the raw byte
    /// stream, starting with the bytes the codec read past the 101.
    void begin_raw(std::span<const std::byte> trailing)
    {
        raw_ = true;
        body_done_ = false;
        pending_ = trailing;
        pending_end_ = false;
    }
    bool raw() const noexcept { return raw_; }
    /// Body bytes already read and not yet handed out.
    bool has_pending() const noexcept { return !pending_.empty(); }

    net::awaitable<void> write_raw(std::span<const std::byte> bytes, std::chrono::milliseconds timeout,
                                   error_code& ec)
    {
        net::const_buffer piece{bytes.data(), bytes.size()};
        co_await write_raw(std::span<const net::const_buffer>{&piece, 1}, timeout, ec);
    }
    /// The pieces go out in one gathered write.
    net::awaitable<void> write_raw(std::span<const net::const_buffer> pieces,
                                   std::chrono::milliseconds timeout, error_code& ec)
    {
        dog_.expires_after(timeout);
        co_await net::async_write(stream_, pieces, net::redirect_error(net::use_awaitable, ec));
        dog_.clear();
        ec = timeout_or(ec);
        if (ec)
            broken_ = true;
    }

    /// Copies the next body bytes into `out`; 0 at the end of the body.
    net::awaitable<std::size_t> read_body(std::span<std::byte> out, std::chrono::milliseconds timeout,
                                          std::chrono::milliseconds write_timeout, error_code& ec)
    {
        ec = {};
        if (body_done_ || out.empty())
            co_return 0;
        if (raw_ && pending_.empty()) {
            // After an upgrade the codec is done: read the socket directly,
            // and give back the codec's buffers once what it read past the
            // 101 has been handed over (16 KiB per upgraded connection).
            if (!codec_released_) {
                codec_.shrink_to_fit();
                codec_released_ = true;
            }
            dog_.expires_after(timeout);
            auto n = co_await stream_.async_read_some(net::buffer(out.data(), out.size()),
                                                      net::redirect_error(net::use_awaitable, ec));
            dog_.clear();
            if (ec == net::error::eof || (is_tls && ec == net::ssl::error::stream_truncated)) {
                ec = {};
                body_done_ = true;
            }
            ec = timeout_or(ec);
            co_return n;
        }
        for (;;) {
            if (!pending_.empty()) {
                auto n = std::min(out.size(), pending_.size());
                std::memcpy(out.data(), pending_.data(), n);
                pending_ = pending_.subspan(n);
                if (pending_.empty() && pending_end_)
                    body_done_ = true;
                co_return n;
            }
            if (pending_end_) {
                body_done_ = true;
                co_return 0;
            }
            auto ev = co_await next_event(timeout, timeout, write_timeout, ec);
            if (!ev) {
                if (!ec || ec == net::error::eof)
                    ec = http1::error::partial_message;
                broken_ = true;
                co_return 0;
            }
            if (auto* d = std::get_if<http::data>(&*ev)) {
                pending_ = d->bytes;
                pending_end_ = d->end_stream;
            } else if (auto* t = std::get_if<http::trailers>(&*ev)) {
                for (auto f : t->fields)
                    trailers_.add(f.name, f.value);
                body_done_ = true;
                co_return 0;
            } else {
                ec = http1::error::partial_message;
                broken_ = true;
                co_return 0;
            }
        }
    }

    Stream stream_;
    http1::connection codec_;
    watchdog dog_;
    bool eof_ = false;
    bool broken_ = false;
    bool got_bytes_ = false;
    bool body_done_ = true;
    http::fields trailers_;

private:
    std::span<const std::byte> pending_; // bytes of the last data event not yet copied out
    bool pending_end_ = false;
    bool raw_ = false;
    bool codec_released_ = false;
};

} // namespace strata::detail
