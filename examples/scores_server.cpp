// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Live scores for short polling: the score changes every 2 s; GET /scores
// answers with an ETag, and with 304 Not Modified (no body) while it has not
// changed. Run: ./scores_server [port]   (default 8080)

#include <strata/conditional.hpp>
#include <strata/server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>
#include <string>

namespace net = boost::asio;
using namespace std::chrono_literals;

int main(int argc, char** argv)
{
    net::io_context io;
    int home = 0, away = 0;
    // The match: every 2 s one side scores.
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            net::steady_timer timer{io};
            for (int minute = 1;; ++minute) {
                timer.expires_after(2s);
                co_await timer.async_wait(net::use_awaitable);
                (minute % 3 == 0 ? away : home) += 1;
            }
        },
        net::detached);

    strata::server srv{io.get_executor()};
    srv.route("GET", "/scores", [&](strata::request& req, strata::response& res) -> net::awaitable<void> {
        auto doc = "{\"home\":" + std::to_string(home) + ",\"away\":" + std::to_string(away) + "}\n";
        auto tag = strata::make_etag(doc);
        res.set_header("ETag", tag);
        if (strata::not_modified(req, tag)) { // the client has this version already: no body
            co_await res.start(strata::status::not_modified);
            co_await res.finish();
        } else {
            co_await res.send(strata::status::ok, doc, "application/json");
        }
    });
    auto ep = srv.listen("http://127.0.0.1:" + std::string(argc > 1 ? argv[1] : "8080"));
    std::cout << "scores at http://127.0.0.1:" << ep.port() << "/scores" << std::endl;
    io.run();
}
