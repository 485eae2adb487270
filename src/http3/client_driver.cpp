// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The HTTP/3 client connection driver: one session per QUIC connection,
// shared by every request the pool sends to that origin, each on its own
// bidirectional stream.
//
// 0-RTT (RFC 9001 §4.6, RFC 9114 §4.1): a connection resumed from a ticket
// may carry requests before its handshake finishes. Only idempotent ones go
// early (RFC 9110 §9.2.2: a replay must be harmless); the others wait for
// the handshake. If the server refuses the early data, the early requests
// fail as refused and the pool sends them again.
//
// An idle session parks its endpoint (no pending socket wait or timer), so
// io_context::run() returns while only pooled connections remain.

#include "../detail/client_connection.hpp"
#include "../detail/multiplexed_client_stream.hpp"
#include "../transport/quic/endpoint.hpp"
#include "quic_glue.hpp"

#include <strata/error.hpp>
#include <strata/http3/connection.hpp>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace strata::detail {

namespace q = quic::detail;

class http3_client_context {
public:
    std::shared_ptr<q::tls_client_context> tls;
    /// Requests answered after riding in accepted 0-RTT data.
    std::atomic<std::size_t> early_answered{0};

    std::optional<q::resumption> ticket_for(const std::string& origin)
    {
        std::lock_guard lock{mutex_};
        auto it = tickets_.find(origin);
        if (it == tickets_.end())
            return std::nullopt;
        return it->second;
    }
    void save(const std::string& origin, q::resumption r)
    {
        std::lock_guard lock{mutex_};
        tickets_[origin] = std::move(r);
    }

private:
    std::mutex mutex_;
    std::map<std::string, q::resumption> tickets_;
};

std::size_t early_data_requests(const http3_client_context& ctx) noexcept
{
    return ctx.early_answered.load(std::memory_order_relaxed);
}

std::shared_ptr<http3_client_context> make_http3_client_context(const client_config& cfg, error_code& ec)
{
    auto ctx = std::make_shared<http3_client_context>();
    ctx->tls = q::make_tls_client_context(cfg.tls, {"h3"}, cfg.quic.enable_early_data, ec);
    if (ec)
        return nullptr;
    return ctx;
}

namespace {

using clock = std::chrono::steady_clock;

bool idempotent(std::string_view m)
{
    return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "PUT" || m == "DELETE";
}

class http3_session;
using http3_client_stream = multiplexed_client_stream<http3_session>;

class http3_session final : public multiplexed_session,
                            public q::session,
                            public std::enable_shared_from_this<http3_session> {
public:
    // For multiplexed_client_stream.
    using request_head = http3::request_head;
    /// Request bytes a stream may have unacknowledged before a body write waits.
    static constexpr std::size_t write_high_water = 256 * 1024;
    static constexpr auto cancel_code = http3::error::request_cancelled;
    static constexpr auto refused_code = http3::error::request_rejected;
    static constexpr http::stream_id no_stream = -1; // QUIC stream ids start at 0
    static constexpr bool has_early_data = true;
    static constexpr auto version = http::version::http3;

    http3_session(net::any_io_executor ex, const client_config& cfg)
        : cfg_(cfg), executor_(std::move(ex)), codec_(http3::role::client, cfg.http3),
          endpoint_(std::make_shared<q::client_endpoint>(executor_, cfg.quic)), handshake_wait_(executor_)
    {}
    ~http3_session() override
    {
        if (!dead_ && !endpoint_->finished()) {
            endpoint_->quic().close(static_cast<std::uint64_t>(http3::error::no_error));
        }
        endpoint_->abandon();
    }

    void connect(const net::ip::udp::endpoint& remote, std::string host, const std::string& origin,
                 std::shared_ptr<http3_client_context> ctx, error_code& ec)
    {
        ctx_ = std::move(ctx);
        origin_ = origin;
        q::connection::client_params p;
        p.tls = ctx_->tls.get();
        p.host = std::move(host);
        auto ticket = ctx_->ticket_for(origin);
        if (ticket)
            p.resume = &*ticket;
        std::weak_ptr<http3_client_context> weak = ctx_;
        p.on_resumption = [weak, origin](q::resumption r) {
            if (auto c = weak.lock())
                c->save(origin, std::move(r));
        };
        endpoint_->connect(remote, std::move(p), this, ec);
        if (ec) {
            dead_ = true; // no QUIC connection: nothing to close
            return;
        }
        // With a ticket, the early keys exist once the first flight is
        // written (connect did), and the server's old limits let us open
        // streams now: 0-RTT.
        early_ok_ =
            ticket.has_value() && cfg_.quic.enable_early_data && endpoint_->quic().bidi_streams_left() > 0;
        if (early_ok_)
            bind_local_streams();
    }

    /// Waits for the handshake (or for 0-RTT to be possible).
    net::awaitable<void> wait_ready(error_code& ec)
    {
        auto deadline = clock::now() + cfg_.handshake_timeout;
        while (!handshake_done_ && !early_ok_ && !dead_) {
            handshake_wait_.expires_at(deadline);
            error_code ignored;
            co_await handshake_wait_.async_wait(net::redirect_error(net::use_awaitable, ignored));
            if (clock::now() >= deadline && !handshake_done_) {
                ec = error::timeout;
                dead_ = true;
                endpoint_->abandon();
                co_return;
            }
        }
        if (dead_ && !handshake_done_)
            ec = close_error_ ? close_error_ : error_code{error::stream_closed};
    }

    // ---- multiplexed_session -------------------------------------------------

    bool can_open_stream() const noexcept override
    {
        return usable() && (handshake_done_ || early_ok_) && bound_ &&
               endpoint_->quic().bidi_streams_left() > 0;
    }
    // A connection quiet for (nearly) its idle timeout may be gone at the
    // server: a new request takes a new connection rather than fail on it.
    bool usable() const noexcept override
    {
        return !dead_ && !codec_.going_away() && !endpoint_->finished() &&
               !(streams_.empty() && endpoint_->quic().idle_expired(clock::now()));
    }
    bool idle() const noexcept override { return streams_.empty() && awaiting_handshake_.empty(); }
    bool awaiting_settings() const noexcept override { return usable() && !handshake_done_ && !early_ok_; }
    bool used() const noexcept override { return used_; }
    std::shared_ptr<client_connection> open_stream() override
    {
        used_ = true;
        // Not inline: the pool calls this under its lock, and catching up on
        // what arrived while parked may call on_capacity, which takes it.
        net::post(executor_, [ep = endpoint_] { ep->unpark(); });
        return std::make_shared<http3_client_stream>(shared_from_this(), cfg_);
    }
    void close() override
    {
        if (dead_)
            return;
        dead_ = true;
        if (!endpoint_->finished()) {
            endpoint_->quic().close(static_cast<std::uint64_t>(http3::error::no_error));
            endpoint_->abandon();
        }
        // abandon() ends the endpoint without calling us back: wake whoever
        // waits here (not on_capacity: the pool may hold its lock).
        close_error_ = error::stream_closed;
        fail_waiters();
    }

    // ---- q::session -------------------------------------------------------------

    void on_handshake_completed() override
    {
        handshake_done_ = true;
        bind_local_streams();
        handshake_wait_.cancel();
        for (auto& [_, st] : streams_)
            st->wake();
        for (auto* st : awaiting_handshake_)
            st->wake();
        if (on_capacity)
            on_capacity();
    }
    void on_stream_data(q::stream_id s, std::span<const std::byte> bytes, bool fin, bool) override
    {
        codec_.handle_stream_data(s, bytes, fin);
        pump();
    }
    void on_stream_reset(q::stream_id s, std::uint64_t code) override
    {
        codec_.handle_stream_reset(s, code);
        pump();
    }
    void on_stream_close(q::stream_id s, std::uint64_t code) override
    {
        codec_.handle_stream_close(s, code);
        if (auto* st = find(s); st && !(st->head_done_ && st->body_end_) && !st->reset_) {
            st->reset_ = true;
            st->reset_code_ = code == static_cast<std::uint64_t>(http3::error::no_error)
                                  ? error_code{error::stream_closed}
                                  : error_code{static_cast<int>(code), http3::error_category_instance()};
            st->refused_ = code == static_cast<std::uint64_t>(http3::error::request_rejected);
            st->wake();
        }
        pump();
    }
    void on_acked(q::stream_id s, std::uint64_t n) override
    {
        codec_.add_ack_offset(s, n);
        if (auto* st = find(s); st && st->waiting_write_)
            st->wake();
    }
    void on_stream_writable(q::stream_id s) override { codec_.unblock_stream(s); }
    void on_streams_available() override
    {
        if (on_capacity)
            on_capacity();
    }
    void on_early_data_rejected() override
    {
        // Every stream opened early is gone, and with them the codec's state
        // (its control and QPACK streams were early too): start over.
        early_ok_ = false;
        bound_ = false;
        codec_ = http3::connection(http3::role::client, cfg_.http3);
        for (auto& [_, st] : streams_) {
            st->id_ = no_stream; // ngtcp2 hands the id out again
            st->refuse();
        }
        streams_.clear();
    }
    q::stream_chunk next_output() override
    {
        auto out = codec_.poll_output();
        return q::stream_chunk{out.stream, out.data, out.fin};
    }
    void on_written(q::stream_id s, std::size_t n) override { codec_.add_write_offset(s, n); }
    void on_blocked(q::stream_id s) override { codec_.block_stream(s); }
    void on_write_shutdown(q::stream_id s) override { codec_.shutdown_stream_write(s); }
    void on_connection_closed(const q::close_reason& why) override
    {
        dead_ = true;
        if (why.local)
            close_error_ = why.local;
        else if (why.application && why.code != static_cast<std::uint64_t>(http3::error::no_error))
            close_error_ = error_code{static_cast<int>(why.code), http3::error_category_instance()};
        else
            close_error_ = error::stream_closed;
        fail_waiters();
        if (on_capacity)
            on_capacity();
    }

    // ---- for streams ------------------------------------------------------------

    const net::any_io_executor& executor() const noexcept { return executor_; }
    http3::connection& codec() noexcept { return codec_; }
    q::connection& quic() noexcept { return endpoint_->quic(); }
    bool dead() const noexcept { return dead_; }
    bool handshake_done() const noexcept { return handshake_done_; }
    bool early_ok() const noexcept { return early_ok_; }
    error_code close_error() const noexcept
    {
        return close_error_ ? close_error_ : error_code{error::stream_closed};
    }
    /// The codec outlives nothing here: once the QUIC connection is gone,
    /// its streams are too.
    bool can_submit() const noexcept { return !dead_; }
    /// Early data is replayable (RFC 9110 §9.2.2): only idempotent requests
    /// without a streamed body may ride in it; the rest wait for the handshake.
    static bool may_send_early(const client_request& req)
    {
        return idempotent(req.method) && !req.body_source;
    }
    http::stream_id submit_request(const http3::request_head& head, bool end_stream, error_code& ec)
    {
        auto id = endpoint_->quic().open_bidi_stream(ec);
        if (ec)
            return no_stream;
        codec_.submit_headers(id, head, end_stream, ec);
        if (ec)
            endpoint_->quic().reset_stream(id, static_cast<std::uint64_t>(http3::error::request_cancelled));
        return id;
    }
    void attach(http3_client_stream* st)
    {
        st->early_ = !handshake_done_;
        streams_[st->id_] = st;
    }
    void detach(http::stream_id id)
    {
        streams_.erase(id);
        if (streams_.empty() && !dead_)
            endpoint_->park();
        if (on_stream_closed)
            on_stream_closed();
    }
    void kick()
    {
        pump();
        if (!dead_)
            endpoint_->flush();
    }
    /// Reads need no asking: the endpoint calls in when packets arrive.
    static void ensure_reading() noexcept {}
    // QUIC's idle timeout and keep-alive PINGs watch the connection.
    static void note_deadline(std::chrono::milliseconds) noexcept {}
    net::awaitable<bool> wait_handshake(http3_client_stream& st, std::chrono::milliseconds timeout)
    {
        auto deadline = clock::now() + timeout;
        awaiting_handshake_.push_back(&st);
        while (!handshake_done_ && !dead_) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0)
                break;
            co_await st.wait(left);
        }
        std::erase(awaiting_handshake_, &st);
        co_return handshake_done_;
    }

    /// The server's SETTINGS arrived (an extended CONNECT needs to know
    /// whether it allows one, RFC 9220 §3).
    bool peer_settings_known() const noexcept { return codec_.peer_settings_received(); }
    net::awaitable<void> wait_peer_settings(http3_client_stream& st, std::chrono::milliseconds timeout)
    {
        auto deadline = clock::now() + timeout;
        settings_waiters_.push_back(&st);
        while (!codec_.peer_settings_received() && !dead_) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0)
                break;
            co_await st.wait(left);
        }
        std::erase(settings_waiters_, &st);
    }

private:
    http3_client_stream* find(http::stream_id id)
    {
        auto it = streams_.find(id);
        return it == streams_.end() ? nullptr : it->second;
    }
    void bind_local_streams()
    {
        if (!bound_ && !dead_)
            bound_ = bind_http3_streams(codec_, endpoint_->quic());
    }
    /// The connection is gone (close_error_ says why): every request
    /// waiting on it learns so.
    void fail_waiters()
    {
        handshake_wait_.cancel();
        for (auto* st : awaiting_handshake_)
            st->wake();
        for (auto* st : settings_waiters_)
            st->wake();
        for (auto& [_, st] : streams_)
            st->fail(close_error_);
    }
    void pump()
    {
        while (auto ev = codec_.poll_event())
            dispatch(*ev);
        if (dead_ || endpoint_->finished())
            return;
        apply_http3_actions(codec_, endpoint_->quic());
    }
    void dispatch(http::event& ev);

    const client_config& cfg_;
    net::any_io_executor executor_;
    http3::connection codec_;
    std::shared_ptr<q::client_endpoint> endpoint_;
    std::shared_ptr<http3_client_context> ctx_;
    std::string origin_;
    net::steady_timer handshake_wait_;
    std::unordered_map<http::stream_id, http3_client_stream*> streams_;
    // Streams whose request is not safe to send early, waiting for the handshake.
    std::vector<http3_client_stream*> awaiting_handshake_;
    std::vector<http3_client_stream*> settings_waiters_;
    error_code close_error_;
    bool handshake_done_ = false;
    bool early_ok_ = false;
    bool bound_ = false;
    bool dead_ = false;
    bool used_ = false;
};

void http3_session::dispatch(http::event& ev)
{
    if (auto* h = std::get_if<http::headers>(&ev)) {
        if (auto* st = find(h->stream); st && st->early_ && endpoint_->quic().early_data_accepted())
            ++ctx_->early_answered;
    }
    if (dispatch_response_event(*this, ev, [this](http::stream_id id) { return find(id); }))
        return;
    if (auto* g = std::get_if<http::goaway>(&ev)) {
        // Requests on streams at or above the GOAWAY's id were not processed
        // (RFC 9114 §5.2): safe to retry elsewhere.
        for (auto& [id, st] : streams_) {
            if (id >= g->last_stream && !st->head_done_)
                st->refuse();
        }
        if (on_capacity)
            on_capacity();
    } else if (std::holds_alternative<http::settings>(ev)) {
        for (auto* st : settings_waiters_)
            st->wake();
        if (on_capacity)
            on_capacity();
    }
}

} // namespace

net::awaitable<std::shared_ptr<multiplexed_session>> connect_http3(std::shared_ptr<http3_client_context> ctx,
                                                                   const url& target,
                                                                   const net::ip::udp::endpoint& remote,
                                                                   const client_config& cfg, error_code& ec)
{
    auto ex = co_await net::this_coro::executor;
    auto session = std::make_shared<http3_session>(ex, cfg);
    session->connect(remote, target.host, target.origin(), std::move(ctx), ec);
    if (ec)
        co_return nullptr;
    co_await session->wait_ready(ec);
    if (ec)
        co_return nullptr;
    co_return session;
}

} // namespace strata::detail
