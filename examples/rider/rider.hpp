// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The rider app's pieces (the seed's Uber-style example), shared by its
// processes (rider_gateway, rider_location_service, rider_messaging_service,
// rider_driver, rider_client) and by `strata serve`, which runs them all in
// one process for the demo page.
//
// Envelopes (all on the one WebSocket each app holds to the gateway):
//   driver -> {"type":"location_update","data":{"lat":..,"lng":..,"heading":..,"eta_s":..}}
//             the location service publishes data, unchanged, to topic
//             driver/<driver>/location as "driver_location"
//   rider  -> {"type":"route","id":1}  answered with the driver's route
//             {"type":"route","id":1,"data":{"driver":"driver-1","points":[[lat,lng],...]}}
//   rider  -> {"type":"subscribe","data":{"topic":"driver/driver-1/location"}}
//   either -> {"type":"rider_message","data":{"to":"driver-1","text":"I'm outside"}}
//             the messaging service pushes {"from":<sender>,"to":..,"text":..} to the
//             mailboxes of both: every connection of either user sees the thread,
//             and a reconnect with after=N misses none of it.

#include <strata/config.hpp>
#include <strata/gateway/hub.hpp>
#include <strata/gateway/service.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rider {

namespace net = boost::asio;

/// The demo's driver and the loop it drives (a few blocks of San Francisco).
inline constexpr std::string_view demo_driver = "driver-1";
const std::vector<std::pair<double, double>>& demo_route();
/// {"driver":"driver-1","points":[[lat,lng],...]}
std::string route_json();

/// Handles location_update (drivers) and route (riders).
strata::gateway::service_handler location_service();
/// Handles rider_message.
strata::gateway::service_handler messaging_service();
/// Handles chat: publishes {"from","text"} to topic chat/lobby.
strata::gateway::service_handler chat_service();

/// The demo's identities: a token is the user id itself, 1-32 of
/// [A-Za-z0-9_-]. Fine for a demo on localhost; a real deployment
/// verifies a signed token here.
strata::gateway::auth_result demo_authenticate(const strata::request& req);
/// Riders may follow drivers' locations; everybody may read the lobby.
bool demo_authorize_subscribe(std::string_view user, std::string_view topic);
/// A gateway config with the demo's hooks.
strata::gateway::config demo_gateway_config();

struct driver_options {
    std::string gateway_url; ///< ws://host:port/gateway
    std::string user = std::string(demo_driver);
    std::chrono::milliseconds interval{1000};
    bool answer_messages = true; ///< a short reply to each rider message
    /// 0: drive until stopped.
    int laps = 0;
    bool verbose = false;
    /// Set to stop driving (checked each interval and before reconnecting).
    std::shared_ptr<bool> stop = std::make_shared<bool>(false);
};

/// A simulated driver: connects to the gateway as a client, sends a
/// location_update every interval along the route, and answers riders'
/// messages. Reconnects (with its mailbox cursor) when the connection drops.
net::awaitable<void> drive(driver_options opt);

} // namespace rider
