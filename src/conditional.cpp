// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/conditional.hpp>

#include <cstdint>
#include <cstdio>

namespace strata {

namespace {

std::string_view opaque(std::string_view tag) noexcept
{
    if (tag.starts_with("W/"))
        tag.remove_prefix(2);
    return tag;
}

} // namespace

std::string make_etag(std::string_view bytes)
{
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    char out[24];
    std::snprintf(out, sizeof out, "\"%016llx\"", static_cast<unsigned long long>(h));
    return out;
}

bool if_none_match(std::string_view value, std::string_view etag) noexcept
{
    auto want = opaque(etag);
    while (!value.empty()) {
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t' || value.front() == ','))
            value.remove_prefix(1);
        if (value.empty())
            break;
        if (value.front() == '*')
            return true;
        std::size_t start = value.starts_with("W/") ? 2 : 0;
        if (value.size() <= start || value[start] != '"')
            return false; // not an entity-tag list: treat as no match
        auto close = value.find('"', start + 1);
        if (close == std::string_view::npos)
            return false;
        if (opaque(value.substr(0, close + 1)) == want)
            return true;
        value.remove_prefix(close + 1);
    }
    return false;
}

bool not_modified(const request& req, std::string_view etag) noexcept
{
    for (auto f : req.fields())
        if (http::iequals(f.name, "If-None-Match") && if_none_match(f.value, etag))
            return true;
    return false;
}

} // namespace strata
