// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The HTTP/3 server connection driver: joins one QUIC connection (its
// streams, through quic::detail::session) to the HTTP/3 codec, and runs one
// handler coroutine per request stream. Streams are detail::server_streams,
// like HTTP/1.1 exchanges and HTTP/2 streams, so handlers cannot tell.
//
// There is no reader or writer coroutine: the QUIC endpoint calls in when
// packets arrive and pulls stream bytes when packets have room, and a
// handler's write asks the endpoint to flush.
//
// Back-pressure, both ways:
//  - request bodies: credit goes back to QUIC only for bytes a handler has
//    read (http3::connection::consume), so a slow handler stalls only its stream;
//  - response bodies: a handler's write waits while more than a high-water
//    mark of its bytes is unacknowledged; a peer that stops acknowledging
//    makes it wait up to write_timeout, and then the stream is reset.
//
// 0-RTT: a request that arrived in early data and is not safe (RFC 9110
// §9.2.1) waits for the handshake to finish before its handler runs
// (RFC 8470 §3), so a replayed early packet can only repeat a safe request.

#include "server_driver.hpp"
#include "../detail/handler_dispatch.hpp"
#include "../detail/server_state.hpp"
#include "../detail/stream_inbox.hpp"
#include "../detail/stream_table.hpp"
#include "../transport/quic/endpoint.hpp"

#include <strata/error.hpp>
#include <strata/http3/connection.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include <unordered_set>
#include <vector>

namespace strata::detail {

namespace {

using clock = std::chrono::steady_clock;
namespace q = quic::detail;

constexpr std::size_t write_high_water = 256 * 1024;

class http3_server_session;

class http3_stream final : public server_stream, public stream_inbox {
public:
    http3_stream(std::shared_ptr<http3_server_session> conn, http::stream_id id, std::uint64_t body_limit);
    ~http3_stream() override;

    net::awaitable<std::size_t> read_body(std::span<std::byte> out, error_code& ec) override;
    const http::fields& request_trailers() const noexcept override { return trailers_; }
    net::awaitable<void> write_head(unsigned status, const http::fields& fields,
                                    std::span<const std::byte> body, bool end_stream,
                                    error_code& ec) override;
    net::awaitable<void> write_body(std::span<const std::byte> body, bool end_stream,
                                    error_code& ec) override;
    net::awaitable<void> write_trailers(const http::fields& trailers, error_code& ec) override;
    void set_body_limit(std::uint64_t bytes) noexcept override { body_limit_ = bytes; }
    net::any_io_executor executor() const override;

    bool too_large_ = false;
    std::uint64_t received_ = 0;
    bool head_request_ = false;
    bool expect_continue_ = false;
    bool upgrade_ = false;
    bool head_sent_ = false;
    bool done_ = false;
    http::stream_id id_;
    std::uint64_t body_limit_;

private:
    net::awaitable<void> drain_output(error_code& ec);
    bool usable(error_code& ec) const;

    std::shared_ptr<http3_server_session> conn_;
};

class http3_server_session final : public q::session,
                                   public server_connection,
                                   public std::enable_shared_from_this<http3_server_session> {
public:
    http3_server_session(q::connection_io& io, std::shared_ptr<server_state> state)
        : state_(std::move(state)), io_(&io), executor_(io.executor()),
          codec_(http3::role::server, codec_config(state_->cfg))
    {
        peer_ = io.quic().current_path().remote;
    }

    static http3::config codec_config(const server_config& cfg)
    {
        auto c = cfg.http3;
        c.max_concurrent_streams = cfg.quic.max_streams_bidi;
        return c;
    }

    void start()
    {
        counted_ = state_->add(this);
        if (!counted_) {
            // Over max_connections: close at once with H3_EXCESSIVE_LOAD's
            // gentler cousin, no error: the client goes elsewhere.
            io_->quic().close(static_cast<std::uint64_t>(http3::error::no_error));
            io_->flush();
        } else if (state_->stopping.load(std::memory_order_relaxed)) {
            draining_ = true;
        }
    }

    // ---- quic::detail::session -------------------------------------------------

    void on_handshake_completed() override
    {
        bind_local_streams();
        for (auto& [_, st] : streams_)
            st->wake();
        auto deferred = std::move(deferred_);
        deferred_.clear();
        for (auto& d : deferred)
            if (!d.stream->reset_)
                spawn(std::move(d.stream), std::move(d.head));
    }
    void on_stream_data(q::stream_id s, std::span<const std::byte> bytes, bool fin, bool early) override
    {
        early_ = early;
        // Responses to 0-RTT requests may go out before the handshake ends
        // (0.5-RTT data): open our control and QPACK streams as soon as the
        // 1-RTT keys allow, not only at handshake completion.
        bind_local_streams();
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
        if (auto* st = find(s)) {
            st->reset_ = true;
            st->wake();
        }
        pump();
    }
    void on_stream_close(q::stream_id s, std::uint64_t code) override
    {
        codec_.handle_stream_close(s, code);
        if (is_request_stream(s)) {
            // The peer gets this stream's credit back once its handler has
            // finished too: resetting requests at once cannot pile up handlers.
            if (auto* st = find(s); st && !st->done_) {
                st->reset_ = true;
                st->wake();
                closed_by_quic_.insert(s);
            } else {
                std::erase_if(deferred_, [s](const deferred_request& d) { return d.stream->id_ == s; });
                if (io_)
                    io_->quic().grant_bidi_stream();
            }
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
    void on_streams_available() override {}
    void on_early_data_rejected() override {}
    q::stream_chunk next_output() override
    {
        auto out = codec_.poll_output();
        return q::stream_chunk{out.stream, out.data, out.fin};
    }
    void on_written(q::stream_id s, std::size_t n) override { codec_.add_write_offset(s, n); }
    void on_blocked(q::stream_id s) override { codec_.block_stream(s); }
    void on_write_shutdown(q::stream_id s) override { codec_.shutdown_stream_write(s); }
    void on_connection_closed(const q::close_reason&) override
    {
        io_ = nullptr;
        closed_ = true;
        for (auto& [_, st] : streams_) {
            st->reset_ = true;
            st->wake();
        }
        deferred_.clear();
        if (counted_) {
            counted_ = false;
            state_->remove(this);
        }
    }

    // ---- server_connection ------------------------------------------------------

    void request_shutdown() override
    {
        net::post(executor_, [self = shared_from_this()] { self->begin_drain(); });
    }
    void abort() override
    {
        net::post(executor_, [self = shared_from_this()] {
            if (self->io_) {
                self->io_->quic().close(static_cast<std::uint64_t>(http3::error::no_error));
                self->io_->flush();
            }
        });
    }
    void trim_if_idle_since(clock::time_point) override {}

    // ---- for streams ------------------------------------------------------------

    const net::any_io_executor& executor() const noexcept { return executor_; }
    http3::connection& codec() noexcept { return codec_; }
    const server_config& config() const noexcept { return state_->cfg; }
    const server_state& state() const noexcept { return *state_; }
    bool closed() const noexcept { return closed_; }
    bool bound() const noexcept { return bound_; }
    std::vector<http::field_view>& out_fields() noexcept { return out_fields_; }
    /// Something was submitted to the codec: let QUIC send it, and apply
    /// what the codec asked of the transport.
    void kick()
    {
        pump();
        if (io_)
            io_->flush();
    }
    void forget(http::stream_id id, const http3_stream* st)
    {
        if (auto* found = streams_.find(id); found && *found == st)
            streams_.erase(id);
    }
    void stream_done(http::stream_id id);

private:
    struct deferred_request {
        std::shared_ptr<http3_stream> stream;
        request::head head;
    };

    // Client-initiated bidirectional: the low two bits are 0 (RFC 9000 §2.1).
    static bool is_request_stream(http::stream_id id) noexcept { return (id & 0x3) == 0; }

    http3_stream* find(http::stream_id id)
    {
        auto* st = streams_.find(id);
        return st ? *st : nullptr;
    }

    void bind_local_streams()
    {
        if (bound_ || !io_)
            return;
        error_code ec;
        auto& quic = io_->quic();
        // Too early (no keys or no stream credit yet) is not an error: the
        // next packet or the handshake's end tries again.
        if (quic.uni_streams_left() < 3)
            return;
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
        if (draining_)
            codec_.submit_goaway();
    }

    // Applies what the codec produced: events to streams, credit and stream
    // actions to QUIC, and a failure to the whole connection.
    void pump()
    {
        while (auto ev = codec_.poll_event())
            dispatch(*ev);
        if (!io_)
            return;
        auto& quic = io_->quic();
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
        if (draining_ && streams_.size() == 0 && deferred_.empty() && !quic.closed() && bound_) {
            quic.close(static_cast<std::uint64_t>(http3::error::no_error));
        }
    }

    void begin_drain()
    {
        if (draining_ || closed_)
            return;
        draining_ = true;
        if (bound_)
            codec_.submit_goaway();
        kick();
    }

    void dispatch(http::event& ev);
    void start_stream(const http::headers& h);
    void spawn(std::shared_ptr<http3_stream> st, request::head head);
    net::awaitable<void> serve_stream(std::shared_ptr<http3_stream> st, request::head head);

    std::shared_ptr<server_state> state_;
    q::connection_io* io_;
    net::any_io_executor executor_;
    http3::connection codec_;
    net::ip::udp::endpoint peer_;
    stream_table<http3_stream*> streams_;
    std::vector<deferred_request> deferred_;
    // Request streams QUIC closed while their handler still ran.
    std::unordered_set<http::stream_id> closed_by_quic_;
    std::vector<http::field_view> out_fields_;
    bool bound_ = false;
    bool draining_ = false;
    bool closed_ = false;
    bool counted_ = false;
    bool early_ = false; // the bytes being fed came in 0-RTT packets
};

void http3_server_session::dispatch(http::event& ev)
{
    if (auto* h = std::get_if<http::headers>(&ev)) {
        start_stream(*h);
    } else if (auto* d = std::get_if<http::data>(&ev)) {
        auto* st = find(d->stream);
        if (!st || st->done_ || st->too_large_) {
            codec_.consume(d->stream, d->bytes.size());
            if (st && d->end_stream)
                st->body_end_ = true;
            return;
        }
        st->received_ += d->bytes.size();
        if (st->received_ > st->body_limit_) {
            st->too_large_ = true;
            codec_.consume(d->stream, st->discard() + d->bytes.size());
        } else {
            st->append(d->bytes);
        }
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
            st->reset_ = true;
            st->wake();
        }
    }
}

bool safe_method(std::string_view m)
{
    return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE";
}

void http3_server_session::start_stream(const http::headers& h)
{
    request::head head;
    head.method.assign(h.method);
    head.target.assign(h.target);
    head.authority.assign(h.authority);
    head.scheme.assign(h.scheme.empty() ? "https" : h.scheme);
    std::size_t bytes = 0;
    for (auto f : h.fields)
        bytes += f.name.size() + f.value.size();
    head.fields.reserve(h.fields.size(), bytes);
    for (auto f : h.fields)
        head.fields.add(f.name, f.value);
    head.version = http::version::http3;
    head.remote_address = peer_.address();
    head.remote_port = peer_.port();
    head.has_body = !h.end_stream;
    head.upgrade = h.upgrade;

    auto limit = state_->cfg.http1.max_body_bytes;
    auto st = std::make_shared<http3_stream>(shared_from_this(), h.stream, limit);
    st->body_end_ = h.end_stream;
    st->head_request_ = h.method == "HEAD";
    st->expect_continue_ = h.expect_continue;
    st->upgrade_ = h.upgrade;
    if (h.content_length >= 0 && static_cast<std::uint64_t>(h.content_length) > limit)
        st->too_large_ = true;
    streams_[h.stream] = st.get();
    if (early_ && io_ && !io_->quic().handshake_completed() && !safe_method(h.method)) {
        deferred_.push_back({std::move(st), std::move(head)});
        return;
    }
    spawn(std::move(st), std::move(head));
}

void http3_server_session::spawn(std::shared_ptr<http3_stream> st, request::head head)
{
    net::co_spawn(executor_, serve_stream(std::move(st), std::move(head)), net::detached);
}

net::awaitable<void> http3_server_session::serve_stream(std::shared_ptr<http3_stream> st, request::head head)
{
    request req{std::move(head), *st};
    response res{*st, http::version::http3};
    if (st->too_large_) {
        error_code ec;
        co_await res.send(status::content_too_large, "content too large\n", "text/plain; charset=utf-8", ec);
    } else {
        auto outcome = co_await run_handler(*state_, req, res, &st->too_large_);
        if (outcome == handler_outcome::cut && !st->reset_ && !closed_) {
            codec_.submit_reset(st->id_, http3::error::internal_error);
            kick();
        }
    }
    stream_done(st->id_);
}

void http3_server_session::stream_done(http::stream_id id)
{
    auto* found = streams_.find(id);
    if (!found)
        return;
    auto& st = **found;
    st.done_ = true;
    if (!closed_) {
        codec_.consume(id, st.discard());
        if (!st.body_end_ && !st.reset_)
            codec_.stop_receiving(id);
    }
    streams_.erase(id);
    if (closed_by_quic_.erase(id) && io_)
        io_->quic().grant_bidi_stream();
    if (!closed_)
        kick();
}

// ---- one stream ------------------------------------------------------------

http3_stream::http3_stream(std::shared_ptr<http3_server_session> conn, http::stream_id id,
                           std::uint64_t body_limit)
    : stream_inbox(conn->executor()), id_(id), body_limit_(body_limit), conn_(std::move(conn))
{}

http3_stream::~http3_stream()
{
    conn_->forget(id_, this);
}

net::any_io_executor http3_stream::executor() const
{
    return conn_->executor();
}

bool http3_stream::usable(error_code& ec) const
{
    if (reset_ || conn_->closed()) {
        ec = error::stream_closed;
        return false;
    }
    return true;
}

net::awaitable<std::size_t> http3_stream::read_body(std::span<std::byte> out, error_code& ec)
{
    ec = {};
    if (out.empty())
        co_return 0;
    if (expect_continue_ && !head_sent_ && !body_end_ && conn_->bound()) {
        expect_continue_ = false;
        conn_->codec().submit_headers(id_, http3::response_head{100, {}}, false, ec);
        conn_->kick();
        if (ec)
            co_return 0;
    }
    for (;;) {
        if (too_large_) {
            ec = error::body_too_large;
            co_return 0;
        }
        if (unread() > 0) {
            auto n = take(out);
            conn_->codec().consume(id_, n);
            conn_->kick();
            co_return n;
        }
        if (body_end_)
            co_return 0;
        if (!usable(ec))
            co_return 0;
        auto timeout = upgrade_ && head_sent_ ? conn_->config().idle_timeout : conn_->config().body_timeout;
        if (!co_await wait(timeout)) {
            ec = error::timeout;
            conn_->codec().submit_reset(id_, http3::error::request_cancelled);
            reset_ = true;
            conn_->kick();
            co_return 0;
        }
    }
}

net::awaitable<void> http3_stream::drain_output(error_code& ec)
{
    conn_->kick();
    while (conn_->codec().pending_output(id_) > write_high_water) {
        if (!usable(ec))
            co_return;
        waiting_write_ = true;
        bool in_time = co_await wait(conn_->config().write_timeout);
        waiting_write_ = false;
        if (!in_time) {
            ec = error::timeout;
            conn_->codec().submit_reset(id_, http3::error::request_cancelled);
            reset_ = true;
            conn_->kick();
            co_return;
        }
    }
}

net::awaitable<void> http3_stream::write_head(unsigned status, const http::fields& fields,
                                              std::span<const std::byte> body, bool end_stream,
                                              error_code& ec)
{
    ec = {};
    if (!usable(ec))
        co_return;
    // A handler answering a 0-RTT request may be faster than the keys that
    // let us open our control stream: wait for them (the handshake's end at worst).
    while (!conn_->bound()) {
        if (!co_await wait(conn_->config().handshake_timeout) && !conn_->bound()) {
            ec = error::timeout;
            co_return;
        }
        if (!usable(ec))
            co_return;
    }
    // An accepted extended CONNECT is a 200 on HTTP/3 (RFC 9220); handlers
    // answer 101 whatever the version.
    if (status == 101 && upgrade_) {
        status = 200;
        end_stream = false;
    }
    auto& out_fields = conn_->out_fields();
    collect_response_fields(conn_->state(), fields, out_fields);
    bool no_body = (end_stream && body.empty()) || head_request_;
    if (head_request_)
        body = {};
    conn_->codec().submit_headers(id_, http3::response_head{status, out_fields}, no_body, ec);
    if (!ec && !no_body && (!body.empty() || end_stream))
        conn_->codec().submit_data(id_, body, end_stream, ec);
    if (ec)
        co_return;
    head_sent_ = status >= 200;
    conn_->kick();
    if (conn_->codec().pending_output(id_) > write_high_water)
        co_await drain_output(ec);
}

net::awaitable<void> http3_stream::write_body(std::span<const std::byte> body, bool end_stream,
                                              error_code& ec)
{
    ec = {};
    if (head_request_ || (body.empty() && !end_stream))
        co_return;
    if (!usable(ec))
        co_return;
    conn_->codec().submit_data(id_, body, end_stream, ec);
    conn_->kick();
    if (!ec && conn_->codec().pending_output(id_) > write_high_water)
        co_await drain_output(ec);
}

net::awaitable<void> http3_stream::write_trailers(const http::fields& trailers, error_code& ec)
{
    ec = {};
    if (!usable(ec))
        co_return;
    if (head_request_) {
        conn_->codec().submit_data(id_, {}, true, ec);
    } else {
        auto& out_fields = conn_->out_fields();
        out_fields.clear();
        for (auto f : trailers)
            out_fields.push_back(f);
        conn_->codec().submit_trailers(id_, out_fields, ec);
    }
    if (!ec)
        co_await drain_output(ec);
}

} // namespace

std::shared_ptr<quic::detail::session> make_http3_server_session(quic::detail::connection_io& io,
                                                                 std::shared_ptr<server_state> state)
{
    auto s = std::make_shared<http3_server_session>(io, std::move(state));
    s->start();
    return s;
}

} // namespace strata::detail
