// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/sse/encoder.hpp>
#include <strata/topic.hpp>

#include "detail/json.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <boost/system/system_error.hpp>
#include <deque>
#include <mutex>
#include <stdexcept>

namespace strata {

namespace {

class topic_error_category_impl final : public error_category {
public:
    const char* name() const noexcept override { return "strata.topic"; }
    std::string message(int ev) const override
    {
        switch (static_cast<topic_error>(ev)) {
        case topic_error::cursor_expired:
            return "the cursor is older than the topic's retention window: events after it were dropped";
        case topic_error::subscriber_lagging:
            return "the subscriber fell too far behind and was cut off; resume from its cursor";
        case topic_error::closed:
            return "the topic was closed";
        }
        return "unknown topic error";
    }
};

class memory_backend final : public topic_backend {
public:
    void start(commit_fn commit) override { commit_ = std::move(commit); }
    std::uint64_t append(std::string type, std::string data) override
    {
        // Held across the commit, so ids reach the topic in increasing order
        // whichever threads publish.
        std::lock_guard lock{mutex_};
        if (stopped_)
            return 0;
        auto id = ++last_id_;
        commit_(id, std::move(type), std::move(data), std::chrono::system_clock::now());
        return id;
    }
    void stop() override
    {
        std::lock_guard lock{mutex_};
        stopped_ = true;
    }

private:
    std::mutex mutex_;
    commit_fn commit_;
    std::uint64_t last_id_ = 0;
    bool stopped_ = false;
};

bool valid_type(std::string_view type) noexcept
{
    return type.find_first_of(std::string_view{"\r\n\0", 3}) == std::string_view::npos;
}

} // namespace

const error_category& topic_error_category() noexcept
{
    static const topic_error_category_impl instance;
    return instance;
}

std::unique_ptr<topic_backend> make_memory_topic_backend()
{
    return std::make_unique<memory_backend>();
}

namespace detail {

struct topic_subscriber {
    topic_subscriber(std::shared_ptr<topic_state> t, net::any_io_executor e, std::uint64_t c)
        : state(std::move(t)), ex(std::move(e)), timer(ex), cursor(c)
    {}

    std::shared_ptr<topic_state> state;
    net::any_io_executor ex;
    net::steady_timer timer;
    std::uint64_t cursor;
    std::uint64_t missed = 0; // reported with the next batch
    std::vector<topic::event_ptr> batch;
    // Guarded by the topic's mutex.
    std::size_t waiter_index = 0;
    bool waiting = false;
    bool cancelled = false;
    // Lag is judged only once the subscriber has been level with the log:
    // one resuming from far back is catching up, not falling behind.
    bool caught_up = false;
};

struct topic_state {
    using clock = std::chrono::system_clock;

    topic_state(topic_config c, std::unique_ptr<topic_backend> b) : cfg(c), backend(std::move(b)) {}

    void commit(std::uint64_t id, std::string type, std::string data, clock::time_point time)
    {
        auto e = std::make_shared<topic::event>();
        e->id = id;
        e->time = time;
        // Encoded once here; every subscriber writes these same bytes.
        if (cfg.encode_sse) {
            sse::outgoing_event out{std::to_string(id), type, data, std::nullopt};
            error_code ec;
            sse::encode(out, e->sse, ec);
        }
        if (cfg.encode_json) {
            e->json.reserve(data.size() + type.size() + 40);
            e->json += "{\"id\":";
            e->json += std::to_string(id);
            e->json += ",\"type\":";
            json::append_string(e->json, type);
            e->json += ",\"data\":";
            json::append_string(e->json, data);
            e->json += '}';
        }
        e->type = std::move(type);
        e->data = std::move(data);
        auto size = footprint(*e);

        std::vector<std::shared_ptr<topic_subscriber>> woken;
        {
            std::lock_guard lock{mutex};
            if (closed || id <= last_id)
                return;
            log.push_back(std::move(e));
            bytes += size;
            last_id = id;
            trim(time);
            woken.swap(waiters);
            for (auto& s : woken)
                s->waiting = false;
        }
        wake(woken);
    }

    static std::size_t footprint(const topic::event& e) noexcept
    {
        return sizeof(topic::event) + e.type.size() + e.data.size() + e.sse.size() + e.json.size();
    }

    // Drops what is outside the retention window. Called with the mutex held.
    void trim(clock::time_point now)
    {
        auto drop = [&] {
            dropped_through = log.front()->id;
            bytes -= footprint(*log.front());
            log.pop_front();
        };
        // The newest event always stays, so the log can say what is newest.
        while (log.size() > 1 && (log.size() > cfg.max_events || bytes > cfg.max_bytes))
            drop();
        if (cfg.max_age.count() > 0)
            while (log.size() > 1 && now - log.front()->time > cfg.max_age)
                drop();
    }

    static void wake(const std::vector<std::shared_ptr<topic_subscriber>>& subs)
    {
        // The subscriber's timer belongs to its executor: wake it there.
        for (auto& s : subs)
            net::post(s->ex, [s] { s->timer.cancel(); });
    }

    void unregister(topic_subscriber& s)
    {
        if (!s.waiting)
            return;
        auto i = s.waiter_index;
        if (i + 1 != waiters.size()) {
            waiters[i] = std::move(waiters.back());
            waiters[i]->waiter_index = i;
        }
        waiters.pop_back();
        s.waiting = false;
    }

    // Fills s.batch with what follows its cursor. Called with the mutex held.
    error_code read(topic_subscriber& s)
    {
        s.batch.clear();
        if (cfg.max_age.count() > 0)
            trim(clock::now());
        // A cursor past the newest id comes from another life of the topic
        // (a restarted server): nothing it expects will come.
        if (s.cursor < dropped_through || s.cursor > last_id)
            return topic_error::cursor_expired;
        if (s.caught_up && cfg.max_lag > 0 && last_id - s.cursor > cfg.max_lag) {
            if (cfg.on_lag == lag_policy::cut_off)
                return topic_error::subscriber_lagging;
            auto keep = std::min<std::uint64_t>(cfg.max_batch, last_id - s.cursor);
            auto target = last_id - keep;
            // Ids may have gaps (a shared backend): count what is really skipped.
            auto from = std::upper_bound(log.begin(), log.end(), s.cursor, by_id);
            auto to = std::upper_bound(log.begin(), log.end(), target, by_id);
            s.missed += static_cast<std::uint64_t>(to - from);
            s.cursor = target;
        }
        if (s.cursor == last_id) {
            s.caught_up = true;
            return {}; // the common wake-up check: nothing new
        }
        auto it = after(s.cursor);
        auto n = std::min<std::size_t>(static_cast<std::size_t>(log.end() - it), cfg.max_batch);
        s.batch.assign(it, it + static_cast<std::ptrdiff_t>(n));
        if (n > 0)
            s.cursor = s.batch.back()->id;
        if (s.cursor == last_id)
            s.caught_up = true;
        return {};
    }

    static bool by_id(std::uint64_t id, const topic::event_ptr& e) noexcept { return id < e->id; }

    // The first event after `cursor`. The in-memory backend's ids have no
    // gaps, so arithmetic finds it; a shared store's may, so search then.
    std::deque<topic::event_ptr>::iterator after(std::uint64_t cursor)
    {
        if (!log.empty() && cursor >= log.front()->id) {
            auto i = cursor - log.front()->id + 1;
            if (i < log.size() && log[i]->id == cursor + 1 && log[i - 1]->id == cursor)
                return log.begin() + static_cast<std::ptrdiff_t>(i);
        }
        return std::upper_bound(log.begin(), log.end(), cursor, by_id);
    }

    topic_config cfg;
    std::unique_ptr<topic_backend> backend;
    mutable std::mutex mutex;
    std::deque<topic::event_ptr> log;
    std::size_t bytes = 0;
    std::uint64_t last_id = 0;
    std::uint64_t dropped_through = 0; // the newest id dropped so far
    bool closed = false;
    std::vector<std::shared_ptr<topic_subscriber>> waiters;
};

} // namespace detail

topic::topic(topic_config cfg, std::unique_ptr<topic_backend> backend)
{
    if (!backend)
        backend = make_memory_topic_backend();
    state_ = std::make_shared<detail::topic_state>(cfg, std::move(backend));
    // The backend outlives no topic: close() stops it before the state goes.
    state_->backend->start([s = state_.get()](std::uint64_t id, std::string type, std::string data,
                                              std::chrono::system_clock::time_point time) {
        s->commit(id, std::move(type), std::move(data), time);
    });
}

topic::~topic()
{
    close();
}

void topic::close()
{
    if (!state_)
        return;
    state_->backend->stop();
    std::vector<std::shared_ptr<detail::topic_subscriber>> woken;
    {
        std::lock_guard lock{state_->mutex};
        if (state_->closed)
            return;
        state_->closed = true;
        woken.swap(state_->waiters);
        for (auto& s : woken)
            s->waiting = false;
    }
    detail::topic_state::wake(woken);
}

std::uint64_t topic::publish(std::string_view type, std::string_view data)
{
    if (!valid_type(type))
        throw boost::system::system_error(sse::error::invalid_field,
                                          "topic::publish: event type with CR, LF or NUL");
    return state_->backend->append(std::string(type), std::string(data));
}

topic::subscription topic::subscribe(net::any_io_executor ex, std::optional<std::uint64_t> after)
{
    std::uint64_t cursor;
    {
        std::lock_guard lock{state_->mutex};
        cursor = after ? *after : state_->last_id;
    }
    return subscription{std::make_shared<detail::topic_subscriber>(state_, std::move(ex), cursor)};
}

std::uint64_t topic::last_id() const
{
    std::lock_guard lock{state_->mutex};
    return state_->last_id;
}

std::uint64_t topic::oldest_id() const
{
    std::lock_guard lock{state_->mutex};
    return state_->log.empty() ? 0 : state_->log.front()->id;
}

std::size_t topic::size() const
{
    std::lock_guard lock{state_->mutex};
    return state_->log.size();
}

std::size_t topic::bytes() const
{
    std::lock_guard lock{state_->mutex};
    return state_->bytes;
}

std::size_t topic::waiting() const
{
    std::lock_guard lock{state_->mutex};
    return state_->waiters.size();
}

const topic_config& topic::config() const noexcept
{
    return state_->cfg;
}

// ---- subscription -----------------------------------------------------------

topic::subscription::subscription(std::shared_ptr<detail::topic_subscriber> s) : sub_(std::move(s)) {}
topic::subscription::subscription(subscription&&) noexcept = default;
topic::subscription& topic::subscription::operator=(subscription&& other) noexcept
{
    if (this != &other) {
        cancel();
        sub_ = std::move(other.sub_);
    }
    return *this;
}
topic::subscription::~subscription()
{
    cancel();
}

std::uint64_t topic::subscription::cursor() const noexcept
{
    return sub_ ? sub_->cursor : 0;
}
net::any_io_executor topic::subscription::executor() const
{
    return sub_->ex;
}

void topic::subscription::restart_from_oldest()
{
    if (!sub_)
        return;
    auto& st = *sub_->state;
    std::lock_guard lock{st.mutex};
    auto oldest = st.log.empty() ? st.last_id + 1 : st.log.front()->id;
    auto resume = oldest - 1;
    if (sub_->cursor < resume)
        sub_->missed += st.log.empty() ? st.last_id - sub_->cursor : resume - sub_->cursor;
    // A cursor from the future (another life of the topic) restarts too.
    sub_->cursor = resume;
}

void topic::subscription::cancel()
{
    if (!sub_)
        return;
    {
        std::lock_guard lock{sub_->state->mutex};
        sub_->cancelled = true;
        sub_->state->unregister(*sub_);
    }
    sub_->timer.cancel();
}

// Written out rather than wrapping next_for_token(): one coroutine frame
// less per wait, which every idle subscriber holds.
net::awaitable<topic::batch> topic::subscription::next(std::chrono::milliseconds timeout, error_code& ec)
{
    ec = {};
    auto s = sub_; // alive across the wait, even if the subscription is moved
    if (!s) {
        ec = net::error::operation_aborted;
        co_return batch{};
    }
    auto& st = *s->state;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        {
            std::lock_guard lock{st.mutex};
            if (s->cancelled) {
                ec = net::error::operation_aborted;
                co_return batch{};
            }
            if (st.closed) {
                ec = topic_error::closed;
                co_return batch{};
            }
            auto e = st.read(*s);
            if (e || !s->batch.empty()) {
                batch b{s->batch, e ? 0 : std::exchange(s->missed, 0)};
                ec = e;
                co_return b;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                st.unregister(*s);
                co_return batch{};
            }
            if (!s->waiting) {
                s->waiter_index = st.waiters.size();
                st.waiters.push_back(s);
                s->waiting = true;
            }
        }
        // Woken by a publish (the timer is cancelled on our executor) or by
        // the deadline; either way the loop looks again.
        s->timer.expires_at(deadline);
        error_code ignored;
        co_await s->timer.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
}

net::awaitable<std::pair<error_code, topic::batch>>
topic::subscription::next_for_token(std::chrono::milliseconds timeout)
{
    error_code ec;
    auto b = co_await next(timeout, ec);
    co_return std::pair{ec, b};
}

} // namespace strata
