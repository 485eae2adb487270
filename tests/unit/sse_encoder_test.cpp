// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// Framing events as text/event-stream, checked byte for byte and through the parser.
#include <strata/sse/encoder.hpp>
#include <strata/sse/parser.hpp>

#include <boost/system/system_error.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace strata;
using namespace std::string_literals;
using std::chrono::milliseconds;

sse::outgoing_event out_ev(std::string data, std::optional<std::string> id = std::nullopt,
                           std::string type = {}, std::optional<milliseconds> retry = std::nullopt)
{
    return {std::move(id), std::move(type), std::move(data), retry};
}

std::vector<sse::event> parse_all(std::string_view s, sse::parser* state = nullptr)
{
    sse::parser local;
    sse::parser& p = state ? *state : local;
    EXPECT_EQ(p.handle_bytes(s), s.size());
    EXPECT_FALSE(p.failed());
    std::vector<sse::event> events;
    while (auto e = p.poll_event())
        events.push_back(std::move(*e));
    return events;
}

TEST(SseEncoder, DataOnly)
{
    EXPECT_EQ(sse::encode(out_ev("hello")), "data: hello\n\n");
}

TEST(SseEncoder, AllFieldsInOrder)
{
    EXPECT_EQ(sse::encode(out_ev("x", "42", "update", milliseconds(3000))),
              "id: 42\nevent: update\ndata: x\nretry: 3000\n\n");
}

TEST(SseEncoder, DefaultTypeIsLeftOut)
{
    EXPECT_EQ(sse::encode(out_ev("x", std::nullopt, "message")), "data: x\n\n");
    EXPECT_EQ(sse::encode(out_ev("x", std::nullopt, "")), "data: x\n\n");
}

TEST(SseEncoder, EachLineOfDataIsOneDataField)
{
    EXPECT_EQ(sse::encode(out_ev("a\nb\rc\r\nd")), "data: a\ndata: b\ndata: c\ndata: d\n\n");
    // LF then CR is two line breaks, not one.
    EXPECT_EQ(sse::encode(out_ev("a\n\rb")), "data: a\ndata:\ndata: b\n\n");
    EXPECT_EQ(sse::encode(out_ev("a\n")), "data: a\ndata:\n\n");
}

TEST(SseEncoder, EmptyValues)
{
    // Empty data is still a data field, so the event is dispatched.
    EXPECT_EQ(sse::encode(out_ev("")), "data:\n\n");
    // An empty id is sent: it resets the client's last event ID.
    EXPECT_EQ(sse::encode(out_ev("x", "")), "id:\ndata: x\n\n");
}

TEST(SseEncoder, AppendsToWhatIsThere)
{
    std::string out = ": hi\n\n";
    error_code ec = sse::error::invalid_field;
    sse::encode(out_ev("x"), out, ec);
    EXPECT_FALSE(ec);
    EXPECT_EQ(out, ": hi\n\ndata: x\n\n");
}

TEST(SseEncoder, RoundTripsThroughTheParser)
{
    const std::vector<sse::outgoing_event> in = {
        out_ev("plain"),
        out_ev(""),
        out_ev("\n"),
        out_ev("two\nlines", "1"),
        out_ev("cr\rand\r\ncrlf", std::nullopt, "kind"),
        out_ev(" leading and trailing spaces ", " id with spaces ", " spaced type "),
        out_ev("colons: a:b::", "id:with:colons", "type:colon"),
        out_ev(":looks like a comment"),
        out_ev("data: inside data\n\nevent: not a field"),
        out_ev("caf\xc3\xa9 \xf0\x9f\x98\x80", "\xe2\x82\xac", "\xc3\xa9v"),
        out_ev("nul \0 inside"s, "", "message", milliseconds(0)),
        out_ev("\n\n\n"),
        out_ev("trailing cr\r"),
    };
    std::string stream;
    for (const auto& e : in)
        stream += sse::encode(e);

    sse::parser p;
    const auto events = parse_all(stream, &p);
    ASSERT_EQ(events.size(), in.size());
    std::string last_id;
    for (std::size_t i = 0; i < in.size(); ++i) {
        std::string data = in[i].data;
        // The parser reads CR and CRLF as LF.
        for (std::size_t k = 0; (k = data.find('\r', k)) != std::string::npos;) {
            if (k + 1 < data.size() && data[k + 1] == '\n')
                data.erase(k, 1);
            else
                data[k++] = '\n';
        }
        if (in[i].id)
            last_id = *in[i].id;
        EXPECT_EQ(events[i].data, data) << i;
        EXPECT_EQ(events[i].type, in[i].type.empty() ? "message" : in[i].type) << i;
        EXPECT_EQ(events[i].last_event_id, last_id) << i;
    }
    EXPECT_EQ(p.reconnection_time(), milliseconds(0));
}

TEST(SseEncoder, FieldsThatCannotBeFramedAreRefused)
{
    const std::vector<sse::outgoing_event> bad = {
        out_ev("x", "a\nb"),
        out_ev("x", "a\rb"),
        out_ev("x", "a\0b"s),
        out_ev("x", "\n"),
        out_ev("x", std::nullopt, "a\nb"),
        out_ev("x", std::nullopt, "a\rb"),
        out_ev("x", std::nullopt, "a\0b"s),
        out_ev("x", "ok", "\r\n"),
    };
    for (const auto& e : bad) {
        std::string out = "before";
        error_code ec;
        sse::encode(e, out, ec);
        EXPECT_EQ(ec, sse::error::invalid_field);
        EXPECT_EQ(out, "before") << "nothing is appended";
        EXPECT_THROW(sse::encode(e), boost::system::system_error);
    }
    try {
        sse::encode(out_ev("x", "\n"));
        ADD_FAILURE();
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), sse::error::invalid_field);
    }
}

TEST(SseEncoder, Comments)
{
    std::string out;
    sse::encode_comment("keep-alive", out);
    EXPECT_EQ(out, ": keep-alive\n\n");
    out.clear();
    sse::encode_comment("a\nb\r\nc", out);
    EXPECT_EQ(out, ": a\n: b\n: c\n\n");
    out.clear();
    sse::encode_comment("", out);
    EXPECT_EQ(out, ":\n\n");

    // Between two events, a comment changes nothing.
    std::string stream = sse::encode(out_ev("1", std::nullopt, "t"));
    sse::encode_comment("data: not data\nid: not an id", stream);
    stream += sse::encode(out_ev("2"));
    sse::parser p;
    const auto events = parse_all(stream, &p);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].data, "1");
    EXPECT_EQ(events[0].type, "t");
    EXPECT_EQ(events[1].data, "2");
    EXPECT_EQ(events[1].type, "message");
    EXPECT_EQ(p.last_event_id(), "");
}

TEST(SseEncoder, Retry)
{
    std::string out;
    sse::encode_retry(std::chrono::seconds(5), out);
    EXPECT_EQ(out, "retry: 5000\n\n");
    sse::parser p;
    EXPECT_TRUE(parse_all(out, &p).empty());
    EXPECT_EQ(p.reconnection_time(), milliseconds(5000));

    // The field takes digits only: a negative delay goes out as 0.
    out.clear();
    sse::encode_retry(milliseconds(-1), out);
    EXPECT_EQ(out, "retry: 0\n\n");
    EXPECT_EQ(sse::encode(out_ev("x", std::nullopt, {}, milliseconds(-7))), "data: x\nretry: 0\n\n");
}

TEST(SseError, CategoryAndMessages)
{
    const error_code ec = sse::error::line_too_long;
    EXPECT_STREQ(ec.category().name(), "strata.sse");
    for (auto e : {sse::error::line_too_long, sse::error::event_too_large, sse::error::bad_status,
                   sse::error::bad_content_type, sse::error::invalid_field}) {
        const error_code c = e;
        EXPECT_EQ(c.category(), ec.category());
        EXPECT_FALSE(c.message().empty());
        EXPECT_EQ(c.message().find("unknown"), std::string::npos) << c.message();
    }
    EXPECT_NE(error_code(sse::error::bad_status).message(),
              error_code(sse::error::bad_content_type).message());
    EXPECT_NE(error_code(99, ec.category()).message().find("unknown"), std::string::npos);
}

} // namespace
