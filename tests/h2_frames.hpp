// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Raw HTTP/2 frames for tests (RFC 9113 §4, §6), built and parsed by hand so
// a test can say exactly what goes on the wire, including what a correct
// peer would never send: frames on the wrong stream, floods, bad windows.
//
// Byte strings are std::string (easy to concatenate, compare and print);
// as_bytes() views one as std::span<const std::byte> for a codec.
//
// Header blocks are hand-encoded as HPACK literals without indexing (RFC 7541
// §6.2.2, no Huffman), so building frames needs no library and keeps no
// dynamic-table state: any block can be sent on any connection in any order.
// Raw blocks (e.g. RFC 7541 Appendix C vectors) go through headers_block().
// Decoding the blocks a codec writes needs a real HPACK decoder: hpack_decoder
// wraps nghttp2's inflater, so only a target that uses it links nghttp2.

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::test::h2 {

// ---- vocabulary (RFC 9113 §6, §7, §11) -------------------------------------

namespace type {
inline constexpr std::uint8_t data = 0x0;
inline constexpr std::uint8_t headers = 0x1;
inline constexpr std::uint8_t priority = 0x2;
inline constexpr std::uint8_t rst_stream = 0x3;
inline constexpr std::uint8_t settings = 0x4;
inline constexpr std::uint8_t push_promise = 0x5;
inline constexpr std::uint8_t ping = 0x6;
inline constexpr std::uint8_t goaway = 0x7;
inline constexpr std::uint8_t window_update = 0x8;
inline constexpr std::uint8_t continuation = 0x9;
} // namespace type

namespace flag {
inline constexpr std::uint8_t none = 0x0;
inline constexpr std::uint8_t end_stream = 0x1;
inline constexpr std::uint8_t ack = 0x1;
inline constexpr std::uint8_t end_headers = 0x4;
inline constexpr std::uint8_t padded = 0x8;
inline constexpr std::uint8_t priority = 0x20;
} // namespace flag

namespace setting {
inline constexpr std::uint16_t header_table_size = 0x1;
inline constexpr std::uint16_t enable_push = 0x2;
inline constexpr std::uint16_t max_concurrent_streams = 0x3;
inline constexpr std::uint16_t initial_window_size = 0x4;
inline constexpr std::uint16_t max_frame_size = 0x5;
inline constexpr std::uint16_t max_header_list_size = 0x6;
inline constexpr std::uint16_t enable_connect_protocol = 0x8; // RFC 8441
inline constexpr std::uint16_t no_rfc7540_priorities = 0x9;   // RFC 9218
} // namespace setting

/// RFC 9113 §7 error codes, as carried by RST_STREAM and GOAWAY.
namespace code {
inline constexpr std::uint32_t no_error = 0x0;
inline constexpr std::uint32_t protocol_error = 0x1;
inline constexpr std::uint32_t internal_error = 0x2;
inline constexpr std::uint32_t flow_control_error = 0x3;
inline constexpr std::uint32_t settings_timeout = 0x4;
inline constexpr std::uint32_t stream_closed = 0x5;
inline constexpr std::uint32_t frame_size_error = 0x6;
inline constexpr std::uint32_t refused_stream = 0x7;
inline constexpr std::uint32_t cancel = 0x8;
inline constexpr std::uint32_t compression_error = 0x9;
inline constexpr std::uint32_t connect_error = 0xa;
inline constexpr std::uint32_t enhance_your_calm = 0xb;
inline constexpr std::uint32_t inadequate_security = 0xc;
inline constexpr std::uint32_t http_1_1_required = 0xd;
} // namespace code

/// The frame header is 9 octets (RFC 9113 §4.1).
inline constexpr std::size_t frame_header_size = 9;

using field = std::pair<std::string, std::string>;
using field_list = std::vector<field>;

inline std::span<const std::byte> as_bytes(std::string_view s) noexcept
{
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::string as_string(std::span<const std::byte> b)
{
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// ---- big-endian integers -------------------------------------------------

inline void put_u16(std::string& out, std::uint16_t v)
{
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v));
}

inline void put_u24(std::string& out, std::uint32_t v)
{
    out.push_back(static_cast<char>(v >> 16));
    put_u16(out, static_cast<std::uint16_t>(v));
}

inline void put_u32(std::string& out, std::uint32_t v)
{
    put_u16(out, static_cast<std::uint16_t>(v >> 16));
    put_u16(out, static_cast<std::uint16_t>(v));
}

inline std::uint32_t get_u32(std::string_view s, std::size_t at = 0)
{
    if (s.size() < at + 4)
        throw std::out_of_range("h2 frame payload too short for a 32-bit field");
    auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])); };
    return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

inline std::uint16_t get_u16(std::string_view s, std::size_t at = 0)
{
    if (s.size() < at + 2)
        throw std::out_of_range("h2 frame payload too short for a 16-bit field");
    return static_cast<std::uint16_t>(static_cast<unsigned char>(s[at]) << 8 |
                                      static_cast<unsigned char>(s[at + 1]));
}

/// Decodes hex digits, ignoring spaces and newlines: "8286 8441" -> 4 bytes.
inline std::string from_hex(std::string_view hex)
{
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    std::string out;
    int high = -1;
    for (char c : hex) {
        int n = nibble(c);
        if (n < 0)
            continue;
        if (high < 0) {
            high = n;
        } else {
            out.push_back(static_cast<char>(high << 4 | n));
            high = -1;
        }
    }
    if (high >= 0)
        throw std::invalid_argument("odd number of hex digits");
    return out;
}

// ---- HPACK encoding (RFC 7541), literals only --------------------------------

namespace hpack {

/// An integer with an N-bit prefix (RFC 7541 §5.1); `first` holds the
/// pattern bits above the prefix.
inline std::string integer(std::uint64_t value, unsigned prefix_bits, std::uint8_t first = 0)
{
    std::string out;
    const std::uint64_t max_prefix = (1u << prefix_bits) - 1;
    if (value < max_prefix) {
        out.push_back(static_cast<char>(first | value));
        return out;
    }
    out.push_back(static_cast<char>(first | max_prefix));
    value -= max_prefix;
    while (value >= 128) {
        out.push_back(static_cast<char>(0x80 | (value & 0x7f)));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
    return out;
}

/// A string literal without Huffman coding (RFC 7541 §5.2).
inline std::string string(std::string_view s)
{
    return integer(s.size(), 7, 0x00) + std::string(s);
}

/// Literal field without indexing, new name (RFC 7541 §6.2.2): the decoder's
/// dynamic table is left alone. Names go out as given, uppercase included,
/// so a test can send what RFC 9113 §8.2.1 forbids.
inline std::string literal(std::string_view name, std::string_view value)
{
    return std::string(1, '\x00') + string(name) + string(value);
}

/// Literal field never indexed, new name (RFC 7541 §6.2.3).
inline std::string never_indexed(std::string_view name, std::string_view value)
{
    return std::string(1, '\x10') + string(name) + string(value);
}

/// Literal field with incremental indexing, new name (RFC 7541 §6.2.1).
inline std::string indexed_literal(std::string_view name, std::string_view value)
{
    return std::string(1, '\x40') + string(name) + string(value);
}

/// Indexed field (RFC 7541 §6.1): e.g. 2 is ":method: GET".
inline std::string indexed(std::uint32_t index)
{
    return integer(index, 7, 0x80);
}

/// Dynamic table size update (RFC 7541 §6.3).
inline std::string table_size_update(std::uint32_t size)
{
    return integer(size, 5, 0x20);
}

/// A whole block of literals without indexing, in order.
inline std::string encode(const field_list& fields)
{
    std::string out;
    for (const auto& [n, v] : fields)
        out += literal(n, v);
    return out;
}

} // namespace hpack

// ---- frame builders (RFC 9113 §6) ------------------------------------------

/// The client connection preface (RFC 9113 §3.4), without the SETTINGS that follows it.
inline std::string preface()
{
    return "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
}

/// Any frame: 24-bit length, type, flags, 31-bit stream id (RFC 9113 §4.1).
/// The payload may be longer than a peer's SETTINGS_MAX_FRAME_SIZE on purpose.
inline std::string frame(std::uint8_t frame_type, std::uint8_t flags, std::uint32_t stream,
                         std::string_view payload)
{
    if (payload.size() > 0xffffff)
        throw std::length_error("h2 frame payload over 2^24-1 bytes");
    std::string out;
    out.reserve(frame_header_size + payload.size());
    put_u24(out, static_cast<std::uint32_t>(payload.size()));
    out.push_back(static_cast<char>(frame_type));
    out.push_back(static_cast<char>(flags));
    put_u32(out, stream & 0x7fffffff);
    out.append(payload);
    return out;
}

/// Prepends the Pad Length octet and appends `pad` zero octets (RFC 9113 §6.1).
inline std::string padded_payload(std::string_view payload, std::uint8_t pad)
{
    std::string out(1, static_cast<char>(pad));
    out.append(payload);
    out.append(pad, '\0');
    return out;
}

/// SETTINGS (RFC 9113 §6.5) with the given (identifier, value) pairs.
inline std::string settings(std::initializer_list<std::pair<std::uint16_t, std::uint32_t>> entries = {})
{
    std::string payload;
    for (auto [id, value] : entries) {
        put_u16(payload, id);
        put_u32(payload, value);
    }
    return frame(type::settings, flag::none, 0, payload);
}

inline std::string settings_ack()
{
    return frame(type::settings, flag::ack, 0, {});
}

/// HEADERS carrying `block` as is. flags default to END_HEADERS; add
/// flag::end_stream for a request without a body, or leave END_HEADERS out
/// and follow with continuation().
inline std::string headers_block(std::uint32_t stream, std::string_view block,
                                 std::uint8_t flags = flag::end_headers)
{
    return frame(type::headers, flags, stream, block);
}

/// HEADERS with the fields encoded as literals (pseudo-fields included, in
/// the order given).
inline std::string headers(std::uint32_t stream, const field_list& fields,
                           std::uint8_t flags = flag::end_headers)
{
    return headers_block(stream, hpack::encode(fields), flags);
}

/// HEADERS with the PRIORITY flag's fields (RFC 9113 §6.2, deprecated but legal).
inline std::string headers_with_priority(std::uint32_t stream, const field_list& fields,
                                         std::uint32_t depends_on, std::uint8_t weight,
                                         std::uint8_t flags = flag::end_headers)
{
    std::string payload;
    put_u32(payload, depends_on & 0x7fffffff);
    payload.push_back(static_cast<char>(weight));
    payload += hpack::encode(fields);
    return frame(type::headers, static_cast<std::uint8_t>(flags | flag::priority), stream, payload);
}

inline std::string continuation(std::uint32_t stream, std::string_view block,
                                std::uint8_t flags = flag::end_headers)
{
    return frame(type::continuation, flags, stream, block);
}

/// A request head: :method, :scheme, :path (when not empty), :authority,
/// then `extra` in order.
inline field_list request_fields(std::string_view method, std::string_view path,
                                 std::string_view authority = "example.com", const field_list& extra = {},
                                 std::string_view scheme = "https")
{
    field_list f{{":method", std::string(method)}, {":scheme", std::string(scheme)}};
    if (!path.empty())
        f.emplace_back(":path", std::string(path));
    f.emplace_back(":authority", std::string(authority));
    f.insert(f.end(), extra.begin(), extra.end());
    return f;
}

/// A complete request head in one HEADERS frame.
inline std::string request(std::uint32_t stream, std::string_view method, std::string_view path,
                           bool end_stream = true, const field_list& extra = {})
{
    return headers(stream, request_fields(method, path, "example.com", extra),
                   static_cast<std::uint8_t>(flag::end_headers | (end_stream ? flag::end_stream : 0)));
}

/// A response head in one HEADERS frame.
inline std::string response(std::uint32_t stream, unsigned status, bool end_stream = false,
                            const field_list& extra = {})
{
    field_list f{{":status", std::to_string(status)}};
    f.insert(f.end(), extra.begin(), extra.end());
    return headers(stream, f,
                   static_cast<std::uint8_t>(flag::end_headers | (end_stream ? flag::end_stream : 0)));
}

/// DATA (RFC 9113 §6.1); a non-zero `pad` adds PADDED and that many padding
/// octets (they count against flow control).
inline std::string data(std::uint32_t stream, std::string_view payload, std::uint8_t flags = flag::none,
                        std::uint8_t pad = 0)
{
    if (pad != 0)
        return frame(type::data, static_cast<std::uint8_t>(flags | flag::padded), stream,
                     padded_payload(payload, pad));
    return frame(type::data, flags, stream, payload);
}

inline std::string rst_stream(std::uint32_t stream, std::uint32_t error_code)
{
    std::string payload;
    put_u32(payload, error_code);
    return frame(type::rst_stream, flag::none, stream, payload);
}

/// PING with 8 opaque octets (RFC 9113 §6.7).
inline std::string ping(std::uint64_t opaque = 0, bool ack = false)
{
    std::string payload;
    put_u32(payload, static_cast<std::uint32_t>(opaque >> 32));
    put_u32(payload, static_cast<std::uint32_t>(opaque));
    return frame(type::ping, ack ? flag::ack : flag::none, 0, payload);
}

inline std::string goaway(std::uint32_t last_stream, std::uint32_t error_code, std::string_view debug = {})
{
    std::string payload;
    put_u32(payload, last_stream & 0x7fffffff);
    put_u32(payload, error_code);
    payload.append(debug);
    return frame(type::goaway, flag::none, 0, payload);
}

/// WINDOW_UPDATE (RFC 9113 §6.9); stream 0 is the connection window. The
/// increment is sent as given (0 and values over 2^31-1 included).
inline std::string window_update(std::uint32_t stream, std::uint32_t increment)
{
    std::string payload;
    put_u32(payload, increment);
    return frame(type::window_update, flag::none, stream, payload);
}

/// PRIORITY (RFC 9113 §6.3); weight is the wire value (actual weight - 1).
inline std::string priority(std::uint32_t stream, std::uint32_t depends_on, std::uint8_t weight = 15,
                            bool exclusive = false)
{
    std::string payload;
    put_u32(payload, (depends_on & 0x7fffffff) | (exclusive ? 0x80000000u : 0u));
    payload.push_back(static_cast<char>(weight));
    return frame(type::priority, flag::none, stream, payload);
}

// ---- parsing -------------------------------------------------------------

struct parsed_frame {
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    std::uint32_t stream = 0;
    std::string payload;

    bool has(std::uint8_t f) const noexcept { return (flags & f) == f; }
};

/// Splits a byte stream into frames as they arrive: feed() bytes, then
/// next() until it returns nullopt (an incomplete frame stays buffered).
class frame_reader {
public:
    /// expect_preface: the stream starts with the client preface (a server's
    /// view of its input); it is checked and skipped.
    explicit frame_reader(bool expect_preface = false) : preface_left_(expect_preface ? preface().size() : 0)
    {}

    void feed(std::string_view bytes) { buffer_.append(bytes); }

    std::optional<parsed_frame> next()
    {
        if (preface_left_ != 0) {
            if (buffer_.size() < preface_left_)
                return std::nullopt;
            if (buffer_.compare(0, preface_left_, preface()) != 0)
                throw std::runtime_error("h2 byte stream does not start with the client preface");
            buffer_.erase(0, preface_left_);
            preface_left_ = 0;
        }
        if (buffer_.size() < frame_header_size)
            return std::nullopt;
        auto b = [&](std::size_t i) {
            return static_cast<std::uint32_t>(static_cast<unsigned char>(buffer_[i]));
        };
        const std::size_t length = b(0) << 16 | b(1) << 8 | b(2);
        if (buffer_.size() < frame_header_size + length)
            return std::nullopt;
        parsed_frame f;
        f.type = static_cast<std::uint8_t>(b(3));
        f.flags = static_cast<std::uint8_t>(b(4));
        f.stream = get_u32(buffer_, 5) & 0x7fffffff;
        f.payload = buffer_.substr(frame_header_size, length);
        buffer_.erase(0, frame_header_size + length);
        return f;
    }

    /// Bytes held back: part of a frame not yet complete.
    std::size_t buffered() const noexcept { return buffer_.size(); }

private:
    std::string buffer_;
    std::size_t preface_left_;
};

/// Every complete frame in `wire`; throws if bytes are left over, since a
/// codec's output list always ends on a frame boundary.
inline std::vector<parsed_frame> parse(std::string_view wire, bool expect_preface = false)
{
    frame_reader r{expect_preface};
    r.feed(wire);
    std::vector<parsed_frame> out;
    while (auto f = r.next())
        out.push_back(std::move(*f));
    if (r.buffered() != 0)
        throw std::runtime_error("h2 byte stream ends inside a frame");
    return out;
}

/// The error code of an RST_STREAM frame.
inline std::uint32_t rst_stream_code(const parsed_frame& f)
{
    if (f.type != type::rst_stream)
        throw std::invalid_argument("not an RST_STREAM frame");
    return get_u32(f.payload);
}

inline std::uint32_t goaway_last_stream(const parsed_frame& f)
{
    if (f.type != type::goaway)
        throw std::invalid_argument("not a GOAWAY frame");
    return get_u32(f.payload) & 0x7fffffff;
}

inline std::uint32_t goaway_code(const parsed_frame& f)
{
    if (f.type != type::goaway)
        throw std::invalid_argument("not a GOAWAY frame");
    return get_u32(f.payload, 4);
}

inline std::string goaway_debug(const parsed_frame& f)
{
    if (f.type != type::goaway || f.payload.size() < 8)
        throw std::invalid_argument("not a GOAWAY frame");
    return f.payload.substr(8);
}

inline std::uint32_t window_increment(const parsed_frame& f)
{
    if (f.type != type::window_update)
        throw std::invalid_argument("not a WINDOW_UPDATE frame");
    return get_u32(f.payload) & 0x7fffffff;
}

/// The (identifier, value) pairs of a SETTINGS frame, in order.
inline std::vector<std::pair<std::uint16_t, std::uint32_t>> settings_entries(const parsed_frame& f)
{
    if (f.type != type::settings || f.payload.size() % 6 != 0)
        throw std::invalid_argument("not a well-formed SETTINGS frame");
    std::vector<std::pair<std::uint16_t, std::uint32_t>> out;
    for (std::size_t at = 0; at < f.payload.size(); at += 6)
        out.emplace_back(get_u16(f.payload, at), get_u32(f.payload, at + 2));
    return out;
}

/// The value a SETTINGS frame gives `id`, if it names it.
inline std::optional<std::uint32_t> setting_value(const parsed_frame& f, std::uint16_t id)
{
    std::optional<std::uint32_t> v;
    for (auto [i, value] : settings_entries(f))
        if (i == id)
            v = value; // the last one wins (RFC 9113 §6.5.3 processes in order)
    return v;
}

/// The body octets of a DATA frame, padding removed.
inline std::string data_payload(const parsed_frame& f)
{
    if (f.type != type::data)
        throw std::invalid_argument("not a DATA frame");
    if (!f.has(flag::padded))
        return f.payload;
    const std::size_t pad = f.payload.empty() ? 0 : static_cast<unsigned char>(f.payload[0]);
    if (f.payload.size() < 1 + pad)
        throw std::invalid_argument("DATA padding longer than the frame");
    return f.payload.substr(1, f.payload.size() - 1 - pad);
}

/// The header block fragment of a HEADERS or CONTINUATION frame, padding
/// and priority fields removed.
inline std::string block_fragment(const parsed_frame& f)
{
    if (f.type == type::continuation)
        return f.payload;
    if (f.type != type::headers)
        throw std::invalid_argument("not a HEADERS or CONTINUATION frame");
    std::size_t begin = 0;
    std::size_t pad = 0;
    if (f.has(flag::padded)) {
        pad = f.payload.empty() ? 0 : static_cast<unsigned char>(f.payload[0]);
        begin = 1;
    }
    if (f.has(flag::priority))
        begin += 5;
    if (f.payload.size() < begin + pad)
        throw std::invalid_argument("HEADERS padding or priority longer than the frame");
    return f.payload.substr(begin, f.payload.size() - begin - pad);
}

/// Frames of one type (and stream, unless `stream` is nullopt), in order.
inline std::vector<parsed_frame> of_type(const std::vector<parsed_frame>& frames, std::uint8_t t,
                                         std::optional<std::uint32_t> stream = std::nullopt)
{
    std::vector<parsed_frame> out;
    for (const auto& f : frames)
        if (f.type == t && (!stream || f.stream == *stream))
            out.push_back(f);
    return out;
}

/// The first frame of a type, or nullptr.
inline const parsed_frame* find(const std::vector<parsed_frame>& frames, std::uint8_t t,
                                std::optional<std::uint32_t> stream = std::nullopt)
{
    for (const auto& f : frames)
        if (f.type == t && (!stream || f.stream == *stream))
            return &f;
    return nullptr;
}

inline std::string type_name(std::uint8_t t)
{
    static constexpr const char* names[] = {"DATA",          "HEADERS",      "PRIORITY", "RST_STREAM",
                                            "SETTINGS",      "PUSH_PROMISE", "PING",     "GOAWAY",
                                            "WINDOW_UPDATE", "CONTINUATION"};
    return t < std::size(names) ? names[t] : "UNKNOWN(" + std::to_string(t) + ")";
}

/// One line per frame, for test failure messages: "GOAWAY 0 last=3 code=0xb".
inline std::string describe(const std::vector<parsed_frame>& frames)
{
    auto hex = [](std::uint32_t v) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string s;
        do {
            s.insert(s.begin(), digits[v & 0xf]);
            v >>= 4;
        } while (v != 0);
        return "0x" + s;
    };
    std::string out;
    for (const auto& f : frames) {
        out += type_name(f.type) + " " + std::to_string(f.stream) + " flags=" + hex(f.flags) +
               " len=" + std::to_string(f.payload.size());
        if (f.type == type::rst_stream && f.payload.size() == 4)
            out += " code=" + hex(rst_stream_code(f));
        else if (f.type == type::goaway && f.payload.size() >= 8)
            out += " last=" + std::to_string(goaway_last_stream(f)) + " code=" + hex(goaway_code(f));
        else if (f.type == type::window_update && f.payload.size() == 4)
            out += " increment=" + std::to_string(window_increment(f));
        out += "\n";
    }
    return out;
}

// ---- HPACK decoding (nghttp2's inflater) -------------------------------------

/// Decodes the header blocks one peer sends, in order, keeping the dynamic
/// table between blocks as the peer's encoder does. Header-only use of
/// nghttp2's public HPACK API: a target that uses this links nghttp2.
class hpack_decoder {
public:
    hpack_decoder()
    {
        if (nghttp2_hd_inflate_new(&inflater_) != 0)
            throw std::bad_alloc();
    }
    ~hpack_decoder() { nghttp2_hd_inflate_del(inflater_); }
    hpack_decoder(const hpack_decoder&) = delete;
    hpack_decoder& operator=(const hpack_decoder&) = delete;

    /// Decodes one complete header block; throws on a malformed one.
    field_list decode(std::string_view block)
    {
        field_list out;
        auto* in = reinterpret_cast<const std::uint8_t*>(block.data());
        std::size_t left = block.size();
        for (;;) {
            nghttp2_nv nv;
            int inflate_flags = 0;
            auto n = nghttp2_hd_inflate_hd2(inflater_, &nv, &inflate_flags, in, left, 1);
            if (n < 0)
                throw std::runtime_error(std::string("HPACK block does not decode: ") +
                                         nghttp2_strerror(static_cast<int>(n)));
            in += n;
            left -= static_cast<std::size_t>(n);
            if (inflate_flags & NGHTTP2_HD_INFLATE_EMIT)
                out.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                                 std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
            if (inflate_flags & NGHTTP2_HD_INFLATE_FINAL) {
                nghttp2_hd_inflate_end_headers(inflater_);
                break;
            }
            if ((inflate_flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0)
                break;
        }
        return out;
    }

    /// Decodes the header block HEADERS `at` starts in `frames` (with the
    /// CONTINUATION frames that follow it).
    field_list decode(const std::vector<parsed_frame>& frames, std::size_t at)
    {
        std::string block;
        for (std::size_t i = at; i < frames.size(); ++i) {
            block += block_fragment(frames[i]);
            if (frames[i].has(flag::end_headers))
                return decode(block);
        }
        throw std::invalid_argument("header block without END_HEADERS");
    }

    /// Decodes every HEADERS block in `frames`, in order: (stream, fields).
    /// (Pushes are refused by strata's client, so PUSH_PROMISE is not handled.)
    std::vector<std::pair<std::uint32_t, field_list>> decode_all(const std::vector<parsed_frame>& frames)
    {
        std::vector<std::pair<std::uint32_t, field_list>> out;
        for (std::size_t i = 0; i < frames.size(); ++i)
            if (frames[i].type == type::headers)
                out.emplace_back(frames[i].stream, decode(frames, i));
        return out;
    }

private:
    nghttp2_hd_inflater* inflater_ = nullptr;
};

} // namespace strata::test::h2
