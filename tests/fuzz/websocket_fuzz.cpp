// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// libFuzzer target for the WebSocket codec. The first byte picks the role,
// whether permessage-deflate was negotiated and with what, and how the input
// is cut into reads; the second picks the limits. Checks no correct codec
// can fail: cuts do not change the messages or the error; a failure queues
// exactly the close frame close_code_for() names; delivered text is UTF-8
// and no message exceeds its limit; and what the codec then writes, a peer
// codec reads back unchanged. With the top two bits of the first byte set
// the rest is a Sec-WebSocket-Extensions value instead, negotiated both ways.
#include "utf8_reference.hpp"

#include <strata/websocket/connection.hpp>
#include <strata/websocket/deflate.hpp>
#include <strata/websocket/frame.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using namespace strata;
using namespace strata::websocket;

// Says which check failed before aborting: a crash report then names it.
#define check(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            std::fprintf(stderr, "websocket_fuzz.cpp:%d: check failed: %s\n", __LINE__, #cond);              \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (false)

bool valid_utf8(std::string_view s)
{
    return strata::test::reference_valid_utf8(s);
}

struct message {
    message_type type;
    std::string data;
    bool operator==(const message&) const = default;
};

struct outcome {
    std::vector<message> messages;
    std::vector<std::string> pings;
    std::optional<std::pair<std::uint16_t, std::string>> close;
    error_code ec;
    bool operator==(const outcome&) const = default;
};

std::vector<std::byte> take_output(connection& c)
{
    std::vector<std::byte> out;
    for (const auto& b : c.output()) {
        const auto* p = static_cast<const std::byte*>(b.data());
        out.insert(out.end(), p, p + b.size());
    }
    c.output_written();
    check(c.output_bytes() == 0);
    return out;
}

struct wire_frame {
    frame_header h;
    std::vector<std::byte> payload;
};

/// What the codec wrote must be whole, well-formed frames, masked by a client only.
std::vector<wire_frame> parse_output(std::span<const std::byte> wire, role sender)
{
    std::vector<wire_frame> frames;
    while (!wire.empty()) {
        wire_frame f;
        check(parse_frame_header(wire, f.h) == header_status::ok);
        check(wire.size() - f.h.header_size >= f.h.payload_size);
        check(f.h.masked == (sender == role::client));
        check(!f.h.rsv2 && !f.h.rsv3);
        auto p = wire.subspan(f.h.header_size, static_cast<std::size_t>(f.h.payload_size));
        f.payload.assign(p.begin(), p.end());
        if (f.h.masked)
            apply_mask(f.payload, f.h.key, 0);
        wire = wire.subspan(f.h.header_size + p.size());
        frames.push_back(std::move(f));
    }
    return frames;
}

struct setup {
    role r;
    config cfg;
    std::optional<deflate_params> deflate;
};

/// Feeds `in` in reads of `step` bytes (0: all at once), as a driver does.
outcome run(const setup& s, std::span<const std::byte> in, std::size_t step)
{
    connection c{s.r, s.cfg, s.deflate};
    outcome out;
    std::vector<std::byte> buf;
    bool in_message = false;
    message current{message_type::text, {}};
    std::size_t pos = 0;
    bool stop = false;
    // Bytes left in `buf` at the end are a frame the input cut short.
    for (bool first = true; !stop && (first || pos < in.size()); first = false) {
        const std::size_t n = std::min(step == 0 ? in.size() : step, in.size() - pos);
        buf.insert(buf.end(), in.begin() + static_cast<std::ptrdiff_t>(pos),
                   in.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
        for (;;) {
            const std::size_t before_out = c.output_bytes();
            auto r = c.read(buf);
            check(r.consumed <= buf.size());
            if (r.ec) {
                check(!r.ev);
                check(c.failed() && c.done() && c.close_sent() && c.error() == r.ec);
                out.ec = r.ec;
                // The one close frame that says why, after whatever was queued before.
                auto frames = parse_output(take_output(c), s.r);
                check(!frames.empty() && frames.back().h.op == opcode::close);
                const auto& p = frames.back().payload;
                check(p.size() == 2);
                const auto code = static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) << 8 |
                                                             std::to_integer<unsigned>(p[1]));
                check(code == static_cast<std::uint16_t>(close_code_for(r.ec)));
                check(is_valid_close_code(code));
                stop = true;
                break;
            }
            if (r.ev) {
                if (auto* d = std::get_if<connection::message_data>(&*r.ev)) {
                    check(d->first != in_message);
                    if (d->first)
                        current = {d->type, {}};
                    check(d->type == current.type);
                    in_message = !d->last;
                    current.data.append(reinterpret_cast<const char*>(d->bytes.data()), d->bytes.size());
                    check(current.data.size() <= s.cfg.max_message_bytes);
                    if (d->last) {
                        check(current.type != message_type::text || valid_utf8(current.data));
                        out.messages.push_back(std::move(current));
                    }
                } else if (auto* p = std::get_if<connection::ping>(&*r.ev)) {
                    check(p->payload.size() <= 125);
                    out.pings.emplace_back(reinterpret_cast<const char*>(p->payload.data()),
                                           p->payload.size());
                    check(c.output_bytes() > 0); // the pong
                } else if (auto* cl = std::get_if<connection::close>(&*r.ev)) {
                    check(cl->code == 1005 || is_valid_close_code(cl->code));
                    check(valid_utf8(cl->reason));
                    check(c.close_received() && c.close_sent() && c.done() && !c.failed());
                    check(c.output_bytes() > before_out); // the echo
                    out.close = std::pair{cl->code, std::string(cl->reason)};
                }
            }
            buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.consumed));
            if (c.close_received()) {
                // What follows the close is ignored, whole.
                auto rest = c.read(buf);
                check(rest.consumed == buf.size() && !rest.ev && !rest.ec);
                stop = true;
                break;
            }
            if (!r.ev && r.consumed == 0)
                break;
        }
        // A driver writes what was queued (pongs) as it goes.
        if (!stop)
            for (const auto& f : parse_output(take_output(c), s.r))
                check(f.h.op == opcode::pong && f.h.fin);
    }
    if (out.ec || out.close)
        return out;

    // Still open: what this codec writes, a peer codec reads back.
    const role peer_role = s.r == role::server ? role::client : role::server;
    connection peer{peer_role, {}, s.deflate};
    error_code ec;
    const auto payload = in.subspan(in.size() - std::min<std::size_t>(in.size(), 300));
    c.write_message(message_type::binary, payload.first(payload.size() / 2), false, ec);
    check(!ec);
    c.write_ping(payload.first(std::min<std::size_t>(payload.size(), 125)), ec);
    check(!ec);
    c.write_message(message_type::text, payload.subspan(payload.size() / 2), true, ec); // type ignored
    check(!ec);
    c.write_close(1000, "fuzz", ec);
    check(!ec && c.close_sent());
    auto wire = take_output(c);
    std::string got;
    std::size_t at = 0;
    bool closed = false;
    while (at < wire.size()) {
        auto r = peer.read(std::span<std::byte>(wire.data() + at, wire.size() - at));
        check(!r.ec);
        at += r.consumed;
        if (r.ev) {
            if (auto* d = std::get_if<connection::message_data>(&*r.ev)) {
                check(d->type == message_type::binary);
                got.append(reinterpret_cast<const char*>(d->bytes.data()), d->bytes.size());
            } else if (std::holds_alternative<connection::close>(*r.ev)) {
                closed = true;
            }
        } else {
            check(r.consumed > 0);
        }
    }
    check(closed && peer.done());
    check(got == std::string(reinterpret_cast<const char*>(payload.data()), payload.size()));
    return out;
}

/// A Sec-WebSocket-Extensions value: what a server accepts, its client accepts.
void negotiate(std::string_view value, std::uint8_t b1)
{
    deflate_config cfg;
    cfg.enable = true;
    cfg.server_max_window_bits = 8 + (b1 & 7);
    cfg.client_max_window_bits = 8 + ((b1 >> 3) & 7);
    cfg.server_no_context_takeover = (b1 & 0x40) != 0;
    cfg.client_no_context_takeover = (b1 & 0x80) != 0;
    std::string response;
    const auto p = deflate_negotiate(value, cfg, response);
    if (p) {
        check(p->server_max_window_bits >= 9 &&
              p->server_max_window_bits <= std::max(9, cfg.server_max_window_bits));
        check(p->client_max_window_bits >= 8 && p->client_max_window_bits <= 15);
        deflate_config offered;
        offered.enable = true;
        error_code ec;
        const auto back = deflate_accept_response(response, offered, ec);
        check(!ec && back);
        check(back->server_max_window_bits == p->server_max_window_bits);
        check(back->server_no_context_takeover == p->server_no_context_takeover);
        check(back->client_no_context_takeover == p->client_no_context_takeover);
    } else {
        check(response.empty());
    }
    error_code ec;
    const auto as_client = deflate_accept_response(value, cfg, ec);
    check(!(as_client && ec));
    if (as_client) {
        check(as_client->server_max_window_bits >= 8 && as_client->server_max_window_bits <= 15);
        check(as_client->client_max_window_bits >= 8 && as_client->client_max_window_bits <= 15);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 2)
        return 0;
    const std::uint8_t b0 = data[0], b1 = data[1];
    const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data + 2), size - 2);
    if ((b0 >> 6) == 3) {
        negotiate({reinterpret_cast<const char*>(data + 2), size - 2}, b1);
        return 0;
    }
    setup s;
    s.r = (b0 & 1) ? role::client : role::server;
    static const std::optional<deflate_params> deflates[] = {
        std::nullopt,
        deflate_params{},
        deflate_params{true, true, 15, 15},
        deflate_params{false, false, 9, 8},
    };
    s.deflate = deflates[(b0 >> 1) & 3];
    static const std::size_t limits[] = {16 * 1024 * 1024, 100000, 1000, 10};
    s.cfg.max_message_bytes = limits[b1 & 3];
    s.cfg.max_frame_bytes = limits[(b1 >> 2) & 3];
    s.cfg.write_fragment_bytes = (b1 & 0x10) ? 7 : 0;

    const outcome whole = run(s, in, 0);
    const std::size_t step = 1 + ((b0 >> 3) & 7) * ((b0 >> 3) & 7) * 3;
    check(run(s, in, step) == whole);
    if (in.size() < 4096)
        check(run(s, in, 1) == whole);
    return 0;
}
