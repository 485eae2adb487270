// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The version-free client: per-origin connection pools, keep-alive reuse,
// deadlines, optional redirects, TLS verification on by default.

#include <strata/config.hpp>
#include <strata/detail/async_adapt.hpp>
#include <strata/http/fields.hpp>
#include <strata/http/version.hpp>
#include <strata/http1/connection.hpp>
#include <strata/http2/connection.hpp>
#include <strata/http3/connection.hpp>
#include <strata/transport/quic.hpp>
#include <strata/transport/tls_config.hpp>
#include <strata/url.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace strata {

struct client_config {
    /// Connections kept per origin, as browsers do (6); requests beyond wait for one.
    /// An HTTP/2 connection carries up to the server's
    /// SETTINGS_MAX_CONCURRENT_STREAMS requests at once and counts as one.
    std::size_t max_connections_per_origin = 6;
    /// Offer h2 by ALPN on https:// URLs (first, so a server that speaks it
    /// picks it); HTTP/1.1 when the server does not.
    bool enable_http2 = true;
    /// Speak HTTP/2 on http:// URLs without asking first (prior knowledge,
    /// RFC 9113 §3.3): only for servers known to speak it.
    bool http2_prior_knowledge = false;
    /// HTTP/2 settings (windows, header list size) and limits.
    http2::config http2;
    /// Use HTTP/3 for an https:// origin that advertised it with Alt-Svc
    /// (RFC 7838), as browsers do: the first request goes over TCP, later
    /// ones over QUIC. If QUIC fails (UDP blocked, no handshake within
    /// http3_handshake_timeout) the request falls back to TCP, and the
    /// origin is not tried over QUIC again for http3_retry_after.
    bool enable_http3 = true;
    /// Speak only HTTP/3 to https:// URLs, without waiting for Alt-Svc, and
    /// fail if QUIC cannot connect (curl's --http3-only).
    bool http3_only = false;
    /// A QUIC handshake that has not finished by then counts as failed.
    std::chrono::milliseconds http3_handshake_timeout{3'000};
    std::chrono::milliseconds http3_retry_after{300'000};
    /// HTTP/3 settings and QUIC transport parameters.
    http3::config http3;
    quic::config quic;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds handshake_timeout{10'000};
    /// From the request sent to the response head received.
    std::chrono::milliseconds response_timeout{30'000};
    /// Between two reads of a response body.
    std::chrono::milliseconds body_timeout{30'000};
    /// A pooled connection unused for this long is closed rather than reused.
    std::chrono::milliseconds idle_timeout{30'000};
    /// Follow 301, 302, 303, 307 and 308 (off by default, like curl).
    bool follow_redirects = false;
    unsigned max_redirects = 10;
    /// What client_response::body() accepts before error::body_too_large.
    std::size_t max_body_bytes = 64 * 1024 * 1024;
    /// HTTP/1.1 limits on the responses read.
    http1::config http1{.max_header_bytes = 64 * 1024,
                        .max_field_count = 256,
                        .max_target_bytes = 8 * 1024,
                        .max_body_bytes = ~std::uint64_t{0},
                        .max_chunk_ext_bytes = 1024,
                        .read_buffer_bytes = 16 * 1024};
    /// Verification is on and uses the system store unless changed here.
    tls::client_config tls;
    /// Sent as User-Agent unless a request sets its own; empty for none.
    std::string user_agent = "strata/0.1";
};

/// Abandons a request from elsewhere on the client's executor: Boost 1.74
/// has no per-operation cancellation, so a long poll held by the server or
/// an endless event stream is stopped through this. client::request() and
/// body reads in progress complete with net::error::operation_aborted; the
/// connection is closed (HTTP/1.1) or just the stream reset (HTTP/2, HTTP/3).
class request_canceller {
public:
    void cancel()
    {
        cancelled_ = true;
        if (auto f = std::move(on_cancel_))
            f();
    }
    bool cancelled() const noexcept { return cancelled_; }
    /// Called by the client when the request gets a connection.
    void bind(std::function<void()> f) { on_cancel_ = std::move(f); }

private:
    std::function<void()> on_cancel_;
    bool cancelled_ = false;
};

/// A request to send. Either `body` (sent with a Content-Length) or
/// `body_source` (streamed, chunked on HTTP/1.1) carries the body.
struct client_request {
    std::string method = "GET";
    std::string url;
    http::fields fields;
    std::string body;
    /// Produces the next piece of the body into the span; 0 at its end.
    std::function<net::awaitable<std::size_t>(std::span<std::byte>)> body_source;
    /// Send `Expect: 100-continue` and wait (at most a second) before the body.
    bool expect_continue = false;
    /// This request's deadlines where they differ from the client's (zero:
    /// client_config's): a long poll waits longer for its head, an event
    /// stream longer between two pieces of its body.
    std::chrono::milliseconds response_timeout{0};
    std::chrono::milliseconds body_timeout{0};
    /// Set to make the request abandonable (see request_canceller).
    std::shared_ptr<request_canceller> canceller;
    /// Switch this exchange to another protocol ("websocket"): on HTTP/1.1 the
    /// request carries `Connection: Upgrade` and `Upgrade: <protocol>` and a
    /// 101 answers it; on HTTP/2 and HTTP/3 it goes as an extended CONNECT
    /// (RFC 8441, RFC 9220; the method becomes CONNECT) once the server's
    /// SETTINGS allow it, else the request fails with error::unsupported, and
    /// a 2xx answers it. Either way the response body and
    /// client_response::write() then carry the new protocol's bytes.
    std::string protocol;
};

namespace detail {
class client_exchange;
class client_pools;
} // namespace detail

/// A response as the client sees it. The head is read; the body is read
/// on demand, whole (body()) or in pieces (read_some()). Destroying a
/// response before its body is read closes its connection instead of
/// returning it to the pool.
class client_response {
public:
    client_response() = default;
    explicit client_response(std::shared_ptr<detail::client_exchange> exchange)
        : exchange_(std::move(exchange))
    {}

    unsigned status() const noexcept;
    std::string_view reason() const noexcept;
    const http::fields& fields() const noexcept;
    std::optional<std::string_view> header(std::string_view name) const noexcept
    {
        return fields().get(name);
    }
    http::version version() const noexcept;
    /// The URL that answered, after redirects.
    const strata::url& url() const noexcept;
    /// Whether this request reused a pooled connection.
    bool reused_connection() const noexcept;

    net::awaitable<std::size_t> read_some(net::mutable_buffer out, error_code& ec);
    net::awaitable<std::size_t> read_some(net::mutable_buffer out);
    /// The whole body, up to client_config::max_body_bytes.
    net::awaitable<std::string> body(error_code& ec);
    net::awaitable<std::string> body();
    bool body_done() const noexcept;
    const http::fields& trailers() const noexcept;

    /// After a protocol switch (client_request::protocol answered with 101,
    /// or 2xx on HTTP/2 and HTTP/3): sends bytes of the new protocol. The
    /// pieces go out as one write on HTTP/1.1. One write at a time; a read
    /// may run at the same time.
    net::awaitable<void> write(std::span<const net::const_buffer> pieces, error_code& ec);
    net::awaitable<void> write(std::span<const std::byte> bytes, error_code& ec);
    /// Ends the sending half of a switched exchange (END_STREAM on HTTP/2
    /// and HTTP/3; on HTTP/1.1 the TCP or TLS stream is shut down for writing).
    net::awaitable<void> close_write(error_code& ec);
    /// Closes the connection (HTTP/1.1) or resets the stream at once.
    void abort() noexcept;

    explicit operator bool() const noexcept { return exchange_ != nullptr; }

private:
    std::shared_ptr<detail::client_exchange> exchange_;
};

class client {
public:
    explicit client(net::any_io_executor ex, client_config cfg = {});
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client();

    /// Sends `req` and completes with the response head read (the body is read
    /// from the response). Signature: void(error_code, client_response).
    template <class CompletionToken = net::use_awaitable_t<>>
    auto async_request(client_request req, CompletionToken&& token = {})
    {
        return detail::async_with_ec<client_response>(
            get_executor(), [this, r = std::move(req)]() mutable { return request_for_token(std::move(r)); },
            std::forward<CompletionToken>(token));
    }

    template <class CompletionToken = net::use_awaitable_t<>>
    auto get(std::string_view url, CompletionToken&& token = {})
    {
        client_request r;
        r.url.assign(url);
        return async_request(std::move(r), std::forward<CompletionToken>(token));
    }

    template <class CompletionToken = net::use_awaitable_t<>>
    auto post(std::string_view url, std::string body, std::string_view content_type,
              CompletionToken&& token = {})
    {
        client_request r;
        r.method = "POST";
        r.url.assign(url);
        r.body = std::move(body);
        r.fields.set("Content-Type", content_type);
        return async_request(std::move(r), std::forward<CompletionToken>(token));
    }

    /// The coroutine form with an error_code instead of an exception.
    net::awaitable<client_response> request(client_request req, error_code& ec);

    /// Closes idle pooled connections; responses in flight keep theirs.
    void close_idle();
    /// Connections opened so far (tests and benchmarks: keep-alive reuse).
    std::size_t connections_opened() const noexcept;
    /// TLS connections whose handshake resumed an earlier session (one round trip saved).
    std::size_t tls_sessions_resumed() const noexcept;
    /// HTTP/3 requests that went in 0-RTT early data on a resumed connection
    /// and were answered (the server accepted the early data): a round trip saved.
    std::size_t early_data_requests() const noexcept;
    /// Why the last request to `origin` ("https://host:port") took the
    /// version it took ("alt-svc h3", "ALPN h2", "QUIC failed: ...").
    std::string version_reason(std::string_view origin) const;
    const client_config& config() const noexcept;
    net::any_io_executor get_executor() const noexcept;

private:
    net::awaitable<std::pair<error_code, client_response>> request_for_token(client_request req);
    std::shared_ptr<detail::client_pools> pools_;
};

} // namespace strata
