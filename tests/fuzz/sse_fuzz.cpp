// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// libFuzzer target for the text/event-stream parser and encoder. The first two
// bytes pick small limits (so line_too_long, event_too_large and the queue
// pause all run) and where the rest is cut; the checks are ones no correct
// parser can fail: cuts do not change the result, limits hold, every event
// is valid UTF-8, and the encoder frames each event so that it parses back.
#include <strata/sse/encoder.hpp>
#include <strata/sse/parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace strata;

void check(bool ok)
{
    if (!ok)
        std::abort();
}

struct outcome {
    std::vector<sse::event> events;
    error_code ec;
    std::string last_event_id;
    std::optional<std::chrono::milliseconds> retry;
};

bool same(const outcome& a, const outcome& b)
{
    if (a.events.size() != b.events.size() || a.ec != b.ec || a.last_event_id != b.last_event_id ||
        a.retry != b.retry)
        return false;
    for (std::size_t i = 0; i < a.events.size(); ++i)
        if (a.events[i].type != b.events[i].type || a.events[i].data != b.events[i].data ||
            a.events[i].last_event_id != b.events[i].last_event_id)
            return false;
    return true;
}

/// Polls every queued event; returns how many there were.
std::size_t poll_all(sse::parser& p, const sse::parser_config& cfg, outcome& out)
{
    std::size_t queued = 0;
    while (auto e = p.poll_event()) {
        ++queued;
        out.events.push_back(std::move(*e));
    }
    check(queued <= std::max<std::size_t>(cfg.max_queued_events, 1));
    return queued;
}

/// Feeds one read as a driver does: poll whenever the parser pauses.
void feed(sse::parser& p, const sse::parser_config& cfg, std::string_view s, outcome& out)
{
    while (!s.empty()) {
        const std::size_t n = p.handle_bytes(s);
        check(n <= s.size());
        if (p.failed()) {
            check(p.handle_bytes(s.substr(n)) == 0);
            break;
        }
        s.remove_prefix(n);
        // Only a full queue stops a parser that has not failed.
        const std::size_t queued = poll_all(p, cfg, out);
        check(s.empty() || queued == std::max<std::size_t>(cfg.max_queued_events, 1));
    }
    poll_all(p, cfg, out);
}

outcome run(const std::vector<std::string_view>& reads, const sse::parser_config& cfg)
{
    sse::parser p(cfg);
    outcome out;
    for (auto r : reads)
        feed(p, cfg, r, out);
    p.handle_eof();
    poll_all(p, cfg, out);
    out.ec = p.error();
    out.last_event_id = p.last_event_id();
    out.retry = p.reconnection_time();
    return out;
}

bool valid_utf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t len = b < 0x80                 ? 1
                          : b >= 0xc2 && b <= 0xdf ? 2
                          : b >= 0xe0 && b <= 0xef ? 3
                          : b >= 0xf0 && b <= 0xf4 ? 4
                                                   : 0;
        if (len == 0 || s.size() - i < len)
            return false;
        const std::uint32_t cp = len == 1   ? b
                                 : len == 2 ? (b & 0x1fu) << 6 | (s[i + 1] & 0x3fu)
                                 : len == 3 ? (b & 0x0fu) << 12 | (s[i + 1] & 0x3fu) << 6 | (s[i + 2] & 0x3fu)
                                            : (b & 0x07u) << 18 | (s[i + 1] & 0x3fu) << 12 |
                                                  (s[i + 2] & 0x3fu) << 6 | (s[i + 3] & 0x3fu);
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
                return false;
        const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : len == 4 ? 0x10000 : 0;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

bool has_any(std::string_view s, std::string_view chars)
{
    return s.find_first_of(chars) != std::string_view::npos;
}

/// The event, framed by the encoder and parsed again, is the same event.
void check_round_trip(const sse::event& e)
{
    sse::outgoing_event o{e.last_event_id, e.type, e.data, std::nullopt};
    std::string framed;
    error_code ec;
    sse::encode(o, framed, ec);
    // The parser lets NUL into an event type; the encoder refuses it there.
    if (has_any(e.type, std::string_view("\0", 1))) {
        check(ec == sse::error::invalid_field && framed.empty());
        o.type = "message";
        sse::encode(o, framed, ec);
    }
    check(!ec);
    sse::parser p;
    check(p.handle_bytes(framed) == framed.size());
    auto back = p.poll_event();
    check(back.has_value() && !p.poll_event() && !p.failed());
    check(back->data == e.data);
    check(back->type == o.type);
    check(back->last_event_id == e.last_event_id && p.last_event_id() == e.last_event_id);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 2)
        return 0;
    const std::uint8_t b0 = data[0], b1 = data[1];
    const std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
    const sse::parser_config cfg{
        .max_line_bytes = 8 + (b0 & 0x1fu) * 8u,
        .max_event_bytes = 4 + (b0 >> 5) * 40u,
        .max_queued_events = b1 & 3u,
    };

    const outcome whole = run({in}, cfg);
    for (const auto& e : whole.events) {
        check(e.data.size() <= cfg.max_event_bytes);
        check(!e.type.empty());
        check(valid_utf8(e.data) && valid_utf8(e.type) && valid_utf8(e.last_event_id));
        check(!has_any(e.type, "\r\n") && !has_any(e.last_event_id, std::string_view("\r\n\0", 3)));
        check(!has_any(e.data, "\r"));
        check_round_trip(e);
    }
    check(valid_utf8(whole.last_event_id));
    check(!whole.ec || whole.ec == sse::error::line_too_long || whole.ec == sse::error::event_too_large);

    // Cut in two at a point the input picks.
    const std::size_t cut = in.empty() ? 0 : (std::size_t(b1) * 131 + size) % (in.size() + 1);
    check(same(run({in.substr(0, cut), in.substr(cut)}, cfg), whole));

    // Cut in small pieces (a few bytes each: UTF-8 sequences, BOM and CRLF split).
    std::vector<std::string_view> pieces;
    const std::size_t step = 1 + (b1 >> 2) % 5;
    for (std::size_t i = 0; i < in.size(); i += step)
        pieces.push_back(in.substr(i, step));
    check(same(run(pieces, cfg), whole));
    return 0;
}
