// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The gateway's metrics in the Prometheus text exposition format (0.0.4):
// what a person operating it watches: connections, traffic by type, queue
// depths, and everything dropped, with why.

#include "hub_state.hpp"

namespace strata::gateway {

namespace {

/// A label value: backslash, double quote and newline escaped.
void append_label(std::string& out, std::string_view v)
{
    for (char c : v) {
        if (c == '\\' || c == '"')
            out += '\\', out += c;
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
{
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::uint64_t v)
{
    out.append(name).append(" ").append(std::to_string(v)).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view label, std::string_view value,
            std::uint64_t v)
{
    out.append(name).append("{").append(label).append("=\"");
    append_label(out, value);
    out.append("\"} ").append(std::to_string(v)).append("\n");
}

} // namespace

std::string hub::state::render_metrics() const
{
    std::string out;
    std::size_t queued = 0, sessions_writing = 0, subscriptions = 0;
    for (auto& [_, s] : sessions) {
        queued += s->queued + s->in_flight + (s->ws ? s->ws->queued_bytes() : 0);
        sessions_writing += s->writing ? 1 : 0;
        subscriptions += s->subscriptions.size();
    }
    std::size_t mailboxes = 0, mailbox_events = 0;
    for (auto& [_, u] : users)
        if (u.mailbox) {
            ++mailboxes;
            mailbox_events += u.mailbox->size();
        }

    family(out, "strata_gateway_connections", "gauge", "Client WebSocket connections open now.");
    sample(out, "strata_gateway_connections", sessions.size());
    family(out, "strata_gateway_connections_total", "counter", "Client WebSocket connections accepted.");
    sample(out, "strata_gateway_connections_total", connections_total);
    family(out, "strata_gateway_refused_total", "counter",
           "Opening requests refused by an authentication hook.");
    sample(out, "strata_gateway_refused_total", refused_total);
    family(out, "strata_gateway_users", "gauge", "Users with a connection or a mailbox.");
    sample(out, "strata_gateway_users", users.size());
    family(out, "strata_gateway_service_links", "gauge",
           "Service processes connected over the service link.");
    sample(out, "strata_gateway_service_links", links.size());

    family(out, "strata_gateway_messages_in_total", "counter", "Envelopes received from clients, by type.");
    for (auto& [type, n] : in_by_type)
        sample(out, "strata_gateway_messages_in_total", "type", type, n);
    family(out, "strata_gateway_messages_out_total", "counter", "Envelopes queued to clients, by type.");
    for (auto& [type, n] : out_by_type)
        sample(out, "strata_gateway_messages_out_total", "type", type, n);
    family(out, "strata_gateway_errors_total", "counter", "Error envelopes sent to clients, by code.");
    for (auto& [code, n] : errors_by_code)
        sample(out, "strata_gateway_errors_total", "code", code, n);

    family(out, "strata_gateway_client_queue_bytes", "gauge",
           "Bytes waiting to be written to clients, in all.");
    sample(out, "strata_gateway_client_queue_bytes", queued);
    family(out, "strata_gateway_clients_writing", "gauge", "Client connections with a write in progress.");
    sample(out, "strata_gateway_clients_writing", sessions_writing);
    family(out, "strata_gateway_subscriptions", "gauge", "Topic subscriptions of open connections.");
    sample(out, "strata_gateway_subscriptions", subscriptions);
    family(out, "strata_gateway_topics", "gauge", "Topics retained.");
    sample(out, "strata_gateway_topics", topics.size());
    family(out, "strata_gateway_mailbox_events", "gauge", "Events retained in users' mailboxes.");
    sample(out, "strata_gateway_mailbox_events", mailbox_events);
    (void)mailboxes;

    family(out, "strata_gateway_drops_total", "counter", "Messages or connections dropped, by reason.");
    sample(out, "strata_gateway_drops_total", "reason", "slow_consumer", drops_slow_consumer);
    sample(out, "strata_gateway_drops_total", "reason", "unknown_session", drops_unknown_session);
    sample(out, "strata_gateway_drops_total", "reason", "too_many_errors", closed_bad);
    std::uint64_t busy = 0, unavailable = 0;
    for (auto& [_, svc] : services)
        busy += svc->busy, unavailable += svc->unavailable;
    sample(out, "strata_gateway_drops_total", "reason", "service_busy", busy);
    sample(out, "strata_gateway_drops_total", "reason", "service_unavailable", unavailable);
    family(out, "strata_gateway_gaps_total", "counter",
           "Gap envelopes: events a subscriber skipped or lost to expiry.");
    sample(out, "strata_gateway_gaps_total", gaps);

    family(out, "strata_gateway_service_up", "gauge", "1 when the service is in-process or connected.");
    for (auto& [name, svc] : services)
        sample(out, "strata_gateway_service_up", "service", name,
               !svc->remote || !svc->link.expired() ? 1 : 0);
    family(out, "strata_gateway_service_queue", "gauge",
           "Messages waiting for a service (in-process) or held for it (remote, away).");
    for (auto& [name, svc] : services) {
        std::size_t depth = svc->queue.size();
        if (auto l = svc->link.lock())
            depth += l->queue.size();
        sample(out, "strata_gateway_service_queue", "service", name, depth);
    }
    family(out, "strata_gateway_service_handled_total", "counter", "Messages handed to a service.");
    for (auto& [name, svc] : services)
        sample(out, "strata_gateway_service_handled_total", "service", name, svc->handled);
    family(out, "strata_gateway_service_connects_total", "counter", "Times a remote service said hello.");
    for (auto& [name, svc] : services)
        sample(out, "strata_gateway_service_connects_total", "service", name, svc->connects);
    return out;
}

} // namespace strata::gateway

namespace strata::gateway {

std::string hub::metrics() const
{
    return state_->render_metrics();
}

} // namespace strata::gateway
