// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// A topic cursor as clients send it back (Last-Event-ID, since=): decimal
// digits only; anything else is no cursor at all.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace strata::detail {

inline std::optional<std::uint64_t> parse_cursor(std::string_view text) noexcept
{
    std::uint64_t v = 0;
    if (text.empty() || text.size() > 20)
        return std::nullopt;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (err != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return v;
}

} // namespace strata::detail
