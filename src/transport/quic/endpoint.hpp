// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Where QUIC meets the network: UDP sockets, timers, and the routing of
// datagrams to connections. A server endpoint serves every connection on one
// socket, routed by connection id; a client endpoint is one connection on a
// connected socket. The protocol above attaches a `session` to each
// connection and drives it through `connection_io`.

#include <strata/config.hpp>

#include "connection.hpp"
#include "udp_io.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace strata::quic::detail {

/// What a session may ask of its connection's I/O.
class connection_io {
public:
    virtual ~connection_io() = default;
    virtual connection& quic() noexcept = 0;
    /// Writes what the connection has to send, soon (coalesced).
    virtual void flush() = 0;
    virtual const net::any_io_executor& executor() const noexcept = 0;
};

/// The protocol on one connection (an HTTP/3 server or client session).
class session : public application {
public:
    /// The connection ended and its closing period is over, or it never got
    /// going: the connection_io must not be used after this call.
    virtual void on_connection_closed(const close_reason& why) = 0;
};

class server_endpoint : public std::enable_shared_from_this<server_endpoint>, private cid_registry {
public:
    /// Makes the session for a new connection; the connection_io outlives
    /// every call into the session but on_connection_closed.
    using session_factory = std::function<std::shared_ptr<session>(connection_io&)>;

    server_endpoint(net::any_io_executor ex, config cfg, std::shared_ptr<tls_server_context> tls,
                    session_factory factory);
    ~server_endpoint() override;

    void open(const net::ip::udp::endpoint& local, error_code& ec);
    net::ip::udp::endpoint local_endpoint() const;
    void start();
    /// Stops reading and closes every connection at once (sessions were
    /// asked to finish gracefully before this).
    void stop();
    /// Refuses new connections; once the last one ended, stop().
    void stop_accepting();
    std::size_t connections() const noexcept { return entries_.size(); }
    /// Packets the endpoint answered without a connection, for tests.
    struct counters {
        std::size_t retries = 0;
        std::size_t version_negotiations = 0;
        std::size_t stateless_resets = 0;
        std::size_t refused = 0;
        std::size_t dropped = 0;
    };
    const counters& stats() const noexcept { return stats_; }

private:
    struct entry;
    void add_cid(std::span<const std::uint8_t> cid, void* route) override;
    void remove_cid(std::span<const std::uint8_t> cid) override;
    void wait_readable();
    void on_readable();
    void dispatch(const received_datagram& d, clock::time_point now, std::vector<entry*>& touched);
    void accept(const received_datagram& d, clock::time_point now, std::vector<entry*>& touched);
    void send_stateless(std::span<const std::byte> packet, const net::ip::udp::endpoint& to);
    void flush(entry& e);
    void arm(entry& e);
    void retire(entry& e);
    void on_writable();

    net::any_io_executor ex_;
    config cfg_;
    std::shared_ptr<tls_server_context> tls_;
    session_factory factory_;
    net::ip::udp::socket socket_;
    net::ip::udp::endpoint local_;
    udp_receiver receiver_;
    udp_sender sender_;
    std::vector<std::byte> send_buffer_;
    std::vector<std::uint8_t> secret_;
    std::unordered_map<std::string, entry*> routes_;
    std::unordered_map<entry*, std::unique_ptr<entry>> entries_;
    std::vector<entry*> blocked_; // waiting for the socket to take packets again
    bool waiting_writable_ = false;
    std::size_t handshaking_ = 0;
    bool stopped_ = false;
    bool accepting_ = true;
    counters stats_;
    clock::time_point reset_window_{};
    std::size_t resets_in_window_ = 0;
};

/// A client's one connection on its own connected UDP socket.
class client_endpoint : public std::enable_shared_from_this<client_endpoint>, public connection_io {
public:
    client_endpoint(net::any_io_executor ex, config cfg);
    ~client_endpoint() override;

    /// Opens the socket and starts the handshake towards `remote`. The
    /// session owns this endpoint and must call abandon() before it dies.
    void connect(const net::ip::udp::endpoint& remote, connection::client_params params, session* app,
                 error_code& ec);
    /// The session is going away: sends what is owed (a CONNECTION_CLOSE
    /// the session queued) once, then closes the socket.
    void abandon();

    /// Idle (no stream in flight): after a short linger for the ACKs and
    /// tickets still owed, stop waiting on the socket and the timer, so an
    /// idle pooled connection keeps no operation pending (io_context::run()
    /// returns). unpark() catches up on what arrived meanwhile.
    void park();
    void unpark();
    bool finished() const noexcept { return finished_; }

    connection& quic() noexcept override { return *conn_; }
    void flush() override;
    const net::any_io_executor& executor() const noexcept override { return ex_; }

private:
    void wait_readable();
    void on_readable();
    void do_flush();
    void arm();
    void finish();

    net::any_io_executor ex_;
    config cfg_;
    net::ip::udp::socket socket_;
    udp_receiver receiver_;
    udp_sender sender_;
    std::vector<std::byte> send_buffer_;
    std::unique_ptr<connection> conn_;
    session* app_ = nullptr;
    net::steady_timer timer_;
    clock::time_point armed_ = clock::time_point::max();
    bool flush_posted_ = false;
    bool finished_ = false;
    bool waiting_writable_ = false;
    bool parked_ = false;
    bool reading_ = false;
    /// A read wait cancelled by park() may complete after unpark() started
    /// the next one: only the newest wait's completion counts.
    std::uint64_t read_generation_ = 0;
    std::uint64_t park_generation_ = 0;
    net::steady_timer linger_;
};

} // namespace strata::quic::detail
