// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// QUIC (RFC 9000/9001/9002) as strata configures it. The transport itself
// lives in src/transport/quic (ngtcp2 with its GnuTLS crypto helper, on Asio
// UDP sockets); this header names only what a user sets and the errors a
// QUIC connection ends with, so naming a config does not pull in ngtcp2.

#include <strata/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace strata::quic {

/// Transport parameters and limits, the same for server and client roles.
struct config {
    /// max_idle_timeout (RFC 9000 §10.1): a connection with no packet either
    /// way for this long is gone, without a packet sent.
    std::chrono::milliseconds idle_timeout{30'000};
    /// Client role: a PING after this much quiet keeps a connection whose
    /// streams are quiet (a long poll, an event stream) and its NAT binding
    /// alive within idle_timeout; zero: none. A pooled connection with no
    /// stream at all sends none and may time out, like an HTTP/2 one.
    std::chrono::milliseconds keep_alive{15'000};
    /// The handshake must finish within this; then the connection is dropped.
    std::chrono::milliseconds handshake_timeout{10'000};
    /// initial_max_streams_bidi: requests the peer may have open at once.
    std::uint64_t max_streams_bidi = 100;
    /// initial_max_streams_uni: HTTP/3 needs 3 (control, QPACK encoder and
    /// decoder); a few more leave room for extensions.
    std::uint64_t max_streams_uni = 8;
    /// Per-stream receive window (initial_max_stream_data_*), and how far
    /// ngtcp2's window auto-tuning may grow it.
    std::uint64_t stream_window = 1024 * 1024;
    std::uint64_t max_stream_window = 6 * 1024 * 1024;
    /// Connection receive window (initial_max_data) and its auto-tuning cap.
    std::uint64_t connection_window = 8 * 1024 * 1024;
    std::uint64_t max_connection_window = 24 * 1024 * 1024;
    /// Largest UDP payload we send before path MTU discovery raises it.
    std::size_t max_udp_payload = 1452;
    /// Server role: address validation. When more than this many handshakes
    /// are in flight, a new client must echo a Retry token first (one more
    /// round trip), so a flood of Initials from spoofed addresses costs the
    /// server no connection state. 0: Retry every new client.
    std::size_t retry_above_handshakes = 64;
    /// Server role: connections on one UDP socket.
    std::size_t max_connections = 10'000;
    /// Client role: send requests in 0-RTT on a resumed connection (RFC 9001
    /// §4.6). Only idempotent requests go early (RFC 9114 §4.1, RFC 8470).
    bool enable_early_data = true;
    /// Server role: accept 0-RTT requests. A replayed early request is
    /// possible by design: only safe methods are served early.
    bool accept_early_data = true;
};

/// Transport error codes (RFC 9000 §20.1), as carried by CONNECTION_CLOSE
/// frames of type 0x1c. TLS alerts are crypto_error + alert (0x100-0x1ff).
enum class error : std::uint64_t {
    no_error = 0x0,
    internal_error = 0x1,
    connection_refused = 0x2,
    flow_control_error = 0x3,
    stream_limit_error = 0x4,
    stream_state_error = 0x5,
    final_size_error = 0x6,
    frame_encoding_error = 0x7,
    transport_parameter_error = 0x8,
    connection_id_limit_error = 0x9,
    protocol_violation = 0xa,
    invalid_token = 0xb,
    application_error = 0xc,
    crypto_buffer_exceeded = 0xd,
    key_update_error = 0xe,
    aead_limit_reached = 0xf,
    no_viable_path = 0x10,
    crypto_error = 0x100,
    // Local conditions with no wire code of their own.
    handshake_timeout = 0x10000,
    idle_timeout,
    stateless_reset,
    version_negotiation_failed,
};

const error_category& error_category_instance() noexcept;

inline error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category_instance()};
}

} // namespace strata::quic

template <>
struct boost::system::is_error_code_enum<strata::quic::error> : std::true_type {};
