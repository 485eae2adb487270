// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/http/fields.hpp>
#include <strata/websocket/handshake.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace strata::websocket {

namespace {

std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// Calls f on each element of a comma-separated list, OWS trimmed, empty
/// elements skipped (RFC 9110 §5.6.1); stops when f returns true.
template <class F>
bool any_element(std::string_view v, F&& f)
{
    for (;;) {
        const std::size_t comma = v.find(',');
        const std::string_view e = trim(v.substr(0, comma));
        if (!e.empty() && f(e))
            return true;
        if (comma == std::string_view::npos)
            return false;
        v.remove_prefix(comma + 1);
    }
}

std::string base64(const unsigned char* data, std::size_t n)
{
    std::string out(4 * ((n + 2) / 3), '\0');
    const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len));
    return out;
}

bool is_base64_char(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

} // namespace

std::string make_key()
{
    std::array<unsigned char, 16> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
        throw std::runtime_error("strata::websocket::make_key: RAND_bytes failed");
    return base64(raw.data(), raw.size());
}

bool is_valid_key(std::string_view key) noexcept
{
    // 16 bytes are 22 base64 characters and "==" (RFC 4648 §4).
    if (key.size() != 24 || key[22] != '=' || key[23] != '=')
        return false;
    for (std::size_t i = 0; i < 22; ++i)
        if (!is_base64_char(key[i]))
            return false;
    return true;
}

std::string accept_key(std::string_view key)
{
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input;
    input.reserve(key.size() + guid.size());
    input.append(key);
    input.append(guid);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &len, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("strata::websocket::accept_key: SHA-1 failed");
    return base64(digest.data(), len);
}

bool header_has_token(std::string_view value, std::string_view token) noexcept
{
    return any_element(value, [&](std::string_view e) { return http::iequals(e, token); });
}

std::optional<std::string> select_subprotocol(std::string_view offered,
                                              std::span<const std::string> supported)
{
    for (const auto& s : supported) {
        if (any_element(offered, [&](std::string_view e) { return e == s; }))
            return s;
    }
    return std::nullopt;
}

} // namespace strata::websocket
