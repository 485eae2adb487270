// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The version-free server: listeners, a router, and handlers that never
// learn which HTTP version carried the request (DESIGN.md rule 4).

#include <strata/config.hpp>
#include <strata/http/status.hpp>
#include <strata/http1/connection.hpp>
#include <strata/http2/connection.hpp>
#include <strata/http3/connection.hpp>
#include <strata/request.hpp>
#include <strata/response.hpp>
#include <strata/router.hpp>
#include <strata/transport/quic.hpp>
#include <strata/transport/tls_config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace strata {

using http::status;

struct server_config {
    /// Connections over this are accepted and closed at once.
    std::size_t max_connections = 10'000;
    /// TLS handshake, from accept to finished.
    std::chrono::milliseconds handshake_timeout{10'000};
    /// From the first byte of a request head to its end (slowloris).
    std::chrono::milliseconds header_timeout{10'000};
    /// Between two reads of a request body.
    std::chrono::milliseconds body_timeout{30'000};
    /// A keep-alive connection with no request in progress is closed after this.
    std::chrono::milliseconds idle_timeout{60'000};
    /// A keep-alive connection waiting this long for its next request gives
    /// its read buffer back; busy connections keep theirs and read without
    /// allocating. Zero: never (each waits with its buffers).
    std::chrono::milliseconds idle_trim_after{1000};
    /// A write that makes no progress for this long ends the connection (slow readers).
    std::chrono::milliseconds write_timeout{30'000};
    /// shutdown(): how long in-flight responses get before connections are cut.
    std::chrono::milliseconds shutdown_timeout{30'000};
    /// HTTP/1.1 limits: header bytes and count, target length, body size.
    /// max_body_bytes applies to HTTP/2 request bodies too.
    http1::config http1;
    /// Serve HTTP/2: offered first by ALPN on https:// listeners, and spoken
    /// on http:// listeners to clients that open with the HTTP/2 preface
    /// (prior knowledge). HTTP/1.1 clients are served as before.
    bool enable_http2 = true;
    /// HTTP/2 settings and abuse limits.
    http2::config http2;
    /// HTTP/3 settings (QPACK, field section size, extended CONNECT).
    http3::config http3;
    /// QUIC transport parameters and limits for quic:// listeners.
    quic::config quic;
    /// While a quic:// listener runs, responses on https:// listeners carry
    /// `Alt-Svc: h3=":PORT"; ma=...` so clients move to HTTP/3 (RFC 7838).
    bool advertise_http3 = true;
    std::chrono::seconds alt_svc_max_age{86'400};
    /// Certificate and ALPN for https:// listeners; quic:// listeners use
    /// the same certificate (ALPN "h3").
    tls::server_config tls;
    /// Give each connection its own strand. Needed when several threads run
    /// the executor the server was given; with one thread (the usual
    /// io_context per core) it only adds allocations to every operation.
    /// A quic:// listener and all its connections then share one strand
    /// (they share a socket); run one listener per thread to spread HTTP/3.
    bool strand_per_connection = false;
    /// The Server field of every response; empty for none.
    std::string server_header = "strata";
};

namespace detail {
struct server_state;
}

class server {
public:
    explicit server(net::any_io_executor ex, server_config cfg = {});
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server();

    /// Adds a route; see router for the pattern syntax.
    void route(std::string_view method, std::string_view pattern, handler h);
    /// Answers requests no route matches (404 by default).
    void fallback(handler h);

    /// Listens on "http://host:port" (HTTP/1.1, and HTTP/2 with prior
    /// knowledge), "https://host:port" (TLS; ALPN picks h2 or http/1.1) or
    /// "quic://host:port" (HTTP/3 over QUIC, on UDP; usually the https port).
    /// Host may be an IPv4 or a bracketed IPv6 address ("[::]" listens on both
    /// families where the system allows); port 0 picks a free port. Returns the
    /// bound address and port (for quic://, the UDP ones).
    net::ip::tcp::endpoint listen(std::string_view url, error_code& ec);
    net::ip::tcp::endpoint listen(std::string_view url);

    /// Stops accepting, closes idle connections and lets in-flight responses
    /// finish (each then closes); connections still open after
    /// shutdown_timeout are cut.
    void shutdown();
    /// Completes with no error once shutdown() has run and every connection ended.
    template <class CompletionToken>
    auto async_wait_stopped(CompletionToken&& token)
    {
        return net::async_initiate<CompletionToken, void(error_code)>(
            [this](auto handler) {
                // std::function needs a copyable target; completion handlers may be move-only.
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                auto ex = net::get_associated_executor(*h, get_executor());
                wait_stopped([h, ex](error_code ec) { net::post(ex, [h, ec] { (*h)(ec); }); });
            },
            token);
    }

    std::size_t connection_count() const noexcept;
    const server_config& config() const noexcept;
    net::any_io_executor get_executor() const noexcept;

private:
    void wait_stopped(std::function<void(error_code)> handler);
    net::ip::tcp::endpoint listen_quic(const net::ip::udp::endpoint& local, error_code& ec);
    std::shared_ptr<detail::server_state> state_;
};

} // namespace strata
