// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// libFuzzer target for http3::connection in the server role. The input's
// first byte picks the limits and seeds the application's behaviour; the
// rest is a list of records, each (selector, length, bytes):
//
//   selector & 0x0f  the stream: 0 control (2), 1 QPACK encoder (6),
//                    2 QPACK decoder (10), 3 another unidirectional (14),
//                    4..15 request streams 0, 4, ... 44
//   selector & 0x10  fin after the bytes
//   selector & 0x20  then the peer resets the stream (RESET_STREAM)
//   selector & 0x40  then the peer sends STOP_SENDING
//   selector & 0x80  then QUIC closes the stream
//
// The server's own streams are bound; each step drains events (requests
// are answered, sometimes with 1xx, bodies, trailers, resets), output
// (taken whole or in part, acknowledged at random), actions and credit.
// Checked: no crash, output only on streams that may carry it, credit never
// above the bytes fed, error() sticky once set, memory_usage() bounded.
#include <strata/http3/connection.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace strata;

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
    http3::connection c;
    rng r;
    std::uint64_t fed = 0;
    std::uint64_t credited = 0;
    std::map<http::stream_id, std::uint64_t> unacked;
    std::map<http::stream_id, std::size_t> unread;
    std::vector<http::stream_id> answering;
    std::vector<http::stream_id> blocked;
    std::string body = std::string(300, 'b');
    unsigned sum = 0;
    std::uint64_t events = 0;

    app(std::uint32_t seed, const http3::config& cfg) : c(http3::role::server, cfg), r{seed}
    {
        error_code ec;
        c.bind_local_streams(3, 7, 11, ec);
        check(!ec);
    }

    void flush()
    {
        for (auto id : blocked)
            c.unblock_stream(id);
        blocked.clear();
        for (int i = 0; i < 256; ++i) {
            auto out = c.poll_output();
            if (out.stream < 0)
                break;
            // Only our unidirectional streams and the client's requests.
            check(out.stream == 3 || out.stream == 7 || out.stream == 11 || out.stream % 4 == 0);
            check(!out.fin || out.stream % 4 == 0);
            std::size_t total = 0;
            for (const auto& b : out.data) {
                const auto* p = static_cast<const unsigned char*>(b.data());
                for (std::size_t k = 0; k < b.size(); ++k)
                    sum += p[k];
                total += b.size();
            }
            std::size_t took = total;
            if (total > 0 && r.next() % 4 == 0) {
                // QUIC's flow control took part of it.
                took = r.next() % total;
                c.add_write_offset(out.stream, took);
                c.block_stream(out.stream);
                blocked.push_back(out.stream);
            } else {
                c.add_write_offset(out.stream, took);
            }
            unacked[out.stream] += took;
            if (took < total)
                break;
        }
        if (r.next() % 2 == 0) {
            for (auto& [id, n] : unacked) {
                auto a = r.next() % 2 ? n : n / 2;
                if (a != 0)
                    c.add_ack_offset(id, a);
                n -= a;
            }
        }
    }

    void answer(http::stream_id stream)
    {
        error_code ec;
        const unsigned how = r.next() % 8;
        if (how == 0) {
            c.submit_reset(stream, http3::error::request_cancelled);
            return;
        }
        if (how == 1) {
            c.submit_headers(stream, http3::response_head{103, {}}, false, ec);
            if (r.next() % 2)
                flush();
        }
        const http::field_view f[] = {{"Content-Type", "text/plain"}, {"Connection", "close"}};
        if (how == 2) {
            c.submit_headers(stream, http3::response_head{204, f}, true, ec);
            if (r.next() % 2)
                c.stop_receiving(stream);
            return;
        }
        c.submit_headers(stream, http3::response_head{200, f}, false, ec);
        if (ec)
            return;
        answering.push_back(stream);
        send_some(stream);
    }

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
            ++events;
            if (const auto* h = std::get_if<http::headers>(&*ev)) {
                check(h->stream >= 0 && h->stream % 4 == 0);
                check(h->ver == http::version::http3);
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
                sum += static_cast<unsigned>(rs->code.value());
            } else if (const auto* g = std::get_if<http::goaway>(&*ev)) {
                sum += static_cast<unsigned>(g->last_stream + g->code.value());
            } else if (const auto* st = std::get_if<http::settings>(&*ev)) {
                sum += st->enable_connect_protocol ? 1u : 0u;
            } else {
                check(false); // informational and upgrade never come to an HTTP/3 server
            }
        }
        while (auto a = c.poll_stream_action())
            sum += static_cast<unsigned>(a->stream + a->kind + a->code);
        while (auto cr = c.poll_credit()) {
            check(cr->bytes > 0);
            credited += cr->bytes;
        }
        // Credit is never more than what came in.
        check(credited <= fed);
    }

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
        if (r.next() % 64 == 0)
            c.submit_goaway();
        if (r.next() % 4 != 0)
            flush();
        pump();
    }
};

http::stream_id stream_of(unsigned selector) noexcept
{
    switch (selector & 0x0f) {
    case 0:
        return 2;
    case 1:
        return 6;
    case 2:
        return 10;
    case 3:
        return 14;
    default:
        return 4 * static_cast<http::stream_id>((selector & 0x0f) - 4);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    const std::uint8_t knob = data[0];
    http3::config cfg;
    // Small limits so the fuzzer reaches them.
    cfg.max_concurrent_streams = 1 + knob % 8;
    cfg.max_field_section_size = 256 + knob * 16u;
    cfg.qpack_max_table_capacity = knob & 0x10 ? 0 : 4096;
    cfg.qpack_blocked_streams = knob & 0x20 ? 0 : 4;
    cfg.enable_connect_protocol = (knob & 0x80) != 0;
    app a{knob * 2654435761u + 1u, cfg};
    ++data;
    --size;
    a.flush();
    a.pump();

    error_code failed;
    std::uint64_t events_at_failure = 0;
    while (size >= 2) {
        const unsigned selector = data[0];
        std::size_t len = std::min<std::size_t>(data[1], size - 2);
        data += 2;
        size -= 2;
        const auto stream = stream_of(selector);
        std::span<const std::byte> in{reinterpret_cast<const std::byte*>(data), len};
        a.fed += len;
        a.c.handle_stream_data(stream, in, (selector & 0x10) != 0);
        a.pump(); // data events point into `in`: taken before it moves on
        data += len;
        size -= len;
        if (selector & 0x20)
            a.c.handle_stream_reset(stream, 0x10c);
        if (selector & 0x40)
            a.c.handle_stop_sending(stream, 0x10c);
        if (selector & 0x80) {
            a.c.handle_stream_close(stream, 0x100);
            a.unacked.erase(stream);
            a.unread.erase(stream);
            std::erase(a.answering, stream);
            std::erase(a.blocked, stream);
        }
        a.act();
        // Bodies wait for acknowledgement, events for the application: with
        // both drained each step, a hostile peer gets little to hold.
        check(a.c.memory_usage() <= 4u * 1024 * 1024);
        if (failed) {
            // Failed stays failed, with the same code, and input yields nothing.
            check(a.c.error() == failed);
            check(a.events == events_at_failure);
        } else if (a.c.error()) {
            failed = a.c.error();
            events_at_failure = a.events;
        }
    }
    a.flush();
    a.pump();
    return static_cast<int>(a.sum & 0);
}
