// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Nothing lost, nothing twice: 100,000 events published while a relay
// between the clients and the server cuts connections at random moments
// (mid-event, mid-chunk, mid-frame). Every SSE client and every long poller
// must end with every event exactly once, in order.

#include "test_support.hpp"
#include "transports.hpp"

#include <strata/client.hpp>
#include <strata/long_poll/handler.hpp>
#include <strata/long_poll/poller.hpp>
#include <strata/server.hpp>
#include <strata/sse/event_source.hpp>
#include <strata/sse/handler.hpp>
#include <strata/topic.hpp>

#include <boost/asio/detached.hpp>

#include <memory>
#include <random>

using namespace strata;
using namespace std::chrono_literals;
using test::sleep_for;

namespace {

// A TCP relay that closes each connection, both ways, after a random number
// of bytes from the server: the cut can fall anywhere in the byte stream.
class cutting_relay {
public:
    cutting_relay(net::io_context& io, net::ip::tcp::endpoint upstream, unsigned seed)
        : io_(io), acceptor_(io, {net::ip::make_address("127.0.0.1"), 0}), upstream_(upstream), rng_(seed)
    {
        net::co_spawn(io_, accept_loop(), net::detached);
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::size_t cuts() const noexcept { return cuts_; }
    void stop()
    {
        error_code ignored;
        acceptor_.close(ignored);
    }

private:
    struct pair {
        explicit pair(net::io_context& io) : client(io), server(io) {}
        net::ip::tcp::socket client, server;
        void close()
        {
            error_code ignored;
            client.close(ignored);
            server.close(ignored);
        }
    };

    net::awaitable<void> accept_loop()
    {
        for (;;) {
            error_code ec;
            auto p = std::make_shared<pair>(io_);
            co_await acceptor_.async_accept(p->client, net::redirect_error(net::use_awaitable, ec));
            if (ec)
                co_return;
            co_await p->server.async_connect(upstream_, net::redirect_error(net::use_awaitable, ec));
            if (ec) {
                p->close();
                continue;
            }
            std::uniform_int_distribution<std::size_t> budget{1, 48 * 1024};
            net::co_spawn(io_, pump(p, true, budget(rng_)), net::detached);
            net::co_spawn(io_, pump(p, false, 0), net::detached);
        }
    }

    // Server to client when `down`, with a byte budget; client to server otherwise.
    net::awaitable<void> pump(std::shared_ptr<pair> p, bool down, std::size_t budget)
    {
        auto& from = down ? p->server : p->client;
        auto& to = down ? p->client : p->server;
        std::array<char, 8192> buf;
        for (;;) {
            error_code ec;
            auto n =
                co_await from.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
            if (ec)
                break;
            bool cut = down && n >= budget;
            if (cut)
                n = budget; // part of what arrived, then nothing more
            if (n > 0)
                co_await net::async_write(to, net::buffer(buf.data(), n),
                                          net::redirect_error(net::use_awaitable, ec));
            if (cut) {
                ++cuts_;
                break;
            }
            if (ec)
                break;
            if (down)
                budget -= n;
        }
        p->close();
    }

    net::io_context& io_;
    net::ip::tcp::acceptor acceptor_;
    net::ip::tcp::endpoint upstream_;
    std::mt19937 rng_;
    std::size_t cuts_ = 0;
};

class PushReliability : public ::testing::TestWithParam<test::transport> {};

TEST_P(PushReliability, EveryClientGetsEveryEventExactlyOnceInOrderDespiteCuts)
{
    constexpr std::uint64_t total = 100'000;
    constexpr int sse_clients = 3;
    constexpr unsigned seed = 20261126;

    net::io_context io;
    topic_config tc;
    tc.max_events = 2 * total; // nothing expires: a loss would be strata's
    tc.max_batch = 512;
    topic t{tc};
    server srv{io.get_executor(), test::server_config_for(GetParam())};
    sse::handler_config sc;
    sc.retry = 2ms;
    srv.route("GET", "/events", sse::handler(t, sc));
    srv.route("GET", "/poll", long_poll::handler(t));
    auto ep = srv.listen(GetParam().listen_scheme() + "://127.0.0.1:0");
    cutting_relay relay{io, ep, seed};
    auto base = GetParam().scheme() + "://127.0.0.1:" + std::to_string(relay.port());

    std::vector<std::uint64_t> got(sse_clients + 1, 0);
    std::vector<std::string> first_error(sse_clients + 1);
    std::size_t reconnects = 0;
    int finished = 0;
    auto note = [&](int who, std::string what) {
        if (first_error[who].empty())
            first_error[who] = std::move(what);
    };
    auto done = [&] {
        if (++finished == sse_clients + 1) {
            relay.stop();
            io.stop();
        }
    };

    for (int c = 0; c < sse_clients; ++c) {
        net::co_spawn(
            io,
            [&, c]() -> net::awaitable<void> {
                client cli{io.get_executor(), test::client_config_for(GetParam())};
                sse::source_config cfg;
                cfg.last_event_id = "0"; // from the first event on
                sse::event_source es{cli, base + "/events", cfg};
                while (got[c] < total) {
                    error_code ec;
                    auto ev = co_await es.next(ec);
                    if (ec) {
                        note(c, "next: " + ec.message());
                        break;
                    }
                    auto want = std::to_string(got[c] + 1);
                    if (ev.data != want || ev.last_event_id != want) {
                        note(c, "got " + ev.data + " (id " + ev.last_event_id + "), want " + want);
                        break;
                    }
                    ++got[c];
                }
                reconnects += es.connections() - 1;
                es.close();
                done();
            },
            net::detached);
    }
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            constexpr int p = sse_clients;
            client cli{io.get_executor(), test::client_config_for(GetParam())};
            long_poll::poller_config cfg;
            cfg.since = 0;
            cfg.initial_backoff = 1ms;
            cfg.max_backoff = 20ms;
            long_poll::poller poller{cli, base + "/poll", cfg};
            while (got[p] < total) {
                error_code ec;
                auto b = co_await poller.next(ec);
                if (ec || b.missed > 0) {
                    note(p, ec ? "next: " + ec.message() : "missed " + std::to_string(b.missed));
                    break;
                }
                for (auto& e : b.events) {
                    if (e.id != got[p] + 1 || e.data != std::to_string(e.id)) {
                        note(p, "got id " + std::to_string(e.id) + ", want " + std::to_string(got[p] + 1));
                        break;
                    }
                    ++got[p];
                }
                if (!first_error[p].empty())
                    break;
            }
            poller.stop();
            done();
        },
        net::detached);
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            for (std::uint64_t i = 1; i <= total; ++i) {
                t.publish("n", std::to_string(i));
                if (i % 500 == 0)
                    co_await sleep_for(1ms);
            }
        },
        net::detached);

    io.run_for(150s);
    for (int c = 0; c <= sse_clients; ++c) {
        EXPECT_EQ(got[c], total) << (c < sse_clients ? "SSE client " : "long poller ") << c << ": "
                                 << first_error[c];
        EXPECT_TRUE(first_error[c].empty()) << first_error[c];
    }
    // The relay really cut streams, and the clients really came back.
    EXPECT_GE(relay.cuts(), 20u);
    EXPECT_GE(reconnects, 10u);
}

INSTANTIATE_TEST_SUITE_P(CuttingRelay, PushReliability,
                         ::testing::Values(test::transport{http::version::http1_1, false},
                                           test::transport{http::version::http2, false}),
                         test::transport_name);

} // namespace
