// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// WebSockets end to end on every transport: HTTP/1.1 Upgrade (TCP and TLS),
// HTTP/2 extended CONNECT (h2c and h2, RFC 8441) and HTTP/3 extended CONNECT
// (RFC 9220), each with and without permessage-deflate.

#include "test_support.hpp"
#include "transports.hpp"

#include <boost/asio/detached.hpp>

#include <strata/client.hpp>
#include <strata/error.hpp>
#include <strata/server.hpp>
#include <strata/websocket/stream.hpp>

#include <map>
#include <set>

using namespace strata;
using namespace std::chrono_literals;
using test::run;
using test::sleep_for;

namespace {

struct ws_param {
    test::transport transport;
    bool deflate = false;
};

std::string ws_param_name(const ::testing::TestParamInfo<ws_param>& info)
{
    return test::transport_name({info.param.transport, info.index}) + (info.param.deflate ? "_deflate" : "");
}

// The name already says it all; this keeps gtest from dumping the bytes.
void PrintTo(const ws_param& p, std::ostream* os)
{
    *os << ws_param_name({p, 0});
}

std::span<const std::byte> bytes_of(std::string_view s)
{
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

class Websocket : public ::testing::TestWithParam<ws_param> {
protected:
    const test::transport& tp() const { return GetParam().transport; }
    std::string url(const net::ip::tcp::endpoint& ep, std::string_view path) const
    {
        return std::string(tp().tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(ep.port()) +
               std::string(path);
    }
    server_config server_cfg() const
    {
        auto cfg = test::server_config_for(tp());
        cfg.http2.enable_connect_protocol = true;
        cfg.http3.enable_connect_protocol = true;
        return cfg;
    }
    websocket::connect_config connect_cfg() const
    {
        websocket::connect_config cfg;
        cfg.client = test::client_config_for(tp());
        cfg.version = tp().version;
        cfg.deflate.enable = GetParam().deflate;
        return cfg;
    }
    websocket::accept_config accept_cfg() const
    {
        websocket::accept_config cfg;
        cfg.deflate.enable = GetParam().deflate;
        return cfg;
    }
    /// Routes `path` for both ways of opening a WebSocket.
    void route_ws(server& srv, std::string_view path, handler h)
    {
        srv.route("GET", path, h);
        srv.route("CONNECT", path, h);
    }
    handler echo_handler(websocket::accept_config cfg)
    {
        return [cfg](request& req, response& res) -> net::awaitable<void> {
            error_code ec;
            auto ws = co_await websocket::accept(req, res, cfg, ec);
            if (ec)
                co_return;
            for (;;) {
                auto m = co_await ws.read(ec);
                if (ec)
                    break;
                co_await ws.write(m.type, bytes_of(m.data), ec);
                if (ec)
                    break;
            }
        };
    }
};

TEST_P(Websocket, EchoesTextAndBinaryMessagesOfEverySizeClass)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    route_ws(srv, "/echo", echo_handler(accept_cfg()));
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        error_code ec;
        auto ws = co_await websocket::connect(io.get_executor(), url(ep, "/echo"), connect_cfg(), ec);
        EXPECT_FALSE(ec) << ec.message();
        if (ec)
            co_return;
        EXPECT_EQ(ws.version(), tp().version);
        EXPECT_EQ(ws.deflate(), GetParam().deflate);
        // Around each length encoding's edges (7-bit, 16-bit, 64-bit), and a
        // message larger than any buffer on the way.
        for (std::size_t size : {0u, 1u, 125u, 126u, 65535u, 65536u, 1u << 20}) {
            std::string text(size, 'x');
            for (std::size_t i = 0; i < size; ++i)
                text[i] = static_cast<char>('a' + (i * 7) % 26);
            co_await ws.write(text, ec);
            EXPECT_FALSE(ec) << ec.message();
            auto m = co_await ws.read(ec);
            EXPECT_FALSE(ec) << ec.message();
            EXPECT_EQ(m.type, websocket::message_type::text);
            EXPECT_EQ(m.data.size(), size);
            EXPECT_TRUE(m.data == text) << "text message of " << size << " bytes came back changed";

            std::string binary(size, '\0');
            for (std::size_t i = 0; i < size; ++i)
                binary[i] = static_cast<char>((i * 131) & 0xff);
            co_await ws.write(websocket::message_type::binary, bytes_of(binary), ec);
            EXPECT_FALSE(ec) << ec.message();
            m = co_await ws.read(ec);
            EXPECT_FALSE(ec) << ec.message();
            EXPECT_EQ(m.type, websocket::message_type::binary);
            EXPECT_TRUE(m.data == binary) << "binary message of " << size << " bytes came back changed";
        }
        co_await ws.close(1000, "done", ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(ws.close_code(), 1000);
    });
}

// A chat room: every message any member sends reaches every member, in the
// order its sender sent them, while all of them send at once.
TEST_P(Websocket, ChatRoomDeliversEveryonesMessagesToEveryoneInOrder)
{
    constexpr int members = 3;
    constexpr int per_member = 40;
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    std::set<websocket::stream*> room;
    auto cfg = accept_cfg();
    route_ws(srv, "/chat", [&room, cfg](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        auto ws = co_await websocket::accept(req, res, cfg, ec);
        if (ec)
            co_return;
        room.insert(&ws);
        for (;;) {
            auto m = co_await ws.read(ec);
            if (ec)
                break;
            // A copy per message: the writes below outlive this iteration.
            auto text = std::make_shared<std::string>(std::move(m.data));
            for (auto* member : room) {
                net::co_spawn(
                    ws.get_executor(),
                    [member, text, &room]() -> net::awaitable<void> {
                        if (!room.contains(member))
                            co_return;
                        error_code wec;
                        co_await member->write(*text, wec);
                    },
                    net::detached);
            }
        }
        room.erase(&ws);
    });
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        std::vector<std::shared_ptr<websocket::stream>> clients;
        for (int i = 0; i < members; ++i) {
            error_code ec;
            auto ws = co_await websocket::connect(io.get_executor(), url(ep, "/chat"), connect_cfg(), ec);
            EXPECT_FALSE(ec) << ec.message();
            if (ec)
                co_return;
            clients.push_back(std::make_shared<websocket::stream>(std::move(ws)));
        }
        while (room.size() < static_cast<std::size_t>(members))
            co_await sleep_for(5ms);
        int finished = 0;
        std::vector<std::map<int, int>> next_from(members); // receiver -> sender -> next index expected
        for (int i = 0; i < members; ++i) {
            // Each member reads everything, and sends its own messages at the same time.
            net::co_spawn(
                io,
                [&, i]() -> net::awaitable<void> {
                    error_code ec;
                    for (int n = 0; n < members * per_member; ++n) {
                        auto m = co_await clients[i]->read(ec);
                        EXPECT_FALSE(ec) << ec.message();
                        if (ec)
                            break;
                        auto sep = m.data.find(':');
                        int from = std::stoi(m.data.substr(0, sep));
                        int index = std::stoi(m.data.substr(sep + 1));
                        EXPECT_EQ(index, next_from[i][from]) << "member " << i << " from " << from;
                        next_from[i][from] = index + 1;
                    }
                    ++finished;
                },
                net::detached);
            net::co_spawn(
                io,
                [&, i]() -> net::awaitable<void> {
                    error_code ec;
                    for (int n = 0; n < per_member && !ec; ++n)
                        co_await clients[i]->write(std::to_string(i) + ":" + std::to_string(n), ec);
                    EXPECT_FALSE(ec) << ec.message();
                },
                net::detached);
        }
        for (int waited = 0; finished < members && waited < 1000; ++waited)
            co_await sleep_for(10ms);
        EXPECT_EQ(finished, members);
        for (int i = 0; i < members; ++i)
            for (int from = 0; from < members; ++from)
                EXPECT_EQ(next_from[i][from], per_member) << "member " << i << " from " << from;
        for (auto& c : clients) {
            error_code ec;
            co_await c->close(1000, std::string_view{}, ec);
        }
    });
}

TEST_P(Websocket, CloseHandshakeCarriesCodeAndReasonBothWays)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    std::uint16_t server_saw_code = 0;
    std::string server_saw_reason;
    error_code server_read_error;
    auto cfg = accept_cfg();
    route_ws(srv, "/client-closes", [&, cfg](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        auto ws = co_await websocket::accept(req, res, cfg, ec);
        if (ec)
            co_return;
        co_await ws.read(ec);
        server_read_error = ec;
        server_saw_code = ws.close_code();
        server_saw_reason = std::string(ws.close_reason());
    });
    route_ws(srv, "/server-closes", [cfg](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        auto ws = co_await websocket::accept(req, res, cfg, ec);
        if (ec)
            co_return;
        co_await ws.write("bye soon", ec);
        co_await ws.close(1001, "going away", ec);
        EXPECT_FALSE(ec) << ec.message();
    });
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        error_code ec;
        auto a = co_await websocket::connect(io.get_executor(), url(ep, "/client-closes"), connect_cfg(), ec);
        EXPECT_FALSE(ec) << ec.message();
        co_await a.close(4001, "finished here", ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(a.close_code(), 4001); // the server echoed it
        for (int i = 0; i < 200 && server_saw_code == 0; ++i)
            co_await sleep_for(5ms);
        EXPECT_EQ(server_read_error, websocket::error::closed);
        EXPECT_EQ(server_saw_code, 4001);
        EXPECT_EQ(server_saw_reason, "finished here");

        auto b = co_await websocket::connect(io.get_executor(), url(ep, "/server-closes"), connect_cfg(), ec);
        EXPECT_FALSE(ec) << ec.message();
        auto m = co_await b.read(ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(m.data, "bye soon");
        co_await b.read(ec);
        EXPECT_EQ(ec, websocket::error::closed);
        EXPECT_EQ(b.close_code(), 1001);
        EXPECT_EQ(b.close_reason(), "going away");
        EXPECT_FALSE(b.is_open());
        co_await b.write("too late", ec);
        EXPECT_TRUE(ec) << "a write after the close handshake must fail";
    });
}

// A peer that stops answering is found by the keep-alive pings: the client
// gives up after ping_interval + pong_timeout of silence.
TEST_P(Websocket, ClientGivesUpOnAPeerThatStopsAnsweringPings)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    auto cfg = accept_cfg();
    cfg.ping_interval = 0ms;
    route_ws(srv, "/silent", [cfg](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        auto ws = co_await websocket::accept(req, res, cfg, ec);
        if (ec)
            co_return;
        // Never reads: its pongs never go out.
        co_await sleep_for(3000ms);
    });
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        auto ccfg = connect_cfg();
        ccfg.ping_interval = 100ms;
        ccfg.pong_timeout = 200ms;
        error_code ec;
        auto ws = co_await websocket::connect(io.get_executor(), url(ep, "/silent"), ccfg, ec);
        EXPECT_FALSE(ec) << ec.message();
        auto start = std::chrono::steady_clock::now();
        co_await ws.read(ec);
        auto took = std::chrono::steady_clock::now() - start;
        EXPECT_EQ(ec, strata::error::timeout) << ec.message();
        EXPECT_GE(took, 250ms);
        EXPECT_LT(took, 2000ms);
        EXPECT_EQ(ws.close_code(), 1006);
    });
}

// A live but idle peer is kept: pings go out while a read waits, the peer
// answers them, and the connection outlives several deadlines.
TEST_P(Websocket, KeepAlivePingsKeepAnIdleConnectionOpen)
{
    net::io_context io;
    auto scfg = server_cfg();
    scfg.idle_timeout = 400ms; // the server's bound on silence
    server srv{io.get_executor(), scfg};
    auto cfg = accept_cfg();
    cfg.ping_interval = 100ms;
    route_ws(srv, "/idle", echo_handler(cfg));
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        auto ccfg = connect_cfg();
        ccfg.ping_interval = 100ms;
        ccfg.pong_timeout = 300ms;
        error_code ec;
        auto ws = co_await websocket::connect(io.get_executor(), url(ep, "/idle"), ccfg, ec);
        EXPECT_FALSE(ec) << ec.message();
        // The client reads (so it answers pings) for 1.5 s while nobody sends a message.
        bool got = false;
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                error_code rec;
                auto m = co_await ws.read(rec);
                EXPECT_FALSE(rec) << rec.message();
                got = m.data == "still here";
            },
            net::detached);
        co_await sleep_for(1500ms);
        co_await ws.write("still here", ec);
        EXPECT_FALSE(ec) << ec.message();
        for (int i = 0; i < 200 && !got; ++i)
            co_await sleep_for(5ms);
        EXPECT_TRUE(got);
    });
}

// A writer faster than its reader waits (bounded queue) and loses nothing.
TEST_P(Websocket, BackPressureBoundsTheWriteQueueAndLosesNothing)
{
    constexpr int count = 200;
    constexpr std::size_t size = 64 * 1024;
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    auto cfg = accept_cfg();
    cfg.max_write_queue_bytes = 256 * 1024;
    int written = 0;
    std::size_t max_queued = 0;
    route_ws(srv, "/flood", [&, cfg](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        auto ws = co_await websocket::accept(req, res, cfg, ec);
        if (ec)
            co_return;
        // Incompressible, so permessage-deflate cannot make the flood small.
        std::string payload(size, '\0');
        std::uint64_t x = 0x9e3779b97f4a7c15u;
        for (int i = 0; i < count && !ec; ++i) {
            for (auto& c : payload) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                c = static_cast<char>(x);
            }
            payload[0] = static_cast<char>('a' + i % 26);
            co_await ws.write(websocket::message_type::binary, bytes_of(payload), ec);
            max_queued = std::max(max_queued, ws.queued_bytes());
            if (!ec)
                ++written;
        }
        co_await ws.read(ec); // until the client closes
    });
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        error_code ec;
        auto ws = co_await websocket::connect(io.get_executor(), url(ep, "/flood"), connect_cfg(), ec);
        EXPECT_FALSE(ec) << ec.message();
        co_await sleep_for(500ms); // not reading: the server must be held back
        EXPECT_LT(written, count) << "the writer never waited for a reader that reads nothing";
        for (int i = 0; i < count; ++i) {
            auto m = co_await ws.read(ec);
            EXPECT_FALSE(ec) << ec.message();
            if (ec)
                break;
            EXPECT_EQ(m.data.size(), size);
            EXPECT_EQ(m.data[0], static_cast<char>('a' + i % 26)) << "message " << i;
        }
        EXPECT_EQ(written, count);
        EXPECT_LE(max_queued, cfg.max_write_queue_bytes + size + 64);
        co_await ws.close(1000, std::string_view{}, ec);
    });
}

TEST_P(Websocket, NegotiatesASubprotocolAndRefusesWhatItMust)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    auto cfg = accept_cfg();
    cfg.subprotocols = {"chat.v2", "chat.v1"};
    cfg.allow_origin = [](std::string_view origin) { return origin != "https://evil.example"; };
    error_code refusal;
    route_ws(srv, "/chat", [cfg, &refusal](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        auto ws = co_await websocket::accept(req, res, cfg, ec);
        if (ec) {
            refusal = ec;
            co_return;
        }
        co_await ws.write(ws.subprotocol(), ec);
        co_await ws.read(ec);
    });
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        auto ccfg = connect_cfg();
        ccfg.subprotocols = {"chat.v1", "chat.v2"};
        error_code ec;
        auto ws = co_await websocket::connect(io.get_executor(), url(ep, "/chat"), ccfg, ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(ws.subprotocol(), "chat.v2"); // the server's preference
        auto m = co_await ws.read(ec);
        EXPECT_EQ(m.data, "chat.v2");
        co_await ws.close(1000, std::string_view{}, ec);

        auto evil = connect_cfg();
        evil.fields.set("Origin", "https://evil.example");
        unsigned status = 0;
        evil.on_response = [&](const client_response& r) { status = r.status(); };
        auto refused = co_await websocket::connect(io.get_executor(), url(ep, "/chat"), evil, ec);
        EXPECT_EQ(ec, websocket::error::bad_handshake);
        EXPECT_EQ(status, 403u);
        EXPECT_FALSE(refused.is_open());
        EXPECT_EQ(refusal, websocket::error::origin_refused);

        // A plain request to a WebSocket endpoint is told to upgrade.
        client plain{io.get_executor(), test::client_config_for(tp())};
        auto res = co_await plain.get(tp().scheme() + "://127.0.0.1:" + std::to_string(ep.port()) + "/chat",
                                      net::redirect_error(net::use_awaitable, ec));
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(res.status(), 426u);
        EXPECT_EQ(refusal, websocket::error::no_upgrade);
    });
}

INSTANTIATE_TEST_SUITE_P(Transports, Websocket,
                         ::testing::Values(ws_param{{http::version::http1_1, false}, false},
                                           ws_param{{http::version::http1_1, false}, true},
                                           ws_param{{http::version::http1_1, true}, false},
                                           ws_param{{http::version::http1_1, true}, true},
                                           ws_param{{http::version::http2, false}, false},
                                           ws_param{{http::version::http2, false}, true},
                                           ws_param{{http::version::http2, true}, false},
                                           ws_param{{http::version::http2, true}, true},
                                           ws_param{{http::version::http3, true}, false},
                                           ws_param{{http::version::http3, true}, true}),
                         ws_param_name);

// ---- what only one version has ------------------------------------------------

// RFC 8441 §3: no extended CONNECT to a server that did not allow it.
TEST(WebsocketExtendedConnect, RefusedWhenTheServerDoesNotAllowIt)
{
    for (auto version : {http::version::http2, http::version::http3}) {
        net::io_context io;
        test::transport t{version, true};
        server srv{io.get_executor(), test::server_config_for(t)}; // enable_connect_protocol off
        srv.route("CONNECT", "/ws", [](request& req, response& res) -> net::awaitable<void> {
            error_code ec;
            co_await websocket::accept(req, res, {}, ec);
        });
        auto ep = srv.listen(t.listen_scheme() + "://127.0.0.1:0");
        run(io, [&]() -> net::awaitable<void> {
            websocket::connect_config cfg;
            cfg.client = test::client_config_for(t);
            cfg.version = version;
            error_code ec;
            auto ws = co_await websocket::connect(
                io.get_executor(), "wss://127.0.0.1:" + std::to_string(ep.port()) + "/ws", cfg, ec);
            EXPECT_EQ(ec, websocket::error::extended_connect_refused) << ec.message();
        });
    }
}

// Over HTTP/2 several WebSockets share one connection with plain requests.
TEST(WebsocketExtendedConnect, ManyWebsocketsShareOneHttp2Connection)
{
    net::io_context io;
    test::transport t{http::version::http2, true};
    auto scfg = test::server_config_for(t);
    scfg.http2.enable_connect_protocol = true;
    server srv{io.get_executor(), scfg};
    srv.route("CONNECT", "/echo", [](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        websocket::accept_config cfg;
        auto ws = co_await websocket::accept(req, res, cfg, ec);
        for (;;) {
            auto m = co_await ws.read(ec);
            if (ec)
                break;
            co_await ws.write(m.data, ec);
        }
    });
    auto ep = srv.listen("https://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        client c{io.get_executor(), test::client_config_for(t)};
        std::vector<websocket::stream> sockets;
        websocket::connect_config cfg;
        auto u = "wss://127.0.0.1:" + std::to_string(ep.port()) + "/echo";
        for (int i = 0; i < 8; ++i) {
            error_code ec;
            sockets.push_back(co_await websocket::connect(c, u, cfg, ec));
            EXPECT_FALSE(ec) << ec.message();
        }
        for (int i = 0; i < 8; ++i) {
            error_code ec;
            co_await sockets[i].write("n" + std::to_string(i), ec);
        }
        for (int i = 0; i < 8; ++i) {
            error_code ec;
            auto m = co_await sockets[i].read(ec);
            EXPECT_EQ(m.data, "n" + std::to_string(i));
            EXPECT_EQ(sockets[i].version(), http::version::http2);
        }
        EXPECT_EQ(c.connections_opened(), 1u);
        for (auto& s : sockets) {
            error_code ec;
            co_await s.close(1000, std::string_view{}, ec);
            EXPECT_FALSE(ec) << ec.message();
        }
    });
}

// What a broken peer gets on the wire: the close frame that says why.
TEST(WebsocketWire, AnUnmaskedClientFrameGetsClose1002)
{
    net::io_context io;
    server srv{io.get_executor()};
    srv.route("GET", "/ws", [](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        websocket::accept_config cfg;
        auto ws = co_await websocket::accept(req, res, cfg, ec);
        co_await ws.read(ec);
        EXPECT_EQ(ec, websocket::error::unmasked_frame);
    });
    auto ep = srv.listen("http://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        std::string hello =
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        hello += std::string("\x81\x02hi", 4); // unmasked, from a client
        auto out = co_await test::raw_exchange(ep, hello);
        EXPECT_NE(out.find("HTTP/1.1 101"), std::string::npos) << out;
        EXPECT_NE(out.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << out;
        auto body = out.substr(out.find("\r\n\r\n") + 4);
        EXPECT_GE(body.size(), 4u) << "no close frame";
        if (body.size() < 4)
            co_return;
        EXPECT_EQ(static_cast<unsigned char>(body[0]), 0x88u);
        EXPECT_EQ((static_cast<unsigned char>(body[2]) << 8) | static_cast<unsigned char>(body[3]), 1002);
    });
}

} // namespace

namespace {

// Opening handshakes a server must refuse, each with the answer RFC 6455
// §4.2.2 and §4.4 give it.
TEST(WebsocketWire, MalformedOpeningHandshakesAreRefusedWithTheirStatus)
{
    net::io_context io;
    server srv{io.get_executor()};
    std::vector<error_code> seen;
    srv.route("GET", "/ws", [&seen](request& req, response& res) -> net::awaitable<void> {
        error_code ec;
        websocket::accept_config cfg;
        auto ws = co_await websocket::accept(req, res, cfg, ec);
        seen.push_back(ec);
    });
    auto ep = srv.listen("http://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        const std::string head =
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        auto version_9 = co_await test::raw_exchange(
            ep, head + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 9\r\n"
                       "Connection: close\r\n\r\n");
        EXPECT_NE(version_9.find("HTTP/1.1 426"), std::string::npos) << version_9;
        EXPECT_NE(version_9.find("Sec-WebSocket-Version: 13"), std::string::npos) << version_9;
        // A key that is not base64 of 16 bytes, and no key at all.
        auto short_key = co_await test::raw_exchange(
            ep,
            head + "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n");
        EXPECT_NE(short_key.find("HTTP/1.1 400"), std::string::npos) << short_key;
        auto no_key =
            co_await test::raw_exchange(ep, head + "Sec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n");
        EXPECT_NE(no_key.find("HTTP/1.1 400"), std::string::npos) << no_key;
        auto no_upgrade =
            co_await test::raw_exchange(ep, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        EXPECT_NE(no_upgrade.find("HTTP/1.1 426"), std::string::npos) << no_upgrade;
        EXPECT_NE(no_upgrade.find("Upgrade: websocket"), std::string::npos) << no_upgrade;
        EXPECT_EQ(seen, (std::vector<error_code>{websocket::error::bad_version, websocket::error::bad_key,
                                                 websocket::error::bad_key, websocket::error::no_upgrade}));
    });
}

} // namespace

namespace {

// Answers one request on `acceptor` with `answer`, whatever it asked.
net::awaitable<void> answer_once(net::ip::tcp::acceptor& acceptor, std::string answer)
{
    auto s = co_await acceptor.async_accept(net::use_awaitable);
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
        error_code ec;
        auto n = co_await s.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
        if (ec)
            co_return;
        in.append(buf, n);
    }
    co_await net::async_write(s, net::buffer(answer), net::use_awaitable);
    co_await test::sleep_for(50ms);
}

// What a client must refuse in a server's answer (RFC 6455 §4.1, RFC 7692 §5).
TEST(WebsocketWire, TheClientRefusesMalformedAnswers)
{
    struct row {
        std::string answer;
        websocket::error expected;
    };
    // The client's key is random, so no Accept can match: rows that must get
    // past the Accept check are not possible here; those before it are.
    const std::vector<row> rows = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", websocket::error::bad_handshake},
        {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
         websocket::error::no_upgrade},
        {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
         websocket::error::bad_accept},
        {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
         websocket::error::bad_accept},
    };
    for (const auto& r : rows) {
        net::io_context io;
        net::ip::tcp::acceptor acceptor{io, {net::ip::make_address("127.0.0.1"), 0}};
        auto port = acceptor.local_endpoint().port();
        net::co_spawn(io, answer_once(acceptor, r.answer), net::detached);
        run(io, [&]() -> net::awaitable<void> {
            websocket::connect_config cfg;
            error_code ec;
            auto ws = co_await websocket::connect(io.get_executor(),
                                                  "ws://127.0.0.1:" + std::to_string(port) + "/", cfg, ec);
            EXPECT_EQ(ec, r.expected) << r.answer;
            EXPECT_FALSE(ws.is_open());
        });
    }
}

} // namespace
