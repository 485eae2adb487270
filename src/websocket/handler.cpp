// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/websocket/handler.hpp>

namespace strata::websocket {

strata::handler handler(session s, accept_config cfg)
{
    return [s = std::move(s), cfg = std::move(cfg)](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        auto ws = co_await accept(req, res, cfg, ec);
        if (ec)
            co_return;
        co_await s(ws, req);
    };
}

void route(server& srv, std::string_view pattern, session s, accept_config cfg)
{
    auto h = handler(std::move(s), std::move(cfg));
    srv.route("GET", pattern, h);
    srv.route("CONNECT", pattern, std::move(h));
}

} // namespace strata::websocket
