// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/request.hpp>
#include <strata/response.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {

/// A request handler: a coroutine that answers through `res`.
using handler = std::function<net::awaitable<void>(request& req, response& res)>;

/// Maps method + path to a handler. Patterns are paths whose segments are
/// literals, `{name}` (one segment) or, last, `{name...}` (the rest of the
/// path, possibly empty). The most specific match wins: literal segments
/// before parameters before a rest capture. A HEAD request falls back to the
/// GET route; the method "*" matches any method.
class router {
public:
    struct match {
        const handler* target = nullptr;
        std::vector<std::pair<std::string, std::string>> params;
        /// When the path matched but the method did not: the Allow field for a 405.
        std::string allow;
    };

    void add(std::string_view method, std::string_view pattern, handler h);
    match find(std::string_view method, std::string_view path) const;
    bool empty() const noexcept { return routes_.empty(); }

private:
    struct segment {
        enum class kind : unsigned char { literal, param, rest } type;
        std::string text;
    };
    struct route {
        std::string method;
        std::vector<segment> segments;
        handler h;
    };
    std::vector<route> routes_;
};

} // namespace strata
