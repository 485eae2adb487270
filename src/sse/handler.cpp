// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/sse/encoder.hpp>
#include <strata/sse/handler.hpp>

#include "../detail/cursor.hpp"

#include <boost/asio/buffer.hpp>

#include <string>
#include <vector>

#include <stdexcept>

namespace strata::sse {

namespace {

// A comment: the parser ignores it, and the blank line after it dispatches
// nothing (data is always empty between our events).
constexpr std::string_view heartbeat_bytes = ":\n\n";

// Shared buffers written as they are, up to this many at once; Asio hands
// sendmsg 16 buffers at a time, and each chunk of HTTP/1.1 adds two.
constexpr std::size_t gather_limit = 4;

std::optional<std::uint64_t> requested_cursor(request& req, const handler_config& cfg)
{
    if (auto id = req.header("Last-Event-ID"))
        return detail::parse_cursor(*id);
    if (!cfg.cursor_param.empty())
        if (auto q = req.query_param(cfg.cursor_param))
            return detail::parse_cursor(*q);
    return std::nullopt;
}

} // namespace

net::awaitable<void> stream(topic& t, request& req, response& res, const handler_config& cfg, error_code& ec)
{
    ec = {};
    auto after = requested_cursor(req, cfg);
    if (!after && cfg.replay_retained) {
        auto oldest = t.oldest_id();
        after = oldest > 0 ? oldest - 1 : t.last_id();
    }
    auto sub = t.subscribe(req.get_executor(), after);
    std::uint64_t asked = sub.cursor();
    // A graceful shutdown ends the stream (the client resumes elsewhere)
    // instead of waiting for shutdown_timeout.
    bool stopping = false;
    req.on_shutdown([&] {
        stopping = true;
        sub.cancel();
    });
    struct unhook {
        request& r;
        ~unhook() { r.on_shutdown(nullptr); }
    } unhook_at_exit{req};

    res.set_header("Content-Type", "text/event-stream");
    // Every proxy and browser cache must pass the stream through as it comes.
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    co_await res.start(http::status::ok, ec);
    if (ec)
        co_return;
    {
        std::string preamble;
        if (cfg.retry.count() > 0)
            encode_retry(cfg.retry, preamble);
        else
            preamble = heartbeat_bytes;
        co_await res.write(preamble, ec);
        if (ec)
            co_return;
    }

    auto started = std::chrono::steady_clock::now();
    std::vector<net::const_buffer> pieces;
    std::string note, catch_up;
    bool gap_due = false;
    for (;;) {
        auto wait = cfg.heartbeat;
        if (cfg.max_duration.count() > 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                started + cfg.max_duration - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                break;
            wait = std::min(wait, left);
        }
        auto b = co_await sub.next(wait, ec);
        if (ec == topic_error::cursor_expired) {
            // Said, not skipped: the gap event leads the resumed stream,
            // also for a cursor from another life of the topic (a restarted
            // server), where what was missed cannot be counted.
            sub.restart_from_oldest();
            gap_due = true;
            ec = {};
            continue;
        }
        if (ec) {
            if (stopping)
                ec = {};
            break; // lagging (the client resumes from its Last-Event-ID), closed, shutting down
        }
        if (b.events.empty() && b.missed == 0 && !gap_due) {
            co_await res.write(heartbeat_bytes, ec);
            if (ec)
                co_return;
            continue;
        }
        pieces.clear();
        if ((b.missed > 0 || gap_due) && !cfg.gap_event_type.empty()) {
            gap_due = false;
            note.clear();
            auto data =
                "{\"after\":" + std::to_string(asked) + ",\"missed\":" + std::to_string(b.missed) + "}";
            encode(outgoing_event{std::nullopt, cfg.gap_event_type, data, std::nullopt}, note, ec);
            if (ec)
                co_return;
            pieces.push_back(net::buffer(note));
        }
        if (b.events.size() <= gather_limit) {
            // The shared, pre-encoded events go out as they are, in one write.
            for (auto& e : b.events)
                pieces.push_back(net::buffer(e->sse));
        } else {
            // A stream that fell behind: more pieces than one sendmsg takes
            // (Asio passes 16 at a time), so they are joined, still one write.
            std::size_t size = 0;
            for (auto& e : b.events)
                size += e->sse.size();
            catch_up.clear();
            catch_up.reserve(size);
            for (auto& e : b.events)
                catch_up += e->sse;
            pieces.push_back(net::buffer(catch_up));
        }
        if (pieces.size() == 1)
            co_await res.write(std::string_view{static_cast<const char*>(pieces[0].data()), pieces[0].size()},
                               ec);
        else
            co_await res.write(std::span<const net::const_buffer>{pieces}, ec);
        if (ec)
            co_return;
        asked = sub.cursor();
        // An idle stream keeps no large array.
        if (pieces.capacity() > 2 * gather_limit)
            std::vector<net::const_buffer>{}.swap(pieces);
        if (!catch_up.empty())
            std::string{}.swap(catch_up);
    }
    auto why = ec;
    co_await res.finish(ec);
    if (!ec)
        ec = why;
}

strata::handler handler(topic& t, handler_config cfg)
{
    if (!t.config().encode_sse)
        throw std::invalid_argument("sse::handler needs a topic with encode_sse");
    return [&t, cfg = std::move(cfg)](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        co_await stream(t, req, res, cfg, ec);
    };
}

} // namespace strata::sse
