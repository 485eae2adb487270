// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/websocket/utf8.hpp>

#include <cstring>

namespace strata::websocket {

namespace {

constexpr std::uint64_t high_bits = 0x8080808080808080ull;

/// Skips ASCII 16 bytes at a time (any byte with its top bit set stops it).
const std::uint8_t* skip_ascii(const std::uint8_t* p, const std::uint8_t* end) noexcept
{
    while (end - p >= 16) {
        std::uint64_t a, b;
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + 8, 8);
        if (((a | b) & high_bits) != 0)
            break;
        p += 16;
    }
    while (p != end && *p < 0x80)
        ++p;
    return p;
}

} // namespace

bool utf8_validator::feed(std::span<const std::byte> bytes) noexcept
{
    if (failed_)
        return false;
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const auto* const end = p + bytes.size();
    std::uint8_t need = need_, lower = lower_, upper = upper_;
    while (p != end) {
        if (need == 0) {
            p = skip_ascii(p, end);
            if (p == end)
                break;
            const std::uint8_t b = *p++;
            // Lead bytes and the range their first continuation byte may take
            // (RFC 3629 §4): C0, C1 and F5-FF never occur; E0 and F0 would be
            // overlong below A0 and 90; ED would be a surrogate from A0; F4
            // past U+10FFFF from 90.
            if (b < 0xc2) {
                failed_ = true;
                return false;
            }
            if (b < 0xe0) {
                need = 1;
                lower = 0x80;
                upper = 0xbf;
            } else if (b < 0xf0) {
                need = 2;
                lower = b == 0xe0 ? 0xa0 : 0x80;
                upper = b == 0xed ? 0x9f : 0xbf;
            } else if (b < 0xf5) {
                need = 3;
                lower = b == 0xf0 ? 0x90 : 0x80;
                upper = b == 0xf4 ? 0x8f : 0xbf;
            } else {
                failed_ = true;
                return false;
            }
            // A whole sequence at hand: check it without going round the loop.
            if (static_cast<std::size_t>(end - p) >= need) {
                if (p[0] < lower || p[0] > upper) {
                    failed_ = true;
                    return false;
                }
                for (std::uint8_t i = 1; i < need; ++i) {
                    if ((p[i] & 0xc0) != 0x80) {
                        failed_ = true;
                        return false;
                    }
                }
                p += need;
                need = 0;
            }
            continue;
        }
        const std::uint8_t b = *p++;
        if (b < lower || b > upper) {
            failed_ = true;
            return false;
        }
        lower = 0x80;
        upper = 0xbf;
        --need;
    }
    need_ = need;
    lower_ = lower;
    upper_ = upper;
    return true;
}

bool utf8_validator::finish() noexcept
{
    const bool ok = !failed_ && need_ == 0;
    reset();
    return ok;
}

void utf8_validator::reset() noexcept
{
    need_ = 0;
    lower_ = 0;
    upper_ = 0;
    failed_ = false;
}

bool is_valid_utf8(std::span<const std::byte> bytes) noexcept
{
    utf8_validator v;
    return v.feed(bytes) && v.finish();
}

} // namespace strata::websocket
