// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The rider: follows the driver's position and talks with the driver, on one
// WebSocket to the gateway. Lines typed on stdin go to the driver. When the
// connection drops it comes back with its mailbox cursor (after=N) and gets
// every message it missed, once.
//
//   rider_client [--gateway ws://127.0.0.1:8090/gateway] [--name rider-1] [--driver driver-1]
//
// Scripted (what the end-to-end test runs): --say TEXT (repeatable) sends
// messages at the start; --drop-after-say drops the connection right after
// sending them and reconnects 2 s later; --expect-replies K and
// --expect-locations L make it exit 0 once it has seen that many (1 after
// --timeout seconds, or on a duplicate or missing mailbox message).

#include "rider.hpp"

#include <strata/websocket/stream.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <istream>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace net = boost::asio;
using json = nlohmann::json;

namespace {

struct options {
    std::string gateway = "ws://127.0.0.1:8090/gateway";
    std::string name = "rider-1";
    std::string driver = "driver-1";
    std::vector<std::string> say;
    bool drop_after_say = false;
    int expect_replies = -1, expect_locations = -1;
    int timeout_s = 60;
};

struct progress {
    std::uint64_t cursor = 0; ///< the last mailbox seq seen
    bool known = false;
    int replies = 0, locations = 0, connections = 0;
    bool failed = false;
    bool done(const options& o) const
    {
        return (o.expect_replies >= 0 || o.expect_locations >= 0) && replies >= o.expect_replies &&
               locations >= o.expect_locations;
    }
};

net::awaitable<void> pause(std::chrono::milliseconds d)
{
    net::steady_timer t{co_await net::this_coro::executor, d};
    strata::error_code ignored;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ignored));
}

std::string message_to(const options& o, const std::string& text)
{
    json j;
    j["type"] = "rider_message";
    j["data"]["to"] = o.driver;
    j["data"]["text"] = text;
    return j.dump();
}

/// One connection: returns when it drops (or the script is done).
net::awaitable<void> session(const options& o, progress& p, strata::websocket::stream*& current, bool first)
{
    auto ex = co_await net::this_coro::executor;
    auto url = o.gateway + "?access_token=" + o.name;
    if (p.known)
        url += "&after=" + std::to_string(p.cursor);
    strata::error_code ec;
    const strata::websocket::connect_config connect_cfg;
    auto ws = co_await strata::websocket::connect(ex, url, connect_cfg, ec);
    if (ec) {
        std::fprintf(stderr, "rider: %s\n", ec.message().c_str());
        co_return;
    }
    ++p.connections;
    current = &ws;
    // The welcome first: it says where the mailbox is, which a resume needs.
    auto hello = co_await ws.read(ec);
    auto w = json::parse(hello.data, nullptr, false);
    if (ec || w.is_discarded() || w.value("type", "") != "welcome") {
        std::fprintf(stderr, "rider: no welcome from the gateway\n");
        current = nullptr;
        co_return;
    }
    if (!p.known) {
        p.cursor = w["data"].value("seq", 0ull);
        p.known = true;
    }
    std::printf("connected as %s (session %llu)\n", w["data"].value("user", "").c_str(),
                static_cast<unsigned long long>(w["data"].value("session", 0ull)));
    std::string route = R"({"type":"route","id":1})";
    co_await ws.write(route, ec);
    std::string subscribe = R"({"type":"subscribe","data":{"topic":"driver/)" + o.driver + R"(/location"}})";
    co_await ws.write(subscribe, ec);
    if (first)
        for (auto& text : o.say) {
            auto m = message_to(o, text);
            co_await ws.write(m, ec);
        }
    if (first && o.drop_after_say) {
        // A tunnel: the connection is gone without a goodbye.
        current = nullptr;
        co_return; // ws destroyed: dropped without a close handshake
    }
    while (!ec && !p.done(o)) {
        auto m = co_await ws.read(ec);
        if (ec)
            break;
        auto j = json::parse(m.data, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            continue;
        auto type = j.value("type", "");
        if (type == "route") {
            std::printf("route of %s: %zu points\n", j["data"].value("driver", "").c_str(),
                        j["data"]["points"].size());
        } else if (type == "driver_location") {
            ++p.locations;
            auto& d = j["data"];
            std::printf("driver at %.5f,%.5f heading %.0f, pickup in %d s\n", d.value("lat", 0.0),
                        d.value("lng", 0.0), d.value("heading", 0.0), d.value("eta_s", 0));
        } else if (type == "rider_message") {
            auto seq = j.value("seq", 0ull);
            if (p.known && seq != p.cursor + 1) {
                std::fprintf(stderr, "rider: mailbox seq %llu after %llu: %s\n",
                             static_cast<unsigned long long>(seq), static_cast<unsigned long long>(p.cursor),
                             seq <= p.cursor ? "a duplicate" : "a gap");
                p.failed = true;
            }
            p.cursor = seq;
            p.known = true;
            auto from = j["data"].value("from", "");
            if (from == o.driver)
                ++p.replies;
            std::printf("[%s] %s\n", from.c_str(), j["data"].value("text", "").c_str());
        } else if (type == "error") {
            std::printf("error: %s (%s)\n", j["data"].value("code", "").c_str(),
                        j["data"].value("reason", "").c_str());
        }
        std::fflush(stdout);
    }
    current = nullptr;
    if (p.done(o))
        co_await ws.close(1000, "arrived", ec);
}

net::awaitable<void> read_stdin(const options& o, strata::websocket::stream*& current)
{
    net::posix::stream_descriptor in{co_await net::this_coro::executor, ::dup(STDIN_FILENO)};
    net::streambuf buf;
    for (;;) {
        strata::error_code ec;
        co_await net::async_read_until(in, buf, '\n', net::redirect_error(net::use_awaitable, ec));
        if (ec)
            co_return;
        std::istream is(&buf);
        std::string line;
        std::getline(is, line);
        if (line.empty() || !current)
            continue;
        auto m = message_to(o, line);
        co_await current->write(m, ec);
    }
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--gateway")
            o.gateway = next();
        else if (a == "--name")
            o.name = next();
        else if (a == "--driver")
            o.driver = next();
        else if (a == "--say")
            o.say.push_back(next());
        else if (a == "--drop-after-say")
            o.drop_after_say = true;
        else if (a == "--expect-replies")
            o.expect_replies = std::stoi(next());
        else if (a == "--expect-locations")
            o.expect_locations = std::stoi(next());
        else if (a == "--timeout")
            o.timeout_s = std::stoi(next());
        else {
            std::fprintf(stderr,
                         "usage: rider_client [--gateway URL] [--name NAME] [--driver NAME] [--say TEXT]... "
                         "[--drop-after-say] [--expect-replies K] [--expect-locations L] [--timeout S]\n");
            return 2;
        }
    }
    const bool scripted = o.expect_replies >= 0 || o.expect_locations >= 0;
    net::io_context io;
    progress p;
    strata::websocket::stream* current = nullptr;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            bool first = true;
            while (!p.done(o) && !p.failed) {
                co_await session(o, p, current, first);
                if (first && o.drop_after_say)
                    co_await pause(std::chrono::seconds(2));
                first = false;
                if (!p.done(o))
                    co_await pause(std::chrono::milliseconds(500));
            }
            io.stop();
        },
        net::detached);
    if (!scripted)
        net::co_spawn(io, read_stdin(o, current), net::detached);
    net::steady_timer limit{io, std::chrono::seconds(o.timeout_s)};
    if (scripted)
        limit.async_wait([&](strata::error_code ec) {
            if (!ec) {
                std::fprintf(stderr, "rider: timed out with %d replies and %d locations\n", p.replies,
                             p.locations);
                p.failed = true;
                io.stop();
            }
        });
    io.run();
    if (scripted)
        std::printf("rider: %d replies, %d locations, %d connections%s\n", p.replies, p.locations,
                    p.connections, p.failed ? ", FAILED" : "");
    return p.failed ? 1 : 0;
}
