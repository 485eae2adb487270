// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// strata's side of the WebSocket echo benchmark (load/ws_echo.sh):
// strata::server on one io_context thread, HTTP/1.1 cleartext, GET /echo
// opening a WebSocket (websocket::accept) that sends every message back with
// its own type, as the websocketpp and Beast peers do. The WebSocket
// settings are the defaults a user gets (permessage-deflate off, keep-alive
// pings after 30 s of silence, which a run never reaches); only the server
// limits that would cut a benchmark short are raised, as in
// strata_server.cpp: 20,000 connections (the idle-memory run holds 10,000)
// and a ten-minute idle timeout.
//
//   strata_bench_ws_server [port=8095] [address=127.0.0.1]

#include <strata/config.hpp>

#include <strata/server.hpp>
#include <strata/websocket/stream.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <span>
#include <string>

int main(int argc, char** argv)
{
    namespace net = strata::net;
    namespace websocket = strata::websocket;
    const std::string port = argc > 1 ? argv[1] : "8095";
    const std::string address = argc > 2 ? argv[2] : "127.0.0.1";
    try {
        net::io_context ioc{1};
        strata::server_config cfg;
        cfg.max_connections = 20'000;
        cfg.idle_timeout = std::chrono::minutes{10};
        strata::server srv{ioc.get_executor(), cfg};
        const websocket::accept_config ws_cfg;
        srv.route("GET", "/echo",
                  [&ws_cfg](strata::request& req, strata::response& res) -> net::awaitable<void> {
                      strata::error_code ec;
                      auto ws = co_await websocket::accept(req, res, ws_cfg, ec);
                      if (ec)
                          co_return;
                      for (;;) {
                          auto msg = co_await ws.read(ec);
                          if (ec)
                              break;
                          co_await ws.write(msg.type, std::as_bytes(std::span{msg.data}), ec);
                          if (ec)
                              break;
                      }
                  });
        const auto ep = srv.listen("http://" + address + ":" + port);
        std::printf("strata listening on http://%s:%u\n", ep.address().to_string().c_str(), ep.port());
        std::fflush(stdout);
        ioc.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata websocket server: %s\n", e.what());
        return 1;
    }
}
