// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Server-Sent Events with strata::sse::event_source: prints each score and
// goal as it is pushed. Stop the server and start it again: the source
// reconnects by itself and resumes with Last-Event-ID. Ctrl-C stops it.
// Run: ./sse_scores_client [url]   (default http://127.0.0.1:8080/scores)

#include <strata/error.hpp>
#include <strata/sse/event_source.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>

namespace net = boost::asio;

int main(int argc, char** argv)
{
    net::io_context io;
    strata::client cli{io.get_executor()};
    net::signal_set signals{io, SIGINT, SIGTERM};
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            strata::sse::event_source scores{cli, argc > 1 ? argv[1] : "http://127.0.0.1:8080/scores"};
            signals.async_wait([&](strata::error_code ec, int) {
                if (!ec) // not cancelled: `scores` is still there
                    scores.close();
            });
            for (;;) {
                strata::error_code ec;
                auto ev = co_await scores.next(ec);
                if (ec) { // closed by Ctrl-C, or the server answered with something not an event stream
                    if (ec != strata::error::shutting_down)
                        std::cerr << "giving up: " << ec.message() << " (status " << scores.last_status()
                                  << ")\n";
                    break;
                }
                if (ev.type == "goal")
                    std::cout << "GOAL! " << ev.data << "\n";
                else
                    std::cout << ev.type << " " << ev.data << "  (id " << ev.last_event_id << ")\n";
                std::cout << std::flush;
            }
            signals.cancel();
        },
        // The source is gone by now, and its connection idle: close it, or it would keep io.run() going.
        [&](std::exception_ptr) { cli.close_idle(); });
    io.run();
}
