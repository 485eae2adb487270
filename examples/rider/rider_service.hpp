// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The common main of the rider app's service processes: a service link to
// the gateway that reconnects until Ctrl-C.

#include "rider.hpp"

#include <strata/gateway/service_link.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace rider {

inline int run_service(int argc, char** argv, std::string name, std::vector<std::string> types,
                       strata::gateway::service_handler h)
{
    std::string url = "ws://127.0.0.1:8090/gateway/services";
    std::string token =
        std::getenv("RIDER_SERVICE_TOKEN") ? std::getenv("RIDER_SERVICE_TOKEN") : "rider-services";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--gateway" && i + 1 < argc)
            url = argv[++i];
        else if (a == "--service-token" && i + 1 < argc)
            token = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: %s [--gateway ws://HOST:PORT/gateway/services] [--service-token T]\n",
                         argv[0]);
            return 2;
        }
    }
    boost::asio::io_context io;
    strata::gateway::service_link_config cfg;
    cfg.url = url;
    cfg.token = token;
    cfg.name = name;
    strata::gateway::service_link link{io.get_executor(), cfg};
    link.handle(std::move(types), std::move(h));
    boost::asio::co_spawn(io, link.run(), boost::asio::detached);
    boost::asio::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](strata::error_code, int) { link.stop(); });
    std::printf("%s service: linking to %s\n", name.c_str(), url.c_str());
    std::fflush(stdout);
    io.run();
    return 0;
}

} // namespace rider
