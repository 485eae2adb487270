// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The rider app's gateway: clients (riders, drivers) on /gateway, service
// processes on /gateway/services, metrics on /metrics.
//
//   rider_gateway [--port 8090] [--in-process] [--service-token TOKEN] [--hold]
//
// Without --in-process the location and messaging services are separate
// processes (rider_location_service, rider_messaging_service): until they
// connect, and while one restarts, its types are answered with
// service_unavailable (or held, with --hold). The chat service is in-process.

#include "rider.hpp"

#include <strata/gateway.hpp>
#include <strata/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv)
{
    std::string port = "8090";
    std::string token =
        std::getenv("RIDER_SERVICE_TOKEN") ? std::getenv("RIDER_SERVICE_TOKEN") : "rider-services";
    bool in_process = false, hold = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--port" && i + 1 < argc)
            port = argv[++i];
        else if (a == "--service-token" && i + 1 < argc)
            token = argv[++i];
        else if (a == "--in-process")
            in_process = true;
        else if (a == "--hold")
            hold = true;
        else {
            std::fprintf(stderr,
                         "usage: rider_gateway [--port 8090] [--in-process] [--service-token T] [--hold]\n");
            return 2;
        }
    }
    boost::asio::io_context io;
    strata::server_config scfg;
    scfg.http2.enable_connect_protocol = true;
    strata::server srv{io.get_executor(), scfg};
    auto cfg = rider::demo_gateway_config();
    cfg.authenticate_service = [token](const strata::request& req) {
        auto t = strata::gateway::bearer_token(req);
        return t && *t == token ? strata::gateway::auth_result::accept("service")
                                : strata::gateway::auth_result::refuse(401, "wrong service token");
    };
    if (hold)
        cfg.when_unavailable = strata::gateway::unavailable_policy::hold;
    strata::gateway::hub gw{io.get_executor(), cfg};
    gw.attach(srv);
    gw.add_service("chat", {"chat"}, rider::chat_service());
    if (in_process) {
        gw.add_service("location", {"location_update", "route"}, rider::location_service());
        gw.add_service("messaging", {"rider_message"}, rider::messaging_service());
    } else {
        gw.expect_service("location", {"location_update", "route"});
        gw.expect_service("messaging", {"rider_message"});
    }
    strata::error_code ec;
    auto ep = srv.listen("http://127.0.0.1:" + port, ec);
    if (ec) {
        std::fprintf(stderr, "rider_gateway: listen on port %s: %s\n", port.c_str(), ec.message().c_str());
        return 1;
    }
    std::printf(
        "rider gateway on ws://127.0.0.1:%u/gateway (services: /gateway/services, metrics: /metrics)\n",
        ep.port());
    std::fflush(stdout);
    boost::asio::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](strata::error_code, int) {
        gw.shutdown();
        srv.shutdown();
    });
    io.run();
}
