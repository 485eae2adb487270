// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// What an HTTP/2 or HTTP/3 stream holds on either side (server handler, client
// response): the body bytes the connection's reader delivered and the
// application has not read, and one timer that is both the stream's
// deadline and its wake-up call. Private to src/.

#include <strata/config.hpp>
#include <strata/http/fields.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <span>
#include <vector>

namespace strata::detail {

class stream_inbox {
public:
    using clock = std::chrono::steady_clock;

    explicit stream_inbox(const net::any_io_executor& ex) : timer_(ex), write_timer_(ex) {}

    /// The reader delivered body bytes.
    void append(std::span<const std::byte> bytes) { body_.insert(body_.end(), bytes.begin(), bytes.end()); }
    /// Bytes delivered and not read yet.
    std::size_t unread() const noexcept { return body_.size() - offset_; }
    /// Copies what is buffered into `out`; the caller returns that much
    /// flow-control credit (the codec's consume()).
    std::size_t take(std::span<std::byte> out) noexcept
    {
        auto n = std::min(out.size(), unread());
        std::memcpy(out.data(), body_.data() + offset_, n);
        offset_ += n;
        if (offset_ == body_.size()) {
            body_.clear();
            offset_ = 0;
        }
        return n;
    }
    /// Drops what is buffered; returns how many bytes that was.
    std::size_t discard() noexcept
    {
        auto n = unread();
        body_.clear();
        offset_ = 0;
        return n;
    }

    /// Wakes wait() and wait_write() so their callers re-check their conditions.
    void wake()
    {
        timer_.cancel();
        write_timer_.cancel();
    }
    /// Waits for a wake() or `timeout`; false when the deadline passed.
    net::awaitable<bool> wait(std::chrono::milliseconds timeout)
    {
        auto deadline = clock::now() + timeout;
        timer_.expires_at(deadline);
        error_code ignored;
        co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ignored));
        co_return clock::now() < deadline;
    }
    /// The same for a writer waiting for room. A timer of its own: a full
    /// duplex stream (an upgraded one) has a reader waiting at the same
    /// time, and re-arming one shared timer would cancel the other's wait.
    net::awaitable<bool> wait_write(std::chrono::milliseconds timeout)
    {
        auto deadline = clock::now() + timeout;
        write_timer_.expires_at(deadline);
        error_code ignored;
        co_await write_timer_.async_wait(net::redirect_error(net::use_awaitable, ignored));
        co_return clock::now() < deadline;
    }

    bool body_end_ = false;      ///< the peer ended its body (END_STREAM or trailers)
    bool reset_ = false;         ///< the stream is over: reset by either side or its connection gone
    bool waiting_write_ = false; ///< a write waits for the codec to frame what it queued
    http::fields trailers_;

private:
    net::steady_timer timer_;
    net::steady_timer write_timer_;
    std::vector<std::byte> body_;
    std::size_t offset_ = 0;
};

} // namespace strata::detail
