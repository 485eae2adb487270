// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// http3::connection driven with bytes and calls only (RFC 9114, RFC 9204,
// RFC 9220). Two ways: a client codec wired to a server codec through a tiny
// in-test "QUIC" that moves stream bytes, stream actions and
// acknowledgements between them; and hand-built frames fed to a server codec,
// checking the HTTP/3 error code each violation earns.
#include <strata/error.hpp>
#include <strata/http3/connection.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace {

using namespace strata;
using http3::role;
using field_list = std::vector<std::pair<std::string, std::string>>;

std::span<const std::byte> as_bytes(std::string_view s)
{
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::string as_string(std::span<const std::byte> b)
{
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

/// An event copied out of the codec, so it outlives the views it came with.
struct seen {
    std::string kind;
    http::stream_id stream = 0;
    std::string method, target, scheme, authority, protocol;
    unsigned status = 0;
    field_list fields;
    std::string bytes;
    bool end_stream = false;
    bool upgrade = false;
    bool expect_continue = false;
    std::int64_t content_length = -1;
    error_code code;
    bool enable_connect_protocol = false;

    std::string field(std::string_view name) const
    {
        for (const auto& [n, v] : fields)
            if (n == name)
                return v;
        return "<absent>";
    }
};

field_list copy_fields(std::span<const http::field_view> fields)
{
    field_list out;
    for (const auto& f : fields)
        out.emplace_back(std::string(f.name), std::string(f.value));
    return out;
}

seen copy(const http::event& ev)
{
    seen s;
    if (const auto* h = std::get_if<http::headers>(&ev)) {
        s.kind = "headers";
        s.stream = h->stream;
        s.method = h->method;
        s.target = h->target;
        s.scheme = h->scheme;
        s.authority = h->authority;
        s.protocol = h->protocol;
        s.status = h->status;
        s.fields = copy_fields(h->fields);
        s.end_stream = h->end_stream;
        s.upgrade = h->upgrade;
        s.expect_continue = h->expect_continue;
        s.content_length = h->content_length;
        EXPECT_EQ(h->ver, http::version::http3);
    } else if (const auto* d = std::get_if<http::data>(&ev)) {
        s.kind = "data";
        s.stream = d->stream;
        s.bytes = as_string(d->bytes);
        s.end_stream = d->end_stream;
    } else if (const auto* t = std::get_if<http::trailers>(&ev)) {
        s.kind = "trailers";
        s.stream = t->stream;
        s.fields = copy_fields(t->fields);
        s.end_stream = true;
    } else if (const auto* i = std::get_if<http::informational>(&ev)) {
        s.kind = "informational";
        s.stream = i->stream;
        s.status = i->status;
        s.fields = copy_fields(i->fields);
    } else if (const auto* r = std::get_if<http::reset>(&ev)) {
        s.kind = "reset";
        s.stream = r->stream;
        s.code = r->code;
    } else if (const auto* g = std::get_if<http::goaway>(&ev)) {
        s.kind = "goaway";
        s.stream = g->last_stream;
        s.code = g->code;
    } else if (const auto* st = std::get_if<http::settings>(&ev)) {
        s.kind = "settings";
        s.enable_connect_protocol = st->enable_connect_protocol;
    } else {
        s.kind = "upgrade";
    }
    return s;
}

/// One side: the codec plus what its driver keeps.
struct endpoint {
    http3::connection c;
    std::vector<seen> events;
    std::vector<http3::stream_action> actions;
    std::size_t actions_applied = 0;
    std::map<http::stream_id, std::uint64_t> unacked; // taken by "QUIC", not yet acknowledged
    std::uint64_t fed = 0;                            // bytes given to handle_stream_data
    std::uint64_t credited = 0;                       // poll_credit() total
    bool auto_consume = true;
    std::map<http::stream_id, std::size_t> unconsumed;

    explicit endpoint(role r, http3::config cfg = {}) : c(r, cfg) {}

    void drain()
    {
        while (auto ev = c.poll_event()) {
            auto s = copy(*ev);
            if (s.kind == "data") {
                if (auto_consume)
                    c.consume(s.stream, s.bytes.size());
                else
                    unconsumed[s.stream] += s.bytes.size();
            }
            events.push_back(std::move(s));
        }
        while (auto a = c.poll_stream_action())
            actions.push_back(*a);
        while (auto cr = c.poll_credit()) {
            EXPECT_GT(cr->bytes, 0u);
            credited += cr->bytes;
        }
    }
    void feed(http::stream_id id, std::string_view bytes, bool fin = false)
    {
        fed += bytes.size();
        c.handle_stream_data(id, as_bytes(bytes), fin);
        drain();
    }
    void consume_all()
    {
        for (auto& [id, n] : unconsumed)
            c.consume(id, n);
        unconsumed.clear();
        drain();
    }
    std::vector<seen> take()
    {
        drain();
        return std::exchange(events, {});
    }
    std::vector<http3::stream_action> take_actions()
    {
        drain();
        actions_applied = 0;
        return std::exchange(actions, {});
    }
};

/// The body of `stream` among `events`, and whether it ended.
std::pair<std::string, bool> body_of(const std::vector<seen>& events, http::stream_id stream)
{
    std::string body;
    bool ended = false;
    for (const auto& e : events) {
        if (e.stream != stream)
            continue;
        if (e.kind == "data") {
            EXPECT_FALSE(ended) << "data after the end of stream " << stream;
            body += e.bytes;
        }
        if ((e.kind == "data" || e.kind == "headers" || e.kind == "trailers") && e.end_stream)
            ended = true;
    }
    return {body, ended};
}

const seen* find(const std::vector<seen>& events, std::string_view kind, http::stream_id stream = -2)
{
    for (const auto& e : events)
        if (e.kind == kind && (stream == -2 || e.stream == stream))
            return &e;
    return nullptr;
}

/// A client and a server codec joined by an in-test "QUIC": stream bytes,
/// stream actions (RESET_STREAM, STOP_SENDING) and acknowledgements move
/// between them in order, except on streams the test holds back.
struct link {
    endpoint client;
    endpoint server;
    std::set<http::stream_id> held;                    // not delivered while held
    std::map<http::stream_id, std::string> held_bytes; // client -> server, held back
    std::map<http::stream_id, bool> held_fin;

    explicit link(http3::config client_cfg = {}, http3::config server_cfg = {})
        : client(role::client, client_cfg), server(role::server, server_cfg)
    {
        error_code ec;
        client.c.bind_local_streams(2, 6, 10, ec);
        EXPECT_FALSE(ec) << ec.message();
        server.c.bind_local_streams(3, 7, 11, ec);
        EXPECT_FALSE(ec) << ec.message();
    }

    /// Moves what `from` has to write to `to`; the number of writes.
    std::size_t pump(endpoint& from, endpoint& to)
    {
        std::size_t writes = 0;
        for (int guard = 0; guard < 100000; ++guard) {
            auto out = from.c.poll_output();
            if (out.stream < 0)
                break;
            std::string bytes;
            for (const auto& b : out.data)
                bytes.append(static_cast<const char*>(b.data()), b.size());
            from.c.add_write_offset(out.stream, bytes.size());
            from.unacked[out.stream] += bytes.size();
            ++writes;
            if (&from == &client && held.count(out.stream)) {
                held_bytes[out.stream] += bytes;
                held_fin[out.stream] = held_fin[out.stream] || out.fin;
                continue;
            }
            to.feed(out.stream, bytes, out.fin);
        }
        return writes;
    }

    /// What one side's actions do to the stream at the other side.
    std::size_t apply_actions(endpoint& from, endpoint& to)
    {
        from.drain();
        std::size_t n = 0;
        for (; from.actions_applied < from.actions.size(); ++from.actions_applied, ++n) {
            auto a = from.actions[from.actions_applied];
            if (a.kind == http3::stream_action::reset_stream) {
                from.c.shutdown_stream_write(a.stream);
                to.c.handle_stream_reset(a.stream, a.code);
            } else {
                to.c.handle_stop_sending(a.stream, a.code);
            }
            to.drain();
        }
        return n;
    }

    void run()
    {
        for (int i = 0; i < 64; ++i) {
            auto n = pump(client, server) + pump(server, client);
            n += apply_actions(client, server) + apply_actions(server, client);
            if (n == 0)
                break;
        }
        client.drain();
        server.drain();
    }

    void release(http::stream_id id)
    {
        held.erase(id);
        server.feed(id, held_bytes[id], held_fin[id]);
        held_bytes.erase(id);
        held_fin.erase(id);
    }

    static void ack(endpoint& e)
    {
        for (auto& [id, n] : e.unacked) {
            if (n != 0)
                e.c.add_ack_offset(id, n);
            n = 0;
        }
        e.drain();
    }
    void ack_all()
    {
        ack(client);
        ack(server);
    }

    /// QUIC closed the stream on both sides.
    void close(http::stream_id id, std::uint64_t code = 0x100)
    {
        client.c.handle_stream_close(id, code);
        server.c.handle_stream_close(id, code);
        client.unacked.erase(id);
        server.unacked.erase(id);
        client.drain();
        server.drain();
    }

    /// Handshake done: both sides exchanged their control and QPACK streams.
    void start()
    {
        run();
        ASSERT_TRUE(client.c.peer_settings_received());
        ASSERT_TRUE(server.c.peer_settings_received());
        ASSERT_NE(find(client.events, "settings"), nullptr);
        ASSERT_NE(find(server.events, "settings"), nullptr);
        client.events.clear();
        server.events.clear();
    }
};

http3::request_head get(std::string_view path, std::span<const http::field_view> fields = {})
{
    http3::request_head h;
    h.method = "GET";
    h.scheme = "https";
    h.authority = "example.com";
    h.path = path;
    h.fields = fields;
    return h;
}

void send(endpoint& e, http::stream_id id, std::string_view body, bool end)
{
    error_code ec;
    e.c.submit_data(id, as_bytes(body), end, ec);
    ASSERT_FALSE(ec) << ec.message();
}

// ---- client <-> server ---------------------------------------------------------

TEST(Http3Connection, GetRoundTrip)
{
    link l;
    l.start();
    error_code ec;
    const http::field_view fields[] = {
        {"User-Agent", "strata-test"}, {"Connection", "close"}, {"Host", "other"}, {"TE", "gzip"}};
    l.client.c.submit_headers(0, get("/index.html", fields), true, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(l.client.c.active_streams(), 1u);
    l.run();

    auto req = l.server.take();
    ASSERT_EQ(req.size(), 1u);
    EXPECT_EQ(req[0].kind, "headers");
    EXPECT_EQ(req[0].stream, 0);
    EXPECT_EQ(req[0].method, "GET");
    EXPECT_EQ(req[0].target, "/index.html");
    EXPECT_EQ(req[0].scheme, "https");
    EXPECT_EQ(req[0].authority, "example.com");
    EXPECT_TRUE(req[0].end_stream);
    EXPECT_FALSE(req[0].upgrade);
    // RFC 9114 §4.2: lowercase names, no connection-specific fields.
    EXPECT_EQ(req[0].fields, (field_list{{"user-agent", "strata-test"}}));
    EXPECT_EQ(l.server.c.active_streams(), 1u);

    const http::field_view rf[] = {{"Content-Type", "text/plain"}, {"Keep-Alive", "5"}};
    l.server.c.submit_headers(0, http3::response_head{200, rf}, false, ec);
    ASSERT_FALSE(ec) << ec.message();
    send(l.server, 0, "hello", true);
    l.run();

    auto res = l.client.take();
    ASSERT_GE(res.size(), 2u);
    EXPECT_EQ(res[0].kind, "headers");
    EXPECT_EQ(res[0].status, 200u);
    EXPECT_FALSE(res[0].end_stream);
    EXPECT_EQ(res[0].fields, (field_list{{"content-type", "text/plain"}}));
    auto [body, ended] = body_of(res, 0);
    EXPECT_EQ(body, "hello");
    EXPECT_TRUE(ended);

    l.ack_all();
    l.close(0);
    EXPECT_EQ(l.client.c.active_streams(), 0u);
    EXPECT_EQ(l.server.c.active_streams(), 0u);
    EXPECT_FALSE(l.client.c.error());
    EXPECT_FALSE(l.server.c.error());
    // Every byte either side received came back as credit.
    EXPECT_EQ(l.client.credited, l.client.fed);
    EXPECT_EQ(l.server.credited, l.server.fed);
}

TEST(Http3Connection, PostWithBodyInPiecesAndTrailersBothWays)
{
    link l;
    l.start();
    error_code ec;
    auto head = get("/upload");
    head.method = "POST";
    const http::field_view f[] = {{"content-length", "12"}};
    head.fields = f;
    l.client.c.submit_headers(0, head, false, ec);
    ASSERT_FALSE(ec);
    send(l.client, 0, "abcd", false);
    l.run();
    send(l.client, 0, "efgh", false);
    l.run();
    send(l.client, 0, "ijkl", true);
    l.run();

    auto req = l.server.take();
    ASSERT_FALSE(req.empty());
    EXPECT_EQ(req[0].kind, "headers");
    EXPECT_EQ(req[0].method, "POST");
    EXPECT_EQ(req[0].content_length, 12);
    EXPECT_FALSE(req[0].end_stream);
    auto [body, ended] = body_of(req, 0);
    EXPECT_EQ(body, "abcdefghijkl");
    EXPECT_TRUE(ended);
    EXPECT_GE(std::count_if(req.begin(), req.end(), [](const seen& e) { return e.kind == "data"; }), 3);

    l.server.c.submit_headers(0, http3::response_head{200, {}}, false, ec);
    ASSERT_FALSE(ec);
    send(l.server, 0, "part one, ", false);
    l.run();
    send(l.server, 0, "part two", false);
    const http::field_view t[] = {{"X-Checksum", "42"}, {"Transfer-Encoding", "chunked"}};
    l.server.c.submit_trailers(0, t, ec);
    ASSERT_FALSE(ec) << ec.message();
    // The body has ended: nothing more may be sent.
    l.server.c.submit_data(0, as_bytes("late"), true, ec);
    EXPECT_EQ(ec, make_error_code(strata::error::stream_closed));
    l.run();

    auto res = l.client.take();
    ASSERT_FALSE(res.empty());
    EXPECT_EQ(res[0].status, 200u);
    auto [rbody, rended] = body_of(res, 0);
    EXPECT_EQ(rbody, "part one, part two");
    EXPECT_TRUE(rended);
    ASSERT_EQ(res.back().kind, "trailers");
    EXPECT_EQ(res.back().fields, (field_list{{"x-checksum", "42"}}));

    // Request trailers: client to server.
    l.client.c.submit_headers(4, get("/t"), false, ec);
    ASSERT_FALSE(ec);
    send(l.client, 4, "x", false);
    const http::field_view rt[] = {{"Grpc-Status", "0"}};
    l.client.c.submit_trailers(4, rt, ec);
    ASSERT_FALSE(ec);
    l.run();
    auto req2 = l.server.take();
    ASSERT_GE(req2.size(), 3u);
    EXPECT_EQ(req2.back().kind, "trailers");
    EXPECT_EQ(req2.back().stream, 4);
    EXPECT_EQ(req2.back().fields, (field_list{{"grpc-status", "0"}}));
    EXPECT_EQ(body_of(req2, 4).first, "x");

    l.server.c.submit_headers(4, http3::response_head{204, {}}, true, ec);
    ASSERT_FALSE(ec);
    l.run();
    l.ack_all();
    l.close(0);
    l.close(4);
    EXPECT_EQ(l.client.credited, l.client.fed);
    EXPECT_EQ(l.server.credited, l.server.fed);
}

TEST(Http3Connection, InformationalContinueThenFinal)
{
    link l;
    l.start();
    error_code ec;
    auto head = get("/put");
    head.method = "PUT";
    const http::field_view f[] = {{"Expect", "100-Continue"}, {"Content-Length", "3"}};
    head.fields = f;
    l.client.c.submit_headers(0, head, false, ec);
    ASSERT_FALSE(ec);
    l.run();
    auto req = l.server.take();
    ASSERT_EQ(req.size(), 1u);
    EXPECT_TRUE(req[0].expect_continue);

    l.server.c.submit_headers(0, http3::response_head{100, {}}, false, ec);
    ASSERT_FALSE(ec);
    l.run();
    auto info = l.client.take();
    ASSERT_EQ(info.size(), 1u);
    EXPECT_EQ(info[0].kind, "informational");
    EXPECT_EQ(info[0].status, 100u);

    send(l.client, 0, "abc", true);
    l.run();
    EXPECT_EQ(body_of(l.server.take(), 0), (std::pair<std::string, bool>{"abc", true}));
    l.server.c.submit_headers(0, http3::response_head{201, {}}, true, ec);
    ASSERT_FALSE(ec);
    // A second final response is the caller's mistake.
    l.server.c.submit_headers(0, http3::response_head{200, {}}, true, ec);
    EXPECT_EQ(ec, make_error_code(strata::error::stream_closed));
    l.run();
    auto res = l.client.take();
    ASSERT_EQ(res.size(), 1u);
    EXPECT_EQ(res[0].kind, "headers");
    EXPECT_EQ(res[0].status, 201u);
    EXPECT_TRUE(res[0].end_stream);
}

TEST(Http3Connection, HeadResponseHasLengthButNoBody)
{
    link l;
    l.start();
    error_code ec;
    auto head = get("/big");
    head.method = "HEAD";
    l.client.c.submit_headers(0, head, true, ec);
    ASSERT_FALSE(ec);
    l.run();
    auto req = l.server.take();
    ASSERT_EQ(req.size(), 1u);
    EXPECT_EQ(req[0].method, "HEAD");
    const http::field_view f[] = {{"Content-Length", "1234"}};
    l.server.c.submit_headers(0, http3::response_head{200, f}, true, ec);
    ASSERT_FALSE(ec);
    l.run();
    auto res = l.client.take();
    ASSERT_EQ(res.size(), 1u) << "no data event for a HEAD response";
    EXPECT_EQ(res[0].status, 200u);
    EXPECT_EQ(res[0].content_length, 1234);
    EXPECT_TRUE(res[0].end_stream);
    EXPECT_FALSE(l.client.c.error());
}

TEST(Http3Connection, ManyConcurrentStreams)
{
    link l;
    l.start();
    error_code ec;
    constexpr int n = 60;
    for (int i = 0; i < n; ++i) {
        auto id = static_cast<http::stream_id>(4 * i);
        auto head = get("/s/" + std::to_string(i));
        std::string path = "/s/" + std::to_string(i);
        head.path = path;
        head.method = "POST";
        l.client.c.submit_headers(id, head, false, ec);
        ASSERT_FALSE(ec) << i;
        send(l.client, id, std::string(100 + i, static_cast<char>('a' + i % 26)), true);
    }
    EXPECT_EQ(l.client.c.active_streams(), static_cast<std::size_t>(n));
    l.run();
    auto req = l.server.take();
    EXPECT_EQ(l.server.c.active_streams(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        auto id = static_cast<http::stream_id>(4 * i);
        const auto* h = find(req, "headers", id);
        ASSERT_NE(h, nullptr) << i;
        EXPECT_EQ(h->target, "/s/" + std::to_string(i));
        auto [body, ended] = body_of(req, id);
        EXPECT_EQ(body, std::string(100 + i, static_cast<char>('a' + i % 26)));
        EXPECT_TRUE(ended);
        l.server.c.submit_headers(id, http3::response_head{200, {}}, false, ec);
        ASSERT_FALSE(ec);
        send(l.server, id, "answer " + std::to_string(i), true);
    }
    l.run();
    auto res = l.client.take();
    for (int i = 0; i < n; ++i) {
        auto id = static_cast<http::stream_id>(4 * i);
        ASSERT_NE(find(res, "headers", id), nullptr) << i;
        EXPECT_EQ(body_of(res, id), (std::pair<std::string, bool>{"answer " + std::to_string(i), true}));
    }
    l.ack_all();
    for (int i = 0; i < n; ++i)
        l.close(4 * i);
    EXPECT_EQ(l.server.c.active_streams(), 0u);
    EXPECT_EQ(l.client.c.active_streams(), 0u);
    EXPECT_EQ(l.client.credited, l.client.fed);
    EXPECT_EQ(l.server.credited, l.server.fed);
}

TEST(Http3Connection, SubmitResetQueuesBothActionsAndPeerSeesReset)
{
    link l;
    l.start();
    error_code ec;
    auto head = get("/up");
    head.method = "POST";
    l.client.c.submit_headers(0, head, false, ec);
    ASSERT_FALSE(ec);
    send(l.client, 0, "first", false);
    // Move bytes only: the actions are inspected before they are applied.
    l.pump(l.client, l.server);
    ASSERT_NE(find(l.server.take(), "headers", 0), nullptr);

    l.server.c.submit_reset(0, http3::error::request_cancelled);
    auto acts = l.server.take_actions();
    ASSERT_EQ(acts.size(), 2u);
    std::set<int> kinds;
    for (auto a : acts) {
        EXPECT_EQ(a.stream, 0);
        EXPECT_EQ(a.code, 0x10cu);
        kinds.insert(a.kind);
    }
    EXPECT_EQ(kinds.size(), 2u) << "reset_stream and stop_sending";
    // The application may not answer a stream it reset.
    l.server.c.submit_headers(0, http3::response_head{200, {}}, true, ec);
    EXPECT_EQ(ec, make_error_code(strata::error::stream_closed));

    // What QUIC does with them: the client learns both directions are gone.
    for (auto a : acts) {
        if (a.kind == http3::stream_action::reset_stream)
            l.client.c.handle_stream_reset(0, a.code);
        else
            l.client.c.handle_stop_sending(0, a.code);
    }
    auto ev = l.client.take();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, "reset");
    EXPECT_EQ(ev[0].code, make_error_code(http3::error::request_cancelled));
    EXPECT_EQ(l.client.c.pending_output(0), 0u);
    l.client.c.submit_data(0, as_bytes("more"), true, ec);
    EXPECT_EQ(ec, make_error_code(strata::error::stream_closed));
    // STOP_SENDING is answered with RESET_STREAM (RFC 9000 §3.5).
    auto cacts = l.client.take_actions();
    ASSERT_EQ(cacts.size(), 1u);
    EXPECT_EQ(cacts[0].kind, http3::stream_action::reset_stream);
    EXPECT_EQ(cacts[0].code, 0x10cu);
    // Bytes still arriving for the reset stream are credited, not reported.
    l.server.feed(0, std::string("\x00\x03xyz", 5));
    EXPECT_TRUE(l.server.take().empty());
    l.close(0);
    EXPECT_EQ(l.server.credited, l.server.fed);
    EXPECT_FALSE(l.server.c.error());
    EXPECT_FALSE(l.client.c.error());
}

TEST(Http3Connection, StopReceivingAfterAnEarlyResponse)
{
    link l;
    l.start();
    error_code ec;
    auto head = get("/upload");
    head.method = "POST";
    l.client.c.submit_headers(0, head, false, ec);
    ASSERT_FALSE(ec);
    send(l.client, 0, "some of the body", false);
    l.run();
    ASSERT_NE(find(l.server.take(), "headers", 0), nullptr);

    // RFC 9114 §4.1: a complete response, then STOP_SENDING(H3_NO_ERROR).
    const http::field_view f[] = {{"content-length", "2"}};
    l.server.c.submit_headers(0, http3::response_head{413, f}, false, ec);
    ASSERT_FALSE(ec);
    send(l.server, 0, "no", true);
    l.server.c.stop_receiving(0);
    auto acts = l.server.take_actions();
    ASSERT_EQ(acts.size(), 1u);
    EXPECT_EQ(acts[0].kind, http3::stream_action::stop_sending);
    EXPECT_EQ(acts[0].code, 0x100u);
    l.server.actions = acts; // let the link apply it
    l.run();

    auto res = l.client.take();
    EXPECT_EQ(find(res, "reset", 0), nullptr) << "H3_NO_ERROR keeps the response";
    const auto* h = find(res, "headers", 0);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->status, 413u);
    EXPECT_EQ(body_of(res, 0), (std::pair<std::string, bool>{"no", true}));
    // The client stopped its body and reset its sending side with H3_NO_ERROR.
    l.client.c.submit_data(0, as_bytes("rest"), true, ec);
    EXPECT_EQ(ec, make_error_code(strata::error::stream_closed));
    ASSERT_FALSE(l.client.actions.empty());
    EXPECT_EQ(l.client.actions.back().kind, http3::stream_action::reset_stream);
    EXPECT_EQ(l.client.actions.back().code, 0x100u);
    EXPECT_FALSE(l.client.c.error());
    EXPECT_FALSE(l.server.c.error());
}

TEST(Http3Connection, GoawayWhenIdleStopsNewRequests)
{
    link l;
    l.start();
    l.server.c.submit_goaway();
    EXPECT_TRUE(l.server.c.going_away());
    l.run();
    auto ev = l.client.take();
    ASSERT_FALSE(ev.empty());
    EXPECT_EQ(ev.back().kind, "goaway");
    // No stream was opened: the final GOAWAY (stream id 0) allows none.
    EXPECT_EQ(ev.back().stream, -1);
    EXPECT_EQ(ev.back().code, make_error_code(http3::error::no_error));
    EXPECT_TRUE(l.client.c.going_away());
    EXPECT_EQ(l.client.c.goaway_stream(), -1);
    error_code ec;
    l.client.c.submit_headers(0, get("/"), true, ec);
    EXPECT_EQ(ec, make_error_code(http3::error::request_rejected));
}

TEST(Http3Connection, GoawayNoticeLetsStreamsInFlightFinish)
{
    link l;
    l.start();
    error_code ec;
    l.client.c.submit_headers(0, get("/a"), true, ec);
    ASSERT_FALSE(ec);
    l.client.c.submit_headers(4, get("/b"), true, ec);
    ASSERT_FALSE(ec);
    l.run();
    ASSERT_EQ(l.server.take().size(), 2u);

    l.server.c.submit_goaway();
    l.run();
    auto notice = l.client.take();
    ASSERT_EQ(notice.size(), 1u);
    EXPECT_EQ(notice[0].kind, "goaway");
    EXPECT_GT(notice[0].stream, 4) << "the notice names no stream in flight";
    EXPECT_TRUE(l.client.c.going_away());

    for (http::stream_id id : {0, 4}) {
        l.server.c.submit_headers(id, http3::response_head{200, {}}, true, ec);
        ASSERT_FALSE(ec) << "requests in flight are still answered";
    }
    l.run();
    auto res = l.client.take();
    EXPECT_NE(find(res, "headers", 0), nullptr);
    EXPECT_NE(find(res, "headers", 4), nullptr);
    l.ack_all();
    l.close(0);
    l.close(4);
    // The last stream closed: the final GOAWAY says 0 and 4 were processed.
    l.run();
    auto last = l.client.take();
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].kind, "goaway");
    EXPECT_EQ(last[0].stream, 4);
    EXPECT_EQ(l.client.c.goaway_stream(), 4);
    EXPECT_FALSE(l.client.c.error());
}

TEST(Http3Connection, SettingsEventCarriesEnableConnectProtocol)
{
    for (bool enable : {false, true}) {
        http3::config scfg;
        scfg.enable_connect_protocol = enable;
        link l({}, scfg);
        EXPECT_FALSE(l.client.c.peer_settings_received());
        l.run();
        ASSERT_TRUE(l.client.c.peer_settings_received());
        EXPECT_EQ(l.client.c.peer_enable_connect_protocol(), enable);
        auto cs = l.client.take();
        ASSERT_EQ(std::count_if(cs.begin(), cs.end(), [](const seen& e) { return e.kind == "settings"; }), 1);
        EXPECT_EQ(find(cs, "settings")->enable_connect_protocol, enable);
        // The client announces nothing of the kind.
        auto ss = l.server.take();
        ASSERT_NE(find(ss, "settings"), nullptr);
        EXPECT_FALSE(find(ss, "settings")->enable_connect_protocol);
        EXPECT_FALSE(l.server.c.peer_enable_connect_protocol());
    }
}

TEST(Http3Connection, ExtendedConnectOnlyWhenEnabled)
{
    auto connect = [] {
        http3::request_head h;
        h.method = "CONNECT";
        h.protocol = "websocket";
        h.scheme = "https";
        h.authority = "example.com";
        h.path = "/chat";
        return h;
    };
    {
        http3::config scfg;
        scfg.enable_connect_protocol = true;
        link l({}, scfg);
        l.start();
        error_code ec;
        l.client.c.submit_headers(0, connect(), false, ec);
        ASSERT_FALSE(ec) << ec.message();
        l.run();
        auto req = l.server.take();
        ASSERT_EQ(req.size(), 1u);
        EXPECT_EQ(req[0].method, "CONNECT");
        EXPECT_EQ(req[0].protocol, "websocket");
        EXPECT_EQ(req[0].target, "/chat");
        EXPECT_TRUE(req[0].upgrade);
        EXPECT_FALSE(req[0].end_stream);
        l.server.c.submit_headers(0, http3::response_head{200, {}}, false, ec);
        ASSERT_FALSE(ec);
        send(l.server, 0, "tunnel bytes", false);
        l.run();
        auto res = l.client.take();
        ASSERT_NE(find(res, "headers", 0), nullptr);
        EXPECT_EQ(body_of(res, 0).first, "tunnel bytes");
    }
    {
        link l;
        l.start();
        error_code ec;
        // RFC 9220 §3: the client may not use :protocol the server did not allow.
        l.client.c.submit_headers(0, connect(), false, ec);
        EXPECT_EQ(ec, make_error_code(strata::error::unsupported));
        EXPECT_EQ(l.client.c.active_streams(), 0u);
    }
}

TEST(Http3Connection, OversizedRequestFieldSectionGets431)
{
    http3::config scfg;
    scfg.max_field_section_size = 1024;
    link l({}, scfg);
    l.start();
    error_code ec;
    std::string big(1500, 'v');
    const http::field_view f[] = {{"x-big", big}};
    auto head = get("/", f);
    head.method = "POST";
    l.client.c.submit_headers(0, head, false, ec);
    ASSERT_FALSE(ec);
    send(l.client, 0, "body that nobody reads", false);
    l.run();
    EXPECT_TRUE(l.server.take().empty()) << "the application never sees the request";
    auto res = l.client.take();
    const auto* h = find(res, "headers", 0);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->status, 431u);
    EXPECT_TRUE(h->end_stream);
    // The rest of the request is not wanted.
    bool stop = false;
    for (auto a : l.server.actions)
        stop = stop || (a.stream == 0 && a.kind == http3::stream_action::stop_sending && a.code == 0x100);
    EXPECT_TRUE(stop);
    EXPECT_FALSE(l.server.c.error());
    l.ack_all();
    l.close(0);
    // The body bytes the application never saw were credited all the same.
    EXPECT_EQ(l.server.credited, l.server.fed);

    // A field section far beyond the limit is an attack: the connection ends.
    std::string huge(5000, 'w');
    const http::field_view f2[] = {{"x-huge", huge}};
    l.client.c.submit_headers(4, get("/", f2), true, ec);
    ASSERT_FALSE(ec);
    l.run();
    EXPECT_EQ(l.server.c.error(), make_error_code(http3::error::excessive_load));
}

TEST(Http3Connection, OversizedResponseFieldSectionResetsTheStream)
{
    http3::config ccfg;
    ccfg.max_field_section_size = 1024;
    link l(ccfg, {});
    l.start();
    error_code ec;
    l.client.c.submit_headers(0, get("/"), true, ec);
    ASSERT_FALSE(ec);
    l.run();
    l.server.take();
    std::string big(1500, 'v');
    const http::field_view f[] = {{"x-big", big}};
    l.server.c.submit_headers(0, http3::response_head{200, f}, false, ec);
    ASSERT_FALSE(ec);
    send(l.server, 0, "body", true);
    l.pump(l.server, l.client);
    auto ev = l.client.take();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, "reset");
    EXPECT_EQ(ev[0].code, make_error_code(http3::error::excessive_load));
    auto acts = l.client.take_actions();
    ASSERT_EQ(acts.size(), 2u);
    for (auto a : acts)
        EXPECT_EQ(a.code, 0x107u);
    EXPECT_FALSE(l.client.c.error());
}

TEST(Http3Connection, CreditWaitsForTheApplication)
{
    link l;
    l.start();
    l.server.auto_consume = false;
    error_code ec;
    auto head = get("/");
    head.method = "POST";
    l.client.c.submit_headers(0, head, false, ec);
    ASSERT_FALSE(ec);
    const std::string body(5000, 'z');
    send(l.client, 0, body, true);
    l.run();
    EXPECT_EQ(body_of(l.server.take(), 0).first, body);
    // Framing and headers are credited at once; the body when it is read.
    EXPECT_EQ(l.server.credited + body.size(), l.server.fed);
    l.server.consume_all();
    EXPECT_EQ(l.server.credited, l.server.fed);
}

TEST(Http3Connection, PendingOutputDropsToZeroAfterAcks)
{
    link l;
    l.start();
    error_code ec;
    l.client.c.submit_headers(0, get("/big"), true, ec);
    ASSERT_FALSE(ec);
    l.run();
    l.server.take();
    l.server.c.submit_headers(0, http3::response_head{200, {}}, false, ec);
    ASSERT_FALSE(ec);
    const std::string piece(32 * 1024, 'p');
    send(l.server, 0, piece, false);
    send(l.server, 0, piece, false);
    EXPECT_EQ(l.server.c.pending_output(0), 2 * piece.size());
    auto peak = l.server.c.memory_usage();
    EXPECT_GE(peak, 2 * piece.size()) << "the body is held until acknowledged";
    l.run();
    // Written, not yet acknowledged: still held.
    EXPECT_EQ(l.server.c.pending_output(0), 2 * piece.size());
    l.ack_all();
    EXPECT_EQ(l.server.c.pending_output(0), 0u);
    send(l.server, 0, "end", true);
    EXPECT_EQ(l.server.c.pending_output(0), 3u);
    l.run();
    l.ack_all();
    EXPECT_EQ(l.server.c.pending_output(0), 0u);
    EXPECT_LT(l.server.c.memory_usage(), peak / 4);
    EXPECT_EQ(body_of(l.client.take(), 0).first.size(), 2 * piece.size() + 3);
}

// A body whose last bytes were written before it was ended (a handler's
// finish() after its last write waited for acknowledgements), and whose
// bytes were all acknowledged before nghttp3 asked for more: its end must
// still go out. It did not: the acknowledgement released the body's storage,
// the data reader then found none and said "would block" for good, and the
// response never ended (the client waited for the FIN until its timeout).
TEST(Http3Connection, BodyEndedAfterItsLastBytesWereAcknowledgedStillEnds)
{
    link l;
    l.start();
    error_code ec;
    l.client.c.submit_headers(0, get("/big"), true, ec);
    ASSERT_FALSE(ec);
    l.client.c.submit_headers(4, get("/with-trailers"), true, ec);
    ASSERT_FALSE(ec);
    l.run();
    l.server.take();
    for (http::stream_id id : {0, 4}) {
        l.server.c.submit_headers(id, http3::response_head{200, {}}, false, ec);
        ASSERT_FALSE(ec);
        send(l.server, id, "every byte of it", false);
    }
    l.run(); // written, and nghttp3 told there is nothing more for now
    l.server.c.submit_data(0, {}, true, ec);
    ASSERT_FALSE(ec);
    const http::field_view trailers[] = {{"x-checksum", "1234"}};
    l.server.c.submit_trailers(4, trailers, ec);
    ASSERT_FALSE(ec);
    l.ack_all(); // before the end is written
    l.run();
    auto res = l.client.take();
    for (http::stream_id id : {0, 4}) {
        auto [body, ended] = body_of(res, id);
        EXPECT_EQ(body, "every byte of it") << id;
        EXPECT_TRUE(ended) << id;
    }
    ASSERT_NE(find(res, "trailers", 4), nullptr);
    EXPECT_EQ(find(res, "trailers", 4)->field("x-checksum"), "1234");
    l.ack_all();
    EXPECT_EQ(l.server.c.pending_output(0), 0u);
    l.close(0);
    l.close(4);
    EXPECT_EQ(l.server.c.active_streams(), 0u);
    EXPECT_FALSE(l.server.c.error());
}

TEST(Http3Connection, MemoryReturnedAfterStreamsClose)
{
    link l;
    l.start();
    error_code ec;
    auto exchange = [&](http::stream_id id, std::size_t size) {
        auto head = get("/m");
        head.method = "POST";
        l.client.c.submit_headers(id, head, false, ec);
        ASSERT_FALSE(ec);
        send(l.client, id, std::string(size, 'q'), true);
        l.run();
        l.server.c.submit_headers(id, http3::response_head{200, {}}, false, ec);
        ASSERT_FALSE(ec);
        send(l.server, id, std::string(size, 'r'), true);
        l.run();
    };
    exchange(0, 10);
    l.ack_all();
    l.close(0);
    l.client.take();
    l.server.take();
    const auto client_idle = l.client.c.memory_usage();
    const auto server_idle = l.server.c.memory_usage();

    std::size_t peak = 0;
    for (int i = 1; i <= 16; ++i)
        exchange(4 * i, 64 * 1024);
    peak = std::max(l.server.c.memory_usage(), l.client.c.memory_usage());
    EXPECT_GT(peak, 16u * 64 * 1024) << "bodies are held until acknowledged";
    l.ack_all();
    for (int i = 1; i <= 16; ++i)
        l.close(4 * i);
    l.client.take();
    l.server.take();
    EXPECT_LE(l.client.c.memory_usage(), client_idle + 4096);
    EXPECT_LE(l.server.c.memory_usage(), server_idle + 4096);
    EXPECT_LT(l.server.c.memory_usage(), 32u * 1024);
}

TEST(Http3Connection, QpackBlockedRequestWaitsForEncoderStream)
{
    link l;
    l.start();
    // Hold the client's QPACK encoder stream: the request that refers to its
    // dynamic table must wait (RFC 9204 §2.1.2), body bytes included.
    l.held.insert(6);
    error_code ec;
    const http::field_view f[] = {{"x-custom-field", "a value worth indexing"}, {"user-agent", "strata"}};
    auto head = get("/blocked", f);
    head.method = "POST";
    l.client.c.submit_headers(0, head, false, ec);
    ASSERT_FALSE(ec);
    send(l.client, 0, "body while blocked", true);
    l.run();
    ASSERT_FALSE(l.held_bytes[6].empty()) << "the encoder used its dynamic table";
    EXPECT_TRUE(l.server.take().empty()) << "no head before its QPACK instructions";
    EXPECT_LT(l.server.credited, l.server.fed) << "blocked bytes are not credited yet";
    l.release(6);
    auto req = l.server.take();
    const auto* h = find(req, "headers", 0);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->field("x-custom-field"), "a value worth indexing");
    EXPECT_EQ(body_of(req, 0), (std::pair<std::string, bool>{"body while blocked", true}));
    EXPECT_EQ(l.server.credited, l.server.fed);
    EXPECT_FALSE(l.server.c.error());
}

TEST(Http3Connection, StreamClosedMidMessageIsReported)
{
    link l;
    l.start();
    error_code ec;
    auto head = get("/");
    head.method = "POST";
    for (http::stream_id id : {0, 4}) {
        l.client.c.submit_headers(id, head, false, ec);
        ASSERT_FALSE(ec);
        send(l.client, id, "partial", false);
    }
    l.run();
    EXPECT_EQ(l.server.take().size(), 4u);
    // QUIC gave up on the stream with a code: the request is lost.
    l.server.c.handle_stream_close(0, 0x10c);
    auto ev = l.server.take();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, "reset");
    EXPECT_EQ(ev[0].code, make_error_code(http3::error::request_cancelled));
    // Without a code there is nothing to say.
    l.server.c.handle_stream_close(4, 0);
    EXPECT_TRUE(l.server.take().empty());
    EXPECT_EQ(l.server.c.active_streams(), 0u);
    EXPECT_FALSE(l.server.c.error());
}

TEST(Http3Connection, MisuseIsReportedNotFatal)
{
    link l;
    l.start();
    error_code ec;
    l.client.c.submit_headers(2, get("/"), true, ec); // a unidirectional id
    EXPECT_EQ(ec, make_error_code(boost::system::errc::invalid_argument));
    l.client.c.submit_headers(0, http3::response_head{200, {}}, true, ec); // a client answers nothing
    EXPECT_EQ(ec, make_error_code(boost::system::errc::invalid_argument));
    l.server.c.submit_headers(0, http3::response_head{200, {}}, true, ec); // no such request
    EXPECT_EQ(ec, make_error_code(strata::error::stream_closed));
    l.client.c.submit_data(8, as_bytes("x"), true, ec);
    EXPECT_EQ(ec, make_error_code(strata::error::stream_closed));
    http3::connection unbound(role::client);
    unbound.submit_headers(0, get("/"), true, ec);
    EXPECT_EQ(ec, make_error_code(boost::system::errc::invalid_argument));
    unbound.bind_local_streams(3, 7, 11, ec); // server-side ids
    EXPECT_EQ(ec, make_error_code(boost::system::errc::invalid_argument));
    EXPECT_FALSE(l.client.c.error());
    EXPECT_FALSE(l.server.c.error());
    EXPECT_FALSE(unbound.error());
}

// ---- hand-built frames into a server codec -----------------------------------

/// RFC 9000 §16 variable-length integer.
std::string varint(std::uint64_t v)
{
    std::string out;
    if (v < 0x40) {
        out.push_back(static_cast<char>(v));
    } else if (v < 0x4000) {
        out.push_back(static_cast<char>(0x40 | v >> 8));
        out.push_back(static_cast<char>(v & 0xff));
    } else {
        for (int i = 3; i >= 0; --i)
            out.push_back(static_cast<char>((i == 3 ? 0x80 : 0) | (v >> (8 * i) & 0xff)));
    }
    return out;
}

std::string frame(std::uint64_t type, std::string_view payload)
{
    return varint(type) + varint(payload.size()) + std::string(payload);
}

std::string settings(std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> entries)
{
    std::string p;
    for (auto [id, v] : entries)
        p += varint(id) + varint(v);
    return frame(0x04, p);
}

std::string hex(std::string_view h)
{
    std::string out;
    std::string digits;
    for (char c : h)
        if (std::isxdigit(static_cast<unsigned char>(c)))
            digits.push_back(c);
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
    return out;
}

/// RFC 7541 §5.1 prefixed integer, as QPACK uses it (RFC 9204 §4.1.1).
std::string prefixed(std::uint8_t first, int bits, std::size_t v)
{
    std::string out;
    const std::size_t max = (1u << bits) - 1;
    if (v < max) {
        out.push_back(static_cast<char>(first | v));
        return out;
    }
    out.push_back(static_cast<char>(first | max));
    v -= max;
    while (v >= 128) {
        out.push_back(static_cast<char>(v % 128 + 128));
        v /= 128;
    }
    out.push_back(static_cast<char>(v));
    return out;
}

/// RFC 9204 §4.5.6: literal field line with literal name, no Huffman.
std::string literal(std::string_view name, std::string_view value)
{
    return prefixed(0x20, 3, name.size()) + std::string(name) + prefixed(0x00, 7, value.size()) +
           std::string(value);
}

/// RFC 9204 §4.5.4: literal field line with a static-table name.
std::string literal_static(std::size_t index, std::string_view value)
{
    return prefixed(0x50, 4, index) + prefixed(0x00, 7, value.size()) + std::string(value);
}

/// RFC 9204 §4.5.2: indexed field line, static table.
std::string indexed_static(std::size_t index)
{
    return prefixed(0xc0, 6, index);
}

/// A request head using the static table only (Required Insert Count 0).
std::string get_block(std::string_view path)
{
    return std::string("\x00\x00", 2) + indexed_static(17) /* :method GET */ +
           indexed_static(23) /* :scheme https */ + literal_static(0, "example.com") /* :authority */ +
           literal_static(1, path) /* :path */;
}

struct raw_server {
    endpoint e;
    explicit raw_server(http3::config cfg = {}) : e(role::server, cfg)
    {
        error_code ec;
        e.c.bind_local_streams(3, 7, 11, ec);
        EXPECT_FALSE(ec);
    }
    void control(std::string_view bytes) { e.feed(2, bytes); }
};

const std::string control_preface = std::string(1, '\0') + settings({});

TEST(Http3Rfc9114, SecondControlStreamIsStreamCreationError)
{
    // RFC 9114 §6.2.1: only one control stream per peer.
    raw_server s;
    s.control(control_preface);
    EXPECT_FALSE(s.e.c.error());
    s.e.feed(6, std::string(1, '\0'));
    EXPECT_EQ(s.e.c.error(), make_error_code(http3::error::stream_creation_error));
    // Failed stays failed: input is ignored and yields nothing.
    s.e.take();
    s.e.feed(0, frame(0x01, get_block("/")), true);
    EXPECT_TRUE(s.e.take().empty());
    EXPECT_EQ(s.e.c.error(), make_error_code(http3::error::stream_creation_error));
}

TEST(Http3Rfc9114, FirstControlFrameMustBeSettings)
{
    // RFC 9114 §6.2.1: otherwise H3_MISSING_SETTINGS.
    raw_server s;
    s.control(std::string(1, '\0') + frame(0x07, varint(0)));
    EXPECT_EQ(s.e.c.error(), make_error_code(http3::error::missing_settings));
    EXPECT_FALSE(s.e.c.peer_settings_received());
}

TEST(Http3Rfc9114, DataOnControlStreamIsFrameUnexpected)
{
    // RFC 9114 §7.2.1: DATA on a control stream is H3_FRAME_UNEXPECTED.
    raw_server s;
    s.control(control_preface + frame(0x00, "abc"));
    EXPECT_EQ(s.e.c.error(), make_error_code(http3::error::frame_unexpected));
}

TEST(Http3Rfc9114, SecondSettingsIsFrameUnexpected)
{
    // RFC 9114 §7.2.4: SETTINGS once.
    raw_server s;
    s.control(control_preface + settings({}));
    EXPECT_EQ(s.e.c.error(), make_error_code(http3::error::frame_unexpected));
}

TEST(Http3Rfc9114, ReservedHttp2SettingsAreSettingsError)
{
    // RFC 9114 §7.2.4.1: HTTP/2's 0x02..0x05 have no HTTP/3 meaning.
    for (std::uint64_t id = 0x02; id <= 0x05; ++id) {
        raw_server s;
        s.control(std::string(1, '\0') + settings({{id, 0}}));
        EXPECT_EQ(s.e.c.error(), make_error_code(http3::error::settings_error)) << "id " << id;
        EXPECT_FALSE(s.e.c.peer_settings_received());
    }
}

TEST(Http3Rfc9114, ControlStreamClosedIsClosedCriticalStream)
{
    // RFC 9114 §6.2.1: the control stream never ends.
    {
        raw_server s;
        s.control(control_preface);
        s.e.c.handle_stream_data(2, {}, true);
        EXPECT_EQ(s.e.c.error(), make_error_code(http3::error::closed_critical_stream));
    }
    {
        raw_server s;
        s.control(control_preface);
        s.e.c.handle_stream_reset(2, 0x100);
        EXPECT_EQ(s.e.c.error(), make_error_code(http3::error::closed_critical_stream));
    }
    {
        raw_server s; // our own control stream, asked to stop (RFC 9204 §4.2 alike)
        s.e.c.handle_stop_sending(3, 0x100);
        EXPECT_EQ(s.e.c.error(), make_error_code(http3::error::closed_critical_stream));
    }
}

TEST(Http3Rfc9114, UnknownAndReservedTypesAreIgnored)
{
    raw_server s;
    // RFC 9114 §7.2.4.1 / §9: unknown and reserved (0x1f * N + 0x21)
    // settings; §7.2.8 / §9: unknown and reserved frame types on the control
    // and request streams.
    s.control(std::string(1, '\0') + settings({{0x21, 7}, {0x1f * 3 + 0x21, 1}, {0x4242, 9}}) +
              frame(0x21, "abc") + frame(0x1f * 5 + 0x21, "") + frame(0x3fff, "xyzzy"));
    EXPECT_FALSE(s.e.c.error());
    EXPECT_TRUE(s.e.c.peer_settings_received());
    EXPECT_FALSE(s.e.c.peer_enable_connect_protocol());
    // RFC 9114 §6.2: a unidirectional stream of unknown type is discarded
    // (STOP_SENDING with H3_STREAM_CREATION_ERROR), not an error.
    s.e.feed(6, varint(0x1f * 2 + 0x21) + "ignored payload");
    EXPECT_FALSE(s.e.c.error());
    bool stopped = false;
    for (auto a : s.e.actions)
        stopped =
            stopped || (a.stream == 6 && a.kind == http3::stream_action::stop_sending && a.code == 0x103);
    EXPECT_TRUE(stopped);
    s.e.feed(0, frame(0x21, "grease") + frame(0x01, get_block("/after-grease")) + frame(0x1f + 0x21, "x"),
             true);
    EXPECT_FALSE(s.e.c.error());
    auto ev = s.e.take();
    const auto* h = find(ev, "headers", 0);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->target, "/after-grease");
    EXPECT_EQ(body_of(ev, 0).second, true);
    // The unknown stream may end before its type is even complete (§6.2).
    s.e.feed(10, std::string(1, '\x40'));
    s.e.c.handle_stream_close(10, 0x100);
    s.e.c.handle_stream_close(6, 0x100);
    EXPECT_FALSE(s.e.c.error());
}

TEST(Http3Rfc9114, SettingsSplitAcrossReadsAreReportedOnce)
{
    for (auto r : {role::server, role::client}) {
        endpoint e(r);
        error_code ec;
        if (r == role::server)
            e.c.bind_local_streams(3, 7, 11, ec);
        else
            e.c.bind_local_streams(2, 6, 10, ec);
        ASSERT_FALSE(ec);
        const http::stream_id control = r == role::server ? 2 : 3;
        // Two-byte ids and values, to split inside varints too.
        auto bytes =
            std::string(1, '\0') + settings({{0x01, 4096}, {0x08, 1}, {0x4242, 0x4243}, {0x06, 0x1000}});
        for (char c : bytes) {
            EXPECT_FALSE(e.c.peer_settings_received());
            e.feed(control, std::string(1, c));
        }
        EXPECT_FALSE(e.c.error()) << e.c.error().message();
        EXPECT_TRUE(e.c.peer_settings_received());
        EXPECT_TRUE(e.c.peer_enable_connect_protocol());
        auto ev = e.take();
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].kind, "settings");
        EXPECT_TRUE(ev[0].enable_connect_protocol);
        EXPECT_EQ(e.credited, e.fed);
    }
}

TEST(Http3Rfc9220, EnableConnectProtocolValueAboveOneIsSettingsError)
{
    endpoint e(role::client);
    error_code ec;
    e.c.bind_local_streams(2, 6, 10, ec);
    e.feed(3, std::string(1, '\0') + settings({{0x08, 2}}));
    EXPECT_EQ(e.c.error(), make_error_code(http3::error::settings_error));
    EXPECT_TRUE(e.take().empty());
}

TEST(Http3Rfc9220, ProtocolPseudoHeaderNeedsTheSetting)
{
    auto connect_block = std::string("\x00\x00", 2) + indexed_static(15) /* :method CONNECT */ +
                         indexed_static(23) + literal_static(0, "example.com") + literal_static(1, "/chat") +
                         literal(":protocol", "websocket");
    {
        http3::config cfg;
        cfg.enable_connect_protocol = true;
        raw_server s(cfg);
        s.control(control_preface);
        s.e.feed(0, frame(0x01, connect_block));
        auto ev = s.e.take();
        ASSERT_EQ(ev.size(), 2u);
        EXPECT_EQ(ev[1].kind, "headers");
        EXPECT_EQ(ev[1].protocol, "websocket");
        EXPECT_TRUE(ev[1].upgrade);
        EXPECT_TRUE(s.e.actions.empty());
    }
    {
        raw_server s;
        s.control(control_preface);
        s.e.feed(0, frame(0x01, connect_block));
        auto ev = s.e.take();
        EXPECT_EQ(find(ev, "headers"), nullptr);
        // A malformed request (RFC 9114 §4.1.2): the stream, not the connection.
        EXPECT_FALSE(s.e.c.error());
        ASSERT_EQ(s.e.actions.size(), 2u);
        for (auto a : s.e.actions) {
            EXPECT_EQ(a.stream, 0);
            EXPECT_EQ(a.code, 0x10eu); // H3_MESSAGE_ERROR
        }
        error_code ec;
        s.e.c.submit_headers(0, http3::response_head{200, {}}, true, ec);
        EXPECT_TRUE(ec);
    }
}

TEST(Http3Rfc9204, AppendixB1LiteralFieldLineWithNameReference)
{
    raw_server s;
    s.control(control_preface);
    // RFC 9204 Appendix B.1 ("Literal Field Line with Name Reference, Static
    // Table, Index=1 (:path=/index.html)"), preceded by the rest of a request
    // head from the static table.
    auto b1 = hex("0000 510b 2f69 6e64 6578 2e68 746d 6c");
    ASSERT_EQ(b1.size(), 15u);
    auto block = b1.substr(0, 2) + indexed_static(17) + indexed_static(23) +
                 literal_static(0, "example.com") + b1.substr(2);
    s.e.feed(0, frame(0x01, block), true);
    EXPECT_FALSE(s.e.c.error());
    auto ev = s.e.take();
    const auto* h = find(ev, "headers", 0);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->method, "GET");
    EXPECT_EQ(h->target, "/index.html");
    EXPECT_EQ(h->authority, "example.com");
    EXPECT_TRUE(h->end_stream);
}

TEST(Http3Rfc9204, AppendixB1BlockAloneIsAMalformedRequest)
{
    // The example's field section has no :method: a stream error, not a
    // connection error (RFC 9114 §4.1.2).
    raw_server s;
    s.control(control_preface);
    s.e.feed(0, frame(0x01, hex("0000 510b 2f69 6e64 6578 2e68 746d 6c")), true);
    EXPECT_FALSE(s.e.c.error());
    EXPECT_EQ(find(s.e.take(), "headers"), nullptr);
    ASSERT_FALSE(s.e.actions.empty());
    EXPECT_EQ(s.e.actions[0].code, 0x10eu);
}

TEST(Http3Rfc9114, StreamsBeyondTheLimitAreRejected)
{
    http3::config cfg;
    cfg.max_concurrent_streams = 2;
    raw_server s(cfg);
    s.control(control_preface);
    s.e.take();
    s.e.feed(0, frame(0x01, get_block("/0")));
    s.e.feed(4, frame(0x01, get_block("/4")));
    auto refused = frame(0x01, get_block("/8"));
    s.e.feed(8, refused);
    auto ev = s.e.take();
    EXPECT_NE(find(ev, "headers", 0), nullptr);
    EXPECT_NE(find(ev, "headers", 4), nullptr);
    EXPECT_EQ(find(ev, "headers", 8), nullptr);
    ASSERT_EQ(s.e.actions.size(), 2u);
    for (auto a : s.e.actions) {
        EXPECT_EQ(a.stream, 8);
        EXPECT_EQ(a.code, 0x10bu); // H3_REQUEST_REJECTED
    }
    EXPECT_EQ(s.e.c.active_streams(), 2u);
    EXPECT_EQ(s.e.credited, s.e.fed) << "a refused stream's bytes are credited";
    // Once one closes, a new stream is taken.
    s.e.c.handle_stream_close(0, 0x100);
    s.e.c.handle_stream_close(8, 0x10b);
    s.e.feed(12, frame(0x01, get_block("/12")), true);
    EXPECT_NE(find(s.e.take(), "headers", 12), nullptr);
    EXPECT_FALSE(s.e.c.error());
}

TEST(Http3Error, CategoryAndMessages)
{
    error_code ec = http3::error::frame_unexpected;
    EXPECT_STREQ(ec.category().name(), "strata.http3");
    EXPECT_EQ(ec.value(), 0x105);
    EXPECT_NE(ec.message().find("H3_FRAME_UNEXPECTED"), std::string::npos);
    EXPECT_NE(make_error_code(http3::error::qpack_decompression_failed)
                  .message()
                  .find("QPACK_DECOMPRESSION_FAILED"),
              std::string::npos);
    EXPECT_NE(error_code(0x21, http3::error_category_instance()).message().find("0x21"), std::string::npos);
}

} // namespace
