// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "detail/client_connection.hpp"
#include "detail/watchdog.hpp"

#include <strata/client.hpp>
#include <strata/error.hpp>
#include <strata/transport/tls.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>

namespace strata {

namespace detail {

using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;

/// Per-origin pools of idle connections, bounded by max_connections_per_origin.
class client_pools : public std::enable_shared_from_this<client_pools> {
public:
    client_pools(net::any_io_executor ex, client_config cfg) : ex_(std::move(ex)), cfg_(std::move(cfg)) {}
    ~client_pools() { close_idle(); }

    const client_config& config() const noexcept { return cfg_; }
    const net::any_io_executor& executor() const noexcept { return ex_; }
    std::size_t opened() const noexcept
    {
        std::lock_guard lock{mutex_};
        return opened_;
    }
    std::size_t resumed() const noexcept
    {
        std::lock_guard lock{mutex_};
        return resumed_;
    }
    std::size_t early() const noexcept
    {
        std::lock_guard lock{mutex_};
        return quic_ ? early_data_requests(*quic_) : 0;
    }

    /// An idle connection to the origin, or a new one when under the limit,
    /// or the next one released.
    net::awaitable<std::shared_ptr<client_connection>> acquire(const url& u, bool& reused, error_code& ec);
    void release(const std::string& origin, std::shared_ptr<client_connection> c);
    void close_idle();

private:
    struct origin_pool {
        std::vector<std::shared_ptr<client_connection>> idle;
        /// HTTP/2 connections: shared, never idle-listed.
        std::vector<std::shared_ptr<multiplexed_session>> h2;
        std::size_t total = 0;
        /// Connections being opened that may turn out to be HTTP/2: a request
        /// waits for them rather than opening its own (one connection per origin).
        std::size_t connecting_h2 = 0;
        /// The origin answered ALPN with http/1.1 (or no ALPN).
        bool known_http1 = false;
        /// HTTP/3 sessions (shared like h2) and attempts under way.
        std::vector<std::shared_ptr<multiplexed_session>> h3;
        std::size_t connecting_h3 = 0;
        /// The origin's Alt-Svc for h3 (RFC 7838): UDP port and freshness.
        std::uint16_t alt_port = 0;
        clock::time_point alt_expires{};
        /// A QUIC attempt failed: TCP only until then.
        clock::time_point h3_broken_until{};
        std::string reason;
        std::deque<std::shared_ptr<net::steady_timer>> waiters;
    };
    void wake_one(origin_pool& p)
    {
        if (!p.waiters.empty()) {
            p.waiters.front()->cancel();
            p.waiters.pop_front();
        }
    }
    void wake_all(origin_pool& p)
    {
        for (auto& w : p.waiters)
            w->cancel();
        p.waiters.clear();
    }
    bool may_be_http2(const url& u) const
    {
        return u.secure() ? cfg_.enable_http2 : cfg_.http2_prior_knowledge;
    }
    struct connected {
        std::shared_ptr<client_connection> http1;
        std::shared_ptr<multiplexed_session> http2;
    };
    net::awaitable<connected> connect(const url& u, error_code& ec);
    net::awaitable<std::shared_ptr<multiplexed_session>> connect_quic(const url& u, std::uint16_t port,
                                                                      error_code& ec);
    net::ssl::context& tls_context(error_code& ec);
    bool wants_http3(const url& u, const origin_pool& p, clock::time_point now) const
    {
        if (!u.secure())
            return false;
        if (cfg_.http3_only)
            return true;
        return cfg_.enable_http3 && p.alt_port != 0 && now < p.alt_expires && now >= p.h3_broken_until;
    }
    template <class Session>
    void watch_session(const std::string& origin, Session& session)
    {
        std::weak_ptr<client_pools> weak = weak_from_this();
        session.on_stream_closed = [weak, origin] {
            if (auto self = weak.lock()) {
                std::lock_guard relock{self->mutex_};
                self->wake_one(self->pools_[origin]);
            }
        };
        session.on_capacity = [weak, origin] {
            if (auto self = weak.lock()) {
                std::lock_guard relock{self->mutex_};
                self->wake_all(self->pools_[origin]);
            }
        };
    }

public:
    /// Records the origin's Alt-Svc (from a response over TCP).
    void note_alt_svc(const url& u, const http::fields& fields);
    std::string reason(std::string_view origin) const
    {
        std::lock_guard lock{mutex_};
        auto it = pools_.find(origin);
        return it == pools_.end() ? std::string{} : it->second.reason;
    }

private:
    net::any_io_executor ex_;
    client_config cfg_;
    mutable std::mutex mutex_;
    std::map<std::string, origin_pool, std::less<>> pools_;
    std::size_t opened_ = 0;
    std::size_t resumed_ = 0;
    std::optional<net::ssl::context> tls_;
    tls::session_cache sessions_;
    std::shared_ptr<http3_client_context> quic_;
    client_config quic_cfg_; // cfg_ with the QUIC handshake deadline
};

net::ssl::context& client_pools::tls_context(error_code& ec)
{
    std::lock_guard lock{mutex_};
    if (!tls_) {
        auto tls_cfg = cfg_.tls;
        if (cfg_.enable_http2 &&
            std::find(tls_cfg.alpn.begin(), tls_cfg.alpn.end(), "h2") == tls_cfg.alpn.end())
            tls_cfg.alpn.insert(tls_cfg.alpn.begin(), "h2");
        auto ctx = tls::make_client_context(tls_cfg, ec);
        if (!ec)
            tls_.emplace(std::move(ctx));
    }
    return *tls_;
}

net::awaitable<std::shared_ptr<client_connection>> client_pools::acquire(const url& u, bool& reused,
                                                                         error_code& ec)
{
    auto origin = u.origin();
    reused = false;
    for (;;) {
        std::shared_ptr<net::steady_timer> wait;
        {
            std::unique_lock lock{mutex_};
            auto& p = pools_[origin];
            if (!u.secure() && cfg_.http3_only) {
                ec = error::unsupported; // HTTP/3 needs TLS: https:// only
                co_return nullptr;
            }
            if (wants_http3(u, p, clock::now())) {
                bool settling = false;
                for (auto it = p.h3.begin(); it != p.h3.end();) {
                    auto& session = *it;
                    if (!session->usable()) {
                        it = p.h3.erase(it);
                        continue;
                    }
                    if (session->can_open_stream()) {
                        reused = session->used();
                        co_return session->open_stream();
                    }
                    settling = settling || session->awaiting_settings();
                    ++it;
                }
                // Every QUIC connection is out of stream credit: another one
                // only while the origin has room for it (a QUIC connection
                // counts as one, as an HTTP/2 one does); otherwise wait for
                // MAX_STREAMS or a closed stream (on_capacity wakes us).
                bool full = !p.h3.empty() && !settling;
                bool room = p.h3.size() < cfg_.max_connections_per_origin;
                if (p.connecting_h3 == 0 && !settling && (p.h3.empty() || (full && room))) {
                    ++p.connecting_h3;
                    std::uint16_t port = p.alt_port != 0 ? p.alt_port : u.port;
                    lock.unlock();
                    error_code qec;
                    auto session = co_await connect_quic(u, port, qec);
                    lock.lock();
                    auto& q = pools_[origin];
                    --q.connecting_h3;
                    if (session) {
                        ++opened_;
                        watch_session(origin, *session);
                        q.h3.push_back(session);
                        q.reason = cfg_.http3_only ? "HTTP/3 only (--http3)"
                                                   : "HTTP/3: the server advertised h3 on UDP port " +
                                                         std::to_string(port) + " (Alt-Svc)";
                        wake_all(q);
                        co_return session->open_stream();
                    }
                    wake_all(q);
                    if (cfg_.http3_only) {
                        ec = qec;
                        co_return nullptr;
                    }
                    // UDP blocked or QUIC broken on the path: TCP, and
                    // remember it for a while (RFC 7838 §2.4 lets clients
                    // ignore an alternative that does not work).
                    q.h3_broken_until = clock::now() + cfg_.http3_retry_after;
                    q.reason = "QUIC to UDP port " + std::to_string(port) + " failed (" + qec.message() +
                               "); fell back to TCP";
                    continue;
                }
                if (p.connecting_h3 > 0 || settling || full) {
                    auto w = std::make_shared<net::steady_timer>(ex_, clock::time_point::max());
                    p.waiters.push_back(w);
                    lock.unlock();
                    error_code ignored;
                    co_await w->async_wait(net::redirect_error(net::use_awaitable, ignored));
                    continue;
                }
            }
            // An HTTP/2 connection with room for one more stream comes first.
            bool h2_settling = false;
            for (auto it = p.h2.begin(); it != p.h2.end();) {
                auto& session = *it;
                if (!session->usable()) {
                    it = p.h2.erase(it);
                    --p.total;
                    continue;
                }
                if (session->can_open_stream()) {
                    reused = session->used();
                    co_return session->open_stream();
                }
                h2_settling = h2_settling || session->awaiting_settings();
                ++it;
            }
            auto now = clock::now();
            while (!p.idle.empty()) {
                auto c = std::move(p.idle.back());
                p.idle.pop_back();
                if (now - c->idle_since < cfg_.idle_timeout) {
                    reused = true;
                    co_return c;
                }
                c->close();
                --p.total;
            }
            bool wait_for_h2 = (p.connecting_h2 > 0 && !p.known_http1) || h2_settling;
            if (!wait_for_h2 && p.total < cfg_.max_connections_per_origin) {
                ++p.total;
                bool maybe_h2 = may_be_http2(u) && !p.known_http1;
                if (maybe_h2)
                    ++p.connecting_h2;
                lock.unlock();
                auto c = co_await connect(u, ec);
                lock.lock();
                auto& q = pools_[origin];
                if (maybe_h2)
                    --q.connecting_h2;
                if (!c.http1 && !c.http2) {
                    --q.total;
                    wake_one(q);
                    co_return nullptr;
                }
                ++opened_;
                if (c.http2) {
                    // Requests that waited for this connection may share it now.
                    watch_session(origin, *c.http2);
                    if (q.reason.empty() || q.h3_broken_until <= clock::now())
                        q.reason =
                            u.secure() ? "HTTP/2: the server chose h2 by ALPN" : "HTTP/2: prior knowledge";
                    q.h2.push_back(c.http2);
                    wake_all(q);
                    co_return c.http2->open_stream();
                }
                if (maybe_h2 && u.secure()) {
                    q.known_http1 = true;
                    wake_all(q); // they may open their own connections now
                }
                if (q.reason.empty() || q.h3_broken_until <= clock::now())
                    q.reason = u.secure() ? "HTTP/1.1: the server did not choose h2 by ALPN" : "HTTP/1.1";
                co_return c.http1;
            }
            wait = std::make_shared<net::steady_timer>(ex_, clock::time_point::max());
            p.waiters.push_back(wait);
        }
        error_code ignored;
        co_await wait->async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
}

void client_pools::release(const std::string& origin, std::shared_ptr<client_connection> c)
{
    if (c->multiplexed()) {
        // Only the stream ends (its destructor cancels it if unfinished, and
        // wakes a waiter through on_stream_closed); the connection stays.
        c.reset();
        return;
    }
    std::lock_guard lock{mutex_};
    auto& p = pools_[origin];
    if (c->reusable()) {
        c->park();
        c->idle_since = clock::now();
        p.idle.push_back(std::move(c));
    } else {
        c->close();
        --p.total;
    }
    wake_one(p);
}

void client_pools::close_idle()
{
    std::lock_guard lock{mutex_};
    for (auto& [_, p] : pools_) {
        for (auto& c : p.idle)
            c->close();
        p.total -= p.idle.size();
        p.idle.clear();
        // Sessions carrying responses keep going ("responses in flight keep
        // theirs"); their streams hold them, and they close when dropped.
        for (auto it = p.h2.begin(); it != p.h2.end();) {
            if ((*it)->idle()) {
                (*it)->close();
                it = p.h2.erase(it);
                --p.total;
            } else {
                ++it;
            }
        }
        std::erase_if(p.h3, [](auto& session) {
            if (!session->idle())
                return false;
            session->close();
            return true;
        });
    }
}

net::awaitable<std::shared_ptr<multiplexed_session>>
client_pools::connect_quic(const url& u, std::uint16_t port, error_code& ec)
{
    {
        std::lock_guard lock{mutex_};
        if (!quic_) {
            quic_ = make_http3_client_context(cfg_, ec);
            if (ec)
                co_return nullptr;
            quic_cfg_ = cfg_;
            quic_cfg_.handshake_timeout = cfg_.http3_handshake_timeout;
        }
    }
    net::ip::udp::resolver resolver{ex_};
    auto endpoints = co_await resolver.async_resolve(u.host, std::to_string(port),
                                                     net::redirect_error(net::use_awaitable, ec));
    if (ec)
        co_return nullptr;
    if (endpoints.empty()) {
        ec = net::error::host_not_found;
        co_return nullptr;
    }
    co_return co_await connect_http3(quic_, u, endpoints.begin()->endpoint(), quic_cfg_, ec);
}

void client_pools::note_alt_svc(const url& u, const http::fields& fields)
{
    auto value = fields.get("Alt-Svc");
    if (!value || !u.secure())
        return;
    std::lock_guard lock{mutex_};
    auto& p = pools_[u.origin()];
    std::string_view v = *value;
    auto trim = [](std::string_view t) {
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t'))
            t.remove_prefix(1);
        while (!t.empty() && (t.back() == ' ' || t.back() == '\t'))
            t.remove_suffix(1);
        return t;
    };
    if (trim(v) == "clear") {
        p.alt_port = 0;
        return;
    }
    // alt-value = protocol-id "=" quoted alt-authority *( OWS ";" parameter ), comma-separated.
    while (!v.empty()) {
        auto comma = v.find(',');
        auto item = trim(v.substr(0, comma));
        v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
        auto eq = item.find('=');
        if (eq == std::string_view::npos || trim(item.substr(0, eq)) != "h3")
            continue;
        auto rest = item.substr(eq + 1);
        auto semi = rest.find(';');
        auto authority = trim(rest.substr(0, semi));
        if (authority.size() < 2 || authority.front() != '"' || authority.back() != '"')
            continue;
        authority = authority.substr(1, authority.size() - 2);
        auto colon = authority.rfind(':');
        if (colon == std::string_view::npos)
            continue;
        auto host = authority.substr(0, colon);
        // Another host would need its certificate checked for this origin;
        // only the same host is used.
        if (!host.empty() && host != u.host)
            continue;
        unsigned port = 0;
        auto digits = authority.substr(colon + 1);
        auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (err != std::errc{} || ptr != digits.data() + digits.size() || port == 0 || port > 65535)
            continue;
        long long max_age = 86'400; // RFC 7838 §3.1: 24 hours
        while (semi != std::string_view::npos) {
            rest = rest.substr(semi + 1);
            semi = rest.find(';');
            auto param = trim(rest.substr(0, semi));
            if (param.substr(0, 3) == "ma=") {
                long long ma = 0;
                auto pv = param.substr(3);
                if (std::from_chars(pv.data(), pv.data() + pv.size(), ma).ec == std::errc{} && ma >= 0)
                    max_age = ma;
            }
        }
        p.alt_port = static_cast<std::uint16_t>(port);
        p.alt_expires = clock::now() + std::chrono::seconds{max_age};
        return;
    }
}

net::awaitable<client_pools::connected> client_pools::connect(const url& u, error_code& ec)
{
    tcp::resolver resolver{ex_};
    tcp::socket socket{ex_};
    // One deadline for resolve + connect, another for the handshake. The
    // timer keeps itself alive past this frame for its last wake-up.
    auto dog = std::make_shared<watchdog>(ex_);
    dog->start(dog, [&] {
        resolver.cancel();
        error_code ignored;
        socket.close(ignored);
    });
    dog->expires_after(cfg_.connect_timeout);
    auto endpoints = co_await resolver.async_resolve(u.host, std::to_string(u.port),
                                                     net::redirect_error(net::use_awaitable, ec));
    if (!ec)
        co_await net::async_connect(socket, endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
        if (dog->expired())
            ec = error::timeout;
        dog->stop();
        co_return connected{};
    }
    socket.set_option(tcp::no_delay(true), ec);
    ec = {};
    if (!u.secure()) {
        dog->stop();
        if (cfg_.http2_prior_knowledge)
            co_return connected{nullptr, make_http2_session(std::move(socket), cfg_)};
        co_return connected{make_http1_client_connection(std::move(socket), cfg_), nullptr};
    }

    auto& ctx = tls_context(ec);
    if (ec) {
        dog->stop();
        co_return connected{};
    }
    tls_client_stream stream{std::move(socket), ctx};
    tls::prepare_client(stream, u.host, u.port, &sessions_, ec);
    if (ec) {
        dog->stop();
        co_return connected{};
    }
    dog->stop();
    auto hs = std::make_shared<watchdog>(ex_);
    hs->start(hs, [&] {
        error_code ignored;
        stream.next_layer().close(ignored);
    });
    hs->expires_after(cfg_.handshake_timeout);
    co_await tls::async_handshake(stream, net::ssl::stream_base::client,
                                  net::redirect_error(net::use_awaitable, ec));
    hs->stop();
    if (ec) {
        if (hs->expired())
            ec = error::timeout;
        co_return connected{};
    }
    if (tls::session_reused(stream.native_handle())) {
        std::lock_guard lock{mutex_};
        ++resumed_;
    }
    auto alpn = tls::negotiated_alpn(stream.native_handle());
    if (alpn == "h2" && cfg_.enable_http2)
        co_return connected{nullptr, make_http2_session(std::move(stream), cfg_)};
    if (!alpn.empty() && alpn != "http/1.1") {
        ec = error::no_alpn_match;
        co_return connected{};
    }
    co_return connected{make_http1_client_connection(std::move(stream), cfg_), nullptr};
}

/// One request and its response: holds the connection until the body is read.
class client_exchange {
public:
    client_exchange(std::shared_ptr<client_pools> pools, url u) : pools_(std::move(pools)), url_(std::move(u))
    {}
    ~client_exchange() { release(); }

    void release()
    {
        if (conn_)
            pools_->release(url_.origin(), std::move(conn_));
        conn_.reset();
    }

    net::awaitable<std::size_t> read_some(std::span<std::byte> out, error_code& ec)
    {
        ec = {};
        if (!conn_)
            co_return 0;
        auto n = co_await conn_->read_body(out, ec);
        if (canceller_ && canceller_->cancelled()) {
            ec = net::error::operation_aborted;
            if (conn_)
                conn_->close();
            release();
            co_return 0;
        }
        if (conn_->body_done()) {
            trailers_ = conn_->trailers();
            release();
        } else if (ec) {
            release();
        }
        co_return n;
    }

    std::shared_ptr<client_pools> pools_;
    url url_;
    std::shared_ptr<client_connection> conn_;
    response_head head_;
    http::fields trailers_;
    bool reused_ = false;
    std::shared_ptr<request_canceller> canceller_;
};

namespace {

bool idempotent(std::string_view method)
{
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
           method == "DELETE" || method == "TRACE";
}

/// A fraction in [0, 0.5).
double jitter()
{
    thread_local std::minstd_rand rng{std::random_device{}()};
    return std::uniform_real_distribution<double>{0.0, 0.5}(rng);
}

bool is_redirect(unsigned status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

net::awaitable<std::shared_ptr<client_exchange>>
exchange_once(std::shared_ptr<client_pools> pools, const client_request& req, const url& u, error_code& ec)
{
    // A pooled connection the server closed while idle fails before any
    // response byte: retry once on a fresh connection when that is safe.
    // A refused stream never reached the server, so it is sent again, a few
    // times: requests sent before a server's SETTINGS (whose stream limit is
    // not known yet) are refused when they exceed it, and may be again on
    // the next new connection. The first is sent again at once (by then the
    // limit is known); a server that keeps refusing is shedding load, so later
    // attempts wait 25, 50, 100 ms, each stretched by up to half at random
    // so that the clients it refused together do not come back together.
    constexpr int max_refusals = 4;
    constexpr auto first_backoff = std::chrono::milliseconds{25};
    int refusals = 0;
    for (int attempt = 0; attempt < 2 + max_refusals; ++attempt) {
        auto ex = std::make_shared<client_exchange>(pools, u);
        if (req.canceller && req.canceller->cancelled()) {
            ec = net::error::operation_aborted;
            co_return nullptr;
        }
        ex->conn_ = co_await pools->acquire(u, ex->reused_, ec);
        if (ec)
            co_return nullptr;
        if (req.canceller) {
            if (req.canceller->cancelled()) {
                ex->release();
                ec = net::error::operation_aborted;
                co_return nullptr;
            }
            ex->canceller_ = req.canceller;
            // Bound to the exchange, not the connection: once the exchange
            // has let go of it, a pooled connection is someone else's.
            req.canceller->bind([weak = std::weak_ptr<client_exchange>(ex)] {
                if (auto e = weak.lock(); e && e->conn_)
                    e->conn_->close();
            });
        }
        co_await ex->conn_->send(req, u, ex->head_, ec);
        if (ec && req.canceller && req.canceller->cancelled()) {
            ex->conn_->close();
            ex->release();
            ec = net::error::operation_aborted;
            co_return nullptr;
        }
        if (!ec && ex->head_.version != http::version::http3)
            pools->note_alt_svc(u, ex->head_.fields);
        if (!ec) {
            if (ex->conn_->body_done())
                ex->release();
            co_return ex;
        }
        // A stream the server refused never reached it, whatever the method.
        // A deadline is the caller's limit, not a stale connection: never retried.
        bool stale =
            attempt == 0 && ex->reused_ && !ex->conn_->got_response_bytes() &&
            (idempotent(req.method) || ec == net::error::broken_pipe || ec == net::error::connection_reset);
        const bool refused = ex->conn_->refused();
        bool retry =
            !req.body_source && ec != error::timeout && (refused ? ++refusals <= max_refusals : stale);
        ex->conn_->close();
        ex->release();
        if (!retry)
            co_return nullptr;
        ec = {};
        if (refused && refusals >= 2) {
            auto wait = first_backoff * (1 << (refusals - 2));
            wait += std::chrono::duration_cast<std::chrono::milliseconds>(wait * jitter());
            net::steady_timer pause{co_await net::this_coro::executor, wait};
            error_code ignored;
            co_await pause.async_wait(net::redirect_error(net::use_awaitable, ignored));
        }
    }
    co_return nullptr;
}

} // namespace
} // namespace detail

// ---- client_response -------------------------------------------------------

namespace {
const http::fields empty_fields;
const url empty_url;
} // namespace

unsigned client_response::status() const noexcept
{
    return exchange_ ? exchange_->head_.status : 0;
}
std::string_view client_response::reason() const noexcept
{
    return exchange_ ? std::string_view{exchange_->head_.reason} : std::string_view{};
}
const http::fields& client_response::fields() const noexcept
{
    return exchange_ ? exchange_->head_.fields : empty_fields;
}
http::version client_response::version() const noexcept
{
    return exchange_ ? exchange_->head_.version : http::version::http1_1;
}
const url& client_response::url() const noexcept
{
    return exchange_ ? exchange_->url_ : empty_url;
}
bool client_response::reused_connection() const noexcept
{
    return exchange_ && exchange_->reused_;
}
bool client_response::body_done() const noexcept
{
    return !exchange_ || !exchange_->conn_;
}
const http::fields& client_response::trailers() const noexcept
{
    return exchange_ ? exchange_->trailers_ : empty_fields;
}

net::awaitable<std::size_t> client_response::read_some(net::mutable_buffer out, error_code& ec)
{
    if (!exchange_) {
        ec = {};
        co_return 0;
    }
    co_return co_await exchange_->read_some({static_cast<std::byte*>(out.data()), out.size()}, ec);
}

net::awaitable<void> client_response::write(std::span<const net::const_buffer> pieces, error_code& ec)
{
    // A local reference: a read reaching the end may let go of the connection meanwhile.
    auto conn = exchange_ ? exchange_->conn_ : nullptr;
    if (!conn) {
        ec = error::stream_closed;
        co_return;
    }
    co_await conn->write_tunnel(pieces, false, ec);
}

net::awaitable<void> client_response::write(std::span<const std::byte> bytes, error_code& ec)
{
    net::const_buffer piece{bytes.data(), bytes.size()};
    co_await write(std::span<const net::const_buffer>{&piece, 1}, ec);
}

net::awaitable<void> client_response::close_write(error_code& ec)
{
    auto conn = exchange_ ? exchange_->conn_ : nullptr;
    if (!conn) {
        ec = error::stream_closed;
        co_return;
    }
    co_await conn->write_tunnel({}, true, ec);
}

void client_response::abort() noexcept
{
    if (exchange_ && exchange_->conn_) {
        exchange_->conn_->close();
        exchange_->release();
    }
}

net::awaitable<std::size_t> client_response::read_some(net::mutable_buffer out)
{
    error_code ec;
    auto n = co_await read_some(out, ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::client_response::read_some");
    co_return n;
}

net::awaitable<std::string> client_response::body(error_code& ec)
{
    ec = {};
    std::string out;
    if (!exchange_)
        co_return out;
    auto limit = exchange_->pools_->config().max_body_bytes;
    if (auto cl = fields().get("Content-Length")) {
        std::size_t n = 0;
        auto [p, e] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
        if (e == std::errc{} && n <= limit)
            out.reserve(n);
    }
    std::byte chunk[16 * 1024];
    for (;;) {
        auto n = co_await exchange_->read_some(chunk, ec);
        if (ec || n == 0)
            break;
        if (out.size() + n > limit) {
            ec = error::body_too_large;
            exchange_->release(); // the body is unread, so the connection is closed, not pooled
            break;
        }
        out.append(reinterpret_cast<const char*>(chunk), n);
    }
    co_return out;
}

net::awaitable<std::string> client_response::body()
{
    error_code ec;
    auto b = co_await body(ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::client_response::body");
    co_return b;
}

// ---- client ----------------------------------------------------------------

client::client(net::any_io_executor ex, client_config cfg)
    : pools_(std::make_shared<detail::client_pools>(std::move(ex), std::move(cfg)))
{}

client::~client()
{
    pools_->close_idle();
}

net::awaitable<client_response> client::request(client_request req, error_code& ec)
{
    ec = {};
    auto u = url::parse(req.url, ec);
    if (!u)
        co_return client_response{};
    const auto& cfg = pools_->config();
    for (unsigned redirects = 0;; ++redirects) {
        auto ex = co_await detail::exchange_once(pools_, req, *u, ec);
        if (!ex)
            co_return client_response{};
        client_response res{ex};
        if (!cfg.follow_redirects || !detail::is_redirect(res.status()))
            co_return res;
        auto location = res.header("Location");
        if (!location)
            co_return res;
        if (redirects >= cfg.max_redirects) {
            ec = error::too_many_redirects;
            co_return client_response{};
        }
        auto next = u->resolve(*location);
        if (!next) {
            ec = error::bad_url;
            co_return client_response{};
        }
        // A redirect body is small and unread: reading it keeps the connection.
        error_code ignored;
        std::byte sink[4096];
        for (int i = 0; i < 16 && !res.body_done(); ++i)
            if (co_await res.read_some(net::buffer(sink), ignored) == 0 || ignored)
                break;
        // RFC 9110 §15.4: 303 always, and 301/302 after POST in practice, become GET.
        auto s = res.status();
        if (s == 303 || ((s == 301 || s == 302) && req.method == "POST")) {
            req.method = s == 303 && req.method == "HEAD" ? "HEAD" : "GET";
            req.body.clear();
            req.body_source = nullptr;
            req.fields.erase("Content-Type");
            req.fields.erase("Content-Length");
        }
        // Credentials do not follow a redirect to another origin.
        if (next->origin() != u->origin()) {
            req.fields.erase("Authorization");
            req.fields.erase("Cookie");
        }
        req.fields.erase("Host");
        u = std::move(next);
        req.url = u->scheme + "://" + u->authority() + u->target;
    }
}

net::awaitable<std::pair<error_code, client_response>> client::request_for_token(client_request req)
{
    error_code ec;
    auto res = co_await request(std::move(req), ec);
    co_return std::pair{ec, std::move(res)};
}

void client::close_idle()
{
    pools_->close_idle();
}
std::size_t client::connections_opened() const noexcept
{
    return pools_->opened();
}
std::size_t client::tls_sessions_resumed() const noexcept
{
    return pools_->resumed();
}
std::size_t client::early_data_requests() const noexcept
{
    return pools_->early();
}
std::string client::version_reason(std::string_view origin) const
{
    return pools_->reason(origin);
}
const client_config& client::config() const noexcept
{
    return pools_->config();
}
net::any_io_executor client::get_executor() const noexcept
{
    return pools_->executor();
}

} // namespace strata
