// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// GETs a URL and prints status and body. Run: ./hello_client [url]

#include <strata/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <iostream>

namespace net = boost::asio;

net::awaitable<void> fetch(strata::client& cli, const char* url)
{
    auto res = co_await cli.get(url);
    std::cout << res.status() << " " << res.reason() << "\n" << co_await res.body();
    cli.close_idle(); // the pooled connection would keep io.run() going
}

int main(int argc, char** argv)
{
    net::io_context io;
    strata::client cli{io.get_executor()};
    auto rethrow = [](std::exception_ptr e) { e ? std::rethrow_exception(e) : void(); }; // errors leave run()
    net::co_spawn(io, fetch(cli, argc > 1 ? argv[1] : "http://127.0.0.1:8080/hello"), rethrow);
    io.run();
}
