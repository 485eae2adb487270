// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/config.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata {

/// An absolute http, https (or quic, listeners only) URL split the way a
/// client needs it (RFC 3986). Userinfo is refused: credentials in URLs leak
/// into logs, and browsers no longer send them.
struct url {
    std::string scheme; ///< lower case: "http", "https", "quic"
    std::string host;   ///< without brackets for IPv6 literals
    std::uint16_t port = 0;
    std::string target; ///< path and query, at least "/"; the fragment is dropped

    bool secure() const noexcept { return scheme == "https" || scheme == "quic"; }
    bool ipv6_literal() const noexcept { return host.find(':') != std::string::npos; }
    /// "host" or "host:port" when the port is not the scheme's default, for the Host field.
    std::string authority() const;
    /// "scheme://host:port", the key of connection pools and caches.
    std::string origin() const;
    std::string_view path() const noexcept;
    std::string_view query() const noexcept;

    /// Parses `text`; error::bad_url when it is not an absolute URL strata can use.
    static std::optional<url> parse(std::string_view text, error_code& ec);
    static url parse(std::string_view text); // throws system_error
    /// Resolves a Location value (absolute, scheme-relative or path) against this URL.
    std::optional<url> resolve(std::string_view reference) const;
};

/// Decodes %XX escapes; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in);

} // namespace strata
