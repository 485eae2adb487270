// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// What it costs to follow a stream of updates by short polling, long polling
// and Server-Sent Events: requests, bytes on the wire and latency per
// delivered update, for one update every second and one every 50 ms.
//
// One process. A strata::server (its own thread) publishes update i at
// t0 + i * interval on a topic; each payload carries its sequence number and
// its publish time (steady_clock, so the latency is one clock's difference).
// It serves the three patterns side by side:
//   GET /quote    short polling: the newest payload with an ETag, 304 while unchanged
//   GET /poll     long_poll::handler on the topic
//   GET /events   sse::handler on the topic
// Every client (main thread) reaches the server through a relay of its own
// in this process that copies bytes both ways and counts them, so "bytes"
// are exactly what HTTP put on the connection: heads, chunk framing, HTTP/2
// frames. TCP/IP headers are not in them; the relay reads the kernel's
// segment counters (TCP_INFO) of its client-side socket instead, so they can
// be estimated: 52 bytes a segment (IPv4 20, TCP 20, timestamps 12).
//
// All clients follow the same topic at the same time. Short polling uses
// strata::short_poller (If-None-Match, 304), whose interval runs from the
// end of one poll to the start of the next; it polls at the update interval
// and at half of it. A poll finds whatever was published since the last
// one, so where it lands between updates decides its latency and whether it
// misses one: several short pollers per poll period (--phases) start evenly
// spread over the period, as the many clients of a real site are.
//
// Counting: each client's counters are read at t0 (after set-up: TCP
// connections, the SSE response head, the first poll, the first long poll
// sent) and again shortly after it delivered the last update (an eighth of
// the interval later, so the long poller's next request is in and no short
// poller's next poll is). Per delivered update, then: requests sent, bytes
// up and down, TCP segments, latency (delivery - publish) mean and p95.
// Updates a client never saw (the sequence number jumped) are "missed";
// long polling and SSE resume from their cursor and must miss none.
//
//   strata_polling_cost [--quick] [--duration-s N] [--intervals-ms 1000,50] [--phases N]
//                       [--http2] [--browser-headers]

#include <strata/config.hpp>

#include <strata/client.hpp>
#include <strata/conditional.hpp>
#include <strata/error.hpp>
#include <strata/long_poll/handler.hpp>
#include <strata/long_poll/poller.hpp>
#include <strata/server.hpp>
#include <strata/short_poll.hpp>
#include <strata/sse/event_source.hpp>
#include <strata/sse/handler.hpp>
#include <strata/topic.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace net = strata::net;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct options {
    std::vector<milliseconds> intervals{milliseconds{1000}, milliseconds{50}};
    std::chrono::seconds duration{30};
    std::size_t phases = 4;
    bool http2 = false;
    bool browser_headers = false;
};

// ---- the payload -----------------------------------------------------------

std::int64_t steady_ns(clock_type::time_point t)
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// A stock quote of a realistic size, carrying what the measurement needs.
std::string make_payload(std::uint64_t seq, clock_type::time_point published)
{
    const long cents = 10'000 + static_cast<long>(seq % 97) * 7;
    return "{\"seq\":" + std::to_string(seq) + ",\"sent_ns\":" + std::to_string(steady_ns(published)) +
           ",\"symbol\":\"ASIO\",\"price\":" + std::to_string(cents / 100) + "." +
           (cents % 100 < 10 ? "0" : "") + std::to_string(cents % 100) + "}";
}

std::optional<std::int64_t> number_after(std::string_view text, std::string_view key)
{
    auto at = text.find(key);
    if (at == std::string_view::npos)
        return std::nullopt;
    text.remove_prefix(at + key.size());
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{})
        return std::nullopt;
    return v;
}

struct stamp {
    std::uint64_t seq = 0;
    std::int64_t sent_ns = 0;
};

std::optional<stamp> read_payload(std::string_view text)
{
    auto seq = number_after(text, "\"seq\":");
    auto sent = number_after(text, "\"sent_ns\":");
    if (!seq || !sent || *seq < 0)
        return std::nullopt;
    return stamp{static_cast<std::uint64_t>(*seq), *sent};
}

// ---- the server ------------------------------------------------------------

/// The update source and the three endpoints, on a thread of their own.
class update_server {
public:
    update_server() : server_(ioc_.get_executor(), make_config())
    {
        server_.route("GET", "/quote",
                      [this](strata::request& req, strata::response& res) -> net::awaitable<void> {
                          // Copied: the publisher may replace the document while this answer is written.
                          const std::string doc = quote_, tag = etag_;
                          res.set_header("ETag", tag);
                          res.set_header("Cache-Control", "no-cache");
                          if (strata::not_modified(req, tag)) {
                              co_await res.start(strata::status::not_modified);
                              co_await res.finish();
                          } else {
                              co_await res.send(strata::status::ok, doc, "application/json");
                          }
                      });
        server_.route("GET", "/poll", strata::long_poll::handler(topic_));
        server_.route("GET", "/events", strata::sse::handler(topic_));
        endpoint_ = server_.listen("http://127.0.0.1:0");
        thread_ = std::thread([this] { ioc_.run(); });
    }

    update_server(const update_server&) = delete;
    update_server& operator=(const update_server&) = delete;

    ~update_server()
    {
        net::post(ioc_, [this] {
            topic_.close(); // ends the SSE streams and held long polls at once
            server_.shutdown();
            server_.async_wait_stopped([this](strata::error_code) { ioc_.stop(); });
        });
        thread_.join();
    }

    tcp::endpoint endpoint() const { return endpoint_; }

    /// Publishes updates 1..count at t0 + i * interval, on the server's thread.
    void start_publishing(clock_type::time_point t0, milliseconds interval, std::uint64_t count)
    {
        net::co_spawn(ioc_, publish(t0, interval, count), net::detached);
    }

private:
    static strata::server_config make_config()
    {
        strata::server_config cfg;
        cfg.shutdown_timeout = milliseconds{1000};
        return cfg;
    }

    net::awaitable<void> publish(clock_type::time_point t0, milliseconds interval, std::uint64_t count)
    {
        net::steady_timer timer{co_await net::this_coro::executor};
        for (std::uint64_t i = 1; i <= count; ++i) {
            // Fixed rate: a late wake-up does not push the later updates back.
            timer.expires_at(t0 + interval * static_cast<std::int64_t>(i));
            strata::error_code ec;
            co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
            auto doc = make_payload(i, clock_type::now());
            etag_ = strata::make_etag(doc);
            quote_ = doc;
            topic_.publish(doc);
        }
    }

    net::io_context ioc_{1};
    strata::topic topic_;
    std::string quote_ = make_payload(0, clock_type::time_point{});
    std::string etag_ = strata::make_etag(quote_);
    strata::server server_;
    tcp::endpoint endpoint_;
    std::thread thread_;
};

// ---- the byte-counting relay -------------------------------------------------

/// What crossed one client's relay so far.
struct wire_count {
    std::uint64_t up = 0;          ///< client -> server bytes
    std::uint64_t down = 0;        ///< server -> client bytes
    std::uint64_t segments = 0;    ///< TCP segments both ways on the client's side, pure ACKs included
    std::uint64_t connections = 0; ///< connections the client opened
};

/// TCP segments sent and received on `fd` (Linux 4.2 and later). glibc's
/// struct tcp_info stops before the kernel's segment counters, which follow
/// it directly.
std::uint64_t tcp_segments(int fd)
{
    struct tcp_info_with_segments {
        ::tcp_info known;
        std::uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
        std::uint32_t segs_out, segs_in;
    };
    static_assert(sizeof(::tcp_info) == 104, "glibc's tcp_info is the kernel's first 104 bytes");
    tcp_info_with_segments info{};
    socklen_t len = sizeof info;
    if (fd < 0 || ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
        len < offsetof(tcp_info_with_segments, segs_in) + sizeof info.segs_in)
        return 0;
    return std::uint64_t{info.segs_out} + info.segs_in;
}

/// Accepts on 127.0.0.1, connects each client to the server and copies both
/// ways, counting. One per client, so each client's cost is its own.
class relay {
public:
    relay(net::any_io_executor ex, tcp::endpoint server) : state_(std::make_shared<state>(ex, server))
    {
        net::co_spawn(ex, accept_loop(state_), net::detached);
    }
    relay(const relay&) = delete;
    relay& operator=(const relay&) = delete;
    ~relay() { close(); }

    unsigned short port() const { return state_->acceptor.local_endpoint().port(); }

    wire_count count() const
    {
        wire_count c{state_->up, state_->down, 0, state_->connections};
        for (auto& l : state_->links)
            c.segments += l->closed ? l->segments_at_close : tcp_segments(l->downstream.native_handle());
        return c;
    }

    void close()
    {
        strata::error_code ignored;
        state_->acceptor.close(ignored);
        for (auto& l : state_->links)
            end(*l);
    }

private:
    struct link {
        explicit link(tcp::socket client) : downstream(std::move(client)), upstream(downstream.get_executor())
        {}
        tcp::socket downstream; // the client's side
        tcp::socket upstream;   // to the server
        std::uint64_t segments_at_close = 0;
        bool closed = false;
    };
    struct state {
        state(net::any_io_executor ex, tcp::endpoint s)
            : acceptor(ex, tcp::endpoint{net::ip::address_v4::loopback(), 0}), server(s)
        {}
        tcp::acceptor acceptor;
        tcp::endpoint server;
        std::uint64_t up = 0, down = 0, connections = 0;
        std::vector<std::shared_ptr<link>> links;
    };

    // Either side ending ends the connection: HTTP does not half-close here.
    static void end(link& l)
    {
        if (l.closed)
            return;
        l.segments_at_close = tcp_segments(l.downstream.native_handle());
        l.closed = true;
        strata::error_code ignored;
        l.downstream.close(ignored);
        l.upstream.close(ignored);
    }

    static net::awaitable<void> accept_loop(std::shared_ptr<state> s)
    {
        for (;;) {
            strata::error_code ec;
            auto client = co_await s->acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
            if (ec)
                co_return;
            auto l = std::make_shared<link>(std::move(client));
            co_await l->upstream.async_connect(s->server, net::redirect_error(net::use_awaitable, ec));
            if (ec) {
                end(*l);
                continue;
            }
            // The relay must not add Nagle's wait to either hop.
            l->downstream.set_option(tcp::no_delay(true), ec);
            l->upstream.set_option(tcp::no_delay(true), ec);
            ++s->connections;
            s->links.push_back(l);
            auto ex = s->acceptor.get_executor();
            net::co_spawn(ex, pump(s, l, true), net::detached);
            net::co_spawn(ex, pump(s, l, false), net::detached);
        }
    }

    static net::awaitable<void> pump(std::shared_ptr<state> s, std::shared_ptr<link> l, bool upward)
    {
        auto& from = upward ? l->downstream : l->upstream;
        auto& to = upward ? l->upstream : l->downstream;
        auto& counter = upward ? s->up : s->down;
        std::array<char, 16 * 1024> buf;
        for (;;) {
            strata::error_code ec;
            auto n =
                co_await from.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
            if (ec)
                break;
            counter += n;
            co_await net::async_write(to, net::buffer(buf.data(), n),
                                      net::redirect_error(net::use_awaitable, ec));
            if (ec)
                break;
        }
        end(*l);
    }

    std::shared_ptr<state> state_;
};

// ---- the clients -------------------------------------------------------------

enum class method { short_poll, short_poll_half, long_poll, sse };

std::string method_name(method m, milliseconds interval, bool http2)
{
    auto period = [](milliseconds p) {
        return p.count() % 1000 == 0 ? std::to_string(p.count() / 1000) + " s"
                                     : std::to_string(p.count()) + " ms";
    };
    std::string name;
    switch (m) {
    case method::short_poll:
        name = "short polling, every " + period(interval);
        break;
    case method::short_poll_half:
        name = "short polling, every " + period(interval / 2);
        break;
    case method::long_poll:
        name = "long polling";
        break;
    case method::sse:
        name = "SSE";
        break;
    }
    return http2 ? name + " (h2)" : name;
}

/// One client following the updates, through its own relay.
struct follower {
    method how = method::sse;
    bool http2 = false;
    milliseconds phase{0}; // short polling: its start within the period
    std::unique_ptr<relay> wire;
    std::unique_ptr<strata::client> cli;
    std::unique_ptr<strata::short_poller> short_poller;
    std::unique_ptr<strata::long_poll::poller> long_poller;
    std::unique_ptr<strata::sse::event_source> source;

    // What it saw.
    std::uint64_t last_seq = 0;
    std::uint64_t delivered = 0, missed = 0;
    std::vector<double> latency_ms;
    std::string failure;

    // Its counters at t0 and after its last update.
    wire_count wire_start, wire_end;
    std::size_t requests_start = 0, requests_end = 0;
    std::size_t not_modified_start = 0, not_modified_end = 0;
    bool finished = false;

    std::size_t requests() const
    {
        if (short_poller)
            return short_poller->requests();
        if (long_poller)
            return long_poller->requests();
        // SSE: every (re)connection is a request.
        return source ? source->connections() : 0;
    }
    std::size_t not_modified() const { return short_poller ? short_poller->not_modified() : 0; }

    void stop()
    {
        if (short_poller)
            short_poller->stop();
        if (long_poller)
            long_poller->stop();
        if (source)
            source->close();
    }
};

/// Shared by the driver and the followers of one scenario.
struct scenario_state {
    std::uint64_t updates = 0;
    milliseconds interval{0};
    clock_type::time_point t0;
    std::size_t unfinished = 0;
    std::size_t running = 0;
    net::steady_timer* wake = nullptr; // the driver waits on it
};

void record(follower& f, scenario_state& st, std::string_view payload, clock_type::time_point received)
{
    auto s = read_payload(payload);
    if (!s) {
        if (f.failure.empty())
            f.failure = "an update without seq/sent_ns: " + std::string(payload.substr(0, 80));
        return;
    }
    if (s->seq == 0)
        return; // the state before the first update (short polling's first answer)
    if (s->seq <= f.last_seq) {
        if (f.failure.empty())
            f.failure = "update " + std::to_string(s->seq) + " after " + std::to_string(f.last_seq);
        return;
    }
    f.missed += s->seq - f.last_seq - 1;
    f.last_seq = s->seq;
    if (f.finished || s->seq > st.updates)
        return;
    ++f.delivered;
    f.latency_ms.push_back(static_cast<double>(steady_ns(received) - s->sent_ns) / 1e6);
    if (s->seq == st.updates) {
        // Read the counters an eighth of the interval later: the long
        // poller has sent its next request by then (one per update, as in
        // the steady state), and no short poller its next poll.
        f.finished = true;
        auto ex = f.cli->get_executor();
        net::co_spawn(
            ex,
            [&f, &st, ex]() -> net::awaitable<void> {
                net::steady_timer settle{ex, st.interval / 8};
                strata::error_code ec;
                co_await settle.async_wait(net::redirect_error(net::use_awaitable, ec));
                f.wire_end = f.wire->count();
                f.requests_end = f.requests();
                f.not_modified_end = f.not_modified();
                if (--st.unfinished == 0)
                    st.wake->cancel();
            },
            net::detached);
    }
}

net::awaitable<void> sleep_until(clock_type::time_point t)
{
    net::steady_timer timer{co_await net::this_coro::executor, t};
    strata::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
}

net::awaitable<void> follow(follower& f, scenario_state& st)
{
    strata::error_code ec;
    if (f.short_poller) {
        // The first poll (update 0, before t0) is set-up; then the poller
        // waits for its phase, and each next() sleeps the period before it polls.
        auto u = co_await f.short_poller->next(ec);
        if (!ec) {
            co_await sleep_until(st.t0 + f.phase);
            while (!ec) {
                u = co_await f.short_poller->next(ec);
                if (!ec)
                    record(f, st, u.body, clock_type::now());
            }
        }
    } else if (f.long_poller) {
        while (!ec) {
            auto b = co_await f.long_poller->next(ec);
            const auto now = clock_type::now();
            if (!ec)
                for (auto& e : b.events)
                    record(f, st, e.data, now);
        }
    } else if (f.source) {
        while (!ec) {
            auto e = co_await f.source->next(ec);
            if (!ec) {
                record(f, st, e.data, clock_type::now());
                if (f.http2 && f.source->version() != strata::http::version::http2 && f.failure.empty())
                    f.failure = "the event stream was not carried by HTTP/2";
            }
        }
    }
    if (ec != strata::error::shutting_down && f.failure.empty())
        f.failure = "stopped: " + ec.message();
}

strata::http::fields browser_fields()
{
    // What a browser's fetch() adds to every request (Chrome 120-like),
    // with a small session cookie: the per-request overhead of real sites.
    strata::http::fields f;
    f.set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                        "Chrome/120.0.0.0 Safari/537.36");
    f.set("Accept-Language", "en-US,en;q=0.9");
    f.set("Accept-Encoding", "gzip, deflate, br");
    f.set("Referer", "http://127.0.0.1/ticker.html");
    f.set("Sec-Fetch-Dest", "empty");
    f.set("Sec-Fetch-Mode", "cors");
    f.set("Sec-Fetch-Site", "same-origin");
    f.set("Cookie", "session=3f9a1c27b4e85d60a2c1f7e9d0b3a84c; theme=dark");
    return f;
}

/// One row of the table: all followers of one method, added up.
struct group_result {
    std::string name;
    std::size_t clients = 0;
    std::uint64_t published = 0; // per client
    std::uint64_t delivered = 0, missed = 0;
    std::uint64_t requests = 0, not_modified = 0;
    wire_count wire;
    std::vector<double> latency_ms;
};

struct scenario_result {
    milliseconds interval{0};
    std::uint64_t updates = 0;
    std::size_t payload_bytes = 0;
    std::vector<group_result> groups;
};

scenario_result run_scenario(const options& opt, milliseconds interval)
{
    const std::uint64_t updates = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::chrono::duration_cast<milliseconds>(opt.duration) / interval));
    update_server server;

    net::io_context ioc{1};
    std::vector<std::unique_ptr<follower>> followers;
    scenario_state st;
    st.updates = updates;
    st.interval = interval;
    std::string failure;

    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            auto ex = co_await net::this_coro::executor;
            std::vector<bool> protocols{false};
            if (opt.http2)
                protocols.push_back(true);
            const auto extra = opt.browser_headers ? browser_fields() : strata::http::fields{};
            for (bool h2 : protocols) {
                for (auto how :
                     {method::short_poll, method::short_poll_half, method::long_poll, method::sse}) {
                    const bool is_short = how == method::short_poll || how == method::short_poll_half;
                    const auto period = how == method::short_poll_half ? interval / 2 : interval;
                    for (std::size_t k = 0; k < (is_short ? opt.phases : 1); ++k) {
                        auto f = std::make_unique<follower>();
                        f->how = how;
                        f->http2 = h2;
                        // Phases at the middles of K equal slices of the period.
                        f->phase = std::chrono::duration_cast<milliseconds>(
                            period * (2 * static_cast<double>(k) + 1) /
                            (2 * static_cast<double>(opt.phases)));
                        f->wire = std::make_unique<relay>(ex, server.endpoint());
                        strata::client_config cfg;
                        cfg.http2_prior_knowledge = h2;
                        cfg.enable_http3 = false;
                        cfg.max_connections_per_origin = 1;
                        f->cli = std::make_unique<strata::client>(ex, cfg);
                        const auto base = "http://127.0.0.1:" + std::to_string(f->wire->port());
                        if (is_short) {
                            strata::short_poll_config pc;
                            pc.interval = period;
                            pc.fields = extra;
                            f->short_poller =
                                std::make_unique<strata::short_poller>(*f->cli, base + "/quote", pc);
                        } else if (how == method::long_poll) {
                            strata::long_poll::poller_config pc;
                            pc.since = 0; // from the first update, however late the first request is
                            pc.fields = extra;
                            f->long_poller =
                                std::make_unique<strata::long_poll::poller>(*f->cli, base + "/poll", pc);
                        } else {
                            strata::sse::source_config sc;
                            sc.last_event_id = "0";
                            sc.fields = extra;
                            f->source =
                                std::make_unique<strata::sse::event_source>(*f->cli, base + "/events", sc);
                        }
                        followers.push_back(std::move(f));
                    }
                }
            }

            net::steady_timer wake{ex, clock_type::time_point::max()};
            st.wake = &wake;
            st.unfinished = followers.size();
            // Set-up gets a second: connections, the SSE head, the first polls.
            st.t0 = clock_type::now() + milliseconds{1000};
            for (auto& f : followers) {
                ++st.running;
                net::co_spawn(ex, follow(*f, st), [&st, fp = f.get()](std::exception_ptr e) {
                    if (e && fp->failure.empty()) {
                        try {
                            std::rethrow_exception(e);
                        } catch (const std::exception& x) {
                            fp->failure = x.what();
                        }
                    }
                    --st.running;
                    if (!fp->finished) {
                        fp->finished = true;
                        if (--st.unfinished == 0)
                            st.wake->cancel();
                    }
                    if (st.running == 0)
                        st.wake->cancel();
                });
            }
            co_await sleep_until(st.t0);
            for (auto& f : followers) {
                f->wire_start = f->wire->count();
                f->requests_start = f->requests();
                f->not_modified_start = f->not_modified();
                if (f->wire_start.connections == 0 && f->failure.empty())
                    f->failure = "not connected when the first update was due";
            }
            server.start_publishing(st.t0, interval, updates);

            // Every follower delivers the last update within a poll period
            // of its publication; allow generously more on a busy machine.
            const auto deadline =
                st.t0 + interval * static_cast<std::int64_t>(updates + 2) + std::chrono::seconds{5};
            strata::error_code ec;
            while (st.unfinished > 0 && clock_type::now() < deadline) {
                wake.expires_at(deadline);
                co_await wake.async_wait(net::redirect_error(net::use_awaitable, ec));
            }
            for (auto& f : followers) {
                if (!f->finished && f->failure.empty())
                    f->failure = "did not deliver the last update (got " + std::to_string(f->last_seq) +
                                 " of " + std::to_string(updates) + ")";
                f->stop();
            }
            // Let the followers see their stop, then drop the connections.
            const auto drain = clock_type::now() + std::chrono::seconds{5};
            while (st.running > 0 && clock_type::now() < drain) {
                wake.expires_at(drain);
                co_await wake.async_wait(net::redirect_error(net::use_awaitable, ec));
            }
            for (auto& f : followers) {
                f->cli->close_idle();
                f->wire->close();
            }
        },
        [&](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    failure = x.what();
                }
            }
            ioc.stop();
        });
    ioc.run();
    if (!failure.empty())
        throw std::runtime_error(failure);
    if (st.running > 0)
        throw std::runtime_error("a client did not stop");

    scenario_result out;
    out.interval = interval;
    out.updates = updates;
    out.payload_bytes = make_payload(updates, clock_type::now()).size();
    for (auto& f : followers) {
        if (!f->failure.empty())
            throw std::runtime_error(method_name(f->how, interval, f->http2) + ": " + f->failure);
        const auto name = method_name(f->how, interval, f->http2);
        auto g = std::find_if(out.groups.begin(), out.groups.end(), [&](auto& x) { return x.name == name; });
        if (g == out.groups.end()) {
            out.groups.push_back({});
            g = out.groups.end() - 1;
            g->name = name;
            g->published = updates;
        }
        ++g->clients;
        g->delivered += f->delivered;
        g->missed += f->missed;
        g->requests += f->requests_end - f->requests_start;
        g->not_modified += f->not_modified_end - f->not_modified_start;
        g->wire.up += f->wire_end.up - f->wire_start.up;
        g->wire.down += f->wire_end.down - f->wire_start.down;
        g->wire.segments += f->wire_end.segments - f->wire_start.segments;
        g->wire.connections += f->wire_end.connections - f->wire_start.connections;
        g->latency_ms.insert(g->latency_ms.end(), f->latency_ms.begin(), f->latency_ms.end());
    }
    // The clients go before the io_context they run on.
    followers.clear();
    return out;
}

// ---- the report --------------------------------------------------------------

double mean(const std::vector<double>& v)
{
    double sum = 0;
    for (double x : v)
        sum += x;
    return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::min(v.size(), std::max<std::size_t>(rank, 1)) - 1];
}

std::string interval_label(milliseconds i)
{
    return i.count() % 1000 == 0 ? std::to_string(i.count() / 1000) + " s"
                                 : std::to_string(i.count()) + " ms";
}

std::string latency_label(double ms)
{
    char out[32];
    std::snprintf(out, sizeof out, ms < 10 ? "%.2f ms" : "%.0f ms", ms);
    return out;
}

int run(const options& opt)
{
    std::string intervals;
    for (auto i : opt.intervals)
        intervals += (intervals.empty() ? "" : " and ") + interval_label(i);
    std::printf("polling cost: updates on one topic every %s for %lld s each, all clients at once; "
                "short pollers: %zu per poll period, spread over it%s%s\n",
                intervals.c_str(), static_cast<long long>(opt.duration.count()), opt.phases,
                opt.http2 ? "; HTTP/1.1 and h2c" : "", opt.browser_headers ? "; browser request fields" : "");
    std::fflush(stdout);

    std::vector<scenario_result> results;
    bool lossless_missed = false;
    for (auto interval : opt.intervals) {
        const auto start = clock_type::now();
        results.push_back(run_scenario(opt, interval));
        const auto& r = results.back();
        std::printf("  %s: %llu updates of %zu-byte payloads in %.1f s\n", interval_label(interval).c_str(),
                    static_cast<unsigned long long>(r.updates), r.payload_bytes,
                    std::chrono::duration<double>(clock_type::now() - start).count());
        std::fflush(stdout);
        for (auto& g : r.groups)
            if (g.missed > 0 && g.name.find("short") == std::string::npos)
                lossless_missed = true;
    }

    auto per = [](std::uint64_t x, std::uint64_t n) {
        return n ? static_cast<double>(x) / static_cast<double>(n) : 0.0;
    };
    std::printf(
        "\n| interval | method | requests / update | bytes / update (up + down) | TCP segments / update | "
        "latency mean | latency p95 | missed |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (auto& r : results) {
        for (auto& g : r.groups) {
            const double up = per(g.wire.up, g.delivered), down = per(g.wire.down, g.delivered);
            char missed[48];
            std::snprintf(missed, sizeof missed, "%llu of %llu (%.1f%%)",
                          static_cast<unsigned long long>(g.missed),
                          static_cast<unsigned long long>(g.published * g.clients),
                          100.0 * per(g.missed, g.published * g.clients));
            std::printf("| %s | %s | %.2f | %.0f + %.0f = %.0f | %.2f | %s | %s | %s |\n",
                        interval_label(r.interval).c_str(), g.name.c_str(), per(g.requests, g.delivered), up,
                        down, up + down, per(g.wire.segments, g.delivered),
                        latency_label(mean(g.latency_ms)).c_str(),
                        latency_label(percentile(g.latency_ms, 0.95)).c_str(), g.missed ? missed : "0");
        }
    }

    std::printf("\nTotals (from the first update to each client's last, all clients of a row):\n\n");
    std::printf(
        "| interval | method | clients | updates delivered | requests | of which 304 | bytes up | bytes "
        "down | TCP segments | connections opened |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (auto& r : results)
        for (auto& g : r.groups)
            std::printf(
                "| %s | %s | %zu | %llu | %llu | %llu | %llu | %llu | %llu | %llu |\n",
                interval_label(r.interval).c_str(), g.name.c_str(), g.clients,
                static_cast<unsigned long long>(g.delivered), static_cast<unsigned long long>(g.requests),
                static_cast<unsigned long long>(g.not_modified), static_cast<unsigned long long>(g.wire.up),
                static_cast<unsigned long long>(g.wire.down),
                static_cast<unsigned long long>(g.wire.segments),
                static_cast<unsigned long long>(g.wire.connections));
    std::printf("\n");
    for (auto& r : results)
        for (auto& g : r.groups)
            std::printf(
                "POLLING_COST interval_ms=%lld method=\"%s\" requests_per_update=%.3f up_per_update=%.1f "
                "down_per_update=%.1f segments_per_update=%.2f latency_mean_ms=%.3f latency_p95_ms=%.3f "
                "missed=%llu delivered=%llu\n",
                static_cast<long long>(r.interval.count()), g.name.c_str(), per(g.requests, g.delivered),
                per(g.wire.up, g.delivered), per(g.wire.down, g.delivered), per(g.wire.segments, g.delivered),
                mean(g.latency_ms), percentile(g.latency_ms, 0.95), static_cast<unsigned long long>(g.missed),
                static_cast<unsigned long long>(g.delivered));
    if (lossless_missed) {
        std::fprintf(stderr, "strata_polling_cost: long polling or SSE missed an update: a bug\n");
        return 1;
    }
    return 0;
}

std::size_t parse_count(std::string_view text, const char* what)
{
    std::size_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw std::invalid_argument(std::string("bad ") + what + ": " + std::string(text));
    return v;
}

int usage()
{
    std::fprintf(
        stderr,
        "usage: strata_polling_cost [--quick] [--duration-s N] [--intervals-ms 1000,50] [--phases N]\n"
        "                           [--http2] [--browser-headers]\n"
        "  --duration-s N      updates for N seconds per interval (default 30; --quick: 6)\n"
        "  --intervals-ms L    update intervals, comma-separated (default 1000,50)\n"
        "  --phases N          short pollers per poll period, spread over it (default 4)\n"
        "  --http2             also follow over HTTP/2 (h2c, prior knowledge), at the same time\n"
        "  --browser-headers   send a browser's request fields (User-Agent, Cookie, ...)\n");
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    options opt;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string_view arg = argv[i];
            if (arg == "-h" || arg == "--help") {
                usage();
                return 0;
            }
            if (arg == "--quick") {
                opt.duration = std::chrono::seconds{6};
                continue;
            }
            if (arg == "--http2") {
                opt.http2 = true;
                continue;
            }
            if (arg == "--browser-headers") {
                opt.browser_headers = true;
                continue;
            }
            if (i + 1 >= argc)
                return usage();
            const std::string_view value = argv[++i];
            if (arg == "--duration-s") {
                opt.duration = std::chrono::seconds{parse_count(value, "--duration-s")};
            } else if (arg == "--phases") {
                opt.phases = parse_count(value, "--phases");
            } else if (arg == "--intervals-ms") {
                opt.intervals.clear();
                std::string_view rest = value;
                while (!rest.empty()) {
                    auto comma = rest.find(',');
                    opt.intervals.emplace_back(parse_count(rest.substr(0, comma), "--intervals-ms"));
                    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
                }
            } else {
                return usage();
            }
        }
        if (opt.phases == 0 || opt.duration.count() == 0 || opt.intervals.empty() ||
            std::any_of(opt.intervals.begin(), opt.intervals.end(), [](auto i) { return i.count() < 8; }))
            return usage();
        return run(opt);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata_polling_cost: %s\n", e.what());
        return 1;
    }
}
