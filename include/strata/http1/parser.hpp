// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The low-level HTTP/1.1 scanner behind http1::connection (RFC 9112 §2-§7).
// Stateless functions over bytes the caller holds: they hand out
// string_views into that input and never copy the header block. Heads are
// found first (find_head_end, resumable, so a head fed byte by byte is
// scanned once) and then parsed in one pass over a buffer known to hold the
// whole head. The hot loops (line ends, field values, request-target) test
// 16 bytes at a time with SSE2 where the target has it, 8 bytes at a time
// otherwise.
//
// Each function reports a peer violation through `err` (error{} when none).
// Line ends are CRLF only: a bare LF or a bare CR is an error, because a
// front-end that reads them otherwise could be smuggled past (RFC 9112 §2.2).

#include <strata/http/event.hpp>
#include <strata/http/version.hpp>
#include <strata/http1/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace strata::http1::parser {

struct request_line {
    std::string_view method;
    std::string_view target;
    http::version ver = http::version::http1_1;
};

struct status_line {
    http::version ver = http::version::http1_1;
    unsigned status = 0;
    std::string_view reason;
};

/// Looks for the empty line that ends a head in [p, p + n). `from` is where an
/// earlier call on the same (grown) input stopped; it is updated, so repeated
/// calls scan each byte once. Returns the head's length including the final
/// CRLF, or 0 while incomplete (err stays error{}) or on a bare LF (err set).
/// An empty line at offset 0 ends the head at 2 (an empty trailer section).
std::size_t find_head_end(const char* p, std::size_t n, std::size_t& from, error& err) noexcept;

/// The request line at p, which must hold a complete head. Returns the bytes
/// through its CRLF, or 0 with err set.
std::size_t parse_request_line(const char* p, std::size_t n, request_line& out, error& err) noexcept;

/// The status line at p, which must hold a complete head. Returns the bytes
/// through its CRLF, or 0 with err set.
std::size_t parse_status_line(const char* p, std::size_t n, status_line& out, error& err) noexcept;

/// Field lines through the empty line that ends them; p must hold them whole.
/// Appends to `out` (names keep their case; values have OWS trimmed). Returns
/// the bytes through the final CRLF, or 0 with err set.
std::size_t parse_fields(const char* p, std::size_t n, std::vector<http::field_view>& out,
                         std::size_t max_fields, error& err);

/// A chunk-size line (RFC 9112 §7.1): hex size, extensions (checked against the
/// grammar, then ignored), CRLF. Returns the bytes through the CRLF with `size`
/// set, or 0: incomplete when err is error{}, malformed otherwise. At most 16
/// hex digits (a 64-bit size) and max_ext_bytes of extensions are accepted,
/// so an incomplete line is bounded too.
std::size_t parse_chunk_line(const char* p, std::size_t n, std::uint64_t& size, std::size_t max_ext_bytes,
                             error& err) noexcept;

/// tchar (RFC 9110 §5.6.2).
bool is_tchar(unsigned char c) noexcept;
/// A non-empty token.
bool is_token(std::string_view s) noexcept;
/// Field-value characters only: no CTL other than HTAB, no DEL (RFC 9110 §5.5).
bool is_field_value(std::string_view s) noexcept;

} // namespace strata::http1::parser
