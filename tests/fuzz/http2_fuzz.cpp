// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// libFuzzer target for http2::connection in the server role. The input's
// first byte picks the limits and seeds how the rest is cut into pieces and
// how the application behaves; the rest follows the client preface. Each
// request is answered (sometimes after a 1xx, with a body and trailers, or
// with a reset), body bytes are consumed at random moments, and every byte
// written is parsed back into frames, so the send path, flow-control
// budgeting and the flood and reset limits all run on arbitrary input.
#include <strata/http2/connection.hpp>

#include "h2_frames.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace strata;
namespace h2 = strata::test::h2;

struct rng {
    std::uint32_t s;
    std::uint32_t next() noexcept
    {
        s = s * 1664525u + 1013904223u;
        return s >> 8;
    }
};

void check(bool ok)
{
    if (!ok)
        std::abort();
}

void touch(std::span<const http::field_view> fields, unsigned& sum)
{
    for (const auto& f : fields)
        sum += static_cast<unsigned>(f.name.size() + f.value.size()) +
               (f.name.empty() ? 0u : static_cast<unsigned char>(f.name[0])) +
               (f.value.empty() ? 0u : static_cast<unsigned char>(f.value.back()));
}

struct app {
    http2::connection c;
    rng r;
    h2::frame_reader written; // what the codec wrote must parse as whole frames
    std::map<http::stream_id, std::size_t> unread;
    std::vector<http::stream_id> answering; // responses with body still to send
    std::string body = std::string(300, 'b');
    unsigned sum = 0;

    app(std::uint32_t seed, const http2::config& cfg) : c(http2::role::server, cfg), r{seed} {}

    void flush()
    {
        for (const auto& b : c.poll_output()) {
            const auto* p = static_cast<const char*>(b.data());
            for (std::size_t i = 0; i < b.size(); ++i)
                sum += static_cast<unsigned char>(p[i]);
            written.feed({p, b.size()});
        }
        while (auto f = written.next()) {
            check(f->payload.size() <= 16 * 1024 * 1024);
            if (f->type == h2::type::goaway)
                check(f->payload.size() >= 8);
        }
        check(written.buffered() == 0);
    }

    void answer(http::stream_id stream)
    {
        error_code ec;
        const unsigned how = r.next() % 8;
        if (how == 0) {
            c.submit_reset(stream, http2::error::cancel);
            return;
        }
        if (how == 1) {
            c.submit_headers(stream, http2::response_head{103, {}}, false, ec);
            if (r.next() % 2)
                flush();
        }
        const http::field_view f[] = {{"Content-Type", "text/plain"}, {"Connection", "close"}};
        if (how == 2) {
            c.submit_headers(stream, http2::response_head{204, f}, true, ec);
            return;
        }
        c.submit_headers(stream, http2::response_head{200, f}, false, ec);
        if (ec)
            return;
        answering.push_back(stream);
        send_some(stream);
    }

    /// Sends a piece of a response body; ends it (with trailers sometimes).
    void send_some(http::stream_id stream)
    {
        error_code ec;
        const std::size_t n = r.next() % body.size();
        const bool end = r.next() % 3 == 0;
        if (end && r.next() % 2 == 0) {
            c.submit_data(stream, {reinterpret_cast<const std::byte*>(body.data()), n}, false, ec);
            const http::field_view t[] = {{"X-Checksum", "1"}};
            c.submit_trailers(stream, t, ec);
        } else {
            c.submit_data(stream, {reinterpret_cast<const std::byte*>(body.data()), n}, end, ec);
        }
        if (end || ec)
            std::erase(answering, stream);
    }

    void pump()
    {
        while (auto ev = c.poll_event()) {
            if (const auto* h = std::get_if<http::headers>(&*ev)) {
                check(h->stream > 0 && h->stream % 2 == 1);
                check(h->ver == http::version::http2);
                touch(h->fields, sum);
                sum += static_cast<unsigned>(h->method.size() + h->target.size() + h->authority.size() +
                                             h->scheme.size() + h->protocol.size());
                check(h->upgrade == !h->protocol.empty());
                if (h->end_stream || r.next() % 2 == 0)
                    answer(h->stream);
            } else if (const auto* d = std::get_if<http::data>(&*ev)) {
                for (std::byte b : d->bytes)
                    sum += static_cast<unsigned>(b);
                unread[d->stream] += d->bytes.size();
                if (r.next() % 2 == 0) {
                    c.consume(d->stream, unread[d->stream]);
                    unread[d->stream] = 0;
                }
            } else if (const auto* t = std::get_if<http::trailers>(&*ev)) {
                touch(t->fields, sum);
            } else if (const auto* rs = std::get_if<http::reset>(&*ev)) {
                std::erase(answering, rs->stream);
                unread.erase(rs->stream);
                sum += static_cast<unsigned>(rs->code.value());
            } else if (const auto* g = std::get_if<http::goaway>(&*ev)) {
                sum += static_cast<unsigned>(g->last_stream + g->code.value());
            } else if (const auto* st = std::get_if<http::settings>(&*ev)) {
                sum += st->max_concurrent_streams;
            } else {
                check(false); // informational and upgrade never come to an HTTP/2 server
            }
        }
    }

    /// What an application does between reads.
    void act()
    {
        if (!answering.empty() && r.next() % 2 == 0)
            send_some(answering[r.next() % answering.size()]);
        if (!unread.empty() && r.next() % 4 == 0) {
            auto it = unread.begin();
            std::advance(it, r.next() % unread.size());
            c.consume(it->first, it->second);
            it->second = 0;
        }
        const unsigned x = r.next() % 64;
        if (x == 0)
            c.submit_ping();
        else if (x == 1)
            c.submit_goaway(http2::error::no_error);
        if (r.next() % 4 != 0)
            flush();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    const std::uint8_t knob = data[0];
    http2::config cfg;
    // Small limits so the fuzzer reaches them.
    cfg.max_concurrent_streams = 1 + knob % 8;
    cfg.initial_stream_window = knob & 0x10 ? 64 + knob : 65535;
    cfg.connection_window = knob & 0x20 ? 1024 : 65535;
    cfg.max_header_list_size = 256 + knob * 16u;
    cfg.header_table_size = knob & 0x40 ? 256 : 4096;
    cfg.enable_connect_protocol = (knob & 0x80) != 0;
    cfg.max_premature_resets = 4 + knob % 16;
    cfg.max_empty_frames = 8 + knob % 32;
    cfg.max_outbound_ack = 16 + knob % 64;
    cfg.max_continuations = 2 + knob % 8;
    app a{knob * 2654435761u + 1u, cfg};
    ++data;
    --size;

    const std::string preface = h2::preface();
    check(a.c.handle_bytes(h2::as_bytes(preface)) == preface.size());
    a.pump();
    a.flush();
    while (size != 0) {
        std::size_t piece = 1 + a.r.next() % (a.r.next() % 2 ? 16 : 1024);
        piece = std::min(piece, size);
        std::span<const std::byte> in{reinterpret_cast<const std::byte*>(data), piece};
        while (!in.empty()) {
            const auto n = a.c.handle_bytes(in);
            check(n <= in.size());
            a.pump(); // data events point into `in`: taken before it moves on
            if (n == 0)
                break;
            in = in.subspan(n);
        }
        check(in.empty());
        data += piece;
        size -= piece;
        a.act();
        if (a.c.error()) {
            // Failed stays failed: input is swallowed and yields nothing.
            // Events queued before the failure was seen (a stream the
            // application's own sends reset on the way) still come out
            // first, and writing the last output (the GOAWAY) may close
            // streams too: both are drained before the input is checked.
            a.pump();
            a.flush();
            a.pump();
            check(a.c.handle_bytes({reinterpret_cast<const std::byte*>(data), size}) == size);
            check(!a.c.poll_event());
            break;
        }
    }
    // The application drains what it still has to say.
    for (int i = 0; i < 64 && a.c.has_output(); ++i) {
        if (!a.answering.empty())
            a.send_some(a.answering.front());
        a.flush();
    }
    a.flush();
    return static_cast<int>(a.sum & 0);
}
