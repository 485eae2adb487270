// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/config.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>

#include <exception>
#include <utility>

namespace strata::detail {

/// Runs a coroutine that yields {error_code, R} and completes `token` with
/// void(error_code, R): one implementation written as a coroutine serves
/// every completion token (callbacks, use_awaitable, use_future, yield).
template <class R, class CompletionToken, class MakeAwaitable>
auto async_with_ec(net::any_io_executor ex, MakeAwaitable make, CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, void(error_code, R)>(
        [ex](auto handler, MakeAwaitable m) {
            net::co_spawn(
                ex, m(),
                [h = std::move(handler)](std::exception_ptr e, std::pair<error_code, R> result) mutable {
                    if (e && !result.first)
                        result.first = make_error_code(net::error::operation_aborted);
                    std::move(h)(result.first, std::move(result.second));
                });
        },
        token, std::move(make));
}

} // namespace strata::detail
