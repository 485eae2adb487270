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
#include "../detail/stream_inbox.hpp"
#include "../transport/quic/endpoint.hpp"

#include <strata/error.hpp>
#include <strata/http3/connection.hpp>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <charconv>
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
constexpr std::size_t write_high_water = 256 * 1024;
constexpr std::chrono::milliseconds continue_wait{1000};

bool idempotent(std::string_view m)
{
    return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "PUT" || m == "DELETE";
}

class http3_session;

class http3_client_stream final : public client_connection, public stream_inbox {
public:
    http3_client_stream(std::shared_ptr<http3_session> session, const client_config& cfg);
    ~http3_client_stream() override;

    net::awaitable<void> send(const client_request& req, const url& target, response_head& out,
                              error_code& ec) override;
    net::awaitable<std::size_t> read_body(std::span<std::byte> out, error_code& ec) override;
    bool body_done() const noexcept override { return head_done_ && body_end_ && unread() == 0; }
    const http::fields& trailers() const noexcept override { return trailers_; }
    bool reusable() const noexcept override { return false; }
    bool got_response_bytes() const noexcept override { return head_done_; }
    http::version version() const noexcept override { return http::version::http3; }
    void close() override { cancel(); }
    void park() override {}
    bool multiplexed() const noexcept override { return true; }
    bool refused() const noexcept override { return refused_; }

    void cancel();

    http::stream_id id_ = -1;
    bool head_done_ = false;
    bool got_continue_ = false;
    response_head head_;
    bool refused_ = false;
    bool early_ = false; // sent before the handshake finished
    error_code reset_code_;
    bool local_ended_ = false;

private:
    net::awaitable<void> drain_output(error_code& ec);
    net::awaitable<void> send_body(const client_request& req, error_code& ec);
    bool failed(error_code& ec) const;

    std::shared_ptr<http3_session> session_;
    const client_config& cfg_;
    std::vector<http::field_view> out_fields_;
};

class http3_session final : public multiplexed_session,
                            public q::session,
                            public std::enable_shared_from_this<http3_session> {
public:
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
        handshake_wait_.cancel();
        for (auto* st : awaiting_handshake_)
            st->wake();
        for (auto& [_, st] : streams_) {
            if (!st->reset_ && !(st->head_done_ && st->body_end_)) {
                st->reset_ = true;
                st->reset_code_ = close_error_;
            }
            st->wake();
        }
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
    void on_stop_sending(q::stream_id s, std::uint64_t code) override
    {
        codec_.handle_stop_sending(s, code);
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
            st->reset_ = true;
            st->refused_ = true;
            st->reset_code_ = make_error_code(http3::error::request_rejected);
            st->id_ = -1; // ngtcp2 hands the id out again
            st->wake();
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
        handshake_wait_.cancel();
        for (auto* st : awaiting_handshake_)
            st->wake();
        for (auto& [_, st] : streams_) {
            if (!st->reset_ && !(st->head_done_ && st->body_end_)) {
                st->reset_ = true;
                st->reset_code_ = close_error_;
            }
            st->wake();
        }
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
    void attach(http3_client_stream* st) { streams_[st->id_] = st; }
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

private:
    http3_client_stream* find(http::stream_id id)
    {
        auto it = streams_.find(id);
        return it == streams_.end() ? nullptr : it->second;
    }
    void bind_local_streams()
    {
        if (bound_ || dead_)
            return;
        error_code ec;
        auto& quic = endpoint_->quic();
        auto control = quic.open_uni_stream(ec);
        auto encoder = ec ? -1 : quic.open_uni_stream(ec);
        auto decoder = ec ? -1 : quic.open_uni_stream(ec);
        if (!ec)
            codec_.bind_local_streams(control, encoder, decoder, ec);
        if (ec) {
            quic.close(static_cast<std::uint64_t>(http3::error::internal_error));
            return;
        }
        bound_ = true;
    }
    void pump()
    {
        while (auto ev = codec_.poll_event())
            dispatch(*ev);
        if (dead_ || endpoint_->finished())
            return;
        auto& quic = endpoint_->quic();
        while (auto c = codec_.poll_credit())
            quic.extend_credit(c->stream, c->bytes);
        while (auto a = codec_.poll_stream_action()) {
            if (a->kind == http3::stream_action::reset_stream)
                quic.reset_stream(a->stream, a->code);
            else
                quic.stop_sending(a->stream, a->code);
        }
        if (auto err = codec_.error(); err && !quic.closed())
            quic.close(static_cast<std::uint64_t>(err.value()));
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
        if (auto* st = find(h->stream)) {
            st->head_.status = h->status;
            st->head_.fields = http::fields{h->fields};
            st->head_.version = http::version::http3;
            st->head_done_ = true;
            if (st->early_ && endpoint_->quic().early_data_accepted())
                ++ctx_->early_answered;
            st->body_end_ = h->end_stream;
            st->wake();
        }
    } else if (auto* i = std::get_if<http::informational>(&ev)) {
        if (auto* st = find(i->stream)) {
            st->got_continue_ = st->got_continue_ || i->status == 100;
            st->wake();
        }
    } else if (auto* d = std::get_if<http::data>(&ev)) {
        auto* st = find(d->stream);
        if (!st) {
            codec_.consume(d->stream, d->bytes.size());
            return;
        }
        st->append(d->bytes);
        if (d->end_stream)
            st->body_end_ = true;
        st->wake();
    } else if (auto* t = std::get_if<http::trailers>(&ev)) {
        if (auto* st = find(t->stream)) {
            st->trailers_ = http::fields{t->fields};
            st->body_end_ = true;
            st->wake();
        }
    } else if (auto* r = std::get_if<http::reset>(&ev)) {
        if (auto* st = find(r->stream)) {
            if (!(st->head_done_ && st->body_end_)) {
                st->reset_ = true;
                st->reset_code_ = r->code ? r->code : error_code{error::stream_closed};
                st->refused_ = r->code == http3::error::request_rejected;
            }
            st->wake();
        }
    } else if (auto* g = std::get_if<http::goaway>(&ev)) {
        // Requests on streams at or above the GOAWAY's id were not processed
        // (RFC 9114 §5.2): safe to retry elsewhere.
        for (auto& [id, st] : streams_) {
            if (id >= g->last_stream && !st->head_done_) {
                st->reset_ = true;
                st->refused_ = true;
                st->reset_code_ = make_error_code(http3::error::request_rejected);
                st->wake();
            }
        }
        if (on_capacity)
            on_capacity();
    } else if (std::holds_alternative<http::settings>(ev)) {
        if (on_capacity)
            on_capacity();
    }
}

// ---- stream ----------------------------------------------------------------

http3_client_stream::http3_client_stream(std::shared_ptr<http3_session> session, const client_config& cfg)
    : stream_inbox(session->executor()), session_(std::move(session)), cfg_(cfg)
{}

http3_client_stream::~http3_client_stream()
{
    if (id_ < 0)
        return;
    if (!session_->dead()) {
        auto& codec = session_->codec();
        if (!(head_done_ && body_end_) && !reset_)
            codec.submit_reset(id_, http3::error::request_cancelled);
        else if (!local_ended_ && !reset_)
            codec.submit_reset(id_, http3::error::no_error); // body never sent: close our half
        codec.consume(id_, discard());
    }
    session_->detach(id_);
    session_->kick();
}

void http3_client_stream::cancel()
{
    if (id_ >= 0 && !reset_ && !(head_done_ && body_end_) && !session_->dead()) {
        session_->codec().submit_reset(id_, http3::error::request_cancelled);
        reset_ = true;
        reset_code_ = make_error_code(http3::error::request_cancelled);
        session_->kick();
    }
}

bool http3_client_stream::failed(error_code& ec) const
{
    if (reset_) {
        ec = reset_code_ ? reset_code_ : error_code{error::stream_closed};
        return true;
    }
    if (session_->dead()) {
        ec = session_->close_error();
        return true;
    }
    return false;
}

net::awaitable<void> http3_client_stream::send(const client_request& req, const url& target,
                                               response_head& out, error_code& ec)
{
    ec = {};
    bool streamed = static_cast<bool>(req.body_source);
    bool has_body = streamed || !req.body.empty();
    // Early data is replayable: only idempotent requests without a streamed
    // body may ride in it; the rest wait for the handshake.
    if (!session_->handshake_done() && (!idempotent(req.method) || streamed)) {
        if (!co_await session_->wait_handshake(*this, cfg_.handshake_timeout)) {
            if (failed(ec))
                co_return;
            ec = error::timeout;
            co_return;
        }
    }
    if (failed(ec))
        co_return;
    char digits[24];
    std::string_view length;
    if (!streamed && (has_body || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")) {
        auto [end, _] = std::to_chars(digits, digits + sizeof digits, req.body.size());
        length = {digits, static_cast<std::size_t>(end - digits)};
    }
    out_fields_.clear();
    if (!cfg_.user_agent.empty() && !req.fields.contains("User-Agent"))
        out_fields_.push_back({"user-agent", cfg_.user_agent});
    for (auto f : req.fields)
        out_fields_.push_back(f);
    if (!length.empty() && !req.fields.contains("Content-Length"))
        out_fields_.push_back({"content-length", length});
    bool expect = req.expect_continue && has_body;
    if (expect)
        out_fields_.push_back({"expect", "100-continue"});

    auto authority = target.authority();
    if (auto host = req.fields.get("Host"))
        authority = std::string{*host};
    auto id = session_->quic().open_bidi_stream(ec);
    if (ec) {
        refused_ = true; // nothing was sent: another connection may take it
        co_return;
    }
    auto& codec = session_->codec();
    codec.submit_headers(
        id, http3::request_head{req.method, target.scheme, authority, target.target, {}, out_fields_},
        !has_body, ec);
    if (ec) {
        session_->quic().reset_stream(id, static_cast<std::uint64_t>(http3::error::request_cancelled));
        refused_ = true;
        co_return;
    }
    id_ = id;
    early_ = !session_->handshake_done();
    session_->attach(this);
    local_ended_ = !has_body;
    if (has_body && !expect && !streamed) {
        codec.submit_data(id_, {reinterpret_cast<const std::byte*>(req.body.data()), req.body.size()}, true,
                          ec);
        local_ended_ = true;
    }
    session_->kick();
    if (ec)
        co_return;
    if (expect) {
        auto deadline = clock::now() + continue_wait;
        while (!got_continue_ && !head_done_ && !reset_ && clock::now() < deadline)
            co_await wait(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()));
    }
    if (has_body && (expect || streamed) && !head_done_) {
        co_await send_body(req, ec);
        if (ec)
            co_return;
    }
    auto deadline = clock::now() + cfg_.response_timeout;
    while (!head_done_) {
        if (failed(ec))
            co_return;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0 || !co_await wait(left)) {
            if (head_done_)
                break;
            ec = error::timeout;
            cancel();
            co_return;
        }
    }
    out = head_;
}

net::awaitable<void> http3_client_stream::send_body(const client_request& req, error_code& ec)
{
    auto& codec = session_->codec();
    if (!req.body_source) {
        codec.submit_data(id_, {reinterpret_cast<const std::byte*>(req.body.data()), req.body.size()}, true,
                          ec);
        local_ended_ = true;
        if (!ec)
            co_await drain_output(ec);
        co_return;
    }
    std::vector<std::byte> chunk(16 * 1024);
    for (;;) {
        auto n = co_await req.body_source(chunk);
        if (failed(ec))
            co_return;
        codec.submit_data(id_, std::span<const std::byte>(chunk.data(), n), n == 0, ec);
        local_ended_ = n == 0;
        if (!ec)
            co_await drain_output(ec);
        if (ec || n == 0)
            co_return;
    }
}

net::awaitable<void> http3_client_stream::drain_output(error_code& ec)
{
    session_->kick();
    while (session_->codec().pending_output(id_) > write_high_water) {
        if (failed(ec))
            co_return;
        waiting_write_ = true;
        bool in_time = co_await wait(cfg_.response_timeout);
        waiting_write_ = false;
        if (!in_time) {
            ec = error::timeout;
            cancel();
            co_return;
        }
    }
}

net::awaitable<std::size_t> http3_client_stream::read_body(std::span<std::byte> out, error_code& ec)
{
    ec = {};
    if (out.empty())
        co_return 0;
    for (;;) {
        if (unread() > 0) {
            auto n = take(out);
            session_->codec().consume(id_, n);
            session_->kick();
            co_return n;
        }
        if (body_end_)
            co_return 0;
        if (failed(ec))
            co_return 0;
        if (!co_await wait(cfg_.body_timeout)) {
            if (unread() > 0 || body_end_)
                continue;
            ec = error::timeout;
            cancel();
            co_return 0;
        }
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
