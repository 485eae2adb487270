// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without <utility>; GCC 12 no
// longer pulls it in transitively.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

namespace strata {

namespace net = boost::asio;
using boost::system::error_code;
using boost::system::error_category;

} // namespace strata
