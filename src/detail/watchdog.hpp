// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// One deadline per connection, re-armed on every read and write. Moving the
// deadline later only stores a time point; the timer wakes at the old one,
// sees the new one and sleeps again, so a busy connection costs no timer
// cancellation per operation (the way nginx keeps its timers cheap). Boost
// 1.74 has no per-operation cancellation: expiry closes the socket.

#include <strata/config.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

namespace strata::detail {

class watchdog {
public:
    using clock = std::chrono::steady_clock;

    explicit watchdog(const net::any_io_executor& ex) : timer_(ex) {}

    /// Starts watching. `on_expire` runs on the timer's executor when a
    /// deadline passes; `keep` is held until stop() so the owner outlives the wait.
    template <class OnExpire>
    void start(std::shared_ptr<void> keep, OnExpire on_expire)
    {
        timer_.expires_at(clock::time_point::max());
        wait(std::move(keep), std::move(on_expire));
    }

    void expires_after(clock::duration d)
    {
        deadline_ = clock::now() + d;
        if (deadline_ < timer_.expiry())
            timer_.expires_at(deadline_);
    }
    void clear() noexcept { deadline_ = clock::time_point::max(); }
    bool expired() const noexcept { return expired_; }
    void stop()
    {
        stopped_ = true;
        timer_.cancel();
    }

private:
    template <class OnExpire>
    void wait(std::shared_ptr<void> keep, OnExpire on_expire)
    {
        timer_.async_wait([this, keep = std::move(keep), f = std::move(on_expire)](error_code) mutable {
            if (stopped_)
                return;
            if (deadline_ <= clock::now()) {
                deadline_ = clock::time_point::max();
                expired_ = true;
                f();
            }
            timer_.expires_at(deadline_);
            wait(std::move(keep), std::move(f));
        });
    }

    net::steady_timer timer_;
    clock::time_point deadline_ = clock::time_point::max();
    bool stopped_ = false;
    bool expired_ = false;
};

} // namespace strata::detail
