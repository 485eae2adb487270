// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without <utility>; GCC 12 no
// longer pulls it in transitively.
#include <utility>

// Boost 1.74 enables co_await support only for the coroutines TS spelling
// (__cpp_coroutines), which Clang 14 does not define in C++20 mode; the
// standard <coroutine> works, so say so before Asio's config is read.
#if defined(__clang__) && __cplusplus >= 202002L && defined(__cpp_impl_coroutine) &&                         \
    !defined(BOOST_ASIO_HAS_CO_AWAIT)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

namespace strata {

namespace net = boost::asio;
using boost::system::error_category;
using boost::system::error_code;

} // namespace strata
