// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// WebSockets: the stream (client and server), the route helpers, and the
// sans-I/O codec underneath.

#include <strata/websocket/connection.hpp>
#include <strata/websocket/deflate.hpp>
#include <strata/websocket/error.hpp>
#include <strata/websocket/frame.hpp>
#include <strata/websocket/handler.hpp>
#include <strata/websocket/handshake.hpp>
#include <strata/websocket/stream.hpp>
