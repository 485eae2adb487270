// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "handler_dispatch.hpp"

#include "http_date.hpp"

#include <strata/http1/connection.hpp>

namespace strata::detail {

net::awaitable<handler_outcome> run_handler(server_state& state, request& req, response& res,
                                            const bool* body_too_large)
{
    bool threw = false;
    try {
        auto m = state.routes.find(req.method(), req.path());
        if (m.target) {
            req.set_params(std::move(m.params));
            co_await (*m.target)(req, res);
        } else if (!m.allow.empty()) {
            res.set_header("Allow", m.allow);
            co_await res.send(status::method_not_allowed, "method not allowed\n");
        } else if (state.fallback) {
            co_await state.fallback(req, res);
        } else {
            co_await res.send(status::not_found, "not found\n");
        }
    } catch (const std::exception&) {
        threw = true;
    }
    error_code ec;
    if (!res.started() && body_too_large && *body_too_large) {
        co_await res.send(status::content_too_large, "content too large\n", "text/plain; charset=utf-8", ec);
    } else if (!res.started()) {
        co_await res.send(status::internal_server_error, "internal server error\n",
                          "text/plain; charset=utf-8", ec);
    } else if (!res.finished()) {
        // A half-sent body can only be cut: that tells the client it is incomplete.
        if (threw)
            co_return handler_outcome::cut;
        co_await res.finish(ec);
    }
    co_return ec ? handler_outcome::write_failed : handler_outcome::complete;
}

template <class Field>
void collect_response_fields(const server_state& state, const http::fields& fields, std::vector<Field>& out,
                             bool secure)
{
    out.clear();
    for (auto f : fields)
        out.push_back({f.name, f.value});
    if (!fields.contains("Date"))
        out.push_back({"Date", http_date()});
    if (!state.cfg.server_header.empty() && !fields.contains("Server"))
        out.push_back({"Server", state.cfg.server_header});
    if (secure && !state.alt_svc.empty() && !fields.contains("Alt-Svc"))
        out.push_back({"Alt-Svc", state.alt_svc});
}

template void collect_response_fields<http1::field>(const server_state&, const http::fields&,
                                                    std::vector<http1::field>&, bool);
template void collect_response_fields<http::field_view>(const server_state&, const http::fields&,
                                                        std::vector<http::field_view>&, bool);

} // namespace strata::detail
