// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// WebSocket framing against RFC 6455 §5: the §5.7 examples byte for byte, in
// both directions, and the masking transform against a byte-by-byte reference.
#include "websocket_test_support.hpp"

#include <strata/websocket/connection.hpp>
#include <strata/websocket/frame.hpp>

#include <gtest/gtest.h>

#include <numeric>

namespace {

using namespace strata;
using namespace strata::websocket;
using namespace strata::websocket::test;

const byte_vector hello = bytes("Hello");

// ---- §5.7: what a sender writes ------------------------------------------------

TEST(WebsocketFrame, SingleFrameUnmaskedTextIsWrittenByAServer)
{
    connection server{role::server, {}};
    error_code ec;
    server.write_message(message_type::text, hello, true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(take_output(server), bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
}

TEST(WebsocketFrame, SingleFrameMaskedTextIsWrittenByAClient)
{
    connection client{role::client, fixed_mask()};
    error_code ec;
    client.write_message(message_type::text, hello, true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(take_output(client), bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(WebsocketFrame, FragmentedUnmaskedTextIsWrittenAsTwoFrames)
{
    connection server{role::server, {}};
    error_code ec;
    server.write_message(message_type::text, bytes("Hel"), false, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(take_output(server), bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
    // The type of a continuing piece is ignored.
    server.write_message(message_type::binary, bytes("lo"), true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(take_output(server), bytes({0x80, 0x02, 0x6c, 0x6f}));
}

TEST(WebsocketFrame, WriteFragmentBytesSplitsAMessage)
{
    config cfg;
    cfg.write_fragment_bytes = 3;
    connection server{role::server, cfg};
    error_code ec;
    server.write_message(message_type::text, hello, true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(take_output(server), bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f}));
}

TEST(WebsocketFrame, UnmaskedPingAndMaskedPong)
{
    connection server{role::server, {}};
    error_code ec;
    server.write_ping(hello, ec);
    ASSERT_FALSE(ec);
    const auto ping = take_output(server);
    EXPECT_EQ(ping, bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));

    connection client{role::client, fixed_mask()};
    client.write_pong(hello, ec);
    ASSERT_FALSE(ec);
    const auto pong = bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    EXPECT_EQ(take_output(client), pong);

    // The client answers the server's ping with exactly that pong, by itself.
    reader r;
    auto in = ping;
    r.push(client, in);
    EXPECT_EQ(r.pings, std::vector<std::string>{"Hello"});
    EXPECT_EQ(take_output(client), pong);
}

TEST(WebsocketFrame, TwoHundredFiftySixBytesUseTheSixteenBitLength)
{
    byte_vector payload(256);
    std::iota(reinterpret_cast<unsigned char*>(payload.data()),
              reinterpret_cast<unsigned char*>(payload.data() + payload.size()), 0);
    connection server{role::server, {}};
    error_code ec;
    server.write_message(message_type::binary, payload, true, ec);
    ASSERT_FALSE(ec);
    const auto wire = take_output(server);
    EXPECT_EQ(byte_vector(wire.begin(), wire.begin() + 4), bytes({0x82, 0x7e, 0x01, 0x00}));
    EXPECT_EQ(byte_vector(wire.begin() + 4, wire.end()), payload);
}

TEST(WebsocketFrame, SixtyFourKibUseTheSixtyFourBitLengthAndAreNotCopied)
{
    byte_vector payload(65536, std::byte{0x5a});
    connection server{role::server, {}};
    error_code ec;
    server.write_message(message_type::binary, payload, true, ec);
    ASSERT_FALSE(ec);
    const auto out = server.output();
    ASSERT_EQ(out.size(), 2u);
    const auto* h = static_cast<const std::byte*>(out[0].data());
    EXPECT_EQ(byte_vector(h, h + out[0].size()),
              bytes({0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}));
    // A server's large payload is referenced where it lies.
    EXPECT_EQ(out[1].data(), payload.data());
    EXPECT_EQ(out[1].size(), payload.size());
    EXPECT_EQ(server.output_bytes(), 10u + 65536u);
    server.output_written();
    EXPECT_EQ(server.output_bytes(), 0u);
}

TEST(WebsocketFrame, SmallMessagesShareOneBuffer)
{
    connection server{role::server, {}};
    error_code ec;
    for (int i = 0; i < 100; ++i)
        server.write_message(message_type::text, hello, true, ec);
    EXPECT_EQ(server.output().size(), 1u);
    EXPECT_EQ(server.output_bytes(), 700u);
}

TEST(WebsocketFrame, WritesDuringAWriteQueueBehindIt)
{
    connection server{role::server, {}};
    error_code ec;
    server.write_message(message_type::text, bytes("one"), true, ec);
    const auto first = server.output();
    ASSERT_EQ(first.size(), 1u);
    const void* data = first[0].data();
    // Queued while "one" is being written: it must not move or drop "one".
    for (int i = 0; i < 1000; ++i)
        server.write_message(message_type::text, bytes("two"), true, ec);
    EXPECT_EQ(server.output()[0].data(), data);
    EXPECT_EQ(server.output_bytes(), 5u + 5000u);
    server.output_written();
    EXPECT_EQ(server.output_bytes(), 5000u);
    const auto rest = take_output(server);
    EXPECT_EQ(rest.size(), 5000u);
    EXPECT_EQ(byte_vector(rest.begin(), rest.begin() + 5), bytes({0x81, 0x03, 't', 'w', 'o'}));
}

// ---- §5.7: what a receiver reads -----------------------------------------------

TEST(WebsocketFrame, ClientReadsSingleUnmaskedText)
{
    connection client{role::client, {}};
    auto in = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    auto r = client.read(in);
    ASSERT_FALSE(r.ec);
    EXPECT_EQ(r.consumed, in.size());
    ASSERT_TRUE(r.ev);
    const auto& d = std::get<connection::message_data>(*r.ev);
    EXPECT_EQ(str(d.bytes), "Hello");
    EXPECT_EQ(d.type, message_type::text);
    EXPECT_TRUE(d.first);
    EXPECT_TRUE(d.last);
}

TEST(WebsocketFrame, ServerUnmasksInPlace)
{
    connection server{role::server, {}};
    auto in = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    auto r = server.read(in);
    ASSERT_FALSE(r.ec);
    ASSERT_TRUE(r.ev);
    const auto& d = std::get<connection::message_data>(*r.ev);
    EXPECT_EQ(str(d.bytes), "Hello");
    EXPECT_EQ(d.bytes.data(), in.data() + 6); // no copy
}

TEST(WebsocketFrame, ClientReadsFragmentedText)
{
    connection client{role::client, {}};
    reader r;
    r.push(client, bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
    EXPECT_EQ(r.pieces, std::vector<std::string>{"Hel"});
    EXPECT_TRUE(r.messages.empty());
    r.push(client, bytes({0x80, 0x02, 0x6c, 0x6f}));
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0], (message{message_type::text, "Hello"}));
    EXPECT_EQ(r.pieces, (std::vector<std::string>{"Hel", "lo"}));
}

TEST(WebsocketFrame, ServerReadsMaskedPong)
{
    connection server{role::server, {}};
    reader r;
    r.push(server, bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    EXPECT_EQ(r.pongs, std::vector<std::string>{"Hello"});
    EXPECT_EQ(server.output_bytes(), 0u); // a pong is not answered
}

TEST(WebsocketFrame, ClientReadsLengthsOf256And65536)
{
    for (std::size_t n : {std::size_t{256}, std::size_t{65536}}) {
        byte_vector wire = n == 256 ? bytes({0x82, 0x7e, 0x01, 0x00})
                                    : bytes({0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00});
        wire.resize(wire.size() + n, std::byte{0x42});
        connection client{role::client, {}};
        reader r;
        r.push(client, wire);
        ASSERT_EQ(r.messages.size(), 1u) << n;
        EXPECT_EQ(r.messages[0].type, message_type::binary);
        EXPECT_EQ(r.messages[0].data, std::string(n, '\x42'));
    }
}

TEST(WebsocketFrame, HeaderParsesWhatWriteFrameHeaderWrites)
{
    const mask_key key{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
    for (std::uint64_t size : {0ull, 1ull, 125ull, 126ull, 65535ull, 65536ull, (1ull << 40) + 7}) {
        for (bool masked : {false, true}) {
            std::array<std::byte, 14> buf{};
            const auto n = write_frame_header(buf, opcode::binary, true, true, size, masked ? &key : nullptr);
            frame_header h;
            ASSERT_EQ(parse_frame_header(std::span<const std::byte>(buf.data(), n), h), header_status::ok);
            EXPECT_EQ(h.header_size, n);
            EXPECT_EQ(h.payload_size, size);
            EXPECT_EQ(h.masked, masked);
            EXPECT_TRUE(h.fin);
            EXPECT_TRUE(h.rsv1);
            EXPECT_EQ(h.op, opcode::binary);
            if (masked) {
                EXPECT_EQ(h.key, key);
            }
            for (std::size_t k = 0; k < n; ++k)
                EXPECT_EQ(parse_frame_header(std::span<const std::byte>(buf.data(), k), h),
                          header_status::need_more);
        }
    }
}

// ---- masking ---------------------------------------------------------------------

TEST(WebsocketFrame, ApplyMaskMatchesAByteByByteReference)
{
    const mask_key key{std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}};
    byte_vector storage(128);
    for (std::size_t misalign = 0; misalign < 16; ++misalign) {
        for (std::size_t offset = 0; offset < 4; ++offset) {
            for (std::size_t len = 0; len <= 70; ++len) {
                for (std::size_t i = 0; i < storage.size(); ++i)
                    storage[i] = static_cast<std::byte>(i * 7 + len);
                byte_vector expected = storage;
                for (std::size_t i = 0; i < len; ++i)
                    expected[misalign + i] ^= key[(offset + i) % 4];
                apply_mask(std::span<std::byte>(storage.data() + misalign, len), key, offset);
                ASSERT_EQ(storage, expected)
                    << "misalign " << misalign << " offset " << offset << " len " << len;
            }
        }
    }
}

TEST(WebsocketFrame, ApplyMaskInPiecesEqualsApplyMaskWhole)
{
    const mask_key key{std::byte{0xde}, std::byte{0xad}, std::byte{0xbe}, std::byte{0xef}};
    byte_vector whole(1000);
    for (std::size_t i = 0; i < whole.size(); ++i)
        whole[i] = static_cast<std::byte>(i);
    byte_vector pieces = whole;
    apply_mask(whole, key, 0);
    std::size_t pos = 0;
    for (std::size_t step = 1; pos < pieces.size(); step = step * 3 % 37 + 1) {
        const std::size_t n = std::min(step, pieces.size() - pos);
        apply_mask(std::span<std::byte>(pieces.data() + pos, n), key, pos);
        pos += n;
    }
    EXPECT_EQ(pieces, whole);
}

} // namespace
