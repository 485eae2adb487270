// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// One request of an HTTP/2 or HTTP/3 client session, as the pool sees it (a
// detail::client_connection), and the part of the session that feeds it.
// The two drivers differ in their transport, not in how a request sends its
// body or reads its response, so that part is written once here,
// parametrised on the session. Private to src/; included only by the two
// client drivers.
//
// A Session provides:
//   using request_head (its codec's request head);
//   static constexpr std::size_t write_high_water: request bytes a stream
//         may have queued in the codec before a body write waits;
//   static constexpr cancel_code, refused_code: the codec's reset codes for
//         "given up on" and "not processed, retry elsewhere";
//   static constexpr http::stream_id no_stream: a stream id never used;
//   static constexpr bool has_early_data: requests may go before the
//         handshake ends; then may_send_early(req), handshake_done() and
//         wait_handshake(stream, timeout) say whether a request waits;
//   static constexpr http::version version;
//   executor(), codec(), dead(), close_error();
//   can_submit(): the codec takes commands (the connection is not gone);
//   submit_request(head, end_stream, ec) -> the new stream's id;
//   attach(stream), detach(id);
//   kick(): something was submitted to the codec, let the transport send it;
//   ensure_reading(): something reads while a stream waits for the server;
//   peer_settings_known(), wait_peer_settings(stream, timeout): whether an
//         extended CONNECT may be sent is known from the server's SETTINGS.

#include "client_connection.hpp"
#include "request_fields.hpp"
#include "stream_inbox.hpp"

#include <strata/error.hpp>
#include <strata/http/event.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

namespace strata::detail {

template <class Session>
class multiplexed_client_stream final : public client_connection, public stream_inbox {
public:
    using clock = std::chrono::steady_clock;
    using error_enum = std::remove_cv_t<decltype(Session::cancel_code)>;
    /// RFC 9110 §10.1.1: how long a client waits for 100 Continue before sending anyway.
    static constexpr std::chrono::milliseconds continue_wait{1000};

    multiplexed_client_stream(std::shared_ptr<Session> session, const client_config& cfg)
        : stream_inbox(session->executor()), id_(Session::no_stream), session_(std::move(session)), cfg_(cfg),
          response_timeout_(cfg.response_timeout), body_timeout_(cfg.body_timeout)
    {}
    ~multiplexed_client_stream() override;

    net::awaitable<void> send(const client_request& req, const url& target, response_head& out,
                              error_code& ec) override;
    net::awaitable<std::size_t> read_body(std::span<std::byte> out, error_code& ec) override;
    bool body_done() const noexcept override { return answered() && unread() == 0; }
    const http::fields& trailers() const noexcept override { return trailers_; }
    bool reusable() const noexcept override { return false; }
    bool got_response_bytes() const noexcept override { return head_done_; }
    http::version version() const noexcept override { return Session::version; }
    void close() override
    {
        cancel();
        wake(); // a read or a wait for the head in progress ends now
    }
    void park() override {}
    net::awaitable<void> write_tunnel(std::span<const net::const_buffer> pieces, bool end,
                                      error_code& ec) override;
    bool multiplexed() const noexcept override { return true; }
    bool refused() const noexcept override { return refused_; }

    void cancel();
    /// The whole response arrived.
    bool answered() const noexcept { return head_done_ && body_end_; }
    /// The connection failed with `ec`: a stream still waiting fails with it.
    void fail(error_code ec)
    {
        if (!reset_ && !answered()) {
            reset_ = true;
            reset_code_ = ec;
        }
        wake();
    }
    /// The server did not process the request: the pool may send it again.
    void refuse()
    {
        reset_ = true;
        refused_ = true;
        reset_code_ = make_error_code(Session::refused_code);
        wake();
    }

    // Written by the session.
    http::stream_id id_;
    bool head_done_ = false;
    bool got_continue_ = false;
    response_head head_;
    bool refused_ = false;
    bool early_ = false; ///< HTTP/3: sent in 0-RTT, before the handshake finished
    error_code reset_code_;
    bool local_ended_ = false;

private:
    net::awaitable<void> drain_output(error_code& ec);
    net::awaitable<void> send_body(const client_request& req, error_code& ec);
    net::awaitable<void> read_head(response_head& out, error_code& ec);
    bool failed(error_code& ec) const;
    bool tunnel_ = false;

    std::shared_ptr<Session> session_;
    const client_config& cfg_;
    // The exchange's deadlines (client_request overrides client_config).
    std::chrono::milliseconds response_timeout_;
    std::chrono::milliseconds body_timeout_;
    request_fields fields_;
};

/// Hands a response's event to its stream: the head, a 1xx, body bytes (with
/// their credit returned at once when no stream will read them), trailers, a
/// reset. False for the session's own events (settings, goaway).
template <class Session, class Find>
bool dispatch_response_event(Session& session, http::event& ev, Find find)
{
    if (auto* h = std::get_if<http::headers>(&ev)) {
        if (auto* st = find(h->stream)) {
            st->head_.status = h->status;
            st->head_.fields = http::fields{h->fields};
            st->head_.version = Session::version;
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
            session.codec().consume(d->stream, d->bytes.size());
            return true;
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
            if (!st->answered()) {
                st->reset_ = true;
                st->reset_code_ = r->code ? r->code : error_code{error::stream_closed};
                st->refused_ = r->code == Session::refused_code;
            }
            st->wake();
        }
    } else {
        return false;
    }
    return true;
}

// ---- the stream ------------------------------------------------------------

template <class Session>
multiplexed_client_stream<Session>::~multiplexed_client_stream()
{
    if (id_ == Session::no_stream)
        return;
    if (session_->can_submit()) {
        auto& codec = session_->codec();
        if (!answered() && !reset_)
            codec.submit_reset(id_, Session::cancel_code);
        else if (!local_ended_ && !reset_)
            codec.submit_reset(id_, error_enum::no_error); // body never sent: close our half
        // Give back the window of what nobody will read.
        codec.consume(id_, discard());
    }
    session_->detach(id_);
    session_->kick();
}

template <class Session>
void multiplexed_client_stream<Session>::cancel()
{
    if (id_ != Session::no_stream && !reset_ && !answered() && session_->can_submit()) {
        session_->codec().submit_reset(id_, Session::cancel_code);
        reset_ = true;
        reset_code_ = make_error_code(Session::cancel_code);
        session_->kick();
    }
}

template <class Session>
bool multiplexed_client_stream<Session>::failed(error_code& ec) const
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

template <class Session>
net::awaitable<void> multiplexed_client_stream<Session>::send(const client_request& req, const url& target,
                                                              response_head& out, error_code& ec)
{
    ec = {};
    response_timeout_ = req.response_timeout.count() > 0 ? req.response_timeout : cfg_.response_timeout;
    body_timeout_ = req.body_timeout.count() > 0 ? req.body_timeout : cfg_.body_timeout;
    session_->note_deadline(std::max(response_timeout_, body_timeout_));
    if constexpr (Session::has_early_data) {
        // Early data is replayable: a request it may not carry waits for the handshake.
        if (!session_->handshake_done() && !session_->may_send_early(req)) {
            if (!co_await session_->wait_handshake(*this, cfg_.handshake_timeout)) {
                if (failed(ec))
                    co_return;
                ec = error::timeout;
                co_return;
            }
        }
        if (failed(ec))
            co_return;
    }
    tunnel_ = !req.protocol.empty();
    if (tunnel_) {
        // RFC 8441 §3, RFC 9220 §3: :protocol only to a server whose
        // SETTINGS said it understands it.
        if (!session_->peer_settings_known())
            co_await session_->wait_peer_settings(*this, cfg_.handshake_timeout);
        if (failed(ec))
            co_return;
        if (!session_->peer_settings_known()) {
            ec = error::timeout;
            co_return;
        }
        if (!session_->codec().peer_enable_connect_protocol()) {
            ec = error::unsupported;
            co_return;
        }
    }
    fields_.build(req, cfg_);
    // A switched exchange's body is the new protocol, written later.
    bool has_body = tunnel_ || fields_.has_body();
    bool streamed = !tunnel_ && fields_.streamed();
    bool expect = !tunnel_ && fields_.expect_continue();

    auto authority = target.authority();
    if (auto host = req.fields.get("Host"))
        authority = std::string{*host};
    auto id = session_->submit_request(
        typename Session::request_head{tunnel_ ? std::string_view{"CONNECT"} : std::string_view{req.method},
                                       target.scheme, authority, target.target, req.protocol,
                                       fields_.fields()},
        !has_body, ec);
    if (ec) {
        refused_ = true; // nothing was sent: another connection may take it
        co_return;
    }
    id_ = id;
    session_->attach(this);
    local_ended_ = !has_body;
    auto& codec = session_->codec();
    if (has_body && !expect && !streamed && !tunnel_) {
        codec.submit_data(id_, {reinterpret_cast<const std::byte*>(req.body.data()), req.body.size()}, true,
                          ec);
        local_ended_ = true;
    }
    session_->kick();
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
    if (has_body && (expect || streamed) && !head_done_ && !tunnel_) {
        co_await send_body(req, ec);
        if (ec)
            co_return;
    }
    co_await read_head(out, ec);
}

template <class Session>
net::awaitable<void> multiplexed_client_stream<Session>::send_body(const client_request& req, error_code& ec)
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

template <class Session>
net::awaitable<void>
multiplexed_client_stream<Session>::write_tunnel(std::span<const net::const_buffer> pieces, bool end,
                                                 error_code& ec)
{
    ec = {};
    if (!tunnel_ || !head_done_ || head_.status / 100 != 2 || local_ended_) {
        ec = error::unsupported;
        co_return;
    }
    if (failed(ec))
        co_return;
    auto& codec = session_->codec();
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        bool last = end && i + 1 == pieces.size();
        codec.submit_data(id_, {static_cast<const std::byte*>(pieces[i].data()), pieces[i].size()}, last, ec);
        if (ec)
            co_return;
    }
    if (end && pieces.empty())
        codec.submit_data(id_, {}, true, ec);
    local_ended_ = end;
    if (!ec)
        co_await drain_output(ec);
}

template <class Session>
net::awaitable<void> multiplexed_client_stream<Session>::drain_output(error_code& ec)
{
    session_->kick();
    while (session_->codec().pending_output(id_) > Session::write_high_water) {
        if (failed(ec))
            co_return;
        waiting_write_ = true;
        bool in_time = co_await wait_write(response_timeout_);
        waiting_write_ = false;
        if (!in_time) {
            ec = error::timeout;
            cancel();
            co_return;
        }
    }
}

template <class Session>
net::awaitable<void> multiplexed_client_stream<Session>::read_head(response_head& out, error_code& ec)
{
    auto deadline = clock::now() + response_timeout_;
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

template <class Session>
net::awaitable<std::size_t> multiplexed_client_stream<Session>::read_body(std::span<std::byte> out,
                                                                          error_code& ec)
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
        session_->ensure_reading();
        if (!co_await wait(body_timeout_)) {
            if (unread() > 0 || body_end_)
                continue;
            ec = error::timeout;
            cancel();
            co_return 0;
        }
    }
}

} // namespace strata::detail
