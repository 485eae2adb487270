// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The TCP socket under a connection's byte stream (plain, or TLS over it):
// what deadlines close and idle waits watch, whatever the drivers' stream.

#include <strata/config.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <type_traits>

namespace strata::detail {

template <class Stream>
inline constexpr bool is_tls_stream = !std::is_same_v<Stream, net::ip::tcp::socket>;

template <class Stream>
net::ip::tcp::socket& socket_of(Stream& stream) noexcept
{
    if constexpr (is_tls_stream<Stream>)
        return stream.next_layer();
    else
        return stream;
}

/// Closes the socket under `stream`; errors do not matter to a closing connection.
template <class Stream>
void close_socket_of(Stream& stream) noexcept
{
    error_code ignored;
    socket_of(stream).close(ignored);
}

} // namespace strata::detail
