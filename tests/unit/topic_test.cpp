// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The topic: retention, cursors, expiry told explicitly, slow subscribers
// cut off with a resumable cursor, shared encodings, publishing from threads.

#include <strata/topic.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

#include <thread>

using namespace strata;
using namespace std::chrono_literals;

namespace {

// Runs `body` on a fresh io_context until it finishes.
void run(std::function<net::awaitable<void>(net::io_context&)> body)
{
    net::io_context io;
    bool done = false;
    std::exception_ptr failure;
    net::co_spawn(io, body(io), [&](std::exception_ptr e) {
        done = true;
        failure = e;
    });
    io.run_for(10s);
    ASSERT_TRUE(done);
    if (failure)
        std::rethrow_exception(failure);
}

std::vector<std::uint64_t> ids(const topic::batch& b)
{
    std::vector<std::uint64_t> out;
    for (auto& e : b.events)
        out.push_back(e->id);
    return out;
}

TEST(Topic, NumbersEventsAndEncodesEachOnceForSseAndJson)
{
    topic t;
    EXPECT_EQ(t.last_id(), 0u);
    EXPECT_EQ(t.publish("score", "1-0\nhalf time"), 1u);
    EXPECT_EQ(t.publish("", "plain \"q\""), 2u);
    run([&](net::io_context& io) -> net::awaitable<void> {
        auto sub = t.subscribe(io.get_executor(), 0);
        auto b = co_await sub.async_next(0ms);
        EXPECT_EQ(ids(b), (std::vector<std::uint64_t>{1, 2}));
        if (b.events.size() == 2) {
            EXPECT_EQ(b.events[0]->sse, "id: 1\nevent: score\ndata: 1-0\ndata: half time\n\n");
            EXPECT_EQ(b.events[0]->json, R"({"id":1,"type":"score","data":"1-0\nhalf time"})");
            EXPECT_EQ(b.events[1]->sse, "id: 2\ndata: plain \"q\"\n\n");
            EXPECT_EQ(b.events[1]->json, R"({"id":2,"type":"","data":"plain \"q\""})");
        }
        // A second subscriber gets the very same buffers: nothing re-encoded.
        auto other = t.subscribe(io.get_executor(), 0);
        auto again = co_await other.async_next(0ms);
        EXPECT_EQ(again.events.size(), b.events.size());
        if (!again.events.empty() && !b.events.empty()) {
            EXPECT_EQ(again.events[0].get(), b.events[0].get());
        }
    });
    EXPECT_THROW(t.publish("bad\ntype", "x"), boost::system::system_error);
}

TEST(Topic, RetainsByCountBytesAndAge)
{
    topic_config cfg;
    cfg.max_events = 3;
    topic by_count{cfg};
    for (int i = 0; i < 10; ++i)
        by_count.publish("x");
    EXPECT_EQ(by_count.size(), 3u);
    EXPECT_EQ(by_count.oldest_id(), 8u);
    EXPECT_EQ(by_count.last_id(), 10u);

    topic_config small;
    small.max_bytes = 4096;
    topic by_bytes{small};
    for (int i = 0; i < 100; ++i)
        by_bytes.publish(std::string(500, 'x'));
    EXPECT_LE(by_bytes.bytes(), 4096u);
    EXPECT_GE(by_bytes.size(), 1u);
    EXPECT_LT(by_bytes.size(), 10u);

    topic_config aged;
    aged.max_age = 50ms;
    topic by_age{aged};
    by_age.publish("old");
    by_age.publish("old");
    std::this_thread::sleep_for(80ms);
    by_age.publish("new");
    EXPECT_EQ(by_age.size(), 1u); // the newest always stays
    EXPECT_EQ(by_age.oldest_id(), 3u);
}

TEST(Topic, AnExpiredCursorIsToldAndRestartsKnowingWhatItMissed)
{
    topic_config cfg;
    cfg.max_events = 4;
    topic t{cfg};
    for (int i = 0; i < 10; ++i)
        t.publish("x");
    run([&](net::io_context& io) -> net::awaitable<void> {
        auto sub = t.subscribe(io.get_executor(), 2);
        error_code ec;
        co_await sub.next(0ms, ec);
        EXPECT_EQ(ec, topic_error::cursor_expired);
        EXPECT_EQ(sub.cursor(), 2u); // unchanged: nothing silently skipped
        sub.restart_from_oldest();
        auto b = co_await sub.next(0ms, ec);
        EXPECT_FALSE(ec);
        EXPECT_EQ(b.missed, 4u); // 3, 4, 5, 6
        EXPECT_EQ(ids(b), (std::vector<std::uint64_t>{7, 8, 9, 10}));
        // A cursor from another life of the topic (a restarted server) too.
        auto future = t.subscribe(io.get_executor(), 500);
        co_await future.next(0ms, ec);
        EXPECT_EQ(ec, topic_error::cursor_expired);
    });
}

TEST(Topic, WaitsForTheNextEventOrTheTimeout)
{
    topic t;
    run([&](net::io_context& io) -> net::awaitable<void> {
        auto sub = t.subscribe(io.get_executor());
        auto started = std::chrono::steady_clock::now();
        auto b = co_await sub.async_next(50ms);
        EXPECT_TRUE(b.events.empty());
        EXPECT_GE(std::chrono::steady_clock::now() - started, 45ms);
        EXPECT_EQ(t.waiting(), 0u); // a timed-out wait leaves the list

        net::steady_timer later{io, 30ms};
        later.async_wait([&](error_code) { t.publish("late"); });
        b = co_await sub.async_next(5s);
        EXPECT_EQ(ids(b), (std::vector<std::uint64_t>{1}));
        EXPECT_EQ(sub.cursor(), 1u);
    });
}

TEST(Topic, ASubscriberThatFallsBehindIsCutOffWithAResumableCursor)
{
    topic_config cfg;
    cfg.max_lag = 10;
    cfg.max_events = 100;
    topic t{cfg};
    run([&](net::io_context& io) -> net::awaitable<void> {
        auto sub = t.subscribe(io.get_executor());
        t.publish("1");
        auto b = co_await sub.async_next(0ms); // level with the log
        EXPECT_EQ(b.events.size(), 1u);
        for (int i = 0; i < 20; ++i)
            t.publish("x");
        error_code ec;
        co_await sub.next(0ms, ec);
        EXPECT_EQ(ec, topic_error::subscriber_lagging);
        // Resuming from its cursor (a reconnect) catches up in batches.
        auto resumed = t.subscribe(io.get_executor(), sub.cursor());
        b = co_await resumed.next(0ms, ec);
        EXPECT_FALSE(ec);
        EXPECT_EQ(b.events.size(), 20u);
        EXPECT_EQ(b.missed, 0u);
    });
}

TEST(Topic, SkipPolicyJumpsAheadAndCountsWhatWasSkipped)
{
    topic_config cfg;
    cfg.max_lag = 10;
    cfg.max_batch = 5;
    cfg.on_lag = lag_policy::skip;
    topic t{cfg};
    run([&](net::io_context& io) -> net::awaitable<void> {
        auto sub = t.subscribe(io.get_executor());
        t.publish("1");
        co_await sub.async_next(0ms);
        for (int i = 0; i < 30; ++i)
            t.publish("x");
        auto b = co_await sub.async_next(0ms);
        EXPECT_EQ(b.missed, 25u);
        EXPECT_EQ(ids(b), (std::vector<std::uint64_t>{27, 28, 29, 30, 31}));
    });
}

TEST(Topic, BatchesAreBoundedAndCatchUpInOrder)
{
    topic_config cfg;
    cfg.max_batch = 7;
    topic t{cfg};
    for (int i = 0; i < 20; ++i)
        t.publish("x");
    run([&](net::io_context& io) -> net::awaitable<void> {
        auto sub = t.subscribe(io.get_executor(), 0);
        std::uint64_t expect = 1;
        for (int round = 0; round < 3; ++round) {
            auto b = co_await sub.async_next(0ms);
            EXPECT_LE(b.events.size(), 7u);
            for (auto& e : b.events)
                EXPECT_EQ(e->id, expect++);
        }
        EXPECT_EQ(expect, 21u);
    });
}

TEST(Topic, CloseAndCancelWakeWaitingSubscribers)
{
    topic t;
    run([&](net::io_context& io) -> net::awaitable<void> {
        auto a = t.subscribe(io.get_executor());
        auto b = t.subscribe(io.get_executor());
        net::steady_timer later{io, 20ms};
        later.async_wait([&](error_code) { b.cancel(); });
        error_code ec;
        co_await b.next(5s, ec);
        EXPECT_EQ(ec, net::error::operation_aborted);
        net::steady_timer close_later{io, 20ms};
        close_later.async_wait([&](error_code) { t.close(); });
        co_await a.next(5s, ec);
        EXPECT_EQ(ec, topic_error::closed);
    });
}

TEST(Topic, PublishesFromManyThreadsReachASubscriberInOrderExactlyOnce)
{
    topic_config cfg;
    cfg.max_events = 1'000'000;
    topic t{cfg};
    constexpr int threads = 4, per_thread = 20'000;
    net::io_context io;
    std::uint64_t received = 0, expect = 1;
    bool in_order = true;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            auto sub = t.subscribe(io.get_executor(), 0);
            while (received < threads * per_thread) {
                auto b = co_await sub.async_next(5s);
                if (b.events.empty())
                    break;
                for (auto& e : b.events) {
                    in_order = in_order && e->id == expect;
                    ++expect;
                    ++received;
                }
            }
        },
        net::detached);
    std::vector<std::thread> publishers;
    for (int i = 0; i < threads; ++i)
        publishers.emplace_back([&] {
            for (int k = 0; k < per_thread; ++k)
                t.publish("n", "x");
        });
    io.run_for(20s);
    for (auto& p : publishers)
        p.join();
    EXPECT_TRUE(in_order);
    EXPECT_EQ(received, std::uint64_t{threads * per_thread});
}

} // namespace
