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
#include "../detail/multiplexed_server_stream.hpp"
#include "../detail/server_state.hpp"
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

/// Request body bytes read from the socket at once.
constexpr std::size_t read_chunk = 32 * 1024;

template <class Stream>
class http2_server_connection;

template <class Stream>
using http2_stream = multiplexed_server_stream<http2_server_connection<Stream>>;

template <class Stream>
class http2_server_connection final : public server_connection,
                                      public std::enable_shared_from_this<http2_server_connection<Stream>> {
    using tcp = net::ip::tcp;
    static constexpr bool is_tls = is_tls_stream<Stream>;

public:
    // For multiplexed_server_stream.
    using codec_type = http2::connection;
    using response_head = http2::response_head;
    /// Response bytes a stream may have queued in the codec before its
    /// handler's write waits (one frame batch; more only adds memory).
    static constexpr std::size_t write_high_water = 64 * 1024;
    static constexpr auto cancel_code = http2::error::cancel;
    static constexpr auto internal_error_code = http2::error::internal_error;
    static constexpr auto version = http::version::http2;

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
    /// Something was submitted to the codec: wake the writer.
    void kick() { writer_wake_.cancel(); }
    bool closed() const noexcept { return closed_; }
    static constexpr bool ready_to_respond() noexcept { return true; }
    /// Over TLS, responses advertise the server's HTTP/3 listener.
    static constexpr bool advertise_alt_svc() noexcept { return is_tls; }
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
        // Copied first: a hook may end its stream, which leaves the table.
        std::vector<http2_stream<Stream>*> open;
        for (auto& entry : streams_)
            open.push_back(entry.second);
        for (auto* st : open)
            st->shutting_down();
        kick();
        if (streams_.size() == 0)
            finish_ = true;
    }
    bool feed(std::span<const std::byte> bytes);
    void dispatch(http::event& ev);
    void start_stream(const http::headers& h);
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
    kick();
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
    kick();
    if (codec_.error()) {
        finish_ = true;
        return false;
    }
    return true;
}

template <class Stream>
void http2_server_connection<Stream>::dispatch(http::event& ev)
{
    dispatch_request_event<http2_server_connection>(codec_, streams_, ev,
                                                    [this](const http::headers& h) { start_stream(h); });
}

template <class Stream>
void http2_server_connection<Stream>::start_stream(const http::headers& h)
{
    auto head = make_request_head(h, is_tls ? "https" : "http", version, peer_.address(), peer_.port());
    auto st =
        std::make_shared<http2_stream<Stream>>(this->shared_from_this(), h, state_->cfg.http1.max_body_bytes);
    streams_[h.stream] = st.get();
    net::co_spawn(executor_, serve_stream(this->shared_from_this(), *state_, std::move(st), std::move(head)),
                  net::detached);
}

template <class Stream>
void http2_server_connection<Stream>::stream_done(http::stream_id id)
{
    if (!retire_stream<http2_server_connection>(codec_, streams_, id, closed_))
        return;
    if (draining_ && streams_.size() == 0)
        finish_ = true;
    kick();
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
