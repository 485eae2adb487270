// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The gateway: holds client WebSockets, routes their envelopes by type to
// services (in-process handlers, or processes on the service link), and
// carries the services' answers back: to a connection, to every connection
// of a user through a mailbox topic, or to a topic's subscribers.
//
// Every queue is bounded. A client that reads too slowly is cut off (close
// 1013) rather than buffered for; its mailbox cursor resumes it. A service
// that is slow or away costs errors on its own types only.
//
// The hub, its services and the server's connections run on one thread
// (the executor given here); handlers must not block it.

#include <strata/config.hpp>
#include <strata/gateway/envelope.hpp>
#include <strata/gateway/service.hpp>
#include <strata/request.hpp>
#include <strata/topic.hpp>
#include <strata/websocket/stream.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace strata {
class server;
}

namespace strata::gateway {

/// What the authentication hook decides about an opening request.
struct auth_result {
    /// 0 accepts; 401 or 403 refuses before the upgrade.
    unsigned status = 401;
    std::string user;   ///< the identity services see
    std::string reason; ///< the body of a refusal
    static auth_result accept(std::string user) { return {0, std::move(user), {}}; }
    static auth_result refuse(unsigned status, std::string reason) { return {status, {}, std::move(reason)}; }
};

using authenticator = std::function<auth_result(const request& req)>;

/// The credential of a request: `Authorization: Bearer T`, else the
/// `access_token` query parameter (browsers cannot set headers on a WebSocket).
std::optional<std::string> bearer_token(const request& req);

/// What happens to a remote service's messages while it is away.
enum class unavailable_policy {
    reject, ///< answered at once with service_unavailable
    hold,   ///< held (up to config::hold_queue) until the service says hello again
};

struct config {
    std::string path = "/gateway";
    std::string service_path = "/gateway/services";
    std::string metrics_path = "/metrics";
    /// Client envelopes past this get a too_big error. The WebSocket itself
    /// refuses (close 1009) messages four times this size.
    std::size_t max_message_bytes = 64 * 1024;
    /// Bad envelopes in a row (malformed, too big) before close 1008.
    std::size_t max_bad_messages = 10;
    /// Bytes queued for a client past which it is cut off with 1013.
    std::size_t client_queue_bytes = 256 * 1024;
    /// Messages waiting for one service past which its types get service_busy.
    std::size_t service_queue = 1024;
    unavailable_policy when_unavailable = unavailable_policy::reject;
    std::size_t hold_queue = 256;
    /// Each user's mailbox; kept mailbox_linger after the user's last connection ends.
    topic_config mailbox = default_mailbox();
    std::chrono::milliseconds mailbox_linger{5 * 60 * 1000};
    /// Topics clients subscribe to; one with no subscriber and no event for
    /// its max_age (or topic_linger when that is zero) is dropped.
    topic_config topics = default_topics();
    std::chrono::milliseconds topic_linger{5 * 60 * 1000};
    /// The client WebSockets (keep-alive pings, Origin check, deflate).
    websocket::accept_config websocket = default_websocket();
    /// Decides the user of a client connection. Unset: everyone gets 401.
    authenticator authenticate;
    /// Decides whether a service process may connect (its name is the
    /// returned user). Unset: the service path refuses everyone.
    authenticator authenticate_service;
    /// Whether `user` may subscribe to `topic` with a client's subscribe
    /// envelope. Unset: nobody may (services can still subscribe sessions).
    std::function<bool(std::string_view user, std::string_view topic)> authorize_subscribe;

    static topic_config default_mailbox();
    static topic_config default_topics();
    static websocket::accept_config default_websocket();
};

class hub : public outbox {
public:
    explicit hub(net::any_io_executor ex, config cfg = {});
    /// Ends every connection (shutdown()).
    ~hub() override;
    hub(const hub&) = delete;
    hub& operator=(const hub&) = delete;

    /// Routes config::path (GET and CONNECT: every HTTP version),
    /// config::service_path and config::metrics_path on `srv`.
    void attach(server& srv);

    /// An in-process service for `types`.
    void add_service(std::string name, std::vector<std::string> types, service_handler h);
    /// A service that runs elsewhere and connects over the service link:
    /// declaring it in advance makes its types answer service_unavailable (or
    /// be held) rather than unknown_type until it first connects.
    void expect_service(std::string name, std::vector<std::string> types);

    // outbox: what services do; also for the application itself.
    void send(session_id to, std::string_view type, std::string_view data, std::string_view id = {}) override;
    void push(std::string_view user, std::string_view type, std::string_view data) override;
    void publish(std::string_view topic, std::string_view type, std::string_view data) override;
    void subscribe(session_id s, std::string_view topic, std::optional<std::uint64_t> after = {}) override;
    void unsubscribe(session_id s, std::string_view topic) override;
    void fail(session_id to, std::string_view code, std::string_view reason, std::string_view for_type = {},
              std::string_view id = {}) override;

    /// The metrics in the Prometheus text format (what config::metrics_path serves).
    std::string metrics() const;
    /// Open client connections, and connected service links.
    std::size_t connections() const noexcept;
    std::size_t service_links() const noexcept;
    /// Whether `service` is in-process or connected now.
    bool service_ready(std::string_view service) const;
    /// Closes client connections (1001) and service links; new ones are refused.
    void shutdown();
    const config& cfg() const noexcept;
    net::any_io_executor get_executor() const;

    struct state;

private:
    std::shared_ptr<state> state_;
};

} // namespace strata::gateway
