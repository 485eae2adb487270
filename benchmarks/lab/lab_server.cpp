// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// The protocol lab's server (benchmarks/lab): run in the server namespace of
// the emulated path, driven by strata_lab_client in the client namespace.
//
//   strata_lab_server --cert FILE --key FILE --https PORT [--https PORT ...] [--quic PORT]
//                     [--address A] [--docroot DIR] [--rate N] [--alt-svc]
//
// Every TLS listener serves the same routes, HTTP/1.1 and HTTP/2 by ALPN,
// TLS 1.3 only; --quic adds HTTP/3 on UDP. Alt-Svc is off unless --alt-svc
// (the lab's client asks for HTTP/3 directly).
//
//   GET /r/{rest...}  files under --docroot (the page-load resources)
//   GET /quote        short polling: the newest update, ETag "SEQ", 304 while unchanged
//   GET /poll         long polling on the update topic (long_poll::handler)
//   GET /events       Server-Sent Events from the topic (sse::handler)
//   /ws               a WebSocket sending each update published after it opened
//
// Update i (1, 2, ...) is published at t0 + i / rate, t0 being when the
// server is ready. Its payload, the same bytes for every technique, is a
// 100-byte JSON object {"seq":i,"t":T,"price":P,"pad":"..."} where T is the
// steady clock (CLOCK_MONOTONIC, shared by the namespaces of one machine)
// at publication, in milliseconds: a client's latency is its receive time
// minus T.
//
// "ready" goes to stdout once every listener is up; SIGTERM or SIGINT ends
// the event streams, held polls and WebSockets and exits.

#include <strata/config.hpp>

#include <strata/conditional.hpp>
#include <strata/long_poll/handler.hpp>
#include <strata/server.hpp>
#include <strata/sse/handler.hpp>
#include <strata/static_files.hpp>
#include <strata/topic.hpp>
#include <strata/websocket/handler.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = strata::net;
namespace websocket = strata::websocket;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t payload_bytes = 100;

struct options {
    std::string address = "0.0.0.0";
    std::vector<std::string> https_ports;
    std::string quic_port;
    std::string cert_file, key_file;
    std::filesystem::path docroot;
    double rate = 1;
    bool alt_svc = false;
};

double steady_ms(clock_type::time_point t)
{
    return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count();
}

/// Update `seq`'s payload, padded to payload_bytes so that every technique
/// carries the same bytes.
std::string make_payload(std::uint64_t seq, clock_type::time_point published)
{
    const long cents = 10'000 + static_cast<long>(seq % 97) * 7;
    char head[96];
    const int n =
        std::snprintf(head, sizeof head, "{\"seq\":%llu,\"t\":%.3f,\"price\":%ld.%02ld,\"pad\":\"",
                      static_cast<unsigned long long>(seq), steady_ms(published), cents / 100, cents % 100);
    std::string doc(head, static_cast<std::size_t>(n));
    const std::size_t tail = 2; // "}
    if (doc.size() + tail < payload_bytes)
        doc.append(payload_bytes - tail - doc.size(), '.');
    doc += "\"}";
    return doc;
}

/// The update source: one topic, and the newest payload for short polling.
/// Used from the server's one thread only.
class updates {
public:
    explicit updates(double rate) : rate_(rate) {}

    strata::topic& topic() noexcept { return topic_; }
    const std::string& quote() const noexcept { return quote_; }
    const std::string& etag() const noexcept { return etag_; }

    void start(net::any_io_executor ex, clock_type::time_point t0)
    {
        timer_ = std::make_unique<net::steady_timer>(ex);
        net::co_spawn(ex, publish(t0), net::detached);
    }

    /// Ends publishing and every subscription (SSE streams, held long
    /// polls, WebSocket feeds end at once).
    void stop()
    {
        stopped_ = true;
        if (timer_)
            timer_->cancel();
        topic_.close();
    }

private:
    net::awaitable<void> publish(clock_type::time_point t0)
    {
        for (std::uint64_t i = 1; !stopped_; ++i) {
            // Fixed rate: a late wake-up does not push the later updates back.
            const auto due = t0 + std::chrono::duration_cast<clock_type::duration>(
                                      std::chrono::duration<double>(static_cast<double>(i) / rate_));
            timer_->expires_at(due);
            strata::error_code ec;
            co_await timer_->async_wait(net::redirect_error(net::use_awaitable, ec));
            if (stopped_)
                break;
            auto doc = make_payload(i, clock_type::now());
            etag_ = "\"" + std::to_string(i) + "\"";
            quote_ = doc;
            topic_.publish(doc);
        }
    }

    double rate_;
    strata::topic topic_;
    std::string quote_ = make_payload(0, clock_type::now());
    std::string etag_ = "\"0\"";
    std::unique_ptr<net::steady_timer> timer_;
    bool stopped_ = false;
};

// ---- the WebSocket feed -------------------------------------------------------

struct feed_state {
    feed_state(net::any_io_executor ex, strata::topic::subscription s) : sub(std::move(s)), writer_exit(ex) {}
    strata::topic::subscription sub;
    net::steady_timer writer_exit;
    bool writer_done = false;
};

/// Sends each update as a text message; a batch that piled up while a
/// write was in progress goes out in one write.
net::awaitable<void> write_updates(std::shared_ptr<feed_state> s, websocket::stream& ws)
{
    std::vector<std::string_view> texts;
    for (;;) {
        strata::error_code ec;
        auto b = co_await s->sub.next(std::chrono::hours{24}, ec);
        if (ec == strata::topic_error::closed) {
            // The server is shutting down: say so; the reader ends with the peer's answer.
            co_await ws.close(static_cast<std::uint16_t>(websocket::close_code::going_away), "shutting down",
                              ec);
            co_return;
        }
        if (ec == strata::topic_error::subscriber_lagging) {
            co_await ws.close(static_cast<std::uint16_t>(websocket::close_code::try_again_later),
                              "too slow for the feed", ec);
            co_return;
        }
        if (ec)
            co_return; // cancelled: the reader is done
        texts.clear();
        for (auto& e : b.events)
            texts.emplace_back(e->data);
        if (texts.empty())
            continue;
        const std::span<const std::string_view> batch(texts);
        co_await ws.write(batch, ec);
        if (ec)
            co_return;
    }
}

net::awaitable<void> feed(strata::topic& t, websocket::stream& ws)
{
    auto ex = co_await net::this_coro::executor;
    // From the newest event on: the client gets what is published after it joined.
    auto s = std::make_shared<feed_state>(ex, t.subscribe(ex));
    net::co_spawn(ex, write_updates(s, ws), [s](std::exception_ptr) {
        s->writer_done = true;
        s->writer_exit.cancel();
    });
    // Reading answers pings and sees the client's close frame.
    for (;;) {
        strata::error_code ec;
        auto m = co_await ws.read(ec);
        if (ec)
            break;
    }
    s->sub.cancel();
    // The writer refers to `ws`, which ends with this frame.
    while (!s->writer_done) {
        s->writer_exit.expires_at(clock_type::time_point::max());
        strata::error_code ignored;
        co_await s->writer_exit.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
}

// ---- main ---------------------------------------------------------------------

int usage()
{
    std::fprintf(
        stderr,
        "usage: strata_lab_server --cert FILE --key FILE --https PORT [--https PORT ...]\n"
        "                         [--quic PORT] [--address A] [--docroot DIR] [--rate N] [--alt-svc]\n"
        "  --address A    listen address (default 0.0.0.0)\n"
        "  --https PORT   a TLS listener (HTTP/1.1 and HTTP/2 by ALPN); repeatable\n"
        "  --quic PORT    HTTP/3 on this UDP port\n"
        "  --docroot DIR  served under /r/ (GET /r/a/b is DIR/a/b)\n"
        "  --rate N       updates published per second (default 1)\n"
        "  --alt-svc      advertise HTTP/3 with Alt-Svc (off by default)\n");
    return 2;
}

double parse_rate(std::string_view text)
{
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !(v > 0) || v > 100'000)
        throw std::invalid_argument("bad --rate: " + std::string(text));
    return v;
}

int run(const options& opt)
{
    net::io_context ioc{1};
    strata::server_config cfg;
    cfg.tls.certificate_chain_file = opt.cert_file;
    cfg.tls.private_key_file = opt.key_file;
    cfg.tls.alpn = {"h2", "http/1.1"};
    cfg.tls.min_version = strata::tls::version::tls1_3;
    cfg.enable_http2 = true;
    cfg.advertise_http3 = opt.alt_svc;
    // A page of 100 resources requested at once must fit on one connection.
    cfg.http2.max_concurrent_streams = 256;
    cfg.quic.max_streams_bidi = 256;
    // A lossy path must not turn a slow handshake into a failure.
    cfg.handshake_timeout = std::chrono::seconds{60};
    cfg.quic.handshake_timeout = std::chrono::seconds{60};
    cfg.shutdown_timeout = std::chrono::seconds{2};

    updates source{opt.rate}; // before the server: its routes refer to it
    strata::server srv{ioc.get_executor(), cfg};

    if (!opt.docroot.empty()) {
        strata::static_files_config files;
        files.prefix = "/r";
        files.cache_control = "no-cache";
        srv.route("GET", "/r/{rest...}", strata::static_files(opt.docroot, files));
    }
    srv.route("GET", "/quote",
              [&source](strata::request& req, strata::response& res) -> net::awaitable<void> {
                  // Copied: the publisher may replace them while this answer is written.
                  const std::string doc = source.quote(), tag = source.etag();
                  res.set_header("ETag", tag);
                  res.set_header("Cache-Control", "no-cache");
                  if (strata::not_modified(req, tag)) {
                      co_await res.start(strata::status::not_modified);
                      co_await res.finish();
                  } else {
                      co_await res.send(strata::status::ok, doc, "application/json");
                  }
              });
    srv.route("GET", "/poll", strata::long_poll::handler(source.topic()));
    srv.route("GET", "/events", strata::sse::handler(source.topic()));
    websocket::route(srv, "/ws",
                     [&source](websocket::stream& ws, strata::request&) { return feed(source.topic(), ws); });

    const std::string host = opt.address.find(':') != std::string::npos && opt.address.front() != '['
                                 ? "[" + opt.address + "]"
                                 : opt.address;
    // QUIC first, so that Alt-Svc (when on) names its port.
    if (!opt.quic_port.empty()) {
        auto ep = srv.listen("quic://" + host + ":" + opt.quic_port);
        std::fprintf(stderr, "strata_lab_server: HTTP/3 on udp %s:%u\n", ep.address().to_string().c_str(),
                     ep.port());
    }
    for (auto& port : opt.https_ports) {
        auto ep = srv.listen("https://" + host + ":" + port);
        std::fprintf(stderr, "strata_lab_server: HTTPS on tcp %s:%u\n", ep.address().to_string().c_str(),
                     ep.port());
    }
    source.start(ioc.get_executor(), clock_type::now());

    net::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](strata::error_code ec, int) {
        if (ec)
            return;
        source.stop();
        srv.shutdown();
        srv.async_wait_stopped([&](strata::error_code) { ioc.stop(); });
    });
    std::printf("ready\n");
    std::fflush(stdout);
    ioc.run();
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    options opt;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string_view arg = argv[i];
            if (arg == "-h" || arg == "--help") {
                usage();
                return 0;
            }
            if (arg == "--alt-svc") {
                opt.alt_svc = true;
                continue;
            }
            if (i + 1 >= argc)
                return usage();
            const std::string value = argv[++i];
            if (arg == "--address")
                opt.address = value;
            else if (arg == "--https")
                opt.https_ports.push_back(value);
            else if (arg == "--quic")
                opt.quic_port = value;
            else if (arg == "--cert")
                opt.cert_file = value;
            else if (arg == "--key")
                opt.key_file = value;
            else if (arg == "--docroot")
                opt.docroot = value;
            else if (arg == "--rate")
                opt.rate = parse_rate(value);
            else
                return usage();
        }
        if (opt.cert_file.empty() || opt.key_file.empty() ||
            (opt.https_ports.empty() && opt.quic_port.empty()))
            return usage();
        if (!opt.docroot.empty() && !std::filesystem::is_directory(opt.docroot)) {
            std::fprintf(stderr, "strata_lab_server: --docroot %s is not a directory\n", opt.docroot.c_str());
            return 2;
        }
        return run(opt);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata_lab_server: %s\n", e.what());
        return 1;
    }
}
