// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The HTTP/1.1 server connection driver: the only place where a TCP or TLS
// stream meets the HTTP/1.1 codec on the server side. It owns the buffers
// (through the codec), the deadline and the write path; handlers see it only
// as a detail::server_stream.

#include "../detail/handler_dispatch.hpp"
#include "../detail/request_head.hpp"
#include "../detail/server_state.hpp"
#include "stream_io.hpp"

#include <strata/error.hpp>
#include <strata/http1/connection.hpp>

#include <boost/asio/post.hpp>

#include <atomic>
#include <vector>

namespace strata::detail {

namespace {

/// Bytes of an unread request body the server reads and drops to keep the
/// connection alive after the handler answered; beyond that it closes.
constexpr std::size_t max_drain_bytes = 256 * 1024;

template <class Stream>
class http1_server_connection final : public server_stream,
                                      public server_connection,
                                      public std::enable_shared_from_this<http1_server_connection<Stream>> {
    using io_type = http1_stream_io<Stream>;
    static constexpr bool is_tls = io_type::is_tls;

public:
    http1_server_connection(Stream stream, std::shared_ptr<server_state> state,
                            std::span<const std::byte> initial)
        : state_(std::move(state)), io_(std::move(stream), http1::role::server, state_->cfg.http1),
          executor_(io_.stream_.get_executor())
    {
        error_code ignored; // a peer that already left has no address; its reads will fail
        peer_ = io_.socket().remote_endpoint(ignored);
        if (!initial.empty()) {
            io_.codec_.handle_bytes(initial);
            io_.got_bytes_ = true;
        }
    }

    net::awaitable<void> run();

    // server_stream
    net::awaitable<std::size_t> read_body(std::span<std::byte> out, error_code& ec) override;
    net::awaitable<void> wait_readable(error_code& ec) override;
    const http::fields& request_trailers() const noexcept override { return io_.trailers_; }
    net::awaitable<void> write_head(unsigned status, const http::fields& fields,
                                    std::span<const std::byte> body, bool end_stream,
                                    error_code& ec) override;
    net::awaitable<void> write_body(std::span<const std::byte> body, bool end_stream,
                                    error_code& ec) override;
    net::awaitable<void> write_body_pieces(std::span<const net::const_buffer> pieces,
                                           error_code& ec) override;
    net::awaitable<void> write_trailers(const http::fields& trailers, error_code& ec) override;
    void set_body_limit(std::uint64_t bytes) noexcept override { io_.codec_.set_body_limit(bytes); }
    net::any_io_executor executor() const override { return executor_; }
    void abort_exchange() noexcept override
    {
        io_.broken_ = true;
        io_.close_socket();
    }

    // server_connection
    void request_shutdown() override
    {
        net::post(executor(), [self = this->shared_from_this()] {
            if (self->idle_)
                self->io_.close_socket();
            else
                self->shutting_down();
        });
    }
    void trim_if_idle_since(watchdog::clock::time_point cutoff) override
    {
        if (!hot_.load(std::memory_order_relaxed) ||
            idle_since_.load(std::memory_order_relaxed) > cutoff.time_since_epoch().count())
            return;
        net::post(executor(), [self = this->shared_from_this()] {
            if (!self->hot_.load(std::memory_order_relaxed))
                return;
            self->trimmed_ = true;
            error_code ignored;
            self->io_.socket().cancel(ignored);
        });
    }
    void abort() override
    {
        net::post(executor(), [self = this->shared_from_this()] { self->io_.close_socket(); });
    }

private:
    net::awaitable<void> flush(error_code& ec) { return io_.flush(state_->cfg.write_timeout, ec); }
    bool stopping() const noexcept { return state_->stopping.load(std::memory_order_relaxed); }
    net::awaitable<std::optional<http::event>> next_request(error_code& ec);
    net::awaitable<void> serve_one(const http::headers& h);
    net::awaitable<bool> drain_body();
    net::awaitable<void> close_gracefully();
    void collect_fields(unsigned status, const http::fields& fields);

    std::shared_ptr<server_state> state_;
    io_type io_;
    net::any_io_executor executor_;
    net::ip::tcp::endpoint peer_; // read once: getpeername per request is a system call per request
    bool idle_ = true;
    // The hot wait between requests (see next_request); read by the sweeper.
    std::atomic<bool> hot_{false};
    std::atomic<watchdog::clock::rep> idle_since_{0};
    bool trimmed_ = false;
    unsigned exchanges_ = 0;

    // The exchange in progress.
    http::stream_id stream_id_ = 0;
    bool head_request_ = false;
    bool expect_continue_ = false;
    bool head_sent_ = false;
    std::vector<http1::field> out_fields_;
};

// Between two requests. A keep-alive client usually sends its next request
// within a round trip, so a plain TCP connection first waits "hot": it reads
// with the buffers it has, which costs no system call and no allocation
// beyond the read. The server's sweeper cancels a hot wait that has lasted
// idle_trim_after; the connection then gives its buffers back and waits
// "cold", holding only its socket and a few words (nginx's keep-alive
// handler does the same).
template <class Stream>
net::awaitable<std::optional<http::event>> http1_server_connection<Stream>::next_request(error_code& ec)
{
    const auto& cfg = state_->cfg;
    if constexpr (is_tls) {
        // Cancelling a TLS read is not safe to resume: TLS connections give
        // their buffers back at once (OpenSSL's with SSL_MODE_RELEASE_BUFFERS).
        io_.codec_.shrink_to_fit();
        co_return co_await io_.next_event(cfg.idle_timeout, cfg.header_timeout, cfg.write_timeout, ec);
    } else {
        // A connection earns the hot wait by reusing keep-alive: after a
        // single exchange it waits cold at once, since many never send another.
        if (++exchanges_ > 1) {
            trimmed_ = false;
            idle_since_.store(watchdog::clock::now().time_since_epoch().count(), std::memory_order_relaxed);
            hot_.store(true, std::memory_order_relaxed);
            auto ev = co_await io_.next_event(cfg.idle_timeout, cfg.header_timeout, cfg.write_timeout, ec);
            hot_.store(false, std::memory_order_relaxed);
            if (ev || !trimmed_ || ec != net::error::operation_aborted)
                co_return ev;
            ec = {};
        }
        io_.codec_.shrink_to_fit();
        if (io_.codec_.memory_usage() == 0) {
            io_.dog_.expires_after(cfg.idle_timeout);
            co_await io_.socket().async_wait(net::ip::tcp::socket::wait_read,
                                             net::redirect_error(net::use_awaitable, ec));
            io_.dog_.clear();
            ec = io_.timeout_or(ec);
            if (ec)
                co_return std::nullopt;
        }
        co_return co_await io_.next_event(cfg.header_timeout, cfg.header_timeout, cfg.write_timeout, ec);
    }
}

template <class Stream>
net::awaitable<void> http1_server_connection<Stream>::run()
{
    auto self = this->shared_from_this();
    io_.start_watchdog(self);
    if (!state_->add(this)) {
        // Over max_connections: a quick 503 tells a browser to retry later.
        static constexpr std::string_view busy = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                                                 "Content-Length: 0\r\n\r\n";
        error_code ec;
        io_.dog_.expires_after(state_->cfg.write_timeout);
        co_await net::async_write(io_.stream_, net::buffer(busy),
                                  net::redirect_error(net::use_awaitable, ec));
        io_.dog_.stop();
        co_return;
    }

    bool first_request = true;
    for (;;) {
        idle_ = true;
        if (stopping())
            break;
        error_code ec;
        auto ev = first_request
                      ? co_await io_.next_event(state_->cfg.header_timeout, state_->cfg.header_timeout,
                                                state_->cfg.write_timeout, ec)
                      : co_await next_request(ec);
        if (!ev)
            break;
        auto* h = std::get_if<http::headers>(&*ev);
        if (!h)
            break; // a server-role codec emits a request head first
        idle_ = false;
        first_request = false;
        co_await serve_one(*h);
        if (io_.raw())
            break; // the upgraded protocol ended with its handler
        if (io_.broken_ || io_.codec_.current_state() == http1::state::failed)
            break;
        if (!io_.body_done_ && !co_await drain_body())
            break;
        if (!io_.codec_.keep_alive())
            break;
    }
    co_await close_gracefully();
    io_.dog_.stop();
    state_->remove(this);
}

template <class Stream>
net::awaitable<void> http1_server_connection<Stream>::serve_one(const http::headers& h)
{
    auto head = make_request_head(h, is_tls ? "https" : "http", h.ver, peer_.address(), peer_.port());
    // The connection says what the scheme is, even for an absolute-form target.
    head.scheme = is_tls ? "https" : "http";

    stream_id_ = h.stream;
    head_request_ = h.method == "HEAD";
    expect_continue_ = h.expect_continue;
    head_sent_ = false;
    io_.begin_body(h.end_stream);

    request req{std::move(head), *this};
    response res{*this, h.ver};
    if (co_await run_handler(*state_, req, res) == handler_outcome::cut)
        io_.broken_ = true; // closing tells the client the body is incomplete
}

// The handler answered without reading the whole request body. Reading a
// bounded remainder keeps the connection; past that, closing is cheaper.
template <class Stream>
net::awaitable<bool> http1_server_connection<Stream>::drain_body()
{
    if (expect_continue_)
        co_return false; // the client is waiting for 100 Continue and sends nothing
    std::size_t drained = 0;
    std::byte sink[8192];
    while (!io_.body_done_) {
        error_code ec;
        auto n = co_await read_body(sink, ec);
        if (ec)
            co_return false;
        drained += n;
        if (drained > max_drain_bytes)
            co_return false;
    }
    co_return true;
}

template <class Stream>
net::awaitable<void> http1_server_connection<Stream>::close_gracefully()
{
    error_code ec;
    co_await flush(ec);
    if (!io_.socket().is_open())
        co_return;
    io_.dog_.expires_after(std::chrono::seconds(2));
    if constexpr (is_tls) {
        co_await io_.stream_.async_shutdown(net::redirect_error(net::use_awaitable, ec));
    } else {
        // Lingering close: closing with unread input makes the kernel send a
        // RST, which can destroy the response still in flight to the client.
        io_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
        std::byte sink[4096];
        std::size_t total = 0;
        while (!ec && total < 64 * 1024) {
            total += co_await io_.socket().async_read_some(net::buffer(sink),
                                                           net::redirect_error(net::use_awaitable, ec));
        }
    }
    io_.dog_.clear();
    io_.close_socket();
}

template <class Stream>
net::awaitable<std::size_t> http1_server_connection<Stream>::read_body(std::span<std::byte> out,
                                                                       error_code& ec)
{
    ec = {};
    if (io_.body_done_ || out.empty())
        co_return 0;
    if (expect_continue_ && !head_sent_) {
        io_.codec_.submit_informational(stream_id_, 100, ec);
        if (!ec)
            co_await flush(ec);
        if (ec)
            co_return 0;
        expect_continue_ = false;
    }
    // An upgraded stream is quiet for as long as its protocol likes: the
    // keep-alive deadline, not the body deadline, bounds a silent peer.
    auto timeout = io_.raw() ? state_->cfg.idle_timeout : state_->cfg.body_timeout;
    co_return co_await io_.read_body(out, timeout, state_->cfg.write_timeout, ec);
}

template <class Stream>
net::awaitable<void> http1_server_connection<Stream>::wait_readable(error_code& ec)
{
    ec = {};
    if constexpr (!is_tls) {
        if (io_.raw() && !io_.body_done_ && !io_.has_pending()) {
            io_.dog_.expires_after(state_->cfg.idle_timeout);
            co_await io_.socket().async_wait(net::ip::tcp::socket::wait_read,
                                             net::redirect_error(net::use_awaitable, ec));
            io_.dog_.clear();
            ec = io_.timeout_or(ec);
        }
    }
}

template <class Stream>
void http1_server_connection<Stream>::collect_fields(unsigned status, const http::fields& fields)
{
    collect_response_fields(*state_, fields, out_fields_, is_tls);
    // Shutting down: this is the connection's last response, and the client
    // should know before it sends another request. (The codec itself adds
    // the close an unread 100-continue body or an HTTP/1.0 peer needs.)
    if (status != 101 && stopping())
        out_fields_.push_back({"Connection", "close"});
}

template <class Stream>
net::awaitable<void> http1_server_connection<Stream>::write_head(unsigned status, const http::fields& fields,
                                                                 std::span<const std::byte> body,
                                                                 bool end_stream, error_code& ec)
{
    ec = {};
    collect_fields(status, fields);
    bool no_body = end_stream && body.empty();
    // HEAD: the fields say what GET would send; the body is not sent.
    if (head_request_) {
        no_body = true;
        body = {};
    }
    io_.codec_.submit_headers(stream_id_, http1::response_head{status, {}, out_fields_}, no_body, ec);
    if (!ec && !no_body && (!body.empty() || end_stream))
        io_.codec_.submit_data(stream_id_, body, end_stream, ec);
    if (ec)
        co_return;
    head_sent_ = true;
    co_await flush(ec);
    // A response that goes on streaming (SSE, a long download) with the
    // request read in full needs no read buffer until the next request.
    if (!ec && !end_stream && status != 101 && io_.body_done_)
        io_.codec_.release_input();
    if (!ec && status == 101) {
        // The codec hands over what it read past the request: it belongs to
        // the new protocol, which reads and writes through this same stream.
        auto ev = io_.codec_.poll_event();
        auto* up = ev ? std::get_if<http::upgrade>(&*ev) : nullptr;
        io_.begin_raw(up ? up->trailing : std::span<const std::byte>{});
    }
}

template <class Stream>
net::awaitable<void> http1_server_connection<Stream>::write_body(std::span<const std::byte> body,
                                                                 bool end_stream, error_code& ec)
{
    ec = {};
    if (io_.raw()) {
        if (!body.empty())
            co_await io_.write_raw(body, state_->cfg.write_timeout, ec);
        co_return;
    }
    if (head_request_ || (body.empty() && !end_stream))
        co_return;
    io_.codec_.submit_data(stream_id_, body, end_stream, ec);
    if (!ec)
        co_await flush(ec);
}

template <class Stream>
net::awaitable<void>
http1_server_connection<Stream>::write_body_pieces(std::span<const net::const_buffer> pieces, error_code& ec)
{
    ec = {};
    if (io_.raw()) {
        co_await io_.write_raw(pieces, state_->cfg.write_timeout, ec);
        co_return;
    }
    if (head_request_)
        co_return;
    // The codec references each piece (a chunk each when chunked); one flush
    // writes them all.
    for (auto& p : pieces) {
        if (p.size() == 0)
            continue;
        io_.codec_.submit_data(stream_id_, {static_cast<const std::byte*>(p.data()), p.size()}, false, ec);
        if (ec)
            co_return;
    }
    co_await flush(ec);
}

template <class Stream>
net::awaitable<void> http1_server_connection<Stream>::write_trailers(const http::fields& trailers,
                                                                     error_code& ec)
{
    ec = {};
    if (head_request_)
        co_return;
    out_fields_.clear();
    for (auto f : trailers)
        out_fields_.push_back({f.name, f.value});
    io_.codec_.submit_trailers(stream_id_, out_fields_, ec);
    if (!ec)
        co_await flush(ec);
}

template <class Stream>
net::awaitable<void> serve(Stream stream, std::shared_ptr<server_state> state, std::vector<std::byte> initial)
{
    auto conn =
        std::make_shared<http1_server_connection<Stream>>(std::move(stream), std::move(state), initial);
    std::vector<std::byte>().swap(
        initial); // the codec has its copy; this frame lives as long as the connection
    co_await conn->run();
}

} // namespace

net::awaitable<void> serve_http1(net::ip::tcp::socket socket, std::shared_ptr<server_state> state,
                                 std::vector<std::byte> initial)
{
    return serve(std::move(socket), std::move(state), std::move(initial));
}

net::awaitable<void> serve_http1(tls_stream stream, std::shared_ptr<server_state> state)
{
    return serve(std::move(stream), std::move(state), {});
}

} // namespace strata::detail
