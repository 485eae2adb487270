// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The HTTP/2 codec: nghttp2 callbacks turned into strata events. nghttp2
// owns framing, HPACK, stream states and flow-control arithmetic; this file
// owns the policy nghttp2 leaves to applications (limits, floods, budgets).

#include "../detail/stream_table.hpp"
#include "../http/field_lines.hpp"

#include <strata/http2/connection.hpp>

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace strata::http2 {

using h2_error = error; // connection::error() hides the enum inside the class

namespace {

/// poll_output() returns at most about this much at once, so one write
/// does not wait for a whole window of DATA to be framed.
constexpr std::size_t output_batch_bytes = 64 * 1024;

using http::detail::connection_specific;
using http::detail::lower;

std::string_view view(nghttp2_rcbuf* b) noexcept
{
    auto v = nghttp2_rcbuf_get_buf(b);
    return {reinterpret_cast<const char*>(v.base), v.len};
}

} // namespace

// ---- one queued event and the header storage its views point into --------

struct queued_event {
    http::event ev;
    std::vector<nghttp2_rcbuf*> refs; // keep field names and values alive
    std::vector<http::field_view> fields;

    queued_event() = default;
    queued_event(queued_event&& o) noexcept : ev(o.ev), refs(std::move(o.refs)), fields(std::move(o.fields))
    {
        o.refs.clear();
    }
    queued_event& operator=(queued_event&& o) noexcept
    {
        if (this != &o) {
            release();
            ev = o.ev;
            refs = std::move(o.refs);
            fields = std::move(o.fields);
            o.refs.clear();
        }
        return *this;
    }
    queued_event(const queued_event&) = delete;
    queued_event& operator=(const queued_event&) = delete;
    ~queued_event() { release(); }

    void release() noexcept
    {
        for (auto* r : refs)
            nghttp2_rcbuf_decref(r);
        refs.clear();
    }
    void keep(nghttp2_rcbuf* r)
    {
        nghttp2_rcbuf_incref(r);
        refs.push_back(r);
    }
};

/// What we send on one stream: body bytes waiting for the peer's window.
struct outbound {
    std::vector<std::byte> bytes;
    std::size_t offset = 0;
    bool end = false;      // no more body after bytes
    bool deferred = false; // the data source said "nothing yet"
    bool trailers = false; // end with trailer fields
    std::string trailer_text;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> trailer_lengths;

    std::size_t pending() const noexcept { return bytes.size() - offset; }
};

/// The streams we are sending bodies on. Entries are pooled: a finished
/// stream's record (and a small buffer) serves the next stream, and the
/// table itself holds only pointers, so closing a stream moves little.
class outbound_table {
public:
    outbound* find(std::int32_t id) noexcept
    {
        auto* p = table_.find(id);
        return p ? *p : nullptr;
    }
    outbound& open(std::int32_t id)
    {
        auto*& slot = table_[id];
        if (!slot) {
            if (free_.empty()) {
                owned_.push_back(std::make_unique<outbound>());
                slot = owned_.back().get();
            } else {
                slot = free_.back();
                free_.pop_back();
            }
        }
        return *slot;
    }
    void erase(std::int32_t id)
    {
        auto* p = table_.find(id);
        if (!p)
            return;
        auto* o = *p;
        table_.erase(id);
        // Keep a small buffer for the next stream; give a big one back.
        auto bytes = std::move(o->bytes);
        bytes.clear();
        if (bytes.capacity() > keep_bytes)
            bytes = {};
        *o = outbound{};
        o->bytes = std::move(bytes);
        free_.push_back(o);
    }
    /// Frees the pooled records no stream uses.
    void shrink() noexcept
    {
        if (table_.size() != 0)
            return;
        free_.clear();
        owned_.clear();
        owned_.shrink_to_fit();
        free_.shrink_to_fit();
        table_.shrink_to_fit();
    }
    std::size_t memory_usage() const noexcept
    {
        std::size_t n = 0;
        for (auto& o : owned_)
            n += sizeof(outbound) + o->bytes.capacity() + o->trailer_text.capacity();
        return n;
    }

private:
    static constexpr std::size_t keep_bytes = 4096;
    detail::stream_table<outbound*> table_;
    std::vector<std::unique_ptr<outbound>> owned_;
    std::vector<outbound*> free_;
};

struct connection::impl {
    role r;
    config cfg;
    nghttp2_session* session = nullptr;
    error_code failed;

    // Events not yet polled: a vector used as a queue, emptied (storage
    // kept) whenever everything was polled, so queuing costs no allocation.
    std::vector<queued_event> events;
    std::size_t events_head = 0;
    queued_event current; // the event last returned by poll_event

    // The header block being decoded (HEADERS + CONTINUATION are contiguous,
    // so there is only ever one).
    queued_event block;
    std::int32_t block_stream = 0;
    std::size_t block_bytes = 0;
    bool block_too_large = false;
    std::string_view method, path, scheme, authority, protocol, status_text;
    std::int64_t content_length = -1;
    bool expect_continue = false;

    std::vector<std::byte> out;
    net::const_buffer out_buffer;

    // RFC 9113 §5.1.1 (server role): the highest stream id the peer opened,
    // and the latest streams we reset, on which a trailer HEADERS the peer
    // sent before it saw our RST_STREAM may still arrive.
    std::int32_t last_peer_stream = 0;
    std::deque<std::int32_t> reset_sent;
    static constexpr std::size_t reset_sent_kept = 128;
    // Streams answered 431 whose request body is still coming: RST_STREAM
    // (NO_ERROR) follows once the response is written (RFC 9113 §8.1).
    std::vector<std::int32_t> reset_after_response;

    outbound_table sending;

    // Flow-control budget (config::connection_window).
    std::size_t unread = 0;
    std::size_t deferred_credit = 0;

    // Abuse accounting.
    std::uint32_t empty_in_a_row = 0;
    std::uint64_t streams_opened = 0;
    std::uint64_t premature_resets = 0;
    std::uint64_t control_frames = 0;
    std::uint64_t data_frames_sent = 0;
    std::uint64_t window_updates = 0;
    bool goaway_sent = false;
    bool goaway_received = false;
    bool paused = false; // mem_recv stopped after a DATA chunk
    // Streams open now; the flag: a request not answered yet (server role).
    detail::stream_table<bool> live;
    /// Clears a stream's "not answered yet" flag; whether it was set.
    bool answer(std::int32_t id) noexcept
    {
        auto* v = live.find(id);
        bool was = v && *v;
        if (v)
            *v = false;
        return was;
    }

    // Scratch for submit: lowercased names and the nghttp2_nv array.
    http::detail::field_lines lines;
    std::vector<nghttp2_nv> nva;

    impl(role ro, config c) : r(ro), cfg(c) {}
    ~impl()
    {
        if (session)
            nghttp2_session_del(session);
    }

    bool server() const noexcept { return r == role::server; }

    /// Ends the connection with `code`, queuing a GOAWAY.
    int fail(h2_error code)
    {
        if (!failed)
            failed = make_error_code(code);
        if (!failed) // no_error has value 0: keep a non-empty error
            failed = make_error_code(h2_error::internal_error);
        nghttp2_session_terminate_session(session, static_cast<std::uint32_t>(code));
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }

    // Header storage of events already handed out, kept for the next block:
    // a request's head then costs no allocation of ours.
    // A read often carries a burst of requests; enough spares for a burst
    // of this many heads (a few hundred bytes each) are kept.
    static constexpr std::size_t spare_kept = 32;
    std::vector<std::vector<nghttp2_rcbuf*>> spare_refs;
    std::vector<std::vector<http::field_view>> spare_fields;
    void recycle(queued_event& q)
    {
        q.release();
        if (q.refs.capacity() > 0 && spare_refs.size() < spare_kept)
            spare_refs.push_back(std::move(q.refs));
        if (q.fields.capacity() > 0 && spare_fields.size() < spare_kept) {
            q.fields.clear();
            spare_fields.push_back(std::move(q.fields));
        }
        q = queued_event{};
    }

    void reset_block()
    {
        recycle(block);
        if (!spare_refs.empty()) {
            block.refs = std::move(spare_refs.back());
            spare_refs.pop_back();
        } else {
            block.refs.reserve(24); // a typical request head without regrowth
        }
        if (!spare_fields.empty()) {
            block.fields = std::move(spare_fields.back());
            spare_fields.pop_back();
        } else {
            block.fields.reserve(12);
        }
        block_stream = 0;
        block_bytes = 0;
        block_too_large = false;
        method = path = scheme = authority = protocol = status_text = {};
        content_length = -1;
        expect_continue = false;
    }

    // ---- callbacks ---------------------------------------------------------

    static impl& self(void* p) { return *static_cast<impl*>(p); }

    static int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user)
    {
        auto& s = self(user);
        bool empty = false;
        switch (hd->type) {
        case NGHTTP2_DATA:
            empty = hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM);
            break;
        case NGHTTP2_HEADERS:
            empty = hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM);
            // RFC 9113 §5.1.1: a peer opens streams in increasing order.
            // nghttp2 silently drops a HEADERS below the highest one; only a
            // late trailer on a stream we reset is innocent.
            if (s.server() && hd->stream_id <= s.last_peer_stream && !s.live.find(hd->stream_id) &&
                std::find(s.reset_sent.begin(), s.reset_sent.end(), hd->stream_id) == s.reset_sent.end())
                return s.fail(h2_error::protocol_error);
            break;
        case NGHTTP2_CONTINUATION:
            empty = hd->length == 0;
            break;
        case NGHTTP2_PING:
        case NGHTTP2_SETTINGS:
        case NGHTTP2_PRIORITY:
            // Each costs us a little work (an ACK, a table update) and gives
            // nothing: a peer earns a generous allowance per stream it opens
            // and per DATA frame it is sent (keep-alive PINGs on a busy
            // long-lived connection stay welcome).
            if (++s.control_frames > s.cfg.max_empty_frames + 100 * s.streams_opened + s.data_frames_sent)
                return s.fail(h2_error::enhance_your_calm);
            break;
        case NGHTTP2_WINDOW_UPDATE:
            // A receiver sends about one per DATA frame it gets.
            if (++s.window_updates > 10 * s.cfg.max_empty_frames + 4 * s.data_frames_sent)
                return s.fail(h2_error::enhance_your_calm);
            break;
        default:
            break;
        }
        if (empty) {
            if (++s.empty_in_a_row > s.cfg.max_empty_frames)
                return s.fail(h2_error::enhance_your_calm);
        } else if (hd->type == NGHTTP2_DATA || hd->type == NGHTTP2_HEADERS) {
            s.empty_in_a_row = 0;
        }
        return 0;
    }

    static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user)
    {
        auto& s = self(user);
        s.reset_block();
        s.block_stream = frame->hd.stream_id;
        if (s.server() && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            ++s.streams_opened;
            s.last_peer_stream = std::max(s.last_peer_stream, frame->hd.stream_id);
            s.live[frame->hd.stream_id] = true;
        }
        return 0;
    }

    static int on_header(nghttp2_session*, const nghttp2_frame* frame, nghttp2_rcbuf* name,
                         nghttp2_rcbuf* value, std::uint8_t, void* user)
    {
        auto& s = self(user);
        if (frame->hd.stream_id != s.block_stream)
            return 0;
        auto n = view(name);
        auto v = view(value);
        s.block_bytes += n.size() + v.size() + 32;
        if (s.block_bytes > s.cfg.max_header_list_size) {
            // Decompression bomb or a plain oversized head: past four times
            // the limit the peer is not confused, it is hostile.
            if (s.block_bytes > 4ull * s.cfg.max_header_list_size)
                return s.fail(h2_error::enhance_your_calm);
            s.block_too_large = true;
            s.block.release();
            s.block.fields.clear();
            return 0;
        }
        if (s.block_too_large)
            return 0;
        s.block.keep(name);
        s.block.keep(value);
        if (!n.empty() && n[0] == ':') {
            if (n == ":method")
                s.method = v;
            else if (n == ":path")
                s.path = v;
            else if (n == ":scheme")
                s.scheme = v;
            else if (n == ":authority")
                s.authority = v;
            else if (n == ":protocol")
                s.protocol = v;
            else if (n == ":status")
                s.status_text = v;
            return 0;
        }
        if (n == "content-length") {
            std::int64_t len = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), len);
            if (ec == std::errc{} && p == v.data() + v.size())
                s.content_length = len;
        } else if (n == "expect" && v.size() == 12) {
            bool is = true;
            for (std::size_t i = 0; i < 12; ++i)
                is = is && lower(v[i]) == "100-continue"[i];
            s.expect_continue = is;
        }
        s.block.fields.push_back({n, v});
        return 0;
    }

    void finish_block(const nghttp2_frame* frame)
    {
        auto stream = frame->hd.stream_id;
        bool end = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
        if (block_too_large) {
            if (server() && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
                static const nghttp2_nv status431[] = {
                    {(std::uint8_t*)":status", (std::uint8_t*)"431", 7, 3, NGHTTP2_NV_FLAG_NONE}};
                nghttp2_submit_response(session, stream, status431, 1, nullptr);
                answer(stream);
                // nghttp2 sends RST_STREAM ahead of queued HEADERS, which
                // would drop the 431: reset only once it is written.
                if (!end)
                    reset_after_response.push_back(stream);
            } else {
                nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream, NGHTTP2_PROTOCOL_ERROR);
                queued_event q;
                q.ev = http::reset{stream, make_error_code(h2_error::protocol_error)};
                events.push_back(std::move(q));
            }
            reset_block();
            return;
        }
        auto& q = block;
        unsigned status = 0;
        if (!status_text.empty())
            std::from_chars(status_text.data(), status_text.data() + status_text.size(), status);
        bool is_request = server() && frame->headers.cat == NGHTTP2_HCAT_REQUEST;
        if (is_request || (!server() && status >= 200)) {
            http::headers h;
            h.stream = stream;
            h.ver = http::version::http2;
            h.method = method;
            h.target = path;
            h.scheme = scheme;
            h.authority = authority;
            h.protocol = protocol;
            h.status = status;
            h.end_stream = end;
            h.expect_continue = expect_continue;
            h.upgrade = !protocol.empty();
            h.content_length = content_length;
            // CONNECT (plain or extended) has no path: its target is the authority.
            if (method == "CONNECT" && path.empty())
                h.target = authority;
            h.fields = q.fields;
            q.ev = h;
        } else if (!server() && status >= 100) {
            q.ev = http::informational{stream, status, q.fields};
        } else {
            q.ev = http::trailers{stream, q.fields};
        }
        events.push_back(std::move(q));
        reset_block();
    }

    static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user)
    {
        auto& s = self(user);
        switch (frame->hd.type) {
        case NGHTTP2_HEADERS:
            if (frame->hd.stream_id == s.block_stream)
                s.finish_block(frame);
            break;
        case NGHTTP2_DATA:
            if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
                queued_event q;
                q.ev = http::data{frame->hd.stream_id, {}, true};
                s.events.push_back(std::move(q));
            }
            break;
        case NGHTTP2_RST_STREAM:
            if (s.server() && s.answer(frame->hd.stream_id)) {
                ++s.premature_resets;
                if (s.premature_resets > s.cfg.max_premature_resets &&
                    2 * s.premature_resets > s.streams_opened)
                    return s.fail(h2_error::enhance_your_calm);
            }
            break;
        case NGHTTP2_SETTINGS:
            if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
                queued_event q;
                http::settings st;
                st.max_concurrent_streams =
                    nghttp2_session_get_remote_settings(s.session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
                st.enable_connect_protocol = nghttp2_session_get_remote_settings(
                                                 s.session, NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL) != 0;
                q.ev = st;
                s.events.push_back(std::move(q));
            }
            break;
        case NGHTTP2_GOAWAY: {
            s.goaway_received = true;
            queued_event q;
            q.ev = http::goaway{frame->goaway.last_stream_id,
                                make_error_code(static_cast<h2_error>(frame->goaway.error_code))};
            s.events.push_back(std::move(q));
            break;
        }
        default:
            break;
        }
        return 0;
    }

    static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream, const std::uint8_t* data,
                             std::size_t len, void* user)
    {
        auto& s = self(user);
        s.unread += len;
        if (s.unread <= s.cfg.connection_window)
            nghttp2_session_consume_connection(s.session, len);
        else
            s.deferred_credit += len;
        queued_event q;
        q.ev = http::data{stream, {reinterpret_cast<const std::byte*>(data), len}, false};
        s.events.push_back(std::move(q));
        // Stop here: the chunk points into the caller's buffer, which must
        // not be reused before the event is taken.
        s.paused = true;
        return NGHTTP2_ERR_PAUSE;
    }

    static int on_stream_close(nghttp2_session* session, std::int32_t stream, std::uint32_t code, void* user)
    {
        auto& s = self(user);
        s.sending.erase(stream);
        s.live.erase(stream);
        std::erase(s.reset_after_response, stream);
        bool remote_done = nghttp2_session_get_stream_remote_close(session, stream) == 1;
        if (code != NGHTTP2_NO_ERROR || !remote_done) {
            queued_event q;
            q.ev = http::reset{stream, make_error_code(static_cast<h2_error>(code))};
            s.events.push_back(std::move(q));
        }
        return 0;
    }

    static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user)
    {
        auto& s = self(user);
        if (frame->hd.type == NGHTTP2_DATA) {
            ++s.data_frames_sent;
        }
        if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
            (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
            auto it =
                std::find(s.reset_after_response.begin(), s.reset_after_response.end(), frame->hd.stream_id);
            if (it != s.reset_after_response.end()) {
                s.reset_after_response.erase(it);
                nghttp2_submit_rst_stream(s.session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                          NGHTTP2_NO_ERROR);
            }
        } else if (frame->hd.type == NGHTTP2_RST_STREAM) {
            if (s.server()) {
                s.reset_sent.push_back(frame->hd.stream_id);
                if (s.reset_sent.size() > reset_sent_kept)
                    s.reset_sent.pop_front();
            }
        } else if (frame->hd.type == NGHTTP2_GOAWAY) {
            s.goaway_sent = true;
            // nghttp2 ends the connection itself on most of the peer's
            // violations: its GOAWAY is how we learn of them.
            if (frame->goaway.error_code != NGHTTP2_NO_ERROR && !s.failed)
                s.failed = make_error_code(static_cast<h2_error>(frame->goaway.error_code));
        }
        return 0;
    }

    static ssize_t on_send(nghttp2_session*, const std::uint8_t* data, std::size_t len, int, void* user)
    {
        auto& s = self(user);
        if (s.out.size() >= output_batch_bytes)
            return NGHTTP2_ERR_WOULDBLOCK;
        auto* p = reinterpret_cast<const std::byte*>(data);
        s.out.insert(s.out.end(), p, p + len);
        return static_cast<ssize_t>(len);
    }

    static ssize_t read_body(nghttp2_session* session, std::int32_t stream, std::uint8_t* buf,
                             std::size_t length, std::uint32_t* flags, nghttp2_data_source*, void* user)
    {
        auto& s = self(user);
        auto* found = s.sending.find(stream);
        if (!found) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
            return 0;
        }
        auto& o = *found;
        auto n = std::min(length, o.pending());
        if (n > 0) {
            std::memcpy(buf, o.bytes.data() + o.offset, n);
            o.offset += n;
            if (o.offset == o.bytes.size()) {
                o.bytes.clear();
                o.offset = 0;
            }
        }
        if (o.pending() == 0) {
            if (o.end) {
                *flags |= NGHTTP2_DATA_FLAG_EOF;
                if (o.trailers) {
                    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
                    std::vector<nghttp2_nv> nv;
                    std::size_t at = 0;
                    for (auto [nl, vl] : o.trailer_lengths) {
                        auto* base = reinterpret_cast<std::uint8_t*>(o.trailer_text.data());
                        nv.push_back({base + at, base + at + nl, nl, vl, NGHTTP2_NV_FLAG_NONE});
                        at += nl + vl;
                    }
                    nghttp2_submit_trailer(session, stream, nv.data(), nv.size());
                }
                s.sending.erase(stream);
            } else if (n == 0) {
                o.deferred = true;
                return NGHTTP2_ERR_DEFERRED;
            }
        }
        return static_cast<ssize_t>(n);
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
            nva.push_back({name, value, name_len, value_len, NGHTTP2_NV_FLAG_NONE});
        });
    }

    /// The body of `stream` still open for sending, or null with `ec` set.
    outbound* open_body(http::stream_id stream, error_code& ec)
    {
        ec = {};
        auto* o = sending.find(static_cast<std::int32_t>(stream));
        if (!o || o->end) {
            ec = failed ? failed : make_error_code(h2_error::stream_closed);
            return nullptr;
        }
        return o;
    }

    nghttp2_data_provider provider()
    {
        nghttp2_data_provider p{};
        p.read_callback = &impl::read_body;
        return p;
    }
};

connection::connection(role r, config cfg) : impl_(std::make_unique<impl>(r, cfg))
{
    auto& s = *impl_;
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, &impl::on_send);
    nghttp2_session_callbacks_set_on_begin_frame_callback(cb, &impl::on_begin_frame);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &impl::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback2(cb, &impl::on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &impl::on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &impl::on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &impl::on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, &impl::on_frame_send);

    nghttp2_option* opt = nullptr;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_option_set_no_closed_streams(opt, 1);
    nghttp2_option_set_max_outbound_ack(opt, cfg.max_outbound_ack);
    nghttp2_option_set_max_settings(opt, cfg.max_settings_entries);
    nghttp2_option_set_max_continuations(opt, cfg.max_continuations);
    if (r == role::server)
        nghttp2_option_set_stream_reset_rate_limit(opt, cfg.reset_burst, cfg.reset_rate);
    // Our own checks bound header lists; nghttp2's send-side limit must
    // allow what our settings let a peer send back.
    nghttp2_option_set_max_send_header_block_length(
        opt, std::max<std::size_t>(cfg.max_header_list_size, 64 * 1024));

    if (r == role::server)
        nghttp2_session_server_new2(&s.session, cb, &s, opt);
    else
        nghttp2_session_client_new2(&s.session, cb, &s, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);

    std::vector<nghttp2_settings_entry> iv{
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, cfg.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, cfg.initial_stream_window},
        {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, std::clamp<std::uint32_t>(cfg.max_frame_size, 16384, 16777215)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, cfg.max_header_list_size},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    };
    if (cfg.header_table_size != 4096)
        iv.push_back({NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, cfg.header_table_size});
    if (r == role::client)
        iv.push_back({NGHTTP2_SETTINGS_ENABLE_PUSH, 0});
    else if (cfg.enable_connect_protocol)
        iv.push_back({NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1});
    nghttp2_submit_settings(s.session, NGHTTP2_FLAG_NONE, iv.data(), iv.size());
    if (cfg.connection_window > 65535)
        nghttp2_session_set_local_window_size(
            s.session, NGHTTP2_FLAG_NONE, 0,
            static_cast<std::int32_t>(std::min<std::uint32_t>(cfg.connection_window, 0x7fffffff)));
}

connection::~connection() = default;
connection::connection(connection&& o) noexcept = default;
connection& connection::operator=(connection&& o) noexcept = default;

std::size_t connection::handle_bytes(std::span<const std::byte> in)
{
    auto& s = *impl_;
    if (s.failed || in.empty())
        return s.failed ? in.size() : 0;
    // Errors nghttp2 returns instead of queuing a GOAWAY itself.
    auto fail_with = [&](ssize_t rv) {
        if (s.failed)
            return;
        // Floods, CONTINUATION floods included.
        auto code = rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS
                        ? h2_error::enhance_your_calm
                    : rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC || rv == NGHTTP2_ERR_PROTO ||
                            rv == NGHTTP2_ERR_CALLBACK_FAILURE
                        ? h2_error::protocol_error
                        : h2_error::internal_error;
        s.fail(code);
    };
    auto n = nghttp2_session_mem_recv(s.session, reinterpret_cast<const std::uint8_t*>(in.data()), in.size());
    if (n < 0) {
        fail_with(n);
        return in.size();
    }
    // A frame whose last chunk paused nghttp2 is completed (END_STREAM
    // seen) only by another call, which needs no input.
    if (s.paused && static_cast<std::size_t>(n) == in.size()) {
        s.paused = false;
        auto rv =
            nghttp2_session_mem_recv(s.session, reinterpret_cast<const std::uint8_t*>(in.data()) + n, 0);
        if (rv < 0)
            fail_with(rv);
    }
    s.paused = false;
    return static_cast<std::size_t>(n);
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
    auto ev = s.current.ev;
    // Re-point the field spans at the moved storage (moving vectors keeps
    // their buffers, so this only matters for safety, not for copies).
    if (auto* h = std::get_if<http::headers>(&ev))
        h->fields = s.current.fields;
    else if (auto* t = std::get_if<http::trailers>(&ev))
        t->fields = s.current.fields;
    else if (auto* i = std::get_if<http::informational>(&ev))
        i->fields = s.current.fields;
    return ev;
}

void connection::submit_headers(http::stream_id stream, const request_head& head, bool end_stream,
                                error_code& ec)
{
    auto& s = *impl_;
    ec = {};
    if (s.server() || s.failed || stream != next_stream_id() || !can_open_stream()) {
        ec = s.failed ? s.failed : make_error_code(h2_error::refused_stream);
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
    std::int32_t id = 0;
    if (end_stream) {
        id = nghttp2_submit_request(s.session, nullptr, s.nva.data(), s.nva.size(), nullptr, nullptr);
    } else {
        auto p = s.provider();
        id = nghttp2_submit_request(s.session, nullptr, s.nva.data(), s.nva.size(), &p, nullptr);
    }
    if (id < 0) {
        ec = make_error_code(h2_error::refused_stream);
        return;
    }
    if (!end_stream)
        s.sending.open(id);
    s.live[id] = false;
}

void connection::submit_headers(http::stream_id stream, const response_head& head, bool end_stream,
                                error_code& ec)
{
    auto& s = *impl_;
    ec = {};
    if (!s.server() || s.failed) {
        ec = s.failed ? s.failed : make_error_code(h2_error::internal_error);
        return;
    }
    char digits[4];
    auto [e, _] = std::to_chars(digits, digits + 3, std::min(head.status, 999u));
    s.begin_nv();
    s.add_nv(":status", {digits, static_cast<std::size_t>(e - digits)}, false);
    s.add_fields(head.fields);
    s.seal_nv();
    auto id = static_cast<std::int32_t>(stream);
    int rv = 0;
    if (head.status < 200) {
        rv = nghttp2_submit_headers(s.session, NGHTTP2_FLAG_NONE, id, nullptr, s.nva.data(), s.nva.size(),
                                    nullptr);
    } else if (end_stream) {
        s.answer(id);
        rv = nghttp2_submit_response(s.session, id, s.nva.data(), s.nva.size(), nullptr);
    } else {
        s.answer(id);
        s.sending.open(id);
        auto p = s.provider();
        rv = nghttp2_submit_response(s.session, id, s.nva.data(), s.nva.size(), &p);
        if (rv != 0)
            s.sending.erase(id);
    }
    if (rv != 0)
        ec = make_error_code(h2_error::stream_closed);
}

void connection::submit_data(http::stream_id stream, std::span<const std::byte> bytes, bool end_stream,
                             error_code& ec)
{
    auto& s = *impl_;
    auto* found = s.open_body(stream, ec);
    if (!found)
        return;
    auto& o = *found;
    o.bytes.insert(o.bytes.end(), bytes.begin(), bytes.end());
    o.end = end_stream;
    if (o.deferred && (o.pending() > 0 || o.end)) {
        o.deferred = false;
        nghttp2_session_resume_data(s.session, static_cast<std::int32_t>(stream));
    }
}

void connection::submit_trailers(http::stream_id stream, std::span<const http::field_view> fields,
                                 error_code& ec)
{
    auto& s = *impl_;
    auto* found = s.open_body(stream, ec);
    if (!found)
        return;
    auto& o = *found;
    for (auto f : fields) {
        std::string name{f.name};
        for (auto& c : name)
            c = lower(c);
        if (name.empty() || name[0] == ':' || connection_specific(name, f.value))
            continue;
        o.trailer_text += name;
        o.trailer_text += f.value;
        o.trailer_lengths.push_back(
            {static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(f.value.size())});
    }
    o.trailers = !o.trailer_lengths.empty();
    o.end = true;
    if (o.deferred) {
        o.deferred = false;
        nghttp2_session_resume_data(s.session, static_cast<std::int32_t>(stream));
    }
}

void connection::submit_reset(http::stream_id stream, h2_error code)
{
    auto& s = *impl_;
    s.sending.erase(static_cast<std::int32_t>(stream));
    nghttp2_submit_rst_stream(s.session, NGHTTP2_FLAG_NONE, static_cast<std::int32_t>(stream),
                              static_cast<std::uint32_t>(code));
}

void connection::stop_receiving(http::stream_id stream)
{
    auto& s = *impl_;
    auto id = static_cast<std::int32_t>(stream);
    if (nghttp2_session_find_stream(s.session, id) == nullptr ||
        nghttp2_session_get_stream_remote_close(s.session, id) == 1)
        return; // closed, or the peer already ended its side
    if (nghttp2_session_get_stream_local_close(s.session, id) == 1)
        nghttp2_submit_rst_stream(s.session, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
    else if (std::find(s.reset_after_response.begin(), s.reset_after_response.end(), id) ==
             s.reset_after_response.end())
        s.reset_after_response.push_back(id);
}

void connection::submit_goaway(h2_error code)
{
    auto& s = *impl_;
    s.goaway_sent = true;
    if (code == h2_error::no_error) {
        nghttp2_submit_goaway(s.session, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(s.session), NGHTTP2_NO_ERROR, nullptr,
                              0);
    } else {
        s.fail(code);
    }
}

void connection::submit_ping()
{
    nghttp2_submit_ping(impl_->session, NGHTTP2_FLAG_NONE, nullptr);
}

void connection::consume(http::stream_id stream, std::size_t n)
{
    auto& s = *impl_;
    if (n == 0)
        return;
    nghttp2_session_consume_stream(s.session, static_cast<std::int32_t>(stream), n);
    s.unread -= std::min(s.unread, n);
    if (s.deferred_credit > 0) {
        auto give = std::min(s.deferred_credit, n);
        nghttp2_session_consume_connection(s.session, give);
        s.deferred_credit -= give;
    }
}

std::span<const net::const_buffer> connection::poll_output()
{
    auto& s = *impl_;
    s.out.clear();
    int rv = nghttp2_session_send(s.session);
    if (rv != 0 && !s.failed)
        s.failed = make_error_code(rv == NGHTTP2_ERR_FLOODED ? h2_error::enhance_your_calm
                                                             : h2_error::internal_error);
    if (s.out.empty())
        return {};
    s.out_buffer = net::const_buffer(s.out.data(), s.out.size());
    return {&s.out_buffer, 1};
}

bool connection::has_output() const noexcept
{
    return nghttp2_session_want_write(impl_->session) != 0;
}

std::size_t connection::pending_output(http::stream_id stream) const noexcept
{
    auto* o = impl_->sending.find(static_cast<std::int32_t>(stream));
    return o ? o->pending() : 0;
}

http::stream_id connection::next_stream_id() const noexcept
{
    auto id = nghttp2_session_get_next_stream_id(impl_->session);
    return id > 0x7fffffff ? 0 : static_cast<http::stream_id>(id);
}

std::size_t connection::active_streams() const noexcept
{
    return impl_->live.size();
}

std::uint32_t connection::peer_max_concurrent_streams() const noexcept
{
    return nghttp2_session_get_remote_settings(impl_->session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

bool connection::peer_enable_connect_protocol() const noexcept
{
    return nghttp2_session_get_remote_settings(impl_->session, NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL) != 0;
}

bool connection::can_open_stream() const noexcept
{
    auto& s = *impl_;
    return !s.failed && nghttp2_session_check_request_allowed(s.session) != 0 &&
           active_streams() < peer_max_concurrent_streams() && next_stream_id() != 0;
}

bool connection::going_away() const noexcept
{
    auto& s = *impl_;
    return s.failed || s.goaway_sent || s.goaway_received;
}

bool connection::finished() const noexcept
{
    auto& s = *impl_;
    return !nghttp2_session_want_read(s.session) && !nghttp2_session_want_write(s.session);
}

error_code connection::error() const noexcept
{
    return impl_->failed;
}

std::size_t connection::memory_usage() const noexcept
{
    auto& s = *impl_;
    std::size_t n = s.out.capacity() + s.lines.capacity_bytes() + s.nva.capacity() * sizeof(nghttp2_nv) +
                    s.events.capacity() * sizeof(queued_event);
    for (auto& v : s.spare_refs)
        n += v.capacity() * sizeof(nghttp2_rcbuf*);
    for (auto& v : s.spare_fields)
        n += v.capacity() * sizeof(http::field_view);
    n += s.sending.memory_usage();
    return n;
}

void connection::shrink_to_fit() noexcept
{
    auto& s = *impl_;
    if (s.live.size() != 0 || s.events_head != s.events.size())
        return;
    std::vector<std::byte>().swap(s.out);
    s.lines.release();
    std::vector<nghttp2_nv>().swap(s.nva);
    s.spare_refs.clear();
    s.spare_fields.clear();
    s.spare_refs.shrink_to_fit();
    s.spare_fields.shrink_to_fit();
    s.events.clear();
    s.events.shrink_to_fit();
    s.events_head = 0;
    s.current = queued_event{};
    s.block = queued_event{};
    s.sending.shrink();
    s.live.shrink_to_fit();
}

} // namespace strata::http2
