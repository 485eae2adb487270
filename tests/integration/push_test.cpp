// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Server push end to end, on every transport: Server-Sent Events and long
// polling from one topic, with strata's event_source and long-poll poller.

#include "test_support.hpp"
#include "transports.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <thread>

#include <strata/client.hpp>
#include <strata/error.hpp>
#include <strata/long_poll/handler.hpp>
#include <strata/long_poll/poller.hpp>
#include <strata/server.hpp>
#include <strata/sse/event_source.hpp>
#include <strata/sse/handler.hpp>
#include <strata/topic.hpp>

using namespace strata;
using namespace std::chrono_literals;
using test::run;
using test::sleep_for;

namespace {

class Push : public ::testing::TestWithParam<test::transport> {
protected:
    std::string url(const net::ip::tcp::endpoint& ep, std::string_view path) const
    {
        return GetParam().scheme() + "://127.0.0.1:" + std::to_string(ep.port()) + std::string(path);
    }
    server_config server_cfg() const { return test::server_config_for(GetParam()); }
    client_config client_cfg() const { return test::client_config_for(GetParam()); }
};

// Waits until `n` subscribers wait on the topic (the streams are open).
net::awaitable<void> wait_subscribers(const topic& t, std::size_t n)
{
    for (int i = 0; i < 500 && t.waiting() < n; ++i)
        co_await sleep_for(5ms);
    EXPECT_GE(t.waiting(), n);
}

sse::handler_config quick_sse()
{
    sse::handler_config cfg;
    cfg.retry = 20ms;
    return cfg;
}

// ---- Server-Sent Events ------------------------------------------------------

TEST_P(Push, SseDeliversEventsInOrderWithTypesIdsAndMultilineData)
{
    net::io_context io;
    topic t;
    server srv{io.get_executor(), server_cfg()};
    srv.route("GET", "/events", sse::handler(t, quick_sse()));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        sse::event_source es{cli, url(ep, "/events")};
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                co_await wait_subscribers(t, 1);
                t.publish("score", "1-0");
                t.publish("", "line one\nline two");
                t.publish("score", "2-0");
            },
            net::detached);
        auto a = co_await es.next();
        EXPECT_EQ(a.type, "score");
        EXPECT_EQ(a.data, "1-0");
        EXPECT_EQ(a.last_event_id, "1");
        auto b = co_await es.next();
        EXPECT_EQ(b.type, "message");
        EXPECT_EQ(b.data, "line one\nline two");
        EXPECT_EQ(b.last_event_id, "2");
        auto c = co_await es.next();
        EXPECT_EQ(c.data, "2-0");
        EXPECT_EQ(es.last_event_id(), "3");
        EXPECT_EQ(es.state(), sse::ready_state::open);
        EXPECT_EQ(es.version(), GetParam().version);
        EXPECT_EQ(es.reconnection_time(), 20ms); // the server's retry:
        es.close();
    });
}

TEST_P(Push, SseResumesFromLastEventIdAcrossReconnects)
{
    net::io_context io;
    topic t;
    server srv{io.get_executor(), server_cfg()};
    auto cfg = quick_sse();
    cfg.max_duration = 60ms; // every stream ends soon: the client must resume
    srv.route("GET", "/events", sse::handler(t, cfg));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    constexpr int total = 300;
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        sse::event_source es{cli, url(ep, "/events")};
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                co_await wait_subscribers(t, 1);
                for (int i = 1; i <= total; ++i) {
                    t.publish("n", std::to_string(i));
                    if (i % 10 == 0)
                        co_await sleep_for(5ms);
                }
            },
            net::detached);
        for (int i = 1; i <= total; ++i) {
            auto ev = co_await es.next();
            EXPECT_EQ(ev.data, std::to_string(i));
            if (ev.data != std::to_string(i))
                break;
        }
        EXPECT_GE(es.connections(), 3u);
        es.close();
    });
}

TEST_P(Push, SseSaysSoWhenTheCursorIsOlderThanTheRetentionWindow)
{
    net::io_context io;
    topic_config tc;
    tc.max_events = 5;
    topic t{tc};
    for (int i = 1; i <= 20; ++i)
        t.publish(std::to_string(i));
    server srv{io.get_executor(), server_cfg()};
    srv.route("GET", "/events", sse::handler(t, quick_sse()));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        sse::source_config sc;
        sc.last_event_id = "2";
        sse::event_source es{cli, url(ep, "/events"), sc};
        auto gap = co_await es.next();
        EXPECT_EQ(gap.type, "strata-gap");
        EXPECT_EQ(gap.data, R"({"after":2,"missed":13})");
        for (int i = 16; i <= 20; ++i) {
            auto ev = co_await es.next();
            EXPECT_EQ(ev.data, std::to_string(i));
            EXPECT_EQ(ev.last_event_id, std::to_string(i));
        }
        es.close();
    });
}

TEST_P(Push, SseHeartbeatsKeepAQuietStreamOpen)
{
    net::io_context io;
    topic t;
    server srv{io.get_executor(), server_cfg()};
    auto cfg = quick_sse();
    cfg.heartbeat = 40ms;
    srv.route("GET", "/events", sse::handler(t, cfg));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        sse::source_config sc;
        sc.idle_timeout = 250ms; // without heartbeats the stream would count as dead
        sse::event_source es{cli, url(ep, "/events"), sc};
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                co_await wait_subscribers(t, 1);
                co_await sleep_for(800ms);
                t.publish("late");
            },
            net::detached);
        auto ev = co_await es.next();
        EXPECT_EQ(ev.data, "late");
        EXPECT_EQ(es.connections(), 1u);
        es.close();
    });
}

TEST_P(Push, SseFailsForGoodOnAWrongStatusOrContentType)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    int plain_hits = 0;
    srv.route("GET", "/plain", [&](request&, response& res) -> net::awaitable<void> {
        ++plain_hits;
        co_await res.send(status::ok, "data: x\n\n", "text/plain");
    });
    srv.route("GET", "/gone", [](request&, response& res) -> net::awaitable<void> {
        co_await res.send(status::no_content, {}, {});
    });
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        sse::event_source plain{cli, url(ep, "/plain")};
        error_code ec;
        co_await plain.next(ec);
        EXPECT_EQ(ec, sse::error::bad_content_type);
        EXPECT_EQ(plain.state(), sse::ready_state::closed);
        co_await plain.next(ec); // no reconnection after a failure
        EXPECT_EQ(ec, sse::error::bad_content_type);
        EXPECT_EQ(plain_hits, 1);

        sse::event_source gone{cli, url(ep, "/gone")};
        co_await gone.next(ec);
        EXPECT_EQ(ec, sse::error::bad_status);
        EXPECT_EQ(gone.last_status(), 204u);
        sse::event_source missing{cli, url(ep, "/missing")};
        co_await missing.next(ec);
        EXPECT_EQ(ec, sse::error::bad_status);
        EXPECT_EQ(missing.last_status(), 404u);
    });
}

TEST_P(Push, SseCloseEndsAPendingNextAtOnce)
{
    net::io_context io;
    topic t;
    server srv{io.get_executor(), server_cfg()};
    srv.route("GET", "/events", sse::handler(t, quick_sse()));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        sse::event_source es{cli, url(ep, "/events")};
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                co_await wait_subscribers(t, 1);
                es.close();
            },
            net::detached);
        auto started = std::chrono::steady_clock::now();
        error_code ec;
        co_await es.next(ec);
        EXPECT_EQ(ec, error::shutting_down);
        EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
        // The server notices the stream is gone and lets go of its subscriber.
        for (int i = 0; i < 200 && t.waiting() > 0; ++i) {
            t.publish("ping");
            co_await sleep_for(10ms);
        }
        EXPECT_EQ(t.waiting(), 0u);
    });
}

TEST_P(Push, SseCloseLetsTheClientRunReturn)
{
    // After close(), with the source object still alive, nothing of the
    // client keeps its io_context busy (the server runs on its own thread).
    net::io_context server_io;
    topic t;
    server srv{server_io.get_executor(), server_cfg()};
    srv.route("GET", "/events", sse::handler(t, quick_sse()));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    auto guard = net::make_work_guard(server_io);
    std::thread server_thread{[&] { server_io.run(); }};

    net::io_context io;
    client cli{io.get_executor(), client_cfg()};
    sse::event_source es{cli, url(ep, "/events")};
    bool finished = false;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            for (int i = 0; i < 500 && t.waiting() == 0; ++i)
                co_await sleep_for(5ms);
            es.close();
        },
        net::detached);
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            error_code ec;
            co_await es.next(ec);
            EXPECT_EQ(ec, error::shutting_down);
            cli.close_idle();
            finished = true;
        },
        net::detached);
    io.run_for(10s);
    EXPECT_TRUE(finished);
    EXPECT_TRUE(io.stopped()) << "the closed source still holds a connection";

    net::post(server_io, [&] {
        t.close();
        srv.shutdown();
    });
    guard.reset();
    server_thread.join();
}

TEST_P(Push, GracefulShutdownEndsOpenStreamsAndHeldPollsAtOnce)
{
    net::io_context io;
    topic t;
    server srv{io.get_executor(), server_cfg()}; // shutdown_timeout: 30 s
    srv.route("GET", "/events", sse::handler(t, quick_sse()));
    srv.route("GET", "/poll", long_poll::handler(t)); // holds 30 s
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        sse::event_source es{cli, url(ep, "/events")};
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                co_await wait_subscribers(t, 1);
                t.publish("before");
            },
            net::detached);
        auto ev = co_await es.next();
        EXPECT_EQ(ev.data, "before");
        bool poll_answered = false;
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                auto res = co_await cli.get(url(ep, "/poll?since=1"));
                EXPECT_EQ(res.status(), 200u);
                // Answered at the shutdown, empty, with the cursor to resume from.
                EXPECT_EQ(co_await res.body(), "{\"next\":1,\"missed\":0,\"events\":[]}\n");
                poll_answered = true;
            },
            net::detached);
        co_await wait_subscribers(t, 2); // the stream and the held poll
        auto started = std::chrono::steady_clock::now();
        srv.shutdown();
        co_await srv.async_wait_stopped(net::use_awaitable);
        EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
        for (int i = 0; i < 100 && !poll_answered; ++i)
            co_await sleep_for(10ms);
        EXPECT_TRUE(poll_answered);
        es.close();
    });
}

// ---- Long polling --------------------------------------------------------------

TEST_P(Push, LongPollAnswersAtOnceWithWhatIsAlreadyThere)
{
    net::io_context io;
    topic t;
    t.publish("a", "1");
    t.publish("b", "two \"quoted\"\nlines");
    t.publish("c", "3");
    server srv{io.get_executor(), server_cfg()};
    srv.route("GET", "/poll", long_poll::handler(t));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        long_poll::poller_config pc;
        pc.since = 1;
        long_poll::poller p{cli, url(ep, "/poll"), pc};
        auto started = std::chrono::steady_clock::now();
        auto b = co_await p.next();
        EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
        EXPECT_EQ(b.next, 3u);
        EXPECT_EQ(b.missed, 0u);
        if (b.events.size() == 2) {
            EXPECT_EQ(b.events[0].id, 2u);
            EXPECT_EQ(b.events[0].type, "b");
            EXPECT_EQ(b.events[0].data, "two \"quoted\"\nlines");
            EXPECT_EQ(b.events[1].id, 3u);
        } else {
            ADD_FAILURE() << "expected 2 events, got " << b.events.size();
        }
        EXPECT_EQ(p.cursor(), 3u);
        EXPECT_EQ(p.requests(), 1u);
    });
}

TEST_P(Push, LongPollHoldsTheRequestUntilAnEventIsPublished)
{
    net::io_context io;
    topic t;
    t.publish("old");
    server srv{io.get_executor(), server_cfg()};
    srv.route("GET", "/poll", long_poll::handler(t));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        long_poll::poller p{cli, url(ep, "/poll")}; // no cursor: what comes next
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                co_await wait_subscribers(t, 1);
                co_await sleep_for(100ms);
                t.publish("new");
            },
            net::detached);
        auto b = co_await p.next();
        EXPECT_EQ(b.events.size(), 1u);
        if (!b.events.empty()) {
            EXPECT_EQ(b.events[0].data, "new");
        }
        EXPECT_EQ(p.requests(), 1u); // held, not re-asked
    });
}

TEST_P(Push, LongPollAnswersEmptyAfterTheHoldAndThePollerAsksAgain)
{
    net::io_context io;
    topic t;
    server srv{io.get_executor(), server_cfg()};
    long_poll::handler_config hc;
    hc.hold = 50ms;
    srv.route("GET", "/poll", long_poll::handler(t, hc));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        // The raw answer: an empty batch that still carries the cursor.
        auto res = co_await cli.get(url(ep, "/poll?since=0"));
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.header("Content-Type").value_or(""), "application/json");
        EXPECT_EQ(co_await res.body(), "{\"next\":0,\"missed\":0,\"events\":[]}\n");

        long_poll::poller p{cli, url(ep, "/poll")};
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                co_await sleep_for(300ms);
                t.publish("finally");
            },
            net::detached);
        auto b = co_await p.next();
        EXPECT_EQ(b.events.size(), 1u);
        EXPECT_GE(p.requests(), 3u);
    });
}

TEST_P(Push, LongPollReportsWhatTheRetentionWindowDropped)
{
    net::io_context io;
    topic_config tc;
    tc.max_events = 4;
    topic t{tc};
    for (int i = 1; i <= 10; ++i)
        t.publish(std::to_string(i));
    server srv{io.get_executor(), server_cfg()};
    srv.route("GET", "/poll", long_poll::handler(t));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        long_poll::poller_config pc;
        pc.since = 3;
        long_poll::poller p{cli, url(ep, "/poll"), pc};
        auto b = co_await p.next();
        EXPECT_EQ(b.missed, 3u); // 4, 5 and 6 are gone
        EXPECT_EQ(b.events.size(), 4u);
        if (!b.events.empty()) {
            EXPECT_EQ(b.events.front().id, 7u);
        }
        EXPECT_EQ(b.next, 10u);

        auto bad = co_await cli.get(url(ep, "/poll?since=abc"));
        EXPECT_EQ(bad.status(), 400u);
    });
}

TEST_P(Push, ACursorFromARestartedServerIsToldNotIgnored)
{
    // The client's cursor is past everything this topic ever had: the
    // server was restarted and its ids began again.
    net::io_context io;
    topic t;
    t.publish("1");
    t.publish("2");
    server srv{io.get_executor(), server_cfg()};
    srv.route("GET", "/events", sse::handler(t, quick_sse()));
    srv.route("GET", "/poll", long_poll::handler(t));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        sse::source_config sc;
        sc.last_event_id = "500";
        sse::event_source es{cli, url(ep, "/events"), sc};
        auto gap = co_await es.next();
        EXPECT_EQ(gap.type, "strata-gap");
        EXPECT_EQ(gap.data, R"({"after":500,"missed":0})");
        EXPECT_EQ((co_await es.next()).data, "1");
        EXPECT_EQ((co_await es.next()).last_event_id, "2");
        es.close();

        long_poll::poller_config pc;
        pc.since = 500;
        long_poll::poller p{cli, url(ep, "/poll"), pc};
        auto b = co_await p.next();
        EXPECT_TRUE(b.reset);
        EXPECT_EQ(b.events.size(), 2u);
        EXPECT_EQ(p.cursor(), 2u);
        EXPECT_EQ(p.requests(), 1u);
    });
}

TEST_P(Push, MalformedOrOversizedPushInputIsRefusedNotDelivered)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    int garbage_hits = 0, long_line_hits = 0;
    srv.route("GET", "/garbage", [&](request&, response& res) -> net::awaitable<void> {
        ++garbage_hits;
        co_await res.send(status::ok, R"({"next":1,"events":[{"id":"x"}]})", "application/json");
    });
    srv.route("GET", "/long-line", [&](request&, response& res) -> net::awaitable<void> {
        ++long_line_hits;
        res.set_header("Content-Type", "text/event-stream");
        co_await res.start(status::ok);
        co_await res.write("data: " + std::string(2048, 'x') + "\n\n");
        co_await res.finish();
    });
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        long_poll::poller_config pc;
        pc.since = 0;
        pc.initial_backoff = 5ms;
        long_poll::poller p{cli, url(ep, "/garbage"), pc};
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                while (garbage_hits < 3)
                    co_await sleep_for(5ms);
                p.stop();
            },
            net::detached);
        error_code ec;
        co_await p.next(ec);
        EXPECT_EQ(ec, error::shutting_down); // nothing was delivered from it
        EXPECT_GE(p.errors(), 2u);
        EXPECT_EQ(p.cursor(), 0u);

        sse::source_config sc;
        sc.parser.max_line_bytes = 1024;
        sc.reconnect_delay = 5ms;
        sse::event_source es{cli, url(ep, "/long-line"), sc};
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                while (long_line_hits < 3)
                    co_await sleep_for(5ms);
                es.close();
            },
            net::detached);
        co_await es.next(ec);
        EXPECT_EQ(ec, error::shutting_down);
        EXPECT_EQ(es.last_error(), sse::error::line_too_long);
    });
}

TEST_P(Push, LongPollStopAbandonsAHeldRequestAtOnce)
{
    net::io_context io;
    topic t;
    server srv{io.get_executor(), server_cfg()};
    srv.route("GET", "/poll", long_poll::handler(t)); // holds 30 s
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client cli{io.get_executor(), client_cfg()};
        long_poll::poller p{cli, url(ep, "/poll")};
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                co_await wait_subscribers(t, 1);
                p.stop();
            },
            net::detached);
        auto started = std::chrono::steady_clock::now();
        error_code ec;
        co_await p.next(ec);
        EXPECT_EQ(ec, error::shutting_down);
        EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    });
}

INSTANTIATE_TEST_SUITE_P(AllTransports, Push, test::all_transports(), test::transport_name);

} // namespace
