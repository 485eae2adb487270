// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/sse/encoder.hpp>

#include <boost/system/system_error.hpp>

#include <algorithm>

namespace strata::sse {
namespace {

/// A field's value must stay on its line; and a NUL makes the parser ignore
/// an `id:` (§9.2.6), so it is refused in the event type as well.
bool frameable(std::string_view value) noexcept
{
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

/// "name: value\n", or "name:\n" for an empty value. The space is written so
/// that a value beginning with a space keeps it: the parser drops one.
void append_field(std::string& out, std::string_view name, std::string_view value)
{
    out.append(name);
    out.push_back(':');
    if (!value.empty()) {
        out.push_back(' ');
        out.append(value);
    }
    out.push_back('\n');
}

/// One field per line of `text`, split at LF, CR or CRLF as the parser splits
/// lines. Empty text is one empty field.
void append_lines(std::string& out, std::string_view name, std::string_view text)
{
    for (;;) {
        const auto end = text.find_first_of("\r\n");
        if (end == std::string_view::npos) {
            append_field(out, name, text);
            return;
        }
        append_field(out, name, text.substr(0, end));
        const std::size_t skip = text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n' ? 2 : 1;
        text.remove_prefix(end + skip);
    }
}

/// `retry:` takes ASCII digits only, so a negative delay is sent as 0.
void append_retry(std::string& out, std::chrono::milliseconds delay)
{
    out.append("retry: ");
    out.append(std::to_string(std::max<std::chrono::milliseconds::rep>(delay.count(), 0)));
    out.push_back('\n');
}

} // namespace

void encode(const outgoing_event& e, std::string& out, error_code& ec)
{
    if ((e.id && !frameable(*e.id)) || !frameable(e.type)) {
        ec = error::invalid_field;
        return;
    }
    ec = {};
    out.reserve(out.size() + e.data.size() + (e.id ? e.id->size() : 0) + e.type.size() + 32);
    if (e.id)
        append_field(out, "id", *e.id);
    if (!e.type.empty() && e.type != "message")
        append_field(out, "event", e.type);
    // Even empty data needs its `data:` line: the parser dispatches only an
    // event whose data buffer is not empty, and "data:" makes it "\n".
    append_lines(out, "data", e.data);
    if (e.retry)
        append_retry(out, *e.retry);
    out.push_back('\n');
}

std::string encode(const outgoing_event& e)
{
    std::string out;
    error_code ec;
    encode(e, out, ec);
    if (ec)
        throw boost::system::system_error(ec);
    return out;
}

void encode_comment(std::string_view text, std::string& out)
{
    append_lines(out, "", text);
    out.push_back('\n');
}

void encode_retry(std::chrono::milliseconds delay, std::string& out)
{
    append_retry(out, delay);
    out.push_back('\n');
}

} // namespace strata::sse
