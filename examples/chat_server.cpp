// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// A chat room on WebSockets: every line a member sends reaches every
// member, with joins and leaves announced. The room (chat_room.hpp) is the
// one `strata serve` runs at /ws/chat; each member has its own send queue,
// so a slow one never holds up the others. GET / is a page that joins from
// a browser.
// Run: ./chat_server [port]   (default 8080); then, in other terminals,
//      ./chat_client ws://127.0.0.1:8080/chat alice
//      strata ws 'ws://127.0.0.1:8080/chat?name=bob'    (the raw JSON)
// or open http://127.0.0.1:8080/ in a few browser tabs.

#include "chat_room.hpp"

#include <strata/server.hpp>
#include <strata/websocket/handler.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>
#include <string>

namespace net = boost::asio;

constexpr std::string_view page = R"(<!doctype html>
<meta charset="utf-8"><title>strata chat</title>
<pre id="log"></pre>
<form id="f"><input id="line" autofocus size="60"></form>
<script>
const name = prompt('Your name?') || '';
const ws = new WebSocket(`ws://${location.host}/chat?name=${encodeURIComponent(name)}`);
const log = t => document.getElementById('log').textContent += t + '\n';
ws.onmessage = e => {
  const m = JSON.parse(e.data);
  if (m.type === 'message') log(`${m.from}: ${m.text}`);
  else if (m.type === 'welcome') log(`* you are ${m.name} (${m.members} here)`);
  else log(`* ${m.name} ${m.type === 'join' ? 'joined' : 'left'} (${m.members} here)`);
};
ws.onclose = e => log(`* closed: ${e.code} ${e.reason}`);
document.getElementById('f').onsubmit = e => {
  e.preventDefault();
  ws.send(document.getElementById('line').value);
  document.getElementById('line').value = '';
};
</script>
)";

int main(int argc, char** argv)
{
    net::io_context io;
    chat::room room; // must outlive the server, whose sessions are its members
    strata::server_config cfg;
    // Lets HTTP/2 clients (h2c here; h2 on an https:// listener) open
    // WebSockets with an extended CONNECT (RFC 8441).
    cfg.http2.enable_connect_protocol = true;
    strata::server srv{io.get_executor(), cfg};

    auto ws_cfg = chat::accept_config();
    ws_cfg.deflate.enable = true;
    strata::websocket::route(
        srv, "/chat",
        [&room](strata::websocket::stream& ws, strata::request& req) { return room.serve(ws, req); }, ws_cfg);
    srv.route("GET", "/", [](strata::request&, strata::response& res) -> net::awaitable<void> {
        co_await res.send(strata::status::ok, page, "text/html; charset=utf-8");
    });
    // 127.0.0.1: this machine only; "http://[::]:PORT" lets others in.
    auto ep = srv.listen("http://127.0.0.1:" + std::string(argc > 1 ? argv[1] : "8080"));
    std::cout << "chat room at ws://127.0.0.1:" << ep.port()
              << "/chat?name=NAME, page at http://127.0.0.1:" << ep.port() << "/" << std::endl;

    // Ctrl-C: members are told the server is going away (1001), then it stops.
    net::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](strata::error_code ec, int) {
        if (!ec)
            srv.shutdown();
    });
    srv.async_wait_stopped([&](strata::error_code) { signals.cancel(); });
    io.run();
}
