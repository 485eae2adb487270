// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Writing text/event-stream (HTML standard §9.2.5, §9.2.6). Data with line
// breaks (LF, CR or CRLF) becomes one `data:` line per line, so it arrives
// unchanged except that CR and CRLF become LF, as the parser reads them.
// An id or type with CR, LF or NUL cannot be framed: sse::error::invalid_field.

#include <strata/config.hpp>
#include <strata/sse/error.hpp>
#include <strata/sse/event.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace strata::sse {

/// Appends the framed event (ending with the blank line that dispatches it) to `out`.
void encode(const outgoing_event& e, std::string& out, error_code& ec);
/// The framed event; throws system_error on an invalid field.
std::string encode(const outgoing_event& e);
/// Appends a comment line (": text\n\n"): ignored by clients, it keeps
/// proxies and idle timers from closing a quiet stream. Line breaks in
/// `text` start new comment lines.
void encode_comment(std::string_view text, std::string& out);
/// Appends "retry: N\n\n" (the reconnection time a client should use).
void encode_retry(std::chrono::milliseconds delay, std::string& out);

} // namespace strata::sse
