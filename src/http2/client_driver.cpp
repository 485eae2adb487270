// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The HTTP/2 client connection driver: one session per connection, shared
// by every request the pool sends to that origin, each on its own stream.
//
// The session reads only while a stream waits for the server: an idle
// pooled connection holds no pending operation, so io_context::run()
// returns when only idle connections remain (as with HTTP/1.1). A PING or
// GOAWAY the server sent meanwhile is read with the next request.

#include "../detail/client_connection.hpp"
#include "../detail/stream_inbox.hpp"
#include "../detail/stream_socket.hpp"
#include "../detail/watchdog.hpp"

#include <strata/error.hpp>
#include <strata/http2/connection.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <charconv>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace strata::detail {

namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t write_high_water = 64 * 1024;
constexpr std::size_t read_chunk = 32 * 1024;
/// RFC 9110 §10.1.1: how long a client waits for 100 Continue before sending anyway.
constexpr std::chrono::milliseconds continue_wait{1000};

template <class Stream>
class http2_session;

template <class Stream>
class http2_client_stream final : public client_connection, public stream_inbox {
public:
    http2_client_stream(std::shared_ptr<http2_session<Stream>> session, const client_config& cfg)
        : stream_inbox(session->executor()), session_(std::move(session)), cfg_(cfg)
    {}
    ~http2_client_stream() override;

    net::awaitable<void> send(const client_request& req, const url& target, response_head& out,
                              error_code& ec) override;
    net::awaitable<std::size_t> read_body(std::span<std::byte> out, error_code& ec) override;
    bool body_done() const noexcept override { return head_done_ && body_end_ && unread() == 0; }
    const http::fields& trailers() const noexcept override { return trailers_; }
    bool reusable() const noexcept override { return false; }
    bool got_response_bytes() const noexcept override { return head_done_; }
    http::version version() const noexcept override { return http::version::http2; }
    void close() override { cancel(); }
    void park() override {}
    bool multiplexed() const noexcept override { return true; }
    bool refused() const noexcept override { return refused_; }

    void cancel();

    // Written by the session's reader.
    http::stream_id id_ = 0;
    bool head_done_ = false;
    bool got_continue_ = false;
    response_head head_;
    bool refused_ = false;
    error_code reset_code_;
    bool local_ended_ = false;

private:
    net::awaitable<void> drain_output(error_code& ec);
    net::awaitable<void> send_body(const client_request& req, error_code& ec);
    net::awaitable<void> read_head(response_head& out, std::chrono::milliseconds timeout, error_code& ec);
    bool failed(error_code& ec) const;

    std::shared_ptr<http2_session<Stream>> session_;
    const client_config& cfg_;
    std::vector<http::field_view> out_fields_;
};

template <class Stream>
class http2_session final : public multiplexed_session,
                            public std::enable_shared_from_this<http2_session<Stream>> {
    using tcp = net::ip::tcp;
    static constexpr bool is_tls = is_tls_stream<Stream>;

public:
    http2_session(Stream stream, const client_config& cfg)
        : cfg_(cfg), stream_(std::move(stream)), codec_(http2::role::client, cfg.http2),
          executor_(stream_.get_executor()), read_dog_(executor_), write_dog_(executor_),
          writer_wake_(executor_)
    {}
    ~http2_session() override
    {
        read_dog_.stop();
        write_dog_.stop();
    }

    void start()
    {
        auto self = this->shared_from_this();
        read_dog_.start(self, [this] { close_socket(); });
        write_dog_.start(self, [this] { close_socket(); });
        kick_writer(); // the preface and SETTINGS
    }

    // Until the server's SETTINGS arrive its stream limit is unknown: one
    // request goes ahead, the others wait the round trip rather than risk
    // being refused (RFC 9113 §6.5.2 lets the limit be anything).
    bool can_open_stream() const noexcept override
    {
        return !dead_ && codec_.can_open_stream() && (settings_received_ || streams_.empty());
    }
    bool usable() const noexcept override { return !dead_ && !codec_.going_away(); }
    bool awaiting_settings() const noexcept override { return usable() && !settings_received_; }
    bool used() const noexcept override { return used_; }
    bool idle() const noexcept override { return streams_.empty(); }
    std::shared_ptr<client_connection> open_stream() override
    {
        used_ = true;
        return std::make_shared<http2_client_stream<Stream>>(this->shared_from_this(), cfg_);
    }
    void close() override
    {
        dead_ = true;
        close_socket();
    }

    const net::any_io_executor& executor() const noexcept { return executor_; }
    http2::connection& codec() noexcept { return codec_; }
    bool dead() const noexcept { return dead_; }

    void attach(http2_client_stream<Stream>* st) { streams_[st->id_] = st; }
    void detach(http::stream_id id)
    {
        streams_.erase(id);
        if (on_stream_closed)
            on_stream_closed();
    }
    /// Makes sure something reads while a stream waits for the server.
    void ensure_reading()
    {
        if (!reading_ && !dead_) {
            reading_ = true;
            net::co_spawn(executor_, read_loop(this->shared_from_this()), net::detached);
        }
    }
    void kick_writer()
    {
        if (dead_)
            return;
        if (!writing_) {
            writing_ = true;
            net::co_spawn(executor_, write_loop(this->shared_from_this()), net::detached);
        } else {
            writer_wake_.cancel();
        }
    }

private:
    tcp::socket& socket() noexcept { return socket_of(stream_); }
    void close_socket() { close_socket_of(stream_); }
    bool waiting_for_server() const
    {
        for (auto& [_, st] : streams_)
            if (!st->reset_ && (!st->head_done_ || !st->body_end_))
                return true;
        return false;
    }
    void fail_all(error_code ec)
    {
        dead_ = true;
        for (auto& [_, st] : streams_) {
            if (!st->reset_ && !(st->head_done_ && st->body_end_)) {
                st->reset_ = true;
                st->reset_code_ = ec;
            }
            st->wake();
        }
        // Requests waiting for this connection (its SETTINGS, a free
        // stream) must look elsewhere now.
        if (on_capacity)
            on_capacity();
    }
    void dispatch(http::event& ev);
    net::awaitable<void> read_loop(std::shared_ptr<http2_session> self);
    net::awaitable<void> write_loop(std::shared_ptr<http2_session> self);

    const client_config& cfg_;
    Stream stream_;
    http2::connection codec_;
    net::any_io_executor executor_;
    watchdog read_dog_;
    watchdog write_dog_;
    net::steady_timer writer_wake_;
    std::unordered_map<http::stream_id, http2_client_stream<Stream>*> streams_;
    bool reading_ = false;
    bool writing_ = false;
    bool dead_ = false;
    bool used_ = false;
    bool settings_received_ = false;
};

// ---- session ---------------------------------------------------------------

template <class Stream>
void http2_session<Stream>::dispatch(http::event& ev)
{
    auto find = [&](http::stream_id id) -> http2_client_stream<Stream>* {
        auto it = streams_.find(id);
        return it == streams_.end() ? nullptr : it->second;
    };
    if (auto* h = std::get_if<http::headers>(&ev)) {
        if (auto* st = find(h->stream)) {
            st->head_.status = h->status;
            st->head_.fields = http::fields{h->fields};
            st->head_.version = http::version::http2;
            st->head_done_ = true;
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
                st->refused_ = r->code == http2::error::refused_stream;
            }
            st->wake();
        }
    } else if (std::holds_alternative<http::settings>(ev)) {
        settings_received_ = true;
        if (on_capacity)
            on_capacity(); // requests waiting for the limit may go now
    } else if (auto* g = std::get_if<http::goaway>(&ev)) {
        // Streams above last_stream were never processed: safe to retry elsewhere.
        for (auto& [id, st] : streams_) {
            if (id > g->last_stream && !st->head_done_) {
                st->reset_ = true;
                st->refused_ = true;
                st->reset_code_ = make_error_code(http2::error::refused_stream);
                st->wake();
            }
        }
        if (on_capacity)
            on_capacity(); // waiters must stop counting on this connection
    }
}

template <class Stream>
net::awaitable<void> http2_session<Stream>::read_loop(std::shared_ptr<http2_session> /*keep*/)
{
    std::vector<std::byte> buffer(read_chunk);
    while (!dead_ && waiting_for_server()) {
        error_code ec;
        // Per-stream deadlines bound each request; this one only catches a
        // connection that went silent with everything in flight.
        // A server's preface (its SETTINGS) is due at once (RFC 9113 §3.4):
        // the handshake deadline bounds it, and so the requests waiting for it.
        read_dog_.expires_after(settings_received_ ? std::max(cfg_.response_timeout, cfg_.body_timeout)
                                                   : cfg_.handshake_timeout);
        auto n = co_await stream_.async_read_some(net::buffer(buffer.data(), buffer.size()),
                                                  net::redirect_error(net::use_awaitable, ec));
        read_dog_.clear();
        std::span<const std::byte> in{buffer.data(), n};
        while (!in.empty()) {
            auto used = codec_.handle_bytes(in);
            while (auto ev = codec_.poll_event())
                dispatch(*ev);
            in = in.subspan(used);
            if (codec_.error())
                break;
        }
        kick_writer();
        if (codec_.error()) {
            fail_all(codec_.error());
            break;
        }
        if (ec) {
            fail_all(read_dog_.expired() ? error_code{error::timeout} : ec);
            break;
        }
    }
    reading_ = false;
    read_dog_.park(); // no wait may outlive the reads: idle sessions hold nothing pending
    if (dead_)
        close_socket();
}

template <class Stream>
net::awaitable<void> http2_session<Stream>::write_loop(std::shared_ptr<http2_session> /*keep*/)
{
    for (;;) {
        auto buffers = codec_.poll_output();
        for (auto& [_, st] : streams_)
            if (st->waiting_write_)
                st->wake();
        if (buffers.empty()) {
            if (dead_ || streams_.empty())
                break; // nothing more to say until a stream needs it: no pending wait
            writer_wake_.expires_at(clock::time_point::max());
            error_code ignored;
            co_await writer_wake_.async_wait(net::redirect_error(net::use_awaitable, ignored));
            continue;
        }
        error_code ec;
        write_dog_.expires_after(cfg_.response_timeout);
        co_await net::async_write(stream_, buffers, net::redirect_error(net::use_awaitable, ec));
        write_dog_.clear();
        if (ec) {
            fail_all(write_dog_.expired() ? error_code{error::timeout} : ec);
            close_socket();
            break;
        }
    }
    writing_ = false;
    write_dog_.park();
}

// ---- stream ----------------------------------------------------------------

template <class Stream>
http2_client_stream<Stream>::~http2_client_stream()
{
    if (id_ != 0) {
        if (!(head_done_ && body_end_) && !reset_)
            session_->codec().submit_reset(id_, http2::error::cancel);
        else if (!local_ended_ && !reset_)
            session_->codec().submit_reset(id_, http2::error::no_error); // body never sent: close our half
        // Give back the window of what nobody will read.
        session_->codec().consume(id_, discard());
        session_->detach(id_);
        session_->kick_writer();
    }
}

template <class Stream>
void http2_client_stream<Stream>::cancel()
{
    if (id_ != 0 && !reset_ && !(head_done_ && body_end_)) {
        session_->codec().submit_reset(id_, http2::error::cancel);
        reset_ = true;
        reset_code_ = make_error_code(http2::error::cancel);
        session_->kick_writer();
    }
}

template <class Stream>
bool http2_client_stream<Stream>::failed(error_code& ec) const
{
    if (reset_) {
        ec = reset_code_ ? reset_code_ : error_code{error::stream_closed};
        return true;
    }
    if (session_->dead()) {
        ec = error::stream_closed;
        return true;
    }
    return false;
}

template <class Stream>
net::awaitable<void> http2_client_stream<Stream>::send(const client_request& req, const url& target,
                                                       response_head& out, error_code& ec)
{
    ec = {};
    auto& codec = session_->codec();
    bool streamed = static_cast<bool>(req.body_source);
    bool has_body = streamed || !req.body.empty();
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
    auto id = codec.next_stream_id();
    codec.submit_headers(
        id, http2::request_head{req.method, target.scheme, authority, target.target, {}, out_fields_},
        !has_body, ec);
    if (ec) {
        refused_ = true; // nothing was sent: another connection may take it
        co_return;
    }
    id_ = id;
    session_->attach(this);
    local_ended_ = !has_body;
    if (has_body && !expect && !streamed) {
        codec.submit_data(id_, {reinterpret_cast<const std::byte*>(req.body.data()), req.body.size()}, true,
                          ec);
        local_ended_ = true;
    }
    session_->kick_writer();
    session_->ensure_reading();
    if (ec)
        co_return;
    if (expect) {
        // Wait for 100 Continue, the final answer, or a second. A final
        // answer first means the server does not want the body: it is not
        // sent, and the stream is reset once the response is read.
        auto deadline = clock::now() + continue_wait;
        while (!got_continue_ && !head_done_ && !reset_ && clock::now() < deadline)
            co_await wait(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()));
    }
    if (has_body && (expect || streamed) && !head_done_) {
        co_await send_body(req, ec);
        if (ec)
            co_return;
    }
    co_await read_head(out, cfg_.response_timeout, ec);
}

template <class Stream>
net::awaitable<void> http2_client_stream<Stream>::send_body(const client_request& req, error_code& ec)
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

template <class Stream>
net::awaitable<void> http2_client_stream<Stream>::drain_output(error_code& ec)
{
    session_->kick_writer();
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

template <class Stream>
net::awaitable<void> http2_client_stream<Stream>::read_head(response_head& out,
                                                            std::chrono::milliseconds timeout, error_code& ec)
{
    auto deadline = clock::now() + timeout;
    while (!head_done_) {
        if (failed(ec))
            co_return;
        session_->ensure_reading();
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

template <class Stream>
net::awaitable<std::size_t> http2_client_stream<Stream>::read_body(std::span<std::byte> out, error_code& ec)
{
    ec = {};
    if (out.empty())
        co_return 0;
    for (;;) {
        if (unread() > 0) {
            auto n = take(out);
            session_->codec().consume(id_, n);
            session_->kick_writer();
            co_return n;
        }
        if (body_end_)
            co_return 0;
        if (failed(ec))
            co_return 0;
        session_->ensure_reading();
        if (!co_await wait(cfg_.body_timeout)) {
            if (unread() > 0 || body_end_)
                continue;
            ec = error::timeout;
            cancel();
            co_return 0;
        }
    }
}

template <class Stream>
std::shared_ptr<multiplexed_session> make(Stream stream, const client_config& cfg)
{
    auto s = std::make_shared<http2_session<Stream>>(std::move(stream), cfg);
    s->start();
    return s;
}

} // namespace

std::shared_ptr<multiplexed_session> make_http2_session(net::ip::tcp::socket socket, const client_config& cfg)
{
    return make(std::move(socket), cfg);
}

std::shared_ptr<multiplexed_session> make_http2_session(tls_client_stream stream, const client_config& cfg)
{
    return make(std::move(stream), cfg);
}

} // namespace strata::detail
