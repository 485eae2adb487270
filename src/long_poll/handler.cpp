// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/long_poll/handler.hpp>

#include "../detail/cursor.hpp"

#include <boost/asio/buffer.hpp>

#include <string>
#include <vector>

#include <stdexcept>

namespace strata::long_poll {

net::awaitable<void> answer(topic& t, request& req, response& res, const handler_config& cfg, error_code& ec)
{
    ec = {};
    std::optional<std::uint64_t> after;
    if (auto since = req.query_param(cfg.cursor_param)) {
        after = detail::parse_cursor(*since);
        if (!after) {
            co_await res.send(http::status::bad_request,
                              cfg.cursor_param + " must be an event id (decimal digits)\n",
                              "text/plain; charset=utf-8", ec);
            co_return;
        }
    }
    auto sub = t.subscribe(req.get_executor(), after);
    // A graceful shutdown answers at once with what there is (maybe
    // nothing): the client asks again, elsewhere.
    bool stopping = false;
    req.on_shutdown([&] {
        stopping = true;
        sub.cancel();
    });
    struct unhook {
        request& r;
        ~unhook() { r.on_shutdown(nullptr); }
    } unhook_at_exit{req};
    auto b = co_await sub.next(cfg.hold, ec);
    if (stopping) {
        ec = {};
        b = {};
    }
    if (ec == topic_error::cursor_expired) {
        // The answer says what was dropped, and carries what is left.
        sub.restart_from_oldest();
        b = co_await sub.next(std::chrono::milliseconds{0}, ec);
    }
    if (ec) {
        res.set_header("Retry-After", "1");
        co_await res.send(http::status::service_unavailable, "the topic is closed\n",
                          "text/plain; charset=utf-8", ec);
        co_return;
    }

    std::string head = "{\"next\":" + std::to_string(sub.cursor()) +
                       ",\"missed\":" + std::to_string(b.missed) + ",\"events\":[";
    static constexpr std::string_view comma = ",", tail = "]}\n";
    std::vector<net::const_buffer> pieces;
    pieces.reserve(2 + 2 * b.events.size());
    pieces.push_back(net::buffer(head));
    std::size_t length = head.size() + tail.size();
    for (std::size_t i = 0; i < b.events.size(); ++i) {
        if (i > 0) {
            pieces.push_back(net::buffer(comma));
            length += comma.size();
        }
        // Each event's JSON was encoded once, when it was published.
        pieces.push_back(net::buffer(b.events[i]->json));
        length += b.events[i]->json.size();
    }
    pieces.push_back(net::buffer(tail));
    res.set_header("Content-Type", "application/json");
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Length", std::to_string(length));
    co_await res.start(http::status::ok, ec);
    if (!ec)
        co_await res.write(std::span<const net::const_buffer>{pieces}, ec);
    if (!ec)
        co_await res.finish(ec);
}

strata::handler handler(topic& t, handler_config cfg)
{
    if (!t.config().encode_json)
        throw std::invalid_argument("long_poll::handler needs a topic with encode_json");
    return [&t, cfg = std::move(cfg)](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        co_await answer(t, req, res, cfg, ec);
    };
}

} // namespace strata::long_poll
