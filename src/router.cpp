// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/router.hpp>
#include <strata/url.hpp>

#include <array>
#include <span>
#include <stdexcept>

namespace strata {

namespace {

std::vector<std::string_view> split_path(std::string_view path)
{
    std::vector<std::string_view> out;
    if (!path.empty() && path.front() == '/')
        path.remove_prefix(1);
    while (true) {
        auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos)
            break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

} // namespace

void router::add(std::string_view method, std::string_view pattern, handler h)
{
    if (pattern.empty() || pattern.front() != '/')
        throw std::invalid_argument("strata::router: a pattern starts with '/': " + std::string(pattern));
    route r{std::string(method), {}, std::move(h)};
    auto parts = split_path(pattern);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto p = parts[i];
        if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
            auto name = p.substr(1, p.size() - 2);
            if (name.ends_with("...")) {
                if (i + 1 != parts.size())
                    throw std::invalid_argument("strata::router: {name...} must be the last segment");
                r.segments.push_back({segment::kind::rest, std::string(name.substr(0, name.size() - 3))});
            } else {
                r.segments.push_back({segment::kind::param, std::string(name)});
            }
        } else {
            r.segments.push_back({segment::kind::literal, std::string(p)});
        }
    }
    routes_.push_back(std::move(r));
}

router::match router::find(std::string_view method, std::string_view path) const
{
    // Routing runs once per request: split into a stack array, not a vector.
    constexpr std::size_t inline_segments = 32;
    std::array<std::string_view, inline_segments> stack_parts;
    std::vector<std::string_view> heap_parts;
    std::span<const std::string_view> parts;
    {
        std::size_t n = 0;
        std::string_view rest = path.starts_with('/') ? path.substr(1) : path;
        bool overflow = false;
        for (;;) {
            auto slash = rest.find('/');
            if (n == inline_segments) {
                overflow = true;
                break;
            }
            stack_parts[n++] = rest.substr(0, slash);
            if (slash == std::string_view::npos)
                break;
            rest.remove_prefix(slash + 1);
        }
        if (overflow) {
            heap_parts = split_path(path);
            parts = heap_parts;
        } else {
            parts = std::span<const std::string_view>(stack_parts.data(), n);
        }
    }
    match best;
    int best_score = -1;
    bool best_exact_method = false;
    for (const auto& r : routes_) {
        // Score: literals weigh most, then parameters; a rest capture weighs nothing.
        int score = 0;
        bool ok = true;
        std::size_t i = 0;
        for (; i < r.segments.size() && ok; ++i) {
            const auto& s = r.segments[i];
            if (s.type == segment::kind::rest) {
                i = parts.size();
                break;
            }
            if (i >= parts.size()) {
                ok = false;
                break;
            }
            if (s.type == segment::kind::literal) {
                ok = s.text == parts[i];
                score += 2;
            } else {
                ok = !parts[i].empty();
                score += 1;
            }
        }
        if (!ok || i != parts.size())
            continue;
        bool exact = r.method == method;
        bool method_ok = exact || r.method == "*" || (method == "HEAD" && r.method == "GET");
        if (!method_ok) {
            if (best_score < 0 && best.allow.find(r.method) == std::string::npos)
                best.allow += (best.allow.empty() ? "" : ", ") + r.method;
            continue;
        }
        if (score < best_score || (score == best_score && (best_exact_method || !exact)))
            continue;
        best_score = score;
        best_exact_method = exact;
        best.target = &r.h;
        best.params.clear();
        for (std::size_t k = 0; k < r.segments.size(); ++k) {
            const auto& s = r.segments[k];
            if (s.type == segment::kind::literal)
                continue;
            std::string raw;
            if (s.type == segment::kind::param) {
                raw = std::string(parts[k]);
            } else {
                for (std::size_t m = k; m < parts.size(); ++m)
                    raw += (m == k ? "" : "/") + std::string(parts[m]);
            }
            best.params.emplace_back(s.text, percent_decode(raw).value_or(raw));
        }
    }
    if (best.target)
        best.allow.clear();
    return best;
}

} // namespace strata
