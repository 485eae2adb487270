// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Opening a WebSocket: the server's answer to an Upgrade or an extended
// CONNECT, the client's request and its checks (RFC 6455 §4, RFC 8441 §4-5,
// RFC 9220), and the transports each side then runs on.

#include "stream_state.hpp"

#include <strata/error.hpp>
#include <strata/http/fields.hpp>
#include <strata/websocket/handshake.hpp>

namespace strata::websocket {

namespace {

bool is_http1(http::version v) noexcept
{
    return v == http::version::http1_0 || v == http::version::http1_1;
}

class server_transport final : public detail::transport {
public:
    server_transport(request& req, response& res) : req_(req), res_(res) {}

    // Forwarded, not wrapped in coroutines of their own: a frame fewer per
    // message on the hot path. The caller awaits at once, so the references hold.
    net::awaitable<std::size_t> read_some(std::span<std::byte> out, error_code& ec) override
    {
        return req_.read_some(net::buffer(out.data(), out.size()), ec);
    }
    net::awaitable<void> wait_readable(error_code& ec) override { return req_.wait_readable(ec); }
    net::awaitable<void> write(std::span<const net::const_buffer> pieces, error_code& ec) override
    {
        return res_.write(pieces, ec);
    }
    net::awaitable<void> finish(error_code& ec) override
    {
        ec = {};
        if (!res_.finished())
            co_await res_.finish(ec);
    }
    void abort() noexcept override { req_.abort(); }

private:
    request& req_;
    response& res_;
};

class client_transport final : public detail::transport {
public:
    client_transport(std::unique_ptr<client> owned, client_response res)
        : owned_(std::move(owned)), res_(std::move(res))
    {}

    net::awaitable<std::size_t> read_some(std::span<std::byte> out, error_code& ec) override
    {
        co_return co_await res_.read_some(net::buffer(out.data(), out.size()), ec);
    }
    net::awaitable<void> write(std::span<const net::const_buffer> pieces, error_code& ec) override
    {
        co_await res_.write(pieces, ec);
    }
    net::awaitable<void> finish(error_code& ec) override { co_await res_.close_write(ec); }
    void abort() noexcept override { res_.abort(); }

private:
    std::unique_ptr<client> owned_; // declared first: the response goes before its client
    client_response res_;
};

net::awaitable<void> refuse(response& res, http::status s, std::string_view why)
{
    error_code ignored;
    co_await res.send(s, why, "text/plain; charset=utf-8", ignored);
}

std::shared_ptr<detail::stream_state>
make_state(net::any_io_executor ex, std::unique_ptr<detail::transport> t, role r, const stream_config& cfg,
           std::optional<deflate_params> params, http::version v, std::string subprotocol)
{
    auto st = std::make_shared<detail::stream_state>(std::move(ex), std::move(t), r, cfg, params);
    st->version = v;
    st->subprotocol = std::move(subprotocol);
    st->start_keepalive();
    return st;
}

} // namespace

bool is_upgrade(const request& req) noexcept
{
    if (!req.is_upgrade())
        return false;
    if (is_http1(req.version())) {
        auto up = req.header("Upgrade");
        auto conn = req.header("Connection");
        return req.method() == "GET" && up && header_has_token(*up, "websocket") && conn &&
               header_has_token(*conn, "upgrade");
    }
    return req.method() == "CONNECT" && http::iequals(req.protocol(), "websocket");
}

net::awaitable<stream> accept(request& req, response& res, const accept_config& cfg, error_code& ec)
{
    ec = {};
    const bool h1 = is_http1(req.version());
    if (!is_upgrade(req)) {
        // RFC 9110 §15.5.22: say what it takes.
        if (h1) {
            res.set_header("Upgrade", "websocket");
            res.set_header("Connection", "Upgrade");
        }
        co_await refuse(res, http::status::upgrade_required, "a WebSocket is opened here\n");
        ec = error::no_upgrade;
        co_return stream{};
    }
    auto version = req.header("Sec-WebSocket-Version");
    if (!version || *version != "13") {
        res.set_header("Sec-WebSocket-Version", "13"); // RFC 6455 §4.4
        co_await refuse(res, http::status::upgrade_required, "WebSocket version 13 only\n");
        ec = error::bad_version;
        co_return stream{};
    }
    std::string accept_value;
    if (h1) {
        auto key = req.header("Sec-WebSocket-Key");
        if (!key || !is_valid_key(*key)) {
            co_await refuse(res, http::status::bad_request, "missing or malformed Sec-WebSocket-Key\n");
            ec = error::bad_key;
            co_return stream{};
        }
        accept_value = accept_key(*key);
    }
    if (cfg.allow_origin && !cfg.allow_origin(req.header("Origin").value_or(""))) {
        co_await refuse(res, http::status::forbidden, "origin not allowed\n");
        ec = error::origin_refused;
        co_return stream{};
    }
    std::string subprotocol;
    if (auto offered = req.header("Sec-WebSocket-Protocol"); offered && !cfg.subprotocols.empty()) {
        if (auto chosen = select_subprotocol(*offered, cfg.subprotocols))
            subprotocol = std::move(*chosen);
    }
    std::optional<deflate_params> params;
    std::string extensions;
    if (cfg.deflate.enable) {
        if (auto offered = req.header("Sec-WebSocket-Extensions"))
            params = deflate_negotiate(*offered, cfg.deflate, extensions);
    }

    if (h1) {
        res.set_header("Upgrade", "websocket");
        res.set_header("Connection", "Upgrade");
        res.set_header("Sec-WebSocket-Accept", accept_value);
    }
    if (!subprotocol.empty())
        res.set_header("Sec-WebSocket-Protocol", subprotocol);
    if (params)
        res.set_header("Sec-WebSocket-Extensions", extensions);
    co_await res.start(http::status::switching_protocols, ec);
    if (ec)
        co_return stream{};
    co_return stream{make_state(req.get_executor(), std::make_unique<server_transport>(req, res),
                                role::server, cfg, params, req.version(), std::move(subprotocol))};
}

net::awaitable<stream> accept(request& req, response& res, const accept_config& cfg)
{
    error_code ec;
    auto s = co_await accept(req, res, cfg, ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::websocket::accept");
    co_return s;
}

namespace {

net::awaitable<stream> open(std::unique_ptr<client> owned, client& c, std::string_view target,
                            const connect_config& cfg, error_code& ec)
{
    ec = {};
    std::string url{target};
    if (url.starts_with("ws://"))
        url.replace(0, 2, "http");
    else if (url.starts_with("wss://"))
        url.replace(0, 3, "https");

    client_request r;
    r.method = "GET";
    r.url = std::move(url);
    r.protocol = "websocket";
    // Only HTTP/1.1 uses the key (RFC 8441 §5): the version is not known
    // until the connection is, and servers ignore it elsewhere.
    auto key = make_key();
    r.fields.set("Sec-WebSocket-Key", key);
    r.fields.set("Sec-WebSocket-Version", "13");
    if (!cfg.subprotocols.empty()) {
        std::string list;
        for (auto& p : cfg.subprotocols) {
            if (!list.empty())
                list += ", ";
            list += p;
        }
        r.fields.set("Sec-WebSocket-Protocol", list);
    }
    if (cfg.deflate.enable)
        r.fields.set("Sec-WebSocket-Extensions", deflate_offer(cfg.deflate));
    for (auto f : cfg.fields)
        r.fields.add(f.name, f.value);
    // The WebSocket's own pings bound a silent peer; the connection's body
    // deadline only backs them up.
    r.body_timeout = cfg.ping_interval.count() > 0 ? cfg.ping_interval + cfg.pong_timeout
                                                   : std::chrono::milliseconds{24 * 3600 * 1000};

    auto res = co_await c.request(std::move(r), ec);
    if (ec) {
        if (ec == strata::error::unsupported)
            ec = error::extended_connect_refused;
        co_return stream{};
    }
    if (cfg.on_response)
        cfg.on_response(res);
    const bool h1 = is_http1(res.version());
    if (h1) {
        auto up = res.header("Upgrade");
        auto conn = res.header("Connection");
        auto acc = res.header("Sec-WebSocket-Accept");
        if (res.status() != 101) {
            ec = error::bad_handshake;
            co_return stream{};
        }
        if (!up || !header_has_token(*up, "websocket") || !conn || !header_has_token(*conn, "upgrade")) {
            ec = error::no_upgrade;
            co_return stream{};
        }
        if (!acc || *acc != accept_key(key)) {
            ec = error::bad_accept;
            co_return stream{};
        }
    } else if (res.status() / 100 != 2) {
        ec = error::bad_handshake;
        co_return stream{};
    }
    std::string subprotocol;
    if (auto chosen = res.header("Sec-WebSocket-Protocol")) {
        // RFC 6455 §4.1: only one of those offered.
        if (std::find(cfg.subprotocols.begin(), cfg.subprotocols.end(), *chosen) == cfg.subprotocols.end()) {
            ec = error::bad_subprotocol;
            co_return stream{};
        }
        subprotocol.assign(*chosen);
    }
    std::optional<deflate_params> params;
    if (auto ext = res.header("Sec-WebSocket-Extensions")) {
        if (!cfg.deflate.enable) {
            ec = error::bad_extension; // nothing was offered
            co_return stream{};
        }
        params = deflate_accept_response(*ext, cfg.deflate, ec);
        if (ec)
            co_return stream{};
    }
    auto v = res.version();
    auto ex = c.get_executor();
    co_return stream{make_state(ex, std::make_unique<client_transport>(std::move(owned), std::move(res)),
                                role::client, cfg, params, v, std::move(subprotocol))};
}

} // namespace

net::awaitable<stream> connect(net::any_io_executor ex, std::string_view url, const connect_config& cfg,
                               error_code& ec)
{
    client_config cc = cfg.client;
    bool cleartext = url.starts_with("ws://") || url.starts_with("http://");
    switch (cfg.version) {
    case http::version::http2:
        cc.enable_http2 = true;
        cc.enable_http3 = false;
        cc.http3_only = false;
        cc.http2_prior_knowledge = cleartext;
        break;
    case http::version::http3:
        cc.enable_http3 = true;
        cc.http3_only = true;
        break;
    default:
        cc.enable_http2 = false;
        cc.enable_http3 = false;
        cc.http3_only = false;
        cc.http2_prior_knowledge = false;
        break;
    }
    auto c = std::make_unique<client>(std::move(ex), std::move(cc));
    auto& ref = *c;
    co_return co_await open(std::move(c), ref, url, cfg, ec);
}

net::awaitable<stream> connect(net::any_io_executor ex, std::string_view url, const connect_config& cfg)
{
    error_code ec;
    auto s = co_await connect(std::move(ex), url, cfg, ec);
    if (ec)
        throw boost::system::system_error(ec, "strata::websocket::connect");
    co_return s;
}

net::awaitable<stream> connect(client& c, std::string_view url, const connect_config& cfg, error_code& ec)
{
    co_return co_await open(nullptr, c, url, cfg, ec);
}

} // namespace strata::websocket
