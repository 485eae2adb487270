// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Serving a directory: a handler for GET and HEAD that maps the request path
// to a file under a root, never outside it, and streams the file in pieces
// with validators (ETag, Last-Modified) so that a client revalidates with a
// 304 instead of downloading it again.

#include <strata/router.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace strata {

struct static_files_config {
    /// The part of the request path that names the root: "/static" for a route
    /// "/static/{rest...}". Requests outside it get 404. Empty: the root is "/".
    std::string prefix;
    /// Served for a request naming a directory (whose path ends with '/').
    std::string index_file = "index.html";
    /// The size of each piece the file is read and written in: memory held
    /// per download, whatever the size of the file.
    std::size_t chunk_bytes = 64 * 1024;
    /// Serve names starting with '.' (.git, .env, .htpasswd): off, because
    /// those are rarely meant to be public.
    bool serve_hidden = false;
    /// Sent with every file; "no-cache" lets caches keep a copy but makes them
    /// revalidate it (a cheap 304) before each use. Empty: no Cache-Control.
    std::string cache_control = "no-cache";
};

/// A handler serving the files under `root` (see static_files_config). A
/// path that escapes the root (`..`, its percent-encoded forms, a symbolic
/// link pointing outside) is answered 404, as a missing file is, so that
/// nothing about the rest of the file system shows; a NUL or a malformed
/// escape is a 400. A directory named without its trailing '/' is redirected
/// (301) to it, so that relative links in its index resolve. Methods other
/// than GET and HEAD get 405 (for use as a server's fallback).
handler static_files(std::filesystem::path root, static_files_config cfg = {});

/// What a request path means for a static file tree, decided without
/// touching the file system.
struct static_path {
    enum class verdict { ok, not_found, bad_request };
    verdict result = verdict::not_found;
    /// Relative to the root, decoded, with no "." or ".." segment; empty for the root itself.
    std::filesystem::path relative;
    /// The path ended with '/': it names a directory.
    bool directory = false;
};

/// Maps an undecoded request path (after `prefix`, see static_files_config)
/// to a path relative to the root. Percent escapes are decoded first and the
/// result split on '/', so "%2e%2e%2f" is the ".." segment it spells and is
/// refused like it. Refused (not_found): "..", a backslash (a separator
/// elsewhere), and hidden names unless `serve_hidden`. bad_request: a NUL or
/// a malformed escape.
static_path map_static_path(std::string_view request_path, bool serve_hidden = false);

/// Resolves `relative` under `root` through the file system, following
/// symbolic links, and returns the canonical path only if it is still inside
/// the canonical root; empty when it is outside or does not exist.
std::filesystem::path resolve_under(const std::filesystem::path& root, const std::filesystem::path& relative);

/// The Content-Type for a file name, by its extension (ignoring case);
/// "application/octet-stream" for an unknown one.
std::string_view content_type_for(const std::filesystem::path& file);

/// A strong entity tag from a file's size and modification time (in
/// nanoseconds since the epoch): it changes whenever either does.
std::string file_etag(std::uintmax_t size, long long mtime_ns);

} // namespace strata
