// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The HTTP/3 server driver's entry point, for the QUIC listener in server.cpp.

#include "../detail/server_state.hpp"
#include "../transport/quic/endpoint.hpp"

#include <memory>

namespace strata::detail {

/// The HTTP/3 session for a new QUIC connection on a server's listener.
std::shared_ptr<quic::detail::session> make_http3_server_session(quic::detail::connection_io& io,
                                                                 std::shared_ptr<server_state> state);

} // namespace strata::detail
