// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/gateway/envelope.hpp>
#include <strata/gateway/service_link.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <map>

namespace strata::gateway {

struct service_link::state : std::enable_shared_from_this<service_link::state> {
    state(net::any_io_executor e, service_link_config c)
        : ex(std::move(e)), cfg(std::move(c)), parser(parser_config{16 * 1024 * 1024, 64}), wake(ex),
          idle(ex, net::steady_timer::time_point::max())
    {}

    net::any_io_executor ex;
    service_link_config cfg;
    std::map<std::string, service_handler, std::less<>> handlers;
    envelope_parser parser;
    net::steady_timer wake; ///< back-off between attempts; cancelled by stop()
    net::steady_timer idle; ///< cancelled when the writer stops
    websocket::stream* ws = nullptr;
    bool welcomed = false, stopping = false, writing = false;
    std::deque<std::string> pending;
    std::size_t connects = 0, dropped = 0;
    service_link* owner = nullptr;

    void enqueue(std::string frame)
    {
        if (pending.size() >= cfg.max_pending) {
            ++dropped;
            return;
        }
        pending.push_back(std::move(frame));
        start_writer();
    }

    void start_writer()
    {
        if (writing || !ws || !welcomed)
            return;
        writing = true;
        net::co_spawn(ex, write_loop(shared_from_this()), net::detached);
    }

    static net::awaitable<void> write_loop(std::shared_ptr<state> self)
    {
        std::vector<std::string> batch;
        std::vector<std::string_view> views;
        while (self->ws && !self->pending.empty()) {
            batch.assign(std::make_move_iterator(self->pending.begin()),
                         std::make_move_iterator(self->pending.end()));
            self->pending.clear();
            views.assign(batch.begin(), batch.end());
            error_code ec;
            co_await self->ws->write(views, ec);
            if (ec) {
                // Not written: it goes again after the reconnect, first.
                for (auto it = batch.rbegin(); it != batch.rend(); ++it)
                    self->pending.push_front(std::move(*it));
                break;
            }
            batch.clear();
        }
        self->writing = false;
        self->idle.cancel();
    }

    std::string hello() const
    {
        std::string types = "[";
        for (auto& [type, _] : handlers) {
            if (types.size() > 1)
                types += ',';
            append_json_string(types, type);
        }
        types += ']';
        return link_writer("hello").str("service", cfg.name).raw("types", types).done();
    }

    net::awaitable<void> on_message(websocket::message& m)
    {
        error_code ec;
        auto msg = parser.parse_link(m.data, ec);
        if (ec)
            co_return; // the gateway speaks the protocol; nothing to answer garbage with
        if (msg.op == "welcome") {
            welcomed = true;
            ++connects;
            start_writer();
        } else if (msg.op == "message" && msg.session) {
            auto h = handlers.find(msg.type);
            incoming in{std::string(msg.type), std::string(msg.data), std::string(msg.id),
                        std::string(msg.user), *msg.session};
            if (h == handlers.end()) {
                owner->fail(in.session, "unknown_type", "this service does not handle the type", in.type,
                            in.id);
                co_return;
            }
            try {
                co_await h->second(*owner, in);
            } catch (const std::exception& e) {
                owner->fail(in.session, "service_error", e.what(), in.type, in.id);
            }
        }
    }

    net::awaitable<void> run()
    {
        auto delay = cfg.reconnect_delay;
        while (!stopping) {
            auto c = cfg.websocket;
            if (!cfg.token.empty())
                c.fields.set("Authorization", "Bearer " + cfg.token);
            error_code ec;
            auto stream = co_await websocket::connect(ex, cfg.url, c, ec);
            if (!ec && !stopping) {
                ws = &stream;
                welcomed = false;
                // hello goes out ahead of whatever waited for the link.
                std::string_view first = hello_text = hello();
                co_await stream.write(std::span(&first, 1), ec);
                while (!ec && !stopping) {
                    auto m = co_await stream.read(ec);
                    if (ec)
                        break;
                    if (m.is_text())
                        co_await on_message(m);
                    if (welcomed)
                        delay = cfg.reconnect_delay;
                }
                welcomed = false;
                if (stopping && stream.is_open()) {
                    error_code ignored;
                    co_await stream.close(1000, "service stopping", ignored);
                }
                while (writing) {
                    error_code ignored;
                    co_await idle.async_wait(net::redirect_error(net::use_awaitable, ignored));
                }
                ws = nullptr;
            }
            if (stopping)
                break;
            wake.expires_after(delay);
            error_code ignored;
            co_await wake.async_wait(net::redirect_error(net::use_awaitable, ignored));
            delay = std::min(delay * 2, cfg.max_reconnect_delay);
        }
    }

    std::string hello_text;
};

service_link::service_link(net::any_io_executor ex, service_link_config cfg)
    : state_(std::make_shared<state>(std::move(ex), std::move(cfg)))
{
    state_->owner = this;
}

service_link::~service_link()
{
    stop();
    state_->owner = nullptr;
}

void service_link::handle(std::vector<std::string> types, service_handler h)
{
    for (auto& t : types)
        state_->handlers[t] = h;
}

net::awaitable<void> service_link::run()
{
    auto keep = state_;
    co_await keep->run();
}

void service_link::stop()
{
    state_->stopping = true;
    state_->wake.cancel();
    // A read in progress ends when the link closes: close it from here.
    if (state_->ws && state_->ws->is_open()) {
        auto s = state_;
        net::co_spawn(
            s->ex,
            [s]() -> net::awaitable<void> {
                error_code ignored;
                if (s->ws)
                    co_await s->ws->close(1000, "service stopping", ignored);
            },
            net::detached);
    }
}

bool service_link::connected() const noexcept
{
    return state_->welcomed;
}

std::size_t service_link::connects() const noexcept
{
    return state_->connects;
}

std::size_t service_link::dropped() const noexcept
{
    return state_->dropped;
}

void service_link::send(session_id to, std::string_view type, std::string_view data, std::string_view id)
{
    state_->enqueue(link_writer("reply")
                        .num("session", to)
                        .str("type", type)
                        .raw("data", data, true)
                        .raw("id", id)
                        .done());
}

void service_link::push(std::string_view user, std::string_view type, std::string_view data)
{
    state_->enqueue(link_writer("push").str("user", user).str("type", type).raw("data", data, true).done());
}

void service_link::publish(std::string_view topic, std::string_view type, std::string_view data)
{
    state_->enqueue(
        link_writer("publish").str("topic", topic).str("type", type).raw("data", data, true).done());
}

void service_link::subscribe(session_id s, std::string_view topic, std::optional<std::uint64_t> after)
{
    link_writer w("subscribe");
    w.num("session", s).str("topic", topic);
    if (after)
        w.num("after", *after);
    state_->enqueue(w.done());
}

void service_link::unsubscribe(session_id s, std::string_view topic)
{
    state_->enqueue(link_writer("unsubscribe").num("session", s).str("topic", topic).done());
}

void service_link::fail(session_id to, std::string_view code, std::string_view reason,
                        std::string_view for_type, std::string_view id)
{
    link_writer w("error");
    w.num("session", to).str("code", code).str("reason", reason);
    if (!for_type.empty())
        w.str("for", for_type);
    state_->enqueue(w.raw("id", id).done());
}

} // namespace strata::gateway
