// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// One deadline per connection, re-armed on every read and write. Moving the
// deadline later only stores a time point; the timer wakes at the old one,
// sees the new one and sleeps again, so a busy connection costs no timer
// cancellation per operation (the way nginx keeps its timers cheap). With no
// deadline set there is no pending wait, so a parked connection (an idle
// client connection in a pool) does not keep io_context::run() from
// returning. Boost 1.74 has no per-operation cancellation: expiry closes the
// socket.

#include <strata/config.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace strata::detail {

class watchdog {
public:
    using clock = std::chrono::steady_clock;

    explicit watchdog(const net::any_io_executor& ex) : timer_(ex) {}

    /// Readies the watchdog. `on_expire` runs on the timer's executor when a
    /// deadline passes; `owner` (the object holding this watchdog) is kept
    /// alive while a wait is pending, and only then.
    void start(std::weak_ptr<void> owner, std::function<void()> on_expire)
    {
        owner_ = std::move(owner);
        on_expire_ = std::move(on_expire);
    }

    void expires_after(clock::duration d)
    {
        deadline_ = clock::now() + d;
        if (!waiting_) {
            timer_.expires_at(deadline_);
            wait();
        } else if (deadline_ < timer_.expiry()) {
            timer_.expires_at(deadline_); // the pending wait wakes early and re-waits
        }
    }
    void clear() noexcept { deadline_ = clock::time_point::max(); }
    /// Clears the deadline and drops a pending wait now rather than at its
    /// expiry: for an object about to be parked for a long time.
    void park()
    {
        deadline_ = clock::time_point::max();
        if (waiting_)
            timer_.cancel();
    }
    bool expired() const noexcept { return expired_; }
    void stop()
    {
        stopped_ = true;
        deadline_ = clock::time_point::max();
        if (waiting_)
            timer_.cancel();
    }

private:
    void wait()
    {
        if (stopped_)
            return;
        auto keep = owner_.lock();
        if (!keep)
            return;
        waiting_ = true;
        timer_.async_wait([this, keep = std::move(keep)](error_code) {
            waiting_ = false;
            if (stopped_)
                return;
            if (deadline_ <= clock::now()) {
                deadline_ = clock::time_point::max();
                expired_ = true;
                on_expire_();
                return;
            }
            if (deadline_ != clock::time_point::max()) {
                timer_.expires_at(deadline_);
                wait();
            }
        });
    }

    net::steady_timer timer_;
    std::weak_ptr<void> owner_;
    std::function<void()> on_expire_;
    clock::time_point deadline_ = clock::time_point::max();
    bool waiting_ = false;
    bool stopped_ = false;
    bool expired_ = false;
};

} // namespace strata::detail
