// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// libFuzzer target for http1::connection. The first byte seeds how the rest is
// cut into pieces and how the application answers, so pipelining, pausing,
// 100-continue, upgrade and shrink_to_fit paths all run on arbitrary input.
// Built twice: STRATA_FUZZ_ROLE_SERVER=1 (requests in) and =0 (responses in).
#include <strata/http1/connection.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
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

/// Writes the output list: touches every byte so ASan sees a dangling buffer.
unsigned write_out(http1::connection& c)
{
    unsigned sum = 0;
    for (const auto& b : c.poll_output()) {
        const auto* p = static_cast<const unsigned char*>(b.data());
        for (std::size_t i = 0; i < b.size(); ++i)
            sum += p[i];
    }
    return sum;
}

void touch(std::span<const std::byte> s, unsigned& sum)
{
    for (std::byte b : s)
        sum += static_cast<unsigned>(b);
}

void touch(std::span<const http::field_view> fields, unsigned& sum)
{
    for (const auto& f : fields)
        sum += static_cast<unsigned>(f.name.size() + f.value.size()) +
               (f.name.empty() ? 0u : static_cast<unsigned char>(f.name[0]));
}

struct app {
    http1::connection c;
    rng r;
    std::deque<std::string> bodies; // alive until the next poll_output
    http::stream_id current = 0;
    bool upgrade_asked = false;
    bool expect = false;
    unsigned sum = 0;

    app(http1::role role, std::uint32_t seed, const http1::config& cfg) : c(role, cfg), r{seed} {}

    void flush()
    {
        sum += write_out(c);
        bodies.clear();
    }

    void answer()
    {
        error_code ec;
        if (upgrade_asked && r.next() % 2 == 0) {
            const http1::field f[] = {{"Connection", "Upgrade"}, {"Upgrade", "websocket"}};
            c.submit_headers(current, http1::response_head{101, {}, f}, false, ec);
            return;
        }
        const unsigned how = r.next() % 4;
        bodies.push_back(std::string(r.next() % 100, 'b'));
        const std::string& body = bodies.back();
        const std::span<const std::byte> b{reinterpret_cast<const std::byte*>(body.data()), body.size()};
        if (how == 0) {
            c.submit_headers(current, http1::response_head{204, {}, {}}, true, ec);
        } else if (how == 1) {
            const std::string len = std::to_string(body.size());
            const http1::field f[] = {{"Content-Length", len}};
            c.submit_headers(current, http1::response_head{200, {}, f}, false, ec);
            c.submit_data(current, b, true, ec);
        } else {
            c.submit_headers(current, http1::response_head{200, {}, {}}, false, ec);
            c.submit_data(current, b, false, ec);
            if (how == 2) {
                const http1::field t[] = {{"X-Trailer", "1"}};
                c.submit_trailers(current, t, ec);
            } else {
                c.submit_data(current, {}, true, ec);
            }
        }
    }

    void request()
    {
        if (c.current_state() != http1::state::idle && c.current_state() != http1::state::busy)
            return;
        static constexpr const char* methods[] = {"GET", "HEAD", "POST", "CONNECT"};
        const char* m = methods[r.next() % 4];
        const bool connect = m[0] == 'C';
        const bool up = r.next() % 4 == 0;
        const http1::field plain[] = {{"Host", "h"}};
        const http1::field upgrade[] = {{"Host", "h"}, {"Connection", "Upgrade"}, {"Upgrade", "websocket"}};
        error_code ec;
        c.submit_headers(c.next_stream_id(),
                         http1::request_head{m, connect ? "h:443" : "/",
                                             up ? std::span<const http1::field>(upgrade)
                                                : std::span<const http1::field>(plain),
                                             http::version::http1_1},
                         m[0] != 'P', ec);
        if (!ec && m[0] == 'P') {
            bodies.emplace_back("xyz");
            c.submit_data(c.next_stream_id() - 2,
                          {reinterpret_cast<const std::byte*>(bodies.back().data()), 3}, true, ec);
        }
    }

    /// Polls every event; the server answers each complete request.
    void pump(bool server)
    {
        bool failed_seen = false;
        while (auto ev = c.poll_event()) {
            check(!failed_seen);
            bool done = false;
            if (const auto* h = std::get_if<http::headers>(&*ev)) {
                current = h->stream;
                upgrade_asked = h->upgrade && h->method != "CONNECT";
                expect = h->expect_continue;
                touch(h->fields, sum);
                sum += static_cast<unsigned>(h->method.size() + h->target.size() + h->authority.size());
                done = h->end_stream;
                if (server && expect && !done && r.next() % 2 == 0) {
                    error_code ec;
                    c.submit_informational(current, 100, ec);
                    check(!ec);
                }
                if (server && h->content_length > 0 && r.next() % 8 == 0)
                    c.set_body_limit(r.next() % 64);
            } else if (const auto* d = std::get_if<http::data>(&*ev)) {
                check(d->stream == current || !server);
                touch(d->bytes, sum);
                done = d->end_stream;
            } else if (const auto* t = std::get_if<http::trailers>(&*ev)) {
                touch(t->fields, sum);
                done = true;
            } else if (const auto* i = std::get_if<http::informational>(&*ev)) {
                check(i->status >= 100 && i->status < 200);
                touch(i->fields, sum);
            } else if (const auto* u = std::get_if<http::upgrade>(&*ev)) {
                touch(u->trailing, sum);
                check(c.current_state() == http1::state::upgraded);
            }
            if (done && server)
                answer();
            if (done && !server && r.next() % 2 == 0)
                request();
            if (r.next() % 4 == 0)
                flush();
            failed_seen = c.current_state() == http1::state::failed;
        }
        if (c.current_state() == http1::state::failed)
            check(!c.poll_event() && c.error());
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    const bool server = STRATA_FUZZ_ROLE_SERVER != 0;
    http1::config cfg;
    // Small limits so the fuzzer reaches them.
    cfg.max_header_bytes = 512 + data[0] * 8u;
    cfg.max_field_count = 4 + data[0] % 16;
    cfg.max_target_bytes = 64 + data[0];
    cfg.max_body_bytes = 256 + data[0] * 16u;
    cfg.max_chunk_ext_bytes = 16 + data[0] % 64;
    cfg.read_buffer_bytes = 256;
    app a{server ? http1::role::server : http1::role::client, data[0] * 2654435761u + 1u, cfg};
    ++data;
    --size;
    if (!server)
        for (int i = 0; i < 3; ++i)
            a.request();
    while (size != 0) {
        std::size_t piece = 1 + a.r.next() % (a.r.next() % 2 ? 8 : 512);
        piece = std::min(piece, size);
        std::size_t taken = 0;
        if (a.r.next() % 2 == 0) {
            taken = a.c.handle_bytes({reinterpret_cast<const std::byte*>(data), piece});
        } else {
            const auto region = a.c.prepare(piece);
            taken = std::min(region.size(), piece);
            if (taken != 0)
                std::memcpy(region.data(), data, taken);
            a.c.commit(taken);
        }
        data += taken;
        size -= taken;
        a.pump(server);
        a.flush();
        if (a.r.next() % 16 == 0)
            a.c.shrink_to_fit();
        const auto st = a.c.current_state();
        if (st == http1::state::failed || st == http1::state::closed || st == http1::state::upgraded)
            break;
        if (taken == 0 && st != http1::state::paused)
            break;
        if (taken == 0) {
            // Paused with a full buffer: the application answers, then reading resumes.
            a.answer();
            a.flush();
            a.pump(server);
            if (a.c.current_state() == http1::state::paused)
                break;
        }
    }
    a.c.commit_eof();
    a.pump(server);
    a.flush();
    a.flush();
    a.c.shrink_to_fit();
    const auto st = a.c.current_state();
    if (st == http1::state::idle || st == http1::state::closed)
        check(a.c.memory_usage() == 0 || st == http1::state::closed);
    return static_cast<int>(a.sum & 0);
}
