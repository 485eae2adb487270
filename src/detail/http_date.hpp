// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <string_view>

namespace strata::detail {

/// The current time as an IMF-fixdate (RFC 9110 §5.6.7), for the Date field.
/// Formatted at most once a second per thread.
std::string_view http_date();

} // namespace strata::detail
