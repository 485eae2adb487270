// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The HTTP/1.1 client connection driver: one request at a time on a TCP or
// TLS stream, through the HTTP/1.1 codec.

#include "../detail/client_connection.hpp"
#include "stream_io.hpp"

#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <vector>

namespace strata::detail {

namespace {

/// RFC 9110 §10.1.1: a client that sent Expect: 100-continue need not wait
/// forever for the 100; a second is what curl waits.
constexpr std::chrono::milliseconds continue_wait{1000};

template <class Stream>
class http1_client_connection final : public client_connection,
                                      public std::enable_shared_from_this<http1_client_connection<Stream>> {
    using io_type = http1_stream_io<Stream>;

public:
    http1_client_connection(Stream stream, const client_config& cfg)
        : cfg_(cfg), io_(std::move(stream), http1::role::client, cfg.http1),
          tunnel_dog_(io_.stream_.get_executor()), response_timeout_(cfg.response_timeout),
          body_timeout_(cfg.body_timeout)
    {}
    ~http1_client_connection() override
    {
        io_.dog_.stop();
        tunnel_dog_.stop();
    }

    void start() { io_.start_watchdog(this->weak_from_this()); }

    net::awaitable<void> send(const client_request& req, const url& target, response_head& out,
                              error_code& ec) override;
    net::awaitable<std::size_t> read_body(std::span<std::byte> out, error_code& ec) override
    {
        return io_.read_body(out, body_timeout_, cfg_.handshake_timeout, ec);
    }
    bool body_done() const noexcept override { return io_.body_done_; }
    const http::fields& trailers() const noexcept override { return io_.trailers_; }
    bool reusable() const noexcept override
    {
        return io_.body_done_ && !io_.broken_ && !io_.eof_ && io_.codec_.keep_alive() &&
               io_.codec_.current_state() == http1::state::idle;
    }
    bool got_response_bytes() const noexcept override { return io_.got_bytes_; }
    http::version version() const noexcept override { return http::version::http1_1; }
    void park() override { io_.dog_.park(); }
    void close() override
    {
        io_.close_socket();
        io_.dog_.stop();
        tunnel_dog_.stop();
    }
    net::awaitable<void> write_tunnel(std::span<const net::const_buffer> pieces, bool end,
                                      error_code& ec) override;

private:
    net::awaitable<void> flush(error_code& ec) { return io_.flush(response_timeout_, ec); }
    net::awaitable<bool> wait_for_continue(response_head& out, error_code& ec);
    net::awaitable<void> send_body(const client_request& req, error_code& ec);
    net::awaitable<void> read_head(response_head& out, error_code& ec);

    const client_config& cfg_;
    io_type io_;
    // After a protocol switch writes run while a read waits: they get a
    // deadline of their own (the read's is io_.dog_).
    watchdog tunnel_dog_;
    bool tunnel_dog_started_ = false;
    http::stream_id next_stream_ = 1;
    http::stream_id stream_ = 0;
    std::vector<http1::field> out_fields_;
    // The exchange's deadlines (client_request overrides client_config).
    std::chrono::milliseconds response_timeout_;
    std::chrono::milliseconds body_timeout_;
};

template <class Stream>
net::awaitable<void> http1_client_connection<Stream>::send(const client_request& req, const url& target,
                                                           response_head& out, error_code& ec)
{
    ec = {};
    response_timeout_ = req.response_timeout.count() > 0 ? req.response_timeout : cfg_.response_timeout;
    body_timeout_ = req.body_timeout.count() > 0 ? req.body_timeout : cfg_.body_timeout;
    stream_ = next_stream_;
    next_stream_ += 2;
    io_.got_bytes_ = false;

    auto authority = target.authority();
    char digits[24];
    std::string_view length;
    bool streamed = static_cast<bool>(req.body_source);
    bool has_body = streamed || !req.body.empty();
    if (!streamed && (has_body || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")) {
        auto [end, _] = std::to_chars(digits, digits + sizeof digits, req.body.size());
        length = {digits, static_cast<std::size_t>(end - digits)};
    }

    out_fields_.clear();
    if (!req.fields.contains("Host"))
        out_fields_.push_back({"Host", authority});
    if (!cfg_.user_agent.empty() && !req.fields.contains("User-Agent"))
        out_fields_.push_back({"User-Agent", cfg_.user_agent});
    for (auto f : req.fields)
        out_fields_.push_back({f.name, f.value});
    if (!length.empty() && !req.fields.contains("Content-Length"))
        out_fields_.push_back({"Content-Length", length});
    bool expect = req.expect_continue && has_body;
    if (expect)
        out_fields_.push_back({"Expect", "100-continue"});
    if (!req.protocol.empty()) {
        if (!req.fields.contains("Connection"))
            out_fields_.push_back({"Connection", "Upgrade"});
        if (!req.fields.contains("Upgrade"))
            out_fields_.push_back({"Upgrade", req.protocol});
    }

    io_.codec_.submit_headers(stream_, http1::request_head{req.method, target.target, out_fields_}, !has_body,
                              ec);
    if (ec)
        co_return;
    if (has_body && !expect && !streamed) {
        // Head and body leave in one write.
        io_.codec_.submit_data(
            stream_, {reinterpret_cast<const std::byte*>(req.body.data()), req.body.size()}, true, ec);
        if (ec)
            co_return;
    }
    co_await flush(ec);
    if (ec)
        co_return;
    if (expect) {
        bool final_already = co_await wait_for_continue(out, ec);
        if (ec || final_already)
            co_return;
    }
    if (has_body && (expect || streamed)) {
        co_await send_body(req, ec);
        if (ec)
            co_return;
    }
    co_await read_head(out, ec);
    if (!ec && out.status == 101) {
        // The codec hands over what it read past the 101: the first bytes of
        // the new protocol, which from now on reads and writes the stream itself.
        auto ev = io_.codec_.poll_event();
        auto* up = ev ? std::get_if<http::upgrade>(&*ev) : nullptr;
        io_.begin_raw(up ? up->trailing : std::span<const std::byte>{});
    }
}

template <class Stream>
net::awaitable<void> http1_client_connection<Stream>::write_tunnel(std::span<const net::const_buffer> pieces,
                                                                   bool end, error_code& ec)
{
    ec = {};
    if (!io_.raw()) {
        ec = error::unsupported;
        co_return;
    }
    if (!pieces.empty()) {
        if (!tunnel_dog_started_) {
            tunnel_dog_.start(this->weak_from_this(), [this] { io_.close_socket(); });
            tunnel_dog_started_ = true;
        }
        tunnel_dog_.expires_after(response_timeout_);
        co_await net::async_write(io_.stream_, pieces, net::redirect_error(net::use_awaitable, ec));
        tunnel_dog_.clear();
        if (tunnel_dog_.expired())
            ec = error::timeout;
        if (ec)
            io_.broken_ = true;
    }
    if (!ec && end) {
        if constexpr (io_type::is_tls) {
            // TLS has no half-close that leaves reading possible: the
            // connection ends with the exchange instead.
        } else {
            io_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
        }
    }
}

// Waits up to a second for 100 Continue. Returns true when the server sent
// its final answer instead: the body is then never sent.
template <class Stream>
net::awaitable<bool> http1_client_connection<Stream>::wait_for_continue(response_head& out, error_code& ec)
{
    net::steady_timer give_up{io_.stream_.get_executor(), continue_wait};
    bool timed_out = false;
    give_up.async_wait([&, self = this->shared_from_this()](error_code e) {
        if (!e) {
            timed_out = true;
            error_code ignored;
            io_.socket().cancel(ignored);
        }
    });
    auto ev = co_await io_.next_event(response_timeout_, response_timeout_, response_timeout_, ec);
    give_up.cancel();
    if (timed_out && (ec == net::error::operation_aborted || !ec)) {
        ec = {};
        co_return false;
    }
    if (!ev) {
        if (!ec)
            ec = http1::error::partial_message;
        co_return false;
    }
    if (std::holds_alternative<http::informational>(*ev))
        co_return false;
    if (auto* h = std::get_if<http::headers>(&*ev)) {
        out.status = h->status;
        out.reason.assign(h->reason);
        out.fields = http::fields{h->fields};
        out.version = h->ver;
        io_.begin_body(h->end_stream);
        // The body was never sent: the connection cannot carry another request.
        io_.broken_ = true;
        co_return true;
    }
    co_return false;
}

template <class Stream>
net::awaitable<void> http1_client_connection<Stream>::send_body(const client_request& req, error_code& ec)
{
    if (!req.body_source) {
        io_.codec_.submit_data(
            stream_, {reinterpret_cast<const std::byte*>(req.body.data()), req.body.size()}, true, ec);
        if (!ec)
            co_await flush(ec);
        co_return;
    }
    std::vector<std::byte> chunk(16 * 1024);
    for (;;) {
        auto n = co_await req.body_source(chunk);
        io_.codec_.submit_data(stream_, std::span<const std::byte>(chunk.data(), n), n == 0, ec);
        if (!ec)
            co_await flush(ec);
        if (ec || n == 0)
            co_return;
    }
}

template <class Stream>
net::awaitable<void> http1_client_connection<Stream>::read_head(response_head& out, error_code& ec)
{
    for (;;) {
        auto ev = co_await io_.next_event(response_timeout_, response_timeout_, response_timeout_, ec);
        if (!ev) {
            if (!ec || ec == net::error::eof)
                ec = http1::error::partial_message;
            io_.broken_ = true;
            co_return;
        }
        if (std::holds_alternative<http::informational>(*ev))
            continue; // 1xx before the final answer (RFC 9110 §15.2)
        if (auto* h = std::get_if<http::headers>(&*ev)) {
            out.status = h->status;
            out.reason.assign(h->reason);
            out.fields = http::fields{h->fields};
            out.version = h->ver;
            io_.begin_body(h->end_stream);
            co_return;
        }
        ec = http1::error::partial_message;
        io_.broken_ = true;
        co_return;
    }
}

template <class Stream>
std::shared_ptr<client_connection> make(Stream stream, const client_config& cfg)
{
    auto c = std::make_shared<http1_client_connection<Stream>>(std::move(stream), cfg);
    c->start();
    return c;
}

} // namespace

std::shared_ptr<client_connection> make_http1_client_connection(net::ip::tcp::socket socket,
                                                                const client_config& cfg)
{
    return make(std::move(socket), cfg);
}

std::shared_ptr<client_connection> make_http1_client_connection(tls_client_stream stream,
                                                                const client_config& cfg)
{
    return make(std::move(stream), cfg);
}

} // namespace strata::detail
