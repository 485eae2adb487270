// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Everything a program that serves or fetches over HTTP needs. Files that
// need one piece include its own header instead: this one is for examples
// and quick starts, not for every translation unit of a large program.

#include <strata/client.hpp>
#include <strata/conditional.hpp>
#include <strata/error.hpp>
#include <strata/long_poll/handler.hpp>
#include <strata/long_poll/poller.hpp>
#include <strata/server.hpp>
#include <strata/short_poll.hpp>
#include <strata/sse/event_source.hpp>
#include <strata/sse/handler.hpp>
#include <strata/topic.hpp>
#include <strata/url.hpp>
#include <strata/websocket.hpp>
