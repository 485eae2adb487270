// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The quick start of README.md, compiled so that it stays true.

#include <strata.hpp> // first: it mends Boost 1.74's coroutine headers for GCC 12

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <iostream>

namespace net = boost::asio;

int main()
{
    net::io_context io;
    strata::server srv{io.get_executor()};
    srv.route("GET", "/hello/{name}",
              [](strata::request& req, strata::response& res) -> net::awaitable<void> {
                  co_await res.send(strata::status::ok, "hello, " + std::string(req.param("name")) + "\n");
              });
    auto ep = srv.listen("http://127.0.0.1:0");

    strata::client cli{io.get_executor()};
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            auto res = co_await cli.get("http://127.0.0.1:" + std::to_string(ep.port()) + "/hello/strata");
            std::cout << res.status() << " " << strata::http::to_string(res.version()) << ": "
                      << co_await res.body();
            srv.shutdown();
        },
        net::detached);
    io.run();
}
