// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// strata's side of the SSE fan-out benchmark (load/sse_fanout.sh): one
// publisher, one topic, every subscriber streamed by sse::handler, on one
// io_context thread over HTTP/1.1 cleartext. load/sse_node_server.js and
// load/sse_c_writer.c serve the same three routes with the same bytes:
//
//   GET  /events            text/event-stream, chunked: ":\n\n" first, then
//                           "id: N\ndata: t=<publish time> xxx...\n\n" per event
//   POST /start[?rate=R]    starts publishing R events/s (default --rate); 204
//   POST /stop              stops publishing; answers the last id published
//
// Publishing waits for /start so that the load client can measure the memory
// of idle subscribers first. The data of each event is its publish time,
// steady_clock (CLOCK_MONOTONIC) nanoseconds in 20 digits, padded with 'x'
// to --size bytes; the load client reads the same clock on receipt. Events
// are due at start + k / rate; a late timer publishes every event that has
// come due, so a late tick does not delay the ones after it.
//
//   strata_sse_fanout_server [--port 8093] [--address 127.0.0.1] [--rate 10] [--size 64]

#include <strata/config.hpp>

#include <strata/server.hpp>
#include <strata/sse/handler.hpp>
#include <strata/topic.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace net = strata::net;
using clock_type = std::chrono::steady_clock;

struct options {
    std::string port = "8093";
    std::string address = "127.0.0.1";
    double rate = 10;
    std::size_t size = 64;
};

std::optional<double> parse_rate(std::string_view text)
{
    double r = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), r);
    if (ec != std::errc{} || end != text.data() + text.size() || !(r > 0) || r > 1e7)
        return std::nullopt;
    return r;
}

[[noreturn]] void usage()
{
    std::fprintf(stderr, "usage: strata_sse_fanout_server [--port 8093] [--address 127.0.0.1]\n"
                         "                                [--rate EVENTS/S] [--size BYTES]\n");
    std::exit(2);
}

// "t=<20 digits> " then 'x' up to `size` bytes: the same fixed-size data the
// Node and C servers send.
void stamp(std::string& data, std::size_t size)
{
    char digits[32];
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch());
    std::snprintf(digits, sizeof digits, "t=%020lld ", static_cast<long long>(ns.count()));
    data.assign(digits);
    if (data.size() < size)
        data.append(size - data.size(), 'x');
}

class publisher {
public:
    publisher(strata::topic& t, std::size_t size) : topic_(t), size_(size) {}

    void start(net::any_io_executor ex, double rate)
    {
        const auto gen = ++generation_; // ends a loop already running
        net::co_spawn(ex, run(gen, rate), net::detached);
    }
    void stop() { ++generation_; }

private:
    net::awaitable<void> run(std::uint64_t gen, double rate)
    {
        net::steady_timer timer{co_await net::this_coro::executor};
        const auto period = std::chrono::nanoseconds{static_cast<std::int64_t>(1e9 / rate)};
        auto due = clock_type::now();
        std::string data;
        while (generation_ == gen) {
            timer.expires_at(due);
            co_await timer.async_wait(net::use_awaitable);
            // Every event that has come due, as the Node peer does: behind
            // schedule, waiting for the timer again would put the next one
            // behind every subscriber's continuation in the queue.
            for (auto now = clock_type::now(); due <= now && generation_ == gen; due += period) {
                stamp(data, size_);
                topic_.publish(data);
            }
        }
    }

    strata::topic& topic_;
    std::size_t size_;
    std::uint64_t generation_ = 0;
};

} // namespace

int main(int argc, char** argv)
{
    options opt;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (i + 1 >= argc)
            usage();
        const std::string_view value = argv[++i];
        if (arg == "--port")
            opt.port = value;
        else if (arg == "--address")
            opt.address = value;
        else if (arg == "--rate") {
            auto r = parse_rate(value);
            if (!r)
                usage();
            opt.rate = *r;
        } else if (arg == "--size")
            opt.size = std::strtoul(argv[i], nullptr, 10);
        else
            usage();
    }
    try {
        net::io_context ioc{1};
        strata::topic topic;
        publisher pub{topic, opt.size};

        strata::server_config cfg;
        // 10,000 subscribers and a few control requests; the default (10,000) would turn the last ones away.
        cfg.max_connections = 20'000;
        strata::server srv{ioc.get_executor(), cfg};

        strata::sse::handler_config sse_cfg;
        // Nothing but the benchmark's events on the wire: no heartbeat comment
        // within a run, no retry field (the preamble is then ":\n\n", as the peers send).
        sse_cfg.heartbeat = std::chrono::minutes{10};
        sse_cfg.retry = std::chrono::milliseconds{0};
        srv.route("GET", "/events", strata::sse::handler(topic, sse_cfg));
        srv.route("POST", "/start", [&](strata::request& req, strata::response& res) -> net::awaitable<void> {
            auto rate = opt.rate;
            if (auto q = req.query_param("rate")) {
                auto r = parse_rate(*q);
                if (!r) {
                    co_await res.send(strata::status::bad_request, "bad rate\n");
                    co_return;
                }
                rate = *r;
            }
            pub.start(ioc.get_executor(), rate);
            co_await res.send(strata::status::no_content, {});
        });
        srv.route("POST", "/stop", [&](strata::request&, strata::response& res) -> net::awaitable<void> {
            pub.stop();
            co_await res.send(strata::status::ok, std::to_string(topic.last_id()) + "\n");
        });
        const auto ep = srv.listen("http://" + opt.address + ":" + opt.port);
        std::printf("strata listening on http://%s:%u\n", ep.address().to_string().c_str(), ep.port());
        std::fflush(stdout);
        ioc.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata_sse_fanout_server: %s\n", e.what());
        return 1;
    }
}
