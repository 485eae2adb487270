// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// HTTP/1.1 output pieces (RFC 9112 §3, §4, §5, §7.1): start lines, field
// lines and chunk framing, appended to codec-owned storage. Body bytes never
// pass through here: http1::connection references them in its output list.

#include <strata/http/version.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace strata::http1 {

/// The standard reason phrase of a status (RFC 9110 §15), or "" when it has none.
std::string_view reason_phrase(unsigned status) noexcept;

namespace serializer {

void append(std::vector<char>& out, std::string_view s);
/// "HTTP/1.1 <status> <reason>\r\n"; the standard phrase when reason is empty.
void status_line(std::vector<char>& out, unsigned status, std::string_view reason);
/// "<method> <target> HTTP/1.x\r\n"
void request_line(std::vector<char>& out, std::string_view method, std::string_view target,
                  http::version ver);
/// "<name>: <value>\r\n"
void field(std::vector<char>& out, std::string_view name, std::string_view value);
/// "<hex size>\r\n", the line before a chunk's data (RFC 9112 §7.1).
void chunk_size(std::vector<char>& out, std::uint64_t size);

} // namespace serializer
} // namespace strata::http1
