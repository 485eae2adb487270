// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// http1::connection driven with bytes and calls only (RFC 9112, RFC 9110).
#include <strata/http1/connection.hpp>

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace strata;
using http1::error;
using http1::role;
using http1::state;

std::span<const std::byte> bytes(std::string_view s)
{
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
std::string text(std::span<const std::byte> b)
{
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string drain(http1::connection& c)
{
    std::string out;
    for (const auto& b : c.poll_output())
        out.append(static_cast<const char*>(b.data()), b.size());
    return out;
}

std::string fields_of(std::span<const http::field_view> fields)
{
    std::string s;
    for (const auto& f : fields)
        s.append(f.name).append("=").append(f.value).append(";");
    return s;
}

/// Renders events as one line each; consecutive data pieces are merged, so a
/// log does not depend on how the input was split.
struct recorder {
    std::string log;
    std::string body;
    bool message_done = false;

    void flush()
    {
        if (!body.empty())
            log += "body[" + body + "]\n";
        body.clear();
    }
    void on(const http::event& ev)
    {
        message_done = false;
        if (const auto* d = std::get_if<http::data>(&ev)) {
            body += text(d->bytes);
            if (d->end_stream) {
                flush();
                log += "end " + std::to_string(d->stream) + "\n";
                message_done = true;
            }
            return;
        }
        flush();
        if (const auto* h = std::get_if<http::headers>(&ev)) {
            log += "headers " + std::to_string(h->stream) + " " + std::string(h->method) + " " +
                   std::string(h->target) + " " + std::string(http::to_string(h->ver)) +
                   " status=" + std::to_string(h->status) + " scheme=" + std::string(h->scheme) +
                   " authority=" + std::string(h->authority) + " cl=" + std::to_string(h->content_length) +
                   " ka=" + std::to_string(h->keep_alive) + " up=" + std::to_string(h->upgrade) +
                   " expect=" + std::to_string(h->expect_continue) + " end=" + std::to_string(h->end_stream) +
                   " " + fields_of(h->fields) + "\n";
            message_done = h->end_stream;
        } else if (const auto* t = std::get_if<http::trailers>(&ev)) {
            log += "trailers " + std::to_string(t->stream) + " " + fields_of(t->fields) + "\n";
            message_done = true;
        } else if (const auto* i = std::get_if<http::informational>(&ev)) {
            log += "informational " + std::to_string(i->status) + " " + fields_of(i->fields) + "\n";
        } else if (const auto* u = std::get_if<http::upgrade>(&ev)) {
            log += "upgrade " + std::to_string(u->stream) + " [" + text(u->trailing) + "]\n";
        } else {
            log += "other\n";
        }
    }
};

/// A server application: answers each complete request with "ok <stream>".
struct server_app {
    http1::connection c;
    recorder rec;
    std::string wire;
    std::deque<std::string> bodies; // kept alive until written
    http::stream_id current = 0;

    explicit server_app(http1::config cfg = {}) : c(role::server, cfg) {}

    void pump()
    {
        while (auto ev = c.poll_event()) {
            if (const auto* h = std::get_if<http::headers>(&*ev))
                current = h->stream;
            rec.on(*ev);
            if (rec.message_done) {
                bodies.push_back("ok " + std::to_string(current));
                const http1::field f[] = {{"Content-Type", "text/plain"}};
                error_code ec;
                c.submit_headers(current, http1::response_head{200, {}, f}, false, ec);
                EXPECT_FALSE(ec) << ec.message();
                c.submit_data(current, bytes(bodies.back()), true, ec);
                EXPECT_FALSE(ec) << ec.message();
            }
            wire += drain(c);
        }
        wire += drain(c);
    }
    void feed(std::string_view in)
    {
        while (!in.empty()) {
            const std::size_t n = c.handle_bytes(bytes(in));
            in.remove_prefix(n);
            pump();
            if (n == 0 && c.current_state() != state::idle && c.current_state() != state::busy &&
                c.current_state() != state::paused)
                break;
        }
        pump();
    }
};

// RFC 9112 §2.1 / RFC 9110 §6 example request.
const std::string hello = "GET /hello.txt HTTP/1.1\r\n"
                          "User-Agent: curl/7.64.1\r\n"
                          "Host: www.example.com\r\n"
                          "Accept-Language: en, mi\r\n"
                          "\r\n";

TEST(Http1Server, RfcHelloRequest)
{
    http1::connection c{role::server};
    EXPECT_EQ(c.current_state(), state::idle);
    EXPECT_EQ(c.handle_bytes(bytes(hello)), hello.size());
    auto ev = c.poll_event();
    ASSERT_TRUE(ev);
    const auto& h = std::get<http::headers>(*ev);
    EXPECT_EQ(h.stream, 1);
    EXPECT_EQ(h.method, "GET");
    EXPECT_EQ(h.target, "/hello.txt");
    EXPECT_EQ(h.ver, http::version::http1_1);
    EXPECT_EQ(h.authority, "www.example.com");
    EXPECT_EQ(h.scheme, "");
    EXPECT_TRUE(h.end_stream);
    EXPECT_TRUE(h.keep_alive);
    EXPECT_FALSE(h.upgrade);
    EXPECT_EQ(h.content_length, 0);
    EXPECT_EQ(fields_of(h.fields), "User-Agent=curl/7.64.1;Host=www.example.com;Accept-Language=en, mi;");
    EXPECT_FALSE(c.poll_event());
    EXPECT_EQ(c.current_state(), state::paused);

    // RFC 9110 §6 example response.
    const std::string body = "Hello World! My content includes a trailing CRLF.\r\n";
    const http1::field f[] = {{"Content-Length", "51"}, {"Content-Type", "text/plain"}};
    error_code ec;
    c.submit_headers(1, http1::response_head{200, {}, f}, false, ec);
    ASSERT_FALSE(ec);
    c.submit_data(1, bytes(body), true, ec);
    ASSERT_FALSE(ec);
    const auto list = c.poll_output();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[1].data(), body.data()) << "body bytes are referenced, not copied";
    std::string out;
    for (const auto& b : list)
        out.append(static_cast<const char*>(b.data()), b.size());
    EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 51\r\nContent-Type: text/plain\r\n\r\n" + body);
    EXPECT_EQ(c.current_state(), state::idle);
    EXPECT_TRUE(c.keep_alive());
}

// Three pipelined requests: one with a length body, one chunked with trailers.
const std::string pipeline = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                             "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world"
                             "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "4\r\nWiki\r\n5;ext=\"a b\"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n"
                             "Expires: never\r\n\r\n";

TEST(Http1Server, PipelinedRequestsAreAnsweredInOrder)
{
    server_app app;
    app.c.handle_bytes(bytes(pipeline));
    auto ev = app.c.poll_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(std::get<http::headers>(*ev).target, "/a");
    EXPECT_FALSE(app.c.poll_event()) << "paused until the response is complete";
    EXPECT_EQ(app.c.current_state(), state::paused);
    error_code ec;
    app.c.submit_headers(1, http1::response_head{204, {}, {}}, true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(drain(app.c), "HTTP/1.1 204 No Content\r\n\r\n");
    app.pump();
    EXPECT_EQ(app.rec.log,
              "headers 3 POST /b HTTP/1.1 status=0 scheme= authority=x cl=11 ka=1 up=0 expect=0 end=0 "
              "Host=x;Content-Length=11;\n"
              "body[hello world]\nend 3\n"
              "headers 5 POST /c HTTP/1.1 status=0 scheme= authority=x cl=-1 ka=1 up=0 expect=0 end=0 "
              "Host=x;Transfer-Encoding=chunked;\n"
              "body[Wikipedia in\r\n\r\nchunks.]\ntrailers 5 Expires=never;\n");
    EXPECT_EQ(app.wire, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "4\r\nok 3\r\n0\r\n\r\n"
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "4\r\nok 5\r\n0\r\n\r\n");
    EXPECT_EQ(app.c.current_state(), state::idle);
}

TEST(Http1Server, EverySplitPointGivesTheSameEvents)
{
    const std::string input = "\r\n" + hello + pipeline;
    server_app whole;
    whole.feed(input);
    ASSERT_EQ(whole.c.current_state(), state::idle);
    ASSERT_NE(whole.rec.log.find("trailers 7"), std::string::npos) << whole.rec.log;

    for (std::size_t k = 1; k < input.size(); ++k) {
        server_app split;
        split.feed(std::string_view{input}.substr(0, k));
        split.feed(std::string_view{input}.substr(k));
        ASSERT_EQ(split.rec.log, whole.rec.log) << "split at " << k;
        ASSERT_EQ(split.wire, whole.wire) << "split at " << k;
    }
    server_app bytewise;
    for (char ch : input)
        bytewise.feed(std::string_view{&ch, 1});
    EXPECT_EQ(bytewise.rec.log, whole.rec.log);
    EXPECT_EQ(bytewise.wire, whole.wire);
}

struct bad_case {
    const char* name;
    std::string input;
    error expected;
    unsigned status;
};

std::vector<bad_case> bad_cases()
{
    const std::string h = "Host: x\r\n";
    std::string many;
    for (int i = 0; i < 101; ++i)
        many += "F" + std::to_string(i) + ": v\r\n";
    return {
        {"cl_and_te", "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
         error::both_content_length_and_transfer_encoding, 400},
        {"te_and_cl", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
         error::both_content_length_and_transfer_encoding, 400},
        {"differing_cl", "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
         error::conflicting_content_length, 400},
        {"differing_cl_list", "POST / HTTP/1.1\r\n" + h + "Content-Length: 5, 6\r\n\r\n",
         error::conflicting_content_length, 400},
        {"negative_cl", "POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n", error::bad_content_length,
         400},
        {"plus_cl", "POST / HTTP/1.1\r\n" + h + "Content-Length: +5\r\n\r\n", error::bad_content_length, 400},
        {"garbage_cl", "POST / HTTP/1.1\r\n" + h + "Content-Length: 5x\r\n\r\n", error::bad_content_length,
         400},
        {"empty_cl", "POST / HTTP/1.1\r\n" + h + "Content-Length:\r\n\r\n", error::bad_content_length, 400},
        {"huge_cl", "POST / HTTP/1.1\r\n" + h + "Content-Length: 99999999999999999999\r\n\r\n",
         error::bad_content_length, 400},
        {"obs_fold", "GET / HTTP/1.1\r\n" + h + "X: a\r\n b\r\n\r\n", error::obs_fold, 400},
        {"space_before_first_field", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", error::obs_fold, 400},
        {"bare_cr", "GET / HTTP/1.1\r\n" + h + "X: a\rb\r\n\r\n", error::bare_cr, 400},
        {"bare_lf", "GET / HTTP/1.1\n" + h + "\r\n", error::bare_lf, 400},
        {"space_before_colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", error::whitespace_before_colon, 400},
        {"bad_method", "G(T / HTTP/1.1\r\n" + h + "\r\n", error::bad_method, 400},
        {"bad_field_name", "GET / HTTP/1.1\r\n" + h + "X\"Y: a\r\n\r\n", error::bad_field_name, 400},
        {"ctl_in_value", "GET / HTTP/1.1\r\n" + h + "X: a\x01\r\n\r\n", error::bad_field_value, 400},
        {"del_in_value", "GET / HTTP/1.1\r\n" + h + "X: a\x7f\r\n\r\n", error::bad_field_value, 400},
        {"te_not_chunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n",
         error::bad_transfer_encoding, 400},
        {"te_chunked_twice", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, chunked\r\n\r\n",
         error::bad_transfer_encoding, 400},
        {"te_chunked_twice_lines",
         "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
         error::bad_transfer_encoding, 400},
        {"te_chunked_not_last", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n",
         error::bad_transfer_encoding, 400},
        {"te_on_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
         error::bad_transfer_encoding, 400},
        {"te_unknown", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: foo, chunked\r\n\r\n",
         error::unknown_transfer_coding, 501},
        {"chunk_overflow",
         "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
         error::chunk_size_overflow, 400},
        {"chunk_garbage", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
         error::bad_chunk_size, 400},
        {"chunk_ext", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1;=x\r\n",
         error::bad_chunk_extension, 400},
        {"chunk_no_crlf", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n",
         error::bad_chunk_end, 400},
        {"target_too_long", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n" + h + "\r\n",
         error::target_too_long, 414},
        {"target_way_too_long", "GET /" + std::string(20000, 'a'), error::target_too_long, 414},
        {"header_too_large", "GET / HTTP/1.1\r\n" + h + "X: " + std::string(17000, 'a') + "\r\n\r\n",
         error::header_too_large, 431},
        {"too_many_fields", "GET / HTTP/1.1\r\n" + h + many + "\r\n", error::too_many_fields, 431},
        {"body_too_large", "POST / HTTP/1.1\r\n" + h + "Content-Length: 9999999999\r\n\r\n",
         error::body_too_large, 413},
        {"chunk_too_large", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1000000\r\n",
         error::body_too_large, 413},
        {"http2_version", "GET / HTTP/2.0\r\n" + h + "\r\n", error::unsupported_version, 505},
        {"bad_version", "GET / HTTP/x.1\r\n" + h + "\r\n", error::bad_version, 400},
        {"missing_host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", error::missing_host, 400},
        {"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", error::duplicate_host, 400},
        {"asterisk_get", "GET * HTTP/1.1\r\n" + h + "\r\n", error::bad_target, 400},
        {"connect_origin_form", "CONNECT /x HTTP/1.1\r\n" + h + "\r\n", error::bad_target, 400},
        {"no_form", "GET example.com HTTP/1.1\r\n" + h + "\r\n", error::bad_target, 400},
        {"http09", "GET /\r\n\r\n", error::bad_request_line, 400},
    };
}

TEST(Http1Server, MalformedRequestsAreAnsweredAndClosed)
{
    for (const bad_case& bc : bad_cases()) {
        // Whole, then byte by byte: the same error either way.
        for (int bytewise = 0; bytewise < 2; ++bytewise) {
            SCOPED_TRACE(std::string(bc.name) + (bytewise ? " bytewise" : " whole"));
            http1::connection c{role::server};
            std::string_view in = bc.input;
            while (!in.empty() && c.current_state() != state::failed) {
                const std::size_t n = c.handle_bytes(bytes(bytewise ? in.substr(0, 1) : in));
                in.remove_prefix(n);
                while (c.poll_event()) {
                }
                if (n == 0)
                    break;
            }
            EXPECT_EQ(c.current_state(), state::failed);
            EXPECT_EQ(c.error(), error_code(bc.expected)) << c.error().message();
            EXPECT_EQ(c.error_status(), bc.status);
            EXPECT_EQ(http1::status_for(bc.expected), bc.status);
            EXPECT_FALSE(c.keep_alive());
            const std::string reason = bc.status == 400   ? "Bad Request"
                                       : bc.status == 413 ? "Content Too Large"
                                       : bc.status == 414 ? "URI Too Long"
                                       : bc.status == 431 ? "Request Header Fields Too Large"
                                       : bc.status == 501 ? "Not Implemented"
                                                          : "HTTP Version Not Supported";
            EXPECT_EQ(drain(c), "HTTP/1.1 " + std::to_string(bc.status) + " " + reason +
                                    "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
            EXPECT_FALSE(c.poll_event());
            EXPECT_FALSE(c.poll_event());
            error_code ec;
            c.submit_headers(1, http1::response_head{200, {}, {}}, true, ec);
            EXPECT_EQ(ec, error_code(error::bad_submit));
        }
    }
}

TEST(Http1Server, ErrorMessagesNameThePeersFault)
{
    const error_code ec = error::obs_fold;
    EXPECT_STREQ(ec.category().name(), "strata.http1");
    EXPECT_NE(ec.message().find("peer"), std::string::npos);
    EXPECT_NE(error_code(error::bad_submit).message().find("misuse"), std::string::npos);
}

TEST(Http1Server, IdenticalContentLengthsAreOne)
{
    for (const std::string cl : {"Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n"}) {
        server_app app;
        app.feed("POST /p HTTP/1.1\r\nHost: x\r\n" + cl + "\r\nabcde");
        EXPECT_NE(app.rec.log.find("cl=5"), std::string::npos) << app.rec.log;
        EXPECT_NE(app.rec.log.find("body[abcde]\nend 1\n"), std::string::npos) << app.rec.log;
        EXPECT_EQ(app.c.current_state(), state::idle);
    }
}

TEST(Http1Server, ExpectContinue)
{
    http1::connection c{role::server};
    c.handle_bytes(bytes("PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
    auto ev = c.poll_event();
    ASSERT_TRUE(ev);
    EXPECT_TRUE(std::get<http::headers>(*ev).expect_continue);
    EXPECT_FALSE(c.poll_event());
    error_code ec;
    c.submit_informational(1, 100, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(drain(c), "HTTP/1.1 100 Continue\r\n\r\n");
    c.handle_bytes(bytes("abc"));
    ev = c.poll_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(text(std::get<http::data>(*ev).bytes), "abc");
    EXPECT_TRUE(std::get<http::data>(*ev).end_stream);
    c.submit_headers(1, http1::response_head{201, {}, {}}, true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(drain(c), "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(c.current_state(), state::idle);
}

TEST(Http1Server, FinalAnswerWithoutContinueCloses)
{
    // RFC 9110 §10.1.1: the client may never send the body it was not asked for.
    http1::connection c{role::server};
    c.handle_bytes(bytes("PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
    ASSERT_TRUE(c.poll_event());
    error_code ec;
    c.submit_headers(1, http1::response_head{417, {}, {}}, true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(drain(c), "HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(c.current_state(), state::closed);
}

TEST(Http1Server, HeadResponseHasNoBody)
{
    http1::connection c{role::server};
    c.handle_bytes(bytes("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(c.poll_event());
    const http1::field f[] = {{"Content-Length", "42"}};
    error_code ec;
    c.submit_headers(1, http1::response_head{200, {}, f}, false, ec);
    ASSERT_FALSE(ec);
    c.submit_data(1, bytes("x"), false, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit));
    c.submit_data(1, {}, true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(drain(c), "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
    EXPECT_EQ(c.current_state(), state::idle);
}

TEST(Http1Server, KeepAliveRules)
{
    struct row {
        std::string request;
        std::string connection_field; // what the response must carry
        state after;
    };
    const row rows[] = {
        {"GET / HTTP/1.0\r\n\r\n", "Connection: close\r\n", state::closed},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "Connection: keep-alive\r\n", state::idle},
        {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "Connection: close\r\n", state::closed},
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "", state::idle},
    };
    for (const row& r : rows) {
        http1::connection c{role::server};
        c.handle_bytes(bytes(r.request));
        ASSERT_TRUE(c.poll_event());
        error_code ec;
        c.submit_headers(1, http1::response_head{200, {}, {}}, true, ec);
        ASSERT_FALSE(ec);
        EXPECT_EQ(drain(c), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + r.connection_field + "\r\n")
            << r.request;
        EXPECT_EQ(c.current_state(), r.after) << r.request;
        EXPECT_EQ(c.keep_alive(), r.after == state::idle);
    }
    // An HTTP/1.0 body without a length is delimited by closing.
    http1::connection c{role::server};
    c.handle_bytes(bytes("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    ASSERT_TRUE(c.poll_event());
    error_code ec;
    c.submit_headers(1, http1::response_head{200, {}, {}}, false, ec);
    c.submit_data(1, bytes("abc"), true, ec);
    EXPECT_EQ(drain(c), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc");
    EXPECT_EQ(c.current_state(), state::closed);
}

TEST(Http1Server, RequestTargetForms)
{
    struct row {
        std::string line;
        std::string scheme;
        std::string authority;
        bool upgrade;
    };
    const row rows[] = {
        {"GET http://example.org:8080/p?q HTTP/1.1\r\nHost: ignored\r\n\r\n", "http", "example.org:8080",
         false},
        {"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n", "", "example.org:443", true},
        {"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", "", "h", false},
        {"GET /p HTTP/1.0\r\n\r\n", "", "", false},
    };
    for (const row& r : rows) {
        http1::connection c{role::server};
        c.handle_bytes(bytes(r.line));
        auto ev = c.poll_event();
        ASSERT_TRUE(ev) << r.line << c.error().message();
        const auto& h = std::get<http::headers>(*ev);
        EXPECT_EQ(h.scheme, r.scheme) << r.line;
        EXPECT_EQ(h.authority, r.authority) << r.line;
        EXPECT_EQ(h.upgrade, r.upgrade) << r.line;
    }
}

TEST(Http1Server, UpgradeHandsOverTrailingBytes)
{
    http1::connection c{role::server};
    c.handle_bytes(bytes("GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                         "\x81\x05hello"));
    auto ev = c.poll_event();
    ASSERT_TRUE(ev);
    EXPECT_TRUE(std::get<http::headers>(*ev).upgrade);
    EXPECT_FALSE(c.poll_event());
    const http1::field f[] = {{"Connection", "Upgrade"}, {"Upgrade", "websocket"}};
    error_code ec;
    c.submit_headers(1, http1::response_head{101, {}, f}, false, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(c.current_state(), state::upgraded);
    EXPECT_EQ(drain(c),
              "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    ev = c.poll_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(text(std::get<http::upgrade>(*ev).trailing), "\x81\x05hello");
    EXPECT_FALSE(c.poll_event());
    EXPECT_EQ(c.current_state(), state::upgraded);
}

TEST(Http1Server, MisuseIsRefusedWithoutChangingState)
{
    http1::connection c{role::server};
    error_code ec;
    c.submit_data(1, bytes("x"), true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit)) << "data before any request";
    c.submit_headers(1, http1::response_head{200, {}, {}}, true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit)) << "response before any request";

    c.handle_bytes(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(c.poll_event());
    c.submit_headers(3, http1::response_head{200, {}, {}}, true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit)) << "wrong stream";
    c.submit_data(1, bytes("x"), true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit)) << "data before headers";
    c.submit_headers(1, http1::response_head{101, {}, {}}, true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit)) << "101 without an upgrade request";
    const http1::field injected[] = {{"X", "a\r\nSet-Cookie: evil"}};
    c.submit_headers(1, http1::response_head{200, {}, injected}, true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit)) << "CRLF in a field value";
    const http1::field cl[] = {{"Content-Length", "3"}};
    c.submit_headers(1, http1::response_head{204, {}, cl}, false, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit)) << "Content-Length on 204";
    EXPECT_FALSE(c.has_output());
    EXPECT_EQ(c.current_state(), state::paused);

    c.submit_headers(1, http1::response_head{200, {}, cl}, false, ec);
    ASSERT_FALSE(ec);
    c.submit_data(1, bytes("abcd"), true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit)) << "more than Content-Length";
    c.submit_data(1, bytes("ab"), true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit)) << "less than Content-Length";
    c.submit_headers(1, http1::response_head{200, {}, {}}, true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit)) << "second head";
    c.submit_data(1, bytes("abc"), true, ec);
    EXPECT_FALSE(ec);
    EXPECT_EQ(c.current_state(), state::idle);
    EXPECT_FALSE(c.error());
}

TEST(Http1Server, ChunkedResponseFramingAndTrailers)
{
    http1::connection c{role::server};
    c.handle_bytes(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(c.poll_event());
    error_code ec;
    c.submit_headers(1, http1::response_head{200, "Fine", {}}, false, ec);
    const std::string a(26, 'a');
    c.submit_data(1, bytes(a), false, ec);
    c.submit_data(1, {}, false, ec); // nothing to send, no zero chunk
    c.submit_data(1, bytes("xyz"), false, ec);
    const http1::field t[] = {{"Server-Timing", "db;dur=53"}};
    c.submit_trailers(1, t, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(drain(c), "HTTP/1.1 200 Fine\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n" + a +
                            "\r\n3\r\nxyz\r\n0\r\nServer-Timing: db;dur=53\r\n\r\n");
    EXPECT_EQ(c.current_state(), state::idle);
}

TEST(Http1Server, ShrinkToFitFreesAnIdleConnection)
{
    http1::connection c{role::server};
    EXPECT_EQ(c.memory_usage(), 0u);
    c.handle_bytes(bytes(hello + "GET /next"));
    ASSERT_TRUE(c.poll_event());
    EXPECT_GT(c.memory_usage(), 0u);
    error_code ec;
    c.submit_headers(1, http1::response_head{200, {}, {}}, true, ec);
    drain(c);
    c.shrink_to_fit();
    EXPECT_GT(c.memory_usage(), 0u) << "unread bytes keep the buffer";
    EXPECT_FALSE(c.poll_event());
    c.handle_bytes(bytes(" HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto ev = c.poll_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(std::get<http::headers>(*ev).target, "/next");
    c.submit_headers(3, http1::response_head{200, {}, {}}, true, ec);
    drain(c);
    drain(c); // the previous list is written; nothing new
    c.shrink_to_fit();
    EXPECT_EQ(c.memory_usage(), 0u);
    EXPECT_EQ(c.current_state(), state::idle);
}

TEST(Http1Server, BufferIsBoundedWhilePaused)
{
    http1::config cfg;
    cfg.max_header_bytes = 1024;
    cfg.read_buffer_bytes = 1024;
    http1::connection c{role::server, cfg};
    std::string many;
    for (int i = 0; i < 200; ++i)
        many += "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::size_t taken = c.handle_bytes(bytes(many));
    EXPECT_EQ(taken, 2048u);
    EXPECT_LE(c.memory_usage(), 4096u);
    EXPECT_TRUE(c.prepare().empty() == false || c.poll_event());
}

TEST(Http1Server, BodyLimitCanBeRaisedPerRequest)
{
    http1::config cfg;
    cfg.max_body_bytes = 4;
    http1::connection c{role::server, cfg};
    c.handle_bytes(bytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabcdef"));
    ASSERT_TRUE(c.poll_event());
    c.set_body_limit(6);
    auto ev = c.poll_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(text(std::get<http::data>(*ev).bytes), "abcdef");
}

TEST(Http1Server, EofBetweenRequestsCloses)
{
    http1::connection c{role::server};
    c.commit_eof();
    EXPECT_EQ(c.current_state(), state::closed);
    http1::connection d{role::server};
    d.handle_bytes(bytes("GET / HT"));
    EXPECT_FALSE(d.poll_event());
    d.commit_eof();
    EXPECT_EQ(d.current_state(), state::failed);
    EXPECT_EQ(d.error(), error_code(error::partial_message));
}

// ---- client role -------------------------------------------------------------

struct client_app {
    http1::connection c{role::client};
    recorder rec;
    void pump()
    {
        while (auto ev = c.poll_event())
            rec.on(*ev);
    }
    void feed(std::string_view in)
    {
        while (!in.empty()) {
            const std::size_t n = c.handle_bytes(bytes(in));
            in.remove_prefix(n);
            pump();
            if (n == 0)
                break;
        }
    }
    void request(std::string_view method, std::string_view target = "/")
    {
        const http1::field f[] = {{"Host", "example.com"}};
        error_code ec;
        c.submit_headers(c.next_stream_id(), http1::request_head{method, target, f, http::version::http1_1},
                         true, ec);
        ASSERT_FALSE(ec) << ec.message();
        drain(c);
    }
};

TEST(Http1Client, RequestSerialization)
{
    http1::connection c{role::client};
    const http1::field f[] = {{"Host", "www.example.com"}, {"User-Agent", "strata"}};
    error_code ec;
    c.submit_headers(1, http1::request_head{"GET", "/hello.txt", f, http::version::http1_1}, true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(drain(c), "GET /hello.txt HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: strata\r\n\r\n");
    EXPECT_EQ(c.next_stream_id(), 3);
    c.submit_headers(3, http1::request_head{"POST", "/upload", f, http::version::http1_1}, false, ec);
    ASSERT_FALSE(ec);
    c.submit_data(3, bytes("hello"), true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(drain(c), "POST /upload HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: strata\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    c.submit_headers(5, http1::request_head{"POST", "/empty", f, http::version::http1_1}, true, ec);
    EXPECT_EQ(drain(c), "POST /empty HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: strata\r\n"
                        "Content-Length: 0\r\n\r\n");
    // Misuse: no Host on HTTP/1.1, wrong stream id.
    c.submit_headers(7, http1::request_head{"GET", "/", {}, http::version::http1_1}, true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit));
    c.submit_headers(9, http1::request_head{"GET", "/", f, http::version::http1_1}, true, ec);
    EXPECT_EQ(ec, error_code(error::bad_submit));
}

const std::string responses = "HTTP/1.1 100 Continue\r\n\r\n"
                              "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                              "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
                              "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"
                              "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" // answer to HEAD
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5\r\nWorld\r\n0\r\nDigest: abc\r\n\r\n"
                              "HTTP/1.0 200 OK\r\n\r\nuntil close";

void request_all(client_app& app)
{
    app.request("GET");
    app.request("GET");
    app.request("GET");
    app.request("HEAD");
    app.request("GET");
    app.request("GET");
}

TEST(Http1Client, ResponsesOfEveryKind)
{
    client_app app;
    request_all(app);
    app.feed(responses);
    EXPECT_EQ(app.c.current_state(), state::busy);
    app.c.commit_eof();
    app.pump();
    EXPECT_EQ(
        app.rec.log,
        "informational 100 \n"
        "headers 1   HTTP/1.1 status=200 scheme= authority= cl=5 ka=1 up=0 expect=0 end=0 Content-Length=5;\n"
        "body[hello]\nend 1\n"
        "headers 3   HTTP/1.1 status=204 scheme= authority= cl=0 ka=1 up=0 expect=0 end=1 Content-Length=7;\n"
        "headers 5   HTTP/1.1 status=304 scheme= authority= cl=0 ka=1 up=0 expect=0 end=1 ETag=\"x\";\n"
        "headers 7   HTTP/1.1 status=200 scheme= authority= cl=0 ka=1 up=0 expect=0 end=1 "
        "Content-Length=100;\n"
        "headers 9   HTTP/1.1 status=200 scheme= authority= cl=-1 ka=1 up=0 expect=0 end=0 "
        "Transfer-Encoding=chunked;\n"
        "body[World]\ntrailers 9 Digest=abc;\n"
        "headers 11   HTTP/1.0 status=200 scheme= authority= cl=-1 ka=0 up=0 expect=0 end=0 \n"
        "body[until close]\nend 11\n");
    EXPECT_EQ(app.c.current_state(), state::closed);
}

TEST(Http1Client, EverySplitPointGivesTheSameEvents)
{
    client_app whole;
    request_all(whole);
    whole.feed(responses);
    whole.c.commit_eof();
    whole.pump();
    for (std::size_t k = 1; k < responses.size(); ++k) {
        client_app split;
        request_all(split);
        split.feed(std::string_view{responses}.substr(0, k));
        split.feed(std::string_view{responses}.substr(k));
        split.c.commit_eof();
        split.pump();
        ASSERT_EQ(split.rec.log, whole.rec.log) << "split at " << k;
    }
}

TEST(Http1Client, SwitchingProtocolsKeepsTrailingBytes)
{
    client_app app;
    const http1::field f[] = {{"Host", "x"}, {"Connection", "Upgrade"}, {"Upgrade", "websocket"}};
    error_code ec;
    app.c.submit_headers(1, http1::request_head{"GET", "/chat", f, http::version::http1_1}, true, ec);
    ASSERT_FALSE(ec);
    app.feed(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi");
    EXPECT_EQ(app.rec.log, "headers 1   HTTP/1.1 status=101 scheme= authority= cl=0 ka=0 up=0 expect=0 end=1 "
                           "Upgrade=websocket;Connection=Upgrade;\nupgrade 1 [\x81\x02hi]\n");
    EXPECT_EQ(app.c.current_state(), state::upgraded);
}

TEST(Http1Client, ConnectTunnel)
{
    client_app app;
    app.request("CONNECT", "example.com:443");
    app.feed("HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x01");
    EXPECT_NE(app.rec.log.find("upgrade 1 [\x16\x03\x01]"), std::string::npos) << app.rec.log;
    EXPECT_EQ(app.c.current_state(), state::upgraded);
}

TEST(Http1Client, PeerViolations)
{
    {
        client_app app;
        app.feed("HTTP/1.1 200 OK\r\n\r\n");
        EXPECT_EQ(app.c.error(), error_code(error::unsolicited_response));
    }
    {
        client_app app;
        app.request("GET");
        app.feed("HTTP/1.1 101 Switching Protocols\r\n\r\n");
        EXPECT_EQ(app.c.error(), error_code(error::bad_status)) << "101 nobody asked for";
    }
    {
        client_app app;
        app.request("GET");
        app.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        app.c.commit_eof();
        app.pump();
        EXPECT_EQ(app.c.current_state(), state::failed);
        EXPECT_EQ(app.c.error(), error_code(error::partial_message));
        EXPECT_EQ(app.c.error_status(), 0u);
        EXPECT_FALSE(app.c.has_output()) << "a client answers nothing";
    }
    {
        client_app app;
        app.request("GET");
        app.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
        EXPECT_EQ(app.c.error(), error_code(error::both_content_length_and_transfer_encoding));
    }
    {
        // RFC 9112 §6.3: a response whose TE does not end in chunked is read until close.
        client_app app;
        app.request("GET");
        app.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz");
        app.c.commit_eof();
        app.pump();
        EXPECT_NE(app.rec.log.find("body[xyz]\nend 1"), std::string::npos) << app.rec.log;
        EXPECT_EQ(app.c.current_state(), state::closed);
    }
}

} // namespace
