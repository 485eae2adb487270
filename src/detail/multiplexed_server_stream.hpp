// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// One request stream of an HTTP/2 or HTTP/3 server connection, as a handler
// sees it (a detail::server_stream), and the pieces of the connection that
// feed it. The two drivers differ in their transport, not in how a stream
// reads its body or writes its response, so that part is written once here,
// parametrised on the connection. Private to src/; included only by the two
// server drivers.
//
// A Connection provides:
//   using codec_type (http2::connection / http3::connection) and
//         response_head (its codec's response head);
//   static constexpr std::size_t write_high_water: response bytes a stream
//         may have queued in the codec before its handler's write waits;
//   static constexpr cancel_code, internal_error_code: the codec's reset
//         codes for "given up on" and "handler failed";
//   static constexpr http::version version;
//   executor(), codec(), config(), state(), closed(), out_fields();
//   kick(): something was submitted to the codec, let the transport send it;
//   ready_to_respond(): a response head may be submitted now;
//   advertise_alt_svc(): responses carry the HTTP/3 Alt-Svc;
//   forget(id, stream), stream_done(id).

#include "handler_dispatch.hpp"
#include "request_head.hpp"
#include "stream_inbox.hpp"
#include "stream_table.hpp"

#include <strata/error.hpp>
#include <strata/http/event.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <memory>
#include <span>
#include <vector>

namespace strata::detail {

template <class Connection>
class multiplexed_server_stream final : public server_stream, public stream_inbox {
public:
    /// A stream for the request whose head is `h`, under the body limit `body_limit`.
    multiplexed_server_stream(std::shared_ptr<Connection> conn, const http::headers& h,
                              std::uint64_t body_limit)
        : stream_inbox(conn->executor()), id_(h.stream), body_limit_(body_limit), conn_(std::move(conn))
    {
        body_end_ = h.end_stream;
        head_request_ = h.method == "HEAD";
        expect_continue_ = h.expect_continue;
        upgrade_ = h.upgrade;
        if (h.content_length >= 0 && static_cast<std::uint64_t>(h.content_length) > body_limit)
            too_large_ = true;
    }

    ~multiplexed_server_stream() override { conn_->forget(id_, this); }

    net::awaitable<std::size_t> read_body(std::span<std::byte> out, error_code& ec) override;
    net::awaitable<void> wait_readable(error_code& ec) override;
    const http::fields& request_trailers() const noexcept override { return trailers_; }
    net::awaitable<void> write_head(unsigned status, const http::fields& fields,
                                    std::span<const std::byte> body, bool end_stream,
                                    error_code& ec) override;
    net::awaitable<void> write_body(std::span<const std::byte> body, bool end_stream,
                                    error_code& ec) override;
    net::awaitable<void> write_body_pieces(std::span<const net::const_buffer> pieces,
                                           error_code& ec) override;
    net::awaitable<void> write_trailers(const http::fields& trailers, error_code& ec) override;
    void set_body_limit(std::uint64_t bytes) noexcept override { body_limit_ = bytes; }
    net::any_io_executor executor() const override { return conn_->executor(); }
    void abort_exchange() noexcept override
    {
        if (!reset_ && !done_)
            give_up();
        wake(); // a read in progress ends now
    }

    // Written by the connection's reader.
    bool too_large_ = false;
    std::uint64_t received_ = 0;

    // The request, as the handler's side needs it.
    bool head_request_ = false;
    bool expect_continue_ = false;
    bool upgrade_ = false;
    bool head_sent_ = false;
    bool done_ = false;
    http::stream_id id_;
    std::uint64_t body_limit_;

private:
    net::awaitable<void> drain_output(error_code& ec);
    net::awaitable<void> submit_in_slices(std::span<const std::byte> body, bool end_stream, error_code& ec);
    bool usable(error_code& ec) const;
    void give_up()
    {
        conn_->codec().submit_reset(id_, Connection::cancel_code);
        reset_ = true;
        conn_->kick();
    }

    std::shared_ptr<Connection> conn_;
};

/// Hands a request stream's event to its stream: body bytes (under its
/// limit, and with their credit returned at once when nobody will read
/// them), trailers, a reset. A headers event starts a stream: `start(h)`.
template <class Connection, class Start>
void dispatch_request_event(typename Connection::codec_type& codec,
                            stream_table<multiplexed_server_stream<Connection>*>& streams, http::event& ev,
                            Start&& start)
{
    auto find = [&](http::stream_id id) -> multiplexed_server_stream<Connection>* {
        auto* st = streams.find(id);
        return st ? *st : nullptr;
    };
    if (auto* h = std::get_if<http::headers>(&ev)) {
        start(*h);
    } else if (auto* d = std::get_if<http::data>(&ev)) {
        auto* st = find(d->stream);
        if (!st || st->done_ || st->too_large_) {
            codec.consume(d->stream, d->bytes.size()); // nobody will read it
            if (st && d->end_stream)
                st->body_end_ = true;
            return;
        }
        st->received_ += d->bytes.size();
        if (st->received_ > st->body_limit_) {
            st->too_large_ = true;
            codec.consume(d->stream, st->discard() + d->bytes.size());
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

/// Runs the handler of one stream, then tells its connection the stream is done.
template <class Connection>
net::awaitable<void> serve_stream(std::shared_ptr<Connection> conn, server_state& state,
                                  std::shared_ptr<multiplexed_server_stream<Connection>> st,
                                  request::head head)
{
    request req{std::move(head), *st};
    response res{*st, Connection::version};
    if (st->too_large_) {
        // Content-Length already says the body is over the limit: answer
        // before the client spends its bandwidth on it.
        error_code ec;
        co_await res.send(status::content_too_large, "content too large\n", "text/plain; charset=utf-8", ec);
    } else {
        auto outcome = co_await run_handler(state, req, res, &st->too_large_);
        if (outcome == handler_outcome::cut && !st->reset_ && !conn->closed()) {
            conn->codec().submit_reset(st->id_, Connection::internal_error_code);
            conn->kick();
        }
    }
    conn->stream_done(st->id_);
}

/// The codec's side of a stream whose handler ended: it leaves `streams`;
/// false when it had left already.
template <class Connection>
bool retire_stream(typename Connection::codec_type& codec,
                   stream_table<multiplexed_server_stream<Connection>*>& streams, http::stream_id id,
                   bool connection_closed)
{
    auto* found = streams.find(id);
    if (!found)
        return false;
    auto& st = **found;
    st.done_ = true;
    if (!connection_closed) {
        // Give back the credit of what the handler left unread, and tell a
        // client still sending that the rest is not wanted (RFC 9113 §8.1,
        // RFC 9114 §4.1.1).
        codec.consume(id, st.discard());
        if (!st.body_end_ && !st.reset_)
            codec.stop_receiving(id);
    }
    streams.erase(id);
    return true;
}

// ---- the stream ------------------------------------------------------------

template <class Connection>
bool multiplexed_server_stream<Connection>::usable(error_code& ec) const
{
    if (reset_ || conn_->closed()) {
        ec = error::stream_closed;
        return false;
    }
    return true;
}

template <class Connection>
net::awaitable<std::size_t> multiplexed_server_stream<Connection>::read_body(std::span<std::byte> out,
                                                                             error_code& ec)
{
    ec = {};
    if (out.empty())
        co_return 0;
    if (expect_continue_ && !head_sent_ && !body_end_ && conn_->ready_to_respond()) {
        expect_continue_ = false;
        conn_->codec().submit_headers(id_, typename Connection::response_head{100, {}}, false, ec);
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
        // An upgraded stream (extended CONNECT) is quiet as long as its
        // protocol likes: the idle deadline bounds it, not the body one.
        auto timeout = upgrade_ && head_sent_ ? conn_->config().idle_timeout : conn_->config().body_timeout;
        if (!co_await wait(timeout)) {
            ec = error::timeout;
            give_up();
            co_return 0;
        }
    }
}

template <class Connection>
net::awaitable<void> multiplexed_server_stream<Connection>::wait_readable(error_code& ec)
{
    ec = {};
    while (unread() == 0 && !body_end_ && !too_large_) {
        if (!usable(ec))
            co_return;
        auto timeout = upgrade_ && head_sent_ ? conn_->config().idle_timeout : conn_->config().body_timeout;
        if (!co_await wait(timeout)) {
            ec = error::timeout;
            give_up();
            co_return;
        }
    }
}

template <class Connection>
net::awaitable<void> multiplexed_server_stream<Connection>::drain_output(error_code& ec)
{
    conn_->kick();
    while (conn_->codec().pending_output(id_) > Connection::write_high_water) {
        if (!usable(ec))
            co_return;
        waiting_write_ = true;
        bool in_time = co_await wait_write(conn_->config().write_timeout);
        waiting_write_ = false;
        if (!in_time) {
            // The peer keeps its window shut (HTTP/2) or stops acknowledging
            // (HTTP/3): give up on this stream only.
            ec = error::timeout;
            give_up();
            co_return;
        }
    }
}

template <class Connection>
net::awaitable<void> multiplexed_server_stream<Connection>::write_head(unsigned status,
                                                                       const http::fields& fields,
                                                                       std::span<const std::byte> body,
                                                                       bool end_stream, error_code& ec)
{
    ec = {};
    if (!usable(ec))
        co_return;
    // HTTP/3: a handler answering a 0-RTT request may be faster than the keys
    // that let us open our control stream: wait for them (the handshake's end
    // at worst).
    while (!conn_->ready_to_respond()) {
        if (!co_await wait(conn_->config().handshake_timeout) && !conn_->ready_to_respond()) {
            ec = error::timeout;
            co_return;
        }
        if (!usable(ec))
            co_return;
    }
    // An accepted extended CONNECT is a 200 on HTTP/2 (RFC 8441 §5) and
    // HTTP/3 (RFC 9220); handlers answer 101 whatever the version.
    if (status == 101 && upgrade_) {
        status = 200;
        end_stream = false;
    }
    auto& out_fields = conn_->out_fields();
    collect_response_fields(conn_->state(), fields, out_fields, conn_->advertise_alt_svc());
    bool no_body = (end_stream && body.empty()) || head_request_;
    if (head_request_)
        body = {};
    conn_->codec().submit_headers(id_, typename Connection::response_head{status, out_fields}, no_body, ec);
    if (ec)
        co_return;
    head_sent_ = status >= 200;
    if (!no_body && body.size() > Connection::write_high_water) {
        co_await submit_in_slices(body, end_stream, ec);
        co_return;
    }
    if (!no_body && (!body.empty() || end_stream))
        conn_->codec().submit_data(id_, body, end_stream, ec);
    if (ec)
        co_return;
    conn_->kick();
    // Most responses fit under the mark: no waiting, and no coroutine frame for it.
    if (conn_->codec().pending_output(id_) > Connection::write_high_water)
        co_await drain_output(ec);
}

template <class Connection>
net::awaitable<void> multiplexed_server_stream<Connection>::write_body(std::span<const std::byte> body,
                                                                       bool end_stream, error_code& ec)
{
    ec = {};
    if (head_request_ || (body.empty() && !end_stream))
        co_return;
    if (!usable(ec))
        co_return;
    if (body.size() > Connection::write_high_water) {
        co_await submit_in_slices(body, end_stream, ec);
        co_return;
    }
    conn_->codec().submit_data(id_, body, end_stream, ec);
    conn_->kick();
    if (!ec && conn_->codec().pending_output(id_) > Connection::write_high_water)
        co_await drain_output(ec);
}

// The codec copies each piece into its queue: they leave in as few DATA
// frames as the peer's window allows.
template <class Connection>
net::awaitable<void>
multiplexed_server_stream<Connection>::write_body_pieces(std::span<const net::const_buffer> pieces,
                                                         error_code& ec)
{
    ec = {};
    if (head_request_)
        co_return;
    for (auto& p : pieces) {
        if (p.size() == 0)
            continue;
        co_await write_body({static_cast<const std::byte*>(p.data()), p.size()}, false, ec);
        if (ec)
            co_return;
    }
}

// The codec copies what it is given and keeps it until it is sent (HTTP/2)
// or acknowledged (HTTP/3): a big body goes in high-water-sized slices, each
// after the previous drained, so a 100 MiB response costs the codec a few
// hundred KiB, not a 100 MiB copy.
template <class Connection>
net::awaitable<void> multiplexed_server_stream<Connection>::submit_in_slices(std::span<const std::byte> body,
                                                                             bool end_stream, error_code& ec)
{
    while (!body.empty()) {
        auto n = std::min(body.size(), Connection::write_high_water);
        conn_->codec().submit_data(id_, body.first(n), end_stream && n == body.size(), ec);
        conn_->kick();
        body = body.subspan(n);
        if (ec)
            co_return;
        co_await drain_output(ec);
        if (ec)
            co_return;
    }
}

template <class Connection>
net::awaitable<void> multiplexed_server_stream<Connection>::write_trailers(const http::fields& trailers,
                                                                           error_code& ec)
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

} // namespace strata::detail
