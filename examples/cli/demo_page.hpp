// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/server.hpp>

#include <span>
#include <string_view>

namespace strata_cli {

/// A file of examples/cli/web, compiled into the binary (embed_files.cmake).
struct embedded_file {
    std::string_view name; ///< "index.html", "demo.js", ...
    std::string_view bytes;
};

/// Every embedded file; defined by the generated demo_web_files.cpp.
std::span<const embedded_file> embedded_files();

/// The demo page of `strata serve`: GET and HEAD of / (index.html) and of
/// /demo/NAME (its script and style sheet), from the embedded files, with an
/// ETag and Cache-Control: no-cache (a revalidation is a 304). Routes win
/// over the server's fallback, so / is the page even when --root holds an
/// index.html.
void add_demo_page(strata::server& srv);

} // namespace strata_cli
