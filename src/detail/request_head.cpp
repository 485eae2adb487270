// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "request_head.hpp"

namespace strata::detail {

request::head make_request_head(const http::headers& h, std::string_view default_scheme,
                                http::version version, const net::ip::address& remote_address,
                                std::uint16_t remote_port)
{
    request::head head;
    head.method.assign(h.method);
    head.target.assign(h.target);
    head.authority.assign(h.authority);
    head.scheme.assign(h.scheme.empty() ? default_scheme : h.scheme);
    std::size_t bytes = 0;
    for (auto f : h.fields)
        bytes += f.name.size() + f.value.size();
    head.fields.reserve(h.fields.size(), bytes);
    for (auto f : h.fields)
        head.fields.add(f.name, f.value);
    head.version = version;
    head.remote_address = remote_address;
    head.remote_port = remote_port;
    head.has_body = !h.end_stream;
    head.upgrade = h.upgrade;
    head.protocol.assign(h.protocol);
    return head;
}

} // namespace strata::detail
