// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// A server request's head from a codec's headers event (any HTTP version).
// Private to src/.

#include <strata/http/event.hpp>
#include <strata/request.hpp>

#include <cstdint>
#include <string_view>

namespace strata::detail {

/// The head of the request `h` starts. `default_scheme` stands in when the
/// request has no :scheme (a plain CONNECT, RFC 9113 §8.5): the connection's own.
request::head make_request_head(const http::headers& h, std::string_view default_scheme,
                                http::version version, const net::ip::address& remote_address,
                                std::uint16_t remote_port);

} // namespace strata::detail
