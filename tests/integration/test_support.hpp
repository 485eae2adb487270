// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Runs a test body as a coroutine on a fresh io_context, with a deadline so a
// hung test fails instead of blocking the suite.

#include <strata/config.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <functional>
#include <string>

namespace strata::test {

inline void run(net::io_context& io, std::function<net::awaitable<void>()> body,
                std::chrono::seconds limit = std::chrono::seconds(20))
{
    bool done = false;
    std::exception_ptr failure;
    net::co_spawn(io, body(), [&](std::exception_ptr e) {
        done = true;
        failure = e;
        io.stop();
    });
    io.run_for(limit);
    ASSERT_TRUE(done) << "test coroutine did not finish within " << limit.count() << " s";
    if (failure)
        std::rethrow_exception(failure);
}

/// Sends raw bytes and reads until the peer closes (or `limit` passes).
inline net::awaitable<std::string>
raw_exchange(net::ip::tcp::endpoint ep, std::string bytes,
             std::chrono::milliseconds limit = std::chrono::milliseconds(5000))
{
    auto ex = co_await net::this_coro::executor;
    net::ip::tcp::socket s{ex};
    co_await s.async_connect(ep, net::use_awaitable);
    co_await net::async_write(s, net::buffer(bytes), net::use_awaitable);
    net::steady_timer t{ex, limit};
    t.async_wait([&](error_code e) {
        if (!e)
            s.close();
    });
    std::string out;
    char buf[4096];
    for (;;) {
        error_code ec;
        auto n = co_await s.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
        out.append(buf, n);
        if (ec)
            break;
    }
    t.cancel();
    co_return out;
}

inline net::awaitable<void> sleep_for(std::chrono::milliseconds d)
{
    net::steady_timer t{co_await net::this_coro::executor, d};
    co_await t.async_wait(net::use_awaitable);
}

} // namespace strata::test
