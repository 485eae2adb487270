// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// A strata::server attacked with raw HTTP/2 frames over loopback: floods,
// rapid reset, header bombs, flow-control abuse and RFC 9113 MUST-level
// violations. Each case checks the exact error code of the RST_STREAM or
// GOAWAY the server sends (read with tests/h2_frames.hpp), that a hostile
// connection is cut quickly, and that the server keeps serving its other
// connections: a normal strata::client request over h2 on a second
// connection succeeds, where it makes sense while the attack runs.

#include <strata/config.hpp>

#include "h2_frames.hpp"
#include "test_support.hpp"
#include "transports.hpp"

#include <strata/client.hpp>
#include <strata/server.hpp>
#include <strata/transport/tls.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>

using namespace strata;
using namespace std::chrono_literals;
using test::run;
namespace h2 = test::h2;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::uint32_t max_streams = 4;
constexpr std::uint32_t header_list_limit = 8 * 1024;
constexpr std::uint32_t premature_reset_limit = 100;
constexpr std::uint64_t body_limit = 64 * 1024;

/// Limits small enough that every attack trips them within a test's budget.
server_config abuse_config()
{
    server_config cfg;
    cfg.header_timeout = 2s;
    cfg.idle_timeout = 2s;
    cfg.body_timeout = 1s;
    cfg.write_timeout = 300ms;
    cfg.shutdown_timeout = 1s;
    cfg.http1.max_body_bytes = body_limit;
    cfg.http2.max_concurrent_streams = max_streams;
    cfg.http2.max_header_list_size = header_list_limit;
    cfg.http2.max_premature_resets = premature_reset_limit;
    return cfg;
}

/// Handler invocations of the routes that wait, for the rapid-reset bound.
struct counters {
    std::size_t slow_started = 0;
};

void add_routes(server& srv, counters& count)
{
    srv.route("GET", "/hello", [](request&, response& res) -> net::awaitable<void> {
        co_await res.send(status::ok, "hello\n");
    });
    srv.route("GET", "/slow", [&count](request& req, response& res) -> net::awaitable<void> {
        ++count.slow_started;
        co_await test::sleep_for(std::chrono::milliseconds(std::stoi(req.query_param("ms").value_or("300"))));
        co_await res.send(status::ok, "slow\n");
    });
    srv.route("GET", "/big", [](request&, response& res) -> net::awaitable<void> {
        error_code ec;
        co_await res.send(status::ok, std::string(1 << 20, 'b'), "application/octet-stream", ec);
    });
    srv.route("POST", "/upload", [](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        auto body = co_await req.read_body(1 << 20, ec);
        if (ec)
            co_return; // over the limit: the server answers 413 itself
        co_await res.send(status::ok, std::to_string(body.size()));
    });
}

/// A request head in one HEADERS frame, with :scheme http as on the listener.
std::string get(std::uint32_t stream, std::string_view path, const h2::field_list& extra = {},
                std::uint8_t flags = h2::flag::end_headers | h2::flag::end_stream)
{
    return h2::headers(stream, h2::request_fields("GET", path, "127.0.0.1", extra, "http"), flags);
}

using frames = std::vector<h2::parsed_frame>;

bool has_goaway(const frames& f)
{
    return h2::find(f, h2::type::goaway) != nullptr;
}

/// The stream got its last frame from the server: END_STREAM or RST_STREAM.
bool stream_ended(const frames& all, std::uint32_t stream)
{
    for (const auto& f : all)
        if (f.stream == stream &&
            (f.type == h2::type::rst_stream ||
             ((f.type == h2::type::headers || f.type == h2::type::data) && f.has(h2::flag::end_stream))))
            return true;
    return false;
}

/// The :status of each stream's first response head. Blocks are decoded
/// from the start, in order, so the server's dynamic table is rebuilt.
std::map<std::uint32_t, std::string> statuses(const frames& all)
{
    std::map<std::uint32_t, std::string> out;
    h2::hpack_decoder decoder;
    for (const auto& [stream, fields] : decoder.decode_all(all))
        for (const auto& [name, value] : fields)
            if (name == ":status" && !out.count(stream))
                out[stream] = value;
    return out;
}

/// The body bytes the server sent on a stream.
std::string body_of(const frames& all, std::uint32_t stream)
{
    std::string out;
    for (const auto& f : h2::of_type(all, h2::type::data, stream))
        out += h2::data_payload(f);
    return out;
}

/// A client connection that speaks raw frames: what it sends is exactly
/// what a test builds, what it reads is split into frames.
class raw_h2 {
public:
    explicit raw_h2(net::any_io_executor ex) : socket_(std::move(ex)) {}

    /// Connects, sends the preface and `client_settings`, waits for the
    /// server's SETTINGS and acknowledges it, as a client would.
    net::awaitable<void> open(tcp::endpoint ep, std::string client_settings = h2::settings())
    {
        co_await socket_.async_connect(ep, net::use_awaitable);
        // Without it Nagle holds an attack back until the server's delayed
        // ACK of the previous write, and every timing gains 40 ms.
        socket_.set_option(tcp::no_delay(true));
        co_await send(h2::preface() + client_settings);
        bool got = co_await read_until(
            [](const frames& f) {
                for (const auto& x : f)
                    if (x.type == h2::type::settings && !x.has(h2::flag::ack))
                        return true;
                return false;
            },
            2s);
        EXPECT_TRUE(got) << "no SETTINGS from the server:\n" << h2::describe(frames_);
        co_await send(h2::settings_ack());
    }

    /// Writes bytes; a server that already closed makes this fail, which an
    /// attack expects, so the error is returned rather than thrown.
    net::awaitable<error_code> send(std::string bytes)
    {
        error_code ec;
        co_await net::async_write(socket_, net::buffer(bytes), net::redirect_error(net::use_awaitable, ec));
        co_return ec;
    }

    /// Reads frames until `done(all frames so far)`, the server closes, or
    /// `limit` passes; returns done's last answer.
    template <class Pred>
    net::awaitable<bool> read_until(Pred done, std::chrono::milliseconds limit)
    {
        if (done(frames_))
            co_return true;
        if (closed_)
            co_return false;
        struct deadline_state {
            bool fired = false;
            bool active = true;
        };
        auto st = std::make_shared<deadline_state>();
        net::steady_timer timer{socket_.get_executor(), limit};
        timer.async_wait([st, s = &socket_](error_code e) {
            if (!e && st->active) {
                st->fired = true;
                error_code ignored;
                s->cancel(ignored);
            }
        });
        std::vector<char> buf(64 * 1024);
        bool ok = false;
        while (!st->fired) {
            error_code ec;
            auto n = co_await socket_.async_read_some(net::buffer(buf),
                                                      net::redirect_error(net::use_awaitable, ec));
            reader_.feed({buf.data(), n});
            while (auto f = reader_.next())
                frames_.push_back(std::move(*f));
            if ((ok = done(frames_)))
                break;
            if (ec) {
                if (ec != net::error::operation_aborted) {
                    closed_ = true;
                    closed_at_ = clock_type::now();
                }
                break;
            }
        }
        st->active = false;
        timer.cancel();
        co_return ok;
    }

    /// Reads until the server closes the connection; false if it is still
    /// open after `limit`.
    net::awaitable<bool> wait_closed(std::chrono::milliseconds limit)
    {
        co_await read_until([](const frames&) { return false; }, limit);
        co_return closed_;
    }

    net::awaitable<bool> wait_goaway(std::chrono::milliseconds limit = 2s)
    {
        co_return co_await read_until(has_goaway, limit);
    }

    net::awaitable<bool> wait_ended(std::uint32_t stream, std::chrono::milliseconds limit = 2s)
    {
        co_return co_await read_until([stream](const frames& f) { return stream_ended(f, stream); }, limit);
    }

    const frames& received() const noexcept { return frames_; }
    bool closed() const noexcept { return closed_; }
    clock_type::time_point closed_at() const noexcept { return closed_at_; }

    /// The error code of the server's GOAWAY; none if it sent none.
    std::optional<std::uint32_t> goaway_code() const
    {
        if (auto* g = h2::find(frames_, h2::type::goaway))
            return h2::goaway_code(*g);
        return std::nullopt;
    }
    std::optional<std::uint32_t> reset_code(std::uint32_t stream) const
    {
        if (auto* r = h2::find(frames_, h2::type::rst_stream, stream))
            return h2::rst_stream_code(*r);
        return std::nullopt;
    }
    std::string describe() const { return h2::describe(frames_); }

private:
    tcp::socket socket_;
    h2::frame_reader reader_;
    frames frames_;
    bool closed_ = false;
    clock_type::time_point closed_at_{};
};

/// Runs a coroutine beside the current one; join() waits for it.
class background {
public:
    background(net::any_io_executor ex, std::function<net::awaitable<void>()> body)
        : s_(std::make_shared<state>(ex, std::move(body)))
    {
        net::co_spawn(ex, s_->body(), [s = s_](std::exception_ptr e) {
            s->done = true;
            s->failure = e;
            s->finished_at = clock_type::now();
            s->timer.cancel();
        });
    }

    net::awaitable<void> join(std::chrono::milliseconds limit = 5s)
    {
        auto until = clock_type::now() + limit;
        while (!s_->done && clock_type::now() < until) {
            s_->timer.expires_at(until);
            error_code ignored;
            co_await s_->timer.async_wait(net::redirect_error(net::use_awaitable, ignored));
        }
        EXPECT_TRUE(s_->done) << "the other connection's traffic did not finish";
        if (s_->failure)
            std::rethrow_exception(s_->failure);
    }

    bool done() const noexcept { return s_->done; }
    clock_type::time_point finished_at() const noexcept { return s_->finished_at; }

private:
    struct state {
        state(net::any_io_executor ex, std::function<net::awaitable<void>()> b)
            : timer(ex), body(std::move(b))
        {}
        net::steady_timer timer;
        std::function<net::awaitable<void>()> body; // the coroutine's frame points into it
        bool done = false;
        std::exception_ptr failure;
        clock_type::time_point finished_at{};
    };
    std::shared_ptr<state> s_;
};

client_config h2_client_config()
{
    return test::client_config_for(test::transport{http::version::http2, false});
}

/// A well-behaved client on its own connection is served over h2, `times` times.
net::awaitable<void> expect_served(std::string base, int times = 1, client_config cfg = h2_client_config())
{
    client cli{co_await net::this_coro::executor, cfg};
    for (int i = 0; i < times; ++i) {
        error_code ec;
        client_request r;
        r.url = base + "/hello";
        auto res = co_await cli.request(std::move(r), ec);
        EXPECT_FALSE(ec) << "normal request " << i << ": " << ec.message();
        if (ec)
            co_return;
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.version(), http::version::http2);
        EXPECT_EQ(co_await res.body(), "hello\n");
    }
}

class Http2Abuse : public ::testing::Test {
protected:
    void SetUp() override
    {
        add_routes(srv, count);
        ep = srv.listen("http://127.0.0.1:0");
        base = "http://127.0.0.1:" + std::to_string(ep.port());
    }

    /// The server lets go of every connection once its peers are gone:
    /// nothing of an attacker's connection stays behind.
    net::awaitable<void> expect_no_connections_left()
    {
        auto until = clock_type::now() + 1s;
        while (srv.connection_count() != 0 && clock_type::now() < until)
            co_await test::sleep_for(10ms);
        EXPECT_EQ(srv.connection_count(), 0u);
    }

    /// After a connection error: the GOAWAY carries `code` and the
    /// connection is closed quickly after it.
    net::awaitable<void> expect_goaway_and_close(raw_h2& c, std::uint32_t code, clock_type::time_point start,
                                                 std::string_view what)
    {
        EXPECT_TRUE(co_await c.wait_goaway()) << what << ": no GOAWAY\n" << c.describe();
        EXPECT_EQ(c.goaway_code(), code) << what << "\n" << c.describe();
        EXPECT_TRUE(co_await c.wait_closed(1s)) << what << ": connection still open after the GOAWAY";
        if (c.closed()) {
            EXPECT_LT(c.closed_at() - start, 1s) << what << ": the connection was not cut quickly";
        }
    }

    net::io_context io;
    counters count;
    server srv{io.get_executor(), abuse_config()};
    tcp::endpoint ep;
    std::string base;
};

// ---- floods and rapid reset ---------------------------------------------------

// CVE-2023-44487: streams opened and cancelled at once cost the server a
// handler each while the client pays nothing; past max_premature_resets
// the connection ends with ENHANCE_YOUR_CALM.
TEST_F(Http2Abuse, RapidResetEndsWithEnhanceYourCalm)
{
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        raw_h2 c{ex};
        co_await c.open(ep);
        background normal{ex, [b = base]() { return expect_served(b, 3); }};
        constexpr std::uint32_t attempts = 500;
        std::string attack;
        for (std::uint32_t i = 0; i < attempts; ++i) {
            attack += get(1 + 2 * i, "/slow?ms=2000");
            attack += h2::rst_stream(1 + 2 * i, h2::code::cancel);
        }
        auto start = clock_type::now();
        co_await c.send(attack);
        co_await expect_goaway_and_close(c, h2::code::enhance_your_calm, start, "rapid reset");
        co_await normal.join();
        co_await test::sleep_for(50ms); // handlers already spawned get to run
        EXPECT_LE(count.slow_started, premature_reset_limit + 1)
            << "handlers started for " << attempts << " reset streams";
        if (auto* g = h2::find(c.received(), h2::type::goaway)) {
            EXPECT_LT(h2::goaway_last_stream(*g), 2 * attempts - 1) << "the server read the whole attack";
        }
        co_await expect_no_connections_left();
    });
}

// HEADERS without END_HEADERS, then CONTINUATION after CONTINUATION: past
// http2::config::max_continuations the codec ends the connection with
// ENHANCE_YOUR_CALM (nghttp2 itself only reports the flood, queuing nothing).
TEST_F(Http2Abuse, ContinuationFloodEndsWithEnhanceYourCalm)
{
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        raw_h2 c{ex};
        co_await c.open(ep);
        background normal{ex, [b = base]() { return expect_served(b); }};
        std::string attack = get(1, "/hello", {}, h2::flag::end_stream);
        for (int i = 0; i < 500; ++i)
            attack += h2::continuation(1, h2::hpack::literal("x-c" + std::to_string(i), "v"), h2::flag::none);
        auto start = clock_type::now();
        co_await c.send(attack);
        co_await expect_goaway_and_close(c, h2::code::enhance_your_calm, start, "CONTINUATION flood");
        EXPECT_FALSE(statuses(c.received()).count(1)) << "the flooded request was answered";
        co_await normal.join();
        co_await expect_no_connections_left();
    });
}

TEST_F(Http2Abuse, SettingsFloodEndsWithEnhanceYourCalm)
{
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        raw_h2 c{ex};
        co_await c.open(ep);
        background normal{ex, [b = base]() { return expect_served(b); }};
        constexpr int flood = 3000;
        std::string attack;
        for (int i = 0; i < flood; ++i)
            attack += h2::settings();
        auto start = clock_type::now();
        co_await c.send(attack);
        co_await expect_goaway_and_close(c, h2::code::enhance_your_calm, start, "SETTINGS flood");
        auto acks = 0;
        for (const auto& f : h2::of_type(c.received(), h2::type::settings))
            acks += f.has(h2::flag::ack);
        EXPECT_LT(acks, flood) << "every SETTINGS of the flood was acknowledged";
        co_await normal.join();
        co_await expect_no_connections_left();
    });
}

TEST_F(Http2Abuse, PingFloodEndsWithEnhanceYourCalm)
{
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        raw_h2 c{ex};
        co_await c.open(ep);
        background normal{ex, [b = base]() { return expect_served(b); }};
        constexpr int flood = 3000;
        std::string attack;
        for (int i = 0; i < flood; ++i)
            attack += h2::ping(static_cast<std::uint64_t>(i));
        auto start = clock_type::now();
        co_await c.send(attack);
        co_await expect_goaway_and_close(c, h2::code::enhance_your_calm, start, "PING flood");
        EXPECT_LT(h2::of_type(c.received(), h2::type::ping).size(), static_cast<std::size_t>(flood))
            << "every PING of the flood was answered";
        co_await normal.join();
        co_await expect_no_connections_left();
    });
}

// Empty DATA frames without END_STREAM carry nothing and cost a frame each.
TEST_F(Http2Abuse, EmptyDataFloodEndsWithEnhanceYourCalm)
{
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        raw_h2 c{ex};
        co_await c.open(ep);
        background normal{ex, [b = base]() { return expect_served(b); }};
        std::string attack = h2::headers(1, h2::request_fields("POST", "/upload", "127.0.0.1", {}, "http"),
                                         h2::flag::end_headers);
        for (int i = 0; i < 3000; ++i)
            attack += h2::data(1, "");
        auto start = clock_type::now();
        co_await c.send(attack);
        co_await expect_goaway_and_close(c, h2::code::enhance_your_calm, start, "empty DATA flood");
        co_await normal.join();
        co_await expect_no_connections_left();
    });
}

// ---- header blocks -----------------------------------------------------------------

// Over max_header_list_size (but not hostile-sized): 431 on that stream
// and the connection goes on.
TEST_F(Http2Abuse, OversizedHeaderListGets431AndTheConnectionGoesOn)
{
    run(io, [&]() -> net::awaitable<void> {
        raw_h2 c{co_await net::this_coro::executor};
        co_await c.open(ep);
        h2::field_list many;
        std::size_t listed = 0;
        for (int i = 0; listed <= 3 * header_list_limit / 2; ++i) {
            many.emplace_back("x-f" + std::to_string(i), std::string(100, 'v'));
            listed += many.back().first.size() + many.back().second.size() + 32;
        }
        EXPECT_LT(listed, 4u * header_list_limit); // a plain oversized head, not a bomb
        co_await c.send(get(1, "/hello", many));
        EXPECT_TRUE(co_await c.wait_ended(1)) << c.describe();
        EXPECT_EQ(statuses(c.received())[1], "431") << c.describe();
        EXPECT_FALSE(c.reset_code(1).has_value()) << "the 431 was followed by a reset\n" << c.describe();
        co_await c.send(get(3, "/hello"));
        EXPECT_TRUE(co_await c.wait_ended(3)) << c.describe();
        EXPECT_EQ(statuses(c.received())[3], "200") << c.describe();
        EXPECT_EQ(body_of(c.received(), 3), "hello\n");
        EXPECT_FALSE(has_goaway(c.received())) << c.describe();
        co_await expect_served(base);
    });
}

// A few bytes on the wire decode to far more than max_header_list_size: one
// big field entered in the HPACK dynamic table (RFC 7541 §6.2.1), then
// referenced by index again and again (§6.1).
TEST_F(Http2Abuse, HpackBombEndsWithEnhanceYourCalm)
{
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        raw_h2 c{ex};
        co_await c.open(ep);
        background normal{ex, [b = base]() { return expect_served(b); }};
        std::string block = h2::hpack::encode(h2::request_fields("GET", "/hello", "127.0.0.1", {}, "http"));
        const std::string value(4000, 'b');
        block += h2::hpack::indexed_literal("x-bomb", value); // entry size 4038 <= 4096
        constexpr int repeats = 1000;
        for (int i = 0; i < repeats; ++i)
            block += h2::hpack::indexed(62); // the newest dynamic table entry
        const std::size_t decoded = (repeats + 1) * (6 + value.size() + 32);
        EXPECT_GT(decoded, 4u * header_list_limit);
        EXPECT_GT(decoded, 100 * block.size()) << "not a bomb";
        auto start = clock_type::now();
        co_await c.send(h2::headers_block(1, block, h2::flag::end_headers | h2::flag::end_stream));
        co_await expect_goaway_and_close(c, h2::code::enhance_your_calm, start, "HPACK bomb");
        EXPECT_FALSE(statuses(c.received()).count(1)) << c.describe();
        co_await normal.join();
        co_await expect_no_connections_left();
    });
}

// ---- streams ---------------------------------------------------------------------

// RFC 9113 §5.1.2: a HEADERS past the advertised SETTINGS_MAX_CONCURRENT_STREAMS
// is a stream error (PROTOCOL_ERROR or REFUSED_STREAM). REFUSED_STREAM tells
// the client the request was not processed and may be retried (§8.7), and
// the streams already open are not disturbed.
// A stream over the acknowledged SETTINGS_MAX_CONCURRENT_STREAMS. RFC 9113
// §5.1.2 asks for a stream error (PROTOCOL_ERROR or REFUSED_STREAM); nghttp2
// deliberately ends the connection instead (GOAWAY PROTOCOL_ERROR, nghttp2
// issue #687): a client that acknowledged the limit and broke it is not
// trusted with the connection. strata keeps nghttp2's choice; what matters
// here is that only the offender's connection pays, at once.
TEST_F(Http2Abuse, StreamOverTheAcknowledgedConcurrencyLimitEndsTheConnection)
{
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        raw_h2 c{ex};
        co_await c.open(ep); // the server's SETTINGS (max 4 streams) acknowledged
        background normal{ex, [b = base]() { return expect_served(b); }};
        std::string burst;
        for (std::uint32_t i = 0; i < max_streams; ++i)
            burst += get(1 + 2 * i, "/slow?ms=300");
        const std::uint32_t extra = 1 + 2 * max_streams;
        burst += get(extra, "/hello");
        auto start = clock_type::now();
        co_await c.send(burst);
        co_await expect_goaway_and_close(c, h2::code::protocol_error, start, "stream over the limit");
        if (auto* g = h2::find(c.received(), h2::type::goaway)) {
            EXPECT_EQ(h2::goaway_last_stream(*g), extra - 2); // the extra stream was never processed
        }
        EXPECT_FALSE(statuses(c.received()).count(extra)) << c.describe();
        co_await normal.join();
        co_await expect_served(base);
    });
}

// RFC 9113 §5.1.1: stream ids a client opens only grow; a lower one (stream 3
// after 5) is a connection error of type PROTOCOL_ERROR.
TEST_F(Http2Abuse, DecreasingStreamIdIsAProtocolError)
{
    run(io, [&]() -> net::awaitable<void> {
        raw_h2 c{co_await net::this_coro::executor};
        co_await c.open(ep);
        co_await c.send(get(5, "/hello"));
        EXPECT_TRUE(co_await c.wait_ended(5)) << c.describe();
        EXPECT_EQ(statuses(c.received())[5], "200") << c.describe();
        auto start = clock_type::now();
        co_await c.send(get(3, "/hello"));
        co_await expect_goaway_and_close(c, h2::code::protocol_error, start, "stream 3 after 5");
        if (auto* g = h2::find(c.received(), h2::type::goaway)) {
            EXPECT_EQ(h2::goaway_last_stream(*g), 5u);
        }
        EXPECT_FALSE(statuses(c.received()).count(3)) << c.describe();
        co_await expect_served(base);
    });
}

// RFC 9113 §8.2.1, §8.2.2, §8.3.1: a malformed request is a stream error of
// type PROTOCOL_ERROR; only that stream is dropped.
TEST_F(Http2Abuse, MalformedRequestHeadsAreResetWithProtocolError)
{
    struct malformed {
        const char* name;
        h2::field_list fields;
    };
    const h2::field_list regular{{":method", "GET"}, {":scheme", "http"}, {":authority", "127.0.0.1"}};
    auto with = [&](h2::field_list extra) {
        auto f = regular;
        f.insert(f.end(), extra.begin(), extra.end());
        return f;
    };
    const std::vector<malformed> cases{
        {"missing :path", regular},
        {"unknown pseudo-header", with({{":path", "/hello"}, {":foo", "bar"}})},
        {"pseudo-header after a regular field", with({{"x-a", "b"}, {":path", "/hello"}})},
        {"uppercase field name", with({{":path", "/hello"}, {"X-Upper", "v"}})},
        {"connection: keep-alive", with({{":path", "/hello"}, {"connection", "keep-alive"}})},
        {"transfer-encoding", with({{":path", "/hello"}, {"transfer-encoding", "chunked"}})},
        {"te other than trailers", with({{":path", "/hello"}, {"te", "gzip"}})},
        {"duplicate :path", with({{":path", "/hello"}, {":path", "/hello"}})},
    };
    run(io, [&]() -> net::awaitable<void> {
        raw_h2 c{co_await net::this_coro::executor};
        co_await c.open(ep);
        std::uint32_t stream = 1;
        for (const auto& m : cases) {
            co_await c.send(h2::headers(stream, m.fields, h2::flag::end_headers | h2::flag::end_stream));
            EXPECT_TRUE(co_await c.wait_ended(stream)) << m.name << "\n" << c.describe();
            EXPECT_EQ(c.reset_code(stream), h2::code::protocol_error) << m.name << "\n" << c.describe();
            EXPECT_FALSE(statuses(c.received()).count(stream)) << m.name << " was answered";
            stream += 2;
        }
        // The connection is still good.
        EXPECT_FALSE(has_goaway(c.received())) << c.describe();
        co_await c.send(get(stream, "/hello"));
        EXPECT_TRUE(co_await c.wait_ended(stream)) << c.describe();
        EXPECT_EQ(statuses(c.received())[stream], "200") << c.describe();
        co_await expect_served(base);
    });
}

// ---- flow control ----------------------------------------------------------------

// RFC 9113 §6.9.1: a WINDOW_UPDATE that takes a window past 2^31-1 is a
// connection error (stream 0) or a stream error (a stream) of type
// FLOW_CONTROL_ERROR.
TEST_F(Http2Abuse, ConnectionWindowOverflowIsAFlowControlError)
{
    run(io, [&]() -> net::awaitable<void> {
        raw_h2 c{co_await net::this_coro::executor};
        co_await c.open(ep);
        auto start = clock_type::now();
        co_await c.send(h2::window_update(0, 0x7fffffff)); // 65535 + 2^31-1
        co_await expect_goaway_and_close(c, h2::code::flow_control_error, start,
                                         "connection window overflow");
        co_await expect_served(base);
    });
}

TEST_F(Http2Abuse, StreamWindowOverflowResetsOnlyThatStream)
{
    run(io, [&]() -> net::awaitable<void> {
        raw_h2 c{co_await net::this_coro::executor};
        co_await c.open(ep);
        co_await c.send(get(1, "/slow?ms=1000") + h2::window_update(1, 0x7fffffff));
        EXPECT_TRUE(co_await c.wait_ended(1)) << c.describe();
        EXPECT_EQ(c.reset_code(1), h2::code::flow_control_error) << c.describe();
        co_await c.send(get(3, "/hello"));
        EXPECT_TRUE(co_await c.wait_ended(3)) << c.describe();
        EXPECT_EQ(statuses(c.received())[3], "200") << c.describe();
        EXPECT_FALSE(has_goaway(c.received())) << c.describe();
        co_await expect_served(base);
    });
}

// A client that opens no window (SETTINGS_INITIAL_WINDOW_SIZE 0) and asks for
// a large body: after write_timeout the stream is reset with CANCEL, the
// connection lives on, and other connections are served meanwhile.
TEST_F(Http2Abuse, StalledZeroWindowStreamIsCancelledAfterTheWriteTimeout)
{
    // (initializer lists stay out of coroutine bodies: GCC 12 rejects them there)
    const auto zero_window = h2::settings({{h2::setting::initial_window_size, 0}});
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        raw_h2 c{ex};
        co_await c.open(ep, zero_window);
        auto start = clock_type::now();
        co_await c.send(get(1, "/big"));
        background normal{ex, [b = base]() { return expect_served(b); }};
        EXPECT_TRUE(co_await c.read_until(
            [](const frames& f) { return h2::find(f, h2::type::rst_stream, 1) != nullptr; }, 2s))
            << c.describe();
        auto reset_after = clock_type::now() - start;
        EXPECT_EQ(c.reset_code(1), h2::code::cancel) << c.describe();
        EXPECT_GE(reset_after, 250ms) << "reset before the write timeout";
        EXPECT_LT(reset_after, 1500ms) << "the stalled stream outlived its write timeout by far";
        EXPECT_EQ(statuses(c.received())[1], "200") << c.describe();
        EXPECT_TRUE(body_of(c.received(), 1).empty()) << "DATA sent into a zero window";
        EXPECT_TRUE(normal.done()) << "the other connection was not served while this one stalled";
        co_await normal.join();
        // Only the stream was given up: the connection still answers a PING.
        co_await c.send(h2::ping(0x1234));
        EXPECT_TRUE(co_await c.read_until(
            [](const frames& f) {
                for (const auto& x : h2::of_type(f, h2::type::ping))
                    if (x.has(h2::flag::ack) && x.payload == h2::ping(0x1234).substr(h2::frame_header_size))
                        return true;
                return false;
            },
            1s))
            << c.describe();
        EXPECT_FALSE(has_goaway(c.received())) << c.describe();
    });
}

// ---- MUST-level connection errors ---------------------------------------------------

TEST_F(Http2Abuse, ConnectionErrorsGetTheirRfcCodes)
{
    struct violation {
        const char* name;
        std::string bytes;
        std::uint32_t code;
    };
    std::string oversized_headers =
        get(1, "/hello", {{"x-pad", std::string(17000, 'p')}}); // over SETTINGS_MAX_FRAME_SIZE 16384
    const std::vector<violation> cases{
        // §6.1: DATA on stream 0.
        {"DATA on stream 0", h2::data(0, "x"), h2::code::protocol_error},
        // §5.1.1: streams a client opens are odd.
        {"HEADERS on an even stream", get(2, "/hello"), h2::code::protocol_error},
        // §6.5.2: ENABLE_PUSH other than 0 or 1.
        {"SETTINGS_ENABLE_PUSH 2", h2::settings({{h2::setting::enable_push, 2}}), h2::code::protocol_error},
        // §6.5.2: INITIAL_WINDOW_SIZE over 2^31-1.
        {"SETTINGS_INITIAL_WINDOW_SIZE 2^31", h2::settings({{h2::setting::initial_window_size, 0x80000000u}}),
         h2::code::flow_control_error},
        // §4.2: a frame carrying a field block over the maximum frame size.
        {"HEADERS over SETTINGS_MAX_FRAME_SIZE", oversized_headers, h2::code::frame_size_error},
        // §6.5: a SETTINGS length not a multiple of 6.
        {"SETTINGS of 7 octets", h2::frame(h2::type::settings, 0, 0, std::string(7, '\0')),
         h2::code::frame_size_error},
        // §6.7: PING on a stream.
        {"PING on stream 1", h2::frame(h2::type::ping, 0, 1, std::string(8, '\0')), h2::code::protocol_error},
        // §6.9: WINDOW_UPDATE with a zero increment on the connection.
        {"WINDOW_UPDATE 0 on stream 0", h2::window_update(0, 0), h2::code::protocol_error},
    };
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        for (const auto& v : cases) {
            raw_h2 c{ex};
            co_await c.open(ep);
            auto start = clock_type::now();
            co_await c.send(v.bytes);
            co_await expect_goaway_and_close(c, v.code, start, v.name);
        }
        co_await expect_served(base);
        co_await expect_no_connections_left();
    });
}

// RFC 9113 §3.4: an invalid preface is a connection error of type
// PROTOCOL_ERROR (the GOAWAY may be omitted). Over TLS, ALPN has already
// said h2, so the bytes can only be a broken preface.
TEST_F(Http2Abuse, BadPrefaceOverTlsEndsTheConnection)
{
    const test::transport tls_h2{http::version::http2, true};
    server tls_srv{io.get_executor(), test::server_config_for(tls_h2, abuse_config())};
    add_routes(tls_srv, count);
    auto tls_ep = tls_srv.listen("https://127.0.0.1:0");
    tls::client_config tc;
    tc.use_system_store = false;
    tc.ca_pem = test::test_authority().ca.certificate_pem;
    tc.alpn = {"h2"};
    auto ctx = tls::make_client_context(tc);
    // (a client_config temporary inside a coroutine trips GCC 12: built here)
    const auto tls_client = test::client_config_for(tls_h2);
    run(io, [&]() -> net::awaitable<void> {
        net::ssl::stream<tcp::socket> s{co_await net::this_coro::executor, ctx};
        co_await s.next_layer().async_connect(tls_ep, net::use_awaitable);
        error_code ec;
        tls::prepare_client(s, "127.0.0.1", tls_ep.port(), nullptr, ec);
        EXPECT_FALSE(ec) << ec.message();
        co_await tls::async_handshake(s, net::ssl::stream_base::client, net::use_awaitable);
        EXPECT_EQ(tls::negotiated_alpn(s.native_handle()), "h2");

        auto start = clock_type::now();
        std::string bad = "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + h2::settings();
        co_await net::async_write(s, net::buffer(bad), net::use_awaitable);
        net::steady_timer limit{s.get_executor(), 2s};
        bool timed_out = false;
        limit.async_wait([&](error_code e) {
            if (!e) {
                timed_out = true;
                error_code ignored;
                s.next_layer().close(ignored);
            }
        });
        std::string wire;
        std::vector<char> buf(16 * 1024);
        for (;;) {
            auto n =
                co_await s.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
            wire.append(buf.data(), n);
            if (ec)
                break;
        }
        limit.cancel();
        EXPECT_FALSE(timed_out) << "the connection was left open after a bad preface";
        EXPECT_LT(clock_type::now() - start, 1s);
        h2::frame_reader reader;
        reader.feed(wire);
        frames got;
        while (auto f = reader.next())
            got.push_back(std::move(*f));
        EXPECT_TRUE(h2::of_type(got, h2::type::headers).empty()) << h2::describe(got);
        if (auto* g = h2::find(got, h2::type::goaway)) {
            EXPECT_EQ(h2::goaway_code(*g), h2::code::protocol_error) << h2::describe(got);
        }
        co_await expect_served("https://127.0.0.1:" + std::to_string(tls_ep.port()), 1, tls_client);
    });
}

// On a cleartext listener the first bytes decide the version: a broken h2
// preface is not HTTP/2 and gets HTTP/1.1's answer for a request it cannot
// serve, then the connection is closed.
TEST_F(Http2Abuse, BadPrefaceOverCleartextIsRefusedAndClosed)
{
    run(io, [&]() -> net::awaitable<void> {
        auto start = clock_type::now();
        auto out = co_await test::raw_exchange(ep, "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + h2::settings(), 2s);
        EXPECT_LT(clock_type::now() - start, 1s) << "the connection was left open";
        EXPECT_GE(out.size(), 12u) << out;
        if (out.size() < 12)
            co_return;
        EXPECT_TRUE(out.starts_with("HTTP/1.1 ")) << out.substr(0, 80);
        EXPECT_GE(out.substr(9, 3), "400") << out.substr(0, 80);
        co_await expect_served(base);
    });
}

// ---- request bodies ---------------------------------------------------------------

// http1.max_body_bytes applies to h2 request bodies: 413, then RST_STREAM
// NO_ERROR so the client stops sending (RFC 9113 §8.1), and the connection
// goes on.
TEST_F(Http2Abuse, BodyOverTheLimitGets413AndTheStreamIsReset)
{
    run(io, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        raw_h2 c{ex};
        co_await c.open(ep);
        background normal{ex, [b = base]() { return expect_served(b, 2); }};
        auto post = [](std::uint32_t stream, h2::field_list extra = {}) {
            return h2::headers(stream, h2::request_fields("POST", "/upload", "127.0.0.1", extra, "http"),
                               h2::flag::end_headers);
        };
        // A streamed body (no Content-Length) that crosses the limit, and
        // END_STREAM never comes.
        std::string upload = post(1);
        const std::string chunk(16 * 1024, 'u');
        for (std::uint64_t sent = 0; sent <= body_limit; sent += chunk.size())
            upload += h2::data(1, chunk);
        // A Content-Length over the limit: answered before any body.
        h2::field_list declared;
        declared.emplace_back("content-length", std::to_string(10 * body_limit));
        upload += post(3, declared);
        co_await c.send(upload);
        for (std::uint32_t id = 1; id <= 3; id += 2) {
            EXPECT_TRUE(co_await c.read_until(
                [id](const frames& f) { return h2::find(f, h2::type::rst_stream, id) != nullptr; }, 2s))
                << "stream " << id << "\n"
                << c.describe();
            EXPECT_EQ(statuses(c.received())[id], "413") << "stream " << id << "\n" << c.describe();
            EXPECT_EQ(c.reset_code(id), h2::code::no_error) << "stream " << id << "\n" << c.describe();
            // The response is complete before the reset.
            bool complete_before_reset = false;
            for (const auto& f : c.received()) {
                if (f.stream != id)
                    continue;
                if (f.type == h2::type::rst_stream)
                    break;
                if ((f.type == h2::type::headers || f.type == h2::type::data) && f.has(h2::flag::end_stream))
                    complete_before_reset = true;
            }
            EXPECT_TRUE(complete_before_reset) << "stream " << id << "\n" << c.describe();
        }
        co_await c.send(get(5, "/hello"));
        EXPECT_TRUE(co_await c.wait_ended(5)) << c.describe();
        EXPECT_EQ(statuses(c.received())[5], "200") << c.describe();
        EXPECT_FALSE(has_goaway(c.received())) << c.describe();
        co_await normal.join();
    });
}

} // namespace
