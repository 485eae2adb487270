// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/conditional.hpp>
#include <strata/http/fields.hpp>

#include <gtest/gtest.h>

using strata::http::fields;

TEST(Fields, LookupIgnoresCaseAndKeepsTheGivenCase)
{
    fields f{{"Content-Type", "text/plain"}, {"x-a", "1"}};
    EXPECT_EQ(f.get("content-type"), "text/plain");
    EXPECT_EQ(f.at(0).name, "Content-Type");
    EXPECT_FALSE(f.get("missing").has_value());
}

TEST(Fields, SetReplacesEveryOccurrenceAndEraseCounts)
{
    fields f;
    f.add("Set-Cookie", "a=1");
    f.add("set-cookie", "b=2");
    f.add("Other", "x");
    EXPECT_EQ(f.size(), 3u);
    f.set("SET-COOKIE", "c=3");
    EXPECT_EQ(f.size(), 2u);
    EXPECT_EQ(f.get("set-cookie"), "c=3");
    EXPECT_EQ(f.erase("other"), 1u);
    EXPECT_EQ(f.erase("other"), 0u);
}

TEST(Fields, SetWithAValueFromItself)
{
    fields f{{"A", "value"}};
    f.set("B", *f.get("A"));
    EXPECT_EQ(f.get("B"), "value");
}

TEST(Fields, TokensInListFields)
{
    fields f{{"Connection", "keep-alive, Upgrade"}, {"Connection", " close "}};
    EXPECT_TRUE(f.has_token("connection", "upgrade"));
    EXPECT_TRUE(f.has_token("Connection", "close"));
    EXPECT_FALSE(f.has_token("Connection", "keep"));
}

TEST(Conditional, WeakComparisonOfEntityTags)
{
    using strata::if_none_match;
    EXPECT_TRUE(if_none_match("\"abc\"", "\"abc\""));
    EXPECT_TRUE(if_none_match("W/\"abc\"", "\"abc\""));
    EXPECT_TRUE(if_none_match("\"x\", W/\"abc\"", "W/\"abc\""));
    EXPECT_TRUE(if_none_match("*", "\"anything\""));
    EXPECT_FALSE(if_none_match("\"abcd\"", "\"abc\""));
    EXPECT_FALSE(if_none_match("abc", "\"abc\""));
    EXPECT_FALSE(if_none_match("\"unterminated", "\"unterminated\""));
    EXPECT_NE(strata::make_etag("a"), strata::make_etag("b"));
    EXPECT_EQ(strata::make_etag("a"), strata::make_etag("a"));
}
