// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// One format for every command that prints pushed events (`strata sse`,
// `strata poll --long`), so a script reads them alike:
//
//   [tick] 42                  the event type in brackets, then its data
//   [tick id=42] 42            with -v: the event id as well
//
// Data with line breaks is printed as it is, lines and all.

#include <cstdio>
#include <string_view>

namespace strata_cli {

inline void print_event(std::string_view type, std::string_view id, std::string_view data, bool show_id)
{
    if (type.empty())
        type = "message"; // what an EventSource calls an untyped event
    std::printf("[%.*s", static_cast<int>(type.size()), type.data());
    if (show_id && !id.empty())
        std::printf(" id=%.*s", static_cast<int>(id.size()), id.data());
    std::printf("] %.*s\n", static_cast<int>(data.size()), data.data());
    // A pipe reader (grep, a script) sees each event as it arrives, not when a buffer fills.
    std::fflush(stdout);
}

} // namespace strata_cli
