// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "demo_page.hpp"

#include <strata/conditional.hpp>

#include <memory>
#include <string>

namespace strata_cli {

namespace net = boost::asio;
using strata::request;
using strata::response;
using strata::status;

namespace {

std::string_view content_type(std::string_view name)
{
    if (name.ends_with(".html"))
        return "text/html; charset=utf-8";
    if (name.ends_with(".js"))
        return "text/javascript; charset=utf-8";
    if (name.ends_with(".css"))
        return "text/css; charset=utf-8";
    if (name.ends_with(".svg"))
        return "image/svg+xml";
    return "application/octet-stream";
}

struct asset {
    std::string_view bytes;
    std::string_view type;
    std::string etag; ///< the bytes never change while the binary runs: computed once
};

strata::handler serve_asset(std::string_view name, std::string_view bytes)
{
    auto a = std::make_shared<const asset>(asset{bytes, content_type(name), strata::make_etag(bytes)});
    return [a](request& req, response& res) -> net::awaitable<void> {
        res.set_header("ETag", a->etag);
        res.set_header("Cache-Control", "no-cache");
        if (strata::not_modified(req, a->etag)) {
            co_await res.start(status::not_modified);
            co_await res.finish();
            co_return;
        }
        res.set_header("X-Content-Type-Options", "nosniff");
        if (a->type.starts_with("text/html"))
            // Everything the page loads or connects to is this server ('self'
            // covers its ws: and wss: too, CSP Level 3).
            res.set_header("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        co_await res.send(status::ok, a->bytes, a->type); // a HEAD gets the head only
    };
}

} // namespace

void add_demo_page(strata::server& srv)
{
    for (const auto& f : embedded_files()) {
        if (f.name == "index.html")
            srv.route("GET", "/", serve_asset(f.name, f.bytes));
        else
            srv.route("GET", "/demo/" + std::string(f.name), serve_asset(f.name, f.bytes));
    }
}

} // namespace strata_cli
