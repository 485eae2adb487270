// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "json.hpp"

#include <cmath>
#include <cstdlib>

namespace strata::detail::json {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept
{
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    unsigned char c = b(0);
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2))
            return 0;
        if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3))
            return 0;
        if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

void append_utf8(std::string& out, std::uint32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class reader {
public:
    reader(std::string_view text, parse_limits limits) : s_(text), limits_(limits) {}

    std::optional<value> document()
    {
        if (s_.size() > limits_.max_bytes)
            return std::nullopt;
        value v;
        skip_ws();
        if (!parse_value(v, 0))
            return std::nullopt;
        skip_ws();
        if (i_ != s_.size())
            return std::nullopt;
        return v;
    }

private:
    void skip_ws() noexcept
    {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
            ++i_;
    }
    bool literal(std::string_view word) noexcept
    {
        if (s_.substr(i_, word.size()) != word)
            return false;
        i_ += word.size();
        return true;
    }

    bool parse_value(value& out, std::size_t depth)
    {
        if (i_ >= s_.size())
            return false;
        switch (s_[i_]) {
        case '{':
            return parse_object(out, depth + 1);
        case '[':
            return parse_array(out, depth + 1);
        case '"': {
            std::string str;
            if (!parse_string(str))
                return false;
            out.v = std::move(str);
            return true;
        }
        case 't':
            out.v = true;
            return literal("true");
        case 'f':
            out.v = false;
            return literal("false");
        case 'n':
            out.v = nullptr;
            return literal("null");
        default:
            return parse_number(out);
        }
    }

    bool parse_object(value& out, std::size_t depth)
    {
        if (depth > limits_.max_depth)
            return false;
        ++i_; // '{'
        object members;
        skip_ws();
        if (i_ < s_.size() && s_[i_] == '}') {
            ++i_;
            out.v = std::move(members);
            return true;
        }
        for (;;) {
            skip_ws();
            std::string name;
            if (i_ >= s_.size() || s_[i_] != '"' || !parse_string(name))
                return false;
            skip_ws();
            if (i_ >= s_.size() || s_[i_] != ':')
                return false;
            ++i_;
            skip_ws();
            value member;
            if (!parse_value(member, depth))
                return false;
            members.push_back(json::member{std::move(name), std::move(member)});
            skip_ws();
            if (i_ >= s_.size())
                return false;
            if (s_[i_] == ',') {
                ++i_;
                continue;
            }
            if (s_[i_] != '}')
                return false;
            ++i_;
            out.v = std::move(members);
            return true;
        }
    }

    bool parse_array(value& out, std::size_t depth)
    {
        if (depth > limits_.max_depth)
            return false;
        ++i_; // '['
        array items;
        skip_ws();
        if (i_ < s_.size() && s_[i_] == ']') {
            ++i_;
            out.v = std::move(items);
            return true;
        }
        for (;;) {
            skip_ws();
            value item;
            if (!parse_value(item, depth))
                return false;
            items.push_back(std::move(item));
            skip_ws();
            if (i_ >= s_.size())
                return false;
            if (s_[i_] == ',') {
                ++i_;
                continue;
            }
            if (s_[i_] != ']')
                return false;
            ++i_;
            out.v = std::move(items);
            return true;
        }
    }

    bool hex4(std::uint32_t& cp) noexcept
    {
        if (s_.size() - i_ < 4)
            return false;
        cp = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s_[i_++];
            cp <<= 4;
            if (c >= '0' && c <= '9')
                cp |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                cp |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                cp |= static_cast<std::uint32_t>(c - 'A' + 10);
            else
                return false;
        }
        return true;
    }

    bool parse_string(std::string& out)
    {
        ++i_; // '"'
        for (;;) {
            // Copy the run up to the next quote, escape or control byte at once.
            std::size_t run = i_;
            while (run < s_.size()) {
                auto c = static_cast<unsigned char>(s_[run]);
                if (c == '"' || c == '\\' || c < 0x20)
                    break;
                if (c < 0x80) {
                    ++run;
                    continue;
                }
                auto n = utf8_sequence(s_, run);
                if (n == 0)
                    return false;
                run += n;
            }
            out.append(s_.substr(i_, run - i_));
            i_ = run;
            if (i_ >= s_.size())
                return false;
            char c = s_[i_];
            if (c == '"') {
                ++i_;
                return true;
            }
            if (c != '\\')
                return false; // an unescaped control character
            if (++i_ >= s_.size())
                return false;
            char e = s_[i_++];
            switch (e) {
            case '"':
            case '\\':
            case '/':
                out += e;
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
                std::uint32_t cp = 0;
                if (!hex4(cp))
                    return false;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    std::uint32_t low = 0;
                    if (s_.substr(i_, 2) != "\\u")
                        return false;
                    i_ += 2;
                    if (!hex4(low) || low < 0xDC00 || low > 0xDFFF)
                        return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return false;
                }
                append_utf8(out, cp);
                break;
            }
            default:
                return false;
            }
        }
    }

    bool parse_number(value& out)
    {
        // RFC 8259 §6 grammar, checked before strtod (which accepts more).
        std::size_t start = i_;
        auto digit = [&] { return i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; };
        if (i_ < s_.size() && s_[i_] == '-')
            ++i_;
        if (!digit())
            return false;
        if (s_[i_] == '0')
            ++i_;
        else
            while (digit())
                ++i_;
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            if (!digit())
                return false;
            while (digit())
                ++i_;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-'))
                ++i_;
            if (!digit())
                return false;
            while (digit())
                ++i_;
        }
        std::string text(s_.substr(start, i_ - start));
        out.v = std::strtod(text.c_str(), nullptr);
        return true;
    }

    std::string_view s_;
    parse_limits limits_;
    std::size_t i_ = 0;
};

} // namespace

void append_string(std::string& out, std::string_view s)
{
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            std::size_t run = i + 1;
            while (run < s.size()) {
                auto d = static_cast<unsigned char>(s[run]);
                if (d < 0x20 || d == '"' || d == '\\' || d >= 0x80)
                    break;
                ++run;
            }
            out.append(s.substr(i, run - i));
            i = run;
            continue;
        }
        if (c >= 0x80) {
            auto n = utf8_sequence(s, i);
            if (n == 0) {
                out += "\xEF\xBF\xBD";
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
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
            out += "\\u00";
            out += hex_digits[c >> 4];
            out += hex_digits[c & 0xF];
        }
        ++i;
    }
    out += '"';
}

const value* value::find(std::string_view name) const noexcept
{
    auto* members = std::get_if<object>(&v);
    if (!members)
        return nullptr;
    for (auto& m : *members)
        if (m.name == name)
            return &m.v;
    return nullptr;
}

std::optional<std::uint64_t> value::uint() const noexcept
{
    auto* d = std::get_if<double>(&v);
    if (!d || *d < 0 || *d > 9007199254740992.0 || std::floor(*d) != *d)
        return std::nullopt;
    return static_cast<std::uint64_t>(*d);
}

std::optional<value> parse(std::string_view text, parse_limits limits)
{
    return reader{text, limits}.document();
}

} // namespace strata::detail::json
