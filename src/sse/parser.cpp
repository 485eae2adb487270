// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/sse/parser.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

namespace strata::sse {
namespace {

constexpr unsigned char bom[3] = {0xef, 0xbb, 0xbf};
constexpr std::string_view replacement = "\xef\xbf\xbd"; // U+FFFD in UTF-8

/// The length of the longest prefix of [p, p + n) made of whole, valid UTF-8
/// sequences: that much can be copied as is. ASCII goes eight bytes at a time.
std::size_t valid_utf8_prefix(const unsigned char* p, std::size_t n) noexcept
{
    std::size_t i = 0;
    while (i < n) {
        while (n - i >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080u)
                break;
            i += 8;
        }
        if (i == n)
            break;
        const unsigned char b = p[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        // Encoding standard §8.1.1 (UTF-8 decoder): which leads are valid
        // and where each narrows its first continuation byte, ruling out
        // overlong forms, surrogates and code points past U+10FFFF.
        std::size_t len;
        unsigned char lower = 0x80, upper = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) {
            len = 2;
        } else if (b >= 0xe0 && b <= 0xef) {
            len = 3;
            if (b == 0xe0)
                lower = 0xa0;
            else if (b == 0xed)
                upper = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
            len = 4;
            if (b == 0xf0)
                lower = 0x90;
            else if (b == 0xf4)
                upper = 0x8f;
        } else {
            return i;
        }
        if (n - i < len || p[i + 1] < lower || p[i + 1] > upper)
            return i;
        for (std::size_t k = 2; k < len; ++k)
            if ((p[i + k] & 0xc0) != 0x80)
                return i;
        i += len;
    }
    return n;
}

bool only_ascii_digits(std::string_view s) noexcept
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

parser::parser(parser_config cfg) : cfg_(cfg) {}

std::size_t parser::handle_bytes(std::span<const std::byte> in)
{
    if (failed())
        return 0;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t n = in.size();
    std::size_t i = 0;

    // The UTF-8 decode algorithm skips one leading BOM. Bytes that only
    // looked like its start are decoded as usual.
    while (!bom_done_ && i < n) {
        if (p[i] == bom[bom_seen_]) {
            ++i;
            bom_done_ = ++bom_seen_ == 3;
        } else {
            bom_done_ = true;
            decode(bom, bom_seen_);
        }
    }

    // The next LF and CR at or after i; n when there is none. Each is looked
    // for again only once i has passed it, so a stream whose lines all end
    // with the same character is scanned once, not once per line.
    constexpr std::size_t unknown = std::numeric_limits<std::size_t>::max();
    std::size_t next_lf = unknown, next_cr = unknown;
    auto find = [&](unsigned char c, std::size_t& pos) {
        if (pos == unknown || pos < i) {
            const void* q = std::memchr(p + i, c, n - i);
            pos = q ? static_cast<std::size_t>(static_cast<const unsigned char*>(q) - p) : n;
        }
        return pos;
    };

    const std::size_t max_queued = std::max<std::size_t>(cfg_.max_queued_events, 1);
    while (i < n) {
        if (events_.size() >= max_queued)
            break;
        if (last_was_cr_) {
            last_was_cr_ = false;
            if (p[i] == '\n') {
                ++i;
                continue;
            }
        }
        const std::size_t end = std::min(find('\n', next_lf), find('\r', next_cr));
        if (end == n) {
            decode(p + i, n - i);
            if (line_.size() > cfg_.max_line_bytes)
                fail(sse::error::line_too_long);
            return n;
        }
        // A whole line in this read that is valid UTF-8 is processed where it
        // lies; only a line split across reads, or one with bytes to replace,
        // is copied.
        const std::size_t len = end - i;
        bool ok;
        if (line_.empty() && utf8_need_ == 0 && valid_utf8_prefix(p + i, len) == len) {
            ok = len <= cfg_.max_line_bytes ? process_line({reinterpret_cast<const char*>(p + i), len})
                                            : fail(sse::error::line_too_long);
        } else {
            decode(p + i, len);
            end_utf8_sequence();
            ok = line_.size() <= cfg_.max_line_bytes ? process_line(line_) : fail(sse::error::line_too_long);
            line_.clear();
        }
        i = end + 1;
        if (!ok)
            return i;
        last_was_cr_ = p[end] == '\r';
    }
    return i;
}

void parser::decode(const unsigned char* p, std::size_t n)
{
    std::size_t i = 0;
    while (i < n) {
        if (utf8_need_ == 0) {
            const std::size_t run = valid_utf8_prefix(p + i, n - i);
            line_.append(reinterpret_cast<const char*>(p + i), run);
            i += run;
            if (i == n)
                break;
        }
        decode_byte(p[i++]);
    }
}

// Encoding standard §8.1.1, one byte at a time: for a sequence split across
// reads, and for invalid bytes. Each maximal invalid subpart becomes one
// U+FFFD; the byte that broke a sequence is then read afresh.
void parser::decode_byte(unsigned char b)
{
    if (utf8_need_ != 0) {
        if (b >= utf8_lower_ && b <= utf8_upper_) {
            utf8_lower_ = 0x80;
            utf8_upper_ = 0xbf;
            utf8_seq_[utf8_have_++] = b;
            if (--utf8_need_ == 0) {
                line_.append(reinterpret_cast<const char*>(utf8_seq_), utf8_have_);
                utf8_have_ = 0;
            }
            return;
        }
        end_utf8_sequence();
    }
    if (b < 0x80) {
        line_.push_back(static_cast<char>(b));
        return;
    }
    if (b >= 0xc2 && b <= 0xdf) {
        utf8_need_ = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
        if (b == 0xe0)
            utf8_lower_ = 0xa0;
        else if (b == 0xed)
            utf8_upper_ = 0x9f;
        utf8_need_ = 2;
    } else if (b >= 0xf0 && b <= 0xf4) {
        if (b == 0xf0)
            utf8_lower_ = 0x90;
        else if (b == 0xf4)
            utf8_upper_ = 0x8f;
        utf8_need_ = 3;
    } else {
        line_.append(replacement);
        return;
    }
    utf8_seq_[0] = b;
    utf8_have_ = 1;
}

/// A sequence cut short (by a byte outside its range, or by a line end,
/// which is never part of one) is one U+FFFD.
void parser::end_utf8_sequence()
{
    if (utf8_need_ == 0)
        return;
    line_.append(replacement);
    utf8_need_ = utf8_have_ = 0;
    utf8_lower_ = 0x80;
    utf8_upper_ = 0xbf;
}

// §9.2.6: how one line of the stream is interpreted.
bool parser::process_line(std::string_view line)
{
    if (line.empty()) {
        dispatch();
        return true;
    }
    if (line.front() == ':')
        return true; // a comment
    std::string_view field = line, value;
    if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
    }
    if (field == "data") {
        // The LF after the last line is dropped at dispatch, so it does not count.
        if (data_.size() + value.size() > cfg_.max_event_bytes)
            return fail(sse::error::event_too_large);
        data_.append(value);
        data_.push_back('\n');
    } else if (field == "event") {
        type_.assign(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos)
            last_event_id_.assign(value);
    } else if (field == "retry") {
        if (!only_ascii_digits(value))
            return true;
        // A number too large for milliseconds is ignored rather than wrapped
        // or clamped to a delay no client could use.
        using rep = std::chrono::milliseconds::rep;
        rep ms = 0;
        for (const char c : value) {
            const rep digit = c - '0';
            if (ms > (std::numeric_limits<rep>::max() - digit) / 10)
                return true;
            ms = ms * 10 + digit;
        }
        retry_ = std::chrono::milliseconds(ms);
    }
    return true; // other fields are ignored
}

void parser::dispatch()
{
    // §9.2.6 step 1, before the empty-data check: the last event ID string
    // is what a reconnection sends, so an id only counts once its block
    // has ended (a stream cut after `id: 7` but before the blank line has
    // not delivered event 7).
    dispatched_id_ = last_event_id_;
    if (data_.empty()) {
        type_.clear();
        return;
    }
    data_.pop_back(); // the LF after the last data line
    event e;
    if (!type_.empty())
        e.type = std::move(type_);
    e.data = std::move(data_);
    e.last_event_id = last_event_id_;
    events_.push_back(std::move(e));
    data_.clear();
    type_.clear();
}

std::optional<event> parser::poll_event()
{
    if (events_.empty())
        return std::nullopt;
    std::optional<event> e(std::move(events_.front()));
    events_.pop_front();
    return e;
}

void parser::discard_pending()
{
    last_event_id_ = dispatched_id_; // an id whose block did not end is pending data too
    line_.clear();
    data_.clear();
    type_.clear();
    utf8_need_ = utf8_have_ = 0;
    utf8_lower_ = 0x80;
    utf8_upper_ = 0xbf;
    bom_seen_ = 0;
    bom_done_ = false;
    last_was_cr_ = false;
}

void parser::handle_eof()
{
    discard_pending();
}

void parser::reset_stream()
{
    discard_pending();
    error_ = {};
}

bool parser::fail(sse::error e)
{
    error_ = e;
    discard_pending();
    bom_done_ = true;
    return false;
}

} // namespace strata::sse
