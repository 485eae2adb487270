// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// A topic: an append-only log of events with increasing ids and a retention
// window, the one source of truth behind long polling, Server-Sent Events
// and the gateway's fan-out (DESIGN.md rule 6).
//
// A subscriber is a cursor into the log, not a queue: it holds no events of
// its own, so a slow subscriber costs no memory. It reads from the shared
// log in batches (everything it has not seen, up to max_batch), which is
// also how a stream that fell behind catches up in one write. Each event is
// encoded once per wire format when it is published (SSE, JSON) and every
// subscriber writes that same immutable buffer.
//
// Ids: 1, 2, 3, ... for the in-memory backend. A cursor is the id of the
// last event seen (0: none); subscribing "after N" resumes exactly where a
// client left off (SSE Last-Event-ID, long poll since=N). A cursor older
// than the window is told so (topic_error::cursor_expired), never skipped
// silently.

#include <strata/config.hpp>
#include <strata/detail/async_adapt.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace strata {

enum class topic_error {
    /// The cursor is older than the retention window: events after it were
    /// dropped. subscription::restart_from_oldest() continues, knowing it.
    cursor_expired = 1,
    /// The subscriber fell more than topic_config::max_lag events behind and
    /// was cut off (lag_policy::cut_off). Its cursor() still resumes.
    subscriber_lagging,
    /// The topic was closed.
    closed,
};

const error_category& topic_error_category() noexcept;
inline error_code make_error_code(topic_error e) noexcept
{
    return {static_cast<int>(e), topic_error_category()};
}

enum class lag_policy {
    /// End the subscription with topic_error::subscriber_lagging; the cursor
    /// resumes later (an SSE client reconnects with Last-Event-ID).
    cut_off,
    /// Jump ahead to the newest events; the batch reports how many were missed.
    skip,
};

struct topic_config {
    /// Retention window: the log keeps at most this many events...
    std::size_t max_events = 100'000;
    /// ...and at most this many bytes (event data plus its encodings)...
    std::size_t max_bytes = 64 * 1024 * 1024;
    /// ...and events no older than this (zero: no age limit).
    std::chrono::milliseconds max_age{0};
    /// Events handed to a subscriber at once.
    std::size_t max_batch = 1024;
    /// A subscriber this many events behind the newest is lagging. Keep it
    /// below max_events, so a subscriber cut off for lagging can still
    /// resume from its cursor. Zero: no limit (only expiry ends it).
    std::uint64_t max_lag = 50'000;
    lag_policy on_lag = lag_policy::cut_off;
    /// Whether events carry their text/event-stream framing (event::sse,
    /// which sse::handler writes) and their JSON form (event::json, which
    /// long_poll::handler writes). A topic nobody reads that way (the
    /// gateway's) saves the memory; those handlers refuse such a topic.
    bool encode_sse = true;
    bool encode_json = true;
};

/// Where a topic's events get their ids and their order. The in-memory
/// backend (the default) numbers an event as it is appended. A store shared
/// by several nodes (Redis Streams) numbers it itself and hands it back to
/// every node's topic through `commit`, possibly later and interleaved with
/// other nodes' events; ids must increase from one commit to the next.
class topic_backend {
public:
    using commit_fn = std::function<void(std::uint64_t id, std::string type, std::string data,
                                         std::chrono::system_clock::time_point time)>;
    virtual ~topic_backend() = default;
    /// Called once by the topic, before any append.
    virtual void start(commit_fn commit) = 0;
    /// Appends an event. Returns its id when it was committed before
    /// returning (in-memory), 0 when the store commits it later.
    virtual std::uint64_t append(std::string type, std::string data) = 0;
    /// No commit after this returns.
    virtual void stop() = 0;
};

/// The in-memory backend: ids 1, 2, 3, ... in the order of append() calls.
std::unique_ptr<topic_backend> make_memory_topic_backend();

namespace detail {
struct topic_state;
struct topic_subscriber;
} // namespace detail

class topic {
public:
    /// One published event. Immutable: every subscriber shares it.
    struct event {
        std::uint64_t id = 0;
        std::string type; ///< empty: untyped ("message" for SSE)
        std::string data;
        std::chrono::system_clock::time_point time;
        /// The event framed for text/event-stream: "id: N\nevent: type\ndata: ...\n\n".
        std::string sse;
        /// The event as a JSON object: {"id":N,"type":"...","data":"..."}.
        std::string json;
    };
    using event_ptr = std::shared_ptr<const event>;

    /// What one next() delivers. `events` stays valid until the next call.
    struct batch {
        std::span<const event_ptr> events;
        /// Events skipped before these (lag_policy::skip, restart_from_oldest()).
        std::uint64_t missed = 0;
    };

    class subscription;

    explicit topic(topic_config cfg = {},
                   std::unique_ptr<topic_backend> backend = make_memory_topic_backend());
    topic(const topic&) = delete;
    topic& operator=(const topic&) = delete;
    /// Closes the topic: waiting subscribers complete with topic_error::closed.
    ~topic();

    /// Publishes from any thread. Returns the event's id (0 when the backend
    /// numbers it later). An empty type is an untyped event.
    std::uint64_t publish(std::string_view type, std::string_view data);
    std::uint64_t publish(std::string_view data) { return publish({}, data); }

    /// A subscription on `ex` (a strand when several threads run it) that
    /// delivers the events after `after`; nullopt: only events published
    /// from now on.
    subscription subscribe(net::any_io_executor ex, std::optional<std::uint64_t> after = std::nullopt);

    /// The newest id (0 while empty) and the oldest retained (0 while empty).
    std::uint64_t last_id() const;
    std::uint64_t oldest_id() const;
    /// Events retained now, and their bytes.
    std::size_t size() const;
    std::size_t bytes() const;
    /// Subscribers waiting for an event now.
    std::size_t waiting() const;
    const topic_config& config() const noexcept;

    /// Ends the topic: pending and later next() complete with topic_error::closed.
    void close();

private:
    std::shared_ptr<detail::topic_state> state_;
};

/// A cursor into a topic that waits for what comes after it. Use it from
/// its executor only.
class topic::subscription {
public:
    subscription(subscription&&) noexcept;
    subscription& operator=(subscription&&) noexcept;
    ~subscription();

    /// Completes with the events after the cursor, at most max_batch, and
    /// advances the cursor past them. Waits up to `timeout` for one to be
    /// published; an empty batch means the time passed with none.
    /// Signature: void(error_code, batch). Errors: topic_error.
    template <class CompletionToken = net::use_awaitable_t<>>
    auto async_next(std::chrono::milliseconds timeout, CompletionToken&& token = {})
    {
        return detail::async_with_ec<batch>(
            executor(), [this, timeout] { return next_for_token(timeout); },
            std::forward<CompletionToken>(token));
    }
    net::awaitable<batch> next(std::chrono::milliseconds timeout, error_code& ec);

    /// The id of the last event delivered: the next batch starts after it.
    std::uint64_t cursor() const noexcept;
    /// After topic_error::cursor_expired: continue with the oldest retained
    /// event; the next batch reports how many were missed.
    void restart_from_oldest();
    /// Wakes a pending next() (it completes with net::error::operation_aborted)
    /// and ends the subscription.
    void cancel();
    net::any_io_executor executor() const;

private:
    friend class topic;
    explicit subscription(std::shared_ptr<detail::topic_subscriber> s);
    net::awaitable<std::pair<error_code, batch>> next_for_token(std::chrono::milliseconds timeout);
    std::shared_ptr<detail::topic_subscriber> sub_;
};

} // namespace strata

template <>
struct boost::system::is_error_code_enum<strata::topic_error> : std::true_type {};
