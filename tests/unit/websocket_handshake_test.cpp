// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// The opening handshake's pieces (RFC 6455 §4): key, accept value, token
// lists, subprotocol choice.
#include <strata/websocket/error.hpp>
#include <strata/websocket/handshake.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace {

using namespace strata;
using namespace strata::websocket;

TEST(WebsocketHandshake, AcceptKeyOfTheRfcExample)
{
    // RFC 6455 §1.3
    EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebsocketHandshake, MadeKeysAreValidAndDistinct)
{
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const auto k = make_key();
        EXPECT_EQ(k.size(), 24u);
        EXPECT_TRUE(is_valid_key(k)) << k;
        seen.insert(k);
    }
    EXPECT_EQ(seen.size(), 100u);
}

TEST(WebsocketHandshake, KeyValidation)
{
    EXPECT_TRUE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
    EXPECT_TRUE(is_valid_key("AAAAAAAAAAAAAAAAAAAAAA=="));
    EXPECT_TRUE(is_valid_key("+/+/+/+/+/+/+/+/+/+/+w=="));
    EXPECT_FALSE(is_valid_key(""));
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ="));   // 23 characters
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ===")); // 25
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQAA"));  // 18 bytes' worth, no padding
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25j=Q=="));  // padding in the middle
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZ-=="));  // not base64
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ== "));
    EXPECT_FALSE(is_valid_key("c2hvcnQ=")); // "short"
}

TEST(WebsocketHandshake, HeaderTokens)
{
    EXPECT_TRUE(header_has_token("Upgrade", "upgrade"));
    EXPECT_TRUE(header_has_token("keep-alive, Upgrade", "upgrade"));
    EXPECT_TRUE(header_has_token("keep-alive,upgrade", "Upgrade"));
    EXPECT_TRUE(header_has_token(" \tWebSocket\t ", "websocket"));
    EXPECT_TRUE(header_has_token(",,websocket,,", "websocket"));
    EXPECT_FALSE(header_has_token("", "websocket"));
    EXPECT_FALSE(header_has_token("websockets", "websocket"));
    EXPECT_FALSE(header_has_token("web socket", "websocket"));
    EXPECT_FALSE(header_has_token("keep-alive", "upgrade"));
    EXPECT_FALSE(header_has_token("upgrade-insecure", "upgrade"));
}

TEST(WebsocketHandshake, SubprotocolIsTheServersFirstChoiceAmongThoseOffered)
{
    const std::vector<std::string> supported{"v2.chat", "v1.chat", "json"};
    EXPECT_EQ(select_subprotocol("v1.chat, v2.chat", supported), std::optional<std::string>("v2.chat"));
    EXPECT_EQ(select_subprotocol("json,v1.chat", supported), std::optional<std::string>("v1.chat"));
    EXPECT_EQ(select_subprotocol(" json ", supported), std::optional<std::string>("json"));
    EXPECT_EQ(select_subprotocol("xml, soap", supported), std::nullopt);
    EXPECT_EQ(select_subprotocol("", supported), std::nullopt);
    EXPECT_EQ(select_subprotocol("JSON", supported), std::nullopt); // names are case-sensitive
    EXPECT_EQ(select_subprotocol("json", {}), std::nullopt);
}

TEST(WebsocketHandshake, ErrorsHaveTheirCategoryAndCloseCodes)
{
    const error_code ec = error::invalid_utf8;
    EXPECT_STREQ(ec.category().name(), "strata.websocket");
    EXPECT_EQ(ec.message(), "websocket text message or close reason is not valid UTF-8");
    EXPECT_EQ(close_code_for(error::bad_opcode), close_code::protocol_error);
    EXPECT_EQ(close_code_for(error::invalid_utf8), close_code::invalid_payload);
    EXPECT_EQ(close_code_for(error::inflate_failed), close_code::invalid_payload);
    EXPECT_EQ(close_code_for(error::message_too_big), close_code::message_too_big);
    EXPECT_EQ(close_code_for(error::frame_too_big), close_code::message_too_big);
    EXPECT_EQ(close_code_for(error::inflated_too_big), close_code::message_too_big);
    EXPECT_EQ(close_code_for(error::closed), close_code::normal);
    EXPECT_EQ(close_code_for(make_error_code(boost::system::errc::not_enough_memory)),
              close_code::internal_error);
    for (int e = 1; e <= static_cast<int>(error::bad_write); ++e)
        EXPECT_EQ(make_error_code(static_cast<error>(e)).message().find("unknown"), std::string::npos) << e;
}

TEST(WebsocketHandshake, CloseCodesValidOnTheWire)
{
    for (int c = 0; c < 65536; ++c) {
        const bool expected =
            (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
        EXPECT_EQ(is_valid_close_code(static_cast<std::uint16_t>(c)), expected) << c;
    }
}

} // namespace
