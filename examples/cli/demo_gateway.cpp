// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "demo_gateway.hpp"

#include <rider.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace strata_cli {

namespace net = boost::asio;

demo_gateway::demo_gateway(net::any_io_executor ex) : ex_(ex), hub_(ex, rider::demo_gateway_config())
{
    hub_.add_service("location", {"location_update", "route"}, rider::location_service());
    hub_.add_service("messaging", {"rider_message"}, rider::messaging_service());
    hub_.add_service("chat", {"chat"}, rider::chat_service());
}

void demo_gateway::add_routes(strata::server& srv)
{
    hub_.attach(srv);
}

void demo_gateway::start_driver(std::string gateway_url)
{
    rider::driver_options opt;
    opt.gateway_url = std::move(gateway_url);
    opt.stop = driver_stop_;
    net::co_spawn(ex_, rider::drive(std::move(opt)), net::detached);
}

void demo_gateway::stop()
{
    *driver_stop_ = true;
    hub_.shutdown();
}

} // namespace strata_cli
