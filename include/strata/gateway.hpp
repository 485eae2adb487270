// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The WebSocket gateway: typed envelopes between client connections and
// backend services (include/strata/gateway/README.md).

#include <strata/gateway/envelope.hpp>
#include <strata/gateway/error.hpp>
#include <strata/gateway/hub.hpp>
#include <strata/gateway/service.hpp>
#include <strata/gateway/service_link.hpp>
