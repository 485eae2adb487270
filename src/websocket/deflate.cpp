// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/http/fields.hpp>
#include <strata/websocket/deflate.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace strata::websocket {

// ---- negotiation ---------------------------------------------------------------

namespace {

constexpr std::string_view extension_name = "permessage-deflate";

bool is_tchar(char c) noexcept
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept
{
    return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

struct ext_param {
    std::string name;
    std::optional<std::string> value;
};

struct extension {
    std::string name;
    std::vector<ext_param> params;
};

/// Sec-WebSocket-Extensions (RFC 6455 §9.1):
///   extension-list = 1#extension
///   extension = extension-token *( ";" extension-param )
///   extension-param = token [ "=" (token | quoted-string) ]
/// where a quoted value, unescaped, must be a token too. False on a syntax error.
class extension_parser {
public:
    explicit extension_parser(std::string_view v) : s_(v) {}

    bool parse(std::vector<extension>& out)
    {
        for (;;) {
            skip_ows();
            if (at_end())
                return true;
            if (peek() == ',') { // empty list elements are allowed (RFC 9110 §5.6.1)
                ++i_;
                continue;
            }
            extension e;
            if (!token(e.name))
                return false;
            for (;;) {
                skip_ows();
                if (at_end() || peek() == ',')
                    break;
                if (peek() != ';')
                    return false;
                ++i_;
                skip_ows();
                ext_param p;
                if (!token(p.name))
                    return false;
                skip_ows();
                if (!at_end() && peek() == '=') {
                    ++i_;
                    skip_ows();
                    std::string v;
                    if (!at_end() && peek() == '"') {
                        if (!quoted(v) || !is_token(v))
                            return false;
                    } else if (!token(v)) {
                        return false;
                    }
                    p.value = std::move(v);
                }
                e.params.push_back(std::move(p));
            }
            out.push_back(std::move(e));
        }
    }

private:
    bool at_end() const noexcept { return i_ >= s_.size(); }
    char peek() const noexcept { return s_[i_]; }
    void skip_ows() noexcept
    {
        while (!at_end() && (peek() == ' ' || peek() == '\t'))
            ++i_;
    }
    bool token(std::string& out)
    {
        const std::size_t start = i_;
        while (!at_end() && is_tchar(peek()))
            ++i_;
        out.assign(s_.substr(start, i_ - start));
        return i_ > start;
    }
    bool quoted(std::string& out)
    {
        ++i_; // the opening quote
        while (!at_end()) {
            char c = s_[i_++];
            if (c == '"')
                return true;
            if (c == '\\') {
                if (at_end())
                    return false;
                c = s_[i_++];
            }
            out.push_back(c);
        }
        return false;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

/// A window bits value: 1*DIGIT, 8..15 (RFC 7692 §7.1.2), no leading zero.
std::optional<int> parse_bits(const std::optional<std::string>& v) noexcept
{
    if (!v || v->empty() || v->size() > 2 || (*v)[0] == '0')
        return std::nullopt;
    int n = 0;
    for (char c : *v) {
        if (c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + (c - '0');
    }
    if (n < 8 || n > 15)
        return std::nullopt;
    return n;
}

int clamp_bits(int bits) noexcept
{
    return std::clamp(bits, 8, 15);
}

/// The parameters of one permessage-deflate offer or response, each seen at
/// most once.
struct pmd_params {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    std::optional<int> server_max_window_bits;
    bool client_max_window_bits = false; ///< present, with or without a value
    std::optional<int> client_max_window_bits_value;
};

/// False: an unknown, duplicate or invalid parameter. `client_value_required`
/// is the response's rule (RFC 7692 §7.1.2.2): an offer may send
/// client_max_window_bits bare, a response must give the value.
bool read_params(const extension& e, bool client_value_required, pmd_params& out)
{
    bool seen[4] = {};
    for (const auto& p : e.params) {
        int which = -1;
        if (http::iequals(p.name, "server_no_context_takeover"))
            which = 0;
        else if (http::iequals(p.name, "client_no_context_takeover"))
            which = 1;
        else if (http::iequals(p.name, "server_max_window_bits"))
            which = 2;
        else if (http::iequals(p.name, "client_max_window_bits"))
            which = 3;
        if (which < 0 || seen[which])
            return false;
        seen[which] = true;
        switch (which) {
        case 0:
        case 1:
            if (p.value)
                return false;
            (which == 0 ? out.server_no_context_takeover : out.client_no_context_takeover) = true;
            break;
        case 2:
            out.server_max_window_bits = parse_bits(p.value);
            if (!out.server_max_window_bits)
                return false;
            break;
        default:
            out.client_max_window_bits = true;
            if (p.value || client_value_required) {
                out.client_max_window_bits_value = parse_bits(p.value);
                if (!out.client_max_window_bits_value)
                    return false;
            }
            break;
        }
    }
    return true;
}

} // namespace

std::string deflate_offer(const deflate_config& cfg)
{
    std::string s{extension_name};
    if (cfg.server_no_context_takeover)
        s += "; server_no_context_takeover";
    if (cfg.client_no_context_takeover)
        s += "; client_no_context_takeover";
    if (clamp_bits(cfg.server_max_window_bits) < 15)
        s += "; server_max_window_bits=" + std::to_string(clamp_bits(cfg.server_max_window_bits));
    // Always sent: it lets the server hold our compressor to a smaller window.
    s += "; client_max_window_bits";
    if (clamp_bits(cfg.client_max_window_bits) < 15)
        s += "=" + std::to_string(clamp_bits(cfg.client_max_window_bits));
    return s;
}

std::optional<deflate_params> deflate_negotiate(std::string_view request_extensions,
                                                const deflate_config& cfg, std::string& response)
{
    response.clear();
    if (!cfg.enable)
        return std::nullopt;
    std::vector<extension> offers;
    if (!extension_parser(request_extensions).parse(offers))
        return std::nullopt;
    for (const auto& offer : offers) {
        if (!http::iequals(offer.name, extension_name))
            continue;
        pmd_params o;
        if (!read_params(offer, false, o))
            continue;
        deflate_params p;
        // Our compressor: no larger than the client allows nor than we chose,
        // and never 8 (zlib's raw deflate has no 256-byte window).
        p.server_max_window_bits = std::min(std::max(clamp_bits(cfg.server_max_window_bits), 9),
                                            o.server_max_window_bits.value_or(15));
        if (p.server_max_window_bits < 9)
            continue;
        p.server_no_context_takeover = o.server_no_context_takeover || cfg.server_no_context_takeover;
        // The client's compressor: we may limit it only if it said it can be
        // limited (RFC 7692 §7.1.2.2); otherwise our decompressor takes 15.
        p.client_max_window_bits = o.client_max_window_bits
                                       ? std::min(clamp_bits(cfg.client_max_window_bits),
                                                  o.client_max_window_bits_value.value_or(15))
                                       : 15;
        // Asking the client to reset lets our decompressor go between messages.
        p.client_no_context_takeover = o.client_no_context_takeover || cfg.client_no_context_takeover;

        response.assign(extension_name);
        if (p.server_no_context_takeover)
            response += "; server_no_context_takeover";
        if (p.client_no_context_takeover)
            response += "; client_no_context_takeover";
        if (o.server_max_window_bits || p.server_max_window_bits < 15)
            response += "; server_max_window_bits=" + std::to_string(p.server_max_window_bits);
        if (o.client_max_window_bits && p.client_max_window_bits < 15)
            response += "; client_max_window_bits=" + std::to_string(p.client_max_window_bits);
        return p;
    }
    return std::nullopt;
}

std::optional<deflate_params> deflate_accept_response(std::string_view response_extensions,
                                                      const deflate_config& offered, error_code& ec)
{
    ec = {};
    std::vector<extension> exts;
    if (!extension_parser(response_extensions).parse(exts)) {
        ec = error::bad_extension;
        return std::nullopt;
    }
    if (exts.empty())
        return std::nullopt;
    // We offered one extension, once: anything else was not ours to accept.
    if (!offered.enable || exts.size() != 1 || !http::iequals(exts[0].name, extension_name)) {
        ec = error::bad_extension;
        return std::nullopt;
    }
    pmd_params r;
    if (!read_params(exts[0], true, r)) {
        ec = error::bad_extension;
        return std::nullopt;
    }
    const int server_limit = clamp_bits(offered.server_max_window_bits);
    const int client_limit = clamp_bits(offered.client_max_window_bits);
    if ((r.server_max_window_bits && server_limit < 15 && *r.server_max_window_bits > server_limit) ||
        (r.client_max_window_bits_value && *r.client_max_window_bits_value > client_limit)) {
        ec = error::bad_extension;
        return std::nullopt;
    }
    deflate_params p;
    p.server_no_context_takeover = r.server_no_context_takeover;
    p.client_no_context_takeover = r.client_no_context_takeover;
    // A server that leaves out server_max_window_bits may use 15; our
    // decompressor then takes 15, whatever we asked for.
    p.server_max_window_bits = r.server_max_window_bits.value_or(15);
    p.client_max_window_bits = r.client_max_window_bits_value.value_or(client_limit);
    return p;
}

// ---- the codec ------------------------------------------------------------------

namespace {

constexpr std::array<std::byte, 4> flush_tail{std::byte{0x00}, std::byte{0x00}, std::byte{0xff},
                                              std::byte{0xff}};

// zlib's allocations, counted so memory_usage() is exact. The size sits in
// front of each block; 16 bytes keep malloc's alignment.
constexpr std::size_t alloc_header = 16;

voidpf counted_alloc(voidpf opaque, uInt items, uInt size)
{
    const std::size_t n = static_cast<std::size_t>(items) * size;
    auto* base = static_cast<unsigned char*>(std::malloc(n + alloc_header));
    if (!base)
        return Z_NULL;
    std::memcpy(base, &n, sizeof n);
    *static_cast<std::size_t*>(opaque) += n;
    return base + alloc_header;
}

void counted_free(voidpf opaque, voidpf ptr)
{
    if (!ptr)
        return;
    auto* base = static_cast<unsigned char*>(ptr) - alloc_header;
    std::size_t n = 0;
    std::memcpy(&n, base, sizeof n);
    *static_cast<std::size_t*>(opaque) -= n;
    std::free(base);
}

/// zlib counts in uInt; larger spans go in slices.
constexpr std::size_t max_slice = std::size_t{1} << 30;

} // namespace

struct deflate_codec::impl {
    // Our direction.
    int deflate_bits = 15;
    bool deflate_reset = false; ///< no context takeover: a fresh compressor per message
    int level = 6;
    int mem_level = 8;
    // The peer's direction. Always inflated with the largest window, whatever
    // the peer's compressor was held to: zlib does not enforce a raw stream's
    // window, it refuses a match reaching past it only when the bytes are not
    // in the same inflate() call's output. A peer that overreaches would then
    // be accepted or refused depending on how its bytes were cut into reads;
    // with 2^15 every match deflate can express is decoded, however cut.
    static constexpr int inflate_bits = 15;
    bool inflate_reset = false;

    std::size_t allocated = 0; ///< by zlib, through counted_alloc
    z_stream def{};
    z_stream inf{};
    bool def_live = false;
    bool inf_live = false;

    // Compressing: the last 4 bytes written so far, held back because at the
    // message's end they are the 00 00 ff ff that RFC 7692 §7.2.1 removes.
    std::array<std::byte, 4> held{};
    std::size_t held_n = 0;

    // Inflating the current message.
    std::size_t tail_fed = 0;  ///< bytes of 00 00 ff ff given to zlib
    std::size_t total_out = 0; ///< inflated so far
    bool stream_end = false;   ///< the peer ended a block with BFINAL (RFC 7692 §7.2.3.4)

    ~impl()
    {
        end_deflate();
        end_inflate();
    }

    bool start_deflate() noexcept
    {
        if (def_live)
            return true;
        def = {};
        def.zalloc = counted_alloc;
        def.zfree = counted_free;
        def.opaque = &allocated;
        if (deflateInit2(&def, level, Z_DEFLATED, -deflate_bits, mem_level, Z_DEFAULT_STRATEGY) != Z_OK)
            return false;
        def_live = true;
        return true;
    }
    void end_deflate() noexcept
    {
        if (def_live)
            deflateEnd(&def);
        def_live = false;
    }
    bool start_inflate() noexcept
    {
        if (inf_live)
            return true;
        inf = {};
        inf.zalloc = counted_alloc;
        inf.zfree = counted_free;
        inf.opaque = &allocated;
        if (inflateInit2(&inf, -inflate_bits) != Z_OK)
            return false;
        inf_live = true;
        return true;
    }
    void end_inflate() noexcept
    {
        if (inf_live)
            inflateEnd(&inf);
        inf_live = false;
    }

    void end_inflated_message() noexcept
    {
        tail_fed = 0;
        total_out = 0;
        if (inflate_reset) {
            end_inflate();
        } else if (stream_end && inf_live) {
            // The peer ended its deflate stream but may still refer back into
            // the window from its next message: start a new stream that
            // keeps the window as its dictionary.
            std::vector<Bytef> window(std::size_t{1} << inflate_bits);
            uInt n = 0;
            inflateGetDictionary(&inf, window.data(), &n);
            inflateReset(&inf);
            if (n > 0)
                inflateSetDictionary(&inf, window.data(), n);
        }
        stream_end = false;
    }
};

deflate_codec::deflate_codec(role r, const deflate_params& p, const deflate_config& cfg)
    : impl_(std::make_unique<impl>())
{
    const bool server = r == role::server;
    // Our compressor keeps within what was negotiated and within what we
    // configured for our side; it may always drop its context.
    impl_->deflate_bits =
        std::min(clamp_bits(server ? p.server_max_window_bits : p.client_max_window_bits),
                 clamp_bits(server ? cfg.server_max_window_bits : cfg.client_max_window_bits));
    impl_->deflate_reset = server ? (p.server_no_context_takeover || cfg.server_no_context_takeover)
                                  : (p.client_no_context_takeover || cfg.client_no_context_takeover);
    impl_->inflate_reset = server ? p.client_no_context_takeover : p.server_no_context_takeover;
    impl_->level = std::clamp(cfg.compression_level, 0, 9);
    impl_->mem_level = std::clamp(cfg.mem_level, 1, 9);
}

deflate_codec::~deflate_codec() = default;
deflate_codec::deflate_codec(deflate_codec&&) noexcept = default;
deflate_codec& deflate_codec::operator=(deflate_codec&&) noexcept = default;

bool deflate_codec::can_compress() const noexcept
{
    return impl_->deflate_bits >= 9;
}

void deflate_codec::compress(std::span<const std::byte> in, bool last, std::vector<std::byte>& out,
                             error_code& ec)
{
    ec = {};
    auto& m = *impl_;
    if (!can_compress()) {
        ec = error::bad_write;
        return;
    }
    if (!m.start_deflate()) {
        ec = make_error_code(boost::system::errc::not_enough_memory);
        return;
    }
    const std::size_t start = out.size();
    out.insert(out.end(), m.held.begin(), m.held.begin() + static_cast<std::ptrdiff_t>(m.held_n));
    m.held_n = 0;
    std::size_t pos = out.size();
    for (;;) {
        const std::size_t slice = std::min(in.size(), max_slice);
        m.def.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
        m.def.avail_in = static_cast<uInt>(slice);
        // Z_SYNC_FLUSH: each piece is complete on the wire, ending byte-aligned
        // with an empty stored block (the 00 00 ff ff).
        const int flush = slice == in.size() ? Z_SYNC_FLUSH : Z_NO_FLUSH;
        for (;;) {
            const std::size_t room = std::max<std::size_t>(deflateBound(&m.def, m.def.avail_in), 1024);
            out.resize(pos + room);
            m.def.next_out = reinterpret_cast<Bytef*>(out.data() + pos);
            m.def.avail_out = static_cast<uInt>(room);
            const int rc = deflate(&m.def, flush);
            pos += room - m.def.avail_out;
            // Z_BUF_ERROR: nothing to do (a flush right after a flush).
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                out.resize(start);
                m.end_deflate();
                ec = make_error_code(boost::system::errc::io_error);
                return;
            }
            if (m.def.avail_out != 0 && m.def.avail_in == 0)
                break;
        }
        in = in.subspan(slice);
        if (in.empty())
            break;
    }
    out.resize(pos);
    // Hold the last 4 bytes back: only the next piece, or the message's end,
    // tells whether they go out or are the tail to remove.
    const std::size_t produced = pos - start;
    m.held_n = std::min<std::size_t>(produced, 4);
    std::memcpy(m.held.data(), out.data() + pos - m.held_n, m.held_n);
    out.resize(pos - m.held_n);
    if (last) {
        // RFC 7692 §7.2.1: data that does not end with an empty stored block
        // gets one (00 00 00 ff ff) before the 4 bytes are removed. zlib
        // flushes every piece, so only a message with no new output at all
        // (nothing since the last flush) lacks it: it becomes the lone 00.
        if (m.held_n != 4 || m.held != flush_tail) {
            out.insert(out.end(), m.held.begin(), m.held.begin() + static_cast<std::ptrdiff_t>(m.held_n));
            out.push_back(std::byte{0});
        }
        m.held_n = 0;
        if (m.deflate_reset)
            m.end_deflate();
    }
}

deflate_codec::inflate_result deflate_codec::inflate(std::span<const std::byte> in, bool last,
                                                     std::span<std::byte> out, std::size_t limit,
                                                     error_code& ec)
{
    ec = {};
    auto& m = *impl_;
    inflate_result r;
    if (!m.start_inflate()) {
        ec = make_error_code(boost::system::errc::not_enough_memory);
        return r;
    }
    if (m.stream_end) {
        // Past a final block nothing more is inflated: the rest of the
        // message is the remains of the flush (RFC 7692 §7.2.3.4).
        r.consumed = in.size();
        if (last) {
            r.done = true;
            m.end_inflated_message();
        }
        return r;
    }
    m.inf.next_out = reinterpret_cast<Bytef*>(out.data());
    m.inf.avail_out = static_cast<uInt>(std::min(out.size(), max_slice));
    const uInt out_size = m.inf.avail_out;
    bool drained = false;
    for (;;) {
        bool feeding_tail = false;
        if (r.consumed < in.size()) {
            const std::size_t slice = std::min(in.size() - r.consumed, max_slice);
            m.inf.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + r.consumed));
            m.inf.avail_in = static_cast<uInt>(slice);
        } else if (last && m.tail_fed < flush_tail.size()) {
            feeding_tail = true;
            m.inf.next_in =
                const_cast<Bytef*>(reinterpret_cast<const Bytef*>(flush_tail.data() + m.tail_fed));
            m.inf.avail_in = static_cast<uInt>(flush_tail.size() - m.tail_fed);
        } else {
            m.inf.next_in = nullptr;
            m.inf.avail_in = 0;
        }
        const uInt given = m.inf.avail_in;
        const int rc = ::inflate(&m.inf, Z_SYNC_FLUSH);
        const uInt taken = given - m.inf.avail_in;
        if (feeding_tail)
            m.tail_fed += taken;
        else
            r.consumed += taken;
        if (rc == Z_STREAM_END) {
            m.stream_end = true;
            r.consumed = in.size();
            drained = true;
            break;
        }
        if (rc == Z_BUF_ERROR) { // no progress: out of input, or of room
            drained = m.inf.avail_out != 0;
            break;
        }
        if (rc != Z_OK) {
            ec = rc == Z_MEM_ERROR ? make_error_code(boost::system::errc::not_enough_memory)
                                   : make_error_code(error::inflate_failed);
            break;
        }
        if (m.inf.avail_out == 0)
            break;
        if (m.inf.avail_in == 0 && r.consumed == in.size() && (!last || m.tail_fed == flush_tail.size())) {
            // zlib stopped with room left: all it could make from the input is out.
            drained = true;
            break;
        }
    }
    r.produced = out_size - m.inf.avail_out;
    m.total_out += r.produced;
    // Past the limit before any bad data: that fault comes first in the
    // stream, so it is the one reported, whatever the read sizes were.
    if (m.total_out > limit) {
        // What fits under the limit is still the message's; the rest is not.
        r.produced -= m.total_out - limit;
        ec = error::inflated_too_big;
    }
    if (ec) {
        m.end_inflate();
        m.tail_fed = 0;
        m.total_out = 0;
        m.stream_end = false;
        return r;
    }
    if (last && drained && r.consumed == in.size() && (m.stream_end || m.tail_fed == flush_tail.size())) {
        r.done = true;
        m.end_inflated_message();
    }
    return r;
}

std::size_t deflate_codec::memory_usage() const noexcept
{
    return impl_->allocated;
}

} // namespace strata::websocket
