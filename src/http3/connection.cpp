// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The HTTP/3 codec: nghttp3 callbacks turned into strata events. nghttp3
// owns framing, QPACK, the HTTP message checks and the stream states; this
// file owns what nghttp3 0.8 leaves to applications: body storage until the
// peer acknowledges it, flow-control credit, field-section limits, the
// stream-count backstop, and reading the peer's SETTINGS (0.8 reports none).

#include "../detail/stream_table.hpp"
#include "../http/field_lines.hpp"

#include <strata/error.hpp>
#include <strata/http3/connection.hpp>

#include <nghttp3/nghttp3.h>

// nghttp3 1.x renamed and reshaped much of this API (settings, callbacks,
// data readers); this file is written against 0.8 as Debian bookworm ships it.
#if !defined(NGHTTP3_VERSION_NUM) || NGHTTP3_VERSION_NUM < 0x000800 || NGHTTP3_VERSION_NUM >= 0x000900
#error                                                                                                       \
    "strata's HTTP/3 codec needs nghttp3 0.8.x (Debian bookworm's libnghttp3-dev); other versions differ in API"
#endif

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace strata::http3 {

using h3_error = error; // connection::error() hides the enum inside the class

namespace {

using http::detail::connection_specific;
using http::detail::lower;

std::string_view view(const nghttp3_rcbuf* b) noexcept
{
    auto v = nghttp3_rcbuf_get_buf(b);
    return {reinterpret_cast<const char*>(v.base), v.len};
}

/// RFC 9000 §2.1: the low two bits of a stream id say who opened it and
/// whether it is bidirectional.
constexpr bool client_bidi(http::stream_id id) noexcept
{
    return id >= 0 && (id & 3) == 0;
}
constexpr bool unidirectional(http::stream_id id) noexcept
{
    return (id & 2) != 0;
}

/// RFC 9114 §7.2.4.1, RFC 9220 §3.
constexpr std::uint64_t settings_enable_connect_protocol = 0x08;
/// RFC 9114 §6.2: unidirectional stream types strata watches.
constexpr std::uint64_t stream_type_control = 0x00;
constexpr std::uint64_t stream_type_qpack_encoder = 0x02;
constexpr std::uint64_t stream_type_qpack_decoder = 0x03;
constexpr std::uint64_t frame_type_settings = 0x04;

/// Streams the server refused (config::max_concurrent_streams) and still
/// ignores; the oldest are forgotten past this many.
constexpr std::size_t rejected_kept = 1024;
/// Spare buffers kept for the next header block or body chunk.
constexpr std::size_t spare_kept = 32;
constexpr std::size_t spare_chunk_bytes = 16 * 1024;

/// RFC 9000 §16 variable-length integer, read one byte at a time (the
/// peer's control stream may arrive a byte per packet).
struct varint_reader {
    std::uint64_t value = 0;
    std::uint8_t left = 0;
    bool started = false;

    /// True once the integer is complete; `value` holds it until the next feed.
    bool feed(std::uint8_t b) noexcept
    {
        if (!started) {
            started = true;
            left = static_cast<std::uint8_t>((1u << (b >> 6)) - 1);
            value = b & 0x3f;
        } else {
            value = value << 8 | b;
            --left;
        }
        if (left != 0)
            return false;
        started = false;
        return true;
    }
};

/// What strata reads itself of one of the peer's unidirectional streams:
/// its type, and on the control stream the first frame, which RFC 9114
/// §6.2.1 requires to be SETTINGS. nghttp3 still reads every byte.
struct uni_reader {
    enum stage : std::uint8_t { type, frame_type, frame_length, setting_id, setting_value, done };
    stage at = type;
    varint_reader v;
    std::uint64_t frame = 0;
    std::uint64_t left = 0; // SETTINGS payload bytes still to come
    std::uint64_t id = 0;
    std::uint8_t actions = 0; // stream_action kinds already queued (bits)
};

constexpr std::uint8_t action_bit(stream_action::kind_type k) noexcept
{
    return k == stream_action::reset_stream ? 1 : 2;
}

} // namespace

// ---- one queued event and the storage its views point into ---------------

struct queued_event {
    http::event ev;
    std::vector<char> text; // field names and values, or body bytes nghttp3 does not keep
    std::vector<http::field_view> fields;
};

/// A field section being decoded on one stream. Offsets, not views: `text`
/// may grow until the section ends.
struct header_block {
    struct ref {
        std::uint32_t at = 0, len = 0;
    };
    std::vector<char> text;
    std::vector<std::pair<ref, ref>> refs;
    ref method, path, scheme, authority, protocol, status;
    std::uint64_t bytes = 0;
    std::int64_t content_length = -1;
    bool expect_continue = false;
    bool too_large = false;
    bool trailers = false;

    void clear() noexcept
    {
        text.clear();
        refs.clear();
        method = path = scheme = authority = protocol = status = {};
        bytes = 0;
        content_length = -1;
        expect_continue = too_large = trailers = false;
    }
    ref append(std::string_view s)
    {
        ref r{static_cast<std::uint32_t>(text.size()), static_cast<std::uint32_t>(s.size())};
        text.insert(text.end(), s.begin(), s.end());
        return r;
    }
};

/// Body bytes we send on one stream. nghttp3 points into them until the peer
/// acknowledges them, so each chunk stays where it is until then.
struct outbound {
    std::vector<std::vector<std::byte>> chunks;
    std::size_t head = 0;        // first chunk not wholly acknowledged
    std::size_t handed = 0;      // chunks [head, handed) were given to nghttp3
    std::size_t front_acked = 0; // acknowledged bytes of chunks[head]
    std::size_t pending = 0;     // submitted, not acknowledged
    bool end = false;            // no more body after the chunks
    bool trailers = false;       // the body ends with trailer fields
    bool abandoned = false;      // our sending side was reset: nothing more goes out
    bool blocked = false;        // the data reader said "nothing yet"
    bool eof_given = false;      // read_body told nghttp3 the body ends (NGHTTP3_DATA_FLAG_EOF)

    void clear() noexcept
    {
        chunks.clear();
        head = handed = front_acked = pending = 0;
        end = trailers = abandoned = blocked = eof_given = false;
    }
};

struct stream_state {
    std::unique_ptr<header_block> block;
    std::unique_ptr<outbound> out;
    bool announced = false;      // the application knows the stream (request head seen, or ours)
    bool end_reported = false;   // an event with end_stream went out
    bool reset_reported = false; // a reset event went out, or the application reset it
    bool answered = false;       // server: the final response was submitted
    bool read_shut = false;      // we stopped reading (STOP_SENDING sent)
    bool in_nghttp3 = false;     // nghttp3 has seen the stream
    std::uint8_t actions = 0;    // stream_action kinds already queued (bits)
};

struct connection::impl {
    role r;
    config cfg;
    nghttp3_conn* conn = nullptr;
    error_code failed;
    h3_error pending_fail{}; // why a callback failed, when nghttp3 would only say "callback failure"
    bool bound = false;
    http::stream_id local_control = -1, local_encoder = -1, local_decoder = -1;

    // Events not yet polled: a vector used as a queue, emptied (storage
    // kept) whenever everything was polled.
    std::vector<queued_event> events;
    std::size_t events_head = 0;
    queued_event current; // the event last returned by poll_event

    std::vector<stream_action> actions;
    std::size_t actions_head = 0;
    std::vector<stream_credit> credits;
    std::size_t credits_head = 0;

    // Request streams open now, with everything we hold for them.
    detail::stream_table<stream_state> streams;
    detail::stream_table<std::uint8_t> rejected; // value: action bits
    std::uint64_t peer_streams_closed = 0;
    http::stream_id max_peer_stream = -1;

    // The peer's unidirectional streams, and what we read of its control stream.
    detail::stream_table<uni_reader> uni;
    http::stream_id peer_control = -1, peer_encoder = -1, peer_decoder = -1;
    bool settings_complete = false; // parsed; reported once nghttp3 accepted the bytes too
    bool settings_received = false;
    bool settings_bad = false;
    bool enable_connect_protocol = false;

    // GOAWAY (RFC 9114 §5.2).
    bool goaway_sent = false;
    bool goaway_received = false;
    bool shutdown_notice_sent = false;
    bool shutdown_sent = false;
    http::stream_id goaway_id = std::numeric_limits<http::stream_id>::max();

    // Work found inside callbacks, done once nghttp3 has returned.
    struct oversized {
        http::stream_id stream;
        bool trailers;
        bool fin;
    };
    std::vector<oversized> oversized_blocks;
    std::vector<http::stream_id> to_abandon;

    // The input being read: body events pointing elsewhere (into nghttp3's
    // buffer of a stream that waited for QPACK) must be copied.
    std::span<const std::byte> input;

    // The last poll_output(): what add_write_offset may report.
    std::vector<net::const_buffer> out_buffers;
    http::stream_id out_stream = -1;
    std::size_t out_left = 0;

    // Scratch for submit: names and values, then the nghttp3_nv array.
    http::detail::field_lines lines;
    std::vector<nghttp3_nv> nva;

    // Spares: storage of finished header blocks, events and bodies.
    std::vector<std::unique_ptr<header_block>> spare_blocks;
    std::vector<std::unique_ptr<outbound>> spare_out;
    std::vector<std::vector<std::byte>> spare_chunks;
    std::vector<std::vector<char>> spare_text;
    std::vector<std::vector<http::field_view>> spare_fields;

    impl(role ro, config c) : r(ro), cfg(c) {}
    ~impl()
    {
        if (conn)
            nghttp3_conn_del(conn);
    }

    bool server() const noexcept { return r == role::server; }
    bool peer_uni(http::stream_id id) const noexcept
    {
        return id >= 0 && unidirectional(id) && ((id & 1) == 0) == server();
    }
    bool critical(http::stream_id id) const noexcept
    {
        return id >= 0 && (id == local_control || id == local_encoder || id == local_decoder ||
                           id == peer_control || id == peer_encoder || id == peer_decoder);
    }

    void fail(h3_error code)
    {
        if (!failed)
            failed = make_error_code(code);
    }
    void fail_lib(nghttp3_ssize rv)
    {
        if (failed)
            return;
        if (rv == NGHTTP3_ERR_CALLBACK_FAILURE && pending_fail != h3_error{}) {
            fail(pending_fail);
            return;
        }
        fail(static_cast<h3_error>(nghttp3_err_infer_quic_app_error_code(static_cast<int>(rv))));
    }

    // ---- queues ------------------------------------------------------------

    queued_event& push_event()
    {
        auto& q = events.emplace_back();
        if (!spare_text.empty()) {
            q.text = std::move(spare_text.back());
            spare_text.pop_back();
        }
        return q;
    }
    void recycle(queued_event& q)
    {
        if (q.text.capacity() > 0 && spare_text.size() < spare_kept) {
            q.text.clear();
            spare_text.push_back(std::move(q.text));
        }
        if (q.fields.capacity() > 0 && spare_fields.size() < spare_kept) {
            q.fields.clear();
            spare_fields.push_back(std::move(q.fields));
        }
        q = queued_event{};
    }

    void credit(http::stream_id stream, std::size_t n)
    {
        if (n == 0)
            return;
        if (credits.size() > credits_head && credits.back().stream == stream)
            credits.back().bytes += n;
        else
            credits.push_back({stream, n});
    }

    void queue_action(http::stream_id stream, stream_action::kind_type kind, std::uint64_t code)
    {
        const auto bit = action_bit(kind);
        std::uint8_t* sent = nullptr;
        if (auto* st = streams.find(stream))
            sent = &st->actions;
        else if (auto* u = uni.find(stream))
            sent = &u->actions;
        else if (auto* rj = rejected.find(stream))
            sent = rj;
        if (sent) {
            if (*sent & bit)
                return;
            *sent |= bit;
        }
        stream_action a;
        a.stream = stream;
        a.kind = kind;
        a.code = code;
        actions.push_back(a);
    }

    void report_reset(http::stream_id stream, std::uint64_t code)
    {
        auto* st = streams.find(stream);
        if (!st || !st->announced || st->reset_reported)
            return;
        st->reset_reported = true;
        auto& q = push_event();
        q.ev = http::reset{stream, make_error_code(static_cast<h3_error>(code))};
    }

    // ---- spares ------------------------------------------------------------

    std::unique_ptr<header_block> take_block()
    {
        if (spare_blocks.empty())
            return std::make_unique<header_block>();
        auto b = std::move(spare_blocks.back());
        spare_blocks.pop_back();
        return b;
    }
    void give_block(std::unique_ptr<header_block> b)
    {
        if (!b || spare_blocks.size() >= spare_kept || b->text.capacity() > cfg.max_field_section_size)
            return;
        b->clear();
        spare_blocks.push_back(std::move(b));
    }
    std::unique_ptr<outbound> take_outbound()
    {
        if (spare_out.empty())
            return std::make_unique<outbound>();
        auto o = std::move(spare_out.back());
        spare_out.pop_back();
        return o;
    }
    void give_outbound(std::unique_ptr<outbound> o)
    {
        if (!o)
            return;
        for (auto i = o->head; i < o->chunks.size(); ++i)
            give_chunk(std::move(o->chunks[i]));
        o->clear();
        if (spare_out.size() < spare_kept)
            spare_out.push_back(std::move(o));
    }
    std::vector<std::byte> take_chunk()
    {
        if (spare_chunks.empty())
            return {};
        auto c = std::move(spare_chunks.back());
        spare_chunks.pop_back();
        return c;
    }
    void give_chunk(std::vector<std::byte>&& c)
    {
        if (c.capacity() == 0 || c.capacity() > spare_chunk_bytes || spare_chunks.size() >= spare_kept)
            return;
        c.clear();
        spare_chunks.push_back(std::move(c));
    }

    /// Our sending side of the stream is over: chunks nghttp3 never saw go
    /// at once; those it points at stay until the stream closes.
    void abandon(stream_state& st)
    {
        if (!st.out)
            return;
        auto& o = *st.out;
        o.abandoned = true;
        while (o.chunks.size() > std::max(o.handed, o.head)) {
            give_chunk(std::move(o.chunks.back()));
            o.chunks.pop_back();
        }
        o.pending = 0;
    }

    /// Gives back what an idle connection does not need.
    void trim_if_idle()
    {
        if (streams.size() != 0)
            return;
        spare_chunks.clear();
        spare_chunks.shrink_to_fit();
        spare_out.clear();
        spare_out.shrink_to_fit();
        if (spare_blocks.size() > 2)
            spare_blocks.resize(2);
        streams.shrink_to_fit();
        if (events_head == events.size() && events.capacity() > 16) {
            events.clear();
            events.shrink_to_fit();
            events_head = 0;
        }
        if (actions_head == actions.size() && actions.capacity() > 16) {
            actions.clear();
            actions.shrink_to_fit();
            actions_head = 0;
        }
        if (credits_head == credits.size() && credits.capacity() > 16) {
            credits.clear();
            credits.shrink_to_fit();
            credits_head = 0;
        }
    }

    // ---- callbacks ---------------------------------------------------------

    static impl& self(void* p) { return *static_cast<impl*>(p); }

    /// Runs a callback body; nothing may be thrown across nghttp3.
    template <class F>
    static int guarded(void* user, F&& f) noexcept
    {
        try {
            return f(self(user));
        } catch (...) {
            self(user).pending_fail = h3_error::internal_error;
            return NGHTTP3_ERR_CALLBACK_FAILURE;
        }
    }

    static int on_acked_stream_data(nghttp3_conn*, std::int64_t stream, std::uint64_t n, void* user, void*)
    {
        return guarded(user, [&](impl& s) {
            auto* st = s.streams.find(stream);
            if (!st || !st->out)
                return 0;
            auto& o = *st->out;
            while (n > 0 && o.head < o.handed) {
                auto& c = o.chunks[o.head];
                auto take = static_cast<std::size_t>(std::min<std::uint64_t>(n, c.size() - o.front_acked));
                o.front_acked += take;
                o.pending -= std::min(o.pending, take);
                n -= take;
                if (o.front_acked == c.size()) {
                    s.give_chunk(std::move(c));
                    c = {};
                    ++o.head;
                    o.front_acked = 0;
                }
            }
            if (o.head == o.chunks.size()) {
                o.chunks.clear();
                o.head = o.handed = 0;
            } else if (o.head >= 32 && 2 * o.head >= o.chunks.size()) {
                // A long streamed body: drop the emptied slots (the chunks
                // still referenced move as vectors; their bytes stay put).
                o.chunks.erase(o.chunks.begin(), o.chunks.begin() + static_cast<std::ptrdiff_t>(o.head));
                o.handed -= o.head;
                o.head = 0;
            }
            // All sent and acknowledged: the body's storage is not needed.
            // Not before nghttp3 was told the body ends, though: a body
            // ended (submit_data with end_stream, submit_trailers) after its
            // last bytes were handed out and before nghttp3 asked again must
            // keep its outbound until read_body reports EOF, or read_body
            // finds none, says "would block" for good, and the stream's FIN
            // (or its trailers) is never sent.
            if (o.end && o.eof_given && o.chunks.empty())
                s.give_outbound(std::move(st->out));
            return 0;
        });
    }

    static int on_stream_close(nghttp3_conn*, std::int64_t stream, std::uint64_t code, void* user, void*)
    {
        return guarded(user, [&](impl& s) {
            s.forget(stream, code);
            return 0;
        });
    }

    void forget(http::stream_id stream, std::uint64_t code)
    {
        auto* st = streams.find(stream);
        if (!st)
            return;
        // QUIC closed a stream whose message never ended, that nobody reset
        // or stopped reading, with an error code (0: QUIC gave none).
        if (!st->end_reported && !st->read_shut && code != 0 &&
            code != static_cast<std::uint64_t>(h3_error::no_error))
            report_reset(stream, code);
        give_block(std::move(st->block));
        give_outbound(std::move(st->out));
        streams.erase(stream);
        if (server() && client_bidi(stream)) {
            // QUIC lets the client open one more stream for each one closed.
            ++peer_streams_closed;
            nghttp3_conn_set_max_client_streams_bidi(conn, cfg.max_concurrent_streams + peer_streams_closed);
        }
    }

    static int on_recv_data(nghttp3_conn*, std::int64_t stream, const std::uint8_t* data, std::size_t len,
                            void* user, void*)
    {
        return guarded(user, [&](impl& s) {
            auto* st = s.streams.find(stream);
            if (!st || !st->announced || st->read_shut || st->reset_reported) {
                // Nobody will read these bytes: their credit goes back now.
                s.credit(stream, len);
                return 0;
            }
            auto* p = reinterpret_cast<const std::byte*>(data);
            auto& q = s.push_event();
            std::less<const std::byte*> before;
            bool in_input = !s.input.empty() && !before(p, s.input.data()) &&
                            !before(s.input.data() + s.input.size(), p + len);
            if (in_input) {
                q.ev = http::data{stream, {p, len}, false};
            } else {
                // Bytes of a stream that waited for QPACK instructions live in
                // nghttp3's buffer, freed as soon as this call returns.
                q.text.assign(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + len);
                q.ev = http::data{stream, {reinterpret_cast<const std::byte*>(q.text.data()), len}, false};
            }
            return 0;
        });
    }

    static int on_deferred_consume(nghttp3_conn*, std::int64_t stream, std::size_t n, void* user, void*)
    {
        return guarded(user, [&](impl& s) {
            s.credit(stream, n);
            return 0;
        });
    }

    static int on_begin_headers(nghttp3_conn*, std::int64_t stream, void* user, void*)
    {
        return guarded(user, [&](impl& s) { return s.begin_block(stream, false); });
    }
    static int on_begin_trailers(nghttp3_conn*, std::int64_t stream, void* user, void*)
    {
        return guarded(user, [&](impl& s) { return s.begin_block(stream, true); });
    }
    int begin_block(http::stream_id stream, bool trailers)
    {
        auto* st = streams.find(stream);
        if (!st)
            return 0;
        if (!st->block)
            st->block = take_block();
        st->block->clear();
        st->block->trailers = trailers;
        return 0;
    }

    static int on_recv_header(nghttp3_conn*, std::int64_t stream, std::int32_t, nghttp3_rcbuf* name,
                              nghttp3_rcbuf* value, std::uint8_t, void* user, void*)
    {
        return guarded(user, [&](impl& s) { return s.add_field(stream, view(name), view(value)); });
    }
    int add_field(http::stream_id stream, std::string_view n, std::string_view v)
    {
        auto* st = streams.find(stream);
        if (!st || !st->block)
            return 0;
        auto& b = *st->block;
        // RFC 9114 §4.2.2: name + value + 32 per field.
        b.bytes += n.size() + v.size() + 32;
        if (b.bytes > cfg.max_field_section_size) {
            // Far past the limit (a QPACK decompression bomb, say) the peer
            // is not confused but hostile.
            if (b.bytes / 4 > cfg.max_field_section_size) {
                pending_fail = h3_error::excessive_load;
                return NGHTTP3_ERR_CALLBACK_FAILURE;
            }
            b.too_large = true;
            b.text.clear();
            b.refs.clear();
            return 0;
        }
        if (b.too_large)
            return 0;
        auto nr = b.append(n);
        auto vr = b.append(v);
        if (!n.empty() && n[0] == ':') {
            if (n == ":method")
                b.method = vr;
            else if (n == ":path")
                b.path = vr;
            else if (n == ":scheme")
                b.scheme = vr;
            else if (n == ":authority")
                b.authority = vr;
            else if (n == ":protocol")
                b.protocol = vr;
            else if (n == ":status")
                b.status = vr;
            return 0;
        }
        if (n == "content-length") {
            std::int64_t len = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), len);
            if (ec == std::errc{} && p == v.data() + v.size())
                b.content_length = len;
        } else if (n == "expect" && v.size() == 12) {
            bool is = true;
            for (std::size_t i = 0; i < 12; ++i)
                is = is && lower(v[i]) == "100-continue"[i];
            b.expect_continue = is;
        }
        b.refs.emplace_back(nr, vr);
        return 0;
    }

    static int on_end_headers(nghttp3_conn*, std::int64_t stream, int fin, void* user, void*)
    {
        return guarded(user, [&](impl& s) { return s.end_block(stream, fin != 0); });
    }
    int end_block(http::stream_id stream, bool fin)
    {
        auto* st = streams.find(stream);
        if (!st || !st->block)
            return 0;
        auto& b = *st->block;
        if (b.too_large) {
            if (!server() || b.trailers) {
                // The message is lost: say so now, before any body of it
                // arriving in this same read is reported.
                report_reset(stream, static_cast<std::uint64_t>(h3_error::excessive_load));
                st->reset_reported = true;
                st->read_shut = true;
            }
            oversized_blocks.push_back({stream, b.trailers, fin});
            give_block(std::move(st->block));
            return 0;
        }
        auto& q = push_event();
        q.text.swap(b.text); // the event keeps the bytes; the block gets the spare
        if (!spare_fields.empty()) {
            q.fields = std::move(spare_fields.back());
            spare_fields.pop_back();
        }
        const char* base = q.text.data();
        auto sv = [base](header_block::ref r) { return std::string_view{base + r.at, r.len}; };
        q.fields.reserve(b.refs.size());
        for (auto [n, v] : b.refs)
            q.fields.push_back({sv(n), sv(v)});

        unsigned status = 0;
        if (b.status.len != 0) {
            auto st_text = sv(b.status);
            std::from_chars(st_text.data(), st_text.data() + st_text.size(), status);
        }
        if (b.trailers) {
            q.ev = http::trailers{stream, q.fields};
            st->end_reported = true;
        } else if (!server() && status >= 100 && status < 200) {
            q.ev = http::informational{stream, status, q.fields};
        } else {
            http::headers h;
            h.stream = stream;
            h.ver = http::version::http3;
            h.method = sv(b.method);
            h.target = sv(b.path);
            h.scheme = sv(b.scheme);
            h.authority = sv(b.authority);
            h.protocol = sv(b.protocol);
            h.status = status;
            h.end_stream = fin;
            h.expect_continue = b.expect_continue;
            h.upgrade = b.protocol.len != 0;
            h.content_length = b.content_length;
            // CONNECT (plain) has no path: its target is the authority.
            if (h.method == "CONNECT" && h.target.empty())
                h.target = h.authority;
            h.fields = q.fields;
            q.ev = h;
            st->announced = true;
            st->end_reported = fin;
        }
        give_block(std::move(st->block));
        return 0;
    }

    static int on_end_stream(nghttp3_conn*, std::int64_t stream, void* user, void*)
    {
        return guarded(user, [&](impl& s) {
            auto* st = s.streams.find(stream);
            if (!st || !st->announced || st->end_reported || st->reset_reported)
                return 0;
            st->end_reported = true;
            // Mark the body's last piece when it is still queued.
            if (s.events.size() > s.events_head) {
                if (auto* d = std::get_if<http::data>(&s.events.back().ev); d && d->stream == stream) {
                    d->end_stream = true;
                    return 0;
                }
            }
            auto& q = s.push_event();
            q.ev = http::data{stream, {}, true};
            return 0;
        });
    }

    static int on_stop_sending(nghttp3_conn*, std::int64_t stream, std::uint64_t code, void* user, void*)
    {
        return guarded(user, [&](impl& s) {
            s.queue_action(stream, stream_action::stop_sending, code);
            if (auto* st = s.streams.find(stream))
                st->read_shut = true;
            return 0;
        });
    }

    static int on_reset_stream(nghttp3_conn*, std::int64_t stream, std::uint64_t code, void* user, void*)
    {
        return guarded(user, [&](impl& s) {
            s.queue_action(stream, stream_action::reset_stream, code);
            s.report_reset(stream, code);
            if (auto* st = s.streams.find(stream))
                st->reset_reported = true; // the application may not answer it any more
            s.to_abandon.push_back(stream);
            return 0;
        });
    }

    static int on_shutdown(nghttp3_conn*, std::int64_t id, void* user)
    {
        return guarded(user, [&](impl& s) {
            s.goaway_received = true;
            http::stream_id last = -1;
            if (s.server()) {
                // A client's GOAWAY carries a push id, meaningless to us: the
                // requests it already sent are the ones still to answer.
                last = s.max_peer_stream;
            } else {
                // RFC 9114 §5.2: streams from `id` on were not processed.
                s.goaway_id = std::min(s.goaway_id, id);
                last = id >= 4 ? id - 4 : -1;
            }
            auto& q = s.push_event();
            q.ev = http::goaway{last, make_error_code(h3_error::no_error)};
            return 0;
        });
    }

    static nghttp3_ssize read_body(nghttp3_conn*, std::int64_t stream, nghttp3_vec* vec, std::size_t veccnt,
                                   std::uint32_t* flags, void* user, void*)
    {
        auto& s = self(user);
        auto* st = s.streams.find(stream);
        if (!st || !st->out || st->out->abandoned)
            return NGHTTP3_ERR_WOULDBLOCK; // never asked again: the stream is shut for writing
        auto& o = *st->out;
        std::size_t n = 0;
        for (; n < veccnt && o.handed < o.chunks.size(); ++n, ++o.handed) {
            auto& c = o.chunks[o.handed];
            vec[n].base = reinterpret_cast<std::uint8_t*>(c.data());
            vec[n].len = c.size();
        }
        if (o.handed == o.chunks.size() && o.end) {
            o.eof_given = true;
            *flags |= NGHTTP3_DATA_FLAG_EOF;
            if (o.trailers)
                *flags |= NGHTTP3_DATA_FLAG_NO_END_STREAM;
        } else if (n == 0) {
            o.blocked = true;
            return NGHTTP3_ERR_WOULDBLOCK;
        }
        return static_cast<nghttp3_ssize>(n);
    }

    // ---- after nghttp3 returns -------------------------------------------

    void after_callbacks()
    {
        for (std::size_t i = 0; i < oversized_blocks.size(); ++i) {
            auto o = oversized_blocks[i];
            auto* st = streams.find(o.stream);
            if (!st)
                continue;
            if (server() && !o.trailers && !st->answered && !st->reset_reported) {
                // RFC 9114 §4.2.2 leaves the answer to us: 431, and the rest
                // of the request is not wanted.
                st->answered = true;
                static const char status_name[] = ":status";
                static const char status_value[] = "431";
                nghttp3_nv nv{};
                nv.name = reinterpret_cast<std::uint8_t*>(const_cast<char*>(status_name));
                nv.value = reinterpret_cast<std::uint8_t*>(const_cast<char*>(status_value));
                nv.namelen = 7;
                nv.valuelen = 3;
                nv.flags = NGHTTP3_NV_FLAG_NONE;
                if (bound)
                    nghttp3_conn_submit_response(conn, o.stream, &nv, 1, nullptr);
                if (!o.fin)
                    stop_reading(o.stream, *st);
            } else {
                queue_action(o.stream, stream_action::stop_sending,
                             static_cast<std::uint64_t>(h3_error::excessive_load));
                queue_action(o.stream, stream_action::reset_stream,
                             static_cast<std::uint64_t>(h3_error::excessive_load));
                nghttp3_conn_shutdown_stream_read(conn, o.stream);
                to_abandon.push_back(o.stream);
            }
        }
        oversized_blocks.clear();
        for (auto id : to_abandon) {
            nghttp3_conn_shutdown_stream_write(conn, id);
            if (auto* st = streams.find(id))
                abandon(*st);
        }
        to_abandon.clear();
        if (settings_bad) {
            fail(h3_error::settings_error);
        } else if (settings_complete && !settings_received) {
            settings_received = true;
            http::settings st;
            // HTTP/3 has no stream-count setting: QUIC's MAX_STREAMS says it.
            st.max_concurrent_streams = 0;
            st.enable_connect_protocol = enable_connect_protocol;
            auto& q = push_event();
            q.ev = st;
        }
    }

    void stop_reading(http::stream_id id, stream_state& st)
    {
        if (st.read_shut)
            return;
        st.read_shut = true;
        queue_action(id, stream_action::stop_sending, static_cast<std::uint64_t>(h3_error::no_error));
        if (st.in_nghttp3) {
            auto rv = nghttp3_conn_shutdown_stream_read(conn, id);
            if (rv != 0 && nghttp3_err_is_fatal(rv))
                fail_lib(rv);
        }
    }

    // ---- the peer's unidirectional streams --------------------------------

    void read_uni(http::stream_id stream, std::span<const std::byte> in)
    {
        if (in.empty())
            return;
        auto* u = uni.find(stream);
        if (!u)
            u = &uni[stream];
        for (auto b : in) {
            auto byte = static_cast<std::uint8_t>(b);
            switch (u->at) {
            case uni_reader::type:
                if (!u->v.feed(byte))
                    break;
                u->at = uni_reader::done;
                if (u->v.value == stream_type_control && peer_control < 0) {
                    peer_control = stream;
                    u->at = uni_reader::frame_type;
                } else if (u->v.value == stream_type_qpack_encoder && peer_encoder < 0) {
                    peer_encoder = stream;
                } else if (u->v.value == stream_type_qpack_decoder && peer_decoder < 0) {
                    peer_decoder = stream;
                }
                break;
            case uni_reader::frame_type:
                if (u->v.feed(byte)) {
                    u->frame = u->v.value;
                    u->at = uni_reader::frame_length;
                }
                break;
            case uni_reader::frame_length:
                if (!u->v.feed(byte))
                    break;
                // Not SETTINGS: nghttp3 ends the connection (H3_MISSING_SETTINGS).
                if (u->frame != frame_type_settings) {
                    u->at = uni_reader::done;
                    break;
                }
                u->left = u->v.value;
                u->at = uni_reader::setting_id;
                if (u->left == 0)
                    end_settings(*u);
                break;
            case uni_reader::setting_id:
                --u->left;
                if (u->v.feed(byte)) {
                    u->id = u->v.value;
                    u->at = uni_reader::setting_value;
                }
                if (u->left == 0 && u->at != uni_reader::done)
                    u->at = uni_reader::done; // truncated: nghttp3 says H3_FRAME_ERROR
                break;
            case uni_reader::setting_value:
                --u->left;
                if (u->v.feed(byte)) {
                    setting(u->id, u->v.value);
                    u->at = uni_reader::setting_id;
                    if (u->left == 0)
                        end_settings(*u);
                } else if (u->left == 0) {
                    u->at = uni_reader::done;
                }
                break;
            case uni_reader::done:
                return;
            }
        }
    }
    void setting(std::uint64_t id, std::uint64_t value)
    {
        if (id != settings_enable_connect_protocol)
            return;
        // RFC 9220 §3: 0 or 1, anything else is H3_SETTINGS_ERROR.
        if (value > 1)
            settings_bad = true;
        enable_connect_protocol = value == 1;
    }
    void end_settings(uni_reader& u)
    {
        u.at = uni_reader::done;
        settings_complete = true;
    }

    // ---- submit helpers ----------------------------------------------------

    void begin_nv()
    {
        nva.clear();
        lines.clear();
    }
    void add_nv(std::string_view name, std::string_view value, bool lowercase)
    {
        lines.add(name, value, lowercase);
    }
    void add_fields(std::span<const http::field_view> fields) { lines.add_fields(fields); }
    void seal_nv()
    {
        nva.clear();
        lines.seal([&](std::uint8_t* name, std::size_t name_len, std::uint8_t* value, std::size_t value_len) {
            nghttp3_nv nv{};
            nv.name = name;
            nv.value = value;
            nv.namelen = name_len;
            nv.valuelen = value_len;
            nv.flags = NGHTTP3_NV_FLAG_NONE;
            nva.push_back(nv);
        });
    }

    static nghttp3_data_reader reader() noexcept
    {
        nghttp3_data_reader dr{};
        dr.read_data = &impl::read_body;
        return dr;
    }

    /// The body of `stream` still open for sending, or null with `ec` set.
    outbound* open_body(http::stream_id stream, error_code& ec)
    {
        ec = {};
        if (failed) {
            ec = failed;
            return nullptr;
        }
        auto* st = streams.find(stream);
        if (!st || !st->out || st->out->end || st->out->abandoned || st->reset_reported) {
            ec = make_error_code(strata::error::stream_closed);
            return nullptr;
        }
        return st->out.get();
    }

    /// nghttp3 asked for data and got none: it asks again only when told.
    void resume(http::stream_id stream, outbound& o)
    {
        o.blocked = false;
        auto rv = nghttp3_conn_resume_stream(conn, stream);
        if (rv != 0)
            fail_lib(rv);
    }

    void final_goaway()
    {
        if (shutdown_sent)
            return;
        shutdown_sent = true;
        auto rv = nghttp3_conn_shutdown(conn);
        if (rv != 0)
            fail_lib(rv);
    }
};

// ---- construction ---------------------------------------------------------

connection::connection(role r, config cfg) : impl_(std::make_unique<impl>(r, cfg))
{
    auto& s = *impl_;
    nghttp3_callbacks cb{};
    cb.acked_stream_data = &impl::on_acked_stream_data;
    cb.stream_close = &impl::on_stream_close;
    cb.recv_data = &impl::on_recv_data;
    cb.deferred_consume = &impl::on_deferred_consume;
    cb.begin_headers = &impl::on_begin_headers;
    cb.recv_header = &impl::on_recv_header;
    cb.end_headers = &impl::on_end_headers;
    cb.begin_trailers = &impl::on_begin_trailers;
    cb.recv_trailer = &impl::on_recv_header;
    cb.end_trailers = &impl::on_end_headers;
    cb.stop_sending = &impl::on_stop_sending;
    cb.end_stream = &impl::on_end_stream;
    cb.reset_stream = &impl::on_reset_stream;
    cb.shutdown = &impl::on_shutdown;

    nghttp3_settings settings;
    nghttp3_settings_default(&settings);
    settings.max_field_section_size = cfg.max_field_section_size;
    settings.qpack_max_dtable_capacity = cfg.qpack_max_table_capacity;
    settings.qpack_encoder_max_dtable_capacity = cfg.qpack_encoder_max_table_capacity;
    settings.qpack_blocked_streams = cfg.qpack_blocked_streams;
    settings.enable_connect_protocol = r == role::server && cfg.enable_connect_protocol ? 1 : 0;

    int rv = r == role::server ? nghttp3_conn_server_new(&s.conn, &cb, &settings, nullptr, &s)
                               : nghttp3_conn_client_new(&s.conn, &cb, &settings, nullptr, &s);
    if (rv != 0) {
        s.conn = nullptr;
        s.fail(h3_error::internal_error);
        return;
    }
    if (r == role::server) {
        // PRIORITY_UPDATE may name streams up to QUIC's cumulative limit:
        // the concurrent limit plus one per stream closed (forget()).
        nghttp3_conn_set_max_client_streams_bidi(s.conn, cfg.max_concurrent_streams);
        nghttp3_conn_set_max_concurrent_streams(s.conn, cfg.max_concurrent_streams);
    }
    s.out_buffers.reserve(16);
}

connection::~connection() = default;
connection::connection(connection&& o) noexcept = default;
connection& connection::operator=(connection&& o) noexcept = default;

void connection::bind_local_streams(http::stream_id control, http::stream_id qpack_encoder,
                                    http::stream_id qpack_decoder, error_code& ec)
{
    auto& s = *impl_;
    ec = {};
    if (s.failed) {
        ec = s.failed;
        return;
    }
    // Ours: unidirectional, opened by this side (RFC 9000 §2.1), distinct.
    auto ours = [&](http::stream_id id) {
        return id >= 0 && unidirectional(id) && ((id & 1) == 1) == s.server();
    };
    if (s.bound || !ours(control) || !ours(qpack_encoder) || !ours(qpack_decoder) ||
        control == qpack_encoder || control == qpack_decoder || qpack_encoder == qpack_decoder) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return;
    }
    int rv = nghttp3_conn_bind_control_stream(s.conn, control);
    if (rv == 0)
        rv = nghttp3_conn_bind_qpack_streams(s.conn, qpack_encoder, qpack_decoder);
    if (rv != 0) {
        s.fail_lib(rv);
        ec = s.failed;
        return;
    }
    s.bound = true;
    s.local_control = control;
    s.local_encoder = qpack_encoder;
    s.local_decoder = qpack_decoder;
}

// ---- input ------------------------------------------------------------------

void connection::handle_stream_data(http::stream_id stream, std::span<const std::byte> in, bool fin)
{
    auto& s = *impl_;
    if (s.failed || stream < 0)
        return;
    // QUIC delivers nothing on our own unidirectional streams, nor (to a
    // server) on bidirectional streams a server opens; nghttp3 assumes so.
    if (unidirectional(stream) ? !s.peer_uni(stream) : (s.server() && !client_bidi(stream)))
        return;
    stream_state* st = nullptr;
    if (client_bidi(stream)) {
        st = s.streams.find(stream);
        if (s.server()) {
            if (s.rejected.find(stream)) {
                s.credit(stream, in.size());
                return;
            }
            if (!st) {
                if (in.empty() && !fin)
                    return;
                // The backstop behind QUIC's stream limit.
                if (s.streams.size() >= s.cfg.max_concurrent_streams) {
                    if (s.rejected.size() >= rejected_kept)
                        s.rejected.erase(s.rejected.begin()->first);
                    s.rejected[stream] = 0;
                    s.queue_action(stream, stream_action::reset_stream,
                                   static_cast<std::uint64_t>(h3_error::request_rejected));
                    s.queue_action(stream, stream_action::stop_sending,
                                   static_cast<std::uint64_t>(h3_error::request_rejected));
                    s.credit(stream, in.size());
                    return;
                }
                st = &s.streams[stream];
                s.max_peer_stream = std::max(s.max_peer_stream, stream);
            }
        }
        if (st)
            st->in_nghttp3 = true;
    } else if (s.peer_uni(stream)) {
        s.read_uni(stream, in);
    }
    s.input = in;
    auto n = nghttp3_conn_read_stream(s.conn, stream, reinterpret_cast<const std::uint8_t*>(in.data()),
                                      in.size(), fin ? 1 : 0);
    s.input = {};
    if (n < 0) {
        s.fail_lib(n);
        return;
    }
    s.credit(stream, static_cast<std::size_t>(n));
    s.after_callbacks();
}

void connection::handle_stream_reset(http::stream_id stream, std::uint64_t app_error)
{
    auto& s = *impl_;
    if (s.failed)
        return;
    // RFC 9114 §6.2.1, RFC 9204 §4.2: these streams never end.
    if (s.critical(stream)) {
        s.fail(h3_error::closed_critical_stream);
        return;
    }
    if (!client_bidi(stream))
        return;
    auto* st = s.streams.find(stream);
    if (!st)
        return;
    s.report_reset(stream, app_error);
    st->reset_reported = true;
    st->read_shut = true;
    if (st->in_nghttp3) {
        auto rv = nghttp3_conn_shutdown_stream_read(s.conn, stream);
        if (rv != 0 && nghttp3_err_is_fatal(rv))
            s.fail_lib(rv);
    }
}

void connection::handle_stop_sending(http::stream_id stream, std::uint64_t app_error)
{
    auto& s = *impl_;
    if (s.failed)
        return;
    if (s.critical(stream)) {
        s.fail(h3_error::closed_critical_stream);
        return;
    }
    auto* st = s.streams.find(stream);
    if (!st)
        return;
    // RFC 9000 §3.5: STOP_SENDING is answered with RESET_STREAM.
    s.queue_action(stream, stream_action::reset_stream, app_error);
    // RFC 9114 §4.1: H3_NO_ERROR asks only that the request body stop; the
    // response still comes. Any other code cancels the exchange.
    if (app_error != static_cast<std::uint64_t>(h3_error::no_error))
        s.report_reset(stream, app_error);
    nghttp3_conn_shutdown_stream_write(s.conn, stream);
    s.abandon(*st);
}

void connection::handle_stream_close(http::stream_id stream, std::uint64_t app_error)
{
    auto& s = *impl_;
    if (s.failed)
        return;
    if (s.critical(stream)) {
        s.fail(h3_error::closed_critical_stream);
        return;
    }
    if (s.rejected.erase(stream)) {
        ++s.peer_streams_closed;
        nghttp3_conn_set_max_client_streams_bidi(s.conn,
                                                 s.cfg.max_concurrent_streams + s.peer_streams_closed);
    }
    if (auto* u = s.uni.find(stream); u && u->at == uni_reader::type && u->v.started) {
        // RFC 9114 §6.2: a stream may end before its type is complete. nghttp3
        // 0.8 takes such a stream for a control stream and refuses to close
        // it; finishing the type with a value no one defines (>= 0xff, as the
        // last byte is 0xff) lets it go like any stream of unknown type.
        const std::uint8_t filler[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        u->actions = 3; // nghttp3 would ask for STOP_SENDING on a stream already gone
        auto rv = nghttp3_conn_read_stream(s.conn, stream, filler, u->v.left, 0);
        if (rv < 0) {
            s.fail_lib(rv);
            return;
        }
    }
    s.uni.erase(stream);
    auto rv = nghttp3_conn_close_stream(s.conn, stream, app_error);
    if (rv != 0 && rv != NGHTTP3_ERR_STREAM_NOT_FOUND) {
        s.fail_lib(rv);
        return;
    }
    // nghttp3 keeps a stream that waits for QPACK instructions; QUIC is
    // done with it, and so are we.
    s.forget(stream, app_error);
    s.after_callbacks();
    if (s.server() && s.shutdown_notice_sent && s.streams.size() == 0)
        s.final_goaway();
    s.trim_if_idle();
}

std::optional<http::event> connection::poll_event()
{
    auto& s = *impl_;
    s.recycle(s.current);
    if (s.events_head == s.events.size()) {
        s.events.clear();
        s.events_head = 0;
        return std::nullopt;
    }
    s.current = std::move(s.events[s.events_head++]);
    // Moving the vectors kept their buffers: the views still hold.
    return s.current.ev;
}

// ---- commands -----------------------------------------------------------------

void connection::submit_headers(http::stream_id stream, const request_head& head, bool end_stream,
                                error_code& ec)
{
    auto& s = *impl_;
    ec = {};
    if (s.failed) {
        ec = s.failed;
        return;
    }
    if (s.server() || !s.bound || !client_bidi(stream) || s.streams.find(stream)) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return;
    }
    if (s.goaway_received) {
        ec = make_error_code(h3_error::request_rejected);
        return;
    }
    // RFC 9220 §3: :protocol only once the server said it understands it.
    if (!head.protocol.empty() && !s.enable_connect_protocol) {
        ec = make_error_code(strata::error::unsupported);
        return;
    }
    s.begin_nv();
    s.add_nv(":method", head.method, false);
    bool connect = head.method == "CONNECT";
    if (!connect || !head.protocol.empty()) {
        s.add_nv(":scheme", head.scheme, false);
        s.add_nv(":path", head.path.empty() ? std::string_view{"/"} : head.path, false);
    }
    s.add_nv(":authority", head.authority, false);
    if (!head.protocol.empty())
        s.add_nv(":protocol", head.protocol, false);
    s.add_fields(head.fields);
    s.seal_nv();
    auto& st = s.streams[stream];
    st.announced = true;
    st.in_nghttp3 = true;
    if (!end_stream)
        st.out = s.take_outbound();
    auto dr = impl::reader();
    int rv = nghttp3_conn_submit_request(s.conn, stream, s.nva.data(), s.nva.size(),
                                         end_stream ? nullptr : &dr, nullptr);
    if (rv != 0) {
        s.give_outbound(std::move(st.out));
        s.streams.erase(stream);
        if (nghttp3_err_is_fatal(rv)) {
            s.fail_lib(rv);
            ec = s.failed;
        } else {
            ec = rv == NGHTTP3_ERR_CONN_CLOSING ? make_error_code(h3_error::request_rejected)
                                                : make_error_code(boost::system::errc::invalid_argument);
        }
    }
}

void connection::submit_headers(http::stream_id stream, const response_head& head, bool end_stream,
                                error_code& ec)
{
    auto& s = *impl_;
    ec = {};
    if (s.failed) {
        ec = s.failed;
        return;
    }
    // RFC 9114 §4.5: no 101 in HTTP/3.
    if (!s.server() || !s.bound || head.status < 100 || head.status > 999 || head.status == 101) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return;
    }
    auto* st = s.streams.find(stream);
    if (!st || !st->announced || st->answered || st->reset_reported) {
        ec = make_error_code(strata::error::stream_closed);
        return;
    }
    char digits[4];
    auto [e, _] = std::to_chars(digits, digits + 3, head.status);
    s.begin_nv();
    s.add_nv(":status", {digits, static_cast<std::size_t>(e - digits)}, false);
    s.add_fields(head.fields);
    s.seal_nv();
    int rv = 0;
    if (head.status < 200) {
        rv = nghttp3_conn_submit_info(s.conn, stream, s.nva.data(), s.nva.size());
    } else {
        st->answered = true;
        if (!end_stream)
            st->out = s.take_outbound();
        auto dr = impl::reader();
        rv = nghttp3_conn_submit_response(s.conn, stream, s.nva.data(), s.nva.size(),
                                          end_stream ? nullptr : &dr);
        if (rv != 0)
            s.give_outbound(std::move(st->out));
    }
    if (rv != 0) {
        if (nghttp3_err_is_fatal(rv)) {
            s.fail_lib(rv);
            ec = s.failed;
        } else {
            ec = make_error_code(strata::error::stream_closed);
        }
    }
}

void connection::submit_data(http::stream_id stream, std::span<const std::byte> bytes, bool end_stream,
                             error_code& ec)
{
    auto& s = *impl_;
    auto* found = s.open_body(stream, ec);
    if (!found)
        return;
    auto& o = *found;
    if (!bytes.empty()) {
        // Append to the last chunk while nghttp3 has not seen it (it may
        // move); otherwise start a new one that stays put until acknowledged.
        if (o.handed == o.chunks.size())
            o.chunks.push_back(s.take_chunk());
        auto& c = o.chunks.back();
        c.insert(c.end(), bytes.begin(), bytes.end());
        o.pending += bytes.size();
    }
    o.end = end_stream;
    if (!bytes.empty() || end_stream)
        s.resume(stream, o);
}

void connection::submit_trailers(http::stream_id stream, std::span<const http::field_view> fields,
                                 error_code& ec)
{
    auto& s = *impl_;
    auto* found = s.open_body(stream, ec);
    if (!found)
        return;
    auto& o = *found;
    s.begin_nv();
    s.add_fields(fields);
    s.seal_nv();
    if (!s.nva.empty()) {
        int rv = nghttp3_conn_submit_trailers(s.conn, stream, s.nva.data(), s.nva.size());
        if (rv != 0) {
            if (nghttp3_err_is_fatal(rv)) {
                s.fail_lib(rv);
                ec = s.failed;
            } else {
                ec = make_error_code(strata::error::stream_closed);
            }
            return;
        }
        o.trailers = true;
    }
    o.end = true;
    s.resume(stream, o);
}

void connection::submit_reset(http::stream_id stream, h3_error code)
{
    auto& s = *impl_;
    if (s.failed || stream < 0)
        return;
    auto wire = static_cast<std::uint64_t>(code);
    s.queue_action(stream, stream_action::reset_stream, wire);
    s.queue_action(stream, stream_action::stop_sending, wire);
    auto* st = s.streams.find(stream);
    if (!st)
        return;
    st->reset_reported = true;
    st->read_shut = true;
    s.abandon(*st);
    if (st->in_nghttp3) {
        nghttp3_conn_shutdown_stream_write(s.conn, stream);
        auto rv = nghttp3_conn_shutdown_stream_read(s.conn, stream);
        if (rv != 0 && nghttp3_err_is_fatal(rv))
            s.fail_lib(rv);
    }
}

void connection::stop_receiving(http::stream_id stream)
{
    auto& s = *impl_;
    if (s.failed)
        return;
    auto* st = s.streams.find(stream);
    if (!st || st->end_reported || st->reset_reported)
        return; // the peer already ended its side, or the stream is gone
    s.stop_reading(stream, *st);
}

void connection::submit_goaway()
{
    auto& s = *impl_;
    s.goaway_sent = true;
    // A client has no requests of the server's to refuse (no server push).
    if (!s.server() || !s.bound || s.failed)
        return;
    if (!s.shutdown_notice_sent) {
        // RFC 9114 §5.2: first the notice (a GOAWAY naming no stream, so
        // requests in flight are still taken), then the real one.
        s.shutdown_notice_sent = true;
        auto rv = nghttp3_conn_submit_shutdown_notice(s.conn);
        if (rv != 0) {
            s.fail_lib(rv);
            return;
        }
        if (s.streams.size() == 0)
            s.final_goaway();
        return;
    }
    s.final_goaway();
}

void connection::consume(http::stream_id stream, std::size_t n)
{
    impl_->credit(stream, n);
}

// ---- output -----------------------------------------------------------------

stream_output connection::poll_output()
{
    auto& s = *impl_;
    s.out_buffers.clear();
    s.out_stream = -1;
    s.out_left = 0;
    if (s.failed)
        return {};
    nghttp3_vec vec[16];
    std::int64_t id = -1;
    int fin = 0;
    auto n = nghttp3_conn_writev_stream(s.conn, &id, &fin, vec, std::size(vec));
    if (n < 0) {
        s.fail_lib(n);
        return {};
    }
    if (id < 0)
        return {};
    for (nghttp3_ssize i = 0; i < n; ++i) {
        s.out_buffers.emplace_back(vec[i].base, vec[i].len);
        s.out_left += vec[i].len;
    }
    s.out_stream = id;
    stream_output out;
    out.stream = id;
    out.data = s.out_buffers;
    out.fin = fin != 0;
    return out;
}

void connection::add_write_offset(http::stream_id stream, std::size_t n)
{
    auto& s = *impl_;
    // nghttp3 asserts on more than it handed out: only the last output counts.
    if (s.failed || stream != s.out_stream)
        return;
    n = std::min(n, s.out_left);
    s.out_left -= n;
    auto rv = nghttp3_conn_add_write_offset(s.conn, stream, n);
    if (rv != 0)
        s.fail_lib(rv);
}

void connection::block_stream(http::stream_id stream)
{
    auto& s = *impl_;
    if (!s.failed)
        nghttp3_conn_block_stream(s.conn, stream);
}

void connection::unblock_stream(http::stream_id stream)
{
    auto& s = *impl_;
    if (s.failed)
        return;
    auto rv = nghttp3_conn_unblock_stream(s.conn, stream);
    if (rv != 0)
        s.fail_lib(rv);
}

void connection::shutdown_stream_write(http::stream_id stream)
{
    auto& s = *impl_;
    if (s.failed)
        return;
    nghttp3_conn_shutdown_stream_write(s.conn, stream);
    if (auto* st = s.streams.find(stream))
        s.abandon(*st);
}

void connection::add_ack_offset(http::stream_id stream, std::uint64_t n)
{
    auto& s = *impl_;
    if (s.failed)
        return;
    auto rv = nghttp3_conn_add_ack_offset(s.conn, stream, n);
    if (rv != 0)
        s.fail_lib(rv);
}

std::optional<stream_action> connection::poll_stream_action()
{
    auto& s = *impl_;
    if (s.actions_head == s.actions.size()) {
        s.actions.clear();
        s.actions_head = 0;
        return std::nullopt;
    }
    return s.actions[s.actions_head++];
}

std::optional<stream_credit> connection::poll_credit()
{
    auto& s = *impl_;
    if (s.credits_head == s.credits.size()) {
        s.credits.clear();
        s.credits_head = 0;
        return std::nullopt;
    }
    return s.credits[s.credits_head++];
}

// ---- state ------------------------------------------------------------------

std::size_t connection::pending_output(http::stream_id stream) const noexcept
{
    const auto* st = impl_->streams.find(stream);
    return st && st->out && !st->out->abandoned ? st->out->pending : 0;
}

std::size_t connection::active_streams() const noexcept
{
    return impl_->streams.size();
}

bool connection::peer_settings_received() const noexcept
{
    return impl_->settings_received;
}

bool connection::peer_enable_connect_protocol() const noexcept
{
    return impl_->settings_received && impl_->enable_connect_protocol;
}

bool connection::going_away() const noexcept
{
    auto& s = *impl_;
    return s.failed || s.goaway_sent || s.goaway_received;
}

http::stream_id connection::goaway_stream() const noexcept
{
    auto& s = *impl_;
    if (s.goaway_id == std::numeric_limits<http::stream_id>::max())
        return s.goaway_id;
    return s.goaway_id >= 4 ? s.goaway_id - 4 : -1;
}

error_code connection::error() const noexcept
{
    return impl_->failed;
}

std::size_t connection::memory_usage() const noexcept
{
    auto& s = *impl_;
    auto event_bytes = [](const queued_event& q) {
        return q.text.capacity() + q.fields.capacity() * sizeof(http::field_view);
    };
    std::size_t n =
        s.events.capacity() * sizeof(queued_event) + event_bytes(s.current) +
        s.actions.capacity() * sizeof(stream_action) + s.credits.capacity() * sizeof(stream_credit) +
        s.out_buffers.capacity() * sizeof(net::const_buffer) + s.lines.capacity_bytes() +
        s.nva.capacity() * sizeof(nghttp3_nv) + s.oversized_blocks.capacity() * sizeof(impl::oversized) +
        s.to_abandon.capacity() * sizeof(http::stream_id);
    for (std::size_t i = s.events_head; i < s.events.size(); ++i)
        n += event_bytes(s.events[i]);
    auto block_bytes = [](const header_block& b) {
        return sizeof(header_block) + b.text.capacity() + b.refs.capacity() * sizeof(b.refs[0]);
    };
    auto out_bytes = [](const outbound& o) {
        std::size_t m = sizeof(outbound) + o.chunks.capacity() * sizeof(o.chunks[0]);
        for (auto& c : o.chunks)
            m += c.capacity();
        return m;
    };
    n += (s.streams.end() - s.streams.begin()) * sizeof(std::pair<std::int64_t, stream_state>);
    for (auto& [id, st] : s.streams) {
        if (st.block)
            n += block_bytes(*st.block);
        if (st.out)
            n += out_bytes(*st.out);
    }
    n += (s.uni.end() - s.uni.begin()) * sizeof(std::pair<std::int64_t, uni_reader>);
    n += (s.rejected.end() - s.rejected.begin()) * sizeof(std::pair<std::int64_t, std::uint8_t>);
    for (auto& b : s.spare_blocks)
        n += block_bytes(*b);
    for (auto& o : s.spare_out)
        n += out_bytes(*o);
    for (auto& c : s.spare_chunks)
        n += c.capacity();
    for (auto& t : s.spare_text)
        n += t.capacity();
    for (auto& f : s.spare_fields)
        n += f.capacity() * sizeof(http::field_view);
    return n;
}

} // namespace strata::http3
