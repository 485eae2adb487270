// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Short polling end to end: the poller delivers only changes, unchanged
// polls cost a 304 with no body, errors back off, stop() ends it.

#include "test_support.hpp"
#include "transports.hpp"

#include <strata/client.hpp>
#include <strata/conditional.hpp>
#include <strata/error.hpp>
#include <strata/server.hpp>
#include <strata/short_poll.hpp>

using namespace strata;
using namespace std::chrono_literals;
using test::run;

namespace {

short_poll_config config(std::chrono::milliseconds interval, std::chrono::milliseconds max_backoff = 30s)
{
    short_poll_config cfg;
    cfg.interval = interval;
    cfg.max_backoff = max_backoff;
    return cfg;
}

struct scoreboard {
    std::string score = "0-0";
    int fail_next = 0;
    int served_200 = 0, served_304 = 0;

    handler route()
    {
        return [this](request& req, response& res) -> net::awaitable<void> {
            if (fail_next > 0) {
                --fail_next;
                co_await res.send(status::service_unavailable, "try later");
                co_return;
            }
            auto tag = make_etag(score);
            res.set_header("ETag", tag);
            if (not_modified(req, tag)) {
                ++served_304;
                co_await res.send(status::not_modified, {}, {});
            } else {
                ++served_200;
                co_await res.send(status::ok, score);
            }
        };
    }
};

class ShortPoll : public ::testing::TestWithParam<test::transport> {
protected:
    std::string url(const net::ip::tcp::endpoint& ep, std::string_view path) const
    {
        return GetParam().scheme() + "://127.0.0.1:" + std::to_string(ep.port()) + std::string(path);
    }
    server_config server_cfg() const { return test::server_config_for(GetParam()); }
    client_config client_cfg() const { return test::client_config_for(GetParam()); }
};

TEST_P(ShortPoll, DeliversOnlyChangesAndUnchangedPollsCost304)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    scoreboard board;
    srv.route("GET", "/score", board.route());
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        short_poller poller{cli, url(ep, "/score"), config(20ms)};
        auto first = co_await poller.async_next();
        EXPECT_EQ(first.body, "0-0");
        EXPECT_FALSE(first.etag.empty());
        // Change the score after a few unchanged polls.
        net::steady_timer later{io, 120ms};
        later.async_wait([&](error_code) { board.score = "1-0"; });
        auto second = co_await poller.async_next();
        EXPECT_EQ(second.body, "1-0");
        EXPECT_GE(board.served_304, 3);
        EXPECT_EQ(board.served_200, 2);
        EXPECT_EQ(poller.not_modified(), static_cast<std::size_t>(board.served_304));
        EXPECT_EQ(cli.connections_opened(), 1u); // every poll reused the keep-alive connection
    });
}

TEST_P(ShortPoll, ErrorsBackOffAndRecover)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    scoreboard board;
    board.fail_next = 3;
    srv.route("GET", "/score", board.route());
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        short_poller poller{cli, url(ep, "/score"), config(10ms, 40ms)};
        auto start = std::chrono::steady_clock::now();
        auto first = co_await poller.async_next();
        EXPECT_EQ(first.body, "0-0");
        EXPECT_EQ(poller.errors(), 3u);
        EXPECT_EQ(poller.last_status(), 200u);
        EXPECT_FALSE(poller.last_error());
        // Back-off 20 + 40 + 40 ms at least after the three failures.
        EXPECT_GE(std::chrono::steady_clock::now() - start, 95ms);
    });
}

TEST_P(ShortPoll, StopEndsAPendingPoll)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    scoreboard board;
    srv.route("GET", "/score", board.route());
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        short_poller poller{cli, url(ep, "/score"), config(10s)};
        co_await poller.async_next();
        net::steady_timer later{io, 50ms};
        later.async_wait([&](error_code) { poller.stop(); });
        error_code ec;
        co_await poller.next(ec);
        EXPECT_EQ(ec, error::shutting_down);
    });
}

INSTANTIATE_TEST_SUITE_P(Versions, ShortPoll, test::all_transports(), test::transport_name);

} // namespace
