// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Batched UDP I/O for QUIC: recvmmsg to take many datagrams per wake-up, and
// GSO (UDP_SEGMENT) to hand the kernel a run of equal-sized packets in one
// send, falling back to sendmmsg where the kernel or device lacks GSO.

#include <strata/config.hpp>

#include <boost/asio/ip/udp.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace strata::quic::detail {

struct received_datagram {
    std::span<const std::byte> bytes;
    net::ip::udp::endpoint remote;
};

class udp_receiver {
public:
    static constexpr std::size_t batch = 32;
    static constexpr std::size_t max_datagram = 2048; ///< larger ones are dropped (MSG_TRUNC)

    udp_receiver();
    /// Reads what the socket holds, up to `batch` datagrams, without
    /// blocking. Returns them, or an empty span when none (error in `ec`,
    /// would_block when the socket is empty).
    std::span<const received_datagram> receive(net::ip::udp::socket& socket, error_code& ec);

private:
    std::vector<std::byte> storage_;
    std::array<received_datagram, batch> out_{};
    std::array<net::ip::udp::endpoint, batch> addrs_{};
};

class udp_sender {
public:
    /// Sends `data`: packets of `segment` bytes (the last may be shorter) to
    /// `remote`, or to the connected peer when `remote` is null. would_block
    /// when the socket's buffer is full (nothing sent; try again when writable).
    void send(net::ip::udp::socket& socket, const net::ip::udp::endpoint* remote,
              std::span<const std::byte> data, std::size_t segment, error_code& ec);

private:
    bool gso_ = true;
};

/// Socket buffers big enough for a window of packets in flight each way.
void tune_udp_socket(net::ip::udp::socket& socket);

} // namespace strata::quic::detail
