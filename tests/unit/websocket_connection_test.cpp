// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// The WebSocket codec as a state machine (RFC 6455 §5-7): a table of
// malformed frames with the error and the close code each is answered with,
// control frames between fragments, pieces of any size, the close handshake,
// and a client and a server codec exchanging random traffic.
#include "websocket_test_support.hpp"

#include <strata/websocket/connection.hpp>
#include <strata/websocket/utf8.hpp>

#include <gtest/gtest.h>

#include <random>

namespace {

using namespace strata;
using namespace strata::websocket;
using namespace strata::websocket::test;

const mask_key test_key{std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}};

/// A frame with the given first byte (FIN, RSV, opcode) and payload, masked
/// with test_key when `masked`, the length in its minimal form.
byte_vector frame(int b0, std::span<const std::byte> payload, bool masked = true)
{
    std::array<std::byte, 14> hdr{};
    const auto n = write_frame_header(hdr, static_cast<opcode>(b0 & 0x0f), (b0 & 0x80) != 0, (b0 & 0x40) != 0,
                                      payload.size(), masked ? &test_key : nullptr);
    hdr[0] = static_cast<std::byte>(b0); // RSV2/RSV3 too
    byte_vector out(hdr.begin(), hdr.begin() + n);
    const std::size_t start = out.size();
    out.insert(out.end(), payload.begin(), payload.end());
    if (masked)
        apply_mask(std::span<std::byte>(out.data() + start, payload.size()), test_key, 0);
    return out;
}

byte_vector frame(int b0, std::string_view payload, bool masked = true)
{
    return frame(b0, as_span(payload), masked);
}

byte_vector close_frame(int code, std::string_view reason = {}, bool masked = true)
{
    std::string p;
    p.push_back(static_cast<char>(code >> 8));
    p.push_back(static_cast<char>(code & 0xff));
    p += reason;
    return frame(0x88, p, masked);
}

struct malformed_case {
    const char* name;
    role receiver;
    byte_vector wire;
    error expected;
    std::uint16_t close;
    config cfg = {};
    bool deflate = false;
};

config limits(std::size_t frame_bytes, std::size_t message_bytes)
{
    config c;
    c.max_frame_bytes = frame_bytes;
    c.max_message_bytes = message_bytes;
    return c;
}

std::vector<malformed_case> malformed_cases()
{
    std::vector<malformed_case> v;
    auto add = [&](const char* name, byte_vector wire, error e, std::uint16_t code, role r = role::server,
                   config cfg = {}, bool deflate = false) {
        v.push_back({name, r, std::move(wire), e, code, std::move(cfg), deflate});
    };
    add("rsv1 without deflate", frame(0xc1, "Hello"), error::reserved_bits, 1002);
    add("rsv2", frame(0xa1, "Hello"), error::reserved_bits, 1002);
    add("rsv3", frame(0x91, "Hello"), error::reserved_bits, 1002);
    add("rsv1 on a continuation", concat({frame(0x41, "He"), frame(0xc0, "llo")}), error::reserved_bits, 1002,
        role::server, {}, true);
    add("rsv1 on a ping", frame(0xc9, ""), error::reserved_bits, 1002, role::server, {}, true);
    for (int op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15})
        add("reserved opcode", frame(0x80 | op, "x"), error::bad_opcode, 1002);
    add("ping without fin", frame(0x09, "x"), error::fragmented_control, 1002);
    add("pong without fin", frame(0x0a, "x"), error::fragmented_control, 1002);
    add("close without fin", frame(0x08, ""), error::fragmented_control, 1002);
    add("ping of 126 bytes", frame(0x89, std::string(126, 'p')), error::control_too_big, 1002);
    add("close of 126 bytes", close_frame(1000, std::string(124, 'r')), error::control_too_big, 1002);
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        add("invalid close code", close_frame(code), error::bad_close_code, 1002);
    add("1-byte close", frame(0x88, "\x03"), error::bad_close_payload, 1002);
    add("bad utf-8 text", frame(0x81, "ab\xc0\xaf"), error::invalid_utf8, 1007);
    add("truncated utf-8 text", frame(0x81, "ab\xe2\x82"), error::invalid_utf8, 1007);
    add("bad utf-8 across fragments", concat({frame(0x01, "\xce"), frame(0x80, "\xff")}), error::invalid_utf8,
        1007);
    add("bad utf-8 close reason", close_frame(1000, "\xff"), error::invalid_utf8, 1007);
    add("unmasked client frame", frame(0x81, "Hello", false), error::unmasked_frame, 1002);
    add("unmasked client ping", frame(0x89, "", false), error::unmasked_frame, 1002);
    add("masked server frame", frame(0x81, "Hello", true), error::masked_frame, 1002, role::client);
    add("continuation without start", frame(0x80, "x"), error::unexpected_continuation, 1002);
    add("text during a fragmented message", concat({frame(0x01, "a"), frame(0x81, "b")}),
        error::expected_continuation, 1002);
    add("binary during a fragmented message", concat({frame(0x02, "a"), frame(0x02, "b")}),
        error::expected_continuation, 1002);
    // 5 in the 16-bit form, 200 and 65535 in the 64-bit form.
    add("non-minimal 16-bit length", bytes({0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5}), error::bad_length, 1002,
        role::client);
    add("non-minimal 64-bit length", bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 200}), error::bad_length, 1002,
        role::client);
    add("64-bit length under 65536", bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff}), error::bad_length,
        1002, role::client);
    add("64-bit length with the top bit", bytes({0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1}), error::bad_length,
        1002, role::client);
    // Limits come from the header alone: no payload follows these headers.
    add("frame over max_frame_bytes", bytes({0x82, 0x65}), error::frame_too_big, 1009, role::client,
        limits(100, 1000));
    add("huge frame", bytes({0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
        error::frame_too_big, 1009, role::client);
    add("message over max_message_bytes", bytes({0x82, 0x65}), error::message_too_big, 1009, role::client,
        limits(1000, 100));
    {
        byte_vector many;
        for (int i = 0; i < 10; ++i)
            many = concat({many, frame(i == 0 ? 0x02 : 0x00, std::string(10, 'x'), false)});
        many = concat({many, bytes({0x80, 0x01})}); // the header of the 101st byte
        add("message over the limit in small frames", many, error::message_too_big, 1009, role::client,
            limits(1000, 100));
    }
    add("bad deflate data", frame(0xc1, "\xff\xff\xff\xff"), error::inflate_failed, 1007, role::server, {},
        true);
    return v;
}

TEST(WebsocketConnection, MalformedFramesFailWithTheirCloseCode)
{
    for (const auto& c : malformed_cases()) {
        SCOPED_TRACE(c.name);
        connection conn{c.receiver, c.cfg,
                        c.deflate ? std::optional<deflate_params>{deflate_params{}} : std::nullopt};
        reader r;
        r.push(conn, c.wire);
        EXPECT_EQ(r.ec, make_error_code(c.expected)) << r.ec.message();
        EXPECT_TRUE(conn.failed());
        EXPECT_TRUE(conn.done());
        EXPECT_TRUE(conn.close_sent());
        EXPECT_EQ(conn.error(), r.ec);
        EXPECT_EQ(static_cast<std::uint16_t>(close_code_for(r.ec)), c.close);
        const auto out = take_output(conn);
        EXPECT_EQ(close_code_on_wire(out), std::optional<std::uint16_t>{c.close});
        // Masked by a client, unmasked by a server.
        const auto frames = parse_wire(out);
        ASSERT_EQ(frames.size(), 1u);
        EXPECT_EQ(frames[0].h.masked, c.receiver == role::client);
        // It stays failed.
        auto more = frame(0x81, "x", c.receiver == role::server);
        auto again = conn.read(more);
        EXPECT_EQ(again.ec, r.ec);
        EXPECT_FALSE(again.ev);
        error_code ec;
        conn.write_message(message_type::text, bytes("x"), true, ec);
        EXPECT_EQ(ec, make_error_code(error::closed));
        EXPECT_EQ(conn.output_bytes(), 0u);
    }
}

TEST(WebsocketConnection, ValidCloseCodesAreAccepted)
{
    for (int code :
         {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
        connection server{role::server, {}};
        reader r;
        r.push(server, close_frame(code, "bye"));
        EXPECT_FALSE(r.ec) << code;
        ASSERT_TRUE(r.close) << code;
        EXPECT_EQ(r.close->first, code);
        EXPECT_EQ(r.close->second, "bye");
        EXPECT_EQ(close_code_on_wire(take_output(server)), std::optional<std::uint16_t>(code));
    }
}

TEST(WebsocketConnection, ControlFramesBetweenFragmentsAreAccepted)
{
    connection server{role::server, {}};
    reader r;
    r.push(server, concat({frame(0x01, "Hel"), frame(0x89, "p1"), frame(0x00, ""), frame(0x8a, "p2"),
                           frame(0x80, "lo"), frame(0x82, "\x01\x02")}));
    EXPECT_FALSE(r.ec);
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.messages[0], (message{message_type::text, "Hello"}));
    EXPECT_EQ(r.messages[1], (message{message_type::binary, "\x01\x02"}));
    EXPECT_EQ(r.pings, std::vector<std::string>{"p1"});
    EXPECT_EQ(r.pongs, std::vector<std::string>{"p2"});
    const auto frames = parse_wire(take_output(server));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].h.op, opcode::pong);
    EXPECT_EQ(str(frames[0].payload), "p1");
}

TEST(WebsocketConnection, EmptyMessagesAreOnePieceWithFirstAndLast)
{
    connection server{role::server, {}};
    auto in = frame(0x81, "");
    auto r = server.read(in);
    ASSERT_TRUE(r.ev);
    const auto& d = std::get<connection::message_data>(*r.ev);
    EXPECT_TRUE(d.bytes.empty());
    EXPECT_TRUE(d.first);
    EXPECT_TRUE(d.last);
    EXPECT_EQ(r.consumed, in.size());
}

TEST(WebsocketConnection, AControlFrameIsParsedOnlyWhole)
{
    connection server{role::server, {}};
    auto ping = frame(0x89, std::string(125, 'p'));
    for (std::size_t n = 0; n < ping.size(); ++n) {
        auto r = server.read(std::span<std::byte>(ping.data(), n));
        EXPECT_EQ(r.consumed, 0u);
        EXPECT_FALSE(r.ev);
    }
    auto r = server.read(ping);
    EXPECT_EQ(r.consumed, ping.size());
    ASSERT_TRUE(r.ev);
    EXPECT_EQ(str(std::get<connection::ping>(*r.ev).payload), std::string(125, 'p'));
}

TEST(WebsocketConnection, PingFloodMakesOnePong)
{
    connection server{role::server, {}};
    reader r;
    for (int i = 0; i < 1000; ++i)
        r.push(server, frame(0x89, "ping " + std::to_string(i)));
    EXPECT_EQ(r.pings.size(), 1000u);
    const auto frames = parse_wire(take_output(server));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(str(frames[0].payload), "ping 999");
}

TEST(WebsocketConnection, WritesAreCheckedForMisuse)
{
    connection server{role::server, {}};
    error_code ec;
    server.write_ping(bytes(std::string(126, 'x')), ec);
    EXPECT_EQ(ec, make_error_code(error::bad_write));
    server.write_pong(bytes(std::string(126, 'x')), ec);
    EXPECT_EQ(ec, make_error_code(error::bad_write));
    server.write_close(1006, "", ec);
    EXPECT_EQ(ec, make_error_code(error::bad_write));
    server.write_close(999, "", ec);
    EXPECT_EQ(ec, make_error_code(error::bad_write));
    server.write_close(1000, "\xff", ec);
    EXPECT_EQ(ec, make_error_code(error::bad_write));
    EXPECT_EQ(server.output_bytes(), 0u);
    EXPECT_FALSE(server.close_sent());
    server.write_ping(bytes(std::string(125, 'x')), ec);
    EXPECT_FALSE(ec);
}

// ---- pieces of any size ------------------------------------------------------------

/// A long stream of mixed frames, written by a client codec (masked).
byte_vector mixed_stream(std::optional<deflate_params> deflate, std::vector<message>& sent)
{
    config cfg;
    std::uint8_t k = 1;
    cfg.mask_key_source = [&k] {
        ++k;
        return mask_key{std::byte{k}, std::byte(k * 3), std::byte(k * 5), std::byte(k * 7)};
    };
    deflate_config dcfg;
    dcfg.min_compress_bytes = 8;
    connection client{role::client, cfg, deflate, dcfg};
    byte_vector wire;
    auto flush = [&] {
        auto out = take_output(client);
        wire.insert(wire.end(), out.begin(), out.end());
    };
    error_code ec;
    std::mt19937 rng(7);
    for (int i = 0; i < 60; ++i) {
        const std::size_t sizes[] = {0, 1, 5, 125, 126, 127, 1000, 65535, 65536, 70000};
        const std::size_t n = sizes[i % 10];
        message m{i % 3 == 0 ? message_type::binary : message_type::text, {}};
        for (std::size_t j = 0; j < n; ++j)
            m.data.push_back(m.type == message_type::text ? static_cast<char>('a' + rng() % 26)
                                                          : static_cast<char>(rng()));
        if (m.type == message_type::text && n >= 4)
            m.data.replace(n / 2, 3, "\xe2\x82\xac"); // a 3-byte sequence somewhere in the middle
        if (i % 4 == 1) {
            // In pieces, with a ping between them.
            const std::size_t a = n / 3, b = n / 2;
            client.write_message(m.type, as_span(std::string_view(m.data).substr(0, a)), false, ec);
            client.write_ping(bytes("between"), ec);
            client.write_message(m.type, as_span(std::string_view(m.data).substr(a, b - a)), false, ec);
            client.write_message(m.type, as_span(std::string_view(m.data).substr(b)), true, ec);
        } else {
            client.write_message(m.type, as_span(m.data), true, ec);
        }
        EXPECT_FALSE(ec);
        if (i % 7 == 0)
            client.write_pong(bytes("pong"), ec);
        flush(); // the payloads are copied for a client, so `m` may go
        sent.push_back(std::move(m));
    }
    client.write_close(1000, "done", ec);
    flush();
    return wire;
}

void expect_same_at_any_split(std::optional<deflate_params> deflate)
{
    std::vector<message> sent;
    const auto wire = mixed_stream(deflate, sent);

    connection whole_conn{role::server, {}, deflate};
    reader whole;
    whole.push(whole_conn, wire);
    EXPECT_FALSE(whole.ec) << whole.ec.message();
    EXPECT_EQ(whole.messages, sent);
    ASSERT_TRUE(whole.close);
    EXPECT_EQ(whole.close->second, "done");

    connection one_conn{role::server, {}, deflate};
    reader one;
    for (std::size_t i = 0; i < wire.size() && !one.ec; ++i)
        one.push(one_conn, std::span<const std::byte>(wire.data() + i, 1));
    EXPECT_FALSE(one.ec) << one.ec.message();
    EXPECT_EQ(one.messages, sent);
    EXPECT_EQ(one.pings, whole.pings);
    EXPECT_EQ(one.pongs, whole.pongs);
    EXPECT_EQ(one.close, whole.close);

    std::mt19937 rng(11);
    connection rand_conn{role::server, {}, deflate};
    reader rnd;
    for (std::size_t i = 0; i < wire.size() && !rnd.ec;) {
        const std::size_t n = std::min<std::size_t>(wire.size() - i, 1 + rng() % 3000);
        rnd.push(rand_conn, std::span<const std::byte>(wire.data() + i, n));
        i += n;
    }
    EXPECT_EQ(rnd.messages, sent);
    EXPECT_EQ(rnd.close, whole.close);
}

TEST(WebsocketConnection, ByteAtATimeEqualsWhole)
{
    expect_same_at_any_split(std::nullopt);
}

TEST(WebsocketConnection, ByteAtATimeEqualsWholeWithDeflate)
{
    expect_same_at_any_split(deflate_params{});
}

TEST(WebsocketConnection, ByteAtATimeEqualsWholeWithDeflateWithoutContextTakeover)
{
    expect_same_at_any_split(deflate_params{true, true, 10, 9});
}

TEST(WebsocketConnection, TextIsCheckedAsItArrives)
{
    // The bad byte is the 3rd of a frame whose end has not arrived: the
    // codec fails on it without waiting (fail fast).
    connection server{role::server, {}};
    auto wire = frame(0x81, std::string("ab\xff") + std::string(1000, 'c'));
    auto r = server.read(std::span<std::byte>(wire.data(), 8 + 3)); // the header, "ab\xff"
    EXPECT_EQ(r.ec, make_error_code(error::invalid_utf8));
}

// ---- the close handshake -----------------------------------------------------------

TEST(WebsocketConnection, ReceivingACloseQueuesTheEcho)
{
    connection server{role::server, {}};
    reader r;
    r.push(server, close_frame(1001, "going away"));
    ASSERT_TRUE(r.close);
    EXPECT_EQ(r.close->first, 1001);
    EXPECT_EQ(r.close->second, "going away");
    EXPECT_TRUE(server.close_received());
    EXPECT_TRUE(server.close_sent());
    EXPECT_TRUE(server.done());
    EXPECT_FALSE(server.failed());
    EXPECT_EQ(close_code_on_wire(take_output(server)), std::optional<std::uint16_t>(1001));
    // Input after the close is ignored.
    auto more = frame(0x81, "late");
    auto after = server.read(more);
    EXPECT_EQ(after.consumed, more.size());
    EXPECT_FALSE(after.ev);
    EXPECT_FALSE(after.ec);
    EXPECT_EQ(server.output_bytes(), 0u);
}

TEST(WebsocketConnection, AnEmptyCloseIsNoStatusAndIsEchoedEmpty)
{
    connection client{role::client, {}};
    reader r;
    r.push(client, frame(0x88, "", false));
    ASSERT_TRUE(r.close);
    EXPECT_EQ(r.close->first, 1005);
    const auto frames = parse_wire(take_output(client));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].h.op, opcode::close);
    EXPECT_TRUE(frames[0].payload.empty());
    EXPECT_TRUE(frames[0].h.masked);
}

TEST(WebsocketConnection, WriteCloseThenReadCloseIsDone)
{
    connection server{role::server, {}};
    error_code ec;
    server.write_close(1000, "bye", ec);
    ASSERT_FALSE(ec);
    EXPECT_TRUE(server.close_sent());
    EXPECT_FALSE(server.done());
    const auto frames = parse_wire(take_output(server));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(str(frames[0].payload), std::string("\x03\xe8") + "bye");

    // Data the peer sent before it saw our close still arrives.
    reader r;
    r.push(server, concat({frame(0x81, "in flight"), close_frame(1000)}));
    EXPECT_EQ(r.messages, (std::vector<message>{{message_type::text, "in flight"}}));
    ASSERT_TRUE(r.close);
    EXPECT_TRUE(server.done());
    EXPECT_FALSE(server.failed());
    EXPECT_EQ(server.output_bytes(), 0u); // no second close

    server.write_message(message_type::text, bytes("x"), true, ec);
    EXPECT_EQ(ec, make_error_code(error::closed));
    server.write_ping({}, ec);
    EXPECT_EQ(ec, make_error_code(error::closed));
    server.write_close(1000, "", ec);
    EXPECT_EQ(ec, make_error_code(error::closed));
}

TEST(WebsocketConnection, WriteAfterCloseIsClosed)
{
    connection client{role::client, {}};
    error_code ec;
    client.write_close(1005, "ignored", ec);
    ASSERT_FALSE(ec);
    const auto frames = parse_wire(take_output(client));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_TRUE(frames[0].payload.empty());
    client.write_message(message_type::binary, bytes("x"), true, ec);
    EXPECT_EQ(ec, make_error_code(error::closed));
    client.write_pong({}, ec);
    EXPECT_EQ(ec, make_error_code(error::closed));
    EXPECT_EQ(client.output_bytes(), 0u);
}

TEST(WebsocketConnection, CloseReasonIsCutAtACharacterBoundary)
{
    std::string reason;
    for (int i = 0; i < 50; ++i)
        reason += "\xe2\x82\xac"; // 150 bytes of 3-byte characters
    connection server{role::server, {}};
    error_code ec;
    server.write_close(4000, reason, ec);
    ASSERT_FALSE(ec);
    const auto frames = parse_wire(take_output(server));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].payload.size(), 2u + 123u); // 41 characters
    EXPECT_TRUE(is_valid_utf8(std::span<const std::byte>(frames[0].payload).subspan(2)));
}

TEST(WebsocketConnection, PendingPongGoesOutBeforeTheClose)
{
    connection server{role::server, {}};
    reader r;
    r.push(server, frame(0x89, "p"));
    error_code ec;
    server.write_close(1000, "", ec);
    const auto frames = parse_wire(take_output(server));
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].h.op, opcode::pong);
    EXPECT_EQ(frames[1].h.op, opcode::close);
}

// ---- a client and a server talking -------------------------------------------------

struct exchange_params {
    std::optional<deflate_params> deflate;
    deflate_config dcfg;
    std::uint32_t seed;
};

/// Writes `msgs` from `from` to `to` in random pieces with pings between,
/// delivering the bytes in random chunks; returns what `to` read.
void exchange(connection& from, connection& to, const std::vector<message>& msgs, std::mt19937& rng,
              reader& r, std::size_t& pings_sent)
{
    byte_vector pipe;
    auto move_bytes = [&] {
        // As a driver does: take the list, write it (here: into the pipe), mark it written.
        for (const auto& b : from.output()) {
            const auto* p = static_cast<const std::byte*>(b.data());
            pipe.insert(pipe.end(), p, p + b.size());
        }
        from.output_written();
        std::size_t i = 0;
        while (i < pipe.size()) {
            const std::size_t n = std::min<std::size_t>(pipe.size() - i, 1 + rng() % 5000);
            r.push(to, std::span<const std::byte>(pipe.data() + i, n));
            i += n;
        }
        pipe.clear();
    };
    error_code ec;
    for (const auto& m : msgs) {
        const auto data = as_span(m.data);
        if (rng() % 3 == 0 && data.size() > 2) {
            std::size_t pos = 0;
            while (pos < data.size()) {
                const std::size_t n =
                    std::min<std::size_t>(data.size() - pos, 1 + rng() % (data.size() / 2 + 1));
                const bool fin = pos + n == data.size();
                from.write_message(m.type, data.subspan(pos, n), fin, ec);
                ASSERT_FALSE(ec) << ec.message();
                pos += n;
                if (rng() % 4 == 0) {
                    from.write_ping(bytes("p"), ec);
                    ++pings_sent;
                }
                if (rng() % 2 == 0)
                    move_bytes();
            }
        } else {
            from.write_message(m.type, data, true, ec);
            ASSERT_FALSE(ec) << ec.message();
        }
        if (rng() % 3 == 0)
            move_bytes();
    }
    move_bytes();
}

std::vector<message> random_messages(std::mt19937& rng, std::size_t count)
{
    std::vector<message> v;
    for (std::size_t i = 0; i < count; ++i) {
        message m{rng() % 2 ? message_type::text : message_type::binary, {}};
        // Sizes spread over every length encoding, mostly small.
        const std::size_t classes[] = {0, 10, 125, 126, 1000, 5000, 70000, 200000};
        const std::size_t cap = classes[rng() % 8];
        const std::size_t n = cap == 0 ? 0 : rng() % (cap + 1);
        const bool compressible = rng() % 2;
        while (m.data.size() < n) {
            if (m.type == message_type::text) {
                static const char* const words[] = {"ws ", "frame ", "\xc3\xa9t\xc3\xa9 ", "\xe2\x82\xac ",
                                                    "\xf0\x9f\x98\x80 "};
                m.data +=
                    compressible ? words[rng() % 5] : std::string(1, static_cast<char>('a' + rng() % 26));
            } else {
                m.data.push_back(compressible ? static_cast<char>(rng() % 4) : static_cast<char>(rng()));
            }
        }
        if (m.type == message_type::text) {
            while (!m.data.empty() && !is_valid_utf8(as_span(m.data)))
                m.data.pop_back(); // a cut in the middle of a character
        } else {
            m.data.resize(n);
        }
        v.push_back(std::move(m));
    }
    return v;
}

class WebsocketExchange : public testing::TestWithParam<exchange_params> {};

TEST_P(WebsocketExchange, RandomMessagesBothWays)
{
    const auto& p = GetParam();
    std::mt19937 rng(p.seed);
    config ccfg, scfg;
    ccfg.write_fragment_bytes = rng() % 2 ? 0 : 1 + rng() % 4096;
    scfg.write_fragment_bytes = rng() % 2 ? 0 : 1 + rng() % 4096;
    connection client{role::client, ccfg, p.deflate, p.dcfg};
    connection server{role::server, scfg, p.deflate, p.dcfg};
    EXPECT_EQ(client.deflate_enabled(), p.deflate.has_value());

    const auto up = random_messages(rng, 150);
    const auto down = random_messages(rng, 150);
    reader at_server, at_client;
    std::size_t pings_up = 0, pings_down = 0;
    exchange(client, server, up, rng, at_server, pings_up);
    exchange(server, client, down, rng, at_client, pings_down);
    EXPECT_FALSE(at_server.ec) << at_server.ec.message();
    EXPECT_FALSE(at_client.ec) << at_client.ec.message();
    ASSERT_EQ(at_server.messages.size(), up.size());
    ASSERT_EQ(at_client.messages.size(), down.size());
    for (std::size_t i = 0; i < up.size(); ++i)
        EXPECT_EQ(at_server.messages[i], up[i]) << "client -> server message " << i;
    for (std::size_t i = 0; i < down.size(); ++i)
        EXPECT_EQ(at_client.messages[i], down[i]) << "server -> client message " << i;
    EXPECT_EQ(at_server.pings.size(), pings_up);
    EXPECT_EQ(at_client.pings.size(), pings_down);

    // The pongs each side queued reach the other (the server's went with its messages).
    reader pongs_at_server;
    pongs_at_server.push(server, take_output(client));
    EXPECT_EQ(at_client.pongs.empty(), pings_up == 0);
    EXPECT_EQ(pongs_at_server.pongs.empty(), pings_down == 0);

    // The close handshake, client first.
    error_code ec;
    client.write_close(1000, "bye", ec);
    ASSERT_FALSE(ec);
    reader closing_server;
    closing_server.push(server, take_output(client));
    ASSERT_TRUE(closing_server.close);
    EXPECT_EQ(closing_server.close->first, 1000);
    EXPECT_TRUE(server.done());
    reader closing_client;
    closing_client.push(client, take_output(server));
    ASSERT_TRUE(closing_client.close);
    EXPECT_TRUE(client.done());
    EXPECT_FALSE(client.failed());
    EXPECT_FALSE(server.failed());
}

INSTANTIATE_TEST_SUITE_P(
    Websocket, WebsocketExchange,
    testing::Values(exchange_params{std::nullopt, {}, 1}, exchange_params{std::nullopt, {}, 2},
                    exchange_params{deflate_params{}, {}, 3}, exchange_params{deflate_params{}, {}, 4},
                    exchange_params{deflate_params{true, true, 15, 15}, {}, 5},
                    exchange_params{deflate_params{false, false, 9, 10}, {}, 6},
                    exchange_params{deflate_params{true, false, 12, 9}, {}, 7},
                    // A client held to an 8-bit window sends uncompressed; the server still compresses.
                    exchange_params{deflate_params{false, false, 15, 8}, {}, 8},
                    exchange_params{deflate_params{}, deflate_config{true, 15, 15, false, false, 1, 1, 0},
                                    9}));

TEST(WebsocketConnection, IdleMemoryWithoutContextTakeover)
{
    const deflate_params p{true, true, 15, 15};
    connection client{role::client, {}, p};
    connection server{role::server, {}, p};
    const std::string text(10000, 'a');
    error_code ec;
    client.write_message(message_type::text, as_span(text), true, ec);
    reader r;
    r.push(server, take_output(client));
    ASSERT_EQ(r.messages.size(), 1u);
    server.write_message(message_type::text, as_span(text), true, ec);
    reader rc;
    rc.push(client, take_output(server));
    ASSERT_EQ(rc.messages.size(), 1u);
    // No zlib stream survives a message without context takeover.
    server.shrink_to_fit();
    client.shrink_to_fit();
    EXPECT_LT(server.memory_usage(), 2048u);
    EXPECT_LT(client.memory_usage(), 2048u);
}

TEST(WebsocketConnection, ContextTakeoverKeepsTheStreams)
{
    connection server{role::server, {}, deflate_params{}};
    error_code ec;
    server.write_message(message_type::text, as_span(std::string(1000, 'a')), true, ec);
    take_output(server);
    server.shrink_to_fit();
    // The compressor's window and hash tables: they make the next message smaller.
    EXPECT_GT(server.memory_usage(), 100'000u);
}

} // namespace
