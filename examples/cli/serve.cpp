// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// `strata serve`: files from a directory plus the demo routes, push demos
// (SSE, long polling) and WebSockets (echo, chat), on HTTP, HTTPS and
// HTTP/3, until Ctrl-C.

#include "args.hpp"
#include "commands.hpp"
#include "demo_gateway.hpp"
#include "demo_page.hpp"
#include "demo_routes.hpp"
#include "demo_topics.hpp"
#include "demo_websockets.hpp"
#include "dev_cert.hpp"

#include <strata/server.hpp>
#include <strata/static_files.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

namespace strata_cli {

namespace net = boost::asio;

namespace {

constexpr std::string_view usage = "strata serve [options]";

const option serve_options[] = {
    {"http", 0, "PORT", "plain HTTP port (default 8080; 0 picks one; 'off' for none)"},
    {"https", 0, "PORT", "HTTPS port (default 8443; 0 picks one; 'off' for none)"},
    {"quic", 0, "PORT",
     "HTTP/3 (QUIC, UDP) port, advertised by Alt-Svc (default: the HTTPS port; 'off' for none)"},
    {"host", 0, "ADDR", "address to listen on (default [::], IPv6 and IPv4)"},
    {"root", 0, "DIR", "serve the files under DIR (default: the current directory)"},
    {"cert", 0, "FILE", "certificate chain (PEM); without it a development certificate is made"},
    {"key", 0, "FILE", "private key (PEM) of --cert"},
    {"help", 'h', {}, "show this help"},
};

/// "[::]" for IPv6 literals given bare ("::"), as URLs need.
std::string url_host(std::string host)
{
    if (host.find(':') != std::string::npos && host.front() != '[')
        host = "[" + host + "]";
    return host;
}

/// Where a browser or `strata get` on this machine reaches a listener.
std::string local_url(std::string_view scheme, const std::string& host, unsigned short port)
{
    const bool any = host == "[::]" || host == "0.0.0.0";
    return std::string(scheme) + "://" + (any ? std::string("localhost") : host) + ":" + std::to_string(port);
}

} // namespace

int serve_main(int argc, char** argv)
{
    args a;
    std::string error;
    if (!a.parse(argc, argv, 2, serve_options, error) || !a.positional().empty()) {
        std::fprintf(stderr, "strata serve: %s\nusage: %s (see strata serve --help)\n",
                     error.empty() ? "unexpected argument" : error.c_str(), usage.data());
        return 2;
    }
    if (a.has("help")) {
        print_help(usage,
                   "Serves the demo page at / (open it in a browser), files and demo routes: GET /hello,\n"
                   "POST /echo, GET /scores (ETag, 304: poll it), GET /stream?n=N (N lines, one each\n"
                   "100 ms), GET /tokens?prompt=TEXT (an answer token by token, as Server-Sent Events),\n"
                   "and push demos published every second:\n"
                   "/ticks/events, /stocks/events and /scores/events (Server-Sent Events: strata sse URL),\n"
                   "/ticks/poll and /stocks/poll (long polling: strata poll --long URL),\n"
                   "/stocks/quote (ETag, 304: strata poll URL); WebSockets: /ws/echo (every message\n"
                   "back) and /ws/chat?name=NAME (a chat room), opened with an HTTP/1.1 Upgrade or an\n"
                   "HTTP/2 or HTTP/3 extended CONNECT (strata ws URL). Ctrl-C stops it gracefully.",
                   serve_options);
        return 0;
    }
    const auto http_port = a.value("http").value_or("8080");
    const auto https_port = a.value("https").value_or("8443");
    auto quic_port = a.value("quic").value_or(https_port);
    if (https_port == "off" && !a.has("quic"))
        quic_port = "off";
    const auto host = url_host(a.value("host").value_or("[::]"));
    const std::filesystem::path root = a.value("root").value_or(".");
    if (!std::filesystem::is_directory(root)) {
        std::fprintf(stderr, "strata serve: --root %s is not a directory\n", root.c_str());
        return 2;
    }
    if (a.has("cert") != a.has("key")) {
        std::fprintf(stderr, "strata serve: --cert and --key go together\n");
        return 2;
    }

    strata::server_config cfg;
    // WebSockets over HTTP/2 and HTTP/3 open with an extended CONNECT, which
    // clients may send only once SETTINGS say so (RFC 8441 §3, RFC 9220 §3).
    cfg.http2.enable_connect_protocol = true;
    cfg.http3.enable_connect_protocol = true;
    dev_certificate dev;
    if (https_port != "off" || quic_port != "off") {
        if (a.has("cert")) {
            cfg.tls.certificate_chain_file = *a.value("cert");
            cfg.tls.private_key_file = *a.value("key");
        } else if (make_dev_certificate(dev, error)) {
            cfg.tls.certificate_chain_pem = dev.pem.certificate_pem;
            cfg.tls.private_key_pem = dev.pem.private_key_pem;
        } else {
            std::fprintf(stderr, "strata serve: %s\n", error.c_str());
            return 1;
        }
    }

    net::io_context io;
    demo_topics push{io.get_executor()}; // before the server: its routes refer to the topics
    demo_websockets sockets;             // and to the chat room
    demo_gateway gateway{io.get_executor()};
    strata::server srv{io.get_executor(), cfg};
    add_demo_page(srv); // a route: / is the demo page even when --root has an index.html
    add_demo_routes(srv);
    push.add_routes(srv);
    sockets.add_routes(srv);
    gateway.add_routes(srv);
    srv.fallback(strata::static_files(root));

    std::printf("serving %s\n", std::filesystem::absolute(root).lexically_normal().c_str());
    std::string http_base, https_base, quic_base; // where the push demos' "try:" lines point
    // QUIC first: its port goes into the Alt-Svc of the TLS listener's responses.
    for (auto [scheme, port] :
         {std::pair{"quic", quic_port}, std::pair{"http", http_port}, std::pair{"https", https_port}}) {
        if (port == "off")
            continue;
        strata::error_code ec;
        const auto listen_url = std::string(scheme) + "://" + host + ":" + port;
        auto ep = srv.listen(listen_url, ec);
        if (ec) {
            std::fprintf(stderr, "strata serve: cannot listen on %s: %s\n", listen_url.c_str(),
                         ec.message().c_str());
            return 1;
        }
        if (std::string_view(scheme) == "quic") {
            std::printf("listening on quic://%s:%u  (HTTP/3; try: strata get --http3 %s/hello)\n",
                        host.c_str(), ep.port(), local_url("https", host, ep.port()).c_str());
            quic_base = local_url("https", host, ep.port());
        } else {
            std::printf("listening on %s://%s:%u  (try: strata get %s/hello)\n", scheme, host.c_str(),
                        ep.port(), local_url(scheme, host, ep.port()).c_str());
            (std::string_view(scheme) == "http" ? http_base : https_base) =
                local_url(scheme, host, ep.port());
        }
    }
    // Plain HTTP is the shortest line to try; else TLS, which needs the certificate trusted.
    const std::string trust = dev.certificate_file.empty() ? "" : "--cacert " + dev.certificate_file + " ";
    const std::string try_base = !http_base.empty()    ? http_base
                                 : !https_base.empty() ? https_base
                                                       : quic_base;
    const std::string try_flags = !http_base.empty() ? "" : !https_base.empty() ? trust : "--http3 " + trust;
    // ws:// and wss:// say what the URL is for; --http3 needs the TLS form.
    const std::string ws_base = try_base.starts_with("https")  ? "wss" + try_base.substr(5)
                                : try_base.starts_with("http") ? "ws" + try_base.substr(4)
                                                               : try_base;
    if (!try_base.empty())
        std::printf(
            "demo page: %s/\n"
            "push demos, published every second, on every listener:\n"
            "  Server-Sent Events  /ticks/events  /stocks/events  (try: strata sse %s%s/ticks/events)\n"
            "  long polling        /ticks/poll    /stocks/poll    (try: strata poll --long %s%s/ticks/poll)\n"
            "  short polling       /scores        /stocks/quote   (try: strata poll %s%s/stocks/quote)\n"
            "WebSockets, on every listener:\n"
            "  echo                /ws/echo                       (try: strata ws %s%s/ws/echo)\n"
            "  chat room           /ws/chat?name=NAME             (try: strata ws "
            "%s'%s/ws/chat?name=alice')\n"
            "gateway (typed envelopes, the rider app and the chat room), on every listener:\n"
            "  clients             /gateway?access_token=NAME     (try: strata ws "
            "%s'%s/gateway?access_token=alice')\n"
            "  metrics             /metrics                       (Prometheus text format)\n",
            try_base.c_str(), try_flags.c_str(), try_base.c_str(), try_flags.c_str(), try_base.c_str(),
            try_flags.c_str(), try_base.c_str(), try_flags.c_str(), ws_base.c_str(), try_flags.c_str(),
            ws_base.c_str(), try_flags.c_str(), ws_base.c_str());
    push.start();
    // The simulated driver is a client of the gateway like any other: over
    // the loopback of the plain HTTP listener.
    if (!http_base.empty())
        gateway.start_driver("ws" + http_base.substr(4) + "/gateway");
    if (!dev.certificate_file.empty())
        std::printf("development certificate: %s\n  (trust it with: strata get --cacert %s URL)\n",
                    dev.certificate_file.c_str(), dev.certificate_file.c_str());
    std::fflush(stdout);

    net::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](strata::error_code ec, int) {
        if (ec)
            return;
        std::printf("shutting down (again to quit at once)\n");
        std::fflush(stdout);
        push.stop(); // ends the event streams and held polls, which would otherwise hold the shutdown
        gateway.stop();
        srv.shutdown();
        signals.async_wait([](strata::error_code e, int) {
            if (!e)
                std::_Exit(130);
        });
    });
    srv.async_wait_stopped([&](strata::error_code) { signals.cancel(); });
    io.run();
    return 0;
}

} // namespace strata_cli
