// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/gateway/hub.hpp>

#include "hub_state.hpp"

#include <strata/server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>

namespace strata::gateway {

topic_config config::default_mailbox()
{
    topic_config t;
    t.max_events = 1000;
    t.max_bytes = 1024 * 1024;
    t.max_age = std::chrono::minutes(5);
    t.max_lag = 800; // below max_events: a cut-off connection can still resume
    t.on_lag = lag_policy::cut_off;
    t.max_batch = 256;
    t.encode_sse = t.encode_json = false; // the gateway frames its own envelopes
    return t;
}

topic_config config::default_topics()
{
    // Live state (positions, scores): a short window to resume over a
    // dropped connection, not a history; thousands of topics stay small.
    topic_config t;
    t.max_events = 128;
    t.max_bytes = 256 * 1024;
    t.max_age = std::chrono::seconds(30);
    t.max_lag = 100;
    // A subscriber of a busy topic wants the news, not the backlog: skip and
    // say how much (a gap envelope).
    t.on_lag = lag_policy::skip;
    t.max_batch = 256;
    t.encode_sse = t.encode_json = false;
    return t;
}

websocket::accept_config config::default_websocket()
{
    websocket::accept_config ws;
    // Envelopes are small; a big read buffer per idle client is memory for nothing.
    ws.read_buffer_bytes = 1024;
    return ws;
}

std::optional<std::string> bearer_token(const request& req)
{
    if (auto h = req.header("Authorization")) {
        constexpr std::string_view scheme = "Bearer ";
        if (h->size() > scheme.size() && h->substr(0, scheme.size()) == scheme)
            return std::string(h->substr(scheme.size()));
    }
    if (auto q = req.query_param("access_token"); q && !q->empty())
        return q;
    return std::nullopt;
}

// ---- hub::state ---------------------------------------------------------------

hub::state::state(net::any_io_executor e, config c)
    : ex(std::move(e)), cfg(std::move(c)), parser(parser_config{cfg.max_message_bytes, 64}), sweep(ex)
{
    ws_cfg = cfg.websocket;
    // The WebSocket's own limit sits above the envelope limit, so that an
    // envelope somewhat too big gets an error envelope, not a closed
    // connection; far too big is 1009.
    auto hard = std::max<std::size_t>(4 * cfg.max_message_bytes, 4096);
    if (ws_cfg.codec.max_message_bytes > hard)
        ws_cfg.codec.max_message_bytes = hard;
    if (ws_cfg.codec.max_frame_bytes > hard)
        ws_cfg.codec.max_frame_bytes = hard;
    ws_cfg.max_write_queue_bytes = std::min(ws_cfg.max_write_queue_bytes, cfg.client_queue_bytes);
}

void hub::state::start_sweep()
{
    sweep.expires_after(std::chrono::seconds(15));
    sweep.async_wait([weak = weak_from_this()](error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->stopping)
            return;
        self->sweep_idle();
        self->start_sweep();
    });
}

void hub::state::sweep_idle()
{
    auto now = std::chrono::steady_clock::now();
    std::erase_if(users, [&](auto& kv) {
        auto& u = kv.second;
        return u.sessions.empty() && now - u.last_active > cfg.mailbox_linger;
    });
    std::erase_if(topics, [&](auto& kv) {
        auto& t = *kv.second;
        auto linger = cfg.topics.max_age.count() > 0 ? cfg.topics.max_age : cfg.topic_linger;
        return t.subscribers == 0 && now - t.last_publish > linger;
    });
}

void hub::state::count(counter_map& m, std::string_view key)
{
    auto it = m.find(key);
    if (it == m.end()) {
        // Types come from clients and services: a bounded set of labels
        // keeps the metrics (and their memory) from growing with garbage.
        if (m.size() >= max_labels)
            it = m.try_emplace("other", 0).first;
        else
            it = m.try_emplace(std::string(key), 0).first;
    }
    ++it->second;
}

topic_entry& hub::state::topic_named(std::string_view name)
{
    auto it = topics.find(name);
    if (it == topics.end())
        it = topics.emplace(std::string(name), std::make_unique<topic_entry>(cfg.topics)).first;
    return *it->second;
}

user_entry& hub::state::user_named(std::string_view name)
{
    auto it = users.find(name);
    if (it == users.end())
        it = users.emplace(std::string(name), user_entry{}).first;
    return it->second;
}

// ---- sessions: writing --------------------------------------------------------

bool hub::state::enqueue(const std::shared_ptr<client_session>& s, std::string frame, std::string_view type)
{
    if (!s->alive || s->cut_off)
        return false;
    s->queued += frame.size();
    s->queue.push_back(std::move(frame));
    if (!type.empty())
        count(out_by_type, type);
    if (s->queued + s->in_flight > cfg.client_queue_bytes) {
        cut_off(s);
        return false;
    }
    if (!s->writing) {
        s->writing = true;
        net::co_spawn(ex, write_loop(shared_from_this(), s), net::detached);
    }
    return true;
}

template <class Endpoint>
net::awaitable<void> hub::state::write_loop(std::shared_ptr<state> self, std::shared_ptr<Endpoint> e)
{
    std::vector<std::string> batch;
    std::vector<std::string_view> views;
    while (e->alive && !e->queue.empty() && !e->cut_off) {
        batch.swap(e->queue);
        e->queue.clear();
        e->in_flight = e->queued;
        e->queued = 0;
        views.assign(batch.begin(), batch.end());
        error_code ec;
        co_await e->ws->write(views, ec);
        e->in_flight = 0;
        batch.clear();
        e->idle.cancel(); // room for the pumps
        if (ec)
            break;
    }
    e->writing = false;
    e->queue.clear();
    e->queue.shrink_to_fit(); // an idle connection holds no queue
    e->queued = 0;
    e->idle.cancel();
    (void)self;
}

void hub::state::enqueue_link(const std::shared_ptr<link_session>& l, std::string frame)
{
    if (!l->alive)
        return;
    l->queued += frame.size();
    l->queue.push_back(std::move(frame));
    ++link_messages;
    if (!l->writing) {
        l->writing = true;
        net::co_spawn(ex, write_loop(shared_from_this(), l), net::detached);
    }
}

void hub::state::cut_off(const std::shared_ptr<client_session>& s)
{
    if (s->cut_off)
        return;
    s->cut_off = true;
    ++drops_slow_consumer;
    s->queue.clear();
    s->queued = 0;
    // Its mailbox keeps what it missed; the reason says how to resume.
    close_beside(s, 1013, "slow consumer; resume with after=N");
}

template <class Endpoint>
void hub::state::close_beside(const std::shared_ptr<Endpoint>& e, std::uint16_t code, std::string reason)
{
    if (!e->alive)
        return;
    ++e->closers;
    // The close frame may wait behind what the peer does not read: bound
    // the wait, then drop the connection.
    auto guard = std::make_shared<net::steady_timer>(ex, cfg.websocket.close_timeout);
    guard->async_wait([e, guard](error_code ec) {
        if (!ec && e->alive && e->req)
            e->req->abort();
    });
    net::co_spawn(
        ex,
        [e, guard, code, reason = std::move(reason)]() -> net::awaitable<void> {
            error_code ignored;
            co_await e->ws->close(code, reason, ignored);
            guard->cancel();
            --e->closers;
            e->idle.cancel();
        },
        net::detached);
}

// endpoints.cpp closes both kinds on a server's shutdown.
template void hub::state::close_beside(const std::shared_ptr<client_session>&, std::uint16_t, std::string);
template void hub::state::close_beside(const std::shared_ptr<link_session>&, std::uint16_t, std::string);

void hub::state::send_error(const std::shared_ptr<client_session>& s, error e, std::string_view for_type,
                            std::string_view id)
{
    count(errors_by_code, code_name(e));
    enqueue(s, error_envelope(e, for_type, id), {});
}

// ---- sessions: subscriptions ---------------------------------------------------

void hub::state::start_pump(const std::shared_ptr<client_session>& s, std::string topic_name, topic& t,
                            std::optional<std::uint64_t> after, bool mailbox)
{
    auto sub = std::make_shared<topic::subscription>(t.subscribe(ex, after));
    if (mailbox) {
        s->mailbox = sub;
    } else {
        s->subscriptions.push_back({topic_name, sub});
        ++topic_named(topic_name).subscribers;
    }
    net::co_spawn(ex, pump(shared_from_this(), s, std::move(topic_name), sub, mailbox), net::detached);
}

net::awaitable<void> hub::state::pump(std::shared_ptr<state> self, std::shared_ptr<client_session> s,
                                      std::string name, std::shared_ptr<topic::subscription> sub,
                                      bool mailbox)
{
    std::string frame;
    while (s->alive && !s->cut_off) {
        error_code ec;
        auto before = sub->cursor();
        auto b = co_await sub->next(std::chrono::minutes(10), ec);
        if (!s->alive)
            break;
        if (ec == topic_error::cursor_expired) {
            sub->restart_from_oldest();
            continue; // the next batch reports what was missed
        }
        if (ec) {
            // A lagging mailbox cannot skip: the client is cut off and
            // resumes from its cursor.
            if (ec == topic_error::subscriber_lagging)
                self->cut_off(s);
            break;
        }
        if (b.missed > 0) {
            frame = "{\"type\":\"gap\",\"data\":{\"topic\":";
            if (mailbox)
                frame += "null";
            else
                append_json_string(frame, name);
            frame +=
                ",\"after\":" + std::to_string(before) + ",\"missed\":" + std::to_string(b.missed) + "}}";
            ++self->gaps;
            self->enqueue(s, std::move(frame), "gap");
        }
        for (auto& ev : b.events) {
            // A topic keeps what a client has not read yet: take from it only
            // as fast as the client reads. A client that stops reading falls
            // behind the topic, which cuts it off (max_lag) with its cursor.
            while (s->alive && !s->cut_off && s->queued + s->in_flight >= self->cfg.client_queue_bytes / 2) {
                error_code ignored;
                co_await s->idle.async_wait(net::redirect_error(net::use_awaitable, ignored));
            }
            if (!s->alive || s->cut_off)
                break;
            frame.clear();
            append_envelope(frame, ev->type, ev->data, {},
                            mailbox ? std::string_view{} : std::string_view(name), ev->id);
            if (!self->enqueue(s, std::move(frame), ev->type))
                break;
        }
    }
    // Forget the subscription, unless a newer one of the same name replaced it.
    if (mailbox) {
        if (s->mailbox == sub)
            s->mailbox.reset();
    } else {
        auto it = std::find_if(s->subscriptions.begin(), s->subscriptions.end(),
                               [&](const auto& e) { return e.sub == sub; });
        if (it != s->subscriptions.end()) {
            s->subscriptions.erase(it);
            if (auto t = self->topics.find(name); t != self->topics.end() && t->second->subscribers > 0)
                --t->second->subscribers;
        }
    }
}

void hub::state::end_subscriptions(client_session& s)
{
    for (auto& e : s.subscriptions) {
        e.sub->cancel();
        if (auto t = topics.find(e.topic); t != topics.end() && t->second->subscribers > 0)
            --t->second->subscribers;
    }
    s.subscriptions.clear();
    if (s.mailbox) {
        s.mailbox->cancel();
        s.mailbox.reset();
    }
}

error hub::state::subscribe_session(const std::shared_ptr<client_session>& s, std::string_view name,
                                    std::optional<std::uint64_t> after)
{
    if (name.empty())
        return error::bad_envelope;
    for (auto& e : s->subscriptions)
        if (e.topic == name)
            return {}; // already: the cursor it has is the one that counts
    auto& t = topic_named(name);
    start_pump(s, std::string(name), t.log, after, false);
    return {};
}

void hub::state::unsubscribe_session(client_session& s, std::string_view name)
{
    auto it = std::find_if(s.subscriptions.begin(), s.subscriptions.end(),
                           [&](const auto& e) { return e.topic == name; });
    if (it == s.subscriptions.end())
        return;
    it->sub->cancel();
    if (auto t = topics.find(name); t != topics.end() && t->second->subscribers > 0)
        --t->second->subscribers;
    s.subscriptions.erase(it);
}

mailbox_entry& hub::state::mailbox_of(user_entry& u)
{
    if (!u.mailbox) {
        u.mailbox = std::make_unique<topic>(cfg.mailbox);
        // Connections that opened before the mailbox existed get it from its start.
        for (auto& w : u.sessions)
            if (auto s = w.lock(); s && !s->mailbox)
                start_pump(s, {}, *u.mailbox, 0, true);
    }
    return *u.mailbox;
}

// ---- sessions: reading ---------------------------------------------------------

std::shared_ptr<client_session> hub::state::find_session(session_id id)
{
    auto it = sessions.find(id);
    return it == sessions.end() ? nullptr : it->second;
}

void hub::state::on_client_message(const std::shared_ptr<client_session>& s, websocket::message& m)
{
    ++messages_in;
    if (!m.is_text()) {
        ++s->bad_in_row;
        count(in_by_type, "(bad)");
        send_error(s, error::bad_envelope, {}, {});
        return;
    }
    error_code ec;
    auto env = parser.parse(m.data, ec);
    if (ec) {
        ++s->bad_in_row;
        count(in_by_type, "(bad)");
        send_error(s, ec == error::too_big ? error::too_big : error::bad_envelope, {}, {});
        return;
    }
    s->bad_in_row = 0;
    if (env.type == "subscribe" || env.type == "unsubscribe" || env.type == "ping") {
        count(in_by_type, env.type);
        builtin(s, env);
        return;
    }
    auto route = by_type.find(env.type);
    if (route == by_type.end()) {
        count(in_by_type, "(unknown)");
        send_error(s, error::unknown_type, env.type, env.id);
        return;
    }
    count(in_by_type, env.type);
    incoming msg{std::string(env.type), std::string(env.data), std::string(env.id), s->user, s->id};
    deliver(*route->second, std::move(msg));
}

void hub::state::builtin(const std::shared_ptr<client_session>& s, const envelope& env)
{
    if (env.type == "ping") {
        std::string frame;
        append_envelope(frame, "pong", {}, env.id);
        enqueue(s, std::move(frame), "pong");
        return;
    }
    // {"topic": "...", "after": N}: the data of a built-in is ours to read.
    std::string data(env.data), type(env.type), id(env.id);
    error_code ec;
    auto fields = link_parser.parse_fields(data, ec);
    if (ec || fields.topic.empty()) {
        send_error(s, error::bad_envelope, type, id);
        return;
    }
    std::string topic_name(fields.topic);
    auto after = fields.after;
    if (type == "subscribe") {
        if (!cfg.authorize_subscribe || !cfg.authorize_subscribe(s->user, topic_name)) {
            send_error(s, error::forbidden, type, id);
            return;
        }
        if (auto e = subscribe_session(s, topic_name, after); e != error{}) {
            send_error(s, e, type, id);
            return;
        }
        std::string body = "{\"topic\":";
        append_json_string(body, topic_name);
        body += ",\"seq\":" + std::to_string(topic_named(topic_name).log.last_id()) + "}";
        std::string frame;
        append_envelope(frame, "subscribed", body, id);
        enqueue(s, std::move(frame), "subscribed");
    } else {
        unsubscribe_session(*s, topic_name);
        std::string body = "{\"topic\":";
        append_json_string(body, topic_name);
        body += "}";
        std::string frame;
        append_envelope(frame, "unsubscribed", body, id);
        enqueue(s, std::move(frame), "unsubscribed");
    }
}

// ---- services -----------------------------------------------------------------

void hub::state::deliver(service_entry& svc, incoming msg)
{
    if (!svc.remote) {
        if (svc.queue.size() >= cfg.service_queue) {
            ++svc.busy;
            if (auto s = find_session(msg.session))
                send_error(s, error::service_busy, msg.type, msg.id);
            return;
        }
        svc.queue.push_back(std::move(msg));
        if (!svc.running) {
            svc.running = true;
            net::co_spawn(ex, run_service(shared_from_this(), svc.shared_from_this()), net::detached);
        }
        return;
    }
    if (auto l = svc.link.lock()) {
        if (l->queue.size() >= cfg.service_queue) {
            ++svc.busy;
            if (auto s = find_session(msg.session))
                send_error(s, error::service_busy, msg.type, msg.id);
            return;
        }
        ++svc.handled;
        send_to_link(l, msg);
        return;
    }
    if (cfg.when_unavailable == unavailable_policy::hold && svc.queue.size() < cfg.hold_queue) {
        svc.queue.push_back(std::move(msg));
        return;
    }
    ++svc.unavailable;
    if (auto s = find_session(msg.session))
        send_error(s, error::service_unavailable, msg.type, msg.id);
}

net::awaitable<void> hub::state::run_service(std::shared_ptr<state> self, std::shared_ptr<service_entry> svc)
{
    while (!svc->queue.empty() && !self->stopping) {
        auto msg = std::move(svc->queue.front());
        svc->queue.pop_front();
        ++svc->handled;
        try {
            co_await svc->handler(*self->owner, msg);
        } catch (const std::exception& e) {
            // A failing handler costs its own message, not the service.
            ++svc->failures;
            if (auto s = self->find_session(msg.session))
                self->enqueue(s, error_envelope("service_error", e.what(), msg.type, msg.id), {});
        }
    }
    svc->running = false;
}

void hub::state::add_service(std::string name, std::vector<std::string> types, service_handler h, bool remote)
{
    auto& slot = services[name];
    if (!slot)
        slot = std::make_shared<service_entry>();
    slot->name = name;
    slot->remote = remote;
    if (h)
        slot->handler = std::move(h);
    for (auto& t : slot->types)
        if (auto it = by_type.find(t); it != by_type.end() && it->second == slot.get())
            by_type.erase(it);
    slot->types = std::move(types);
    // The last service to claim a type gets it.
    for (auto& t : slot->types)
        by_type[t] = slot.get();
}

// ---- the outbox, shared by in-process services and service links ---------------

void hub::state::do_send(session_id to, std::string_view type, std::string_view data, std::string_view id)
{
    auto s = find_session(to);
    if (!s) {
        ++drops_unknown_session;
        return;
    }
    std::string frame;
    append_envelope(frame, type, data, id);
    enqueue(s, std::move(frame), type);
}

void hub::state::do_push(std::string_view user, std::string_view type, std::string_view data)
{
    auto& u = user_named(user);
    u.last_active = std::chrono::steady_clock::now();
    mailbox_of(u).publish(type, data);
}

void hub::state::do_publish(std::string_view name, std::string_view type, std::string_view data)
{
    auto& t = topic_named(name);
    t.last_publish = std::chrono::steady_clock::now();
    t.log.publish(type, data);
}

void hub::state::do_fail(session_id to, std::string_view code, std::string_view reason,
                         std::string_view for_type, std::string_view id)
{
    auto s = find_session(to);
    if (!s) {
        ++drops_unknown_session;
        return;
    }
    count(errors_by_code, code);
    enqueue(s, error_envelope(code, reason, for_type, id), {});
}

// ---- hub ----------------------------------------------------------------------

hub::hub(net::any_io_executor ex, config cfg) : state_(std::make_shared<state>(std::move(ex), std::move(cfg)))
{
    state_->owner = this;
    state_->start_sweep();
}

hub::~hub()
{
    shutdown();
    state_->owner = nullptr;
}

void hub::add_service(std::string name, std::vector<std::string> types, service_handler h)
{
    state_->add_service(std::move(name), std::move(types), std::move(h), false);
}

void hub::expect_service(std::string name, std::vector<std::string> types)
{
    state_->add_service(std::move(name), std::move(types), {}, true);
}

void hub::send(session_id to, std::string_view type, std::string_view data, std::string_view id)
{
    state_->do_send(to, type, data, id);
}

void hub::push(std::string_view user, std::string_view type, std::string_view data)
{
    state_->do_push(user, type, data);
}

void hub::publish(std::string_view topic, std::string_view type, std::string_view data)
{
    state_->do_publish(topic, type, data);
}

void hub::subscribe(session_id s, std::string_view topic, std::optional<std::uint64_t> after)
{
    if (auto session = state_->find_session(s))
        state_->subscribe_session(session, topic, after);
    else
        ++state_->drops_unknown_session;
}

void hub::unsubscribe(session_id s, std::string_view topic)
{
    if (auto session = state_->find_session(s))
        state_->unsubscribe_session(*session, topic);
}

void hub::fail(session_id to, std::string_view code, std::string_view reason, std::string_view for_type,
               std::string_view id)
{
    state_->do_fail(to, code, reason, for_type, id);
}

std::size_t hub::connections() const noexcept
{
    return state_->sessions.size();
}

std::size_t hub::service_links() const noexcept
{
    return state_->links.size();
}

bool hub::service_ready(std::string_view service) const
{
    auto it = state_->services.find(std::string(service));
    return it != state_->services.end() && (!it->second->remote || !it->second->link.expired());
}

const config& hub::cfg() const noexcept
{
    return state_->cfg;
}

net::any_io_executor hub::get_executor() const
{
    return state_->ex;
}

void hub::shutdown()
{
    auto& st = *state_;
    if (st.stopping)
        return;
    st.stopping = true;
    st.sweep.cancel();
    for (auto& [_, s] : st.sessions)
        st.close_beside(s, 1001, "gateway shutting down");
    for (auto& [_, l] : st.links)
        st.close_beside(l, 1001, "gateway shutting down");
    for (auto& [_, t] : st.topics)
        t->log.close();
    for (auto& [_, u] : st.users)
        if (u.mailbox)
            u.mailbox->close();
}

} // namespace strata::gateway
