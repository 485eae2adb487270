// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The gateway end to end: clients on real WebSockets over every transport,
// services in-process and on the service link. What the gateway sends is
// read back with nlohmann-json, not with the gateway's own parser.

#include "test_support.hpp"
#include "transports.hpp"

#include <strata/client.hpp>
#include <strata/gateway.hpp>
#include <strata/server.hpp>

#include <boost/asio/detached.hpp>

#include <nlohmann/json.hpp>

#include <deque>

using namespace strata;
using namespace std::chrono_literals;
using test::run;
using test::sleep_for;
using json = nlohmann::json;

namespace {

/// Tokens are "user:NAME"; "banned" gets 403; anything else 401.
gateway::auth_result test_auth(const request& req)
{
    auto token = gateway::bearer_token(req);
    if (!token)
        return gateway::auth_result::refuse(401, "a bearer token, please");
    if (*token == "banned")
        return gateway::auth_result::refuse(403, "banned");
    if (token->rfind("user:", 0) == 0 && token->size() > 5)
        return gateway::auth_result::accept(token->substr(5));
    return gateway::auth_result::refuse(401, "unknown token");
}

gateway::config test_config()
{
    gateway::config cfg;
    cfg.authenticate = test_auth;
    cfg.authenticate_service = [](const request& req) {
        auto token = gateway::bearer_token(req);
        return token && *token == "service-secret" ? gateway::auth_result::accept("service")
                                                   : gateway::auth_result::refuse(401, "not a service");
    };
    cfg.authorize_subscribe = [](std::string_view, std::string_view topic) {
        return topic.rfind("public/", 0) == 0;
    };
    return cfg;
}

/// A test client: one WebSocket to the gateway and its envelopes.
struct gw_client {
    websocket::stream ws;
    std::uint64_t session = 0;
    std::uint64_t seq = 0; ///< the mailbox cursor: the last seq seen

    /// The next envelope, or a null json when the connection ended.
    net::awaitable<json> next()
    {
        error_code ec;
        auto m = co_await ws.read(ec);
        if (ec)
            co_return json();
        auto j = json::parse(m.data, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << "the gateway sent invalid JSON: " << m.data;
        if (j.contains("seq") && !j.contains("topic"))
            seq = j["seq"].get<std::uint64_t>();
        co_return j;
    }
    /// The next envelope of `type`, skipping others (at most 100).
    net::awaitable<json> next_of(std::string_view type)
    {
        for (int i = 0; i < 100; ++i) {
            auto j = co_await next();
            if (j.is_null() || j.value("type", "") == type)
                co_return j;
        }
        co_return json();
    }
    net::awaitable<void> send(std::string_view text)
    {
        error_code ec;
        co_await ws.write(text, ec);
        EXPECT_FALSE(ec) << ec.message();
    }
};

class Gateway : public ::testing::TestWithParam<test::transport> {
protected:
    const test::transport& tp() const { return GetParam(); }
    server_config server_cfg() const
    {
        auto cfg = test::server_config_for(tp());
        cfg.http2.enable_connect_protocol = true;
        cfg.http3.enable_connect_protocol = true;
        return cfg;
    }
    std::string url(const net::ip::tcp::endpoint& ep, std::string_view path) const
    {
        return std::string(tp().tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(ep.port()) +
               std::string(path);
    }
    websocket::connect_config connect_cfg(std::string_view token) const
    {
        websocket::connect_config cfg;
        cfg.client = test::client_config_for(tp());
        cfg.version = tp().version;
        if (!token.empty())
            cfg.fields.set("Authorization", "Bearer " + std::string(token));
        return cfg;
    }
    /// Connects as `token` and reads the welcome.
    net::awaitable<std::unique_ptr<gw_client>> join(net::io_context& io, const net::ip::tcp::endpoint& ep,
                                                    std::string_view token, std::string_view query = {})
    {
        error_code ec;
        auto c = std::make_unique<gw_client>();
        c->ws = co_await websocket::connect(io.get_executor(), url(ep, "/gateway" + std::string(query)),
                                            connect_cfg(token), ec);
        EXPECT_FALSE(ec) << ec.message();
        if (ec)
            co_return nullptr;
        auto welcome = co_await c->next();
        EXPECT_EQ(welcome.value("type", ""), "welcome") << welcome.dump();
        c->session = welcome["data"].value("session", 0ull);
        c->seq = welcome["data"].value("seq", 0ull);
        co_return c;
    }
};

/// The rider scenario: a location service and a messaging service, a driver
/// and a rider on one gateway; every transport.
TEST_P(Gateway, RoutesARidersAndADriversMessagesWithTheirIdentities)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    gateway::hub gw{io.get_executor(), test_config()};
    gw.attach(srv);
    std::vector<gateway::incoming> seen;
    gw.add_service("location", {"location_update"},
                   [&](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                       seen.push_back(m);
                       out.publish("public/driver/" + m.user, "driver_location", m.data);
                       co_return;
                   });
    gw.add_service("messaging", {"message"},
                   [&](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                       seen.push_back(m);
                       auto in = json::parse(m.data);
                       json msg;
                       msg["from"] = m.user;
                       msg["text"] = in["text"];
                       out.push(in["to"].get<std::string>(), "message", msg.dump());
                       out.reply(m, "sent", "{}");
                       co_return;
                   });
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        auto driver = co_await join(io, ep, "user:driver-7");
        auto rider = co_await join(io, ep, "user:rider-1");
        if (!driver || !rider)
            co_return;
        co_await rider->send(R"({"type":"subscribe","data":{"topic":"public/driver/driver-7"},"id":1})");
        auto sub = co_await rider->next();
        EXPECT_EQ(sub.value("type", ""), "subscribed") << sub.dump();
        EXPECT_EQ(sub.value("id", 0), 1);

        // The driver claims to be someone else inside data: the service still
        // sees the connection's identity.
        for (int i = 0; i < 5; ++i)
            co_await driver->send(R"({"type":"location_update","data":{"lat":37.)" + std::to_string(70 + i) +
                                  R"(, "lng":-122.4,"user":"rider-1"}})");
        for (int i = 0; i < 5; ++i) {
            auto loc = co_await rider->next_of("driver_location");
            EXPECT_EQ(loc.value("topic", ""), "public/driver/driver-7");
            EXPECT_EQ(loc["data"]["lat"].get<double>(), std::stod("37." + std::to_string(70 + i)));
            EXPECT_EQ(loc.value("seq", 0), i + 1);
        }
        EXPECT_GE(seen.size(), 5u);
        if (seen.size() < 5)
            co_return;
        EXPECT_EQ(seen[0].user, "driver-7");
        EXPECT_EQ(seen[0].session, driver->session);
        EXPECT_EQ(seen[0].data, R"({"lat":37.70, "lng":-122.4,"user":"rider-1"})")
            << "data is forwarded as sent";

        co_await rider->send(R"({"type":"message","data":{"to":"driver-7","text":"I'm outside"},"id":"m1"})");
        auto ack = co_await rider->next_of("sent");
        EXPECT_EQ(ack.value("id", ""), "m1");
        auto got = co_await driver->next_of("message");
        EXPECT_EQ(got["data"]["from"], "rider-1");
        EXPECT_EQ(got["data"]["text"], "I'm outside");
        EXPECT_EQ(got.value("seq", 0), 1) << got.dump();
        co_await rider->ws.close(1000, "bye");
        co_await driver->ws.close(1000, "bye");
    });
}

TEST_P(Gateway, RefusesBeforeTheUpgradeWith401Or403)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    gateway::hub gw{io.get_executor(), test_config()};
    gw.attach(srv);
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    // Outside the coroutine: GCC 12 miscompiles braced lists inside one.
    const std::vector<std::pair<std::string, unsigned>> refusals = {
        {"", 401}, {"nonsense", 401}, {"banned", 403}};
    run(io, [&]() -> net::awaitable<void> {
        for (auto& [token, expected] : refusals) {
            unsigned status = 0;
            auto cfg = connect_cfg(token);
            cfg.on_response = [&](const client_response& r) { status = r.status(); };
            error_code ec;
            co_await websocket::connect(io.get_executor(), url(ep, "/gateway"), cfg, ec);
            EXPECT_TRUE(ec) << token;
            EXPECT_EQ(status, expected) << token;
        }
        // The query parameter works too (browsers cannot set headers).
        auto c = co_await join(io, ep, "", "?access_token=user:web");
        EXPECT_TRUE(c);
        EXPECT_EQ(gw.connections(), 1u);
    });
}

INSTANTIATE_TEST_SUITE_P(Transports, Gateway, test::all_transports(), test::transport_name);

// ---- protocol behaviour: the same on every version, tested on HTTP/1.1 ----------

class GatewayProtocol : public Gateway {};

TEST_P(GatewayProtocol, AnswersMalformedEnvelopesWithErrorsAndKeepsTheConnection)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    auto cfg = test_config();
    cfg.max_message_bytes = 1024;
    cfg.max_bad_messages = 5;
    gateway::hub gw{io.get_executor(), cfg};
    gw.attach(srv);
    gw.add_service("echo", {"echo"},
                   [](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                       out.reply(m, "echo", m.data);
                       co_return;
                   });
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    struct expectation {
        std::string send;
        std::string code;
    };
    std::vector<expectation> cases = {
        {"not json", "bad_envelope"},
        {R"({"data":1})", "bad_envelope"},
        {R"({"type":"echo","data":{"x":tru}})", "bad_envelope"},
        {R"({"type":"nobody","id":9})", "unknown_type"},
        {R"({"type":"echo","data":")" + std::string(2000, 'x') + "\"}", "too_big"},
    };
    run(io, [&]() -> net::awaitable<void> {
        auto c = co_await join(io, ep, "user:u");
        if (!c)
            co_return;
        for (auto& e : cases) {
            co_await c->send(e.send);
            auto err = co_await c->next();
            EXPECT_EQ(err.value("type", ""), "error") << e.send.substr(0, 40);
            EXPECT_EQ(err["data"].value("code", ""), e.code) << e.send.substr(0, 40);
            EXPECT_FALSE(err["data"].value("reason", "").empty());
        }
        auto unknown = R"({"type":"nobody","id":9})";
        co_await c->send(unknown);
        auto err = co_await c->next();
        EXPECT_EQ(err.value("id", 0), 9) << "the error answers the envelope's id";
        EXPECT_EQ(err["data"].value("for", ""), "nobody");
        // A binary message is not an envelope.
        error_code ec;
        std::string bin = "\x01\x02";
        co_await c->ws.write(websocket::message_type::binary,
                             {reinterpret_cast<const std::byte*>(bin.data()), bin.size()}, ec);
        EXPECT_EQ((co_await c->next())["data"].value("code", ""), "bad_envelope");
        // Still up: a good envelope goes through.
        co_await c->send(R"({"type":"echo","data":[1,2,3],"id":"e"})");
        auto echo = co_await c->next();
        EXPECT_EQ(echo.value("type", ""), "echo");
        EXPECT_EQ(echo["data"], json::parse("[1,2,3]"));
        // Far past the WebSocket's own limit (4 x 1024): 1009.
        co_await c->send(R"({"type":"echo","data":")" + std::string(5000, 'x') + "\"}");
        auto end = co_await c->next();
        EXPECT_TRUE(end.is_null());
        EXPECT_EQ(c->ws.close_code(), 1009);
    });
}

TEST_P(GatewayProtocol, RefusesAResumeCursorThatIsNotANumberWith400)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    gateway::hub gw{io.get_executor(), test_config()};
    gw.attach(srv);
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    const std::vector<std::string> cursors = {"abc", "-1", "12x", "", "99999999999999999999999"};
    run(io, [&]() -> net::awaitable<void> {
        for (auto& cursor : cursors) {
            unsigned status = 0;
            auto cfg = connect_cfg("user:u");
            cfg.on_response = [&](const client_response& r) { status = r.status(); };
            error_code ec;
            co_await websocket::connect(io.get_executor(), url(ep, "/gateway?after=" + cursor), cfg, ec);
            EXPECT_TRUE(ec) << "after=" << cursor;
            EXPECT_EQ(status, 400u) << "after=" << cursor;
        }
        EXPECT_EQ(gw.connections(), 0u);
    });
}

TEST_P(GatewayProtocol, ClosesAClientThatKeepsSendingGarbageWith1008)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    auto cfg = test_config();
    cfg.max_bad_messages = 5;
    gateway::hub gw{io.get_executor(), cfg};
    gw.attach(srv);
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        auto c = co_await join(io, ep, "user:u");
        if (!c)
            co_return;
        for (int i = 0; i < 5; ++i)
            co_await c->send("garbage");
        int errors = 0;
        for (;;) {
            auto j = co_await c->next();
            if (j.is_null())
                break;
            errors += j.value("type", "") == "error";
        }
        EXPECT_EQ(errors, 5);
        EXPECT_EQ(c->ws.close_code(), 1008);
        EXPECT_NE(gw.metrics().find("strata_gateway_drops_total{reason=\"too_many_errors\"} 1"),
                  std::string::npos);
    });
}

TEST_P(GatewayProtocol, PushReachesEveryConnectionOfTheUserAndResumesAfterAReconnect)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    gateway::hub gw{io.get_executor(), test_config()};
    gw.attach(srv);
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        auto phone = co_await join(io, ep, "user:ana");
        auto laptop = co_await join(io, ep, "user:ana");
        auto other = co_await join(io, ep, "user:bo");
        if (!phone || !laptop || !other)
            co_return;
        for (int i = 1; i <= 3; ++i)
            gw.push("ana", "note", std::to_string(i));
        std::vector<gw_client*> both;
        both.push_back(phone.get());
        both.push_back(laptop.get());
        for (auto* c : both)
            for (int i = 1; i <= 3; ++i) {
                auto j = co_await c->next();
                EXPECT_EQ(j.value("type", ""), "note");
                EXPECT_EQ(j["data"].get<int>(), i);
                EXPECT_EQ(j.value("seq", 0), i);
            }
        // The phone drops; messages keep coming; it comes back with its cursor.
        auto cursor = phone->seq;
        EXPECT_EQ(cursor, 3u);
        co_await phone->ws.close(1000, "tunnel");
        phone.reset();
        for (int i = 4; i <= 8; ++i)
            gw.push("ana", "note", std::to_string(i));
        auto back = co_await join(io, ep, "user:ana", "?after=" + std::to_string(cursor));
        if (!back)
            co_return;
        for (int i = 4; i <= 8; ++i) {
            auto j = co_await back->next();
            EXPECT_EQ(j["data"].get<int>(), i) << "every missed message, in order";
        }
        gw.push("ana", "note", "9");
        auto j = co_await back->next();
        EXPECT_EQ(j["data"].get<int>(), 9) << "and each once: the next is the new one";
        // bo got none of ana's.
        gw.push("bo", "note", "\"for bo\"");
        auto b = co_await other->next();
        EXPECT_EQ(b["data"], "for bo");
        EXPECT_EQ(b.value("seq", 0), 1);
    });
}

TEST_P(GatewayProtocol, SubscriptionsNeedTheHooksConsentAndDeliverInOrder)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    gateway::hub gw{io.get_executor(), test_config()};
    gw.attach(srv);
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        auto c = co_await join(io, ep, "user:u");
        if (!c)
            co_return;
        co_await c->send(R"({"type":"subscribe","data":{"topic":"private/x"},"id":1})");
        auto no = co_await c->next();
        EXPECT_EQ(no["data"].value("code", ""), "forbidden");
        co_await c->send(R"({"type":"subscribe","data":{"nottopic":1},"id":2})");
        EXPECT_EQ((co_await c->next())["data"].value("code", ""), "bad_envelope");

        gw.publish("public/scores", "score", R"({"home":1})");
        gw.publish("public/scores", "score", R"({"home":2})");
        // From the start of what is retained (after=0), then live.
        co_await c->send(R"({"type":"subscribe","data":{"topic":"public/scores","after":0}})");
        auto ok = co_await c->next();
        EXPECT_EQ(ok.value("type", ""), "subscribed");
        EXPECT_EQ(ok["data"].value("seq", 0), 2);
        for (int i = 1; i <= 2; ++i) {
            auto s = co_await c->next();
            EXPECT_EQ(s["data"]["home"], i);
            EXPECT_EQ(s.value("topic", ""), "public/scores");
        }
        gw.publish("public/scores", "score", R"({"home":3})");
        EXPECT_EQ((co_await c->next())["data"]["home"], 3);
        co_await c->send(R"({"type":"unsubscribe","data":{"topic":"public/scores"}})");
        EXPECT_EQ((co_await c->next()).value("type", ""), "unsubscribed");
        gw.publish("public/scores", "score", R"({"home":4})");
        co_await c->send(R"({"type":"ping","id":5})");
        auto pong = co_await c->next();
        EXPECT_EQ(pong.value("type", ""), "pong") << "nothing from the topic after unsubscribe";
        EXPECT_EQ(pong.value("id", 0), 5);
    });
}

TEST_P(GatewayProtocol, CutsOffASlowClientWith1013AndKeepsItsMissedMessages)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    auto cfg = test_config();
    cfg.client_queue_bytes = 64 * 1024;
    // Enough retained to resume, and more pushed than the sockets' buffers
    // on both sides hold, so that the client really falls behind (5,000
    // behind the newest is too slow).
    cfg.mailbox.max_events = 30'000;
    cfg.mailbox.max_bytes = 256 * 1024 * 1024;
    cfg.mailbox.max_lag = 5'000;
    gateway::hub gw{io.get_executor(), cfg};
    gw.attach(srv);
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    constexpr int total = 20'000;
    run(
        io,
        [&]() -> net::awaitable<void> {
            auto slow = co_await join(io, ep, "user:slow");
            auto fast = co_await join(io, ep, "user:fast");
            if (!slow || !fast)
                co_return;
            // The slow client reads nothing while a stream of pushes arrives.
            const std::string payload = "\"" + std::string(2000, 'p') + "\"";
            for (int i = 0; i < total; ++i) {
                gw.push("slow", "bulk", payload);
                if (i % 100 == 0)
                    co_await sleep_for(1ms);
            }
            gw.push("fast", "note", "1");
            EXPECT_EQ((co_await fast->next())["data"], 1) << "the other client is not held up";
            // The slow one sees some, then the 1013 close.
            int got = 0;
            for (;;) {
                auto j = co_await slow->next();
                if (j.is_null())
                    break;
                ++got;
            }
            EXPECT_LT(got, total);
            EXPECT_EQ(slow->ws.close_code(), 1013);
            EXPECT_NE(gw.metrics().find("strata_gateway_drops_total{reason=\"slow_consumer\"} 1"),
                      std::string::npos);
            // It resumes where it was and gets the rest, all still retained.
            auto back = co_await join(io, ep, "user:slow", "?after=" + std::to_string(slow->seq));
            if (!back)
                co_return;
            back->seq = slow->seq; // the welcome says where the mailbox is; our cursor is older
            int rest = 0;
            while (back->seq < static_cast<std::uint64_t>(total)) {
                auto j = co_await back->next();
                if (j.is_null())
                    break;
                ++rest;
            }
            EXPECT_EQ(back->seq, static_cast<std::uint64_t>(total));
            EXPECT_EQ(static_cast<std::uint64_t>(rest), total - slow->seq);
        },
        // 40 MB through loopback twice: seconds, but minutes under ASan.
        std::chrono::seconds(150));
}

TEST_P(GatewayProtocol, ABusyServiceAnswersServiceBusyForItsTypesOnly)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    auto cfg = test_config();
    cfg.service_queue = 2;
    gateway::hub gw{io.get_executor(), cfg};
    gw.attach(srv);
    bool open = false;
    int started = 0;
    gw.add_service("slow", {"slow"},
                   [&](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                       ++started;
                       while (!open)
                           co_await sleep_for(1ms);
                       out.reply(m, "done", m.data);
                   });
    gw.add_service("quick", {"quick"},
                   [](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                       out.reply(m, "quick", m.data);
                       co_return;
                   });
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    run(io, [&]() -> net::awaitable<void> {
        auto c = co_await join(io, ep, "user:u");
        if (!c)
            co_return;
        // One in the handler, two waiting, the fourth is refused.
        co_await c->send(R"({"type":"slow","data":1})");
        while (started == 0)
            co_await sleep_for(1ms);
        for (int i = 2; i <= 4; ++i)
            co_await c->send(R"({"type":"slow","data":)" + std::to_string(i) + "}");
        auto busy = co_await c->next();
        EXPECT_EQ(busy["data"].value("code", ""), "service_busy");
        EXPECT_EQ(busy["data"].value("for", ""), "slow");
        co_await c->send(R"({"type":"quick","data":"q"})");
        EXPECT_EQ((co_await c->next()).value("type", ""), "quick") << "other types go on";
        open = true;
        for (int i = 1; i <= 3; ++i)
            EXPECT_EQ((co_await c->next())["data"], i);
    });
}

TEST_P(GatewayProtocol, ServesPrometheusMetrics)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    gateway::hub gw{io.get_executor(), test_config()};
    gw.attach(srv);
    gw.add_service("echo", {"echo"},
                   [](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                       out.reply(m, "echo", m.data);
                       co_return;
                   });
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    const std::vector<std::string> expected_lines = {"# TYPE strata_gateway_connections gauge",
                                                     "strata_gateway_connections 1",
                                                     "strata_gateway_messages_in_total{type=\"echo\"} 3",
                                                     "strata_gateway_messages_out_total{type=\"echo\"} 3",
                                                     "strata_gateway_messages_out_total{type=\"welcome\"} 1",
                                                     "strata_gateway_service_up{service=\"echo\"} 1",
                                                     "strata_gateway_service_queue{service=\"echo\"} 0"};
    run(io, [&]() -> net::awaitable<void> {
        auto c = co_await join(io, ep, "user:u");
        if (!c)
            co_return;
        for (int i = 0; i < 3; ++i) {
            co_await c->send(R"({"type":"echo","data":1})");
            co_await c->next();
        }
        client cli{io.get_executor(), test::client_config_for(tp())};
        auto res = co_await cli.get(tp().scheme() + "://127.0.0.1:" + std::to_string(ep.port()) + "/metrics");
        EXPECT_EQ(res.status(), 200u);
        EXPECT_EQ(res.header("Content-Type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
        auto body = co_await res.body();
        for (auto& line : expected_lines)
            EXPECT_NE(body.find(line), std::string::npos) << line << "\n" << body;
    });
}

/// A service process that goes away and comes back: clients stay connected,
/// its types get service_unavailable meanwhile (or wait, with hold).
TEST_P(GatewayProtocol, ARemoteServiceCanRestartWhileClientsStayConnected)
{
    for (auto policy : {gateway::unavailable_policy::reject, gateway::unavailable_policy::hold}) {
        net::io_context io;
        server srv{io.get_executor(), server_cfg()};
        auto cfg = test_config();
        cfg.when_unavailable = policy;
        gateway::hub gw{io.get_executor(), cfg};
        gw.attach(srv);
        gw.expect_service("upper", {"upper"});
        auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
        auto make_link = [&] {
            gateway::service_link_config lc;
            lc.url = url(ep, "/gateway/services");
            lc.token = "service-secret";
            lc.name = "upper";
            lc.websocket = connect_cfg("");
            lc.reconnect_delay = 20ms;
            auto link = std::make_shared<gateway::service_link>(io.get_executor(), lc);
            link->handle({"upper"},
                         [](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                             auto s = json::parse(m.data).get<std::string>();
                             for (auto& ch : s)
                                 ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                             out.reply(m, "upper", json(s).dump());
                             out.push(m.user, "note", json("seen by " + m.user).dump());
                             co_return;
                         });
            return link;
        };
        run(io, [&]() -> net::awaitable<void> {
            auto c = co_await join(io, ep, "user:u");
            if (!c)
                co_return;
            co_await c->send(R"({"type":"upper","data":"a","id":1})");
            if (policy == gateway::unavailable_policy::reject) {
                auto e = co_await c->next();
                EXPECT_EQ(e["data"].value("code", ""), "service_unavailable") << e.dump();
            }
            auto link = make_link();
            net::co_spawn(io, link->run(), net::detached);
            while (!gw.service_ready("upper"))
                co_await sleep_for(2ms);
            if (policy == gateway::unavailable_policy::hold) {
                auto held = co_await c->next_of("upper");
                EXPECT_EQ(held["data"], "A") << "held until the service came";
            }
            co_await c->send(R"({"type":"upper","data":"b","id":2})");
            auto up = co_await c->next_of("upper");
            EXPECT_EQ(up["data"], "B");
            EXPECT_EQ(up.value("id", 0), 2);
            auto note = co_await c->next_of("note");
            EXPECT_EQ(note["data"], "seen by u");

            // The service process dies.
            link->stop();
            while (gw.service_ready("upper"))
                co_await sleep_for(5ms);
            co_await c->send(R"({"type":"upper","data":"c","id":3})");
            if (policy == gateway::unavailable_policy::reject) {
                auto e = co_await c->next_of("error");
                EXPECT_EQ(e["data"].value("code", ""), "service_unavailable");
                EXPECT_EQ(e.value("id", 0), 3);
            }
            // It restarts; the same client is still connected.
            auto again = make_link();
            net::co_spawn(io, again->run(), net::detached);
            while (!gw.service_ready("upper"))
                co_await sleep_for(2ms);
            if (policy == gateway::unavailable_policy::hold) {
                auto held = co_await c->next_of("upper");
                EXPECT_EQ(held["data"], "C");
            }
            co_await c->send(R"({"type":"upper","data":"d","id":4})");
            auto d = co_await c->next_of("upper");
            EXPECT_EQ(d["data"], "D");
            EXPECT_EQ(gw.connections(), 1u);
            again->stop();
        });
    }
}

TEST_P(GatewayProtocol, TheServicePathRefusesAnUnauthenticatedServiceAndBadLinkMessages)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    gateway::hub gw{io.get_executor(), test_config()};
    gw.attach(srv);
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    const std::vector<std::string> bad_links = {R"({"op":"reply","session":1,"type":"x"})", "nonsense",
                                                R"({"op":"hello"})"};
    run(io, [&]() -> net::awaitable<void> {
        unsigned status = 0;
        auto cfg = connect_cfg("not-the-secret");
        cfg.on_response = [&](const client_response& r) { status = r.status(); };
        error_code ec;
        co_await websocket::connect(io.get_executor(), url(ep, "/gateway/services"), cfg, ec);
        EXPECT_EQ(status, 401u);
        auto ws = co_await websocket::connect(io.get_executor(), url(ep, "/gateway/services"),
                                              connect_cfg("service-secret"), ec);
        EXPECT_FALSE(ec) << ec.message();
        for (auto& bad : bad_links) {
            co_await ws.write(bad, ec);
            auto m = co_await ws.read(ec);
            EXPECT_NE(m.data.find("\"op\":\"error\""), std::string::npos) << bad << " -> " << m.data;
        }
        EXPECT_EQ(gw.service_links(), 1u) << "the link stays up";
    });
}

TEST_P(GatewayProtocol, AServerShutdownClosesClientsAndServiceLinksWith1001)
{
    net::io_context io;
    server srv{io.get_executor(), server_cfg()};
    gateway::hub gw{io.get_executor(), test_config()};
    gw.attach(srv);
    auto ep = srv.listen(tp().listen_scheme() + "://127.0.0.1:0");
    bool stopped = false;
    srv.async_wait_stopped([&](error_code) { stopped = true; });
    run(io, [&]() -> net::awaitable<void> {
        auto a = co_await join(io, ep, "user:a");
        auto b = co_await join(io, ep, "user:b");
        error_code ec;
        auto link = co_await websocket::connect(io.get_executor(), url(ep, "/gateway/services"),
                                                connect_cfg("service-secret"), ec);
        EXPECT_FALSE(ec) << ec.message();
        if (!a || !b)
            co_return;
        srv.shutdown();
        std::vector<websocket::stream*> all;
        all.push_back(&a->ws);
        all.push_back(&b->ws);
        all.push_back(&link);
        for (auto* c : all) {
            for (;;) {
                co_await c->read(ec);
                if (ec)
                    break;
            }
            EXPECT_EQ(c->close_code(), 1001);
        }
        while (!stopped)
            co_await sleep_for(5ms);
        EXPECT_EQ(gw.connections(), 0u);
    });
}

INSTANTIATE_TEST_SUITE_P(Http1, GatewayProtocol,
                         ::testing::Values(test::transport{http::version::http1_1, false}),
                         test::transport_name);

} // namespace
