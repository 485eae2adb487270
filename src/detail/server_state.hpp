// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// What a server shares with its connections. Private to src/.

#include <strata/server.hpp>
#include <strata/transport/tls.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

namespace strata::quic::detail {
class server_endpoint;
}

namespace strata::detail {

/// A live connection, as shutdown() sees it.
class server_connection {
public:
    virtual ~server_connection() = default;
    /// Close now if idle, otherwise after the response in flight. Thread-safe.
    virtual void request_shutdown() = 0;
    /// Cut the connection (shutdown_timeout passed). Thread-safe.
    virtual void abort() = 0;
    /// Give the read buffers back if waiting for a request since before `cutoff`. Thread-safe.
    virtual void trim_if_idle_since(std::chrono::steady_clock::time_point cutoff) = 0;
};

struct server_state : std::enable_shared_from_this<server_state> {
    server_state(net::any_io_executor e, server_config c)
        : ex(std::move(e)), cfg(std::move(c)), grace(ex), sweeper(ex)
    {}

    net::any_io_executor ex;
    server_config cfg;
    strata::router routes;
    handler fallback;
    std::optional<net::ssl::context> tls_context;
    std::vector<std::shared_ptr<net::ip::tcp::acceptor>> acceptors;
    std::vector<std::shared_ptr<quic::detail::server_endpoint>> quic_listeners;
    /// The Alt-Svc value TLS responses carry while a quic:// listener runs.
    std::string alt_svc;

    std::mutex mutex; // guards everything below
    std::unordered_set<server_connection*> live;
    /// Accepted connections whose first bytes are still being read to pick
    /// their HTTP version: they count against max_connections too.
    std::size_t admitting = 0;
    std::atomic<bool> stopping{false}; // written under the mutex, read per request without it
    std::vector<std::function<void(error_code)>> stopped_waiters;
    net::steady_timer grace;
    net::steady_timer sweeper; // trims idle keep-alive connections, see server_config::idle_trim_after
    bool sweeping = false;

    bool add(server_connection* c);
    void remove(server_connection* c);
    void notify_if_drained(std::unique_lock<std::mutex>& lock);
    void sweep();
};

using tls_stream = net::ssl::stream<net::ip::tcp::socket>;

/// Serves HTTP/1.1 on an accepted connection until it closes. `initial`:
/// bytes already read from the socket (while looking for the HTTP/2 preface).
net::awaitable<void> serve_http1(net::ip::tcp::socket socket, std::shared_ptr<server_state> state,
                                 std::vector<std::byte> initial = {});
net::awaitable<void> serve_http1(tls_stream stream, std::shared_ptr<server_state> state);

/// Serves HTTP/2 on an accepted connection until it closes; `initial` as above.
net::awaitable<void> serve_http2(net::ip::tcp::socket socket, std::shared_ptr<server_state> state,
                                 std::vector<std::byte> initial);
net::awaitable<void> serve_http2(tls_stream stream, std::shared_ptr<server_state> state);

} // namespace strata::detail
