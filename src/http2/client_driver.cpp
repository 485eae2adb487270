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
#include "../detail/multiplexed_client_stream.hpp"
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

#include <cstring>
#include <unordered_map>
#include <vector>

namespace strata::detail {

namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t read_chunk = 32 * 1024;

template <class Stream>
class http2_session;

template <class Stream>
using http2_client_stream = multiplexed_client_stream<http2_session<Stream>>;

template <class Stream>
class http2_session final : public multiplexed_session,
                            public std::enable_shared_from_this<http2_session<Stream>> {
    using tcp = net::ip::tcp;
    static constexpr bool is_tls = is_tls_stream<Stream>;

public:
    // For multiplexed_client_stream.
    using request_head = http2::request_head;
    /// Request bytes a stream may have queued in the codec before a body
    /// write waits (one frame batch; more only adds memory).
    static constexpr std::size_t write_high_water = 64 * 1024;
    static constexpr auto cancel_code = http2::error::cancel;
    static constexpr auto refused_code = http2::error::refused_stream;
    static constexpr http::stream_id no_stream = 0; // client streams are odd
    static constexpr bool has_early_data = false;
    static constexpr auto version = http::version::http2;

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
        kick(); // the preface and SETTINGS
    }

    // Until the server's SETTINGS arrive its stream limit is unknown
    // (RFC 9113 §6.5.2 lets it be anything). Requests go at once, as
    // browsers send them, up to the 100 nghttp2 assumes meanwhile: waiting
    // would cost every page a round trip. A server with a lower limit
    // refuses the excess (REFUSED_STREAM), and the client sends it again.
    bool can_open_stream() const noexcept override { return !dead_ && codec_.can_open_stream(); }
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
    static error_code close_error() noexcept { return error::stream_closed; }
    /// The codec outlives the socket: commands on a dead session are harmless.
    static constexpr bool can_submit() noexcept { return true; }
    http::stream_id submit_request(const http2::request_head& head, bool end_stream, error_code& ec)
    {
        auto id = codec_.next_stream_id();
        codec_.submit_headers(id, head, end_stream, ec);
        return id;
    }

    void attach(http2_client_stream<Stream>* st) { streams_[st->id_] = st; }
    void detach(http::stream_id id)
    {
        streams_.erase(id);
        if (on_stream_closed)
            on_stream_closed();
    }
    /// The server's SETTINGS arrived (an extended CONNECT needs to know
    /// whether it allows one, RFC 8441 §3).
    bool peer_settings_known() const noexcept { return settings_received_; }
    net::awaitable<void> wait_peer_settings(http2_client_stream<Stream>& st,
                                            std::chrono::milliseconds timeout)
    {
        auto deadline = clock::now() + timeout;
        settings_waiters_.push_back(&st);
        while (!settings_received_ && !dead_) {
            ensure_reading();
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0)
                break;
            co_await st.wait(left);
        }
        std::erase(settings_waiters_, &st);
    }
    /// A stream's deadline: the connection's silence deadline covers the longest.
    void note_deadline(std::chrono::milliseconds d) noexcept
    {
        longest_deadline_ = std::max(longest_deadline_, d);
    }
    /// Makes sure something reads while a stream waits for the server.
    void ensure_reading()
    {
        if (!reading_ && !dead_) {
            reading_ = true;
            net::co_spawn(executor_, read_loop(this->shared_from_this()), net::detached);
        }
    }
    void kick()
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
        if (!settings_waiters_.empty())
            return true;
        for (auto& [_, st] : streams_)
            if (!st->reset_ && (!st->head_done_ || !st->body_end_))
                return true;
        return false;
    }
    void fail_all(error_code ec)
    {
        dead_ = true;
        for (auto& [_, st] : streams_)
            st->fail(ec);
        for (auto* st : settings_waiters_)
            st->wake();
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
    std::chrono::milliseconds longest_deadline_ = std::max(cfg_.response_timeout, cfg_.body_timeout);
    watchdog write_dog_;
    net::steady_timer writer_wake_;
    std::unordered_map<http::stream_id, http2_client_stream<Stream>*> streams_;
    std::vector<http2_client_stream<Stream>*> settings_waiters_;
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
    if (dispatch_response_event(*this, ev, find))
        return;
    if (std::holds_alternative<http::settings>(ev)) {
        settings_received_ = true;
        for (auto* st : settings_waiters_)
            st->wake();
        if (on_capacity)
            on_capacity(); // requests waiting for the limit may go now
    } else if (auto* g = std::get_if<http::goaway>(&ev)) {
        // Streams above last_stream were never processed: safe to retry elsewhere.
        for (auto& [id, st] : streams_) {
            if (id > g->last_stream && !st->head_done_)
                st->refuse();
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
        read_dog_.expires_after(settings_received_ ? longest_deadline_ : cfg_.handshake_timeout);
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
        kick();
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
