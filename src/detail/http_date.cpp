// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "http_date.hpp"

#include <cstdio>
#include <ctime>

namespace strata::detail {

std::string_view http_date()
{
    thread_local std::time_t cached_second = 0;
    thread_local char text[32];
    thread_local std::size_t size = 0;
    std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        std::tm tm{};
        gmtime_r(&now, &tm);
        // Not strftime: %a and %b follow the locale, and the field must be English.
        static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        int n =
            std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                          tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        size = n > 0 ? static_cast<std::size_t>(n) : 0;
        cached_second = now;
    }
    return {text, size};
}

} // namespace strata::detail
