// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// What every server connection driver does with a request once its head is
// read: route it, run the handler, and make sure an answer goes out. One
// place, so handlers see the same behaviour on every HTTP version.

#include "server_state.hpp"

#include <strata/request.hpp>
#include <strata/response.hpp>

#include <string_view>
#include <vector>

namespace strata::detail {

/// How the handler ended.
enum class handler_outcome {
    complete, ///< the response was sent in full
    cut,      ///< the handler threw after the head went out: the response must be cut
    write_failed,
};

/// Routes `req`, runs its handler (404/405/fallback when none matches),
/// answers 500 when the handler sent nothing or threw before the head, and
/// ends a body the handler left open. When the request body went over its
/// limit (`*body_too_large` true by then) the unanswered request gets 413.
net::awaitable<handler_outcome> run_handler(server_state& state, request& req, response& res,
                                            const bool* body_too_large = nullptr);

/// The fields every response carries: the handler's, then Date and Server
/// unless it set its own, and on a TLS connection (`secure`) the Alt-Svc
/// that advertises the server's HTTP/3 listener.
template <class Field>
void collect_response_fields(const server_state& state, const http::fields& fields, std::vector<Field>& out,
                             bool secure = false);

} // namespace strata::detail
