// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// A server answering GET /hello. Run: ./hello_server [port]   (default 8080)

#include <strata/server.hpp>

#include <boost/asio/io_context.hpp>

#include <iostream>
#include <string>

namespace net = boost::asio;

int main(int argc, char** argv)
{
    net::io_context io;
    strata::server srv{io.get_executor()};
    srv.route("GET", "/hello", [](strata::request&, strata::response& res) -> net::awaitable<void> {
        co_await res.send(strata::status::ok, "hello from strata\n");
    });
    auto ep = srv.listen("http://127.0.0.1:" + std::string(argc > 1 ? argv[1] : "8080"));
    std::cout << "listening on http://127.0.0.1:" << ep.port() << "/hello" << std::endl;
    io.run();
}
