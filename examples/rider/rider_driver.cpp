// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// A simulated driver: drives the demo route, sends a location update every
// second and answers riders' messages, all on one WebSocket to the gateway.
//
//   rider_driver [--gateway ws://127.0.0.1:8090/gateway] [--name driver-1] [--interval-ms 1000] [--laps N]

#include "rider.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv)
{
    rider::driver_options opt;
    opt.gateway_url = "ws://127.0.0.1:8090/gateway";
    opt.verbose = true;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--gateway" && i + 1 < argc)
            opt.gateway_url = argv[++i];
        else if (a == "--name" && i + 1 < argc)
            opt.user = argv[++i];
        else if (a == "--interval-ms" && i + 1 < argc)
            opt.interval = std::chrono::milliseconds(std::stoi(argv[++i]));
        else if (a == "--laps" && i + 1 < argc)
            opt.laps = std::stoi(argv[++i]);
        else {
            std::fprintf(stderr,
                         "usage: rider_driver [--gateway URL] [--name NAME] [--interval-ms MS] [--laps N]\n");
            return 2;
        }
    }
    boost::asio::io_context io;
    boost::asio::co_spawn(io, rider::drive(opt), [&](std::exception_ptr e) {
        if (e)
            std::fprintf(stderr, "driver stopped on an error\n");
        io.stop();
    });
    boost::asio::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](strata::error_code, int) { io.stop(); });
    std::printf("%s driving, reporting to %s\n", opt.user.c_str(), opt.gateway_url.c_str());
    std::fflush(stdout);
    io.run();
}
