// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "detail/client_connection.hpp"
#include "detail/watchdog.hpp"

#include <strata/client.hpp>
#include <strata/error.hpp>
#include <strata/transport/tls.hpp>

#include <boost/asio/connect.hpp>
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

    /// An idle connection to the origin, or a new one when under the limit,
    /// or the next one released.
    net::awaitable<std::shared_ptr<client_connection>> acquire(const url& u, bool& reused, error_code& ec);
    void release(const std::string& origin, std::shared_ptr<client_connection> c);
    void close_idle();

private:
    struct origin_pool {
        std::vector<std::shared_ptr<client_connection>> idle;
        /// HTTP/2 connections: shared, never idle-listed.
        std::vector<std::shared_ptr<http2_client_session>> h2;
        std::size_t total = 0;
        /// Connections being opened that may turn out to be HTTP/2: a request
        /// waits for them rather than opening its own (one connection per origin).
        std::size_t connecting_h2 = 0;
        /// The origin answered ALPN with http/1.1 (or no ALPN).
        bool known_http1 = false;
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
        std::shared_ptr<http2_client_session> http2;
    };
    net::awaitable<connected> connect(const url& u, error_code& ec);
    net::ssl::context& tls_context(error_code& ec);

    net::any_io_executor ex_;
    client_config cfg_;
    mutable std::mutex mutex_;
    std::map<std::string, origin_pool, std::less<>> pools_;
    std::size_t opened_ = 0;
    std::size_t resumed_ = 0;
    std::optional<net::ssl::context> tls_;
    tls::session_cache sessions_;
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
                    std::weak_ptr<client_pools> weak = weak_from_this();
                    c.http2->on_stream_closed = [weak, origin] {
                        if (auto self = weak.lock()) {
                            std::lock_guard relock{self->mutex_};
                            self->wake_one(self->pools_[origin]);
                        }
                    };
                    c.http2->on_capacity = [weak, origin] {
                        if (auto self = weak.lock()) {
                            std::lock_guard relock{self->mutex_};
                            self->wake_all(self->pools_[origin]);
                        }
                    };
                    q.h2.push_back(c.http2);
                    wake_all(q);
                    co_return c.http2->open_stream();
                }
                if (maybe_h2 && u.secure()) {
                    q.known_http1 = true;
                    wake_all(q); // they may open their own connections now
                }
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
        for (auto& session : p.h2)
            session->close();
        p.total -= p.h2.size();
        p.h2.clear();
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
            co_return connected{nullptr, make_http2_client_session(std::move(socket), cfg_)};
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
        co_return connected{nullptr, make_http2_client_session(std::move(stream), cfg_)};
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
};

namespace {

bool idempotent(std::string_view method)
{
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
           method == "DELETE" || method == "TRACE";
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
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto ex = std::make_shared<client_exchange>(pools, u);
        ex->conn_ = co_await pools->acquire(u, ex->reused_, ec);
        if (ec)
            co_return nullptr;
        co_await ex->conn_->send(req, u, ex->head_, ec);
        if (!ec) {
            if (ex->conn_->body_done())
                ex->release();
            co_return ex;
        }
        // A stream the server refused never reached it, whatever the method.
        // A deadline is the caller's limit, not a stale connection: never retried.
        bool retry = attempt == 0 && !req.body_source && ec != error::timeout &&
                     (ex->conn_->refused() || (ex->reused_ && !ex->conn_->got_response_bytes() &&
                                               (idempotent(req.method) || ec == net::error::broken_pipe ||
                                                ec == net::error::connection_reset)));
        ex->conn_->close();
        ex->release();
        if (!retry)
            co_return nullptr;
        ec = {};
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
const client_config& client::config() const noexcept
{
    return pools_->config();
}
net::any_io_executor client::get_executor() const noexcept
{
    return pools_->executor();
}

} // namespace strata
