// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// strata's side of the gateway benchmark (load/gateway.sh): strata::server
// on one io_context thread, HTTP/1.1 cleartext, and a gateway::hub on
// /gateway doing what load/gateway_node.js does:
//   - the access_token (or a bearer token) is the user id; none: 401;
//   - any user may subscribe to any topic;
//   - an in-process location service takes location_update and publishes
//     its data, unchanged, on loc/<user> as type location.
// Everything else is the gateway's defaults (topics, mailboxes, WebSocket
// settings: permessage-deflate off, keep-alive pings after 30 s of silence,
// which a run never reaches); only the server limits that would cut a
// benchmark short are raised, as in the other benchmark servers: 20,000
// connections (the idle run holds 10,000) and a ten-minute idle timeout.
//
//   strata_gateway_bench_server [--port 8101] [--address 127.0.0.1]

#include <strata/config.hpp>

#include <strata/gateway.hpp>
#include <strata/server.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

int main(int argc, char** argv)
{
    namespace net = strata::net;
    namespace gateway = strata::gateway;
    std::string port = "8101", address = "127.0.0.1";
    for (int i = 1; i < argc; i += 2) {
        const std::string_view arg = argv[i];
        if (i + 1 < argc && arg == "--port") {
            port = argv[i + 1];
        } else if (i + 1 < argc && arg == "--address") {
            address = argv[i + 1];
        } else {
            std::fprintf(stderr, "usage: strata_gateway_bench_server [--port 8101] [--address 127.0.0.1]\n");
            return 2;
        }
    }
    try {
        net::io_context ioc{1};
        strata::server_config cfg;
        cfg.max_connections = 20'000;
        cfg.idle_timeout = std::chrono::minutes{10};
        strata::server srv{ioc.get_executor(), cfg};

        gateway::config gw;
        gw.authenticate = [](const strata::request& req) {
            auto token = gateway::bearer_token(req);
            if (!token || token->empty())
                return gateway::auth_result::refuse(401, "no access token");
            return gateway::auth_result::accept(std::move(*token));
        };
        gw.authorize_subscribe = [](std::string_view, std::string_view) { return true; };
        gateway::hub hub{ioc.get_executor(), std::move(gw)};
        hub.add_service("location", {"location_update"},
                        [](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                            out.publish("loc/" + m.user, "location", m.data);
                            co_return;
                        });
        hub.attach(srv);

        const auto ep = srv.listen("http://" + address + ":" + port);
        std::printf("strata gateway listening on http://%s:%u/gateway\n", ep.address().to_string().c_str(),
                    ep.port());
        std::fflush(stdout);
        ioc.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata_gateway_bench_server: %s\n", e.what());
        return 1;
    }
}
