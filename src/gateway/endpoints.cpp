// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The hub's three routes: client WebSockets, service link WebSockets and
// the metrics page.

#include "hub_state.hpp"

#include <charconv>

#include <strata/response.hpp>
#include <strata/server.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace strata::gateway {

namespace {

bool is_websocket_route(const request& req)
{
    return req.method() == "GET" || req.method() == "CONNECT";
}

/// Refuses before the upgrade, with the hook's status.
net::awaitable<void> refuse(response& res, const auth_result& a)
{
    auto code = a.status == 403 ? status::forbidden : status::unauthorized;
    if (code == status::unauthorized)
        res.set_header("WWW-Authenticate", "Bearer");
    // A named body: GCC 12 destroys a conditional's temporary twice across co_await.
    std::string body =
        a.reason.empty() ? (code == status::forbidden ? "forbidden" : "unauthorized") : a.reason;
    body += '\n';
    co_await res.send(code, body);
}

/// Waits until the writer of `e` has stopped: the WebSocket it writes to
/// lives in the caller's frame.
template <class Endpoint>
net::awaitable<void> drain(Endpoint& e)
{
    while (e.writing || e.closers > 0) {
        if (e.req)
            e.req->abort(); // the connection is over: a write to it fails at once
        error_code ignored;
        co_await e.idle.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
}

/// Waits (up to `limit`) until what was queued for `e` is written: an
/// error envelope goes out before the close that follows it.
template <class Endpoint>
net::awaitable<void> flushed(Endpoint& e, std::chrono::milliseconds limit)
{
    bool expired = false;
    net::steady_timer deadline{e.idle.get_executor(), limit};
    deadline.async_wait([&](error_code ec) {
        if (!ec) {
            expired = true;
            e.idle.cancel();
        }
    });
    while (e.writing && !expired) {
        error_code ignored;
        co_await e.idle.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
    deadline.cancel(); // its handler, aborted, touches nothing
}

} // namespace

net::awaitable<std::optional<auth_result>> hub::state::admit(request& req, response& res,
                                                             const authenticator& hook)
{
    if (stopping) {
        co_await res.send(status::service_unavailable, "gateway shutting down\n");
        co_return std::nullopt;
    }
    // No hook: nobody gets in (a gateway is not open by accident).
    auto a = hook ? hook(req) : auth_result::refuse(401, "no authenticator configured");
    if (a.status != 0 || a.user.empty()) {
        ++refused_total;
        co_await refuse(res, a);
        co_return std::nullopt;
    }
    co_return a;
}

net::awaitable<void> hub::state::serve_client(request& req, response& res)
{
    auto a = co_await admit(req, res, cfg.authenticate);
    if (!a)
        co_return;
    std::optional<std::uint64_t> after;
    if (auto q = req.query_param("after")) {
        std::uint64_t n = 0;
        auto [p, e] = std::from_chars(q->data(), q->data() + q->size(), n);
        if (e != std::errc{} || p != q->data() + q->size()) {
            co_await res.send(status::bad_request, "after must be a number\n");
            co_return;
        }
        after = n;
    }
    error_code ec;
    auto ws = co_await websocket::accept(req, res, ws_cfg, ec);
    if (ec)
        co_return;
    auto keep = shared_from_this();
    auto s = std::make_shared<client_session>(ex);
    s->id = ++next_id;
    s->ws = &ws;
    s->req = &req;
    s->user = std::move(a->user);
    sessions.emplace(s->id, s);
    ++connections_total;
    // A graceful server shutdown closes the connection with 1001, from
    // beside the read below; its end then ends the loop.
    req.on_shutdown([weak = std::weak_ptr<client_session>(s), self = weak_from_this()] {
        auto session = weak.lock();
        auto st = self.lock();
        if (session && st)
            st->close_beside(session, 1001, "server shutting down");
    });
    auto& u = user_named(s->user);
    std::erase_if(u.sessions, [](const auto& w) { return w.expired(); });
    u.sessions.push_back(s);
    u.last_active = std::chrono::steady_clock::now();

    std::string body = "{\"user\":";
    append_json_string(body, s->user);
    body += ",\"session\":" + std::to_string(s->id) +
            ",\"seq\":" + std::to_string(u.mailbox ? u.mailbox->last_id() : 0) + "}";
    std::string frame;
    append_envelope(frame, "welcome", body);
    enqueue(s, std::move(frame), "welcome");
    // The mailbox: from the client's cursor, or from now. Without one yet
    // and without a cursor there is nothing to wait for (mailbox_of starts
    // it at the first push).
    if (after || u.mailbox)
        start_pump(s, {}, mailbox_of(u), after ? after : std::optional<std::uint64_t>(u.mailbox->last_id()),
                   true);

    while (s->alive && !stopping) {
        auto m = co_await ws.read(ec);
        if (ec)
            break;
        on_client_message(s, m);
        if (s->bad_in_row >= cfg.max_bad_messages) {
            ++closed_bad;
            co_await flushed(*s, cfg.websocket.close_timeout);
            co_await ws.close(1008, "too many malformed envelopes", ec);
            break;
        }
    }
    req.on_shutdown({});
    s->alive = false;
    end_subscriptions(*s);
    sessions.erase(s->id);
    if (auto it = users.find(s->user); it != users.end()) {
        std::erase_if(it->second.sessions, [&](const auto& w) {
            auto p = w.lock();
            return !p || p == s;
        });
        it->second.last_active = std::chrono::steady_clock::now();
    }
    co_await drain(*s);
    s->ws = nullptr;
    s->req = nullptr;
}

// ---- service links --------------------------------------------------------------

void hub::state::send_to_link(const std::shared_ptr<link_session>& l, const incoming& msg)
{
    enqueue_link(l, link_writer("message")
                        .str("type", msg.type)
                        .raw("data", msg.data, true)
                        .raw("id", msg.id)
                        .str("user", msg.user)
                        .num("session", msg.session)
                        .done());
}

void hub::state::link_hello(const std::shared_ptr<link_session>& l, const link_message& m)
{
    auto it = services.find(m.service);
    if (m.service.empty() || (it != services.end() && !it->second->remote)) {
        enqueue_link(l, link_writer("error")
                            .str("code", "bad_service_message")
                            .str("reason", m.service.empty() ? "hello without a service name"
                                                             : "an in-process service has this name")
                            .done());
        return;
    }
    add_service(std::string(m.service), m.types, {}, true);
    auto& svc = *services.find(m.service)->second;
    svc.link = l;
    ++svc.connects;
    l->service = svc.name;
    enqueue_link(l, link_writer("welcome").str("service", svc.name).done());
    // What was held while it was away goes first, in order.
    auto held = std::move(svc.queue);
    svc.queue.clear();
    for (auto& msg : held)
        send_to_link(l, msg);
}

void hub::state::on_link_message(const std::shared_ptr<link_session>& l, websocket::message& m)
{
    error_code ec;
    auto msg = link_parser.parse_link(m.data, ec);
    auto bad = [&](std::string_view why) {
        count(errors_by_code, "bad_service_message");
        enqueue_link(l, link_writer("error").str("code", "bad_service_message").str("reason", why).done());
    };
    if (ec || !m.is_text())
        return bad("not a service link message");
    if (msg.op == "hello")
        return link_hello(l, msg);
    if (l->service.empty())
        return bad("hello first");
    if (msg.op == "reply" || msg.op == "send") {
        if (!msg.session || msg.type.empty())
            return bad("reply needs session and type");
        do_send(*msg.session, msg.type, msg.data, msg.id);
    } else if (msg.op == "push") {
        if (msg.user.empty() || msg.type.empty())
            return bad("push needs user and type");
        do_push(msg.user, msg.type, msg.data.empty() ? std::string_view("null") : msg.data);
    } else if (msg.op == "publish") {
        if (msg.topic.empty() || msg.type.empty())
            return bad("publish needs topic and type");
        do_publish(msg.topic, msg.type, msg.data.empty() ? std::string_view("null") : msg.data);
    } else if (msg.op == "subscribe") {
        if (!msg.session || msg.topic.empty())
            return bad("subscribe needs session and topic");
        if (auto s = find_session(*msg.session))
            subscribe_session(s, msg.topic, msg.after);
        else
            ++drops_unknown_session;
    } else if (msg.op == "unsubscribe") {
        if (!msg.session || msg.topic.empty())
            return bad("unsubscribe needs session and topic");
        if (auto s = find_session(*msg.session))
            unsubscribe_session(*s, msg.topic);
    } else if (msg.op == "error") {
        if (!msg.session || msg.code.empty())
            return bad("error needs session and code");
        do_fail(*msg.session, msg.code, msg.reason, msg.for_type, msg.id);
    } else {
        bad("unknown op");
    }
}

net::awaitable<void> hub::state::serve_link(request& req, response& res)
{
    if (!co_await admit(req, res, cfg.authenticate_service))
        co_return;
    // A service link carries everybody's messages: it gets the envelope
    // limit times the queue, not a client's limit.
    auto link_cfg = ws_cfg;
    link_cfg.codec.max_message_bytes = cfg.max_message_bytes * 2 + 1024;
    link_cfg.max_write_queue_bytes = cfg.service_queue * (cfg.max_message_bytes + 256);
    error_code ec;
    auto ws = co_await websocket::accept(req, res, link_cfg, ec);
    if (ec)
        co_return;
    auto keep = shared_from_this();
    auto l = std::make_shared<link_session>(ex);
    l->id = ++next_id;
    l->ws = &ws;
    l->req = &req;
    links.emplace(l->id, l);
    req.on_shutdown([weak = std::weak_ptr<link_session>(l), self = weak_from_this()] {
        auto link = weak.lock();
        auto st = self.lock();
        if (link && st)
            st->close_beside(link, 1001, "server shutting down");
    });
    while (l->alive && !stopping) {
        auto m = co_await ws.read(ec);
        if (ec)
            break;
        on_link_message(l, m);
    }
    req.on_shutdown({});
    l->alive = false;
    links.erase(l->id);
    if (auto it = services.find(l->service); it != services.end() && it->second->link.lock() == l)
        it->second->link.reset();
    co_await drain(*l);
    l->ws = nullptr;
    l->req = nullptr;
}

void hub::attach(server& srv)
{
    auto st = state_;
    auto client = [st](request& req, response& res) -> net::awaitable<void> {
        if (!is_websocket_route(req)) {
            co_await res.send(status::method_not_allowed, "a WebSocket endpoint\n");
            co_return;
        }
        co_await st->serve_client(req, res);
    };
    srv.route("GET", st->cfg.path, client);
    srv.route("CONNECT", st->cfg.path, client);
    if (!st->cfg.service_path.empty()) {
        auto link = [st](request& req, response& res) -> net::awaitable<void> {
            co_await st->serve_link(req, res);
        };
        srv.route("GET", st->cfg.service_path, link);
        srv.route("CONNECT", st->cfg.service_path, link);
    }
    if (!st->cfg.metrics_path.empty()) {
        srv.route("GET", st->cfg.metrics_path, [st](request&, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, st->render_metrics(), "text/plain; version=0.0.4; charset=utf-8");
        });
    }
}

} // namespace strata::gateway
