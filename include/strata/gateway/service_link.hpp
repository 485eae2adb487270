// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// A service in a process of its own: connects to the gateway's service path,
// says which types it handles, and runs the same service_handler an
// in-process service would. When the link drops it reconnects (with
// back-off) and says hello again; the gateway held or refused its types
// meanwhile, and kept the clients connected.

#include <strata/config.hpp>
#include <strata/gateway/service.hpp>
#include <strata/websocket/stream.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace strata::gateway {

struct service_link_config {
    /// The gateway's service path: ws://, wss://, http:// or https://.
    std::string url;
    /// Sent as Authorization: Bearer (the gateway's authenticate_service decides).
    std::string token;
    std::string name;
    /// HTTP version (an extended CONNECT on HTTP/2 and HTTP/3), TLS, timeouts.
    websocket::connect_config websocket;
    std::chrono::milliseconds reconnect_delay{250};
    std::chrono::milliseconds max_reconnect_delay{5'000};
    /// Messages accepted for the gateway while the link is down; more are dropped.
    std::size_t max_pending = 4096;
};

class service_link : public outbox {
public:
    service_link(net::any_io_executor ex, service_link_config cfg);
    ~service_link() override;
    service_link(const service_link&) = delete;
    service_link& operator=(const service_link&) = delete;

    /// Handles `types` with `h`. Call before run().
    void handle(std::vector<std::string> types, service_handler h);

    /// Connects, says hello and serves until stop(), reconnecting when the
    /// link drops. Completes when stopped.
    net::awaitable<void> run();
    /// Closes the link; run() completes.
    void stop();

    /// Whether the gateway has welcomed this link now.
    bool connected() const noexcept;
    /// Times the gateway welcomed it.
    std::size_t connects() const noexcept;
    /// Messages dropped while the link was down and the pending queue full.
    std::size_t dropped() const noexcept;

    void send(session_id to, std::string_view type, std::string_view data, std::string_view id = {}) override;
    void push(std::string_view user, std::string_view type, std::string_view data) override;
    void publish(std::string_view topic, std::string_view type, std::string_view data) override;
    void subscribe(session_id s, std::string_view topic, std::optional<std::uint64_t> after = {}) override;
    void unsubscribe(session_id s, std::string_view topic) override;
    void fail(session_id to, std::string_view code, std::string_view reason, std::string_view for_type = {},
              std::string_view id = {}) override;

    struct state;

private:
    std::shared_ptr<state> state_;
};

} // namespace strata::gateway
