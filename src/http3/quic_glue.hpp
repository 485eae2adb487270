// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// What both HTTP/3 drivers do between the codec and its QUIC connection.
// Private to src/http3/.

#include "../transport/quic/connection.hpp"

#include <strata/http3/connection.hpp>

namespace strata::detail {

/// Opens our control and QPACK streams and binds them to the codec. False
/// while QUIC cannot open them yet (no keys or stream credit: try again
/// later); on any other failure the connection is closed.
bool bind_http3_streams(http3::connection& codec, quic::detail::connection& quic);

/// Applies what the codec asked of the transport: flow-control credit,
/// stream resets and STOP_SENDING, and a connection error as CONNECTION_CLOSE.
void apply_http3_actions(http3::connection& codec, quic::detail::connection& quic);

} // namespace strata::detail
