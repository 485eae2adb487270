// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Helpers shared by the websocket codec tests: byte vectors, draining a
// codec's output, splitting wire bytes into frames, and a reader that feeds
// a codec the way a driver does and collects whole messages.

#include <strata/websocket/connection.hpp>
#include <strata/websocket/frame.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace strata::websocket::test {

using byte_vector = std::vector<std::byte>;

inline byte_vector bytes(std::initializer_list<int> v)
{
    byte_vector out;
    for (int b : v)
        out.push_back(static_cast<std::byte>(b));
    return out;
}

inline byte_vector bytes(std::string_view s)
{
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    return {p, p + s.size()};
}

inline std::span<const std::byte> as_span(std::string_view s)
{
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::string str(std::span<const std::byte> b)
{
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline byte_vector concat(std::initializer_list<byte_vector> parts)
{
    byte_vector out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

/// Everything the codec has queued, as one byte vector; marks it written.
inline byte_vector take_output(connection& c)
{
    byte_vector out;
    for (const auto& b : c.output()) {
        const auto* p = static_cast<const std::byte*>(b.data());
        out.insert(out.end(), p, p + b.size());
    }
    c.output_written();
    EXPECT_EQ(c.output_bytes(), 0u);
    return out;
}

struct wire_frame {
    frame_header h;
    byte_vector payload; ///< unmasked
};

/// Splits complete frames; fails the test on a truncated or malformed one.
inline std::vector<wire_frame> parse_wire(std::span<const std::byte> wire)
{
    std::vector<wire_frame> frames;
    while (!wire.empty()) {
        wire_frame f;
        const auto st = parse_frame_header(wire, f.h);
        EXPECT_EQ(st, header_status::ok);
        if (st != header_status::ok || wire.size() - f.h.header_size < f.h.payload_size) {
            ADD_FAILURE() << "truncated frame on the wire";
            break;
        }
        auto p = wire.subspan(f.h.header_size, static_cast<std::size_t>(f.h.payload_size));
        f.payload.assign(p.begin(), p.end());
        if (f.h.masked)
            apply_mask(f.payload, f.h.key, 0);
        const std::size_t size = f.h.header_size + p.size();
        frames.push_back(std::move(f));
        wire = wire.subspan(size);
    }
    return frames;
}

/// The status code of the one close frame in `wire` (1005 when it has no payload).
inline std::optional<std::uint16_t> close_code_on_wire(std::span<const std::byte> wire)
{
    auto frames = parse_wire(wire);
    if (frames.size() != 1 || frames[0].h.op != opcode::close)
        return std::nullopt;
    const auto& p = frames[0].payload;
    if (p.empty())
        return std::uint16_t{1005};
    if (p.size() < 2)
        return std::nullopt;
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) << 8 | std::to_integer<unsigned>(p[1]));
}

struct message {
    message_type type;
    std::string data;
    bool operator==(const message&) const = default;
};

/// Feeds a codec as a driver does: bytes accumulate in a buffer, read()
/// runs until it needs more, consumed bytes are dropped from the front.
struct reader {
    byte_vector buf;
    std::vector<message> messages;
    std::vector<std::string> pieces; ///< every non-empty message piece, in order
    std::vector<std::string> pings;
    std::vector<std::string> pongs;
    std::optional<std::pair<std::uint16_t, std::string>> close;
    error_code ec;
    bool in_message = false;
    message current{message_type::text, {}};
    std::size_t events = 0;

    void push(connection& c, std::span<const std::byte> data)
    {
        buf.insert(buf.end(), data.begin(), data.end());
        drain(c);
    }

    void drain(connection& c)
    {
        for (int guard = 0; guard < 10'000'000; ++guard) {
            auto r = c.read(buf);
            EXPECT_LE(r.consumed, buf.size());
            if (r.ec) {
                ec = r.ec;
                EXPECT_FALSE(r.ev.has_value());
                buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.consumed));
                return;
            }
            if (r.ev) {
                ++events;
                handle(*r.ev);
            }
            buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.consumed));
            if (!r.ev && r.consumed == 0)
                return;
        }
        ADD_FAILURE() << "read() made no progress";
    }

    void handle(const connection::event& ev)
    {
        if (const auto* d = std::get_if<connection::message_data>(&ev)) {
            if (d->first) {
                EXPECT_FALSE(in_message) << "a message began inside another";
                in_message = true;
                current = {d->type, {}};
            } else {
                EXPECT_TRUE(in_message) << "a piece outside any message";
                EXPECT_EQ(d->type, current.type);
            }
            if (!d->bytes.empty())
                pieces.push_back(str(d->bytes));
            current.data += str(d->bytes);
            if (d->last) {
                messages.push_back(current);
                in_message = false;
            }
        } else if (const auto* p = std::get_if<connection::ping>(&ev)) {
            pings.push_back(str(p->payload));
        } else if (const auto* q = std::get_if<connection::pong>(&ev)) {
            pongs.push_back(str(q->payload));
        } else if (const auto* cl = std::get_if<connection::close>(&ev)) {
            EXPECT_FALSE(close.has_value());
            close = std::pair{cl->code, std::string(cl->reason)};
        }
    }
};

/// A mask key source that always gives `k` (RFC 6455 §5.7 uses 37 fa 21 3d).
inline config fixed_mask(mask_key k = {std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}})
{
    config c;
    c.mask_key_source = [k] { return k; };
    return c;
}

} // namespace strata::websocket::test
