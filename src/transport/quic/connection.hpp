// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// One QUIC connection: an ngtcp2_conn and its TLS session, with no socket
// and no clock of its own. The endpoint (endpoint.hpp) feeds it datagrams
// and the time, and sends what it writes; the application protocol above
// (HTTP/3) sees streams through the `application` interface, never packets.

#include <strata/config.hpp>

#include "tls_backend.hpp"

#include <strata/transport/quic.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

struct ngtcp2_conn;
struct ngtcp2_cid;
struct ngtcp2_pkt_hd;

namespace strata::quic::detail {

using stream_id = std::int64_t;
using clock = std::chrono::steady_clock;

/// Bytes the application offers on one stream; stream -1: nothing now.
struct stream_chunk {
    stream_id stream = -1;
    std::span<const net::const_buffer> data;
    bool fin = false;
};

/// The protocol above QUIC. Calls arrive while the connection reads or
/// writes packets: an implementation records what happened and must not
/// destroy the connection from inside them.
class application {
public:
    virtual ~application() = default;
    virtual void on_handshake_completed() = 0;
    /// `early`: the bytes came in 0-RTT packets (replayable, RFC 9001 §9.2).
    virtual void on_stream_data(stream_id s, std::span<const std::byte> bytes, bool fin, bool early) = 0;
    virtual void on_stream_reset(stream_id s, std::uint64_t code) = 0;
    virtual void on_stream_close(stream_id s, std::uint64_t code) = 0;
    virtual void on_acked(stream_id s, std::uint64_t bytes) = 0;
    /// The peer raised the stream's flow-control limit.
    virtual void on_stream_writable(stream_id s) = 0;
    /// The peer allows more streams of ours.
    virtual void on_streams_available() = 0;
    /// The 0-RTT data was refused: every stream opened early is gone.
    virtual void on_early_data_rejected() = 0;

    // Writing pulls: the connection asks for bytes as packets have room.
    virtual stream_chunk next_output() = 0;
    virtual void on_written(stream_id s, std::size_t n) = 0;
    virtual void on_blocked(stream_id s) = 0;
    virtual void on_write_shutdown(stream_id s) = 0;
};

/// What a server endpoint learns about a connection's ids, for routing.
class cid_registry {
public:
    virtual ~cid_registry() = default;
    virtual void add_cid(std::span<const std::uint8_t> cid, void* conn) = 0;
    virtual void remove_cid(std::span<const std::uint8_t> cid) = 0;
};

/// How a connection ended, as CONNECTION_CLOSE says it.
struct close_reason {
    bool application = false; ///< true: `code` is the application's (HTTP/3)
    std::uint64_t code = 0;
    error_code local; ///< a local cause (timeout, stateless reset, TLS verify)
};

struct path {
    net::ip::udp::endpoint local;
    net::ip::udp::endpoint remote;
};

/// Early-data state a client keeps per server (RFC 9000 §7.4.1): the
/// server's transport limits and a TLS ticket.
struct resumption {
    session_ticket ticket;
    std::uint64_t initial_max_streams_bidi = 0;
    std::uint64_t initial_max_streams_uni = 0;
    std::uint64_t initial_max_stream_data_bidi_local = 0;
    std::uint64_t initial_max_stream_data_bidi_remote = 0;
    std::uint64_t initial_max_stream_data_uni = 0;
    std::uint64_t initial_max_data = 0;
    std::uint64_t active_connection_id_limit = 0;
    std::vector<std::uint8_t> token; ///< NEW_TOKEN: skips address validation next time
};

class connection {
public:
    struct server_params {
        const ngtcp2_pkt_hd* initial = nullptr;                 ///< the client's first Initial
        std::optional<std::vector<std::uint8_t>> original_dcid; ///< from a Retry token
        bool address_validated = false;                         ///< a Retry or NEW_TOKEN token was valid
        std::span<const std::uint8_t> static_secret;
        tls_server_context* tls = nullptr;
        cid_registry* registry = nullptr;
        void* route = nullptr; ///< what the registry maps this connection's ids to
    };
    struct client_params {
        tls_client_context* tls = nullptr;
        std::string host;
        const resumption* resume = nullptr;
        std::function<void(resumption)> on_resumption;
    };

    static std::unique_ptr<connection> make_server(const config& cfg, const path& p, const server_params& sp,
                                                   clock::time_point now, error_code& ec);
    static std::unique_ptr<connection> make_client(const config& cfg, const path& p, client_params cp,
                                                   clock::time_point now, error_code& ec);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    void set_application(application* app) noexcept;

    // ---- packets -----------------------------------------------------------

    /// Feeds one received datagram. Errors end the connection: closed() turns
    /// true and write() produces the CONNECTION_CLOSE to send.
    void handle_datagram(const path& p, std::span<const std::byte> bytes, clock::time_point now);
    /// Writes packets into `out` (room for several) and returns the bytes
    /// written. All packets but the last are `segment` bytes long, so the
    /// batch can leave in one GSO send.
    std::size_t write(std::span<std::byte> out, std::size_t& segment, clock::time_point now);
    /// When handle_timeout must run next (loss detection, ACK delay, pacing,
    /// idle timeout, handshake timeout).
    clock::time_point expiry() const noexcept;
    void handle_timeout(clock::time_point now);

    // ---- streams -----------------------------------------------------------

    stream_id open_bidi_stream(error_code& ec);
    stream_id open_uni_stream(error_code& ec);
    /// Returns `n` bytes of receive credit on the stream and the connection.
    void extend_credit(stream_id s, std::size_t n);
    void reset_stream(stream_id s, std::uint64_t code);
    void stop_sending(stream_id s, std::uint64_t code);
    std::uint64_t bidi_streams_left() const noexcept;
    /// The peer may open one more request stream (MAX_STREAMS): the server
    /// grants it when a request's stream closed and its handler finished.
    void grant_bidi_stream();
    /// Unidirectional streams we may open now (0 before the keys and the
    /// peer's limits are known).
    std::uint64_t uni_streams_left() const noexcept;

    // ---- lifetime ----------------------------------------------------------

    /// Closes with an application error code (HTTP/3's H3_NO_ERROR for a
    /// clean close); the next write() produces CONNECTION_CLOSE.
    void close(std::uint64_t app_code);
    /// Ends the connection without a packet (the path is gone: ICMP said
    /// nobody listens), with `why` as the reason.
    void abort(error_code why, clock::time_point now);
    bool handshake_completed() const noexcept;
    /// Ended: closing (our CONNECTION_CLOSE), draining (theirs), timed out or
    /// reset. The endpoint keeps answering for closing_deadline() to absorb
    /// stray packets, then forgets it.
    bool closed() const noexcept;
    clock::time_point closing_deadline() const noexcept;
    const close_reason& reason() const noexcept;
    /// Nothing left to send but what write() still owes.
    bool has_pending_close() const noexcept;
    std::string alpn() const;
    bool resumed() const;
    bool early_data_accepted() const;
    const path& current_path() const noexcept;
    /// Nothing was heard for (nearly) the idle timeout: the peer may have
    /// forgotten the connection, so it must not carry a new request.
    bool idle_expired(clock::time_point now) const noexcept;
    std::vector<std::vector<std::uint8_t>> scids() const;
    /// The client's original destination id (server role), routed to this
    /// connection until the handshake completes.
    std::span<const std::uint8_t> original_dcid() const noexcept;
    /// RTT and congestion figures for tests and benchmarks.
    std::chrono::nanoseconds smoothed_rtt() const noexcept;

private:
    connection();
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Monotonic nanoseconds for ngtcp2 (its ngtcp2_tstamp).
std::uint64_t to_tstamp(clock::time_point t) noexcept;

/// Fills `out` with cryptographically strong random bytes.
void random_bytes(std::span<std::uint8_t> out) noexcept;

} // namespace strata::quic::detail
