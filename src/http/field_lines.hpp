// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Field lines on their way into nghttp2 or nghttp3: both take arrays of
// (name, value) pointers, want names in lowercase, and forbid the fields
// that only mean something to an HTTP/1.1 hop. Private to src/.

#include <strata/http/event.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::http::detail {

constexpr char lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// RFC 9113 §8.2.2 and RFC 9114 §4.2: connection-specific fields (`lowered`
/// is the name in lowercase). TE is allowed only as "trailers".
bool connection_specific(std::string_view lowered, std::string_view value) noexcept;

/// A reused buffer of field lines. Names and values are copied into one
/// string and pointed at only when sealed (the string may reallocate while
/// it grows).
class field_lines {
public:
    void clear()
    {
        text_.clear();
        refs_.clear();
    }
    /// Adds one line; `lowercase` for names that came from the application.
    void add(std::string_view name, std::string_view value, bool lowercase);
    /// Adds the application's fields: lowercased, without pseudo-fields
    /// (those come only from the message head) and connection-specific ones.
    void add_fields(std::span<const field_view> fields);
    /// Calls `f(name, name_len, value, value_len)` with stable pointers for
    /// each line, in order; they stay valid until the next clear() or add().
    template <class F>
    void seal(F&& f)
    {
        auto* base = reinterpret_cast<std::uint8_t*>(text_.data());
        for (const auto& r : refs_)
            f(base + r.name_at, r.name_len, base + r.value_at, r.value_len);
    }

    /// Heap held, for memory accounting; release() gives it back.
    std::size_t capacity_bytes() const noexcept { return text_.capacity() + refs_.capacity() * sizeof(ref); }
    void release() noexcept
    {
        std::string().swap(text_);
        std::vector<ref>().swap(refs_);
    }

private:
    struct ref {
        std::size_t name_at, name_len, value_at, value_len;
    };
    std::string text_;
    std::vector<ref> refs_;
};

} // namespace strata::http::detail
