// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/server.hpp>

namespace strata_cli {

/// The routes `strata serve` answers besides its files: /hello, /echo,
/// /stream (a chunked body) and /tokens?prompt=TEXT (an answer streamed
/// token by token as Server-Sent Events).
void add_demo_routes(strata::server& srv);

} // namespace strata_cli
