// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The gateway demo of `strata serve`: /gateway with the rider app's
// services (location, messaging) and the chat room's, all in-process, a
// simulated driver that connects to it like any client, and /metrics.

#include <strata/gateway/hub.hpp>
#include <strata/server.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

namespace strata_cli {

class demo_gateway {
public:
    explicit demo_gateway(boost::asio::any_io_executor ex);
    void add_routes(strata::server& srv);
    /// Starts the simulated driver against `gateway_url` (ws://.../gateway).
    void start_driver(std::string gateway_url);
    /// Stops the driver and closes every gateway connection (1001).
    void stop();

private:
    boost::asio::any_io_executor ex_;
    strata::gateway::hub hub_;
    std::shared_ptr<bool> driver_stop_ = std::make_shared<bool>(false);
};

} // namespace strata_cli
