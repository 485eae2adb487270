// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The little JSON strata speaks itself: long-poll batches and, later, the
// gateway's typed messages. Writing escapes per RFC 8259 §7; reading is a
// strict RFC 8259 parser into a small value tree, bounded in depth and size
// because its input comes from the network.

#include <strata/config.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace strata::detail::json {

/// Appends `s` as a JSON string literal, quotes included. Bytes that are
/// not valid UTF-8 become U+FFFD, so the output is always valid JSON.
void append_string(std::string& out, std::string_view s);

struct value;
struct member; // not std::pair: a pair of an incomplete type breaks libstdc++ under Clang
using array = std::vector<value>;
using object = std::vector<member>;

struct value {
    std::variant<std::nullptr_t, bool, double, std::string, array, object> v;

    bool is_object() const noexcept { return std::holds_alternative<object>(v); }
    bool is_array() const noexcept { return std::holds_alternative<array>(v); }
    bool is_string() const noexcept { return std::holds_alternative<std::string>(v); }
    bool is_number() const noexcept { return std::holds_alternative<double>(v); }
    /// The member `name` of an object; nullptr when absent or not an object.
    const value* find(std::string_view name) const noexcept;
    const std::string* string() const noexcept { return std::get_if<std::string>(&v); }
    const array* items() const noexcept { return std::get_if<array>(&v); }
    /// A number that is a non-negative integer up to 2^53, as ids are.
    std::optional<std::uint64_t> uint() const noexcept;
};

struct member {
    std::string name;
    value v;
};

struct parse_limits {
    std::size_t max_depth = 32;
    std::size_t max_bytes = 16 * 1024 * 1024;
};

/// Parses one JSON text; nullopt on any syntax error or broken limit.
std::optional<value> parse(std::string_view text, parse_limits limits = {});

} // namespace strata::detail::json
