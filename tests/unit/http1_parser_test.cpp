// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// The low-level HTTP/1.1 scanner (RFC 9112 §2-§7), without a connection.
#include <strata/http1/parser.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace strata;
using http1::error;
namespace parser = http1::parser;

std::size_t head_end(std::string_view s, error& err)
{
    std::size_t from = 0;
    return parser::find_head_end(s.data(), s.size(), from, err);
}

TEST(Http1Parser, FindsHeadEndOnceWholeAndResumesByteByByte)
{
    // RFC 9110 §6 / RFC 9112 §2.1 example request.
    const std::string req = "GET /hello.txt HTTP/1.1\r\n"
                            "User-Agent: curl/7.64.1\r\n"
                            "Host: www.example.com\r\n"
                            "Accept-Language: en, mi\r\n"
                            "\r\n"
                            "tail";
    error err{};
    EXPECT_EQ(head_end(req, err), req.size() - 4);
    EXPECT_EQ(err, error{});

    // Fed a byte at a time, the end is found exactly when its last byte arrives.
    std::size_t from = 0;
    for (std::size_t n = 1; n <= req.size() - 4; ++n) {
        const std::size_t end = parser::find_head_end(req.data(), n, from, err);
        ASSERT_EQ(err, error{});
        EXPECT_EQ(end, n == req.size() - 4 ? n : 0u) << "at " << n;
        EXPECT_LE(from, n);
    }
}

TEST(Http1Parser, HeadEndRejectsBareLf)
{
    error err{};
    EXPECT_EQ(head_end("GET / HTTP/1.1\nHost: a\r\n\r\n", err), 0u);
    EXPECT_EQ(err, error::bare_lf);
    err = {};
    EXPECT_EQ(head_end(std::string(40, 'a') + "\n", err), 0u); // past the 16-byte SIMD block
    EXPECT_EQ(err, error::bare_lf);
}

TEST(Http1Parser, EmptyTrailerSectionEndsAtTwo)
{
    error err{};
    EXPECT_EQ(head_end("\r\nnext", err), 2u);
}

TEST(Http1Parser, RequestLineParts)
{
    const std::string s = "OPTIONS * HTTP/1.0\r\n\r\n";
    parser::request_line rl;
    error err{};
    EXPECT_EQ(parser::parse_request_line(s.data(), s.size(), rl, err), 20u);
    EXPECT_EQ(rl.method, "OPTIONS");
    EXPECT_EQ(rl.target, "*");
    EXPECT_EQ(rl.ver, http::version::http1_0);
}

TEST(Http1Parser, RequestLineErrors)
{
    struct row {
        std::string line;
        error expected;
    };
    const row rows[] = {
        {"G@T / HTTP/1.1\r\n\r\n", error::bad_method},
        {" / HTTP/1.1\r\n\r\n", error::bad_method},
        {"GET  / HTTP/1.1\r\n\r\n", error::bad_request_line},
        {"GET /\r\n\r\n", error::bad_request_line},
        {"GET /a\x01 HTTP/1.1\r\n\r\n", error::bad_target},
        {"GET / HTTP/1.1 \r\n\r\n", error::bad_request_line},
        {"GET / HTTX/1.1\r\n\r\n", error::bad_version},
        {"GET / HTTP/11\r\n\r\n", error::bad_version},
        {"GET / HTTP/2.0\r\n\r\n", error::unsupported_version},
        {"GET / HTTP/1.1\rX\n\r\n", error::bare_cr},
    };
    for (const row& r : rows) {
        parser::request_line rl;
        error err{};
        EXPECT_EQ(parser::parse_request_line(r.line.data(), r.line.size(), rl, err), 0u) << r.line;
        EXPECT_EQ(err, r.expected) << r.line;
    }
}

TEST(Http1Parser, HigherMinorVersionIsHttp11)
{
    const std::string s = "GET / HTTP/1.7\r\n\r\n";
    parser::request_line rl;
    error err{};
    EXPECT_NE(parser::parse_request_line(s.data(), s.size(), rl, err), 0u);
    EXPECT_EQ(rl.ver, http::version::http1_1);
}

TEST(Http1Parser, StatusLine)
{
    parser::status_line sl;
    error err{};
    const std::string ok = "HTTP/1.1 404 Not Found\r\n\r\n";
    EXPECT_EQ(parser::parse_status_line(ok.data(), ok.size(), sl, err), 24u);
    EXPECT_EQ(sl.status, 404u);
    EXPECT_EQ(sl.reason, "Not Found");
    const std::string bare = "HTTP/1.0 200\r\n\r\n";
    EXPECT_EQ(parser::parse_status_line(bare.data(), bare.size(), sl, err), 14u);
    EXPECT_EQ(sl.reason, "");
    EXPECT_EQ(sl.ver, http::version::http1_0);
    const std::string bad = "HTTP/1.1 2x0 OK\r\n\r\n";
    EXPECT_EQ(parser::parse_status_line(bad.data(), bad.size(), sl, err), 0u);
    EXPECT_EQ(err, error::bad_status);
}

TEST(Http1Parser, FieldsKeepCaseAndTrimOws)
{
    // Long values cross several 16-byte blocks, with obs-text (0x80-0xff) allowed.
    const std::string v(50, 'v');
    const std::string s = "X-Long: " + v + "\xc3\xa9 \t\r\nhOsT:example.com\r\nEmpty:\r\n\r\n";
    std::vector<http::field_view> f;
    error err{};
    EXPECT_EQ(parser::parse_fields(s.data(), s.size(), f, 10, err), s.size());
    ASSERT_EQ(f.size(), 3u);
    EXPECT_EQ(f[0].name, "X-Long");
    EXPECT_EQ(f[0].value, v + "\xc3\xa9");
    EXPECT_EQ(f[1].name, "hOsT");
    EXPECT_EQ(f[1].value, "example.com");
    EXPECT_EQ(f[2].value, "");
}

TEST(Http1Parser, FieldErrors)
{
    struct row {
        std::string block;
        error expected;
    };
    const std::string pad(20, 'x'); // puts the bad byte past the first SIMD block
    const row rows[] = {
        {"Host : a\r\n\r\n", error::whitespace_before_colon},
        {"Host\t: a\r\n\r\n", error::whitespace_before_colon},
        {"Ho(st: a\r\n\r\n", error::bad_field_name},
        {": a\r\n\r\n", error::bad_field_name},
        {"A: b\r\n c\r\n\r\n", error::obs_fold},
        {"A: b\r\n\tc\r\n\r\n", error::obs_fold},
        {"A: b\rc\r\n\r\n", error::bare_cr},
        {"A: " + pad + "\rc\r\n\r\n", error::bare_cr},
        {"A: b\x01\r\n\r\n", error::bad_field_value},
        {"A: " + pad + "\x7f\r\n\r\n", error::bad_field_value},
        {"A: " + pad + std::string("\x00z\r\n\r\n", 6), error::bad_field_value},
        {"A: b\r\nB: c\r\nC: d\r\n\r\n", error::too_many_fields},
    };
    for (const row& r : rows) {
        std::vector<http::field_view> f;
        error err{};
        EXPECT_EQ(parser::parse_fields(r.block.data(), r.block.size(), f, 2, err), 0u) << r.block;
        EXPECT_EQ(err, r.expected) << r.block;
    }
}

TEST(Http1Parser, ChunkLines)
{
    struct row {
        std::string line;
        std::size_t used;
        std::uint64_t size;
        error expected;
    };
    const row rows[] = {
        {"1a\r\n", 4, 26, {}},
        {"FFFFFFFFFFFFFFFF\r\n", 18, ~0ull, {}},
        {"4;name=value\r\n", 14, 4, {}},
        {"4 ; a = \"q\\\"s\" ;b\r\n", 19, 4, {}},
        {"0\r\n", 3, 0, {}},
        {"1a", 0, 0, {}},   // incomplete
        {"1a\r", 0, 0, {}}, // incomplete
        {"1;ext", 0, 0, {}},
        {"10000000000000000\r\n", 0, 0, error::chunk_size_overflow},
        {"-1\r\n", 0, 0, error::bad_chunk_size},
        {"\r\n", 0, 0, error::bad_chunk_size},
        {"1x\r\n", 0, 0, error::bad_chunk_size},
        {"1 \r\n", 0, 0, error::bad_chunk_extension},
        {"1;\r\n", 0, 0, error::bad_chunk_extension},
        {"1;a=\r\n", 0, 0, error::bad_chunk_extension},
        {"1;a=\"\x01\"\r\n", 0, 0, error::bad_chunk_extension},
        {"1\n", 0, 0, error::bare_lf},
        {"1\rx", 0, 0, error::bare_cr},
        {"1;" + std::string(2000, 'a'), 0, 0, error::bad_chunk_extension},
    };
    for (const row& r : rows) {
        std::uint64_t size = 0;
        error err{};
        EXPECT_EQ(parser::parse_chunk_line(r.line.data(), r.line.size(), size, 1024, err), r.used) << r.line;
        EXPECT_EQ(err, r.expected) << r.line;
        if (r.used != 0) {
            EXPECT_EQ(size, r.size) << r.line;
        }
    }
}

TEST(Http1Parser, TokenAndValueClasses)
{
    EXPECT_TRUE(parser::is_token("X-Custom_1.2~"));
    EXPECT_FALSE(parser::is_token(""));
    EXPECT_FALSE(parser::is_token("a b"));
    EXPECT_FALSE(parser::is_token("a:b"));
    EXPECT_TRUE(parser::is_field_value("text/html; q=0.9\tx"));
    EXPECT_FALSE(parser::is_field_value("a\r\nInjected: 1"));
}

} // namespace
