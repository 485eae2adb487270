// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// UTF-8 validation for WebSocket text (RFC 6455 §8.1, RFC 3629): valid and
// invalid forms, any split between feeds, and failing at the first byte
// that no valid text could continue with.
#include "utf8_reference.hpp"

#include <strata/websocket/utf8.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace strata::websocket;

std::span<const std::byte> as_bytes(std::string_view s)
{
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

bool valid(std::string_view s)
{
    return is_valid_utf8(as_bytes(s));
}

bool reference_valid(std::string_view s)
{
    return strata::test::reference_valid_utf8(s);
}

/// The index of the byte at which feeding one byte at a time first fails;
/// -1 when every feed succeeds.
int fail_position(std::string_view s)
{
    utf8_validator v;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!v.feed(as_bytes(s.substr(i, 1))))
            return static_cast<int>(i);
    return -1;
}

const std::string_view valid_texts[] = {
    "",
    "Hello, world",
    "\xc2\x80",                                                     // U+0080
    "\xdf\xbf",                                                     // U+07FF
    "\xe0\xa0\x80",                                                 // U+0800
    "\xed\x9f\xbf",                                                 // U+D7FF, below the surrogates
    "\xee\x80\x80",                                                 // U+E000, above them
    "\xef\xbf\xbd",                                                 // U+FFFD
    "\xef\xbf\xbf",                                                 // U+FFFF
    "\xf0\x90\x80\x80",                                             // U+10000
    "\xf4\x8f\xbf\xbf",                                             // U+10FFFF
    "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",                 // κόσμε
    "caf\xc3\xa9 \xe2\x82\xac 100 \xf0\x9f\x98\x80 and more ASCII", // mixed
};

struct invalid_text {
    std::string_view bytes;
    int fails_at; ///< -1: every byte may begin valid text, only the end is missing
};

const invalid_text invalid_texts[] = {
    {"\xc0\x80", 0},             // overlong NUL: C0 never occurs
    {"\xc1\xbf", 0},             // overlong
    {"\xe0\x80\x80", 1},         // overlong 3-byte
    {"\xe0\x9f\xbf", 1},         // overlong U+07FF
    {"\xf0\x80\x80\x80", 1},     // overlong 4-byte
    {"\xf0\x8f\xbf\xbf", 1},     // overlong U+FFFF
    {"\xed\xa0\x80", 1},         // U+D800
    {"\xed\xbf\xbf", 1},         // U+DFFF
    {"\xf4\x90\x80\x80", 1},     // U+110000
    {"\xf5\x80\x80\x80", 0},     // past U+10FFFF by its lead byte
    {"\xf8\x88\x80\x80\x80", 0}, // the old 5-byte form
    {"\xff", 0},
    {"\xfe", 0},
    {"\x80", 0}, // a lone continuation byte
    {"abc\xbf", 3},
    {"\xc2\x41", 1}, // a continuation byte missing
    {"\xe1\x80\x41", 2},
    {"\xf1\x80\x80\xc0", 3},
    {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
     "edited",
     12},         // Autobahn 6.4.x style
    {"\xc2", -1}, // truncated at the end
    {"\xe2\x82", -1},
    {"\xf0\x9f\x98", -1},
    {"valid then \xf4\x8f\xbf", -1},
};

TEST(WebsocketUtf8, ValidTexts)
{
    for (auto s : valid_texts) {
        EXPECT_TRUE(valid(s)) << testing::PrintToString(std::string(s));
        EXPECT_EQ(fail_position(s), -1);
    }
}

TEST(WebsocketUtf8, InvalidTextsFailAtTheFirstImpossibleByte)
{
    for (const auto& t : invalid_texts) {
        SCOPED_TRACE(testing::PrintToString(std::string(t.bytes)));
        EXPECT_FALSE(valid(t.bytes));
        EXPECT_EQ(fail_position(t.bytes), t.fails_at);
        utf8_validator v;
        const bool fed = v.feed(as_bytes(t.bytes));
        EXPECT_EQ(fed, t.fails_at < 0);
        EXPECT_FALSE(v.finish());
    }
}

TEST(WebsocketUtf8, AnySplitBetweenTwoFeedsGivesTheSameAnswer)
{
    auto check = [](std::string_view s, bool expected) {
        for (std::size_t cut = 0; cut <= s.size(); ++cut) {
            utf8_validator v;
            const bool ok =
                v.feed(as_bytes(s.substr(0, cut))) && v.feed(as_bytes(s.substr(cut))) && v.finish();
            EXPECT_EQ(ok, expected) << testing::PrintToString(std::string(s)) << " cut at " << cut;
        }
    };
    for (auto s : valid_texts)
        check(s, true);
    for (const auto& t : invalid_texts)
        check(t.bytes, false);
}

TEST(WebsocketUtf8, FailureIsStickyAndFinishResets)
{
    utf8_validator v;
    EXPECT_FALSE(v.feed(as_bytes("\xff")));
    EXPECT_FALSE(v.feed(as_bytes("a")));
    EXPECT_FALSE(v.finish());
    EXPECT_TRUE(v.feed(as_bytes("a")));
    EXPECT_TRUE(v.finish());
    EXPECT_TRUE(v.feed(as_bytes("\xe2\x82")));
    v.reset();
    EXPECT_TRUE(v.feed(as_bytes("a")));
    EXPECT_TRUE(v.finish());
}

TEST(WebsocketUtf8, BadBytesAnywhereInLongAsciiAreFound)
{
    // Exercises the 16-bytes-at-a-time path at every alignment.
    for (std::size_t pos = 0; pos < 100; ++pos) {
        std::string s(100, 'x');
        s[pos] = '\xff';
        EXPECT_FALSE(valid(s)) << pos;
        EXPECT_EQ(fail_position(s), static_cast<int>(pos));
        std::string t(100, 'x');
        t.insert(pos, "\xe2\x82\xac");
        EXPECT_TRUE(valid(t)) << pos;
        t.insert(pos + 1, "x");
        EXPECT_FALSE(valid(t)) << pos;
    }
}

TEST(WebsocketUtf8, AgreesWithAReferenceDecoderOnAllShortSequences)
{
    std::string s;
    for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
            s = {static_cast<char>(a), static_cast<char>(b)};
            ASSERT_EQ(valid(s), reference_valid(s)) << a << " " << b;
            if (a < 0xe0)
                continue;
            for (int c = 0; c < 256; ++c) {
                s = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
                ASSERT_EQ(valid(s), reference_valid(s)) << a << " " << b << " " << c;
                if (a < 0xf0 || (c != 0x80 && c != 0xbf && c != 0x41))
                    continue;
                for (int d : {0x00, 0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff}) {
                    s = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                         static_cast<char>(d)};
                    ASSERT_EQ(valid(s), reference_valid(s)) << a << " " << b << " " << c << " " << d;
                }
            }
        }
    }
}

} // namespace
