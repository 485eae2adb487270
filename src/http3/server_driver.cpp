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
#include "../detail/multiplexed_server_stream.hpp"
#include "../detail/server_state.hpp"
#include "../detail/stream_table.hpp"
#include "../transport/quic/endpoint.hpp"
#include "quic_glue.hpp"

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

class http3_server_session;
using http3_stream = multiplexed_server_stream<http3_server_session>;

class http3_server_session final : public q::session,
                                   public server_connection,
                                   public std::enable_shared_from_this<http3_server_session> {
public:
    // For multiplexed_server_stream.
    using codec_type = http3::connection;
    using response_head = http3::response_head;
    /// Response bytes a stream may have unacknowledged before its handler's
    /// write waits.
    static constexpr std::size_t write_high_water = 256 * 1024;
    static constexpr auto cancel_code = http3::error::request_cancelled;
    static constexpr auto internal_error_code = http3::error::internal_error;
    static constexpr auto version = http::version::http3;

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
    /// The codec sends nothing on a request stream before our control and
    /// QPACK streams are bound (bind_local_streams).
    bool ready_to_respond() const noexcept { return bound_; }
    /// Responses on HTTP/3 need not advertise it again.
    static constexpr bool advertise_alt_svc() noexcept { return false; }
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
        // Too early (no keys or no stream credit yet) is not an error: the
        // next packet or the handshake's end tries again.
        if (bound_ || !io_ || !bind_http3_streams(codec_, io_->quic()))
            return;
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
        apply_http3_actions(codec_, quic);
        // Closing the connection drops what QUIC still has to (re)send:
        // wait until every request stream is closed at the QUIC level too,
        // that is, its response was acknowledged.
        if (draining_ && streams_.size() == 0 && deferred_.empty() && codec_.active_streams() == 0 &&
            !quic.closed() && bound_) {
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
        // Copied first: a hook may end its stream, which leaves the table.
        std::vector<http3_stream*> open;
        for (auto& entry : streams_)
            open.push_back(entry.second);
        for (auto* st : open)
            st->shutting_down();
    }

    void dispatch(http::event& ev);
    void start_stream(const http::headers& h);
    void spawn(std::shared_ptr<http3_stream> st, request::head head);

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
    dispatch_request_event<http3_server_session>(codec_, streams_, ev,
                                                 [this](const http::headers& h) { start_stream(h); });
}

bool safe_method(std::string_view m)
{
    return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE";
}

void http3_server_session::start_stream(const http::headers& h)
{
    auto head = make_request_head(h, "https", version, peer_.address(), peer_.port());
    auto st = std::make_shared<http3_stream>(shared_from_this(), h, state_->cfg.http1.max_body_bytes);
    streams_[h.stream] = st.get();
    if (early_ && io_ && !io_->quic().handshake_completed() && !safe_method(h.method)) {
        deferred_.push_back({std::move(st), std::move(head)});
        return;
    }
    spawn(std::move(st), std::move(head));
}

void http3_server_session::spawn(std::shared_ptr<http3_stream> st, request::head head)
{
    net::co_spawn(executor_, serve_stream(shared_from_this(), *state_, std::move(st), std::move(head)),
                  net::detached);
}

void http3_server_session::stream_done(http::stream_id id)
{
    if (!retire_stream<http3_server_session>(codec_, streams_, id, closed_))
        return;
    if (closed_by_quic_.erase(id) && io_)
        io_->quic().grant_bidi_stream();
    if (!closed_)
        kick();
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
