// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Short polling with strata::short_poller: asks every 500 ms, prints only
// changes, and on Ctrl-C how many polls were answered 304 (no body).
// Run: ./scores_poller [url]   (default http://127.0.0.1:8080/scores)

#include <strata/short_poll.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>

namespace net = boost::asio;

int main(int argc, char** argv)
{
    net::io_context io;
    strata::client cli{io.get_executor()};
    strata::short_poll_config cfg;
    cfg.interval = std::chrono::milliseconds(500);
    strata::short_poller poller{cli, argc > 1 ? argv[1] : "http://127.0.0.1:8080/scores", cfg};
    net::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](strata::error_code, int) { poller.stop(); });

    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            for (;;) {
                strata::error_code ec;
                auto update = co_await poller.next(ec);
                if (ec) // stopped
                    break;
                std::cout << update.status << " " << update.etag << " " << update.body << std::flush;
            }
            signals.cancel();
            cli.close_idle(); // the pooled connection would keep io.run() going
        },
        net::detached);
    io.run();
    std::cout << poller.requests() << " requests, " << poller.not_modified()
              << " answered 304 Not Modified\n";
}
