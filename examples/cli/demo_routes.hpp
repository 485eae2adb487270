// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/server.hpp>

namespace strata_cli {

/// The routes `strata serve` answers besides its files: /hello, /echo,
/// /scores (short polling) and /stream (a chunked body).
void add_demo_routes(strata::server& srv);

} // namespace strata_cli
