// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// strata's side of the load benchmarks: strata::server on one io_context
// thread, answering GET / with "hello, world\n" as text/plain, as the Beast
// peer and nginx do. The limits that would cut a benchmark short are raised:
// 20,000 connections (the idle-memory run holds 10,000) and a ten-minute
// idle timeout; everything else is the default a user gets.
//
//   strata_bench_server [port=8081] [address=127.0.0.1]

#include <strata/config.hpp>
#include <strata/server.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

int main(int argc, char** argv)
{
    namespace net = strata::net;
    const std::string port = argc > 1 ? argv[1] : "8081";
    const std::string address = argc > 2 ? argv[2] : "127.0.0.1";
    try {
        net::io_context ioc{1};
        strata::server_config cfg;
        cfg.max_connections = 20'000;
        cfg.idle_timeout = std::chrono::minutes{10};
        strata::server srv{ioc.get_executor(), cfg};
        srv.route("GET", "/", [](strata::request&, strata::response& res) -> net::awaitable<void> {
            co_await res.send(strata::status::ok, "hello, world\n", "text/plain");
        });
        const auto ep = srv.listen("http://" + address + ":" + port);
        std::printf("strata listening on %s:%u\n", ep.address().to_string().c_str(), ep.port());
        std::fflush(stdout);
        ioc.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata server: %s\n", e.what());
        return 1;
    }
}
