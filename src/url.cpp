// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/error.hpp>
#include <strata/url.hpp>

#include <boost/system/system_error.hpp>

#include <algorithm>
#include <charconv>

namespace strata {

namespace {

std::uint16_t default_port(std::string_view scheme) noexcept
{
    if (scheme == "http")
        return 80;
    if (scheme == "https" || scheme == "quic")
        return 443;
    return 0;
}

int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool valid_target_char(unsigned char c) noexcept
{
    return c > 0x20 && c < 0x7f;
}

} // namespace

std::string url::authority() const
{
    std::string out = ipv6_literal() ? "[" + host + "]" : host;
    if (port != default_port(scheme))
        out += ":" + std::to_string(port);
    return out;
}

std::string url::origin() const
{
    return scheme + "://" + (ipv6_literal() ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string_view url::path() const noexcept
{
    std::string_view t{target};
    return t.substr(0, t.find('?'));
}

std::string_view url::query() const noexcept
{
    std::string_view t{target};
    auto q = t.find('?');
    return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::optional<url> url::parse(std::string_view text, error_code& ec)
{
    ec = {};
    auto fail = [&]() -> std::optional<url> {
        ec = error::bad_url;
        return std::nullopt;
    };
    url u;
    auto colon = text.find("://");
    if (colon == std::string_view::npos || colon == 0)
        return fail();
    u.scheme.assign(text.substr(0, colon));
    std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (default_port(u.scheme) == 0)
        return fail();
    text.remove_prefix(colon + 3);

    auto end = text.find_first_of("/?#");
    std::string_view authority = text.substr(0, end);
    std::string_view rest = end == std::string_view::npos ? std::string_view{} : text.substr(end);
    if (authority.empty() || authority.find('@') != std::string_view::npos)
        return fail();

    std::string_view port_text;
    if (authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return fail();
        u.host.assign(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return fail();
            port_text = after.substr(1);
        }
        if (u.host.empty() || u.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos)
            return fail();
    } else {
        auto c = authority.rfind(':');
        u.host.assign(authority.substr(0, c));
        if (c != std::string_view::npos)
            port_text = authority.substr(c + 1);
        if (u.host.empty())
            return fail();
        for (auto& ch : u.host) {
            auto uc = static_cast<unsigned char>(ch);
            if (!(std::isalnum(uc) || ch == '-' || ch == '.' || ch == '_'))
                return fail();
            ch = static_cast<char>(std::tolower(uc));
        }
    }
    u.port = default_port(u.scheme);
    if (!port_text.empty()) {
        unsigned p = 0;
        auto [ptr, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
        if (err != std::errc{} || ptr != port_text.data() + port_text.size() || p > 65535)
            return fail();
        u.port = static_cast<std::uint16_t>(p);
    }

    rest = rest.substr(0, rest.find('#'));
    if (rest.empty() || rest.front() == '?')
        u.target = "/" + std::string(rest);
    else
        u.target.assign(rest);
    if (!std::all_of(u.target.begin(), u.target.end(),
                     [](char c) { return valid_target_char(static_cast<unsigned char>(c)); }))
        return fail();
    return u;
}

url url::parse(std::string_view text)
{
    error_code ec;
    auto u = parse(text, ec);
    if (!u)
        throw boost::system::system_error(ec, std::string(text));
    return std::move(*u);
}

std::optional<url> url::resolve(std::string_view ref) const
{
    error_code ec;
    if (ref.find("://") != std::string_view::npos)
        return parse(ref, ec);
    if (ref.starts_with("//"))
        return parse(scheme + ":" + std::string(ref), ec);
    url out = *this;
    if (ref.starts_with("/")) {
        out.target.assign(ref.substr(0, ref.find('#')));
    } else {
        // Relative path: replace the last segment of the current path.
        std::string base{path()};
        base.erase(base.rfind('/') + 1);
        out.target = base + std::string(ref.substr(0, ref.find('#')));
    }
    if (!std::all_of(out.target.begin(), out.target.end(),
                     [](char c) { return valid_target_char(static_cast<unsigned char>(c)); }))
        return std::nullopt;
    return out;
}

std::optional<std::string> percent_decode(std::string_view in)
{
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size())
            return std::nullopt;
        int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

} // namespace strata
