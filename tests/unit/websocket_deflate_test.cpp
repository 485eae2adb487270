// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// permessage-deflate (RFC 7692): the §7.2.3 examples, round trips with and
// without context takeover and at every window size, the negotiation in
// both roles, and a decompression bomb.
#include "websocket_test_support.hpp"

#include <strata/websocket/connection.hpp>
#include <strata/websocket/deflate.hpp>

#include <gtest/gtest.h>

#include <random>

namespace {

using namespace strata;
using namespace strata::websocket;
using namespace strata::websocket::test;

/// Reads `wire` (unmasked server frames) with a client codec that
/// negotiated permessage-deflate with `p`.
reader read_as_client(const byte_vector& wire, deflate_params p = {})
{
    connection client{role::client, {}, p};
    reader r;
    r.push(client, wire);
    EXPECT_FALSE(r.ec) << r.ec.message();
    return r;
}

// ---- RFC 7692 §7.2.3 ----------------------------------------------------------------

TEST(WebsocketDeflate, Rfc7692OneCompressedBlock)
{
    // §7.2.3.1
    const auto r = read_as_client(bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
    EXPECT_EQ(r.messages, (std::vector<message>{{message_type::text, "Hello"}}));
}

TEST(WebsocketDeflate, Rfc7692OneCompressedBlockFragmented)
{
    // §7.2.3.1, the same payload in two frames: RSV1 only on the first.
    const auto r = read_as_client(bytes({0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00}));
    EXPECT_EQ(r.messages, (std::vector<message>{{message_type::text, "Hello"}}));
}

TEST(WebsocketDeflate, Rfc7692SharedSlidingWindow)
{
    // §7.2.3.2: the second "Hello" refers back into the first.
    const auto r = read_as_client(bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, //
                                         0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00}));
    EXPECT_EQ(r.messages,
              (std::vector<message>{{message_type::text, "Hello"}, {message_type::text, "Hello"}}));
}

TEST(WebsocketDeflate, Rfc7692BlockWithNoCompression)
{
    // §7.2.3.3
    const auto r =
        read_as_client(bytes({0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}));
    EXPECT_EQ(r.messages, (std::vector<message>{{message_type::text, "Hello"}}));
}

TEST(WebsocketDeflate, Rfc7692BlockWithBfinalSet)
{
    // §7.2.3.4: a final block, then the remains of the flush.
    const auto r = read_as_client(bytes({0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}));
    EXPECT_EQ(r.messages, (std::vector<message>{{message_type::text, "Hello"}}));
}

TEST(WebsocketDeflate, Rfc7692TwoDeflateBlocksInOneMessage)
{
    // §7.2.3.5: "He" and "llo" in two blocks, a sync flush between them.
    const auto r = read_as_client(
        bytes({0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}));
    EXPECT_EQ(r.messages, (std::vector<message>{{message_type::text, "Hello"}}));
}

TEST(WebsocketDeflate, ServerWritesTheRfcExamples)
{
    // zlib makes exactly §7.2.3.1 and, with the window shared, §7.2.3.2.
    deflate_config dcfg;
    dcfg.min_compress_bytes = 0;
    connection server{role::server, {}, deflate_params{}, dcfg};
    error_code ec;
    server.write_message(message_type::text, bytes("Hello"), true, ec);
    server.write_message(message_type::text, bytes("Hello"), true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(take_output(server), bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, //
                                          0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00}));
}

TEST(WebsocketDeflate, AnEmptyCompressedMessageIsOneZeroByte)
{
    // The empty stored block that ends every message, less its last 4 bytes.
    deflate_config dcfg;
    dcfg.min_compress_bytes = 0;
    connection server{role::server, {}, deflate_params{}, dcfg};
    error_code ec;
    server.write_message(message_type::text, {}, true, ec);
    server.write_message(message_type::text, bytes("Hello"), true, ec);
    server.write_message(message_type::binary, {}, true, ec);
    ASSERT_FALSE(ec);
    const auto wire = take_output(server);
    EXPECT_EQ(byte_vector(wire.begin(), wire.begin() + 3), bytes({0xc1, 0x01, 0x00}));
    EXPECT_EQ(byte_vector(wire.end() - 3, wire.end()), bytes({0xc2, 0x01, 0x00}));
    const auto r = read_as_client(wire);
    EXPECT_EQ(r.messages,
              (std::vector<message>{
                  {message_type::text, ""}, {message_type::text, "Hello"}, {message_type::binary, ""}}));
}

TEST(WebsocketDeflate, WhatInflatesBeyondOneReadIsDeliveredWithoutMoreInput)
{
    // 4 MiB of zeros arrive in a few KB: a driver that calls read() only
    // while it holds unconsumed bytes must still get all of it.
    const std::string zeros(4 << 20, '\0');
    connection server{role::server, {}, deflate_params{}};
    error_code ec;
    server.write_message(message_type::binary, as_span(zeros), true, ec);
    server.write_message(message_type::text, as_span(std::string(100, 'z')), true, ec);
    auto buf = take_output(server);
    connection client{role::client, {}, deflate_params{}};
    std::size_t begin = 0, got = 0, messages = 0;
    while (begin < buf.size()) {
        auto r = client.read(std::span<std::byte>(buf.data() + begin, buf.size() - begin));
        ASSERT_FALSE(r.ec);
        begin += r.consumed;
        if (r.ev) {
            const auto& d = std::get<connection::message_data>(*r.ev);
            got += d.bytes.size();
            messages += d.last;
        } else {
            ASSERT_GT(r.consumed, 0u) << "the codec asked for more with everything at hand";
        }
    }
    EXPECT_EQ(messages, 2u);
    EXPECT_EQ(got, zeros.size() + 100);
}

TEST(WebsocketDeflate, APeerPastItsWindowIsReadTheSameHoweverCut)
{
    // The server was held to 2^9 but refers 1000 bytes back. zlib accepts
    // such a match only when its source came out in the same inflate() call,
    // so with a 2^9 window the outcome hung on the read sizes (the fuzzer
    // found a message refused byte by byte and accepted whole).
    std::mt19937 rng(7);
    std::string text(1000, ' ');
    for (auto& ch : text)
        ch = static_cast<char>('a' + rng() % 26);
    const std::string twice = text + text;
    connection server{role::server, {}, deflate_params{}};
    error_code ec;
    server.write_message(message_type::text, as_span(twice), true, ec);
    ASSERT_FALSE(ec);
    const auto wire = take_output(server);
    ASSERT_LT(wire.size(), 1500u) << "the repeat is a back-reference";

    const deflate_params held{false, false, 9, 15};
    const auto whole = read_as_client(wire, held);
    connection client{role::client, {}, held};
    reader bytewise;
    for (const auto b : wire)
        bytewise.push(client, std::span<const std::byte>(&b, 1));
    EXPECT_FALSE(bytewise.ec) << bytewise.ec.message();
    EXPECT_EQ(whole.messages, (std::vector<message>{{message_type::text, twice}}));
    EXPECT_EQ(bytewise.messages, whole.messages);
}

TEST(WebsocketDeflate, SmallMessagesGoUncompressed)
{
    connection server{role::server, {}, deflate_params{}};
    error_code ec;
    server.write_message(message_type::text, bytes("Hello"), true, ec);
    EXPECT_EQ(take_output(server), bytes({0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}));
    const auto r = read_as_client(bytes({0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}));
    EXPECT_EQ(r.messages, (std::vector<message>{{message_type::text, "Hello"}}));
}

// ---- round trips through deflate_codec ------------------------------------------

std::string sample_text(std::size_t n, std::uint32_t seed)
{
    static const char* const words[] = {"socket ", "frame ", "deflate ", "window ", "context ", "message "};
    std::mt19937 rng(seed);
    std::string s;
    while (s.size() < n)
        s += words[rng() % 6];
    s.resize(n);
    return s;
}

std::string inflate_all(deflate_codec& d, const byte_vector& compressed, std::size_t chunk, std::size_t limit,
                        error_code& ec)
{
    std::string out;
    byte_vector buf(chunk);
    std::span<const std::byte> in = compressed;
    for (int guard = 0; guard < 1'000'000; ++guard) {
        const auto r = d.inflate(in, true, buf, limit, ec);
        out.append(reinterpret_cast<const char*>(buf.data()), r.produced);
        in = in.subspan(r.consumed);
        if (ec || r.done)
            return out;
    }
    ADD_FAILURE() << "inflate made no progress";
    return out;
}

TEST(WebsocketDeflate, RoundTripsAtEveryWindowSizeWithAndWithoutContextTakeover)
{
    for (int bits = 9; bits <= 15; ++bits) {
        for (bool takeover : {true, false}) {
            SCOPED_TRACE(testing::Message() << "bits " << bits << " takeover " << takeover);
            const deflate_params p{!takeover, !takeover, bits, bits};
            deflate_codec client{role::client, p, {}};
            deflate_codec server{role::server, p, {}};
            for (std::uint32_t i = 0; i < 8; ++i) {
                const auto text =
                    sample_text(100 + i * 3000, 42); // each message repeats the last one's start
                byte_vector z;
                error_code ec;
                client.compress(as_span(text), true, z, ec);
                ASSERT_FALSE(ec);
                EXPECT_EQ(inflate_all(server, z, 1 + i * 997, 1 << 20, ec), text);
                ASSERT_FALSE(ec);
                // And back, in small output pieces.
                z.clear();
                server.compress(as_span(text), true, z, ec);
                EXPECT_EQ(inflate_all(client, z, 7, 1 << 20, ec), text);
                ASSERT_FALSE(ec);
            }
            if (!takeover) {
                EXPECT_EQ(client.memory_usage(), 0u); // freed after each message
            }
        }
    }
}

TEST(WebsocketDeflate, ContextTakeoverCompressesRepeatsToAlmostNothing)
{
    const auto text = sample_text(2000, 1);
    for (bool takeover : {true, false}) {
        deflate_codec c{role::client, deflate_params{false, !takeover, 15, 15}, {}};
        byte_vector first, second;
        error_code ec;
        c.compress(as_span(text), true, first, ec);
        c.compress(as_span(text), true, second, ec);
        if (takeover) {
            EXPECT_LT(second.size() * 5, first.size());
        } else {
            EXPECT_EQ(second, first);
        }
    }
}

TEST(WebsocketDeflate, AMessageCompressedInPiecesInflatesWhole)
{
    deflate_codec client{role::client, {}, {}};
    deflate_codec server{role::server, {}, {}};
    const auto text = sample_text(50000, 3);
    byte_vector z;
    error_code ec;
    std::size_t pos = 0;
    for (std::size_t n : {0, 1, 100, 0, 20000, 3}) {
        client.compress(as_span(std::string_view(text).substr(pos, n)), false, z, ec);
        pos += n;
    }
    client.compress(as_span(std::string_view(text).substr(pos)), true, z, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(inflate_all(server, z, 4096, 1 << 20, ec), text);
    EXPECT_FALSE(ec);
    // An empty last piece after a flushed one still ends the message cleanly.
    z.clear();
    client.compress(as_span(std::string_view("abc")), false, z, ec);
    client.compress({}, true, z, ec);
    EXPECT_EQ(inflate_all(server, z, 4096, 1 << 20, ec), "abc");
    EXPECT_FALSE(ec);
}

TEST(WebsocketDeflate, DecompressionBombStopsAtTheLimit)
{
    // 10 MiB of zeros deflate to about 10 KB.
    const std::string zeros(10 << 20, '\0');
    deflate_codec client{role::client, {}, {}};
    byte_vector z;
    error_code ec;
    client.compress(as_span(zeros), true, z, ec);
    ASSERT_FALSE(ec);
    EXPECT_LT(z.size(), 20'000u);

    constexpr std::size_t limit = 1 << 20;
    constexpr std::size_t chunk = 16 * 1024; // output never goes more than a chunk past the limit
    deflate_codec server{role::server, {}, {}};
    const auto out = inflate_all(server, z, chunk, limit, ec);
    EXPECT_EQ(ec, make_error_code(error::inflated_too_big));
    // What came out before the error: exactly up to the limit.
    EXPECT_EQ(out.size(), limit);
    EXPECT_LT(server.memory_usage(), 64u * 1024);

    // Through the codec: the connection fails with 1009 and holds no more
    // than its inflate buffer and zlib's window meanwhile.
    config cfg;
    cfg.max_message_bytes = limit;
    connection conn{role::server, cfg, deflate_params{}};
    std::array<std::byte, 14> hdr;
    const mask_key key{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
    const auto n = write_frame_header(hdr, opcode::binary, true, true, z.size(), &key);
    byte_vector wire(hdr.begin(), hdr.begin() + n);
    wire.insert(wire.end(), z.begin(), z.end());
    apply_mask(std::span<std::byte>(wire.data() + n, z.size()), key, 0);
    reader r;
    std::size_t peak = 0;
    for (std::size_t i = 0; i < wire.size() && !r.ec; i += 512) {
        r.push(conn,
               std::span<const std::byte>(wire.data() + i, std::min<std::size_t>(512, wire.size() - i)));
        peak = std::max(peak, conn.memory_usage());
    }
    EXPECT_EQ(r.ec, make_error_code(error::inflated_too_big));
    EXPECT_EQ(close_code_on_wire(take_output(conn)), std::optional<std::uint16_t>{1009});
    EXPECT_LT(peak, 128u * 1024);
}

TEST(WebsocketDeflate, TextIsCheckedAfterInflating)
{
    deflate_codec server{role::server, {}, {}};
    byte_vector z;
    error_code ec;
    server.compress(as_span(std::string("valid start ") + "\xff" + std::string(100, 'x')), true, z, ec);
    byte_vector wire = bytes({0xc1, static_cast<int>(z.size())});
    ASSERT_LT(z.size(), 126u);
    wire.insert(wire.end(), z.begin(), z.end());
    connection client{role::client, {}, deflate_params{}};
    reader r;
    r.push(client, wire);
    EXPECT_EQ(r.ec, make_error_code(error::invalid_utf8));
    EXPECT_EQ(close_code_on_wire(take_output(client)), std::optional<std::uint16_t>{1007});
}

// ---- negotiation ------------------------------------------------------------------

TEST(WebsocketDeflate, ClientOffers)
{
    deflate_config c;
    c.enable = true;
    EXPECT_EQ(deflate_offer(c), "permessage-deflate; client_max_window_bits");
    c.client_no_context_takeover = true;
    c.server_max_window_bits = 10;
    c.client_max_window_bits = 12;
    EXPECT_EQ(deflate_offer(c), "permessage-deflate; client_no_context_takeover; server_max_window_bits=10; "
                                "client_max_window_bits=12");
    c = {};
    c.server_no_context_takeover = true;
    EXPECT_EQ(deflate_offer(c), "permessage-deflate; server_no_context_takeover; client_max_window_bits");
}

struct negotiation_case {
    const char* offer;
    std::optional<std::string> response; ///< nullopt: declined
    deflate_params expected = {};
    deflate_config cfg = {true, 15, 15, false, false, 6, 8, 32};
};

TEST(WebsocketDeflate, ServerNegotiates)
{
    const deflate_config defaults{true, 15, 15, false, false, 6, 8, 32};
    auto with = [&](auto f) {
        deflate_config c = defaults;
        f(c);
        return c;
    };
    const negotiation_case cases[] = {
        {"permessage-deflate", "permessage-deflate"},
        {"permessage-deflate; client_max_window_bits", "permessage-deflate"},
        {"Permessage-Deflate", "permessage-deflate"},
        {"permessage-deflate; server_no_context_takeover",
         "permessage-deflate; server_no_context_takeover",
         {true, false, 15, 15}},
        {"permessage-deflate; client_no_context_takeover",
         "permessage-deflate; client_no_context_takeover",
         {false, true, 15, 15}},
        {"permessage-deflate; server_max_window_bits=10",
         "permessage-deflate; server_max_window_bits=10",
         {false, false, 10, 15}},
        {"permessage-deflate; server_max_window_bits=\"10\"",
         "permessage-deflate; server_max_window_bits=10",
         {false, false, 10, 15}},
        {"permessage-deflate; client_max_window_bits=9",
         "permessage-deflate; client_max_window_bits=9",
         {false, false, 15, 9}},
        {"permessage-deflate;client_max_window_bits=8",
         "permessage-deflate; client_max_window_bits=8",
         {false, false, 15, 8}},
        // The server's own limits and wishes.
        {"permessage-deflate; client_max_window_bits",
         "permessage-deflate; client_no_context_takeover; "
         "server_max_window_bits=11; client_max_window_bits=10",
         {false, true, 11, 10},
         with([](deflate_config& c) {
             c.server_max_window_bits = 11;
             c.client_max_window_bits = 10;
             c.client_no_context_takeover = true;
         })},
        // Without client_max_window_bits in the offer the client cannot be limited.
        {"permessage-deflate",
         "permessage-deflate; server_no_context_takeover",
         {true, false, 15, 15},
         with([](deflate_config& c) {
             c.client_max_window_bits = 10;
             c.server_no_context_takeover = true;
         })},
        // zlib cannot compress with an 8-bit window: that offer is declined, the next one taken.
        {"permessage-deflate; server_max_window_bits=8", std::nullopt},
        {"permessage-deflate; server_max_window_bits=8, permessage-deflate", "permessage-deflate"},
        // Unacceptable offers: unknown, duplicate or invalid parameters.
        {"permessage-deflate; foo", std::nullopt},
        {"permessage-deflate; server_no_context_takeover; server_no_context_takeover", std::nullopt},
        {"permessage-deflate; server_no_context_takeover=1", std::nullopt},
        {"permessage-deflate; server_max_window_bits", std::nullopt},
        {"permessage-deflate; server_max_window_bits=16", std::nullopt},
        {"permessage-deflate; server_max_window_bits=7", std::nullopt},
        {"permessage-deflate; server_max_window_bits=010", std::nullopt},
        {"permessage-deflate; client_max_window_bits=abc", std::nullopt},
        // The first acceptable offer wins; other extensions are skipped.
        {"x-webkit-deflate-frame, permessage-deflate; foo=1, permessage-deflate; client_no_context_takeover",
         "permessage-deflate; client_no_context_takeover",
         {false, true, 15, 15}},
        {"  permessage-deflate ; server_max_window_bits = 12 ,",
         "permessage-deflate; server_max_window_bits=12",
         {false, false, 12, 15}},
        {"mux; max-channels=\"4\"; flow-control, permessage-deflate", "permessage-deflate"},
        // A quoted value must unescape to a token (RFC 6455 §9.1).
        {"mux; max-channels=\"a,b\", permessage-deflate", std::nullopt},
        // Malformed lists are declined whole.
        {"permessage-deflate; server_max_window_bits=\"10", std::nullopt},
        {"permessage-deflate;; x", std::nullopt},
        {"", std::nullopt},
        {"permessage-deflate", std::nullopt, {}, with([](deflate_config& c) { c.enable = false; })},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.offer);
        std::string response = "stale";
        const auto p = deflate_negotiate(c.offer, c.cfg, response);
        ASSERT_EQ(p.has_value(), c.response.has_value());
        if (!p) {
            EXPECT_TRUE(response.empty());
            continue;
        }
        EXPECT_EQ(response, *c.response);
        EXPECT_EQ(p->server_no_context_takeover, c.expected.server_no_context_takeover);
        EXPECT_EQ(p->client_no_context_takeover, c.expected.client_no_context_takeover);
        EXPECT_EQ(p->server_max_window_bits, c.expected.server_max_window_bits);
        EXPECT_EQ(p->client_max_window_bits, c.expected.client_max_window_bits);
        // What the server answers, the client accepts as the same parameters.
        deflate_config offered;
        offered.enable = true;
        offered.client_max_window_bits = c.cfg.client_max_window_bits;
        error_code ec;
        const auto back = deflate_accept_response(*c.response, offered, ec);
        ASSERT_FALSE(ec) << ec.message();
        ASSERT_TRUE(back);
        EXPECT_EQ(back->server_no_context_takeover, p->server_no_context_takeover);
        EXPECT_EQ(back->client_no_context_takeover, p->client_no_context_takeover);
        EXPECT_EQ(back->server_max_window_bits, p->server_max_window_bits);
    }
}

TEST(WebsocketDeflate, ClientChecksTheResponse)
{
    deflate_config offered;
    offered.enable = true;
    offered.server_max_window_bits = 12;
    offered.client_max_window_bits = 13;
    struct response_case {
        const char* response;
        bool ok;
        deflate_params expected = {};
    };
    const response_case cases[] = {
        {"permessage-deflate", true, {false, false, 15, 13}},
        {"permessage-deflate; server_max_window_bits=12", true, {false, false, 12, 13}},
        {"permessage-deflate; server_max_window_bits=9; client_max_window_bits=10",
         true,
         {false, false, 9, 10}},
        {"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
         true,
         {true, true, 15, 13}},
        {"PERMESSAGE-DEFLATE; Server_Max_Window_Bits=\"11\"", true, {false, false, 11, 13}},
        // Errors (RFC 7692 §7.1.2).
        {"permessage-deflate; server_max_window_bits=13", false}, // larger than we allowed
        {"permessage-deflate; client_max_window_bits=14", false}, // larger than we said we use
        {"permessage-deflate; client_max_window_bits", false},    // a response must give the value
        {"permessage-deflate; server_max_window_bits", false},
        {"permessage-deflate; server_max_window_bits=16", false},
        {"permessage-deflate; foo", false},
        {"permessage-deflate; client_no_context_takeover; client_no_context_takeover", false},
        {"permessage-deflate; server_no_context_takeover=yes", false},
        {"permessage-deflate, permessage-deflate", false}, // only one was offered
        {"x-webkit-deflate-frame", false},                 // never offered
        {"permessage-deflate; server_max_window_bits=\"1", false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.response);
        error_code ec;
        const auto p = deflate_accept_response(c.response, offered, ec);
        if (!c.ok) {
            EXPECT_EQ(ec, make_error_code(error::bad_extension));
            EXPECT_FALSE(p);
            continue;
        }
        ASSERT_FALSE(ec) << ec.message();
        ASSERT_TRUE(p);
        EXPECT_EQ(p->server_no_context_takeover, c.expected.server_no_context_takeover);
        EXPECT_EQ(p->client_no_context_takeover, c.expected.client_no_context_takeover);
        EXPECT_EQ(p->server_max_window_bits, c.expected.server_max_window_bits);
        EXPECT_EQ(p->client_max_window_bits, c.expected.client_max_window_bits);
    }
    // An empty answer: the server declined, which is no error.
    error_code ec;
    EXPECT_FALSE(deflate_accept_response("", offered, ec));
    EXPECT_FALSE(ec);
    // Anything at all when nothing was offered is an error.
    EXPECT_FALSE(deflate_accept_response("permessage-deflate", deflate_config{}, ec));
    EXPECT_EQ(ec, make_error_code(error::bad_extension));
}

TEST(WebsocketDeflate, AClientHeldToAnEightBitWindowSendsUncompressed)
{
    deflate_config offered;
    offered.enable = true;
    error_code ec;
    const auto p = deflate_accept_response("permessage-deflate; client_max_window_bits=8", offered, ec);
    ASSERT_TRUE(p);
    ASSERT_FALSE(ec);
    deflate_codec d{role::client, *p, offered};
    EXPECT_FALSE(d.can_compress());
    connection client{role::client, {}, p, offered};
    client.write_message(message_type::text, as_span(std::string(1000, 'a')), true, ec);
    const auto frames = parse_wire(take_output(client));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_FALSE(frames[0].h.rsv1);
    EXPECT_EQ(frames[0].payload.size(), 1000u);
}

} // namespace
