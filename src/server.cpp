// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "detail/server_state.hpp"
#include "detail/watchdog.hpp"
#include "http3/server_driver.hpp"
#include "transport/quic/endpoint.hpp"

#include <strata/error.hpp>
#include <strata/url.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace strata {

namespace detail {

bool server_state::add(server_connection* c)
{
    std::lock_guard lock{mutex};
    if (stopping || live.size() + admitting >= cfg.max_connections)
        return false;
    live.insert(c);
    return true;
}

void server_state::remove(server_connection* c)
{
    std::unique_lock lock{mutex};
    live.erase(c);
    notify_if_drained(lock);
}

void server_state::notify_if_drained(std::unique_lock<std::mutex>& lock)
{
    if (!stopping || !live.empty())
        return;
    auto waiters = std::move(stopped_waiters);
    stopped_waiters.clear();
    lock.unlock();
    grace.cancel(); // nothing left to cut: the timer must not keep run() busy
    for (auto& w : waiters)
        w(error_code{});
}

void server_state::sweep()
{
    sweeper.expires_after(cfg.idle_trim_after);
    sweeper.async_wait([weak = weak_from_this()](error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->stopping)
            return;
        auto cutoff = std::chrono::steady_clock::now() - self->cfg.idle_trim_after;
        {
            std::lock_guard lock{self->mutex};
            for (auto* c : self->live)
                c->trim_if_idle_since(cutoff);
        }
        self->sweep();
    });
}

namespace {

using tcp = net::ip::tcp;

net::awaitable<void> serve_tls(tcp::socket socket, std::shared_ptr<server_state> state)
{
    tls_stream stream{std::move(socket), *state->tls_context};
    auto ex = stream.get_executor();
    // The timer may outlive this frame by one wake-up: it keeps itself alive.
    auto dog = std::make_shared<watchdog>(ex);
    dog->start(dog, [&stream] {
        error_code ignored;
        stream.next_layer().close(ignored);
    });
    dog->expires_after(state->cfg.handshake_timeout);
    error_code ec;
    co_await stream.async_handshake(net::ssl::stream_base::server,
                                    net::redirect_error(net::use_awaitable, ec));
    dog->stop();
    if (ec)
        co_return; // a failed handshake has already sent its alert; nothing to answer
    // ALPN picked the version; without ALPN a TLS client speaks HTTP/1.1.
    if (state->cfg.enable_http2 && tls::negotiated_alpn(stream.native_handle()) == "h2")
        co_await serve_http2(std::move(stream), std::move(state));
    else
        co_await serve_http1(std::move(stream), std::move(state));
}

// A cleartext connection speaks HTTP/2 only if it opens with the client
// preface (prior knowledge, RFC 9113 §3.3); the first bytes decide, and are
// handed to whichever driver serves the connection.
net::awaitable<void> serve_cleartext(tcp::socket socket, std::shared_ptr<server_state> state)
{
    if (!state->cfg.enable_http2) {
        co_await serve_http1(std::move(socket), std::move(state));
        co_return;
    }
    {
        std::lock_guard lock{state->mutex};
        ++state->admitting;
    }
    auto admitted = [&] {
        std::lock_guard lock{state->mutex};
        --state->admitting;
    };
    auto dog = std::make_shared<watchdog>(socket.get_executor());
    dog->start(dog, [&socket] {
        error_code ignored;
        socket.close(ignored);
    });
    dog->expires_after(state->cfg.header_timeout);
    // On the heap, not in this frame: the frame lives as long as the
    // connection, the bytes only until a driver has taken them.
    std::vector<std::byte> first(4096);
    std::size_t n = 0;
    auto preface = http2::client_preface;
    bool h2 = false;
    for (;;) {
        error_code ec;
        n += co_await socket.async_read_some(net::buffer(first.data() + n, first.size() - n),
                                             net::redirect_error(net::use_awaitable, ec));
        auto seen = std::min(n, preface.size());
        bool prefix = std::memcmp(first.data(), preface.data(), seen) == 0;
        if (ec || !prefix || n >= preface.size()) {
            h2 = prefix && n >= preface.size();
            if (ec && n == 0) {
                dog->stop();
                admitted();
                co_return;
            }
            break;
        }
    }
    dog->stop();
    admitted();
    first.resize(n);
    // The driver runs as a coroutine of its own, so this frame (and its
    // watchdog) is freed now rather than held for the connection's life.
    auto ex = socket.get_executor();
    if (h2)
        net::co_spawn(ex, serve_http2(std::move(socket), std::move(state), std::move(first)), net::detached);
    else
        net::co_spawn(ex, serve_http1(std::move(socket), std::move(state), std::move(first)), net::detached);
}

net::awaitable<void> accept_loop(std::shared_ptr<server_state> state, std::shared_ptr<tcp::acceptor> acceptor,
                                 bool secure)
{
    for (;;) {
        error_code ec;
        // A strand serializes a connection's handlers when several threads
        // run the executor; on one thread it only costs allocations.
        tcp::socket socket = state->cfg.strand_per_connection ? tcp::socket{net::make_strand(state->ex)}
                                                              : tcp::socket{state->ex};
        co_await acceptor->async_accept(socket, net::redirect_error(net::use_awaitable, ec));
        if (ec == net::error::operation_aborted || !acceptor->is_open())
            co_return;
        if (ec) {
            // Out of descriptors or a transient network error: back off
            // briefly instead of spinning on the same failure.
            net::steady_timer pause{state->ex, std::chrono::milliseconds(50)};
            co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        auto ex = socket.get_executor();
        if (secure)
            net::co_spawn(ex, serve_tls(std::move(socket), state), net::detached);
        else
            net::co_spawn(ex, serve_cleartext(std::move(socket), state), net::detached);
    }
}

} // namespace
} // namespace detail

server::server(net::any_io_executor ex, server_config cfg)
    : state_(std::make_shared<detail::server_state>(std::move(ex), std::move(cfg)))
{}

server::~server()
{
    state_->sweeper.cancel();
    for (auto& a : state_->acceptors) {
        error_code ignored;
        a->close(ignored);
    }
    for (auto& q : state_->quic_listeners)
        q->stop();
}

void server::route(std::string_view method, std::string_view pattern, handler h)
{
    state_->routes.add(method, pattern, std::move(h));
}

void server::fallback(handler h)
{
    state_->fallback = std::move(h);
}

net::ip::tcp::endpoint server::listen(std::string_view text, error_code& ec)
{
    using tcp = net::ip::tcp;
    auto u = url::parse(text, ec);
    if (!u)
        return {};
    if (u->scheme != "http" && u->scheme != "https" && u->scheme != "quic") {
        ec = error::bad_url;
        return {};
    }
    auto address = net::ip::make_address(u->host, ec);
    if (ec) {
        // Listening needs an address; "localhost" is the one name worth accepting.
        if (u->host != "localhost")
            return {};
        ec = {};
        address = net::ip::address_v4::loopback();
    }
    std::uint16_t port = u->port; // ":0" picks an ephemeral port
    if (u->scheme == "quic")
        return listen_quic(net::ip::udp::endpoint{address, port}, ec);

    bool secure = u->scheme == "https";
    if (secure && !state_->tls_context) {
        auto tls_cfg = state_->cfg.tls;
        // h2 first: the server's preference decides (RFC 7301 §3.2).
        if (state_->cfg.enable_http2 &&
            std::find(tls_cfg.alpn.begin(), tls_cfg.alpn.end(), "h2") == tls_cfg.alpn.end())
            tls_cfg.alpn.insert(tls_cfg.alpn.begin(), "h2");
        auto ctx = tls::make_server_context(tls_cfg, ec);
        if (ec)
            return {};
        // An idle TLS connection should not hold OpenSSL's 34 KiB of record buffers.
        SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
        state_->tls_context.emplace(std::move(ctx));
    }

    tcp::endpoint endpoint{address, port};
    auto acceptor = std::make_shared<tcp::acceptor>(state_->ex);
    acceptor->open(endpoint.protocol(), ec);
    if (ec)
        return {};
    acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (address.is_v6() && address.is_unspecified()) {
        error_code ignored; // dual-stack where the system allows it
        acceptor->set_option(net::ip::v6_only(false), ignored);
    }
    acceptor->bind(endpoint, ec);
    if (ec)
        return {};
    acceptor->listen(tcp::socket::max_listen_connections, ec);
    if (ec)
        return {};
    auto bound = acceptor->local_endpoint(ec);
    state_->acceptors.push_back(acceptor);
    if (!state_->sweeping && state_->cfg.idle_trim_after.count() > 0) {
        state_->sweeping = true;
        state_->sweep();
    }
    net::co_spawn(state_->ex, detail::accept_loop(state_, acceptor, secure), net::detached);
    return bound;
}

net::ip::tcp::endpoint server::listen_quic(const net::ip::udp::endpoint& local, error_code& ec)
{
    auto tls = quic::detail::make_tls_server_context(state_->cfg.tls, {"h3"},
                                                     state_->cfg.quic.accept_early_data, ec);
    if (ec)
        return {};
    std::weak_ptr<detail::server_state> weak = state_;
    // One endpoint and all its connections share a socket and routing
    // table: with several threads on the executor they need one strand.
    net::any_io_executor ex = state_->ex;
    if (state_->cfg.strand_per_connection)
        ex = net::make_strand(state_->ex);
    auto endpoint = std::make_shared<quic::detail::server_endpoint>(
        ex, state_->cfg.quic, std::move(tls),
        [weak](quic::detail::connection_io& io) -> std::shared_ptr<quic::detail::session> {
            auto state = weak.lock();
            if (!state)
                return nullptr;
            return detail::make_http3_server_session(io, std::move(state));
        });
    endpoint->open(local, ec);
    if (ec)
        return {};
    auto bound = endpoint->local_endpoint();
    if (state_->cfg.advertise_http3 && state_->alt_svc.empty())
        state_->alt_svc = "h3=\":" + std::to_string(bound.port()) +
                          "\"; ma=" + std::to_string(state_->cfg.alt_svc_max_age.count());
    state_->quic_listeners.push_back(endpoint);
    endpoint->start();
    return {bound.address(), bound.port()};
}

net::ip::tcp::endpoint server::listen(std::string_view text)
{
    error_code ec;
    auto ep = listen(text, ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::server::listen " + std::string(text));
    return ep;
}

void server::shutdown()
{
    std::vector<detail::server_connection*> live;
    {
        std::lock_guard lock{state_->mutex};
        if (state_->stopping)
            return;
        state_->stopping = true;
        live.assign(state_->live.begin(), state_->live.end());
        for (auto* c : live)
            c->request_shutdown();
    }
    for (auto& a : state_->acceptors) {
        error_code ignored;
        a->close(ignored);
    }
    // QUIC listeners take no new connection and close their socket once
    // their last one ended.
    for (auto& q : state_->quic_listeners)
        net::post(state_->ex, [q] { q->stop_accepting(); });
    state_->sweeper.cancel();
    // Connections still alive when the grace period ends are cut.
    state_->grace.expires_after(state_->cfg.shutdown_timeout);
    state_->grace.async_wait([state = state_](error_code ec) {
        if (ec)
            return;
        std::lock_guard lock{state->mutex};
        for (auto* c : state->live)
            c->abort();
    });
    std::unique_lock lock{state_->mutex};
    state_->notify_if_drained(lock);
}

void server::wait_stopped(std::function<void(error_code)> handler)
{
    std::unique_lock lock{state_->mutex};
    state_->stopped_waiters.push_back(std::move(handler));
    state_->notify_if_drained(lock);
}

std::size_t server::connection_count() const noexcept
{
    std::lock_guard lock{state_->mutex};
    return state_->live.size();
}

const server_config& server::config() const noexcept
{
    return state_->cfg;
}

net::any_io_executor server::get_executor() const noexcept
{
    return state_->ex;
}

} // namespace strata
