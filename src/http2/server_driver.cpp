// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The HTTP/2 server connection driver: one reader and one writer coroutine
// per connection around the HTTP/2 codec, and one handler coroutine per
// stream. Streams see it as detail::server_stream, like HTTP/1.1 exchanges.
//
// Back-pressure, both ways:
//  - request bodies: the codec returns flow-control credit only for bytes a
//    handler has read (http2::connection::consume), so a slow handler stalls
//    only its own stream, and memory is bounded by the windows;
//  - response bodies: a handler's write completes once its bytes fit under
//    a per-stream high-water mark in the codec; a peer that opens no window
//    makes the write wait, up to write_timeout, and then the stream is reset.

#include "../detail/handler_dispatch.hpp"
#include "../detail/server_state.hpp"
#include "../detail/stream_inbox.hpp"
#include "../detail/stream_socket.hpp"
#include "../detail/stream_table.hpp"
#include "../detail/watchdog.hpp"

#include <strata/error.hpp>
#include <strata/http2/connection.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstring>
#include <vector>

namespace strata::detail {

namespace {

using clock = std::chrono::steady_clock;

/// Response bytes a stream may have queued in the codec before its
/// handler's write waits (one frame batch; more only adds memory).
constexpr std::size_t write_high_water = 64 * 1024;
/// Request body bytes read from the socket at once.
constexpr std::size_t read_chunk = 32 * 1024;

template <class Stream>
class http2_server_connection;

/// One request/response exchange on a connection.
template <class Stream>
class http2_stream final : public server_stream, public stream_inbox {
public:
    http2_stream(std::shared_ptr<http2_server_connection<Stream>> conn, http::stream_id id,
                 std::uint64_t body_limit)
        : stream_inbox(conn->executor()), conn_(std::move(conn)), id_(id), body_limit_(body_limit)
    {}

    ~http2_stream() override { conn_->forget(id_, this); }

    net::awaitable<std::size_t> read_body(std::span<std::byte> out, error_code& ec) override;
    const http::fields& request_trailers() const noexcept override { return trailers_; }
    net::awaitable<void> write_head(unsigned status, const http::fields& fields,
                                    std::span<const std::byte> body, bool end_stream,
                                    error_code& ec) override;
    net::awaitable<void> write_body(std::span<const std::byte> body, bool end_stream,
                                    error_code& ec) override;
    net::awaitable<void> write_trailers(const http::fields& trailers, error_code& ec) override;
    void set_body_limit(std::uint64_t bytes) noexcept override { body_limit_ = bytes; }
    net::any_io_executor executor() const override { return conn_->executor(); }

    // Written by the connection's reader.
    bool too_large_ = false;
    std::uint64_t received_ = 0;

    // The request, as the handler's side needs it.
    bool head_request_ = false;
    bool expect_continue_ = false;
    bool upgrade_ = false;
    bool head_sent_ = false;
    bool done_ = false;

private:
    friend class http2_server_connection<Stream>;
    net::awaitable<void> drain_output(error_code& ec);
    bool usable(error_code& ec) const;

    std::shared_ptr<http2_server_connection<Stream>> conn_;
    http::stream_id id_;
    std::uint64_t body_limit_;
};

template <class Stream>
class http2_server_connection final : public server_connection,
                                      public std::enable_shared_from_this<http2_server_connection<Stream>> {
    using tcp = net::ip::tcp;
    static constexpr bool is_tls = is_tls_stream<Stream>;

public:
    http2_server_connection(Stream stream, std::shared_ptr<server_state> state)
        : state_(std::move(state)), stream_(std::move(stream)),
          codec_(http2::role::server, state_->cfg.http2), executor_(stream_.get_executor()),
          read_dog_(executor_), write_dog_(executor_), writer_wake_(executor_)
    {
        error_code ignored;
        peer_ = socket().remote_endpoint(ignored);
    }

    net::awaitable<void> run(std::vector<std::byte> initial);

    // server_connection
    void request_shutdown() override
    {
        net::post(executor_, [self = this->shared_from_this()] { self->begin_drain(); });
    }
    void abort() override
    {
        net::post(executor_, [self = this->shared_from_this()] { self->close_socket(); });
    }
    // An idle connection whose read started while a stream was still in
    // progress holds its read buffer; the sweeper's call lets it wait
    // without one (cleartext only: a TLS read cannot be cancelled safely).
    void trim_if_idle_since(clock::time_point) override
    {
        if constexpr (!is_tls) {
            net::post(executor_, [self = this->shared_from_this()] {
                if (self->streams_.size() != 0 || !self->reading_with_buffer_)
                    return;
                self->trimmed_ = true;
                error_code ignored;
                self->socket().cancel(ignored);
            });
        }
    }

    const net::any_io_executor& executor() const noexcept { return executor_; }
    http2::connection& codec() noexcept { return codec_; }
    const server_config& config() const noexcept { return state_->cfg; }
    const server_state& state() const noexcept { return *state_; }
    void kick_writer() { writer_wake_.cancel(); }
    bool closed() const noexcept { return closed_; }
    static constexpr bool secure() noexcept { return is_tls; }
    /// Scratch for a response head: the codec copies it at once.
    std::vector<http::field_view>& out_fields() noexcept { return out_fields_; }
    void stream_done(http::stream_id id);
    /// A stream object is going away (its handler ended, or was destroyed
    /// with the executor): it must not be found again.
    void forget(http::stream_id id, const http2_stream<Stream>* st)
    {
        if (auto* found = streams_.find(id); found && *found == st)
            streams_.erase(id);
    }

private:
    tcp::socket& socket() noexcept { return socket_of(stream_); }
    void close_socket() { close_socket_of(stream_); }
    void begin_drain()
    {
        if (draining_ || closed_)
            return;
        draining_ = true;
        codec_.submit_goaway(http2::error::no_error);
        kick_writer();
        if (streams_.size() == 0)
            finish_ = true;
    }
    bool feed(std::span<const std::byte> bytes);
    void dispatch(http::event& ev);
    void start_stream(const http::headers& h);
    net::awaitable<void> serve_stream(std::shared_ptr<http2_stream<Stream>> st, request::head head);
    net::awaitable<void> write_loop();

    std::shared_ptr<server_state> state_;
    Stream stream_;
    http2::connection codec_;
    net::any_io_executor executor_;
    watchdog read_dog_;
    watchdog write_dog_;
    net::steady_timer writer_wake_;
    net::ip::tcp::endpoint peer_;
    // Streams in progress. Each is owned by its handler's coroutine, not by
    // the connection (it owns the connection instead, while it runs), so
    // there is no cycle: a stream leaves this table when it ends or dies.
    stream_table<http2_stream<Stream>*> streams_;
    bool draining_ = false;
    bool finish_ = false; // close once the output is written
    bool closed_ = false;
    bool writer_done_ = false;
    bool writing_ = false; // the codec's last output is being written
    bool reading_with_buffer_ = false;
    bool trimmed_ = false;
    std::vector<http::field_view> out_fields_;
    net::steady_timer* writer_exit_ = nullptr;
};

// ---- the connection --------------------------------------------------------

template <class Stream>
net::awaitable<void> http2_server_connection<Stream>::run(std::vector<std::byte> initial)
{
    auto self = this->shared_from_this();
    read_dog_.start(self, [this] { close_socket(); });
    write_dog_.start(self, [this] { close_socket(); });
    if (!state_->add(this)) {
        // Over max_connections: GOAWAY before any stream tells the client to go elsewhere.
        codec_.submit_goaway(http2::error::refused_stream);
        finish_ = true;
    } else if (state_->stopping.load(std::memory_order_relaxed)) {
        begin_drain();
    }
    bool counted = !finish_;

    net::co_spawn(executor_, write_loop(), net::detached);
    if (!initial.empty())
        feed(initial);
    std::vector<std::byte>().swap(initial); // this frame lives as long as the connection

    std::vector<std::byte> buffer;
    bool first = true;
    while (!finish_ && !closed_) {
        // A connection with no stream in progress is idle; one with streams
        // is bounded by their own deadlines (body, write).
        bool idle = streams_.size() == 0;
        if (idle)
            read_dog_.expires_after(first ? state_->cfg.header_timeout : state_->cfg.idle_timeout);
        else
            read_dog_.clear();
        error_code ec;
        if constexpr (!is_tls) {
            // Idle, a cleartext connection waits for input holding no read
            // buffer (as HTTP/1.1's cold wait does). TLS cannot: OpenSSL may
            // hold decrypted bytes the socket no longer shows.
            if (idle && !first) {
                buffer = {};
                if (!writing_)
                    codec_.shrink_to_fit();
                co_await socket().async_wait(tcp::socket::wait_read,
                                             net::redirect_error(net::use_awaitable, ec));
                if (ec || finish_ || closed_) {
                    read_dog_.clear();
                    break;
                }
            }
        }
        if (buffer.empty())
            buffer.resize(read_chunk);
        reading_with_buffer_ = true;
        auto n = co_await stream_.async_read_some(net::buffer(buffer.data(), buffer.size()),
                                                  net::redirect_error(net::use_awaitable, ec));
        reading_with_buffer_ = false;
        read_dog_.clear();
        first = false;
        if (ec == net::error::operation_aborted && trimmed_ && n == 0) {
            trimmed_ = false; // the sweeper's cancel: go round to the idle wait
            continue;
        }
        trimmed_ = false;
        if (n > 0 && !feed({buffer.data(), n}))
            break;
        if (ec)
            break;
    }
    read_dog_.stop();
    // Streams still running learn that their connection is gone.
    if (!finish_) {
        closed_ = true;
        for (auto& [_, st] : streams_) {
            st->reset_ = true;
            st->wake();
        }
    }
    finish_ = true;
    kick_writer();
    // The writer flushes what is queued (a GOAWAY) and closes the socket.
    if (!writer_done_) {
        net::steady_timer exit{executor_, clock::time_point::max()};
        writer_exit_ = &exit;
        error_code ignored;
        co_await exit.async_wait(net::redirect_error(net::use_awaitable, ignored));
        writer_exit_ = nullptr;
    }
    if (counted)
        state_->remove(this);
}

// Hands bytes to the codec, dispatching events as they come; false once the
// connection is over (a GOAWAY for a violation is queued by the codec).
template <class Stream>
bool http2_server_connection<Stream>::feed(std::span<const std::byte> bytes)
{
    while (!bytes.empty()) {
        auto n = codec_.handle_bytes(bytes);
        while (auto ev = codec_.poll_event())
            dispatch(*ev);
        bytes = bytes.subspan(n);
        if (codec_.error())
            break;
    }
    kick_writer();
    if (codec_.error()) {
        finish_ = true;
        return false;
    }
    return true;
}

template <class Stream>
void http2_server_connection<Stream>::dispatch(http::event& ev)
{
    auto find = [&](http::stream_id id) -> http2_stream<Stream>* {
        auto* st = streams_.find(id);
        return st ? *st : nullptr;
    };
    if (auto* h = std::get_if<http::headers>(&ev)) {
        start_stream(*h);
    } else if (auto* d = std::get_if<http::data>(&ev)) {
        auto* st = find(d->stream);
        if (!st || st->done_ || st->too_large_) {
            codec_.consume(d->stream, d->bytes.size()); // nobody will read it
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

template <class Stream>
void http2_server_connection<Stream>::start_stream(const http::headers& h)
{
    request::head head;
    head.method.assign(h.method);
    head.target.assign(h.target);
    head.authority.assign(h.authority);
    head.scheme.assign(h.scheme.empty() ? (is_tls ? "https" : "http") : h.scheme);
    std::size_t bytes = 0;
    for (auto f : h.fields)
        bytes += f.name.size() + f.value.size();
    head.fields.reserve(h.fields.size(), bytes);
    for (auto f : h.fields)
        head.fields.add(f.name, f.value);
    head.version = http::version::http2;
    head.remote_address = peer_.address();
    head.remote_port = peer_.port();
    head.has_body = !h.end_stream;
    head.upgrade = h.upgrade;

    auto limit = state_->cfg.http1.max_body_bytes;
    auto st = std::make_shared<http2_stream<Stream>>(this->shared_from_this(), h.stream, limit);
    st->body_end_ = h.end_stream;
    st->head_request_ = h.method == "HEAD";
    st->expect_continue_ = h.expect_continue;
    st->upgrade_ = h.upgrade;
    if (h.content_length >= 0 && static_cast<std::uint64_t>(h.content_length) > limit)
        st->too_large_ = true;
    streams_[h.stream] = st.get();
    net::co_spawn(executor_, serve_stream(std::move(st), std::move(head)), net::detached);
}

template <class Stream>
net::awaitable<void> http2_server_connection<Stream>::serve_stream(std::shared_ptr<http2_stream<Stream>> st,
                                                                   request::head head)
{
    request req{std::move(head), *st};
    response res{*st, http::version::http2};
    if (st->too_large_) {
        // Content-Length already says the body is over the limit: answer
        // before the client spends its bandwidth on it.
        error_code ec;
        co_await res.send(status::content_too_large, "content too large\n", "text/plain; charset=utf-8", ec);
    } else {
        auto outcome = co_await run_handler(*state_, req, res, &st->too_large_);
        if (outcome == handler_outcome::cut && !st->reset_ && !closed_)
            codec_.submit_reset(st->id_, http2::error::internal_error);
    }
    stream_done(st->id_);
}

template <class Stream>
void http2_server_connection<Stream>::stream_done(http::stream_id id)
{
    auto* found = streams_.find(id);
    if (!found)
        return;
    auto& st = **found;
    st.done_ = true;
    if (!closed_) {
        // Give back the credit of what the handler left unread, and tell a
        // client still sending that the rest is not wanted (RFC 9113 §8.1).
        codec_.consume(id, st.discard());
        if (!st.body_end_ && !st.reset_)
            codec_.stop_receiving(id);
    }
    streams_.erase(id);
    if (draining_ && streams_.size() == 0)
        finish_ = true;
    kick_writer();
}

template <class Stream>
net::awaitable<void> http2_server_connection<Stream>::write_loop()
{
    auto self = this->shared_from_this();
    for (;;) {
        auto buffers = codec_.poll_output();
        // Stream queues drained into frames: writes waiting on them go on.
        for (auto& [_, st] : streams_)
            if (st->waiting_write_)
                st->wake();
        if (buffers.empty()) {
            if (finish_ || closed_ || codec_.finished())
                break;
            writer_wake_.expires_at(clock::time_point::max());
            error_code ignored;
            co_await writer_wake_.async_wait(net::redirect_error(net::use_awaitable, ignored));
            continue;
        }
        error_code ec;
        write_dog_.expires_after(state_->cfg.write_timeout);
        writing_ = true;
        co_await net::async_write(stream_, buffers, net::redirect_error(net::use_awaitable, ec));
        writing_ = false;
        write_dog_.clear();
        if (ec) {
            closed_ = true;
            break;
        }
    }
    write_dog_.stop();
    if constexpr (!is_tls) {
        error_code ignored;
        socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    close_socket();
    writer_done_ = true;
    if (writer_exit_)
        writer_exit_->cancel();
}

// ---- one stream ------------------------------------------------------------

template <class Stream>
bool http2_stream<Stream>::usable(error_code& ec) const
{
    if (reset_ || conn_->closed()) {
        ec = error::stream_closed;
        return false;
    }
    return true;
}

template <class Stream>
net::awaitable<std::size_t> http2_stream<Stream>::read_body(std::span<std::byte> out, error_code& ec)
{
    ec = {};
    if (out.empty())
        co_return 0;
    if (expect_continue_ && !head_sent_ && !body_end_) {
        expect_continue_ = false;
        conn_->codec().submit_headers(id_, http2::response_head{100, {}}, false, ec);
        conn_->kick_writer();
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
            conn_->kick_writer();
            co_return n;
        }
        if (body_end_)
            co_return 0;
        if (!usable(ec))
            co_return 0;
        // An upgraded stream (extended CONNECT) is quiet as long as its
        // protocol likes: the idle deadline bounds it, not the body one.
        auto timeout = upgrade_ && head_sent_ ? conn_->config().idle_timeout : conn_->config().body_timeout;
        if (!co_await wait(timeout)) {
            ec = error::timeout;
            conn_->codec().submit_reset(id_, http2::error::cancel);
            reset_ = true;
            conn_->kick_writer();
            co_return 0;
        }
    }
}

template <class Stream>
net::awaitable<void> http2_stream<Stream>::drain_output(error_code& ec)
{
    conn_->kick_writer();
    while (conn_->codec().pending_output(id_) > write_high_water) {
        if (!usable(ec))
            co_return;
        waiting_write_ = true;
        bool in_time = co_await wait(conn_->config().write_timeout);
        waiting_write_ = false;
        if (!in_time) {
            // The peer keeps its window shut: give up on this stream only.
            ec = error::timeout;
            conn_->codec().submit_reset(id_, http2::error::cancel);
            reset_ = true;
            conn_->kick_writer();
            co_return;
        }
    }
}

template <class Stream>
net::awaitable<void> http2_stream<Stream>::write_head(unsigned status, const http::fields& fields,
                                                      std::span<const std::byte> body, bool end_stream,
                                                      error_code& ec)
{
    ec = {};
    if (!usable(ec))
        co_return;
    // An accepted extended CONNECT is a 200 on HTTP/2 (RFC 8441 §5); handlers
    // answer 101 whatever the version.
    if (status == 101 && upgrade_) {
        status = 200;
        end_stream = false;
    }
    auto& out_fields = conn_->out_fields();
    collect_response_fields(conn_->state(), fields, out_fields, conn_->secure());
    bool no_body = (end_stream && body.empty()) || head_request_;
    if (head_request_)
        body = {};
    conn_->codec().submit_headers(id_, http2::response_head{status, out_fields}, no_body, ec);
    if (!ec && !no_body && (!body.empty() || end_stream))
        conn_->codec().submit_data(id_, body, end_stream, ec);
    if (ec)
        co_return;
    head_sent_ = status >= 200;
    conn_->kick_writer();
    // Most responses fit under the mark: no waiting, and no coroutine frame for it.
    if (conn_->codec().pending_output(id_) > write_high_water)
        co_await drain_output(ec);
}

template <class Stream>
net::awaitable<void> http2_stream<Stream>::write_body(std::span<const std::byte> body, bool end_stream,
                                                      error_code& ec)
{
    ec = {};
    if (head_request_ || (body.empty() && !end_stream))
        co_return;
    if (!usable(ec))
        co_return;
    conn_->codec().submit_data(id_, body, end_stream, ec);
    conn_->kick_writer();
    if (!ec && conn_->codec().pending_output(id_) > write_high_water)
        co_await drain_output(ec);
}

template <class Stream>
net::awaitable<void> http2_stream<Stream>::write_trailers(const http::fields& trailers, error_code& ec)
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

template <class Stream>
net::awaitable<void> serve(Stream stream, std::shared_ptr<server_state> state, std::vector<std::byte> initial)
{
    auto conn = std::make_shared<http2_server_connection<Stream>>(std::move(stream), std::move(state));
    co_await conn->run(std::move(initial));
}

} // namespace

net::awaitable<void> serve_http2(net::ip::tcp::socket socket, std::shared_ptr<server_state> state,
                                 std::vector<std::byte> initial)
{
    return serve(std::move(socket), std::move(state), std::move(initial));
}

net::awaitable<void> serve_http2(tls_stream stream, std::shared_ptr<server_state> state)
{
    return serve(std::move(stream), std::move(state), {});
}

} // namespace strata::detail
