// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// What a downstream project compiles against strata's public headers. The
// three consumer projects (add_subdirectory, find_package, pkg-config) build
// this same file, so a header that only works inside strata's own tree, or a
// dependency the packages forget to carry, fails here. Extend it with one
// check per public header as the library grows.

#include <strata/error.hpp>
#include <strata/http/version.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace {

int failures = 0;

void check(bool ok, std::string_view what)
{
    std::printf("%s %.*s\n", ok ? "ok  " : "FAIL", static_cast<int>(what.size()), what.data());
    if (!ok)
        ++failures;
}

void check_http_version()
{
    using strata::http::version;
    const auto name = strata::http::to_string(version::http1_1);
    std::printf("     to_string(http1_1) = %.*s\n", static_cast<int>(name.size()), name.data());
    check(name == "HTTP/1.1", "strata::http::to_string names HTTP/1.1");
    check(strata::http::alpn_id(version::http2) == "h2", "strata::http::alpn_id(http2) is h2");
}

void check_error_code()
{
    // Needs the compiled category from libstrata: proves the library links.
    const strata::error_code ec = strata::error::timeout;
    std::printf("     %s: %s\n", ec.category().name(), ec.message().c_str());
    check(ec == strata::error::timeout, "error_code compares equal to strata::error::timeout");
    check(std::string{ec.category().name()} == "strata", "the category is strata's");
    check(!ec.message().empty() && ec.message().find("unknown") == std::string::npos,
          "the category has a message for timeout");
}

} // namespace

int main()
{
    check_http_version();
    check_error_code();
    std::printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
