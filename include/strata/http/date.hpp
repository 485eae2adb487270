// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <cstdint>
#include <string>

namespace strata::http {

/// An HTTP-date (RFC 9110 §5.6.7, IMF-fixdate) for seconds since the epoch:
/// "Sun, 06 Nov 1994 08:49:37 GMT". Day and month names are English
/// whatever the locale.
std::string format_date(std::int64_t unix_seconds);

} // namespace strata::http
