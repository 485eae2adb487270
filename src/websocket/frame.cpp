// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/websocket/frame.hpp>

#include <cstring>

namespace strata::websocket {

namespace {

// 16 bytes at a time in a vector register, on any target GCC and Clang
// know; memcpy in and out keeps unaligned starts legal and is compiled to
// plain unaligned loads and stores.
using v16 = std::uint8_t __attribute__((vector_size(16)));

} // namespace

void apply_mask(std::span<std::byte> data, mask_key key, std::size_t offset) noexcept
{
    auto* p = reinterpret_cast<std::uint8_t*>(data.data());
    std::size_t n = data.size();
    // The key as it stands at the first byte, so the rest of the loop can
    // ignore the offset.
    std::uint8_t k[16];
    for (std::size_t i = 0; i < 16; ++i)
        k[i] = static_cast<std::uint8_t>(key[(offset + i) & 3]);
    if (n >= 16) {
        v16 kv;
        std::memcpy(&kv, k, 16);
        while (n >= 64) {
            v16 a, b, c, d;
            std::memcpy(&a, p, 16);
            std::memcpy(&b, p + 16, 16);
            std::memcpy(&c, p + 32, 16);
            std::memcpy(&d, p + 48, 16);
            a ^= kv;
            b ^= kv;
            c ^= kv;
            d ^= kv;
            std::memcpy(p, &a, 16);
            std::memcpy(p + 16, &b, 16);
            std::memcpy(p + 32, &c, 16);
            std::memcpy(p + 48, &d, 16);
            p += 64;
            n -= 64;
        }
        while (n >= 16) {
            v16 a;
            std::memcpy(&a, p, 16);
            a ^= kv;
            std::memcpy(p, &a, 16);
            p += 16;
            n -= 16;
        }
    }
    // Whole 16-byte steps keep the key's phase, so the tail starts at k[0].
    for (std::size_t i = 0; i < n; ++i)
        p[i] ^= k[i];
}

std::size_t write_frame_header(std::span<std::byte, 14> out, opcode op, bool fin, bool rsv1,
                               std::uint64_t payload_size, const mask_key* mask) noexcept
{
    out[0] =
        static_cast<std::byte>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (static_cast<unsigned>(op) & 0x0f));
    const std::byte mask_bit = mask ? std::byte{0x80} : std::byte{0};
    std::size_t n = 2;
    // RFC 6455 §5.2: the minimal number of bytes MUST be used.
    if (payload_size < 126) {
        out[1] = mask_bit | static_cast<std::byte>(payload_size);
    } else if (payload_size <= 0xffff) {
        out[1] = mask_bit | std::byte{126};
        out[2] = static_cast<std::byte>(payload_size >> 8);
        out[3] = static_cast<std::byte>(payload_size);
        n = 4;
    } else {
        out[1] = mask_bit | std::byte{127};
        for (int i = 0; i < 8; ++i)
            out[2 + i] = static_cast<std::byte>(payload_size >> (56 - 8 * i));
        n = 10;
    }
    if (mask) {
        std::memcpy(out.data() + n, mask->data(), 4);
        n += 4;
    }
    return n;
}

header_status parse_frame_header(std::span<const std::byte> in, frame_header& h) noexcept
{
    if (in.size() < 2)
        return header_status::need_more;
    const auto b0 = std::to_integer<std::uint8_t>(in[0]);
    const auto b1 = std::to_integer<std::uint8_t>(in[1]);
    h.fin = (b0 & 0x80) != 0;
    h.rsv1 = (b0 & 0x40) != 0;
    h.rsv2 = (b0 & 0x20) != 0;
    h.rsv3 = (b0 & 0x10) != 0;
    h.op = static_cast<opcode>(b0 & 0x0f);
    h.masked = (b1 & 0x80) != 0;
    const unsigned len7 = b1 & 0x7f;
    std::size_t n = 2;
    std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    if (in.size() < n + ext + (h.masked ? 4 : 0))
        return header_status::need_more;
    if (ext == 0) {
        h.payload_size = len7;
    } else {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < ext; ++i)
            v = (v << 8) | std::to_integer<std::uint8_t>(in[n + i]);
        n += ext;
        if (ext == 2 && v < 126)
            return header_status::bad_length;
        if (ext == 8 && (v <= 0xffff || (v >> 63) != 0))
            return header_status::bad_length;
        h.payload_size = v;
    }
    if (h.masked) {
        std::memcpy(h.key.data(), in.data() + n, 4);
        n += 4;
    } else {
        h.key = {};
    }
    h.header_size = n;
    return header_status::ok;
}

} // namespace strata::websocket
