// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The gateway's envelope codec: what it routes on, that `data` comes back
// byte for byte, and every malformed input it must refuse. JSON texts from
// RFC 8259 §13 serve as data.

#include <strata/gateway/envelope.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace strata;
using namespace strata::gateway;

namespace {

// RFC 8259 §13's examples: an object and an array of objects.
constexpr std::string_view rfc8259_image = R"({
        "Image": {
            "Width":  800,
            "Height": 600,
            "Title":  "View from 15th Floor",
            "Thumbnail": {
                "Url":    "http://www.example.com/image/481989943",
                "Height": 125,
                "Width":  100
            },
            "Animated" : false,
            "IDs": [116, 943, 234, 38793]
          }
      })";

constexpr std::string_view rfc8259_array = R"([
        {
           "precision": "zip",
           "Latitude":  37.7668,
           "Longitude": -122.3959,
           "Address":   "",
           "City":      "SAN FRANCISCO",
           "State":     "CA",
           "Zip":       "94107",
           "Country":   "US"
        },
        {
           "precision": "zip",
           "Latitude":  37.371991,
           "Longitude": -122.026020,
           "Address":   "",
           "City":      "SUNNYVALE",
           "State":     "CA",
           "Zip":       "94085",
           "Country":   "US"
        }
      ])";

envelope parse_ok(envelope_parser& p, std::string& text)
{
    error_code ec;
    auto env = p.parse(text, ec);
    EXPECT_FALSE(ec) << text << ": " << ec.message();
    return env;
}

error_code parse_error(std::string text)
{
    envelope_parser p;
    error_code ec;
    p.parse(text, ec);
    return ec;
}

} // namespace

TEST(GatewayEnvelope, RoutesOnTypeAndHandsBackDataAsTheSendersBytes)
{
    envelope_parser p;
    for (auto data :
         {rfc8259_image, rfc8259_array, std::string_view("\"Hello world!\""), std::string_view("42"),
          std::string_view("3.1416"), std::string_view("true"), std::string_view("null"),
          std::string_view("{\"lat\": 37.7, \"lng\": -122.4}"), std::string_view("[]")}) {
        std::string text = "{\"type\": \"location_update\", \"data\": " + std::string(data) + "}";
        auto env = parse_ok(p, text);
        EXPECT_EQ(env.type, "location_update");
        EXPECT_EQ(env.data, data) << "data must be forwarded as sent, whitespace and all";
        EXPECT_TRUE(env.id.empty());
    }
}

TEST(GatewayEnvelope, KeepsTheIdTokenAsSentAndUnescapesTheType)
{
    envelope_parser p;
    std::string text = R"({"id": "req-\u0031", "type": "mess\u0061ge", "data": {"text": "I'm outside"}})";
    auto env = parse_ok(p, text);
    EXPECT_EQ(env.type, "message");
    EXPECT_EQ(env.id, R"("req-\u0031")") << "the id goes back exactly as the client wrote it";
    EXPECT_EQ(env.data, R"({"text": "I'm outside"})");

    std::string numeric = R"({"type":"t","id":17})";
    EXPECT_EQ(parse_ok(p, numeric).id, "17");
    std::string absent = R"({"type":"t"})";
    EXPECT_EQ(parse_ok(p, absent).data, "null");
}

TEST(GatewayEnvelope, IgnoresUnknownKeysButTheyMustBeJson)
{
    envelope_parser p;
    std::string text = R"({"type":"t","v":2,"meta":{"a":[1,2]},"data":1})";
    auto env = parse_ok(p, text);
    EXPECT_EQ(env.type, "t");
    EXPECT_EQ(env.data, "1");
    EXPECT_EQ(parse_error(R"({"type":"t","meta":tru})"), error::bad_envelope);
}

TEST(GatewayEnvelope, RefusesEveryMalformedEnvelopeWithBadEnvelope)
{
    const char* cases[] = {
        "",                                       // empty
        "hello",                                  // not JSON
        "[\"type\",\"data\"]",                    // not an object
        "\"type\"",                               // a string
        "{}",                                     // no type
        R"({"data":1})",                          // no type
        R"({"type":""})",                         // empty type
        R"({"type":7})",                          // type not a string
        R"({"type":null})",                       // type null
        R"({"type":["a"]})",                      // type an array
        R"({"type":"a","type":"b"})",             // type twice: which one routes?
        R"({"type":"a","data":1,"data":2})",      // data twice
        R"({"type":"a","id":1,"id":2})",          // id twice
        R"({"type":"a","id":{"x":1}})",           // id an object
        R"({"type":"a","id":true})",              // id a boolean
        R"({"type":"a","id":null})",              // id null
        R"({"type":"a","data":{"x":tru}})",       // bad literal inside data
        R"({"type":"a","data":{"x":01}})",        // leading zero
        R"({"type":"a","data":{"x":1.}})",        // no fraction digits
        R"({"type":"a","data":{"x":"\q"}})",      // bad escape
        R"({"type":"a","data":{"x":1,}})",        // trailing comma
        R"({"type":"a","data":[1,2})",            // unbalanced
        R"({"type":"a","data":{"x" 1}})",         // missing colon
        R"({"type":"a","data":{x:1}})",           // unquoted key
        R"({"type":"a","data":'x'})",             // single quotes
        R"({"type":"a","data":NaN})",             // not JSON
        R"({"type":"a"} {"type":"b"})",           // two values
        R"({"type":"a"} x)",                      // trailing garbage
        R"({"type":"a")",                         // truncated
        "{\"type\":\"a\",\"data\":\"\x01\"}",     // control character in a string
        "{\"type\":\"a\",\"data\":\"\xff\xfe\"}", // not UTF-8
        "{\"type\":\"\xc0\xaf\"}",                // overlong UTF-8
        R"({"type":"a","x":"y":7})",              // a colon after a value (found by gateway_fuzz)
        R"({"type":"a","x":[1 2]})",              // a missing comma in a skipped value
    };
    for (const char* c : cases)
        EXPECT_EQ(parse_error(c), error::bad_envelope) << "accepted: " << c;
}

TEST(GatewayEnvelope, RefusesDeepNestingAndOversizedTexts)
{
    std::string deep = R"({"type":"a","data":)" + std::string(200, '[') + std::string(200, ']') + "}";
    EXPECT_EQ(parse_error(deep), error::bad_envelope);
    std::string shallow = R"({"type":"a","data":)" + std::string(20, '[') + std::string(20, ']') + "}";
    EXPECT_FALSE(parse_error(shallow));

    envelope_parser small{parser_config{100, 64}};
    std::string big = R"({"type":"a","data":")" + std::string(100, 'x') + "\"}";
    error_code ec;
    small.parse(big, ec);
    EXPECT_EQ(ec, error::too_big);
}

TEST(GatewayEnvelope, ParsesTextsOfEveryLengthWhateverTheirCapacity)
{
    // simdjson reads past the end of its input: the parser must make room
    // itself rather than trust the caller's capacity.
    envelope_parser p;
    for (std::size_t n = 0; n < 300; n += 7) {
        std::string text = R"({"type":"t","data":")" + std::string(n, 'y') + "\"}";
        text.shrink_to_fit();
        auto env = parse_ok(p, text);
        EXPECT_EQ(env.data.size(), n + 2);
    }
}

TEST(GatewayEnvelope, ParsesServiceLinkMessages)
{
    envelope_parser p;
    error_code ec;
    std::string hello = R"({"op":"hello","service":"location","types":["location_update","track"]})";
    auto h = p.parse_link(hello, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(h.op, "hello");
    EXPECT_EQ(h.service, "location");
    ASSERT_EQ(h.types.size(), 2u);
    EXPECT_EQ(h.types[1], "track");

    std::string reply = R"({"op":"reply","session":12,"type":"route","data":{"points":[[1,2]]},"id":"r1"})";
    auto r = p.parse_link(reply, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(r.session, 12u);
    EXPECT_EQ(r.data, R"({"points":[[1,2]]})");
    EXPECT_EQ(r.id, R"("r1")");

    for (std::string bad :
         {std::string(R"({"session":1})"), std::string(R"({"op":"reply","session":-1})"),
          std::string(R"({"op":"reply","session":"1"})"), std::string(R"({"op":"hello","types":[1]})"),
          std::string(R"({"op":"hello","types":[""]})"), std::string(R"({"op":"push","data":{"a":nul}})"),
          std::string(R"({"op":"publish","extra":[2ull]})"), std::string("[1]")}) {
        p.parse_link(bad, ec);
        EXPECT_EQ(ec, error::bad_service_message) << "accepted: " << bad;
    }
}

TEST(GatewayEnvelope, BuildsEnvelopesWithEscapedNamesAndRawData)
{
    std::string out;
    append_envelope(out, "chat \"x\"", R"({"a":1})", "7", "room/1", 42);
    EXPECT_EQ(out, R"({"type":"chat \"x\"","data":{"a":1},"id":7,"topic":"room/1","seq":42})");
    out.clear();
    append_envelope(out, "t", {});
    EXPECT_EQ(out, R"({"type":"t","data":null})");
    EXPECT_EQ(
        error_envelope("unknown_type", "no service handles this type", "x", "\"q\""),
        R"({"type":"error","data":{"code":"unknown_type","reason":"no service handles this type","for":"x"},"id":"q"})");

    // What the gateway builds parses back to the same thing.
    envelope_parser p;
    std::string again;
    append_envelope(again, "l\u00e9on\n", "[1,{\"b\":null}]", "\"i\"");
    error_code ec;
    auto env = p.parse(again, ec);
    ASSERT_FALSE(ec) << again;
    EXPECT_EQ(env.type, "l\u00e9on\n");
    EXPECT_EQ(env.data, "[1,{\"b\":null}]");
}
