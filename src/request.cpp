// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/error.hpp>
#include <strata/request.hpp>
#include <strata/url.hpp>

#include <boost/system/system_error.hpp>

namespace strata {

std::string_view request::path() const noexcept
{
    std::string_view t{head_.target};
    if (auto scheme = t.find("://"); scheme != std::string_view::npos && t.front() != '/') {
        t.remove_prefix(scheme + 3);
        auto slash = t.find('/');
        t = slash == std::string_view::npos ? std::string_view{"/"} : t.substr(slash);
    }
    return t.substr(0, t.find('?'));
}

std::string_view request::query() const noexcept
{
    std::string_view t{head_.target};
    auto q = t.find('?');
    return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::optional<std::string> request::query_param(std::string_view name) const
{
    std::string_view rest = query();
    while (!rest.empty()) {
        auto amp = rest.find('&');
        auto pair = rest.substr(0, amp);
        auto eq = pair.find('=');
        auto key = pair.substr(0, eq);
        if (key == name) {
            std::string value{eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1)};
            for (auto& c : value)
                if (c == '+')
                    c = ' ';
            return percent_decode(value);
        }
        if (amp == std::string_view::npos)
            break;
        rest.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

std::string_view request::param(std::string_view name) const noexcept
{
    for (const auto& [k, v] : params_)
        if (k == name)
            return v;
    return {};
}

net::awaitable<std::size_t> request::read_some(net::mutable_buffer out, error_code& ec)
{
    return stream_->read_body({static_cast<std::byte*>(out.data()), out.size()}, ec);
}

net::awaitable<std::size_t> request::read_some(net::mutable_buffer out)
{
    error_code ec;
    auto n = co_await read_some(out, ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::request::read_some");
    co_return n;
}

net::awaitable<std::string> request::read_body(std::size_t limit, error_code& ec)
{
    std::string body;
    std::byte chunk[16 * 1024];
    for (;;) {
        auto n = co_await stream_->read_body(chunk, ec);
        if (ec || n == 0)
            break;
        if (body.size() + n > limit) {
            ec = error::body_too_large;
            break;
        }
        body.append(reinterpret_cast<const char*>(chunk), n);
    }
    co_return body;
}

net::awaitable<std::string> request::read_body(std::size_t limit)
{
    error_code ec;
    auto body = co_await read_body(limit, ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::request::read_body");
    co_return body;
}

} // namespace strata
