// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// A chat room on WebSockets, shared by chat_server.cpp and `strata serve`
// (/ws/chat). Each member is one WebSocket; its name comes from the `name`
// query parameter (guest-N without one, made unique with -2, -3, ...). Every
// text message a member sends goes to every member as
// {"type":"message","from":...,"text":...}; joins and leaves are announced
// (chat_protocol.hpp has the format).
//
// Nobody waits for a slow member: each has its own queue and its own writer
// coroutine, so the room only appends to queues. A member whose queue
// passes room_config::max_queued_bytes is closed with 1013 (Try Again
// Later): it did nothing wrong by the protocol (1008, policy violation,
// would say it had), its link or its reader was too slow for the room, and
// reconnecting later is the right thing for it to do.
//
// The room is used from one thread: the server's handlers must run on one
// (the usual single-threaded io_context).

#include <strata/config.hpp>

#include "chat_protocol.hpp"

#include <strata/request.hpp>
#include <strata/websocket/stream.hpp>
#include <strata/websocket/utf8.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

namespace net = boost::asio;
namespace websocket = strata::websocket;

struct room_config {
    /// Bytes of events waiting for one member past which it is closed (1013).
    /// Its WebSocket holds up to stream_config::max_write_queue_bytes more.
    std::size_t max_queued_bytes = 256 * 1024;
    /// A member being closed gets this long for the close handshake (or to
    /// take what its writer is still sending) before its connection is cut.
    std::chrono::milliseconds close_grace{5000};
    std::size_t max_name_bytes = 32;
};

/// The accept settings a chat route wants: chat lines are short, and a
/// member's WebSocket should make its writer wait early, so that the room's
/// queue bound is the one that counts.
inline websocket::accept_config accept_config()
{
    websocket::accept_config cfg;
    cfg.codec.max_message_bytes = 16 * 1024;
    cfg.max_write_queue_bytes = 64 * 1024;
    return cfg;
}

class room {
public:
    explicit room(room_config cfg = {}) : cfg_(cfg) {}
    room(const room&) = delete;
    room& operator=(const room&) = delete;

    /// One member's stay, from joining to leaving: a websocket::session for
    /// websocket::route or websocket::handler. The room must outlive it.
    net::awaitable<void> serve(websocket::stream& ws, strata::request& req)
    {
        auto ex = co_await net::this_coro::executor;
        auto requested = req.query_param("name");
        if (requested && !valid_name(*requested)) {
            strata::error_code ignored;
            co_await ws.close(static_cast<std::uint16_t>(websocket::close_code::policy_violation),
                              "a name is 1 to " + std::to_string(cfg_.max_name_bytes) +
                                  " bytes of UTF-8, without control characters",
                              ignored);
            co_return;
        }
        auto m = std::make_shared<member>(ex, ws, req);
        m->name = unique_name(requested ? *requested : "guest-" + std::to_string(++guests_));
        members_.push_back(m);
        deliver_to(m, member_event("welcome", m->name, members_.size()));
        broadcast(member_event("join", m->name, members_.size()), m.get());

        net::co_spawn(ex, write_events(m), [m](std::exception_ptr) {
            m->writer_done = true;
            m->writer_exit.cancel();
        });
        // A graceful shutdown says so (1001) rather than keep the server waiting for members.
        req.on_shutdown([this, weak = std::weak_ptr<member>(m)] {
            if (auto mm = weak.lock())
                drop(mm, websocket::close_code::going_away, "the server is shutting down");
        });

        for (;;) {
            strata::error_code ec;
            auto msg = co_await ws.read(ec);
            if (ec)
                break; // the peer's close frame, or a lost connection
            if (!in_room(*m))
                continue; // being closed: read on until the peer's close frame
            if (!msg.is_text()) {
                drop(m, websocket::close_code::unsupported_data, "chat lines are text messages");
                continue;
            }
            broadcast(message_event(m->name, msg.data), nullptr);
        }

        req.on_shutdown({});
        leave(*m);
        m->stopping = true;
        m->wake.cancel();
        // The writer may be stuck behind a peer that stopped reading.
        arm_guard(m);
        while (!m->writer_done) {
            m->writer_exit.expires_at(net::steady_timer::time_point::max());
            strata::error_code ignored;
            co_await m->writer_exit.async_wait(net::redirect_error(net::use_awaitable, ignored));
        }
        m->finished = true;
        m->guard.cancel();
    }

    std::size_t size() const noexcept { return members_.size(); }

private:
    struct member {
        member(net::any_io_executor ex, websocket::stream& s, strata::request& r)
            : ws(s), req(r), wake(ex), writer_exit(ex), guard(ex)
        {}
        websocket::stream& ws;
        strata::request& req;
        std::string name;
        std::deque<std::string> queue; ///< events the writer has yet to send
        std::size_t queued_bytes = 0;
        bool closing = false; ///< the writer closes with close_with once it sees this
        std::uint16_t close_with = 1000;
        std::string close_reason;
        bool stopping = false; ///< the reader is done: the writer ends
        bool writer_done = false;
        bool guard_armed = false;
        bool finished = false;
        net::steady_timer wake;        ///< the writer waits on it; cancelled when there is work
        net::steady_timer writer_exit; ///< the session waits on it for the writer
        net::steady_timer guard;       ///< cuts the connection when a close takes too long
    };

    net::awaitable<void> write_events(std::shared_ptr<member> m)
    {
        strata::error_code ec;
        for (;;) {
            if (m->closing) {
                co_await m->ws.close(m->close_with, m->close_reason, ec);
                co_return;
            }
            if (m->stopping)
                co_return;
            if (m->queue.empty()) {
                m->wake.expires_at(net::steady_timer::time_point::max());
                co_await m->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
                continue;
            }
            auto event = std::move(m->queue.front());
            m->queue.pop_front();
            m->queued_bytes -= event.size();
            co_await m->ws.write(event, ec);
            if (ec)
                co_return;
        }
    }

    bool valid_name(std::string_view name) const
    {
        if (name.empty() || name.size() > cfg_.max_name_bytes)
            return false;
        if (std::any_of(name.begin(), name.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
            return false;
        return websocket::is_valid_utf8({reinterpret_cast<const std::byte*>(name.data()), name.size()});
    }

    std::string unique_name(const std::string& wanted) const
    {
        auto taken = [&](const std::string& n) {
            return std::any_of(members_.begin(), members_.end(), [&](const auto& m) { return m->name == n; });
        };
        std::string name = wanted;
        for (int i = 2; taken(name); ++i)
            name = wanted + "-" + std::to_string(i);
        return name;
    }

    bool in_room(const member& m) const
    {
        return std::any_of(members_.begin(), members_.end(), [&](const auto& p) { return p.get() == &m; });
    }

    /// Queues `event` for `m`; false when that would pass the queue bound.
    bool deliver_to(const std::shared_ptr<member>& m, const std::string& event)
    {
        if (m->queued_bytes + event.size() > cfg_.max_queued_bytes)
            return false;
        m->queued_bytes += event.size();
        m->queue.push_back(event);
        m->wake.cancel();
        return true;
    }

    /// To every member but `except`; those too far behind are closed afterwards,
    /// so the list is not changed while it is walked.
    void broadcast(const std::string& event, const member* except)
    {
        std::vector<std::shared_ptr<member>> too_slow;
        for (const auto& m : members_)
            if (m.get() != except && !deliver_to(m, event))
                too_slow.push_back(m);
        for (auto& m : too_slow)
            drop(m, websocket::close_code::try_again_later,
                 "too slow: more than " + std::to_string(cfg_.max_queued_bytes / 1024) +
                     " KiB of chat waiting");
    }

    void leave(const member& m)
    {
        auto it =
            std::find_if(members_.begin(), members_.end(), [&](const auto& p) { return p.get() == &m; });
        if (it == members_.end())
            return;
        members_.erase(it);
        broadcast(member_event("leave", m.name, members_.size()), nullptr);
    }

    /// Out of the room at once; the writer closes the WebSocket with `code`.
    void drop(const std::shared_ptr<member>& m, websocket::close_code code, std::string reason)
    {
        if (m->closing)
            return;
        m->closing = true;
        m->close_with = static_cast<std::uint16_t>(code);
        m->close_reason = std::move(reason);
        m->queue.clear(); // what it had not taken yet would only hold the close up
        m->queued_bytes = 0;
        m->wake.cancel();
        arm_guard(m);
        leave(*m);
    }

    void arm_guard(const std::shared_ptr<member>& m)
    {
        if (m->guard_armed)
            return;
        m->guard_armed = true;
        m->guard.expires_after(cfg_.close_grace);
        m->guard.async_wait([weak = std::weak_ptr<member>(m)](strata::error_code ec) {
            auto mm = weak.lock();
            if (!ec && mm && !mm->finished)
                mm->req.abort(); // its reads and writes fail, and the session ends
        });
    }

    room_config cfg_;
    std::vector<std::shared_ptr<member>> members_;
    std::uint64_t guests_ = 0;
};

} // namespace chat
