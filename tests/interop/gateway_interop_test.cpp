// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The gateway's client protocol (include/strata/gateway/README.md) spoken by
// clients strata did not write: Debian's python3-websockets and the npm `ws`
// package run scripts/gateway_peer.py and scripts/gateway_peer.js against a
// strata server with a gateway::hub and in-process services, over ws:// and
// wss://, authenticated by ?access_token= or by Authorization: Bearer. The
// scripts check what the gateway sends them; this test checks what the
// gateway and its services saw.
//
// Nothing waits on a clock: the scripts ask the services for what they need
// (a publish while subscribed, pushes), and the pushes made while the user is
// away wait until the gateway has seen its connection end.

#include "interop_support.hpp"

#include <strata/gateway.hpp>
#include <strata/request.hpp>
#include <strata/server.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>

#include <future>
#include <mutex>
#include <sstream>

using namespace strata;
using namespace strata::interop;
using json = nlohmann::json;

namespace {

using clock = std::chrono::steady_clock;

enum class runtime { python, node };

std::vector<std::string> peer_command(runtime rt)
{
    if (rt == runtime::python) {
        auto python = require_python_websockets();
        if (python.empty())
            return {};
        return {python, "-u", script("gateway_peer.py")};
    }
    auto node = require_node({"ws"});
    if (node.empty())
        return {};
    return {node, script("gateway_peer.js")};
}

/// Polls `done` until it holds or `limit` passes.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 20s)
{
    auto deadline = clock::now() + limit;
    while (!done()) {
        if (clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

std::vector<std::string> lines_of(std::string_view text)
{
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

// ---- a strata server with a gateway ----------------------------------------------------------------

/// An opening request the authentication hook accepted.
struct login {
    std::string user;
    bool bearer_header = false; ///< the token came in Authorization
    bool query_token = false;   ///< an access_token query parameter was there
    std::string after;          ///< the query's after; empty when none
};

/// What a pushing service did for notify_user.
struct away_push {
    std::string from;
    std::string to;
    std::size_t connections = 0; ///< the gateway's open connections when it pushed
};

/// A strata server on its own thread with http:// and https:// listeners and
/// a gateway::hub on /gateway. Users are "<user>" and "<user>-admin", the
/// token of each its name; any other token gets 401. Subscribing is allowed
/// to `topic` only. The services, each recording what it gets:
///   echo         replies "echo" with the data as sent
///   scores       broadcast {"topic":T,"count":N}: publishes N "score"
///                {"n":i} on T, then replies "broadcasted"
///   notify       notify {"count":N}: pushes N "note" {"n":i} to the sender;
///                notify_user {"user":U,"count":N}: once U's connections
///                have ended, pushes N "note" {"missed":i} to U; both reply
///                "notified"
class gateway_server {
public:
    static constexpr std::string_view topic = "public/scores";

    explicit gateway_server(std::string user) : user_(std::move(user)), work_(net::make_work_guard(io_))
    {
        auto cert = test_ca().issue("localhost", {"localhost", "127.0.0.1"});
        ca_file_ = dir_.write("ca.pem", test_ca().ca.certificate_pem);
        server_config cfg;
        cfg.tls.certificate_chain_pem = cert.certificate_pem;
        cfg.tls.private_key_pem = cert.private_key_pem;
        cfg.shutdown_timeout = 2s;
        server_ = std::make_unique<server>(io_.get_executor(), cfg);

        gateway::config gc;
        gc.authenticate = [this](const request& req) { return authenticate(req); };
        gc.authorize_subscribe = [this](std::string_view user, std::string_view t) {
            std::lock_guard lock{mutex_};
            subscribe_asks_.emplace_back(user, t);
            return t == topic;
        };
        hub_ = std::make_unique<gateway::hub>(io_.get_executor(), std::move(gc));
        hub_->attach(*server_);

        hub_->add_service("echo", {"echo"},
                          [this](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                              record("echo", m);
                              out.reply(m, "echo", m.data);
                              co_return;
                          });
        hub_->add_service("scores", {"broadcast"},
                          [this](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                              record("scores", m);
                              auto d = json::parse(m.data, nullptr, false);
                              if (!d.is_object() || !d["topic"].is_string() ||
                                  !d["count"].is_number_unsigned()) {
                                  out.reply_error(m, "bad_request", "broadcast needs topic and count");
                                  co_return;
                              }
                              auto name = d["topic"].get<std::string>();
                              auto count = d["count"].get<int>();
                              for (int i = 1; i <= count; ++i)
                                  out.publish(name, "score", R"({"n":)" + std::to_string(i) + "}");
                              out.reply(m, "broadcasted", R"({"count":)" + std::to_string(count) + "}");
                          });
        hub_->add_service("notify", {"notify", "notify_user"},
                          [this](gateway::outbox& out, const gateway::incoming& m) -> net::awaitable<void> {
                              co_await notify(out, m);
                          });

        http_port_ = server_->listen("http://127.0.0.1:0").port();
        https_port_ = server_->listen("https://127.0.0.1:0").port();
        thread_ = std::thread([this] { io_.run(); });
    }

    gateway_server(const gateway_server&) = delete;
    gateway_server& operator=(const gateway_server&) = delete;

    ~gateway_server()
    {
        auto stopped = std::make_shared<std::promise<void>>();
        auto done = stopped->get_future();
        net::post(io_, [this, stopped] {
            hub_->shutdown();
            server_->shutdown();
            server_->async_wait_stopped([stopped](error_code) { stopped->set_value(); });
        });
        done.wait_for(5s);
        work_.reset();
        io_.stop();
        thread_.join();
        hub_.reset();
        server_.reset();
    }

    /// The gateway's URL: wss://localhost (the certificate's name) or ws://127.0.0.1.
    std::string url(bool tls) const
    {
        return tls ? "wss://localhost:" + std::to_string(https_port_) + "/gateway"
                   : "ws://127.0.0.1:" + std::to_string(http_port_) + "/gateway";
    }
    const std::string& ca_file() const noexcept { return ca_file_; }
    std::string admin() const { return user_ + "-admin"; }

    /// Runs `f` on the server's thread (the hub is not thread-safe) and
    /// returns what it returns; fails the test if that takes more than 10 s.
    template <class F>
    auto on_io(F f) -> decltype(f())
    {
        using result = decltype(f());
        auto task = std::make_shared<std::packaged_task<result()>>(std::move(f));
        auto future = task->get_future();
        net::post(io_, [task] { (*task)(); });
        if (future.wait_for(10s) != std::future_status::ready) {
            ADD_FAILURE() << "the server's thread did not answer within 10 s";
            return result{};
        }
        return future.get();
    }
    std::size_t connections()
    {
        return on_io([this] { return hub_->connections(); });
    }
    std::string metrics()
    {
        return on_io([this] { return hub_->metrics(); });
    }

    struct seen_message {
        std::string service;
        gateway::incoming m;
    };
    std::vector<seen_message> messages() const
    {
        std::lock_guard lock{mutex_};
        return messages_;
    }
    std::vector<login> logins() const
    {
        std::lock_guard lock{mutex_};
        return logins_;
    }
    std::size_t refused() const
    {
        std::lock_guard lock{mutex_};
        return refused_;
    }
    std::vector<std::pair<std::string, std::string>> subscribe_asks() const
    {
        std::lock_guard lock{mutex_};
        return subscribe_asks_;
    }
    std::vector<away_push> away_pushes() const
    {
        std::lock_guard lock{mutex_};
        return away_pushes_;
    }

private:
    gateway::auth_result authenticate(const request& req)
    {
        auto token = gateway::bearer_token(req);
        std::lock_guard lock{mutex_};
        if (!token || (*token != user_ && *token != admin())) {
            ++refused_;
            return gateway::auth_result::refuse(401, "unknown token");
        }
        logins_.push_back({.user = *token,
                           .bearer_header = req.header("Authorization").has_value(),
                           .query_token = req.query_param("access_token").has_value(),
                           .after = req.query_param("after").value_or("")});
        return gateway::auth_result::accept(*token);
    }

    void record(std::string service, const gateway::incoming& m)
    {
        std::lock_guard lock{mutex_};
        messages_.push_back({std::move(service), m});
    }

    net::awaitable<void> notify(gateway::outbox& out, const gateway::incoming& m)
    {
        record("notify", m);
        auto d = json::parse(m.data, nullptr, false);
        if (!d.is_object() || !d["count"].is_number_unsigned()) {
            out.reply_error(m, "bad_request", "notify needs a count");
            co_return;
        }
        auto count = d["count"].get<int>();
        if (m.type == "notify") {
            for (int i = 1; i <= count; ++i)
                out.push(m.user, "note", R"({"n":)" + std::to_string(i) + "}");
            out.reply(m, "notified", R"({"count":)" + std::to_string(count) + "}");
            co_return;
        }
        if (!d["user"].is_string()) {
            out.reply_error(m, "bad_request", "notify_user needs a user");
            co_return;
        }
        auto to = d["user"].get<std::string>();
        // Pushed while the user still had a connection, these would reach it
        // live rather than through the resume this is for: wait until the
        // asker's connection is the only one left. The client closed its own
        // before asking, so this wait is for the gateway's bookkeeping only.
        net::steady_timer timer{co_await net::this_coro::executor};
        auto deadline = clock::now() + 10s;
        while (hub_->connections() > 1 && clock::now() < deadline) {
            timer.expires_after(2ms);
            co_await timer.async_wait(net::use_awaitable);
        }
        auto open = hub_->connections();
        if (open > 1) {
            out.reply_error(m, "still_connected", "the user's connection did not end within 10 s");
            co_return;
        }
        for (int i = 1; i <= count; ++i)
            out.push(to, "note", R"({"missed":)" + std::to_string(i) + "}");
        // Not a braced list: GCC 12 miscompiles them inside coroutines.
        away_push done;
        done.from = m.user;
        done.to = to;
        done.connections = open;
        {
            std::lock_guard lock{mutex_};
            away_pushes_.push_back(std::move(done));
        }
        out.reply(m, "notified", R"({"count":)" + std::to_string(count) + "}");
    }

    std::string user_;
    temp_dir dir_;
    std::string ca_file_;
    mutable std::mutex mutex_;
    std::vector<seen_message> messages_;
    std::vector<login> logins_;
    std::size_t refused_ = 0;
    std::vector<std::pair<std::string, std::string>> subscribe_asks_;
    std::vector<away_push> away_pushes_;
    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::unique_ptr<server> server_;
    std::unique_ptr<gateway::hub> hub_;
    std::uint16_t http_port_ = 0;
    std::uint16_t https_port_ = 0;
    std::thread thread_;
};

// ---- the cases ---------------------------------------------------------------------------------------

struct gateway_case {
    std::string name;
    runtime rt = runtime::python;
    std::string auth; ///< the scripts' --auth: query or header
    bool tls = false;
};

// What gtest (and so ctest's test names) shows for a parameter.
void PrintTo(const gateway_case& c, std::ostream* os)
{
    *os << c.name;
}

std::vector<gateway_case> gateway_cases()
{
    std::vector<gateway_case> out;
    for (auto rt : {runtime::python, runtime::node}) {
        std::string prefix = rt == runtime::python ? "python_" : "node_";
        out.push_back({.name = prefix + "query", .rt = rt, .auth = "query", .tls = false});
        out.push_back({.name = prefix + "header", .rt = rt, .auth = "header", .tls = false});
        // Over TLS, each peer sends its token a different way: both ways are covered there too.
        auto auth = rt == runtime::python ? "header" : "query";
        out.push_back({.name = prefix + "tls_" + auth, .rt = rt, .auth = auth, .tls = true});
    }
    return out;
}

/// Whether the metrics hold the line `sample value` exactly.
void expect_metric(const std::string& metrics, std::string_view sample, std::uint64_t value)
{
    auto line = std::string(sample) + " " + std::to_string(value) + "\n";
    EXPECT_NE(metrics.find(line), std::string::npos)
        << "no line `" << std::string_view(line).substr(0, line.size() - 1) << "` in the metrics:\n"
        << metrics;
}

class GatewayClientsAgainstStrata : public ::testing::TestWithParam<gateway_case> {};

INSTANTIATE_TEST_SUITE_P(Peers, GatewayClientsAgainstStrata, ::testing::ValuesIn(gateway_cases()),
                         [](const auto& info) { return info.param.name; });

TEST_P(GatewayClientsAgainstStrata, SpeakTheEnvelopeProtocolAndResumeTheirMailbox)
{
    const auto& c = GetParam();
    auto argv = peer_command(c.rt);
    ASSERT_FALSE(argv.empty());
    const std::string user = c.rt == runtime::python ? "ana-py" : "ana-node";
    gateway_server gw{user};
    argv.insert(argv.end(), {"--url=" + gw.url(c.tls), "--user=" + user, "--topic=" + std::string(gw.topic),
                             "--auth=" + c.auth});
    if (c.tls)
        argv.push_back("--ca=" + gw.ca_file());
    auto r = run_process(argv, {.timeout = 60s, .stdin_file = {}});
    ASSERT_TRUE(r.ok()) << r.describe() << "\nstdout:\n" << r.out;

    // What the script saw, all of which it has checked already; what the
    // gateway says about itself is checked here against it.
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    auto seen = json::parse(lines[0], nullptr, false);
    ASSERT_TRUE(seen.is_object()) << lines[0];
    RecordProperty("seen", lines[0]);
    EXPECT_EQ(seen.value("peer", ""), c.rt == runtime::python ? "python" : "node");
    EXPECT_EQ(seen.value("tls", !c.tls), c.tls);
    EXPECT_EQ(seen.value("refused", 0), 401);
    EXPECT_EQ(seen.value("user", ""), user);
    EXPECT_EQ(seen["echo_ids"], json::parse(R"([7,"e-2","e-3"])"));
    EXPECT_EQ(seen["topic_seqs"], json::parse("[1,2,3]"));
    EXPECT_EQ(seen["errors"], json::parse(R"(["bad_envelope","bad_envelope","bad_envelope","bad_envelope",
                                              "bad_envelope","bad_envelope","unknown_type"])"));
    EXPECT_EQ(seen.value("pong_id", ""), "p-1");
    EXPECT_EQ(seen["mailbox_seqs"], json::parse("[1,2]"));
    EXPECT_EQ(seen.value("resume_welcome_seq", 0), 5);
    EXPECT_EQ(seen["resumed_seqs"], json::parse("[3,4,5]"));
    EXPECT_EQ(seen.value("new_seq", 0), 6);
    EXPECT_EQ(seen["close_codes"], json::parse("[1000,1000,1000]"));
    const auto session = seen.value("session", gateway::session_id{0});
    const auto admin_session = seen.value("admin_session", gateway::session_id{0});
    const auto resume_session = seen.value("resume_session", gateway::session_id{0});
    EXPECT_NE(session, 0u);
    EXPECT_NE(admin_session, session);
    EXPECT_NE(resume_session, session);
    EXPECT_NE(resume_session, admin_session);

    // Every connection the script closed has ended on the gateway's side too.
    ASSERT_TRUE(eventually([&] { return gw.connections() == 0; })) << gw.metrics();

    // The opening requests: the token where the case put it, and the cursor.
    EXPECT_EQ(gw.refused(), 1u);
    auto logins = gw.logins();
    ASSERT_EQ(logins.size(), 3u);
    const std::vector<std::string> users = {user, gw.admin(), user};
    for (std::size_t i = 0; i < logins.size(); ++i) {
        SCOPED_TRACE("login " + std::to_string(i));
        EXPECT_EQ(logins[i].user, users[i]);
        EXPECT_EQ(logins[i].bearer_header, c.auth == "header");
        EXPECT_EQ(logins[i].query_token, c.auth == "query");
    }
    EXPECT_EQ(logins[0].after, "");
    EXPECT_EQ(logins[2].after, "2");
    const std::vector<std::pair<std::string, std::string>> asks = {{user, std::string(gw.topic)}};
    EXPECT_EQ(gw.subscribe_asks(), asks);

    // The services got the envelopes in order, stamped with the connection's
    // identity (not the "user" inside data), data as the client wrote it.
    auto messages = gw.messages();
    struct expected_message {
        std::string service, type, data, id, user;
        gateway::session_id session;
    };
    const std::string echo_data = R"({"text":"h)"
                                  "\xc3\xa9llo \xe2\x9c\x93"
                                  R"(","q":"say \"hi\"","user":"mallory","n":1.50})";
    const std::vector<expected_message> expected = {
        {"echo", "echo", echo_data, "7", user, session},
        {"echo", "echo", R"([1, 2, {"deep":[null,true]}])", R"("e-2")", user, session},
        {"echo", "echo", "null", R"("e-3")", user, session},
        {"scores", "broadcast", R"({"topic":"public/scores","count":3})", R"("b-1")", user, session},
        {"echo", "echo", R"("still here")", R"("m-8")", user, session},
        {"notify", "notify", R"({"count":2})", R"("n-1")", user, session},
        {"notify", "notify_user", R"({"user":")" + user + R"(","count":3})", R"("c-1")", gw.admin(),
         admin_session},
        {"notify", "notify", R"({"count":1})", R"("n-2")", user, resume_session},
    };
    ASSERT_EQ(messages.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        SCOPED_TRACE("message " + std::to_string(i) + ": " + expected[i].type);
        const auto& [service, m] = messages[i];
        EXPECT_EQ(service, expected[i].service);
        EXPECT_EQ(m.type, expected[i].type);
        EXPECT_EQ(m.data, expected[i].data);
        EXPECT_EQ(m.id, expected[i].id);
        EXPECT_EQ(m.user, expected[i].user);
        EXPECT_EQ(m.session, expected[i].session);
    }
    auto away = gw.away_pushes();
    ASSERT_EQ(away.size(), 1u);
    EXPECT_EQ(away[0].from, gw.admin());
    EXPECT_EQ(away[0].to, user);
    EXPECT_EQ(away[0].connections, 1u) << "only the asking connection was open while it pushed";

    // The gateway's own counts of the same conversation.
    auto metrics = gw.metrics();
    expect_metric(metrics, "strata_gateway_connections", 0);
    expect_metric(metrics, "strata_gateway_connections_total", 3);
    expect_metric(metrics, "strata_gateway_refused_total", 1);
    expect_metric(metrics, R"(strata_gateway_messages_in_total{type="echo"})", 4);
    expect_metric(metrics, R"(strata_gateway_messages_in_total{type="subscribe"})", 1);
    expect_metric(metrics, R"(strata_gateway_messages_in_total{type="broadcast"})", 1);
    expect_metric(metrics, R"(strata_gateway_messages_in_total{type="ping"})", 1);
    expect_metric(metrics, R"(strata_gateway_messages_in_total{type="notify"})", 2);
    expect_metric(metrics, R"(strata_gateway_messages_in_total{type="notify_user"})", 1);
    expect_metric(metrics, "strata_gateway_messages_in_total{type=\"(bad)\"}", 6);
    expect_metric(metrics, "strata_gateway_messages_in_total{type=\"(unknown)\"}", 1);
    expect_metric(metrics, R"(strata_gateway_errors_total{code="bad_envelope"})", 6);
    expect_metric(metrics, R"(strata_gateway_errors_total{code="unknown_type"})", 1);
    expect_metric(metrics, R"(strata_gateway_messages_out_total{type="welcome"})", 3);
    expect_metric(metrics, R"(strata_gateway_messages_out_total{type="subscribed"})", 1);
    expect_metric(metrics, R"(strata_gateway_messages_out_total{type="echo"})", 4);
    expect_metric(metrics, R"(strata_gateway_messages_out_total{type="score"})", 3);
    expect_metric(metrics, R"(strata_gateway_messages_out_total{type="pong"})", 1);
    expect_metric(metrics, R"(strata_gateway_messages_out_total{type="notified"})", 3);
    // 2 live, 3 replayed on the resume, 1 new: none twice.
    expect_metric(metrics, R"(strata_gateway_messages_out_total{type="note"})", 6);
    expect_metric(metrics, "strata_gateway_mailbox_events", 6);
    expect_metric(metrics, R"(strata_gateway_service_handled_total{service="echo"})", 4);
    expect_metric(metrics, R"(strata_gateway_service_handled_total{service="scores"})", 1);
    expect_metric(metrics, R"(strata_gateway_service_handled_total{service="notify"})", 3);
    expect_metric(metrics, R"(strata_gateway_drops_total{reason="too_many_errors"})", 0);
    expect_metric(metrics, R"(strata_gateway_drops_total{reason="slow_consumer"})", 0);
    expect_metric(metrics, "strata_gateway_gaps_total", 0);
    expect_metric(metrics, "strata_gateway_subscriptions", 0);
}

} // namespace
