// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Server-Sent Events against peers strata did not write. Chromium's own
// EventSource (over HTTP/1.1 and over h2 with TLS) and the npm `eventsource`
// package read strata's SSE handler, events in order and resumed after each
// reconnection with Last-Event-ID; curl -N shows the raw text/event-stream
// framing; strata's event_source reads a Node server that writes the
// format's corner cases, cuts connections and answers 204 or text/plain.

#include "interop_support.hpp"

#include <strata/client.hpp>
#include <strata/request.hpp>
#include <strata/response.hpp>
#include <strata/sse/event_source.hpp>
#include <strata/sse/handler.hpp>
#include <strata/topic.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <future>
#include <mutex>
#include <sstream>

using namespace strata;
using namespace strata::interop;

namespace {

using clock = std::chrono::steady_clock;

bool ready(const std::future<process_result>& f)
{
    return f.wait_for(0s) == std::future_status::ready;
}

/// Polls `done` until it holds or `limit` passes.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 20s)
{
    auto deadline = clock::now() + limit;
    while (!done()) {
        if (clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

std::future<process_result> start_process(std::vector<std::string> argv, std::chrono::milliseconds timeout)
{
    return std::async(std::launch::async, [argv = std::move(argv), timeout] {
        return run_process(argv, {.timeout = timeout, .stdin_file = {}});
    });
}

/// A string as JavaScript's JSON.stringify writes it: what the node scripts
/// print for an event's data.
std::string json_quote(std::string_view s)
{
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    return out + "\"";
}

/// One delivered event, written the same way for every client so that
/// expected and actual sequences compare (and print) as strings.
std::string delivered(std::string_view type, std::string_view last_event_id, std::string_view data)
{
    return "type=" + std::string(type) + " id=" + std::string(last_event_id) + " data=" + json_quote(data);
}

/// What chromium_sse.js and eventsource_client.js print.
struct client_report {
    std::string protocol; ///< the page's nextHopProtocol (Chromium only)
    int opens = -1;
    std::vector<std::string> events; ///< as delivered() writes them
};

client_report parse_report(const std::string& out)
{
    client_report r;
    std::istringstream in{out};
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("PROTOCOL ")) {
            r.protocol = line.substr(9);
        } else if (line.starts_with("OPENS ")) {
            r.opens = std::atoi(line.c_str() + 6);
        } else if (line.starts_with("EVENT\t")) {
            // EVENT <type> <lastEventId> <data as JSON>; JSON escapes tabs.
            auto a = line.find('\t', 6);
            auto b = a == std::string::npos ? a : line.find('\t', a + 1);
            if (b == std::string::npos) {
                r.events.push_back("malformed line: " + line);
                continue;
            }
            r.events.push_back("type=" + line.substr(6, a - 6) + " id=" + line.substr(a + 1, b - a - 1) +
                               " data=" + line.substr(b + 1));
        }
    }
    return r;
}

// ---- what the tests publish ---------------------------------------------------------

/// An event as published, as a client must deliver it, and as it must look
/// on the wire after its `id:` line.
struct payload {
    std::string_view type;
    std::string_view data;
    std::string_view delivered_data;
    std::string_view wire;
};

// The data the framing has to get right: line breaks of every kind, empty
// lines and empty data, a leading space (the parser drops one), a colon
// first (not a comment inside a data field), UTF-8.
constexpr payload payloads[] = {
    {"", "plain", "plain", "data: plain"},
    {"score", "3-1", "3-1", "event: score\ndata: 3-1"},
    {"", "line one\nline two\nline three", "line one\nline two\nline three",
     "data: line one\ndata: line two\ndata: line three"},
    {"", "p\n\nq", "p\n\nq", "data: p\ndata:\ndata: q"},
    {"", "tail\n", "tail\n", "data: tail\ndata:"},
    {"", " lead", " lead", "data:  lead"},
    {"", "", "", "data:"},
    {"", "cr\r\nlf\rend", "cr\nlf\nend", "data: cr\ndata: lf\ndata: end"},
    {"score", "h\xc3\xa9llo \xe2\x9c\x93", "h\xc3\xa9llo \xe2\x9c\x93",
     "event: score\ndata: h\xc3\xa9llo \xe2\x9c\x93"},
    {"", ": not a comment", ": not a comment", "data: : not a comment"},
};

/// The event types the clients listen for besides "message".
constexpr std::string_view listened_types = "score";

std::vector<std::string> expected_payloads()
{
    std::vector<std::string> out;
    std::uint64_t id = 0;
    for (const auto& p : payloads)
        out.push_back(delivered(p.type.empty() ? "message" : p.type, std::to_string(++id), p.delivered_data));
    return out;
}

// ---- a strata server with SSE routes --------------------------------------------------

/// One request to an SSE route, as the server saw it.
struct stream_record {
    std::string path;
    http::version version = http::version::http1_1;
    std::optional<std::string> last_event_id;
    std::uint64_t topic_last_id = 0; ///< the topic's newest id when the request came
    clock::time_point started;
    clock::time_point ended;
    bool done = false;
};

struct stream_route {
    std::string path;
    sse::handler_config config;
};

/// A strata server on its own thread with http:// and https:// listeners
/// (and quic:// when asked), one topic, and:
///   GET /       a page that opens `new EventSource(stream)` (query parameter
///               `stream`, default /events), listens for "message" and the
///               types in `types` (comma-separated), and keeps what arrives
///               in window.received; window.opens counts open events
///   GET <path>  sse::handler(topic, config) for each stream_route, each
///               request recorded (records())
class sse_peer {
public:
    static constexpr std::string_view page = R"(<!doctype html>
<meta charset="utf-8">
<title>strata SSE interop</title>
<script>
const query = new URLSearchParams(location.search);
window.received = [];
window.opens = 0;
const source = new EventSource(query.get('stream') || '/events');
const keep = (e) => window.received.push({type: e.type, data: e.data, lastEventId: e.lastEventId});
source.onopen = () => { ++window.opens; };
source.onmessage = keep;
for (const type of (query.get('types') || '').split(',').filter(Boolean))
    source.addEventListener(type, keep);
</script>
)";

    explicit sse_peer(const std::vector<stream_route>& routes, bool quic = false)
        : work_(net::make_work_guard(io_))
    {
        auto cert = test_ca().issue("localhost", {"localhost", "127.0.0.1"});
        ca_file_ = dir_.write("ca.pem", test_ca().ca.certificate_pem);
        server_config cfg;
        cfg.tls.certificate_chain_pem = cert.certificate_pem;
        cfg.tls.private_key_pem = cert.private_key_pem;
        cfg.shutdown_timeout = 2s;
        server_ = std::make_unique<server>(io_.get_executor(), cfg);
        server_->route("GET", "/", [](request&, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, page, "text/html; charset=utf-8");
        });
        for (const auto& r : routes) {
            server_->route("GET", r.path,
                           [this, path = r.path, h = sse::handler(topic_, r.config)](
                               request& req, response& res) { return recorded(this, path, h, req, res); });
        }
        http_port_ = server_->listen("http://127.0.0.1:0").port();
        https_port_ = server_->listen("https://127.0.0.1:0").port();
        if (quic)
            quic_port_ = server_->listen("quic://127.0.0.1:0").port();
        thread_ = std::thread([this] { io_.run(); });
    }

    sse_peer(const sse_peer&) = delete;
    sse_peer& operator=(const sse_peer&) = delete;

    ~sse_peer()
    {
        auto stopped = std::make_shared<std::promise<void>>();
        auto done = stopped->get_future();
        net::post(io_, [this, stopped] {
            // Closing the topic ends the streams, which shutdown would wait for.
            topic_.close();
            server_->shutdown();
            server_->async_wait_stopped([stopped](error_code) { stopped->set_value(); });
        });
        done.wait_for(5s);
        work_.reset();
        io_.stop();
        thread_.join();
        server_.reset();
    }

    strata::topic& events() noexcept { return topic_; }
    /// Streams waiting for an event now: a client is connected and served.
    std::size_t waiting() const { return topic_.waiting(); }
    std::uint16_t http_port() const noexcept { return http_port_; }
    std::uint16_t https_port() const noexcept { return https_port_; }
    std::uint16_t quic_port() const noexcept { return quic_port_; }
    const std::string& ca_file() const noexcept { return ca_file_; }

    std::vector<stream_record> records() const
    {
        std::lock_guard lock{mutex_};
        return records_;
    }

private:
    static net::awaitable<void> recorded(sse_peer* self, std::string path, strata::handler h, request& req,
                                         response& res)
    {
        std::size_t index = 0;
        {
            std::lock_guard lock{self->mutex_};
            index = self->records_.size();
            auto id = req.header("Last-Event-ID");
            self->records_.push_back({.path = path,
                                      .version = req.version(),
                                      .last_event_id = id ? std::optional<std::string>(*id) : std::nullopt,
                                      .topic_last_id = self->topic_.last_id(),
                                      .started = clock::now(),
                                      .ended = {},
                                      .done = false});
        }
        co_await h(req, res);
        std::lock_guard lock{self->mutex_};
        self->records_[index].ended = clock::now();
        self->records_[index].done = true;
    }

    temp_dir dir_;
    std::string ca_file_;
    strata::topic topic_;
    mutable std::mutex mutex_;
    std::vector<stream_record> records_;
    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::unique_ptr<server> server_;
    std::uint16_t http_port_ = 0;
    std::uint16_t https_port_ = 0;
    std::uint16_t quic_port_ = 0;
    std::thread thread_;
};

/// A stream that does not end by itself.
sse::handler_config open_stream()
{
    sse::handler_config c;
    c.heartbeat = 15s;
    c.retry = 1000ms;
    return c;
}

/// A stream that ends after max_duration; clients come back after `retry`.
sse::handler_config ending_stream(std::chrono::milliseconds max_duration, std::chrono::milliseconds retry)
{
    sse::handler_config c;
    c.heartbeat = 15s;
    c.retry = retry;
    c.max_duration = max_duration;
    return c;
}

// ---- Chromium and the npm eventsource package against strata ---------------------------

struct client_case {
    std::string name;
    bool chromium = false; ///< Chromium's EventSource; else the npm eventsource package
    bool secure = false;
    /// What carries the stream: Chromium takes h2 by ALPN; Node's fetch
    /// (undici) offers only http/1.1.
    http::version version = http::version::http1_1;
    std::string protocol; ///< nextHopProtocol the page reports (Chromium)
};

// What gtest (and so ctest's test names) shows for a parameter.
void PrintTo(const client_case& c, std::ostream* os)
{
    *os << c.name;
}

class SseClientsAgainstStrata : public ::testing::TestWithParam<client_case> {
protected:
    void SetUp() override
    {
        node_ = require_node({GetParam().chromium ? "playwright-core" : "eventsource"});
        ASSERT_FALSE(node_.empty());
        if (GetParam().chromium) {
            chromium_ = require_program("chromium", "chromium");
            ASSERT_FALSE(chromium_.empty());
        }
    }

    std::string base(const sse_peer& peer) const
    {
        return GetParam().secure ? "https://localhost:" + std::to_string(peer.https_port())
                                 : "http://127.0.0.1:" + std::to_string(peer.http_port());
    }

    /// Starts the client on `path` until it has `count` events.
    std::future<process_result> start_client(const sse_peer& peer, std::string_view path,
                                             std::size_t count) const
    {
        std::vector<std::string> argv;
        if (GetParam().chromium) {
            argv = {node_,
                    script("chromium_sse.js"),
                    "--page=" + base(peer) + "/?stream=" + std::string(path) +
                        "&types=" + std::string(listened_types),
                    "--count=" + std::to_string(count),
                    "--chromium=" + chromium_,
                    "--timeout=20000"};
        } else {
            // Node adds the test CA to its store for fetch's TLS.
            argv = {"env",
                    "NODE_EXTRA_CA_CERTS=" + peer.ca_file(),
                    node_,
                    script("eventsource_client.js"),
                    "--url=" + base(peer) + std::string(path),
                    "--types=" + std::string(listened_types),
                    "--count=" + std::to_string(count),
                    "--timeout=20000"};
        }
        return start_process(std::move(argv), 40s);
    }

    /// Waits until the stream of connection number `n` (from 1) is open on
    /// the server, or the client has exited.
    static bool connected(const sse_peer& peer, std::size_t n, const std::future<process_result>& client)
    {
        eventually([&] { return (peer.records().size() >= n && peer.waiting() > 0) || ready(client); });
        return peer.records().size() >= n && peer.waiting() > 0;
    }

    static std::string why_not(std::future<process_result>& client)
    {
        if (!ready(client))
            return "the client is still running";
        auto r = client.get();
        return "the client exited: " + r.describe() + "\nstdout:\n" + r.out;
    }

    std::string node_;
    std::string chromium_;
};

INSTANTIATE_TEST_SUITE_P(
    Clients, SseClientsAgainstStrata,
    ::testing::Values(client_case{"chromium_http1", true, false, http::version::http1_1, "http/1.1"},
                      client_case{"chromium_h2", true, true, http::version::http2, "h2"},
                      client_case{"eventsource_http1", false, false, http::version::http1_1, ""},
                      client_case{"eventsource_https", false, true, http::version::http1_1, ""}),
    [](const auto& info) { return info.param.name; });

TEST_P(SseClientsAgainstStrata, DeliverEveryPayloadInOrder)
{
    sse_peer peer{{{"/events", open_stream()}}};
    auto expected = expected_payloads();
    auto client = start_client(peer, "/events", expected.size());
    ASSERT_TRUE(connected(peer, 1, client)) << why_not(client);
    for (const auto& p : payloads)
        peer.events().publish(p.type, p.data);

    auto r = client.get();
    ASSERT_TRUE(r.ok()) << r.describe() << "\nstdout:\n" << r.out;
    auto report = parse_report(r.out);
    EXPECT_EQ(report.events, expected);
    EXPECT_EQ(report.opens, 1);
    if (GetParam().chromium) {
        EXPECT_EQ(report.protocol, GetParam().protocol);
    }
    auto records = peer.records();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].version, GetParam().version) << http::to_string(records[0].version);
    EXPECT_FALSE(records[0].last_event_id) << *records[0].last_event_id;
}

TEST_P(SseClientsAgainstStrata, ReconnectWithLastEventIdAndMissNothing)
{
    // Each stream ends after 800 ms; the client waits the 400 ms of `retry:`
    // and comes back with Last-Event-ID. Events published while it is away
    // must arrive after the reconnection, once each.
    constexpr auto retry = 400ms;
    sse_peer peer{{{"/short", ending_stream(800ms, retry)}}};
    auto client = start_client(peer, "/short", 6);
    auto& t = peer.events();

    ASSERT_TRUE(connected(peer, 1, client)) << why_not(client);
    t.publish("one");          // 1
    t.publish("score", "two"); // 2
    ASSERT_TRUE(eventually([&] { return peer.records()[0].done; })) << "the first stream did not end";
    t.publish("three"); // 3, while the client is away
    t.publish("four");  // 4
    ASSERT_TRUE(connected(peer, 2, client)) << why_not(client);
    t.publish("five"); // 5
    ASSERT_TRUE(eventually([&] { return peer.records()[1].done; })) << "the second stream did not end";
    t.publish("score", "six\nseven"); // 6, while away again

    auto r = client.get();
    ASSERT_TRUE(r.ok()) << r.describe() << "\nstdout:\n" << r.out;
    auto report = parse_report(r.out);
    EXPECT_EQ(report.events, (std::vector<std::string>{
                                 delivered("message", "1", "one"),
                                 delivered("score", "2", "two"),
                                 delivered("message", "3", "three"),
                                 delivered("message", "4", "four"),
                                 delivered("message", "5", "five"),
                                 delivered("score", "6", "six\nseven"),
                             }));
    EXPECT_EQ(report.opens, 3);

    auto records = peer.records();
    ASSERT_GE(records.size(), 3u);
    EXPECT_FALSE(records[0].last_event_id);
    // Each reconnection names the last event received, and came after the
    // events published in between: those were sent from the topic's log.
    EXPECT_EQ(records[1].last_event_id, "2");
    EXPECT_EQ(records[1].topic_last_id, 4u);
    EXPECT_EQ(records[2].last_event_id, "5");
    EXPECT_EQ(records[2].topic_last_id, 6u);
    for (std::size_t i = 0; i < records.size(); ++i)
        EXPECT_EQ(records[i].version, GetParam().version) << "connection " << i;
    // The server's `retry:` set the wait, not the clients' default of 3 s.
    for (std::size_t i = 1; i < 3; ++i) {
        auto gap =
            std::chrono::duration_cast<std::chrono::milliseconds>(records[i].started - records[i - 1].ended);
        EXPECT_GE(gap, retry - 100ms) << "reconnection " << i;
        EXPECT_LT(gap, 2500ms) << "reconnection " << i;
    }
}

// ---- curl -N reads the raw stream -------------------------------------------------------

struct curl_case {
    std::string name;
    std::vector<std::string> options;
    bool quic = false;
    std::string status_line;
};

void PrintTo(const curl_case& c, std::ostream* os)
{
    *os << c.name;
}

class SseCurlAgainstStrata : public ::testing::TestWithParam<curl_case> {};

INSTANTIATE_TEST_SUITE_P(Versions, SseCurlAgainstStrata,
                         ::testing::Values(curl_case{"http1", {"--http1.1"}, false, "HTTP/1.1 200 OK"},
                                           curl_case{"h2", {"--http2"}, false, "HTTP/2 200"},
                                           curl_case{"h3", {"--http3-only"}, true, "HTTP/3 200"}),
                         [](const auto& info) { return info.param.name; });

/// The blocks of a text/event-stream that are separated by blank lines. Every
/// line strata writes is non-empty, so "\n\n" occurs only between blocks.
std::vector<std::string> blocks_of(std::string_view body)
{
    std::vector<std::string> out;
    for (auto at = body.find("\n\n"); at != std::string_view::npos; at = body.find("\n\n")) {
        out.emplace_back(body.substr(0, at));
        body.remove_prefix(at + 2);
    }
    if (!body.empty())
        out.emplace_back(body);
    return out;
}

TEST_P(SseCurlAgainstStrata, ShowsTheEventStreamFraming)
{
    const auto& c = GetParam();
    auto curl = require_program("curl", "curl");
    ASSERT_FALSE(curl.empty());
    if (c.quic) {
        auto v = run_process({curl, "--version"}, {.timeout = 10s, .stdin_file = {}});
        ASSERT_TRUE(v.ok()) << v.describe();
        auto features = v.out.substr(v.out.find("Features:"));
        if (features.find(" HTTP3") == std::string::npos)
            GTEST_SKIP() << "this curl was built without HTTP/3 (its Features lack HTTP3)";
    }
    sse::handler_config cfg;
    cfg.heartbeat = 200ms;
    cfg.retry = 1000ms;
    sse_peer peer{{{"/beat", cfg}}, c.quic};

    auto port = c.quic ? peer.quic_port() : c.name == "h2" ? peer.https_port() : peer.http_port();
    auto url =
        (c.name == "http1" ? "http://127.0.0.1:" : "https://localhost:") + std::to_string(port) + "/beat";
    // -N: each piece is shown as it comes; --max-time ends the endless stream.
    std::vector<std::string> argv{curl, "-q", "--silent",  "--show-error", "--noproxy",
                                  "*",  "-N", "--include", "--max-time",   "3"};
    argv.insert(argv.end(), c.options.begin(), c.options.end());
    if (c.name != "http1")
        argv.insert(argv.end(), {"--cacert", peer.ca_file(), "--resolve",
                                 "localhost:" + std::to_string(port) + ":127.0.0.1"});
    argv.push_back(url);
    auto client = start_process(argv, 20s);

    ASSERT_TRUE(eventually([&] { return peer.events().waiting() > 0 || ready(client); }));
    ASSERT_GT(peer.events().waiting(), 0u) << "curl did not connect: " << client.get().describe();
    for (const auto& p : payloads)
        peer.events().publish(p.type, p.data);

    auto r = client.get();
    EXPECT_EQ(r.exit_code, 28) << "curl should stop at --max-time (28), "
                               << r.describe(); // CURLE_OPERATION_TIMEDOUT
    auto responses = parse_responses(r.out);
    ASSERT_EQ(responses.size(), 1u) << r.out;
    const auto& res = responses[0];
    EXPECT_EQ(res.status_line.substr(0, c.status_line.size()), c.status_line);
    EXPECT_EQ(res.field("Content-Type"), "text/event-stream");
    EXPECT_EQ(res.field("Cache-Control"), "no-store");
    EXPECT_FALSE(res.field("Content-Length"));
    if (c.name == "http1") {
        EXPECT_EQ(res.field("Transfer-Encoding"), "chunked");
    }

    // curl stopped between two writes: the body ends with a whole block.
    EXPECT_TRUE(res.body.ends_with("\n\n")) << res.body;
    auto blocks = blocks_of(res.body);
    ASSERT_FALSE(blocks.empty());
    EXPECT_EQ(blocks[0], "retry: 1000");
    std::vector<std::string> events;
    std::size_t heartbeats = 0;
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        if (blocks[i] == ":")
            ++heartbeats;
        else
            events.push_back(blocks[i]);
    }
    std::vector<std::string> expected;
    std::uint64_t id = 0;
    for (const auto& p : payloads)
        expected.push_back("id: " + std::to_string(++id) + "\n" + std::string(p.wire));
    EXPECT_EQ(events, expected);
    // About 2.5 s stayed quiet after the events: a comment every 200 ms.
    EXPECT_GE(heartbeats, 3u) << res.body;
}

// ---- strata's event_source against a Node server ----------------------------------------

class SseEventSourceAgainstNode : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto node = require_node({});
        ASSERT_FALSE(node.empty());
        port_ = free_port();
        log_ = (dir_.path() / "sse_server.log").string();
        std::string error;
        ASSERT_TRUE(
            server_.start({node, script("sse_server.js"), std::to_string(port_), "60000"}, log_, error))
            << error;
        if (!wait_for_port(port_, 10s) || !server_.running()) {
            server_.stop();
            FAIL() << "sse_server.js did not start; its output:\n" << read_file(log_);
        }
    }

    std::string url(std::string_view path) const
    {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
    }

    /// The REQUEST lines the server logged for `path`.
    std::vector<std::string> requests(std::string_view path) const
    {
        std::vector<std::string> out;
        std::istringstream in{read_file(log_)};
        auto prefix = "REQUEST " + std::string(path) + " ";
        for (std::string line; std::getline(in, line);)
            if (line.starts_with(prefix))
                out.push_back(line);
        return out;
    }

    temp_dir dir_;
    child_process server_;
    std::uint16_t port_ = 0;
    std::string log_;
};

std::string delivered(const sse::event& e)
{
    return delivered(e.type, e.last_event_id, e.data);
}

net::awaitable<void> sleep_for(std::chrono::milliseconds d)
{
    net::steady_timer t{co_await net::this_coro::executor, d};
    co_await t.async_wait(net::use_awaitable);
}

TEST_F(SseEventSourceAgainstNode, ReadsEveryLineEndAndResumesAfterACut)
{
    std::vector<std::string> got;
    clock::time_point before_cut, after_cut;
    run_coroutine([&]() -> net::awaitable<void> {
        // Not `cli{co_await ...}`: GCC 12 rejects that one-argument form in a coroutine.
        auto ex = co_await net::this_coro::executor;
        client cli{ex};
        sse::event_source es{cli, url("/stream")};
        for (std::size_t i = 0; i < 7; ++i) {
            error_code ec;
            auto ev = co_await es.next(ec);
            if (ec) {
                ADD_FAILURE() << "event " << i << ": " << ec.message() << " (last error "
                              << es.last_error().message() << ")";
                break;
            }
            got.push_back(delivered(ev));
            if (i == 4) {
                before_cut = clock::now();
                EXPECT_EQ(es.connections(), 1u);
                // "retry: soon" was not a number: the 100 stays.
                EXPECT_EQ(es.reconnection_time(), 100ms);
            } else if (i == 5) {
                after_cut = clock::now();
            }
        }
        EXPECT_EQ(es.connections(), 2u);
        EXPECT_EQ(es.last_event_id(), std::string("5"));
        EXPECT_EQ(es.version(), http::version::http1_1);
        es.close();
    });
    EXPECT_EQ(got, (std::vector<std::string>{
                       delivered("message", "1", "first"),
                       delivered("tick", "2", "line one\nline two"),
                       delivered("message", "2", "no id here"),
                       delivered("tock", "2", "no space"),
                       delivered("message", "3", "caf\xc3\xa9 third"),
                       delivered("message", "4", "resumed after 3"),
                       delivered("done", "5", "fifth\nlast"),
                   }));
    EXPECT_EQ(requests("/stream"), (std::vector<std::string>{
                                       "REQUEST /stream last-event-id=- accept=text/event-stream",
                                       "REQUEST /stream last-event-id=3 accept=text/event-stream",
                                   }));
    // The cut is 50 ms after the last write, then `retry: 100`; the default
    // would be 3 s.
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(after_cut - before_cut);
    EXPECT_GE(gap, 100ms);
    EXPECT_LT(gap, 2000ms);
}

TEST_F(SseEventSourceAgainstNode, ResumesAfterTheLastDispatchedEventWhenCutMidEvent)
{
    // The stream is cut after "id: 2" and a data line, before the blank line
    // that would dispatch them. HTML §9.2.6: the event is dropped, and only a
    // dispatch sets the last event ID string, so the reconnection says 1
    // (Chromium does the same).
    std::vector<std::string> got;
    run_coroutine([&]() -> net::awaitable<void> {
        // Not `cli{co_await ...}`: GCC 12 rejects that one-argument form in a coroutine.
        auto ex = co_await net::this_coro::executor;
        client cli{ex};
        sse::event_source es{cli, url("/cut")};
        for (std::size_t i = 0; i < 2; ++i) {
            error_code ec;
            auto ev = co_await es.next(ec);
            if (ec) {
                ADD_FAILURE() << "event " << i << ": " << ec.message();
                break;
            }
            got.push_back(delivered(ev));
        }
        es.close();
    });
    EXPECT_EQ(got, (std::vector<std::string>{
                       delivered("message", "1", "whole"),
                       delivered("message", "3", "resumed after 1"),
                   }));
    EXPECT_EQ(requests("/cut"), (std::vector<std::string>{
                                    "REQUEST /cut last-event-id=- accept=text/event-stream",
                                    "REQUEST /cut last-event-id=1 accept=text/event-stream",
                                }));
}

TEST_F(SseEventSourceAgainstNode, NoContentFailsTheSourceForGood)
{
    run_coroutine([&]() -> net::awaitable<void> {
        // Not `cli{co_await ...}`: GCC 12 rejects that one-argument form in a coroutine.
        auto ex = co_await net::this_coro::executor;
        client cli{ex};
        sse::source_config cfg;
        cfg.reconnect_delay = 50ms;
        sse::event_source es{cli, url("/nocontent"), cfg};
        error_code ec;
        co_await es.next(ec);
        EXPECT_EQ(ec, sse::error::bad_status) << ec.message();
        EXPECT_EQ(es.state(), sse::ready_state::closed);
        EXPECT_EQ(es.last_status(), 204u);
        EXPECT_EQ(es.connections(), 0u);
        // Many reconnection delays later, asking again tries nothing.
        co_await sleep_for(300ms);
        co_await es.next(ec);
        EXPECT_EQ(ec, sse::error::bad_status) << ec.message();
    });
    EXPECT_EQ(requests("/nocontent"),
              (std::vector<std::string>{"REQUEST /nocontent last-event-id=- accept=text/event-stream"}));
}

TEST_F(SseEventSourceAgainstNode, PlainTextFailsTheSourceForGood)
{
    run_coroutine([&]() -> net::awaitable<void> {
        // Not `cli{co_await ...}`: GCC 12 rejects that one-argument form in a coroutine.
        auto ex = co_await net::this_coro::executor;
        client cli{ex};
        sse::source_config cfg;
        cfg.reconnect_delay = 50ms;
        sse::event_source es{cli, url("/plain"), cfg};
        error_code ec;
        auto ev = co_await es.next(ec);
        EXPECT_EQ(ec, sse::error::bad_content_type) << ec.message();
        EXPECT_TRUE(ev.data.empty()) << "the text/plain body was read as events: " << ev.data;
        EXPECT_EQ(es.state(), sse::ready_state::closed);
        EXPECT_EQ(es.last_status(), 200u);
        EXPECT_EQ(es.connections(), 0u);
        co_await sleep_for(300ms);
        co_await es.next(ec);
        EXPECT_EQ(ec, sse::error::bad_content_type) << ec.message();
    });
    EXPECT_EQ(requests("/plain"),
              (std::vector<std::string>{"REQUEST /plain last-event-id=- accept=text/event-stream"}));
}

} // namespace
