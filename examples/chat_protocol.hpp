// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// What the chat room says on its WebSocket, one JSON object per text message:
//
//   {"type":"welcome","name":"alice","members":2}      to a member that joined, with the name it got
//   {"type":"join","name":"bob","members":3}           to the others
//   {"type":"leave","name":"bob","members":2}
//   {"type":"message","from":"alice","text":"hello"}   to everyone, the sender too
//
// A member sends plain text messages: each is one chat line. The objects
// are flat (strings and numbers), so a client needs no JSON library: it
// reads them with parse_flat_object.

#include <strata/config.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

/// Appends `s` as a JSON string (RFC 8259 §7). `s` must be UTF-8, as the
/// text of a WebSocket text message is.
inline void append_json_string(std::string& out, std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xf];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
}

inline std::string member_event(std::string_view type, std::string_view name, std::size_t members)
{
    std::string out = "{\"type\":";
    append_json_string(out, type);
    out += ",\"name\":";
    append_json_string(out, name);
    out += ",\"members\":" + std::to_string(members) + "}";
    return out;
}

inline std::string message_event(std::string_view from, std::string_view text)
{
    std::string out = "{\"type\":\"message\",\"from\":";
    append_json_string(out, from);
    out += ",\"text\":";
    append_json_string(out, text);
    out += "}";
    return out;
}

namespace detail {

inline void skip_space(std::string_view& in)
{
    while (!in.empty() && (in[0] == ' ' || in[0] == '\t' || in[0] == '\n' || in[0] == '\r'))
        in.remove_prefix(1);
}

inline void append_utf8(std::string& out, std::uint32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

inline std::optional<std::uint32_t> hex4(std::string_view& in)
{
    if (in.size() < 4)
        return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        char c = in[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= static_cast<std::uint32_t>(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= static_cast<std::uint32_t>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= static_cast<std::uint32_t>(c - 'A' + 10);
        else
            return std::nullopt;
    }
    in.remove_prefix(4);
    return v;
}

/// A JSON string at the start of `in` (which starts with '"'), unescaped.
inline std::optional<std::string> parse_string(std::string_view& in)
{
    in.remove_prefix(1);
    std::string out;
    while (!in.empty()) {
        char c = in[0];
        in.remove_prefix(1);
        if (c == '"')
            return out;
        if (static_cast<unsigned char>(c) < 0x20)
            return std::nullopt;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (in.empty())
            return std::nullopt;
        char e = in[0];
        in.remove_prefix(1);
        switch (e) {
        case '"':
            out += '"';
            break;
        case '\\':
            out += '\\';
            break;
        case '/':
            out += '/';
            break;
        case 'b':
            out += '\b';
            break;
        case 'f':
            out += '\f';
            break;
        case 'n':
            out += '\n';
            break;
        case 'r':
            out += '\r';
            break;
        case 't':
            out += '\t';
            break;
        case 'u': {
            auto cp = hex4(in);
            if (!cp)
                return std::nullopt;
            // Outside the BMP a character is a UTF-16 surrogate pair (RFC 8259 §7).
            if (*cp >= 0xd800 && *cp < 0xdc00) {
                if (!in.starts_with("\\u"))
                    return std::nullopt;
                in.remove_prefix(2);
                auto low = hex4(in);
                if (!low || *low < 0xdc00 || *low >= 0xe000)
                    return std::nullopt;
                *cp = 0x10000 + ((*cp - 0xd800) << 10) + (*low - 0xdc00);
            } else if (*cp >= 0xdc00 && *cp < 0xe000) {
                return std::nullopt;
            }
            append_utf8(out, *cp);
            break;
        }
        default:
            return std::nullopt;
        }
    }
    return std::nullopt;
}

} // namespace detail

/// The members of a JSON object whose values are strings, numbers, true,
/// false or null (numbers and literals as their text); nullopt for anything
/// else, nested objects and arrays included.
inline std::optional<std::map<std::string, std::string>> parse_flat_object(std::string_view in)
{
    std::map<std::string, std::string> out;
    detail::skip_space(in);
    if (in.empty() || in[0] != '{')
        return std::nullopt;
    in.remove_prefix(1);
    detail::skip_space(in);
    if (!in.empty() && in[0] == '}') {
        in.remove_prefix(1);
    } else {
        for (;;) {
            detail::skip_space(in);
            if (in.empty() || in[0] != '"')
                return std::nullopt;
            auto name = detail::parse_string(in);
            detail::skip_space(in);
            if (!name || in.empty() || in[0] != ':')
                return std::nullopt;
            in.remove_prefix(1);
            detail::skip_space(in);
            if (in.empty())
                return std::nullopt;
            std::optional<std::string> value;
            if (in[0] == '"') {
                value = detail::parse_string(in);
            } else {
                auto end = in.find_first_of(",} \t\r\n");
                auto token = in.substr(0, end);
                bool number = !token.empty() && token.find_first_not_of("0123456789+-.eE") == token.npos;
                if (number || token == "true" || token == "false" || token == "null")
                    value = std::string(token);
                in.remove_prefix(token.size());
            }
            if (!value)
                return std::nullopt;
            out[std::move(*name)] = std::move(*value);
            detail::skip_space(in);
            if (in.empty())
                return std::nullopt;
            if (in[0] == '}') {
                in.remove_prefix(1);
                break;
            }
            if (in[0] != ',')
                return std::nullopt;
            in.remove_prefix(1);
        }
    }
    detail::skip_space(in);
    if (!in.empty())
        return std::nullopt;
    return out;
}

} // namespace chat
