// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/websocket/connection.hpp>
#include <strata/websocket/utf8.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace strata::websocket {

namespace {

/// A server's payloads from this size on are referenced rather than copied.
constexpr std::size_t reference_threshold = 1024;
/// What one read() inflates at most: the size of the codec's inflate buffer.
constexpr std::size_t inflate_chunk = 16 * 1024;
/// Output and compression buffers that grew past this are given back once written.
constexpr std::size_t max_kept_buffer = 64 * 1024;
/// Mask keys drawn per RAND_bytes call.
constexpr std::size_t key_batch = 64;
constexpr std::size_t max_control_payload = 125;
constexpr std::size_t max_close_reason = max_control_payload - 2;

/// One piece of output: bytes of the queue's own buffer (at `offset`), or
/// the caller's payload (`external`).
struct segment {
    const std::byte* external = nullptr;
    std::size_t offset = 0;
    std::size_t size = 0;
};

struct out_queue {
    std::vector<std::byte> bytes;
    std::vector<segment> segs;
    std::size_t total = 0;

    bool empty() const noexcept { return total == 0; }

    void append(std::span<const std::byte> b)
    {
        const std::size_t offset = bytes.size();
        bytes.insert(bytes.end(), b.begin(), b.end());
        extend(offset, b.size());
    }
    /// Room for n bytes at the end of the buffer, counted as output.
    std::span<std::byte> append_uninitialized(std::size_t n)
    {
        const std::size_t offset = bytes.size();
        bytes.resize(offset + n);
        extend(offset, n);
        return {bytes.data() + offset, n};
    }
    void append_external(std::span<const std::byte> b)
    {
        segs.push_back({b.data(), 0, b.size()});
        total += b.size();
    }
    void clear() noexcept
    {
        bytes.clear();
        segs.clear();
        total = 0;
        // Keep the capacity a steady stream of messages reuses, not the
        // peak of one large burst.
        if (bytes.capacity() > max_kept_buffer)
            std::vector<std::byte>().swap(bytes);
        if (segs.capacity() > 256)
            std::vector<segment>().swap(segs);
    }
    void release() noexcept
    {
        clear();
        std::vector<std::byte>().swap(bytes);
        std::vector<segment>().swap(segs);
    }
    std::size_t capacity_bytes() const noexcept
    {
        return bytes.capacity() + segs.capacity() * sizeof(segment);
    }

private:
    void extend(std::size_t offset, std::size_t n)
    {
        total += n;
        // Consecutive frames in the buffer make one contiguous piece of output.
        if (!segs.empty() && !segs.back().external && segs.back().offset + segs.back().size == offset)
            segs.back().size += n;
        else
            segs.push_back({nullptr, offset, n});
    }
};

std::span<const std::byte> as_bytes(std::string_view s) noexcept
{
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

/// The longest prefix of `s`, at most `n` bytes, that does not end inside
/// a UTF-8 sequence.
std::string_view cut_at_boundary(std::string_view s, std::size_t n) noexcept
{
    if (s.size() <= n)
        return s;
    // Back off over continuation bytes to the start of the character cut.
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80)
        --n;
    return s.substr(0, n);
}

} // namespace

struct connection::impl {
    enum class rx : unsigned char { header, payload };

    impl(role r, const config& c, std::optional<deflate_params> p, const deflate_config& dcfg)
        : who(r), cfg(c), min_compress_bytes(dcfg.min_compress_bytes)
    {
        if (p)
            deflate.emplace(r, *p, dcfg);
    }

    role who;
    config cfg;
    std::optional<deflate_codec> deflate;
    std::size_t min_compress_bytes;

    // ---- reading ----
    rx state = rx::header;
    frame_header fh;             ///< the data frame being read
    std::uint64_t remaining = 0; ///< its payload bytes not yet consumed
    std::uint64_t frame_pos = 0; ///< its payload bytes consumed: where the mask cycle stands
    std::size_t ahead = 0;       ///< payload bytes at the start of the next input already unmasked
    std::size_t held = 0;        ///< bytes at the start of the next input already processed
    bool in_message = false;
    message_type msg_type = message_type::text;
    bool msg_compressed = false;
    bool msg_first_pending = true;
    bool inflate_more = false; ///< the last inflate filled the buffer: more may come without input
    std::uint64_t msg_wire_bytes = 0;
    utf8_validator utf8;
    std::vector<std::byte> inflate_buf;

    // ---- writing ----
    bool w_in_message = false;
    bool w_started = false;
    bool w_compressed = false;
    message_type w_type = message_type::text;
    std::vector<std::byte> zbuf;
    std::unique_ptr<std::array<mask_key, key_batch>> keys;
    std::size_t next_key = key_batch;

    // ---- output ----
    out_queue pending;
    out_queue flight; ///< what output() handed out, being written
    bool in_flight = false;
    std::vector<net::const_buffer> list;
    // The pong for the latest ping not yet handed out: a flood of pings
    // makes one pong, not a queue (RFC 6455 §5.5.3 allows answering only
    // the most recent).
    std::array<std::byte, max_control_payload> pong_payload{};
    std::size_t pong_size = 0;
    bool pong_pending = false;

    bool close_sent = false;
    bool close_received = false;
    bool failed = false;
    error_code ec;

    // ---- output helpers ----

    mask_key new_mask_key()
    {
        if (cfg.mask_key_source)
            return cfg.mask_key_source();
        if (!keys)
            keys = std::make_unique<std::array<mask_key, key_batch>>();
        if (next_key == key_batch) {
            if (RAND_bytes(reinterpret_cast<unsigned char*>(keys->data()), static_cast<int>(sizeof(*keys))) !=
                1)
                throw std::runtime_error("strata::websocket: RAND_bytes failed");
            next_key = 0;
        }
        return (*keys)[next_key++];
    }

    void frame(opcode op, bool fin, bool rsv1, std::span<const std::byte> payload, bool may_reference)
    {
        std::array<std::byte, max_frame_header_bytes> hdr;
        if (who == role::client) {
            const mask_key key = new_mask_key();
            const std::size_t n = write_frame_header(hdr, op, fin, rsv1, payload.size(), &key);
            auto room = pending.append_uninitialized(n + payload.size());
            std::memcpy(room.data(), hdr.data(), n);
            if (!payload.empty())
                std::memcpy(room.data() + n, payload.data(), payload.size());
            apply_mask(room.subspan(n), key, 0);
            return;
        }
        const std::size_t n = write_frame_header(hdr, op, fin, rsv1, payload.size(), nullptr);
        pending.append({hdr.data(), n});
        if (may_reference && payload.size() >= reference_threshold)
            pending.append_external(payload);
        else
            pending.append(payload);
    }

    /// A message's (or piece's) payload as frames of at most write_fragment_bytes.
    void data_frames(std::span<const std::byte> data, bool fin, bool may_reference)
    {
        const std::size_t frag = cfg.write_fragment_bytes;
        do {
            const std::size_t n = frag == 0 ? data.size() : std::min(frag, data.size());
            const opcode op = w_started                      ? opcode::continuation
                              : w_type == message_type::text ? opcode::text
                                                             : opcode::binary;
            const bool rsv1 = w_compressed && !w_started;
            frame(op, fin && n == data.size(), rsv1, data.first(n), may_reference);
            w_started = true;
            data = data.subspan(n);
        } while (!data.empty());
    }

    std::size_t pong_frame_bytes() const noexcept
    {
        return pong_pending ? 2 + (who == role::client ? 4 : 0) + pong_size : 0;
    }

    void flush_pong()
    {
        if (!pong_pending)
            return;
        pong_pending = false;
        frame(opcode::pong, true, false, {pong_payload.data(), pong_size}, false);
    }

    void queue_close(std::uint16_t code, std::string_view reason)
    {
        flush_pong();
        std::array<std::byte, max_control_payload> p;
        std::size_t n = 0;
        if (code != static_cast<std::uint16_t>(close_code::no_status)) {
            p[0] = static_cast<std::byte>(code >> 8);
            p[1] = static_cast<std::byte>(code & 0xff);
            if (!reason.empty())
                std::memcpy(p.data() + 2, reason.data(), reason.size());
            n = 2 + reason.size();
        }
        frame(opcode::close, true, false, {p.data(), n}, false);
        close_sent = true;
    }

    // ---- input helpers ----

    result fail(websocket::error e, std::size_t consumed)
    {
        failed = true;
        ec = e;
        if (!close_sent)
            queue_close(static_cast<std::uint16_t>(close_code_for(ec)), {});
        return {consumed, std::nullopt, ec};
    }

    /// RFC 6455 §5.2-5.5 and RFC 7692 §6 on a header, before any payload.
    std::optional<websocket::error> check_header(const frame_header& h) const noexcept
    {
        const auto op = static_cast<std::uint8_t>(h.op);
        if (h.rsv2 || h.rsv3)
            return websocket::error::reserved_bits;
        if ((op >= 3 && op <= 7) || op >= 11)
            return websocket::error::bad_opcode;
        if (is_control(h.op)) {
            if (!h.fin)
                return websocket::error::fragmented_control;
            if (h.payload_size > max_control_payload)
                return websocket::error::control_too_big;
            if (h.rsv1)
                return websocket::error::reserved_bits;
        }
        // RFC 6455 §5.1: a client masks every frame, a server none.
        if (who == role::server && !h.masked)
            return websocket::error::unmasked_frame;
        if (who == role::client && h.masked)
            return websocket::error::masked_frame;
        if (is_control(h.op))
            return std::nullopt;
        if (h.op == opcode::continuation) {
            if (!in_message)
                return websocket::error::unexpected_continuation;
            // RFC 7692 §6.1: RSV1 only on a message's first frame.
            if (h.rsv1)
                return websocket::error::reserved_bits;
        } else {
            if (in_message)
                return websocket::error::expected_continuation;
            if (h.rsv1 && !deflate)
                return websocket::error::reserved_bits;
        }
        if (h.payload_size > cfg.max_frame_bytes)
            return websocket::error::frame_too_big;
        const std::uint64_t so_far = h.op == opcode::continuation ? msg_wire_bytes : 0;
        if (h.payload_size > cfg.max_message_bytes - std::min<std::uint64_t>(so_far, cfg.max_message_bytes))
            return websocket::error::message_too_big;
        return std::nullopt;
    }

    /// A whole control frame, payload unmasked.
    result control(const frame_header& h, std::span<std::byte> payload, std::size_t consumed)
    {
        switch (h.op) {
        case opcode::ping:
            if (!close_sent) {
                if (!payload.empty())
                    std::memcpy(pong_payload.data(), payload.data(), payload.size());
                pong_size = payload.size();
                pong_pending = true;
            }
            return {consumed, event{ping{payload}}, {}};
        case opcode::pong:
            return {consumed, event{pong{payload}}, {}};
        default:
            break;
        }
        // close (RFC 6455 §5.5.1)
        std::uint16_t code = static_cast<std::uint16_t>(close_code::no_status);
        std::string_view reason;
        if (payload.size() == 1)
            return fail(websocket::error::bad_close_payload, consumed);
        if (payload.size() >= 2) {
            code = static_cast<std::uint16_t>(std::to_integer<unsigned>(payload[0]) << 8 |
                                              std::to_integer<unsigned>(payload[1]));
            if (!is_valid_close_code(code))
                return fail(websocket::error::bad_close_code, consumed);
            auto r = payload.subspan(2);
            if (cfg.validate_utf8 && !is_valid_utf8(r))
                return fail(websocket::error::invalid_utf8, consumed);
            reason = {reinterpret_cast<const char*>(r.data()), r.size()};
        }
        close_received = true;
        // Echo the code (RFC 6455 §5.5.1); an empty close is answered empty.
        if (!close_sent)
            queue_close(code, {});
        return {consumed, event{close{code, reason}}, {}};
    }

    result read(std::span<std::byte> in)
    {
        if (failed)
            return {in.size(), std::nullopt, ec};
        if (close_received)
            return {in.size(), std::nullopt, {}};
        std::size_t pos = std::min(held, in.size());
        held = 0;
        for (;;) {
            if (state == rx::header) {
                frame_header h;
                const auto st = parse_frame_header(in.subspan(pos), h);
                if (st == header_status::need_more)
                    return {pos, std::nullopt, {}};
                if (st == header_status::bad_length)
                    return fail(websocket::error::bad_length, pos);
                if (auto e = check_header(h))
                    return fail(*e, pos);
                if (is_control(h.op)) {
                    // Parsed only whole: at most 139 bytes.
                    if (in.size() - pos - h.header_size < h.payload_size)
                        return {pos, std::nullopt, {}};
                    auto payload = in.subspan(pos + h.header_size, static_cast<std::size_t>(h.payload_size));
                    if (h.masked)
                        apply_mask(payload, h.key, 0);
                    return control(h, payload, pos + h.header_size + payload.size());
                }
                pos += h.header_size;
                if (h.op != opcode::continuation) {
                    in_message = true;
                    msg_type = h.op == opcode::text ? message_type::text : message_type::binary;
                    msg_compressed = h.rsv1;
                    msg_first_pending = true;
                    msg_wire_bytes = 0;
                    utf8.reset();
                }
                msg_wire_bytes += h.payload_size;
                fh = h;
                remaining = h.payload_size;
                frame_pos = 0;
                ahead = 0;
                state = rx::payload;
            }

            const std::size_t avail =
                static_cast<std::size_t>(std::min<std::uint64_t>(remaining, in.size() - pos));
            const bool text = msg_type == message_type::text && cfg.validate_utf8;
            if (!msg_compressed) {
                if (avail == 0 && remaining > 0)
                    return {pos, std::nullopt, {}};
                auto piece = in.subspan(pos, avail);
                if (fh.masked)
                    apply_mask(piece, fh.key, static_cast<std::size_t>(frame_pos & 3));
                frame_pos += avail;
                remaining -= avail;
                pos += avail;
                const bool frame_end = remaining == 0;
                const bool msg_end = frame_end && fh.fin;
                if (text && (!utf8.feed(piece) || (msg_end && !utf8.finish())))
                    return fail(websocket::error::invalid_utf8, pos);
                if (frame_end)
                    state = rx::header;
                if (msg_end)
                    in_message = false;
                if (piece.empty() && !msg_end)
                    continue;
                const bool first = msg_first_pending;
                msg_first_pending = false;
                return {pos, event{message_data{piece, msg_type, first, msg_end}}, {}};
            }

            // Compressed: inflate what is here into our buffer.
            if (avail == 0 && remaining > 0 && !inflate_more)
                return {pos, std::nullopt, {}};
            const std::size_t fresh = std::min(ahead, avail);
            if (fh.masked)
                apply_mask(in.subspan(pos + fresh, avail - fresh), fh.key,
                           static_cast<std::size_t>((frame_pos + fresh) & 3));
            ahead = avail;
            const bool ends_message = fh.fin && avail == remaining;
            if (inflate_buf.size() < inflate_chunk)
                inflate_buf.resize(inflate_chunk);
            error_code zec;
            const auto r = deflate->inflate(in.subspan(pos, avail), ends_message, inflate_buf,
                                            cfg.max_message_bytes, zec);
            if (zec) {
                // Report the first fault in the stream: text that went bad
                // before the data did, whatever size the reads were.
                if (text && !utf8.feed({inflate_buf.data(), r.produced}))
                    return fail(websocket::error::invalid_utf8, pos);
                if (zec.category() == websocket_category())
                    return fail(static_cast<websocket::error>(zec.value()), pos);
                failed = true; // out of memory: no protocol error to report
                ec = zec;
                if (!close_sent)
                    queue_close(static_cast<std::uint16_t>(close_code::internal_error), {});
                return {pos, std::nullopt, ec};
            }
            pos += r.consumed;
            remaining -= r.consumed;
            frame_pos += r.consumed;
            ahead -= r.consumed;
            inflate_more = !r.done && r.produced == inflate_buf.size();
            std::span<const std::byte> out{inflate_buf.data(), r.produced};
            if (text && (!utf8.feed(out) || (r.done && !utf8.finish())))
                return fail(websocket::error::invalid_utf8, pos);
            if (r.done) {
                state = rx::header;
                in_message = false;
                ahead = 0;
            } else if (remaining == 0 && !fh.fin && !inflate_more) {
                // The frame is inflated and nothing is left pending: the next frame.
                state = rx::header;
            }
            if (r.produced == 0 && !r.done) {
                if (state == rx::payload && r.consumed == 0)
                    return {pos, std::nullopt, {}};
                continue;
            }
            const bool first = msg_first_pending;
            msg_first_pending = false;
            // More may come out without more input: keep a byte back so the
            // caller, seeing something left, calls again rather than waiting
            // for the peer.
            if (inflate_more && pos > 0) {
                held = 1;
                --pos;
            }
            return {pos, event{message_data{out, msg_type, first, r.done}}, {}};
        }
    }
};

connection::connection(role r, const config& cfg, std::optional<deflate_params> deflate,
                       const deflate_config& dcfg)
    : impl_(std::make_unique<impl>(r, cfg, deflate, dcfg))
{}

connection::~connection() = default;
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;

connection::result connection::read(std::span<std::byte> in)
{
    return impl_->read(in);
}

void connection::write_message(message_type type, std::span<const std::byte> payload, bool fin,
                               error_code& ec)
{
    ec = {};
    auto& m = *impl_;
    if (m.failed || m.close_sent) {
        ec = websocket::error::closed;
        return;
    }
    if (!m.w_in_message) {
        m.w_type = type;
        m.w_started = false;
        m.w_compressed =
            m.deflate && m.deflate->can_compress() && (!fin || payload.size() >= m.min_compress_bytes);
    }
    if (m.w_compressed) {
        m.zbuf.clear();
        m.deflate->compress(payload, fin, m.zbuf, ec);
        if (ec)
            return;
        m.data_frames(m.zbuf, fin, false);
        if (m.zbuf.capacity() > max_kept_buffer)
            std::vector<std::byte>().swap(m.zbuf);
    } else {
        m.data_frames(payload, fin, true);
    }
    m.w_in_message = !fin;
}

void connection::write_ping(std::span<const std::byte> payload, error_code& ec)
{
    ec = {};
    auto& m = *impl_;
    if (m.failed || m.close_sent) {
        ec = websocket::error::closed;
        return;
    }
    if (payload.size() > max_control_payload) {
        ec = websocket::error::bad_write;
        return;
    }
    m.frame(opcode::ping, true, false, payload, false);
}

void connection::write_pong(std::span<const std::byte> payload, error_code& ec)
{
    ec = {};
    auto& m = *impl_;
    if (m.failed || m.close_sent) {
        ec = websocket::error::closed;
        return;
    }
    if (payload.size() > max_control_payload) {
        ec = websocket::error::bad_write;
        return;
    }
    m.frame(opcode::pong, true, false, payload, false);
}

void connection::write_close(std::uint16_t code, std::string_view reason, error_code& ec)
{
    ec = {};
    auto& m = *impl_;
    if (m.failed || m.close_sent) {
        ec = websocket::error::closed;
        return;
    }
    const bool empty = code == static_cast<std::uint16_t>(close_code::no_status);
    if ((!empty && !is_valid_close_code(code)) || !is_valid_utf8(as_bytes(reason))) {
        ec = websocket::error::bad_write;
        return;
    }
    m.queue_close(code, empty ? std::string_view{} : cut_at_boundary(reason, max_close_reason));
}

std::span<const net::const_buffer> connection::output()
{
    auto& m = *impl_;
    if (m.in_flight)
        return m.list;
    m.flush_pong();
    m.list.clear();
    if (m.pending.empty())
        return {};
    std::swap(m.pending, m.flight);
    m.in_flight = true;
    for (const auto& s : m.flight.segs) {
        if (s.size == 0)
            continue;
        m.list.emplace_back(s.external ? s.external : m.flight.bytes.data() + s.offset, s.size);
    }
    return m.list;
}

std::size_t connection::output_bytes() const noexcept
{
    const auto& m = *impl_;
    return (m.in_flight ? m.flight.total : 0) + m.pending.total + m.pong_frame_bytes();
}

void connection::output_written() noexcept
{
    auto& m = *impl_;
    if (!m.in_flight)
        return;
    m.flight.clear();
    m.in_flight = false;
    m.list.clear();
    if (m.list.capacity() > 64)
        std::vector<net::const_buffer>().swap(m.list);
}

bool connection::close_sent() const noexcept
{
    return impl_->close_sent;
}
bool connection::close_received() const noexcept
{
    return impl_->close_received;
}
bool connection::done() const noexcept
{
    return impl_->failed || (impl_->close_sent && impl_->close_received);
}
bool connection::failed() const noexcept
{
    return impl_->failed;
}
error_code connection::error() const noexcept
{
    return impl_->ec;
}
bool connection::deflate_enabled() const noexcept
{
    return impl_->deflate.has_value();
}
role connection::get_role() const noexcept
{
    return impl_->who;
}

std::size_t connection::memory_usage() const noexcept
{
    const auto& m = *impl_;
    return sizeof(impl) + m.pending.capacity_bytes() + m.flight.capacity_bytes() +
           m.list.capacity() * sizeof(net::const_buffer) + m.inflate_buf.capacity() + m.zbuf.capacity() +
           (m.keys ? sizeof(*m.keys) : 0) + (m.deflate ? m.deflate->memory_usage() : 0);
}

void connection::shrink_to_fit() noexcept
{
    auto& m = *impl_;
    if (!m.in_flight && m.pending.empty()) {
        m.pending.release();
        m.flight.release();
        std::vector<net::const_buffer>().swap(m.list);
    }
    if (!(m.in_message && m.msg_compressed))
        std::vector<std::byte>().swap(m.inflate_buf);
    std::vector<std::byte>().swap(m.zbuf);
    m.keys.reset();
    m.next_key = key_batch;
}

} // namespace strata::websocket
