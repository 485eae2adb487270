// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The hub's insides, shared by hub.cpp (routing, queues), endpoints.cpp (the
// client and service link WebSockets) and metrics.cpp.

#include <strata/gateway/hub.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace strata::gateway {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class T>
using string_map = std::unordered_map<std::string, T, string_hash, std::equal_to<>>;

/// One WebSocket the hub writes to: a client or a service link. Writes go
/// through one queue and one writer coroutine at a time, in batches.
struct endpoint {
    explicit endpoint(const net::any_io_executor& ex) : idle(ex, net::steady_timer::time_point::max()) {}
    std::uint64_t id = 0;
    websocket::stream* ws = nullptr; ///< lives in the handler's frame, which outlives `alive`
    request* req = nullptr;
    bool alive = true;
    bool writing = false;
    bool cut_off = false;
    /// Close handshakes started beside the reader; the handler waits for
    /// them too before its WebSocket goes.
    int closers = 0;
    std::vector<std::string> queue;
    std::size_t queued = 0;    ///< bytes in `queue`
    std::size_t in_flight = 0; ///< bytes handed to the WebSocket, not yet written
    /// Never expires: cancelled after every batch written and when the
    /// writer stops, which wakes whoever waits for room or for the end.
    net::steady_timer idle;
};

struct subscription_entry {
    std::string topic;
    std::shared_ptr<topic::subscription> sub;
};

struct client_session : endpoint, std::enable_shared_from_this<client_session> {
    using endpoint::endpoint;
    std::string user;
    std::size_t bad_in_row = 0;
    std::shared_ptr<topic::subscription> mailbox;
    std::vector<subscription_entry> subscriptions;
};

struct link_session : endpoint, std::enable_shared_from_this<link_session> {
    using endpoint::endpoint;
    std::string service; ///< empty until hello
};

struct service_entry : std::enable_shared_from_this<service_entry> {
    std::string name;
    std::vector<std::string> types;
    bool remote = false;
    service_handler handler;          ///< in-process
    std::weak_ptr<link_session> link; ///< remote, while connected
    std::deque<incoming> queue;       ///< in-process: waiting; remote: held while away
    bool running = false;
    std::uint64_t handled = 0, busy = 0, unavailable = 0, failures = 0, connects = 0;
};

struct topic_entry {
    explicit topic_entry(const topic_config& cfg) : log(cfg) {}
    topic log;
    std::size_t subscribers = 0;
    std::chrono::steady_clock::time_point last_publish = std::chrono::steady_clock::now();
};

using mailbox_entry = topic;

struct user_entry {
    std::vector<std::weak_ptr<client_session>> sessions;
    std::unique_ptr<topic> mailbox; ///< made at the first push
    std::chrono::steady_clock::time_point last_active = std::chrono::steady_clock::now();
};

using counter_map = std::map<std::string, std::uint64_t, std::less<>>;

struct hub::state : std::enable_shared_from_this<hub::state> {
    state(net::any_io_executor ex, config cfg);

    net::any_io_executor ex;
    config cfg;
    websocket::accept_config ws_cfg; ///< cfg.websocket with the limits the hub needs
    envelope_parser parser;          ///< client envelopes
    envelope_parser link_parser;     ///< service links and built-ins' data
    net::steady_timer sweep;
    hub* owner = nullptr;
    bool stopping = false;
    std::uint64_t next_id = 0;

    std::unordered_map<session_id, std::shared_ptr<client_session>> sessions;
    std::unordered_map<std::uint64_t, std::shared_ptr<link_session>> links;
    string_map<user_entry> users;
    string_map<std::unique_ptr<topic_entry>> topics;
    string_map<std::shared_ptr<service_entry>> services;
    string_map<service_entry*> by_type;

    // Metrics.
    static constexpr std::size_t max_labels = 256;
    counter_map in_by_type, out_by_type, errors_by_code;
    std::uint64_t messages_in = 0, connections_total = 0, refused_total = 0, closed_bad = 0;
    std::uint64_t drops_slow_consumer = 0, drops_unknown_session = 0, gaps = 0, link_messages = 0;

    void start_sweep();
    void sweep_idle();
    void count(counter_map& m, std::string_view key);
    topic_entry& topic_named(std::string_view name);
    user_entry& user_named(std::string_view name);
    mailbox_entry& mailbox_of(user_entry& u);
    std::shared_ptr<client_session> find_session(session_id id);

    // Writing, to clients and service links alike.
    bool enqueue(const std::shared_ptr<client_session>& s, std::string frame, std::string_view type);
    void enqueue_link(const std::shared_ptr<link_session>& l, std::string frame);
    /// Closes `e`'s WebSocket from beside its reader (shutdown, a slow
    /// client), with a bound on the wait: past close_timeout the connection
    /// is dropped.
    template <class Endpoint>
    void close_beside(const std::shared_ptr<Endpoint>& e, std::uint16_t code, std::string reason);
    template <class Endpoint>
    static net::awaitable<void> write_loop(std::shared_ptr<state> self, std::shared_ptr<Endpoint> e);
    void cut_off(const std::shared_ptr<client_session>& s);
    void send_error(const std::shared_ptr<client_session>& s, error e, std::string_view for_type,
                    std::string_view id);

    // Subscriptions.
    void start_pump(const std::shared_ptr<client_session>& s, std::string topic_name, topic& t,
                    std::optional<std::uint64_t> after, bool mailbox);
    static net::awaitable<void> pump(std::shared_ptr<state> self, std::shared_ptr<client_session> s,
                                     std::string name, std::shared_ptr<topic::subscription> sub,
                                     bool mailbox);
    error subscribe_session(const std::shared_ptr<client_session>& s, std::string_view name,
                            std::optional<std::uint64_t> after);
    void unsubscribe_session(client_session& s, std::string_view name);
    void end_subscriptions(client_session& s);

    /// Runs the authentication hook, or answers the request (401, 403, 503 while stopping).
    net::awaitable<std::optional<auth_result>> admit(request& req, response& res, const authenticator& hook);

    // Client endpoint.
    net::awaitable<void> serve_client(request& req, response& res);
    void on_client_message(const std::shared_ptr<client_session>& s, websocket::message& m);
    void builtin(const std::shared_ptr<client_session>& s, const envelope& env);

    // Services.
    void add_service(std::string name, std::vector<std::string> types, service_handler h, bool remote);
    void deliver(service_entry& svc, incoming msg);
    static net::awaitable<void> run_service(std::shared_ptr<state> self, std::shared_ptr<service_entry> svc);
    net::awaitable<void> serve_link(request& req, response& res);
    void on_link_message(const std::shared_ptr<link_session>& l, websocket::message& m);
    void send_to_link(const std::shared_ptr<link_session>& l, const incoming& msg);
    void link_hello(const std::shared_ptr<link_session>& l, const link_message& m);

    // The outbox.
    void do_send(session_id to, std::string_view type, std::string_view data, std::string_view id);
    void do_push(std::string_view user, std::string_view type, std::string_view data);
    void do_publish(std::string_view topic, std::string_view type, std::string_view data);
    void do_fail(session_id to, std::string_view code, std::string_view reason, std::string_view for_type,
                 std::string_view id);

    std::string render_metrics() const;
};

} // namespace strata::gateway
