// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/error.hpp>
#include <strata/url.hpp>

#include <gtest/gtest.h>

using strata::url;

TEST(Url, SplitsSchemeHostPortAndTarget)
{
    auto u = url::parse("HTTPS://Example.COM:8443/a/b?x=1#frag");
    EXPECT_EQ(u.scheme, "https");
    EXPECT_EQ(u.host, "example.com");
    EXPECT_EQ(u.port, 8443);
    EXPECT_EQ(u.target, "/a/b?x=1");
    EXPECT_EQ(u.path(), "/a/b");
    EXPECT_EQ(u.query(), "x=1");
    EXPECT_EQ(u.authority(), "example.com:8443");
    EXPECT_EQ(u.origin(), "https://example.com:8443");
}

TEST(Url, DefaultsPortAndTarget)
{
    auto u = url::parse("http://host?q");
    EXPECT_EQ(u.port, 80);
    EXPECT_EQ(u.target, "/?q");
    EXPECT_EQ(u.authority(), "host");
    EXPECT_EQ(url::parse("https://h").port, 443);
}

TEST(Url, Ipv6Literal)
{
    auto u = url::parse("http://[::1]:8080/x");
    EXPECT_EQ(u.host, "::1");
    EXPECT_TRUE(u.ipv6_literal());
    EXPECT_EQ(u.authority(), "[::1]:8080");
}

TEST(Url, RejectsWhatItCannotUse)
{
    for (const char* bad : {"", "example.com/x", "ftp://h/", "http://user:pw@h/", "http://h:99999/",
                            "http://h:x/", "http:///path", "http://[::1/", "http://h/a b", "http://h\x01/"}) {
        strata::error_code ec;
        EXPECT_FALSE(url::parse(bad, ec).has_value()) << bad;
        EXPECT_EQ(ec, strata::error::bad_url) << bad;
    }
}

TEST(Url, ResolvesRedirectLocations)
{
    auto base = url::parse("http://h:81/a/b?q");
    EXPECT_EQ(base.resolve("/c")->target, "/c");
    EXPECT_EQ(base.resolve("d")->target, "/a/d");
    auto other = base.resolve("https://o/x");
    EXPECT_EQ(other->origin(), "https://o:443");
    EXPECT_EQ(base.resolve("//p/y")->origin(), "http://p:80");
}

TEST(Url, PercentDecode)
{
    EXPECT_EQ(strata::percent_decode("a%20b%2Fc"), "a b/c");
    EXPECT_FALSE(strata::percent_decode("%G0").has_value());
    EXPECT_FALSE(strata::percent_decode("%2").has_value());
}
