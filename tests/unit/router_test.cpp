// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/router.hpp>

#include <gtest/gtest.h>

using namespace strata;

namespace {

handler tagged(int)
{
    return [](request&, response&) -> net::awaitable<void> { co_return; };
}

} // namespace

TEST(Router, LiteralBeatsParameterBeatsRest)
{
    router r;
    r.add("GET", "/files/{rest...}", tagged(1));
    r.add("GET", "/files/{name}", tagged(2));
    r.add("GET", "/files/index", tagged(3));
    auto a = r.find("GET", "/files/index");
    auto b = r.find("GET", "/files/x");
    auto c = r.find("GET", "/files/x/y");
    ASSERT_TRUE(a.target && b.target && c.target);
    EXPECT_NE(a.target, b.target);
    EXPECT_NE(b.target, c.target);
    EXPECT_EQ(b.params.at(0).first, "name");
    EXPECT_EQ(b.params.at(0).second, "x");
    EXPECT_EQ(c.params.at(0).second, "x/y");
}

TEST(Router, ParametersAreDecoded)
{
    router r;
    r.add("GET", "/users/{id}", tagged(1));
    auto m = r.find("GET", "/users/a%20b");
    ASSERT_TRUE(m.target);
    EXPECT_EQ(m.params.at(0).second, "a b");
    EXPECT_FALSE(r.find("GET", "/users/").target);
    EXPECT_FALSE(r.find("GET", "/users/a/b").target);
}

TEST(Router, MethodMismatchListsAllowedMethods)
{
    router r;
    r.add("GET", "/x", tagged(1));
    r.add("PUT", "/x", tagged(2));
    auto m = r.find("DELETE", "/x");
    EXPECT_FALSE(m.target);
    EXPECT_EQ(m.allow, "GET, PUT");
    EXPECT_TRUE(r.find("HEAD", "/x").target); // HEAD falls back to GET
    EXPECT_TRUE(r.find("DELETE", "/nothing").allow.empty());
}

TEST(Router, WildcardMethodAndRoot)
{
    router r;
    r.add("*", "/", tagged(1));
    EXPECT_TRUE(r.find("OPTIONS", "/").target);
    EXPECT_THROW(r.add("GET", "no-slash", tagged(2)), std::invalid_argument);
    EXPECT_THROW(r.add("GET", "/{a...}/b", tagged(2)), std::invalid_argument);
}
