// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Live scores pushed with Server-Sent Events. A match simulation publishes
// typed events into a topic: "score" every match minute (one second here),
// "goal" when someone scores. GET /scores streams them (sse::handler: a
// client that reconnects with Last-Event-ID gets what it missed); GET / is
// a page whose EventSource shows them in a browser.
// Run: ./sse_scores_server [port]   (default 8080); then open
// http://127.0.0.1:8080/ or run ./sse_scores_client.

#include <strata/server.hpp>
#include <strata/sse/handler.hpp>
#include <strata/topic.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>
#include <random>
#include <string>

namespace net = boost::asio;
using namespace std::chrono_literals;

constexpr std::string_view page = R"(<!doctype html>
<meta charset="utf-8"><title>Live scores</title>
<h1>Strata Rovers <span id="score">0 - 0</span> Asio Athletic</h1>
<p id="minute">waiting for kick-off</p>
<ul id="goals"></ul>
<script>
const scores = new EventSource('/scores');   // reconnects by itself, with Last-Event-ID
scores.addEventListener('score', e => {
  const s = JSON.parse(e.data);
  document.getElementById('score').textContent = s.home + ' - ' + s.away;
  document.getElementById('minute').textContent = s.minute + "'";
});
scores.addEventListener('goal', e => {
  const g = JSON.parse(e.data);
  const li = document.createElement('li');
  li.textContent = g.minute + "' GOAL " + g.team + ': ' + g.player;
  document.getElementById('goals').prepend(li);
});
</script>
)";

// Ninety minutes, one a second, then the next match kicks off.
net::awaitable<void> play(strata::topic& scores)
{
    const char* players[2][3] = {{"Beast", "Coro", "Strand"}, {"Reactor", "Proactor", "Timer"}};
    std::mt19937 rng{2026};
    net::steady_timer timer{co_await net::this_coro::executor};
    for (;;) {
        int goals[2] = {0, 0};
        for (int minute = 1; minute <= 90; ++minute) {
            timer.expires_after(1s);
            co_await timer.async_wait(net::use_awaitable);
            if (int side = static_cast<int>(rng() % 12); side < 2) { // a goal about every six minutes
                ++goals[side];
                scores.publish("goal", "{\"minute\":" + std::to_string(minute) + ",\"team\":\"" +
                                           (side == 0 ? "home" : "away") + "\",\"player\":\"" +
                                           players[side][rng() % 3] + "\"}");
            }
            scores.publish("score", "{\"minute\":" + std::to_string(minute) +
                                        ",\"home\":" + std::to_string(goals[0]) +
                                        ",\"away\":" + std::to_string(goals[1]) + "}");
        }
    }
}

int main(int argc, char** argv)
{
    net::io_context io;
    strata::topic scores; // must outlive the server, whose handler streams it
    strata::server srv{io.get_executor()};
    srv.route("GET", "/scores", strata::sse::handler(scores));
    srv.route("GET", "/", [](strata::request&, strata::response& res) -> net::awaitable<void> {
        co_await res.send(strata::status::ok, page, "text/html; charset=utf-8");
    });
    // The same handler serves HTTP/2 and HTTP/3 too: listen on https:// and quic:// as well.
    auto ep = srv.listen("http://127.0.0.1:" + std::string(argc > 1 ? argv[1] : "8080"));
    net::co_spawn(io, play(scores), net::detached);
    std::cout << "open http://127.0.0.1:" << ep.port() << "/ (events at /scores)" << std::endl;
    io.run();
}
