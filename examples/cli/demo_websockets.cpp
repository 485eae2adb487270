// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "demo_websockets.hpp"

#include <strata/websocket/handler.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace strata_cli {

namespace net = boost::asio;
namespace websocket = strata::websocket;

namespace {

net::awaitable<void> echo(websocket::stream& ws, strata::request& req)
{
    // The loop below waits in read() most of the time; a graceful shutdown
    // closes from beside it (1001), and the read then ends with the peer's answer.
    bool closing = false;
    bool closed = false;
    net::steady_timer close_done{co_await net::this_coro::executor};
    req.on_shutdown([&] {
        if (closing)
            return;
        closing = true;
        net::co_spawn(
            ws.get_executor(),
            [&]() -> net::awaitable<void> {
                strata::error_code ignored;
                co_await ws.close(static_cast<std::uint16_t>(websocket::close_code::going_away),
                                  "the server is shutting down", ignored);
                closed = true;
                close_done.cancel();
            },
            net::detached);
    });
    for (;;) {
        strata::error_code ec;
        auto m = co_await ws.read(ec);
        if (ec)
            break;
        co_await ws.write(m.type, {reinterpret_cast<const std::byte*>(m.data.data()), m.data.size()}, ec);
        if (ec)
            break;
    }
    req.on_shutdown({});
    // The close above refers to this frame's locals: it must end first.
    while (closing && !closed) {
        close_done.expires_at(net::steady_timer::time_point::max());
        strata::error_code ignored;
        co_await close_done.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
}

} // namespace

void demo_websockets::add_routes(strata::server& srv)
{
    websocket::accept_config echo_cfg;
    echo_cfg.deflate.enable = true;
    websocket::route(srv, "/ws/echo", echo, echo_cfg);

    auto chat_cfg = chat::accept_config();
    chat_cfg.deflate.enable = true;
    websocket::route(
        srv, "/ws/chat", [this](websocket::stream& ws, strata::request& req) { return room_.serve(ws, req); },
        chat_cfg);
}

} // namespace strata_cli
