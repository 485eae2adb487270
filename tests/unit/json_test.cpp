// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// strata's small JSON: escaping per RFC 8259 §7 and a strict reader.

#include "../../src/detail/json.hpp"

#include <gtest/gtest.h>

using namespace strata::detail;

namespace {

std::string quoted(std::string_view s)
{
    std::string out;
    json::append_string(out, s);
    return out;
}

TEST(Json, EscapesWhatRfc8259Requires)
{
    EXPECT_EQ(quoted("plain"), "\"plain\"");
    EXPECT_EQ(quoted("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(quoted("\n\r\t"), R"("\n\r\t")");
    EXPECT_EQ(quoted(std::string_view{"\x01\x1f\0", 3}), R"("\u0001\u001f\u0000")");
    EXPECT_EQ(quoted("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
    // Not UTF-8: replaced, so the output is always valid JSON.
    EXPECT_EQ(quoted("a\xFF"
                     "b\xC3"),
              "\"a\xEF\xBF\xBD"
              "b\xEF\xBF\xBD\"");
    EXPECT_EQ(quoted("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""); // a surrogate
}

TEST(Json, ReadsWhatItWritesBack)
{
    std::string text = "{\"s\":";
    std::string original = "line\n\"quoted\"\t\x01 caf\xC3\xA9";
    json::append_string(text, original);
    text += ",\"n\":[1,2.5,-3e2,true,false,null],\"o\":{}}";
    auto v = json::parse(text);
    ASSERT_TRUE(v);
    ASSERT_TRUE(v->find("s") && v->find("s")->string());
    EXPECT_EQ(*v->find("s")->string(), original);
    auto* n = v->find("n");
    ASSERT_TRUE(n && n->items());
    EXPECT_EQ(n->items()->size(), 6u);
    EXPECT_EQ(n->items()->at(0).uint(), 1u);
    EXPECT_FALSE(n->items()->at(1).uint()); // not an integer
    EXPECT_FALSE(n->items()->at(2).uint()); // negative
    EXPECT_TRUE(v->find("o")->is_object());
    EXPECT_EQ(v->find("missing"), nullptr);
}

TEST(Json, DecodesUnicodeEscapesAndSurrogatePairs)
{
    auto v = json::parse(R"(["\u00e9\ud83d\ude00\/"])");
    ASSERT_TRUE(v && v->items() && v->items()->at(0).string());
    EXPECT_EQ(*v->items()->at(0).string(), "\xC3\xA9\xF0\x9F\x98\x80/");
}

TEST(Json, RejectsMalformedInput)
{
    for (std::string_view bad : {"",
                                 "{",
                                 "[1,]",
                                 "{\"a\"}",
                                 "{\"a\":1,}",
                                 "01",
                                 "1.",
                                 "-",
                                 "+1",
                                 ".5",
                                 "1e",
                                 "\"unterminated",
                                 "\"bad \\x escape\"",
                                 "\"raw \x01 control\"",
                                 "tru",
                                 "nul",
                                 "[1] x",
                                 "\"\\ud800\"",
                                 "\"\\udc00\"",
                                 "\"\\ud800\\u0041\"",
                                 "\"\xFF\"",
                                 "{1:2}"})
        EXPECT_FALSE(json::parse(bad)) << bad;
}

TEST(Json, BoundsDepthAndSize)
{
    std::string deep(100, '[');
    deep += std::string(100, ']');
    EXPECT_FALSE(json::parse(deep));
    EXPECT_TRUE(json::parse(deep, {.max_depth = 200, .max_bytes = 1 << 20}));
    EXPECT_FALSE(json::parse("[1,2,3]", {.max_depth = 32, .max_bytes = 4}));
}

} // namespace
