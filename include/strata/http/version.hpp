// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <string_view>

namespace strata::http {

/// The protocol a message travelled on. Read-only above the connection drivers:
/// handlers and client code never branch on it (DESIGN.md rule 4).
enum class version : unsigned char { http1_0, http1_1, http2, http3 };

/// "HTTP/1.1", "HTTP/2", ... as curl and logs print them.
constexpr std::string_view to_string(version v) noexcept
{
    switch (v) {
    case version::http1_0:
        return "HTTP/1.0";
    case version::http1_1:
        return "HTTP/1.1";
    case version::http2:
        return "HTTP/2";
    case version::http3:
        return "HTTP/3";
    }
    return "HTTP/?";
}

/// The ALPN protocol id (RFC 7301) of a version.
constexpr std::string_view alpn_id(version v) noexcept
{
    switch (v) {
    case version::http1_0:
    case version::http1_1:
        return "http/1.1";
    case version::http2:
        return "h2";
    case version::http3:
        return "h3";
    }
    return "";
}

} // namespace strata::http
