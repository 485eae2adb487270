// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "http_date.hpp"

#include <strata/http/date.hpp>

#include <ctime>
#include <string>

namespace strata::detail {

std::string_view http_date()
{
    thread_local std::time_t cached_second = 0;
    thread_local std::string text;
    std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        text = http::format_date(now);
        cached_second = now;
    }
    return text;
}

} // namespace strata::detail
