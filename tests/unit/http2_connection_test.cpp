// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// http2::connection driven with bytes and calls only (RFC 9113, RFC 7541,
// RFC 8441). Three ways: raw frames into a server codec, raw frames into a
// client codec, and a client codec wired back to back with a server codec.
// Every error case checks the code in the frame the codec writes.
#include <strata/http2/connection.hpp>

#include "h2_frames.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace strata;
namespace h2 = strata::test::h2;
using h2::field_list;
using http2::role;

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
    std::uint32_t max_concurrent_streams = 0;
    bool enable_connect_protocol = false;
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
        EXPECT_EQ(h->ver, http::version::http2);
    } else if (const auto* d = std::get_if<http::data>(&ev)) {
        s.kind = "data";
        s.stream = d->stream;
        s.bytes = h2::as_string(d->bytes);
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
        s.max_concurrent_streams = st->max_concurrent_streams;
        s.enable_connect_protocol = st->enable_connect_protocol;
    } else {
        s.kind = "other";
    }
    return s;
}

std::string fields_text(const field_list& fields)
{
    std::string s;
    for (const auto& [n, v] : fields)
        s += n + ": " + v + "; ";
    return s;
}

/// One line per event, for failure messages.
std::string describe(const std::vector<seen>& events)
{
    std::string out;
    for (const auto& e : events) {
        out += e.kind + " " + std::to_string(e.stream);
        if (e.kind == "headers")
            out += " " + e.method + " " + e.target + " status=" + std::to_string(e.status) +
                   " end=" + std::to_string(e.end_stream) + " {" + fields_text(e.fields) + "}";
        else if (e.kind == "data")
            out += " [" + std::to_string(e.bytes.size()) + " bytes] end=" + std::to_string(e.end_stream);
        else if (e.kind == "trailers" || e.kind == "informational")
            out += " " + std::to_string(e.status) + " {" + fields_text(e.fields) + "}";
        else if (e.kind == "reset" || e.kind == "goaway")
            out += " " + e.code.message();
        out += "\n";
    }
    return out;
}

std::vector<seen> of_kind(const std::vector<seen>& events, std::string_view kind)
{
    std::vector<seen> out;
    for (const auto& e : events)
        if (e.kind == kind)
            out.push_back(e);
    return out;
}

/// The body received on a stream, all data events joined, and whether one
/// of them ended the stream.
std::string body_of(const std::vector<seen>& events, http::stream_id stream, bool* ended = nullptr)
{
    std::string body;
    for (const auto& e : events)
        if (e.kind == "data" && e.stream == stream) {
            body += e.bytes;
            if (ended && e.end_stream)
                *ended = true;
        }
    return body;
}

/// One poll_output() list, joined.
std::string drain_once(http2::connection& c)
{
    std::string out;
    for (const auto& b : c.poll_output())
        out.append(static_cast<const char*>(b.data()), b.size());
    return out;
}

/// Everything the codec has to send (poll_output hands out at most a batch).
std::string drain(http2::connection& c)
{
    std::string out;
    for (int i = 0; i < 10000; ++i) {
        auto more = drain_once(c);
        if (more.empty())
            return out;
        out += more;
    }
    ADD_FAILURE() << "poll_output never ran dry";
    return out;
}

/// Feeds `wire` as a driver does: handle_bytes stops after each DATA chunk,
/// so the events are taken before the rest of the input is fed. `piece`
/// cuts the input as a transport might.
std::vector<seen> feed(http2::connection& c, std::string_view wire,
                       std::size_t piece = std::numeric_limits<std::size_t>::max())
{
    std::vector<seen> out;
    for (std::size_t at = 0; at < wire.size();) {
        auto chunk = wire.substr(at, std::min(piece, wire.size() - at));
        auto in = h2::as_bytes(chunk);
        while (!in.empty()) {
            auto n = c.handle_bytes(in);
            while (auto ev = c.poll_event()) {
                // A data event points into the caller's buffer, not a copy.
                if (const auto* d = std::get_if<http::data>(&*ev); d && !d->bytes.empty()) {
                    EXPECT_GE(d->bytes.data(), in.data());
                    EXPECT_LE(d->bytes.data() + d->bytes.size(), in.data() + in.size());
                }
                out.push_back(copy(*ev));
            }
            if (n == 0) {
                ADD_FAILURE() << "handle_bytes consumed nothing of " << in.size() << " bytes";
                return out;
            }
            EXPECT_LE(n, in.size());
            in = in.subspan(std::min(n, in.size()));
        }
        at += chunk.size();
    }
    return out;
}

void append(std::vector<seen>& to, std::vector<seen> more)
{
    to.insert(to.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

std::vector<h2::parsed_frame> take_frames(h2::frame_reader& r, std::string_view wire)
{
    r.feed(wire);
    std::vector<h2::parsed_frame> out;
    while (auto f = r.next())
        out.push_back(std::move(*f));
    EXPECT_EQ(r.buffered(), 0u) << "output ends inside a frame";
    return out;
}

/// A server codec fed raw frames by the test, playing the client.
struct raw_server {
    http2::connection c;
    h2::frame_reader reader;
    std::vector<seen> events;
    std::vector<h2::parsed_frame> frames; // everything the codec wrote

    explicit raw_server(http2::config cfg = {}) : c(role::server, cfg) {}

    void send(std::string_view wire) { append(events, feed(c, wire)); }

    /// The frames written since the last call.
    std::vector<h2::parsed_frame> read()
    {
        auto fresh = take_frames(reader, drain(c));
        frames.insert(frames.end(), fresh.begin(), fresh.end());
        return fresh;
    }

    /// RFC 9113 §3.4: preface and SETTINGS each way, both acknowledged.
    void handshake()
    {
        send(h2::preface() + h2::settings());
        auto out = read();
        ASSERT_FALSE(out.empty());
        ASSERT_EQ(out.front().type, h2::type::settings);
        ASSERT_NE(h2::find(out, h2::type::settings), nullptr);
        send(h2::settings_ack());
        read();
        events.clear();
        frames.clear();
    }

    /// The single GOAWAY written so far; fails the test if there is none.
    const h2::parsed_frame* goaway()
    {
        read();
        auto all = h2::of_type(frames, h2::type::goaway);
        EXPECT_EQ(all.size(), 1u) << h2::describe(frames);
        return h2::find(frames, h2::type::goaway);
    }

    void respond(http::stream_id stream, unsigned status, bool end_stream,
                 std::span<const http::field_view> f = {})
    {
        error_code ec;
        c.submit_headers(stream, http2::response_head{status, f}, end_stream, ec);
        EXPECT_FALSE(ec) << ec.message();
    }
};

/// A client codec fed raw frames by the test, playing the server.
struct raw_client {
    http2::connection c;
    h2::frame_reader reader{true};
    std::vector<seen> events;
    std::vector<h2::parsed_frame> frames;

    explicit raw_client(http2::config cfg = {}) : c(role::client, cfg) {}

    void send(std::string_view wire) { append(events, feed(c, wire)); }

    std::vector<h2::parsed_frame> read()
    {
        auto fresh = take_frames(reader, drain(c));
        frames.insert(frames.end(), fresh.begin(), fresh.end());
        return fresh;
    }

    void handshake(std::string_view server_settings = h2::settings())
    {
        read();
        send(std::string(server_settings) + h2::settings_ack());
        read();
        events.clear();
        frames.clear();
    }

    http::stream_id request(std::string_view method, std::string_view path, bool end_stream,
                            std::span<const http::field_view> f = {})
    {
        error_code ec;
        auto id = c.next_stream_id();
        c.submit_headers(id, http2::request_head{method, "https", "example.com", path, {}, f}, end_stream,
                         ec);
        EXPECT_FALSE(ec) << ec.message();
        return id;
    }
};

/// A client codec and a server codec wired back to back.
struct pair {
    http2::connection client;
    http2::connection server;
    h2::frame_reader client_reader{true}; // what the client wrote
    h2::frame_reader server_reader;       // what the server wrote
    std::vector<seen> client_events, server_events;
    std::vector<h2::parsed_frame> client_frames, server_frames;

    explicit pair(http2::config client_cfg = {}, http2::config server_cfg = {})
        : client(role::client, client_cfg), server(role::server, server_cfg)
    {}

    /// Moves bytes both ways until neither side has anything to say.
    void pump(std::size_t piece = std::numeric_limits<std::size_t>::max())
    {
        for (int round = 0; round < 1000; ++round) {
            auto from_client = drain(client);
            auto from_server = drain(server);
            if (from_client.empty() && from_server.empty())
                return;
            for (auto& f : take_frames(client_reader, from_client))
                client_frames.push_back(std::move(f));
            for (auto& f : take_frames(server_reader, from_server))
                server_frames.push_back(std::move(f));
            append(server_events, feed(server, from_client, piece));
            append(client_events, feed(client, from_server, piece));
        }
        ADD_FAILURE() << "the two codecs never went quiet";
    }

    void clear()
    {
        client_events.clear();
        server_events.clear();
        client_frames.clear();
        server_frames.clear();
    }

    http::stream_id request(const http2::request_head& head, bool end_stream)
    {
        error_code ec;
        auto id = client.next_stream_id();
        client.submit_headers(id, head, end_stream, ec);
        EXPECT_FALSE(ec) << ec.message();
        return id;
    }
};

http2::request_head get(std::string_view path, std::span<const http::field_view> f = {})
{
    return {"GET", "https", "example.com", path, {}, f};
}

http2::request_head post(std::string_view path, std::span<const http::field_view> f = {})
{
    return {"POST", "https", "example.com", path, {}, f};
}

std::string repeat(char c, std::size_t n)
{
    return std::string(n, c);
}

// ---- RFC 7541 Appendix C: header blocks decoded on one connection ----------

struct c_example {
    const char* hex;
    const char* scheme;
    const char* path;
    field_list fields;
};

void check_rfc7541_requests(const std::vector<c_example>& blocks)
{
    raw_server s;
    s.handshake();
    std::uint32_t stream = 1;
    for (const auto& b : blocks) {
        SCOPED_TRACE(b.hex);
        s.send(h2::headers_block(stream, h2::from_hex(b.hex), h2::flag::end_headers | h2::flag::end_stream));
        ASSERT_EQ(s.events.size(), 1u) << describe(s.events);
        const auto& e = s.events.front();
        EXPECT_EQ(e.kind, "headers");
        EXPECT_EQ(e.stream, stream);
        EXPECT_EQ(e.method, "GET");
        EXPECT_EQ(e.scheme, b.scheme);
        EXPECT_EQ(e.target, b.path);
        EXPECT_EQ(e.authority, "www.example.com");
        EXPECT_EQ(e.fields, b.fields);
        EXPECT_TRUE(e.end_stream);
        EXPECT_FALSE(e.upgrade);
        EXPECT_EQ(e.content_length, -1);
        s.events.clear();
        stream += 2;
    }
    // Nothing in them is an error: no RST_STREAM, no GOAWAY.
    s.read();
    EXPECT_EQ(h2::find(s.frames, h2::type::rst_stream), nullptr) << h2::describe(s.frames);
    EXPECT_EQ(h2::find(s.frames, h2::type::goaway), nullptr) << h2::describe(s.frames);
    EXPECT_FALSE(s.c.error());
    EXPECT_EQ(s.c.active_streams(), 3u);
}

TEST(Http2Hpack, Rfc7541C3RequestsWithoutHuffmanShareTheDynamicTable)
{
    check_rfc7541_requests({
        // C.3.1
        {"8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "http", "/", {}},
        // C.3.2: :authority comes from the dynamic table (index 62)
        {"8286 84be 5808 6e6f 2d63 6163 6865", "http", "/", {{"cache-control", "no-cache"}}},
        // C.3.3: :authority is now index 63, custom-key a new literal
        {"8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
         "https",
         "/index.html",
         {{"custom-key", "custom-value"}}},
    });
}

TEST(Http2Hpack, Rfc7541C4RequestsWithHuffmanShareTheDynamicTable)
{
    check_rfc7541_requests({
        {"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "http", "/", {}},
        {"8286 84be 5886 a8eb 1064 9cbf", "http", "/", {{"cache-control", "no-cache"}}},
        {"8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
         "https",
         "/index.html",
         {{"custom-key", "custom-value"}}},
    });
}

TEST(Http2Hpack, FrameBuilderLiteralsDecodeAsWritten)
{
    // The builder's own encoding, checked against an independent decoder.
    field_list f{{":method", "GET"}, {"x-long", repeat('v', 300)}, {"", ""}, {"a", ""}};
    h2::hpack_decoder d;
    EXPECT_EQ(d.decode(h2::hpack::encode(f)), f);
    EXPECT_EQ(h2::hpack::integer(10, 5), h2::from_hex("0a"));
    EXPECT_EQ(h2::hpack::integer(1337, 5), h2::from_hex("1f9a0a")); // RFC 7541 C.1.2
    EXPECT_EQ(h2::hpack::integer(42, 8), h2::from_hex("2a"));       // RFC 7541 C.1.3
}

// ---- connection preface and SETTINGS (RFC 9113 §3.4, §6.5) -----------------

TEST(Http2Connection, ClientSendsPrefaceThenSettings)
{
    http2::config cfg;
    cfg.max_concurrent_streams = 7;
    cfg.initial_stream_window = 12345;
    cfg.max_header_list_size = 4321;
    http2::connection c{role::client, cfg};
    auto wire = drain(c);
    ASSERT_GE(wire.size(), h2::preface().size());
    EXPECT_EQ(wire.substr(0, h2::preface().size()), http2::client_preface);
    auto frames = h2::parse(wire, true);
    ASSERT_FALSE(frames.empty());
    const auto& st = frames.front();
    ASSERT_EQ(st.type, h2::type::settings) << h2::describe(frames);
    EXPECT_EQ(st.stream, 0u);
    EXPECT_FALSE(st.has(h2::flag::ack));
    EXPECT_EQ(h2::setting_value(st, h2::setting::max_concurrent_streams), 7u);
    EXPECT_EQ(h2::setting_value(st, h2::setting::initial_window_size), 12345u);
    EXPECT_EQ(h2::setting_value(st, h2::setting::max_header_list_size), 4321u);
    EXPECT_EQ(h2::setting_value(st, h2::setting::max_frame_size), 16384u);
    EXPECT_EQ(h2::setting_value(st, h2::setting::enable_push), 0u); // a client takes no pushes
    EXPECT_EQ(h2::setting_value(st, h2::setting::enable_connect_protocol), std::nullopt);
    // The 16 MiB connection window is opened at once.
    auto* wu = h2::find(frames, h2::type::window_update, 0);
    ASSERT_NE(wu, nullptr) << h2::describe(frames);
    EXPECT_EQ(h2::window_increment(*wu), 16u * 1024 * 1024 - 65535);
}

TEST(Http2Connection, ServerAnswersPrefaceWithSettingsAndAcknowledgesThePeers)
{
    http2::config cfg;
    cfg.enable_connect_protocol = true;
    cfg.connection_window = 65535; // the default: no WINDOW_UPDATE needed
    raw_server s{cfg};
    s.send(h2::preface() + h2::settings({{h2::setting::max_concurrent_streams, 5},
                                         {h2::setting::enable_connect_protocol, 1}}));
    auto out = s.read();
    ASSERT_EQ(out.size(), 2u) << h2::describe(out);
    // RFC 9113 §3.4: the server's preface is a SETTINGS frame, first.
    EXPECT_EQ(out[0].type, h2::type::settings);
    EXPECT_FALSE(out[0].has(h2::flag::ack));
    EXPECT_EQ(h2::setting_value(out[0], h2::setting::enable_connect_protocol), 1u);
    EXPECT_EQ(h2::setting_value(out[0], h2::setting::enable_push), std::nullopt);
    EXPECT_EQ(h2::setting_value(out[0], h2::setting::max_concurrent_streams), 100u);
    EXPECT_EQ(out[1].type, h2::type::settings);
    EXPECT_TRUE(out[1].has(h2::flag::ack));
    EXPECT_TRUE(out[1].payload.empty());
    ASSERT_EQ(s.events.size(), 1u) << describe(s.events);
    EXPECT_EQ(s.events[0].kind, "settings");
    EXPECT_EQ(s.events[0].max_concurrent_streams, 5u);
    EXPECT_TRUE(s.events[0].enable_connect_protocol);
    EXPECT_EQ(s.c.peer_max_concurrent_streams(), 5u);
    EXPECT_TRUE(s.c.peer_enable_connect_protocol());
    s.send(h2::settings_ack());
    EXPECT_TRUE(s.read().empty());
    EXPECT_FALSE(s.c.error());
    EXPECT_FALSE(s.c.going_away());
    EXPECT_FALSE(s.c.finished());
}

TEST(Http2Connection, BadPrefaceFailsTheConnectionWithGoaway)
{
    raw_server s;
    const std::string http1 = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    EXPECT_EQ(s.c.handle_bytes(h2::as_bytes(http1)), http1.size());
    EXPECT_EQ(s.c.error(), http2::error::protocol_error);
    EXPECT_TRUE(s.c.going_away());
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::protocol_error);
    EXPECT_EQ(h2::goaway_last_stream(*g), 0u);
    // Failed stays failed: input is swallowed, nothing more comes out.
    auto more = h2::preface() + h2::settings() + h2::request(1, "GET", "/");
    EXPECT_EQ(s.c.handle_bytes(h2::as_bytes(more)), more.size());
    EXPECT_FALSE(s.c.poll_event());
    EXPECT_EQ(s.c.error(), http2::error::protocol_error);
    error_code ec;
    s.c.submit_headers(1, http2::response_head{200, {}}, true, ec);
    EXPECT_TRUE(ec);
    s.read();
    EXPECT_TRUE(s.c.finished());
}

TEST(Http2Connection, SettingsExchangeBackToBack)
{
    http2::config scfg;
    scfg.max_concurrent_streams = 3;
    scfg.enable_connect_protocol = true;
    pair p{{}, scfg};
    p.pump();
    ASSERT_EQ(of_kind(p.client_events, "settings").size(), 1u) << describe(p.client_events);
    EXPECT_EQ(of_kind(p.client_events, "settings")[0].max_concurrent_streams, 3u);
    EXPECT_TRUE(of_kind(p.client_events, "settings")[0].enable_connect_protocol);
    ASSERT_EQ(of_kind(p.server_events, "settings").size(), 1u) << describe(p.server_events);
    EXPECT_EQ(of_kind(p.server_events, "settings")[0].max_concurrent_streams, 100u);
    EXPECT_EQ(p.client.peer_max_concurrent_streams(), 3u);
    EXPECT_TRUE(p.client.peer_enable_connect_protocol());
    // Each side acknowledged the other's SETTINGS once.
    auto acks = [](const std::vector<h2::parsed_frame>& frames) {
        return std::count_if(frames.begin(), frames.end(), [](const h2::parsed_frame& f) {
            return f.type == h2::type::settings && f.has(h2::flag::ack);
        });
    };
    EXPECT_EQ(acks(p.client_frames), 1);
    EXPECT_EQ(acks(p.server_frames), 1);
    EXPECT_TRUE(p.client.can_open_stream());
    EXPECT_EQ(p.client.next_stream_id(), 1);
}

// ---- requests and responses back to back -----------------------------------

TEST(Http2Exchange, RequestWithBodyAndTrailers)
{
    pair p;
    p.pump();
    p.clear();
    const http::field_view rf[] = {{"Content-Type", "text/plain"}, {"content-length", "11"}};
    auto id = p.request(post("/upload?x=1", rf), false);
    EXPECT_EQ(id, 1);
    EXPECT_EQ(p.client.next_stream_id(), 3);
    error_code ec;
    const std::string body = "hello world";
    p.client.submit_data(id, h2::as_bytes(body), false, ec);
    ASSERT_FALSE(ec) << ec.message();
    const http::field_view tf[] = {{"X-Checksum", "abc"}, {"Connection", "close"}};
    p.client.submit_trailers(id, tf, ec);
    ASSERT_FALSE(ec) << ec.message();
    // Nothing may follow trailers.
    p.client.submit_data(id, h2::as_bytes(body), false, ec);
    EXPECT_TRUE(ec);
    p.pump();

    ASSERT_GE(p.server_events.size(), 3u) << describe(p.server_events);
    const auto& h = p.server_events.front();
    EXPECT_EQ(h.kind, "headers");
    EXPECT_EQ(h.stream, 1);
    EXPECT_EQ(h.method, "POST");
    EXPECT_EQ(h.target, "/upload?x=1");
    EXPECT_EQ(h.scheme, "https");
    EXPECT_EQ(h.authority, "example.com");
    EXPECT_EQ(h.content_length, 11);
    EXPECT_FALSE(h.end_stream);
    EXPECT_EQ(h.fields, (field_list{{"content-type", "text/plain"}, {"content-length", "11"}}));
    bool ended = false;
    EXPECT_EQ(body_of(p.server_events, 1, &ended), body);
    EXPECT_FALSE(ended); // the trailers end it
    const auto& t = p.server_events.back();
    EXPECT_EQ(t.kind, "trailers");
    EXPECT_EQ(t.stream, 1);
    EXPECT_EQ(t.fields, (field_list{{"x-checksum", "abc"}}));
    // The trailers went out as HEADERS with END_STREAM after the DATA.
    auto hs = h2::of_type(p.client_frames, h2::type::headers, 1);
    ASSERT_EQ(hs.size(), 2u) << h2::describe(p.client_frames);
    EXPECT_TRUE(hs[1].has(h2::flag::end_stream | h2::flag::end_headers));
    for (const auto& d : h2::of_type(p.client_frames, h2::type::data, 1))
        EXPECT_FALSE(d.has(h2::flag::end_stream));

    // And the response, with trailers too.
    const http::field_view sf[] = {{"content-type", "application/json"}};
    error_code sec;
    p.server.submit_headers(1, http2::response_head{201, sf}, false, sec);
    ASSERT_FALSE(sec) << sec.message();
    const std::string answer = "{\"ok\":true}";
    p.server.submit_data(1, h2::as_bytes(answer), false, sec);
    const http::field_view st[] = {{"grpc-status", "0"}};
    p.server.submit_trailers(1, st, sec);
    ASSERT_FALSE(sec) << sec.message();
    p.pump();
    ASSERT_GE(p.client_events.size(), 3u) << describe(p.client_events);
    EXPECT_EQ(p.client_events.front().kind, "headers");
    EXPECT_EQ(p.client_events.front().status, 201u);
    EXPECT_EQ(p.client_events.front().fields, (field_list{{"content-type", "application/json"}}));
    EXPECT_EQ(body_of(p.client_events, 1), answer);
    EXPECT_EQ(p.client_events.back().kind, "trailers");
    EXPECT_EQ(p.client_events.back().fields, (field_list{{"grpc-status", "0"}}));
    EXPECT_TRUE(of_kind(p.client_events, "reset").empty()) << describe(p.client_events);
    EXPECT_EQ(p.client.active_streams(), 0u);
    EXPECT_EQ(p.server.active_streams(), 0u);
}

TEST(Http2Exchange, InformationalResponsesThenFinal)
{
    pair p;
    p.pump();
    p.clear();
    const http::field_view rf[] = {{"expect", "100-continue"}};
    auto id = p.request(post("/big", rf), false);
    p.pump();
    ASSERT_EQ(p.server_events.size(), 1u) << describe(p.server_events);
    EXPECT_TRUE(p.server_events[0].expect_continue);

    error_code ec;
    p.server.submit_headers(id, http2::response_head{100, {}}, false, ec);
    ASSERT_FALSE(ec) << ec.message();
    const http::field_view hints[] = {{"link", "</style.css>; rel=preload"}};
    p.server.submit_headers(id, http2::response_head{103, hints}, false, ec);
    ASSERT_FALSE(ec) << ec.message();
    p.pump();
    ASSERT_EQ(p.client_events.size(), 2u) << describe(p.client_events);
    EXPECT_EQ(p.client_events[0].kind, "informational");
    EXPECT_EQ(p.client_events[0].status, 100u);
    EXPECT_EQ(p.client_events[1].kind, "informational");
    EXPECT_EQ(p.client_events[1].status, 103u);
    EXPECT_EQ(p.client_events[1].fields, (field_list{{"link", "</style.css>; rel=preload"}}));
    // A 1xx ends nothing.
    for (const auto& f : h2::of_type(p.server_frames, h2::type::headers))
        EXPECT_FALSE(f.has(h2::flag::end_stream));

    p.client.submit_data(id, h2::as_bytes("payload"), true, ec);
    ASSERT_FALSE(ec);
    p.server.submit_headers(id, http2::response_head{200, {}}, false, ec);
    ASSERT_FALSE(ec) << ec.message();
    p.server.submit_data(id, h2::as_bytes("done"), true, ec);
    ASSERT_FALSE(ec) << ec.message();
    p.clear();
    p.pump();
    bool ended = false;
    EXPECT_EQ(body_of(p.server_events, id, &ended), "payload");
    EXPECT_TRUE(ended);
    ASSERT_FALSE(p.client_events.empty());
    EXPECT_EQ(p.client_events[0].kind, "headers") << describe(p.client_events);
    EXPECT_EQ(p.client_events[0].status, 200u);
    ended = false;
    EXPECT_EQ(body_of(p.client_events, id, &ended), "done");
    EXPECT_TRUE(ended);
    EXPECT_TRUE(of_kind(p.client_events, "reset").empty()) << describe(p.client_events);
}

TEST(Http2Exchange, StreamingDataInPiecesAndByteByByte)
{
    pair p;
    p.pump();
    p.clear();
    auto id = p.request(get("/stream"), true);
    p.pump();
    ASSERT_EQ(p.server_events.size(), 1u) << describe(p.server_events);
    EXPECT_TRUE(p.server_events[0].end_stream);
    error_code ec;
    p.server.submit_headers(id, http2::response_head{200, {}}, false, ec);
    ASSERT_FALSE(ec);
    std::string expected;
    for (int i = 0; i < 5; ++i) {
        auto piece = "event " + std::to_string(i) + "\n";
        expected += piece;
        p.server.submit_data(id, h2::as_bytes(piece), false, ec);
        ASSERT_FALSE(ec) << ec.message();
        EXPECT_EQ(p.server.pending_output(id), piece.size());
        p.pump(1); // a transport that hands over one byte at a time
        EXPECT_EQ(p.server.pending_output(id), 0u);
        EXPECT_EQ(body_of(p.client_events, id), expected) << "piece " << i;
    }
    bool ended = false;
    body_of(p.client_events, id, &ended);
    EXPECT_FALSE(ended);
    // An end with no more bytes: an empty DATA frame with END_STREAM.
    p.server.submit_data(id, {}, true, ec);
    ASSERT_FALSE(ec);
    p.pump();
    body_of(p.client_events, id, &ended);
    EXPECT_TRUE(ended);
    EXPECT_EQ(body_of(p.client_events, id), expected);
    EXPECT_EQ(p.server.active_streams(), 0u);
    EXPECT_EQ(p.client.active_streams(), 0u);
}

TEST(Http2Connection, HandleBytesStopsAfterEachDataChunk)
{
    raw_server s;
    s.handshake();
    s.send(h2::request(1, "POST", "/", false));
    s.events.clear();
    const auto wire = h2::data(1, "first") + h2::data(1, "second", h2::flag::end_stream);
    auto in = h2::as_bytes(wire);
    auto n = s.c.handle_bytes(in);
    EXPECT_EQ(n, h2::frame_header_size + 5); // the first frame, no further
    auto ev = s.c.poll_event();
    ASSERT_TRUE(ev);
    auto* d = std::get_if<http::data>(&*ev);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(h2::as_string(d->bytes), "first");
    EXPECT_EQ(d->bytes.data(), in.data() + h2::frame_header_size); // no copy
    EXPECT_FALSE(s.c.poll_event());
    auto rest = in.subspan(n);
    EXPECT_EQ(s.c.handle_bytes(rest), rest.size());
    std::vector<seen> events;
    while (auto e = s.c.poll_event())
        events.push_back(copy(*e));
    ASSERT_EQ(events.size(), 2u) << describe(events);
    EXPECT_EQ(events[0].bytes, "second");
    EXPECT_FALSE(events[0].end_stream);
    EXPECT_EQ(events[1].kind, "data");
    EXPECT_TRUE(events[1].bytes.empty());
    EXPECT_TRUE(events[1].end_stream);
}

TEST(Http2Exchange, PlainConnectTargetsTheAuthority)
{
    pair p;
    p.pump();
    p.clear();
    p.request(http2::request_head{"CONNECT", "https", "example.com:443", "/ignored", {}, {}}, false);
    p.pump();
    ASSERT_EQ(p.server_events.size(), 1u) << describe(p.server_events);
    const auto& h = p.server_events[0];
    EXPECT_EQ(h.method, "CONNECT");
    EXPECT_EQ(h.target, "example.com:443");
    EXPECT_EQ(h.authority, "example.com:443");
    EXPECT_TRUE(h.scheme.empty()); // RFC 9113 §8.5: no :scheme, no :path
    EXPECT_FALSE(h.upgrade);
    EXPECT_TRUE(h2::of_type(p.server_frames, h2::type::rst_stream).empty()) << h2::describe(p.server_frames);
}

TEST(Http2Exchange, ExtendedConnectWhenTheServerAllowsIt)
{
    http2::config scfg;
    scfg.enable_connect_protocol = true;
    pair p{{}, scfg};
    p.pump();
    ASSERT_TRUE(p.client.peer_enable_connect_protocol());
    p.clear();
    const http::field_view f[] = {{"sec-websocket-version", "13"}};
    auto id =
        p.request(http2::request_head{"CONNECT", "https", "example.com", "/chat", "websocket", f}, false);
    p.pump();
    ASSERT_EQ(p.server_events.size(), 1u) << describe(p.server_events);
    const auto& h = p.server_events[0];
    EXPECT_EQ(h.kind, "headers");
    EXPECT_EQ(h.method, "CONNECT");
    EXPECT_EQ(h.protocol, "websocket");
    EXPECT_TRUE(h.upgrade);
    EXPECT_EQ(h.target, "/chat");
    EXPECT_EQ(h.scheme, "https");
    EXPECT_EQ(h.authority, "example.com");
    EXPECT_FALSE(h.end_stream);
    EXPECT_EQ(h.fields, (field_list{{"sec-websocket-version", "13"}}));

    error_code ec;
    p.server.submit_headers(id, http2::response_head{200, {}}, false, ec);
    ASSERT_FALSE(ec);
    p.server.submit_data(id, h2::as_bytes("\x81\x02hi"), false, ec);
    p.client.submit_data(id, h2::as_bytes("\x81\x03hey"), false, ec);
    p.pump();
    ASSERT_FALSE(p.client_events.empty());
    EXPECT_EQ(p.client_events[0].kind, "headers");
    EXPECT_EQ(p.client_events[0].status, 200u);
    EXPECT_EQ(body_of(p.client_events, id), "\x81\x02hi");
    EXPECT_EQ(body_of(p.server_events, id), "\x81\x03hey");
    EXPECT_EQ(p.client.active_streams(), 1u); // the tunnel stays open
}

TEST(Http2Server, ExtendedConnectRefusedUnlessEnabled)
{
    raw_server s; // enable_connect_protocol = false
    s.handshake();
    s.send(h2::headers(1, {{":method", "CONNECT"},
                           {":protocol", "websocket"},
                           {":scheme", "https"},
                           {":path", "/chat"},
                           {":authority", "example.com"}}));
    auto out = s.read();
    auto* rst = h2::find(out, h2::type::rst_stream, 1);
    ASSERT_NE(rst, nullptr) << h2::describe(out);
    EXPECT_EQ(h2::rst_stream_code(*rst), h2::code::protocol_error);
    EXPECT_TRUE(of_kind(s.events, "headers").empty()) << describe(s.events);
}

// ---- submit_headers cleans what it is given (RFC 9113 §8.2) ----------------

TEST(Http2Client, ConnectionSpecificFieldsAreDroppedAndNamesLowercased)
{
    raw_client c;
    c.handshake();
    const http::field_view f[] = {
        {"Connection", "keep-alive"},
        {"Keep-Alive", "timeout=5"},
        {"Transfer-Encoding", "chunked"},
        {"Upgrade", "h2c"},
        {"Proxy-Connection", "x"},
        {"Host", "other.example"},
        {"TE", "gzip"},
        {"te", "trailers"},
        {"X-Custom-Header", "MixedCase Value"},
        {":bogus", "dropped"},
        {"Accept", "*/*"},
    };
    auto id = c.request("GET", "/path", true, f);
    auto out = c.read();
    auto* hf = h2::find(out, h2::type::headers, static_cast<std::uint32_t>(id));
    ASSERT_NE(hf, nullptr) << h2::describe(out);
    EXPECT_TRUE(hf->has(h2::flag::end_stream | h2::flag::end_headers));
    h2::hpack_decoder d;
    EXPECT_EQ(d.decode(out, static_cast<std::size_t>(hf - out.data())),
              (field_list{
                  {":method", "GET"},
                  {":scheme", "https"},
                  {":path", "/path"},
                  {":authority", "example.com"},
                  {"te", "trailers"},
                  {"x-custom-header", "MixedCase Value"},
                  {"accept", "*/*"},
              }));
}

TEST(Http2Server, ResponseFieldsAreCleanedToo)
{
    raw_server s;
    s.handshake();
    s.send(h2::request(1, "GET", "/"));
    const http::field_view f[] = {{"Connection", "close"},
                                  {"Content-Type", "text/html"},
                                  {"Transfer-Encoding", "chunked"},
                                  {"Set-Cookie", "a=1"},
                                  {"set-cookie", "b=2"}};
    s.respond(1, 200, true, f);
    auto out = s.read();
    auto* hf = h2::find(out, h2::type::headers, 1);
    ASSERT_NE(hf, nullptr) << h2::describe(out);
    h2::hpack_decoder d;
    EXPECT_EQ(d.decode(out, static_cast<std::size_t>(hf - out.data())),
              (field_list{{":status", "200"},
                          {"content-type", "text/html"},
                          {"set-cookie", "a=1"},
                          {"set-cookie", "b=2"}}));
    EXPECT_TRUE(hf->has(h2::flag::end_stream));
}

// ---- flow control (RFC 9113 §5.2, §6.9) --------------------------------------

TEST(Http2FlowControl, TinyStreamWindowHoldsTheSenderUntilTheReceiverConsumes)
{
    http2::config scfg;
    scfg.initial_stream_window = 16;
    pair p{{}, scfg};
    p.pump();
    p.clear();
    auto id = p.request(post("/"), false);
    const std::string body = repeat('x', 100);
    error_code ec;
    p.client.submit_data(id, h2::as_bytes(body), true, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(p.client.pending_output(id), 100u);
    p.pump();
    EXPECT_EQ(p.client.pending_output(id), 84u);
    EXPECT_EQ(body_of(p.server_events, id), repeat('x', 16));
    // Without consume() the window stays shut, however long we wait.
    p.pump();
    EXPECT_EQ(p.client.pending_output(id), 84u);
    EXPECT_TRUE(h2::of_type(p.server_frames, h2::type::window_update, 1).empty())
        << h2::describe(p.server_frames);

    std::size_t received = 16;
    for (int round = 0; round < 10 && received < body.size(); ++round) {
        p.server.consume(id, 16);
        p.pump();
        auto now = body_of(p.server_events, id).size();
        EXPECT_EQ(now, std::min<std::size_t>(received + 16, body.size()));
        received = now;
        EXPECT_EQ(p.client.pending_output(id), body.size() - received);
    }
    bool ended = false;
    EXPECT_EQ(body_of(p.server_events, id, &ended), body);
    EXPECT_TRUE(ended);
    for (const auto& d : h2::of_type(p.client_frames, h2::type::data, 1))
        EXPECT_LE(d.payload.size(), 16u);
    for (const auto& w : h2::of_type(p.server_frames, h2::type::window_update, 1))
        EXPECT_EQ(h2::window_increment(w), 16u);
    EXPECT_EQ(h2::of_type(p.server_frames, h2::type::window_update, 1).size(), 6u);
}

TEST(Http2FlowControl, ConnectionCreditIsDeferredPastTheUnreadBudget)
{
    http2::config scfg;
    scfg.connection_window = 65535; // budget = the protocol's initial window
    pair p{{}, scfg};
    p.pump();
    p.clear();
    auto id = p.request(post("/"), false);
    const std::size_t total = 200000;
    error_code ec;
    p.client.submit_data(id, h2::as_bytes(repeat('y', total)), true, ec);
    ASSERT_FALSE(ec);
    p.pump();
    // Up to the budget, credit went back unread; past it, nothing more.
    auto received = body_of(p.server_events, id).size();
    EXPECT_EQ(received, 2u * 65535);
    EXPECT_EQ(p.client.pending_output(id), total - received);
    std::uint64_t credit = 0;
    for (const auto& w : h2::of_type(p.server_frames, h2::type::window_update, 0))
        credit += h2::window_increment(w);
    EXPECT_EQ(credit, 65535u);
    p.pump();
    EXPECT_EQ(body_of(p.server_events, id).size(), received);

    // Reading returns the deferred credit; the rest arrives as it is read.
    std::size_t consumed = 0;
    for (int round = 0; round < 20; ++round) {
        auto now = body_of(p.server_events, id).size();
        if (now == consumed)
            break;
        p.server.consume(id, now - consumed);
        consumed = now;
        p.pump();
    }
    bool ended = false;
    EXPECT_EQ(body_of(p.server_events, id, &ended).size(), total);
    EXPECT_TRUE(ended);
    EXPECT_EQ(p.client.pending_output(id), 0u);
}

TEST(Http2FlowControl, SmallSenderWindowFromThePeersSettings)
{
    raw_server s;
    s.send(h2::preface() + h2::settings({{h2::setting::initial_window_size, 10}}));
    s.read();
    s.send(h2::settings_ack() + h2::request(1, "GET", "/"));
    s.read();
    s.respond(1, 200, false);
    error_code ec;
    s.c.submit_data(1, h2::as_bytes(repeat('z', 25)), true, ec);
    ASSERT_FALSE(ec);
    auto out = s.read();
    auto datas = h2::of_type(out, h2::type::data, 1);
    ASSERT_EQ(datas.size(), 1u) << h2::describe(out);
    EXPECT_EQ(datas[0].payload.size(), 10u);
    EXPECT_EQ(s.c.pending_output(1), 15u);
    EXPECT_TRUE(s.c.has_output() == false || s.read().empty());
    s.send(h2::window_update(1, 15));
    out = s.read();
    datas = h2::of_type(out, h2::type::data, 1);
    ASSERT_EQ(datas.size(), 1u) << h2::describe(out);
    EXPECT_EQ(datas[0].payload.size(), 15u);
    EXPECT_TRUE(datas[0].has(h2::flag::end_stream));
    EXPECT_EQ(s.c.pending_output(1), 0u);
}

TEST(Http2FlowControl, WindowOverflowIsAFlowControlError)
{
    {
        raw_server s;
        s.handshake();
        s.send(h2::window_update(0, 0x7fffffff)); // 65535 + 2^31-1 > 2^31-1
        auto* g = s.goaway();
        ASSERT_NE(g, nullptr);
        EXPECT_EQ(h2::goaway_code(*g), h2::code::flow_control_error);
        EXPECT_EQ(s.c.error(), http2::error::flow_control_error);
    }
    {
        raw_server s;
        s.handshake();
        s.send(h2::request(1, "GET", "/"));
        s.send(h2::window_update(1, 0x7fffffff));
        auto out = s.read();
        auto* rst = h2::find(out, h2::type::rst_stream, 1);
        ASSERT_NE(rst, nullptr) << h2::describe(out);
        EXPECT_EQ(h2::rst_stream_code(*rst), h2::code::flow_control_error);
        EXPECT_EQ(h2::find(out, h2::type::goaway), nullptr) << "a stream error, not a connection error";
        EXPECT_FALSE(s.c.error());
    }
    {
        // RFC 9113 §6.9: an increment of 0 is a PROTOCOL_ERROR.
        raw_server s;
        s.handshake();
        s.send(h2::window_update(0, 0));
        auto* g = s.goaway();
        ASSERT_NE(g, nullptr);
        EXPECT_EQ(h2::goaway_code(*g), h2::code::protocol_error);
    }
}

TEST(Http2FlowControl, DataPastTheStreamWindowIsAFlowControlError)
{
    http2::config cfg;
    cfg.initial_stream_window = 100;
    raw_server s{cfg};
    s.handshake();
    s.send(h2::request(1, "POST", "/", false));
    s.send(h2::data(1, repeat('a', 101)));
    auto out = s.read();
    auto* rst = h2::find(out, h2::type::rst_stream, 1);
    auto* g = h2::find(out, h2::type::goaway);
    // nghttp2 treats an overrun stream window as a stream error.
    ASSERT_TRUE(rst != nullptr || g != nullptr) << h2::describe(out);
    EXPECT_EQ(rst ? h2::rst_stream_code(*rst) : h2::goaway_code(*g), h2::code::flow_control_error);
}

// ---- streams: reset, goaway, concurrency -----------------------------------

TEST(Http2Server, PeerResetIsAResetEventWithItsCode)
{
    raw_server s;
    s.handshake();
    s.send(h2::request(1, "POST", "/", false) + h2::rst_stream(1, h2::code::cancel));
    ASSERT_EQ(s.events.size(), 2u) << describe(s.events);
    EXPECT_EQ(s.events[1].kind, "reset");
    EXPECT_EQ(s.events[1].stream, 1);
    EXPECT_EQ(s.events[1].code, http2::error::cancel);
    EXPECT_EQ(s.c.active_streams(), 0u);
    // Answering a reset stream is the caller's harmless mistake, not a frame on the wire.
    error_code ec;
    s.c.submit_headers(1, http2::response_head{200, {}}, true, ec);
    auto out = s.read();
    EXPECT_TRUE(h2::of_type(out, h2::type::headers).empty()) << h2::describe(out);
    EXPECT_FALSE(s.c.error());
}

TEST(Http2Client, PeerResetIsAResetEventWithItsCode)
{
    raw_client c;
    c.handshake();
    auto id = c.request("GET", "/", true);
    c.read();
    c.send(h2::rst_stream(static_cast<std::uint32_t>(id), h2::code::refused_stream));
    ASSERT_EQ(c.events.size(), 1u) << describe(c.events);
    EXPECT_EQ(c.events[0].kind, "reset");
    EXPECT_EQ(c.events[0].stream, id);
    EXPECT_EQ(c.events[0].code, http2::error::refused_stream);
    EXPECT_EQ(c.c.active_streams(), 0u);
}

TEST(Http2Client, SubmitResetWritesRstStream)
{
    raw_client c;
    c.handshake();
    auto id = c.request("POST", "/", false);
    auto out = c.read();
    ASSERT_NE(h2::find(out, h2::type::headers, static_cast<std::uint32_t>(id)), nullptr) << h2::describe(out);
    c.c.submit_reset(id, http2::error::cancel);
    out = c.read();
    auto* rst = h2::find(out, h2::type::rst_stream, static_cast<std::uint32_t>(id));
    ASSERT_NE(rst, nullptr) << h2::describe(out);
    EXPECT_EQ(h2::rst_stream_code(*rst), h2::code::cancel);
    EXPECT_EQ(c.c.active_streams(), 0u);
}

TEST(Http2Client, ResetBeforeTheRequestIsWrittenSendsNothing)
{
    raw_client c;
    c.handshake();
    auto id = c.request("POST", "/", false);
    EXPECT_EQ(c.c.active_streams(), 1u);
    c.c.submit_reset(id, http2::error::cancel);
    // The stream never reached the wire: the server never hears of it.
    auto out = c.read();
    EXPECT_TRUE(out.empty()) << h2::describe(out);
    EXPECT_EQ(c.c.active_streams(), 0u);
    ASSERT_EQ(c.events.size(), 0u) << describe(c.events);
    std::vector<seen> events;
    while (auto e = c.c.poll_event())
        events.push_back(copy(*e));
    ASSERT_EQ(events.size(), 1u) << describe(events);
    EXPECT_EQ(events[0].kind, "reset");
    EXPECT_EQ(events[0].code, http2::error::cancel);
    EXPECT_TRUE(c.c.can_open_stream());
}

TEST(Http2Client, GoawayIsAGoawayEventAndStopsNewStreams)
{
    raw_client c;
    c.handshake();
    auto id = c.request("GET", "/", true);
    c.read();
    EXPECT_TRUE(c.c.can_open_stream());
    c.send(h2::goaway(static_cast<std::uint32_t>(id), h2::code::no_error, "bye"));
    ASSERT_EQ(c.events.size(), 1u) << describe(c.events);
    EXPECT_EQ(c.events[0].kind, "goaway");
    EXPECT_EQ(c.events[0].stream, id);
    EXPECT_EQ(c.events[0].code, http2::error::no_error);
    EXPECT_TRUE(c.c.going_away());
    EXPECT_FALSE(c.c.can_open_stream());
    EXPECT_FALSE(c.c.error()); // a graceful GOAWAY is not a failure
    // The stream at or under last_stream still completes.
    c.send(h2::response(static_cast<std::uint32_t>(id), 200, true));
    ASSERT_EQ(c.events.size(), 2u) << describe(c.events);
    EXPECT_EQ(c.events[1].kind, "headers");
    EXPECT_EQ(c.events[1].status, 200u);
    error_code ec;
    c.c.submit_headers(c.c.next_stream_id(), http2::request_head{"GET", "https", "example.com", "/", {}, {}},
                       true, ec);
    EXPECT_TRUE(ec);
}

TEST(Http2Client, GoawayWithAnErrorCarriesIt)
{
    raw_client c;
    c.handshake();
    c.send(h2::goaway(0, h2::code::enhance_your_calm));
    ASSERT_EQ(c.events.size(), 1u) << describe(c.events);
    EXPECT_EQ(c.events[0].kind, "goaway");
    EXPECT_EQ(c.events[0].stream, 0);
    EXPECT_EQ(c.events[0].code, http2::error::enhance_your_calm);
    EXPECT_FALSE(c.c.can_open_stream());
}

TEST(Http2Server, GracefulGoawayNamesTheLastStream)
{
    raw_server s;
    s.handshake();
    s.send(h2::request(1, "GET", "/") + h2::request(3, "GET", "/"));
    s.c.submit_goaway(http2::error::no_error);
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::no_error);
    EXPECT_EQ(h2::goaway_last_stream(*g), 3u);
    EXPECT_TRUE(s.c.going_away());
    EXPECT_FALSE(s.c.error());
    // Streams already opened are still answered.
    s.respond(3, 204, true);
    auto out = s.read();
    EXPECT_NE(h2::find(out, h2::type::headers, 3), nullptr) << h2::describe(out);
}

TEST(Http2Connection, MaxConcurrentStreamsFillsTheClient)
{
    http2::config scfg;
    scfg.max_concurrent_streams = 2;
    pair p{{}, scfg};
    p.pump();
    EXPECT_EQ(p.client.peer_max_concurrent_streams(), 2u);
    EXPECT_TRUE(p.client.can_open_stream());
    auto a = p.request(get("/a"), true);
    EXPECT_TRUE(p.client.can_open_stream());
    auto b = p.request(get("/b"), true);
    EXPECT_EQ(p.client.active_streams(), 2u);
    EXPECT_FALSE(p.client.can_open_stream());
    error_code ec;
    p.client.submit_headers(p.client.next_stream_id(), get("/c"), true, ec);
    EXPECT_EQ(ec, http2::error::refused_stream);
    p.pump();
    EXPECT_EQ(of_kind(p.server_events, "headers").size(), 2u) << describe(p.server_events);
    p.server.submit_headers(a, http2::response_head{200, {}}, true, ec);
    ASSERT_FALSE(ec);
    p.pump();
    EXPECT_EQ(p.client.active_streams(), 1u);
    EXPECT_TRUE(p.client.can_open_stream());
    EXPECT_EQ(p.request(get("/c"), true), 5);
    EXPECT_FALSE(p.client.can_open_stream());
    (void)b;
}

TEST(Http2Server, StreamsOverTheLimitBeforeSettingsAckAreRefused)
{
    // A client may open streams before it has seen our SETTINGS: the excess
    // is refused (RFC 9113 §5.1.2), and the client may retry it.
    http2::config cfg;
    cfg.max_concurrent_streams = 2;
    raw_server s{cfg};
    s.send(h2::preface() + h2::settings() + h2::request(1, "GET", "/") + h2::request(3, "GET", "/") +
           h2::request(5, "GET", "/"));
    auto out = s.read();
    auto* rst = h2::find(out, h2::type::rst_stream, 5);
    ASSERT_NE(rst, nullptr) << h2::describe(out);
    EXPECT_EQ(h2::rst_stream_code(*rst), h2::code::refused_stream);
    EXPECT_EQ(h2::find(out, h2::type::goaway), nullptr);
    EXPECT_EQ(of_kind(s.events, "headers").size(), 2u) << describe(s.events);
    // The connection goes on.
    s.send(h2::settings_ack());
    s.respond(1, 204, true);
    out = s.read();
    EXPECT_NE(h2::find(out, h2::type::headers, 1), nullptr) << h2::describe(out);
    EXPECT_FALSE(s.c.error());
}

TEST(Http2Server, StreamsOverAnAcknowledgedLimitEndTheConnection)
{
    // Once the client has acknowledged the limit, nghttp2 makes a stream over
    // it a connection error (RFC 9113 §5.1.2 allows a stream error; nghttp2
    // is stricter, and strata keeps its answer).
    http2::config cfg;
    cfg.max_concurrent_streams = 2;
    raw_server s{cfg};
    s.handshake();
    s.send(h2::request(1, "GET", "/") + h2::request(3, "GET", "/") + h2::request(5, "GET", "/"));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::protocol_error);
    EXPECT_EQ(h2::goaway_last_stream(*g), 3u);
    EXPECT_EQ(s.c.error(), http2::error::protocol_error);
    EXPECT_EQ(of_kind(s.events, "headers").size(), 2u) << describe(s.events);
}

TEST(Http2Server, StreamIdBelowOneAlreadyOpenedIsAConnectionError)
{
    raw_server s;
    s.handshake();
    s.send(h2::request(5, "GET", "/"));
    s.send(h2::request(3, "GET", "/")); // RFC 9113 §5.1.1
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::protocol_error);
    EXPECT_EQ(h2::goaway_last_stream(*g), 5u);
    EXPECT_EQ(s.c.error(), http2::error::protocol_error);
    EXPECT_EQ(of_kind(s.events, "headers").size(), 1u) << describe(s.events);
}

TEST(Http2Server, TrailersOnAStreamWeResetAreNotAnError)
{
    // The peer may have sent them before it saw our RST_STREAM (RFC 9113 §5.1).
    raw_server s;
    s.handshake();
    s.send(h2::request(1, "POST", "/", false) + h2::request(3, "GET", "/"));
    s.c.submit_reset(1, http2::error::cancel);
    s.read();
    s.send(h2::headers(1, {{"x-trailer", "1"}}, h2::flag::end_headers | h2::flag::end_stream));
    s.read();
    EXPECT_EQ(h2::find(s.frames, h2::type::goaway), nullptr) << h2::describe(s.frames);
    EXPECT_FALSE(s.c.error());
    // A new stream still opens.
    s.events.clear();
    s.send(h2::request(5, "GET", "/"));
    EXPECT_EQ(of_kind(s.events, "headers").size(), 1u) << describe(s.events);
}

TEST(Http2Server, HeadersOnAStreamClosedNormallyIsAConnectionError)
{
    raw_server s;
    s.handshake();
    s.send(h2::request(1, "GET", "/"));
    s.respond(1, 204, true);
    s.read();
    EXPECT_EQ(s.c.active_streams(), 0u);
    s.send(h2::request(1, "GET", "/again"));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::protocol_error);
}

TEST(Http2Server, EvenStreamIdFromAClientIsAConnectionError)
{
    raw_server s;
    s.handshake();
    s.send(h2::request(2, "GET", "/"));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::protocol_error);
}

// ---- malformed requests (RFC 9113 §8.1.1, §8.2, §8.3) -----------------------

struct malformed_case {
    const char* name;
    field_list fields;
};

TEST(Http2Server, MalformedRequestsAreResetWithProtocolError)
{
    const field_list base{
        {":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {":authority", "example.com"}};
    auto with = [&](field_list extra) {
        auto f = base;
        f.insert(f.end(), extra.begin(), extra.end());
        return f;
    };
    const std::vector<malformed_case> cases = {
        {"no :method", {{":scheme", "https"}, {":path", "/"}, {":authority", "a"}}},
        {"no :scheme", {{":method", "GET"}, {":path", "/"}, {":authority", "a"}}},
        {"no :path", {{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}}},
        {"empty :path", {{":method", "GET"}, {":scheme", "https"}, {":path", ""}, {":authority", "a"}}},
        {"duplicate :path", with({{":path", "/again"}})},
        {"unknown pseudo-field", with({{":foo", "bar"}})},
        {"response pseudo-field in a request", with({{":status", "200"}})},
        {"pseudo-field after a regular one",
         {{":method", "GET"}, {":scheme", "https"}, {"accept", "*/*"}, {":path", "/"}, {":authority", "a"}}},
        {"uppercase name", with({{"X-Upper", "1"}})},
        {"connection", with({{"connection", "keep-alive"}})},
        {"keep-alive", with({{"keep-alive", "timeout=5"}})},
        {"proxy-connection", with({{"proxy-connection", "keep-alive"}})},
        {"transfer-encoding", with({{"transfer-encoding", "chunked"}})},
        {"upgrade", with({{"upgrade", "websocket"}})},
        {"te other than trailers", with({{"te", "gzip"}})},
        {"newline in a value", with({{"x-split", "a\r\nb"}})},
        {"content-length but no body", with({{"content-length", "5"}})},
        {"CONNECT with :path",
         {{":method", "CONNECT"}, {":scheme", "https"}, {":path", "/"}, {":authority", "a:1"}}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        raw_server s;
        s.handshake();
        s.send(h2::headers(1, c.fields, h2::flag::end_headers | h2::flag::end_stream));
        auto out = s.read();
        auto* rst = h2::find(out, h2::type::rst_stream, 1);
        ASSERT_NE(rst, nullptr) << h2::describe(out);
        EXPECT_EQ(h2::rst_stream_code(*rst), h2::code::protocol_error);
        EXPECT_EQ(h2::find(out, h2::type::goaway), nullptr) << "one stream, not the connection";
        EXPECT_TRUE(of_kind(s.events, "headers").empty()) << describe(s.events);
        EXPECT_FALSE(s.c.error());
        // The connection still serves the next request.
        s.events.clear();
        s.send(h2::request(3, "GET", "/next"));
        ASSERT_EQ(of_kind(s.events, "headers").size(), 1u) << describe(s.events);
        EXPECT_EQ(of_kind(s.events, "headers")[0].target, "/next");
    }
}

// ---- header list size (RFC 9113 §6.5.2, §10.5.1) ------------------------------

TEST(Http2Server, HeaderListTooLargeGets431)
{
    http2::config cfg;
    cfg.max_header_list_size = 1000;
    raw_server s{cfg};
    s.handshake();
    s.send(h2::request(1, "GET", "/", true, {{"x-big", repeat('b', 1500)}}));
    EXPECT_TRUE(of_kind(s.events, "headers").empty()) << describe(s.events);
    auto out = s.read();
    auto* hf = h2::find(out, h2::type::headers, 1);
    ASSERT_NE(hf, nullptr) << h2::describe(out);
    EXPECT_TRUE(hf->has(h2::flag::end_stream));
    h2::hpack_decoder d;
    EXPECT_EQ(d.decode(out, static_cast<std::size_t>(hf - out.data())), (field_list{{":status", "431"}}));
    EXPECT_EQ(h2::find(out, h2::type::goaway), nullptr);
    EXPECT_FALSE(s.c.error());

    // With a body still to come: 431, then RST_STREAM(NO_ERROR) so the
    // client stops sending it (RFC 9113 §8.1).
    s.send(h2::request(3, "POST", "/", false, {{"x-big", repeat('b', 1500)}}));
    out = s.read();
    hf = h2::find(out, h2::type::headers, 3);
    ASSERT_NE(hf, nullptr) << h2::describe(out);
    EXPECT_EQ(d.decode(out, static_cast<std::size_t>(hf - out.data())), (field_list{{":status", "431"}}));
    auto* rst = h2::find(out, h2::type::rst_stream, 3);
    ASSERT_NE(rst, nullptr) << h2::describe(out);
    EXPECT_EQ(h2::rst_stream_code(*rst), h2::code::no_error);
    EXPECT_TRUE(of_kind(s.events, "headers").empty()) << describe(s.events);

    // A request under the limit still goes through.
    s.send(h2::request(5, "GET", "/small", true, {{"x-ok", repeat('o', 100)}}));
    ASSERT_EQ(of_kind(s.events, "headers").size(), 1u) << describe(s.events);
    EXPECT_EQ(of_kind(s.events, "headers")[0].fields, (field_list{{"x-ok", repeat('o', 100)}}));
}

TEST(Http2Client, ResponseHeaderListTooLargeResetsTheStream)
{
    http2::config cfg;
    cfg.max_header_list_size = 1000;
    raw_client c{cfg};
    c.handshake();
    auto id = c.request("GET", "/", true);
    c.read();
    c.send(h2::response(static_cast<std::uint32_t>(id), 200, false, {{"x-big", repeat('b', 1500)}}));
    auto out = c.read();
    auto* rst = h2::find(out, h2::type::rst_stream, static_cast<std::uint32_t>(id));
    ASSERT_NE(rst, nullptr) << h2::describe(out);
    EXPECT_EQ(h2::rst_stream_code(*rst), h2::code::protocol_error);
    EXPECT_EQ(h2::find(out, h2::type::goaway), nullptr);
    ASSERT_EQ(c.events.size(), 1u) << describe(c.events);
    EXPECT_EQ(c.events[0].kind, "reset");
    EXPECT_EQ(c.events[0].stream, id);
    EXPECT_EQ(c.events[0].code, http2::error::protocol_error);
    EXPECT_FALSE(c.c.error());
}

TEST(Http2Server, HeaderListFourTimesTooLargeEndsTheConnection)
{
    http2::config cfg;
    cfg.max_header_list_size = 1000;
    raw_server s{cfg};
    s.handshake();
    s.send(h2::request(1, "GET", "/", true, {{"x-huge", repeat('h', 4100)}}));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::enhance_your_calm);
    EXPECT_EQ(s.c.error(), http2::error::enhance_your_calm);
    EXPECT_TRUE(of_kind(s.events, "headers").empty()) << describe(s.events);
}

TEST(Http2Server, HpackBombEndsTheConnection)
{
    // One 500-byte field into the dynamic table, then referenced ten times:
    // a block of about 530 bytes that decodes to over 5000.
    http2::config cfg;
    cfg.max_header_list_size = 1000;
    raw_server s{cfg};
    s.handshake();
    std::string block = h2::hpack::encode(h2::request_fields("GET", "/")) +
                        h2::hpack::indexed_literal("x-bomb", repeat('!', 500));
    for (int i = 0; i < 10; ++i)
        block += h2::hpack::indexed(62);
    ASSERT_LT(block.size(), 600u);
    s.send(h2::headers_block(1, block, h2::flag::end_headers | h2::flag::end_stream));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::enhance_your_calm);
}

TEST(Http2Server, UndecodableHeaderBlockIsACompressionError)
{
    raw_server s;
    s.handshake();
    // Index 200 is in neither the static nor the (empty) dynamic table.
    s.send(h2::headers_block(1, h2::hpack::indexed(200), h2::flag::end_headers | h2::flag::end_stream));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::compression_error);
    EXPECT_EQ(s.c.error(), http2::error::compression_error);
}

// ---- floods (CVE-2019-9512..9518, CVE-2023-44487, CVE-2024-27316) -------------

TEST(Http2Server, ContinuationFloodEndsTheConnection)
{
    http2::config cfg;
    cfg.max_continuations = 8;
    raw_server s{cfg};
    s.handshake();
    std::string wire = h2::headers(1, h2::request_fields("GET", "/"), h2::flag::end_stream);
    for (int i = 0; i < 8; ++i)
        wire += h2::continuation(1, h2::hpack::literal("x-c" + std::to_string(i), "v"), h2::flag::none);
    s.send(wire);
    EXPECT_FALSE(s.c.error()) << "eight CONTINUATION frames are allowed";
    s.send(h2::continuation(1, h2::hpack::literal("x-c8", "v"), h2::flag::none));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::enhance_your_calm);
    EXPECT_EQ(s.c.error(), http2::error::enhance_your_calm);
    EXPECT_TRUE(of_kind(s.events, "headers").empty()) << describe(s.events);
}

TEST(Http2Server, ContinuationWithinTheLimitCompletesTheBlock)
{
    http2::config cfg;
    cfg.max_continuations = 8;
    raw_server s{cfg};
    s.handshake();
    std::string wire = h2::headers(1, h2::request_fields("GET", "/"), h2::flag::end_stream);
    for (int i = 0; i < 7; ++i)
        wire += h2::continuation(1, h2::hpack::literal("x-c" + std::to_string(i), "v"), h2::flag::none);
    wire += h2::continuation(1, h2::hpack::literal("x-last", "v"));
    s.send(wire);
    ASSERT_EQ(of_kind(s.events, "headers").size(), 1u) << describe(s.events);
    EXPECT_EQ(of_kind(s.events, "headers")[0].fields.size(), 8u);
    EXPECT_FALSE(s.c.error());
}

TEST(Http2Server, EmptyDataFloodEndsTheConnection)
{
    http2::config cfg;
    cfg.max_empty_frames = 20;
    raw_server s{cfg};
    s.handshake();
    s.send(h2::request(1, "POST", "/", false));
    // A frame with content between runs resets the count.
    std::string wire;
    for (int i = 0; i < 20; ++i)
        wire += h2::data(1, {});
    wire += h2::data(1, "x");
    for (int i = 0; i < 20; ++i)
        wire += h2::data(1, {});
    s.send(wire);
    EXPECT_FALSE(s.c.error());
    s.read();
    EXPECT_EQ(h2::find(s.frames, h2::type::goaway), nullptr) << h2::describe(s.frames);
    s.send(h2::data(1, {}));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::enhance_your_calm);
    EXPECT_EQ(s.c.error(), http2::error::enhance_your_calm);
}

TEST(Http2Server, PingFloodEndsTheConnection)
{
    http2::config cfg;
    cfg.max_empty_frames = 20;
    raw_server s{cfg};
    s.handshake(); // its SETTINGS and SETTINGS ACK count as two control frames
    for (std::uint64_t i = 0; i < 18; ++i) {
        s.send(h2::ping(i));
        auto out = s.read();
        // Each is answered with an ACK echoing its opaque data (RFC 9113 §6.7).
        ASSERT_EQ(out.size(), 1u) << h2::describe(out);
        EXPECT_EQ(out[0].type, h2::type::ping);
        EXPECT_TRUE(out[0].has(h2::flag::ack));
        EXPECT_EQ(out[0].payload, h2::ping(i).substr(h2::frame_header_size));
    }
    EXPECT_FALSE(s.c.error());
    s.send(h2::ping(99));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::enhance_your_calm);
    EXPECT_EQ(s.c.error(), http2::error::enhance_your_calm);
}

TEST(Http2Server, SettingsFloodEndsTheConnection)
{
    http2::config cfg;
    cfg.max_empty_frames = 20;
    raw_server s{cfg};
    s.handshake();
    for (int i = 0; i < 18; ++i)
        s.send(h2::settings({{h2::setting::max_concurrent_streams, 10}}));
    EXPECT_FALSE(s.c.error());
    s.send(h2::settings({{h2::setting::max_concurrent_streams, 10}}));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::enhance_your_calm);
    EXPECT_EQ(s.c.error(), http2::error::enhance_your_calm);
}

TEST(Http2Server, UnsentAcknowledgementsFloodEndsTheConnection)
{
    // A peer that sends PINGs but never reads the answers.
    http2::config cfg;
    cfg.max_outbound_ack = 10;
    raw_server s{cfg};
    s.handshake();
    std::string wire;
    for (std::uint64_t i = 0; i < 30; ++i)
        wire += h2::ping(i);
    s.send(wire);
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::enhance_your_calm);
    EXPECT_EQ(s.c.error(), http2::error::enhance_your_calm);
}

TEST(Http2Server, TooManySettingsEntries)
{
    http2::config cfg;
    cfg.max_settings_entries = 4;
    raw_server s{cfg};
    s.handshake();
    s.send(h2::settings({{1, 4096}, {3, 100}, {4, 65535}, {5, 16384}, {6, 1000}}));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::enhance_your_calm);
}

TEST(Http2Server, RapidResetEndsTheConnection)
{
    http2::config cfg;
    cfg.max_premature_resets = 10;
    raw_server s{cfg};
    s.handshake();
    std::uint32_t stream = 1;
    for (int i = 0; i < 10; ++i, stream += 2)
        s.send(h2::request(stream, "GET", "/") + h2::rst_stream(stream, h2::code::cancel));
    EXPECT_FALSE(s.c.error()) << "ten premature resets are allowed";
    EXPECT_EQ(of_kind(s.events, "reset").size(), 10u) << describe(s.events);
    s.send(h2::request(stream, "GET", "/") + h2::rst_stream(stream, h2::code::cancel));
    auto* g = s.goaway();
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(h2::goaway_code(*g), h2::code::enhance_your_calm);
    EXPECT_EQ(s.c.error(), http2::error::enhance_your_calm);
}

TEST(Http2Server, ResetsOfAnsweredStreamsAreNotRapidReset)
{
    http2::config cfg;
    cfg.max_premature_resets = 10;
    raw_server s{cfg};
    s.handshake();
    std::uint32_t stream = 1;
    for (int i = 0; i < 30; ++i, stream += 2) {
        s.send(h2::request(stream, "POST", "/", false));
        s.respond(stream, 200, false);
        s.read();
        s.send(h2::rst_stream(stream, h2::code::cancel));
    }
    EXPECT_FALSE(s.c.error());
    s.read();
    EXPECT_EQ(h2::find(s.frames, h2::type::goaway), nullptr) << h2::describe(s.frames);
}

TEST(Http2Server, ClientSubmitOnServerIsMisuse)
{
    raw_server s;
    error_code ec;
    s.c.submit_headers(1, get("/"), true, ec);
    EXPECT_TRUE(ec);
    raw_client c;
    c.c.submit_headers(1, http2::response_head{200, {}}, true, ec);
    EXPECT_TRUE(ec);
}

} // namespace
