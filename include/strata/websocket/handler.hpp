// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// A WebSocket endpoint as a route: the opening handshake is done, the
// session function gets the WebSocket, and returning from it ends it.

#include <strata/config.hpp>
#include <strata/router.hpp>
#include <strata/server.hpp>
#include <strata/websocket/stream.hpp>

#include <functional>
#include <string_view>

namespace strata::websocket {

/// What runs on an open WebSocket; the request that opened it is there for
/// its query, path parameters and fields.
using session = std::function<net::awaitable<void>(stream& ws, request& req)>;

/// A route handler that accepts the WebSocket (refusing a request that is
/// not an opening handshake, with 426) and runs `s` on it.
strata::handler handler(session s, accept_config cfg = {});

/// Routes `pattern` for both ways a client opens a WebSocket: GET with an
/// Upgrade (HTTP/1.1) and extended CONNECT (HTTP/2, HTTP/3). The latter also
/// needs `http2.enable_connect_protocol` / `http3.enable_connect_protocol`
/// in the server's config, so its SETTINGS tell clients they may.
void route(server& srv, std::string_view pattern, session s, accept_config cfg = {});

} // namespace strata::websocket
