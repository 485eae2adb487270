// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include "../chat_room.hpp"

#include <strata/server.hpp>

namespace strata_cli {

/// The WebSocket demos of `strata serve`, on every listener (HTTP/1.1
/// Upgrade, extended CONNECT on HTTP/2 and HTTP/3), permessage-deflate
/// accepted:
///   /ws/echo   every message back, text or binary as it came
///   /ws/chat   the chat room of examples/chat_room.hpp (?name=NAME)
/// Both end their sessions with 1001 on a graceful shutdown.
class demo_websockets {
public:
    /// `this` must outlive the server's use of the routes.
    void add_routes(strata::server& srv);

private:
    chat::room room_;
};

} // namespace strata_cli
