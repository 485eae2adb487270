// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// WebSockets against peers strata did not write. Debian's python3-websockets
// and the npm `ws` package, each as a client of strata's server and as the
// server of strata's client, with permessage-deflate (RFC 7692) off, on,
// without context takeover and with 10-bit windows; Chromium's own WebSocket
// against strata's server over HTTP/1.1 and over h2 (RFC 8441); and frames a
// real peer gets wrong after a real handshake (not UTF-8, not masked, too
// big), which strata must close with RFC 6455's codes (1007, 1002, 1009).

#include "interop_support.hpp"

#include <strata/request.hpp>
#include <strata/response.hpp>
#include <strata/server.hpp>
#include <strata/websocket/error.hpp>
#include <strata/websocket/handler.hpp>
#include <strata/websocket/stream.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include <future>
#include <mutex>
#include <regex>
#include <sstream>

using namespace strata;
using namespace strata::interop;

namespace {

using clock = std::chrono::steady_clock;

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

std::span<const std::byte> bytes_of(std::string_view s)
{
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// ---- what every peer sends ----------------------------------------------------------------

/// `n` bytes of every value whose repeats lie far apart: 1 MiB deflates to
/// 14 KiB with a 15-bit window but only to 240 KiB with a 10-bit one, so a
/// compressor that reaches past the window agreed breaks the peer's
/// inflater. The scripts and the page make the same (floor(i * 2654435761 /
/// 8192) mod 256 is exact in a JavaScript double for these sizes).
std::string pattern(std::size_t n)
{
    std::string out(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<char>((i * 2654435761ull / 8192) % 256);
    return out;
}

/// `n` bytes deflate cannot shrink (xorshift32), as the scripts and the page make them.
std::string noise(std::size_t n)
{
    std::string out(n, '\0');
    std::uint32_t x = 2463534242u;
    for (std::size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = static_cast<char>(x & 0xff);
    }
    return out;
}

struct peer_message {
    std::string name;
    websocket::message_type type;
    std::string data;
};

/// The messages ws_peer.py, ws_peer.js and the Chromium page send, in this
/// order: empty text and binary, UTF-8 of 2, 3 and 4 bytes, text that
/// deflate shrinks, 1 MiB whose repeats lie far apart, and noise that
/// deflate cannot shrink.
const std::vector<peer_message>& peer_messages()
{
    using websocket::message_type;
    static const std::vector<peer_message> messages = [] {
        std::string repetitive;
        for (int i = 0; i < 4096; ++i)
            repetitive += "strata websocket ";
        return std::vector<peer_message>{
            {"text", message_type::text, "hello, strata"},
            {"utf8", message_type::text, "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9d\x84\x9e"},
            {"empty_text", message_type::text, ""},
            {"empty_binary", message_type::binary, ""},
            {"repetitive", message_type::text, repetitive},
            {"mib", message_type::binary, pattern(1024 * 1024)},
            {"noise", message_type::binary, noise(64 * 1024)},
        };
    }();
    return messages;
}

/// What the scripts print once every message came back unchanged.
std::vector<std::string> echoes_ok()
{
    std::vector<std::string> out;
    for (const auto& m : peer_messages())
        out.push_back("ECHO " + m.name + " ok");
    return out;
}

// ---- permessage-deflate as negotiated --------------------------------------------------------

/// A parameter of the permessage-deflate element of a Sec-WebSocket-Extensions
/// value: its value ("" when it has none), nullopt when absent.
std::optional<std::string> deflate_param(std::string_view header, std::string_view name)
{
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
            s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
            s.remove_suffix(1);
        return s;
    };
    // An answer holds one extension: the first element is the one.
    header = header.substr(0, header.find(','));
    bool first = true;
    while (!header.empty()) {
        auto semi = header.find(';');
        auto item = trim(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        if (first) {
            if (item != "permessage-deflate")
                return std::nullopt;
            first = false;
            continue;
        }
        auto eq = item.find('=');
        if (trim(item.substr(0, eq)) != name)
            continue;
        if (eq == std::string_view::npos)
            return std::string{};
        auto value = trim(item.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        return std::string(value);
    }
    return std::nullopt;
}

bool has_deflate(std::string_view header)
{
    auto first = header.substr(0, std::min(header.find(';'), header.find(',')));
    while (!first.empty() && first.back() == ' ')
        first.remove_suffix(1);
    return first == "permessage-deflate";
}

/// The deflate settings a peer script runs with (--deflate=...).
enum class deflate_variant { off, on, no_context_takeover, window_bits_10 };

std::string_view to_string(deflate_variant v)
{
    switch (v) {
    case deflate_variant::off:
        return "off";
    case deflate_variant::on:
        return "on";
    case deflate_variant::no_context_takeover:
        return "no_context_takeover";
    case deflate_variant::window_bits_10:
        return "window_bits_10";
    }
    return "?";
}

/// Checks the Sec-WebSocket-Extensions answer of a handshake: strata's
/// (`strata_answered`, to a peer's offer made with `v`) or a peer server's
/// (run with `v`, to strata's offer).
void expect_negotiated(std::string_view answer, deflate_variant v, bool strata_answered)
{
    SCOPED_TRACE("Sec-WebSocket-Extensions: " + std::string(answer));
    if (v == deflate_variant::off) {
        EXPECT_EQ(answer, "-") << "no extension was offered or enabled";
        return;
    }
    ASSERT_TRUE(has_deflate(answer)) << "permessage-deflate was not negotiated";
    if (v == deflate_variant::no_context_takeover) {
        // RFC 7692 §7.1.1.1: a server accepting an offer with
        // server_no_context_takeover says so in its answer; a peer server
        // configured with both sends both.
        EXPECT_EQ(deflate_param(answer, "server_no_context_takeover"), "");
        if (!strata_answered) {
            EXPECT_EQ(deflate_param(answer, "client_no_context_takeover"), "");
        }
    } else if (v == deflate_variant::window_bits_10) {
        // RFC 7692 §7.1.2.1: accepting server_max_window_bits=10 means
        // answering with it, at 10 or less.
        auto bits = deflate_param(answer, "server_max_window_bits");
        ASSERT_TRUE(bits.has_value()) << "server_max_window_bits missing";
        EXPECT_LE(std::atoi(bits->c_str()), 10);
        EXPECT_GE(std::atoi(bits->c_str()), 8);
        if (auto client_bits = deflate_param(answer, "client_max_window_bits")) {
            EXPECT_LE(std::atoi(client_bits->c_str()), 10);
            EXPECT_GE(std::atoi(client_bits->c_str()), 8);
        }
    }
}

// ---- a strata server with WebSocket routes ----------------------------------------------------

/// One WebSocket as strata's server saw it.
struct session_record {
    std::string path;
    http::version version = http::version::http1_1;
    std::string offered_extensions; ///< the request's Sec-WebSocket-Extensions; "-" when none
    std::string subprotocol;
    bool deflate = false;
    std::vector<websocket::message> messages;
    error_code read_error; ///< what ended the echo loop
    std::uint16_t close_code = 0;
    std::string close_reason;
    bool done = false;
};

/// The records for a failure message.
std::string describe(const std::vector<session_record>& records)
{
    std::ostringstream out;
    out << "\nthe server saw " << records.size() << " WebSocket(s)";
    for (const auto& r : records) {
        out << "\n  " << r.path << " " << http::to_string(r.version) << " offered=[" << r.offered_extensions
            << "] subprotocol=[" << r.subprotocol << "] deflate=" << r.deflate
            << " messages=" << r.messages.size() << " ended with: " << r.read_error.message()
            << " close_code=" << r.close_code << " done=" << r.done;
    }
    return out.str();
}

/// A strata server on its own thread with http:// and https:// listeners
/// (HTTP/1.1, and h2 by ALPN with extended CONNECT allowed):
///   GET /       a page whose script opens `new WebSocket(...)` to the path
///               in its query parameter `path`, offering the subprotocols in
///               `protocols` (comma-separated), sends peer_messages(), checks
///               each echo, closes with 1000, and keeps what it saw in window.log
///   /echo       permessage-deflate and the subprotocols strata.echo and
///               strata.v1, messages up to 16 MiB
///   /plain      no extension, no subprotocol
///   /small      no extension, messages up to small_limit bytes
/// Every WebSocket echoes what it reads, and is recorded (records()).
class ws_server {
public:
    static constexpr std::string_view page = R"(<!doctype html>
<meta charset="utf-8">
<title>strata WebSocket interop</title>
<script>
'use strict';
window.log = [];
window.done = false;
function pattern(n) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; ++i)
        out[i] = Math.floor((i * 2654435761) / 8192) % 256;
    return out.buffer;
}
function noise(n) {
    const out = new Uint8Array(n);
    let x = 2463534242;
    for (let i = 0; i < n; ++i) {
        x = (x ^ (x << 13)) >>> 0;
        x = (x ^ (x >>> 17)) >>> 0;
        x = (x ^ (x << 5)) >>> 0;
        out[i] = x & 0xff;
    }
    return out.buffer;
}
const messages = [
    ['text', 'hello, strata'],
    ['utf8', 'h\u00e9llo \u2713 \u{1d11e}'],
    ['empty_text', ''],
    ['empty_binary', new ArrayBuffer(0)],
    ['repetitive', 'strata websocket '.repeat(4096)],
    ['mib', pattern(1024 * 1024)],
    ['noise', noise(64 * 1024)],
];
function same(a, b) {
    if (typeof a === 'string' || typeof b === 'string')
        return a === b;
    if (!(a instanceof ArrayBuffer) || !(b instanceof ArrayBuffer) || a.byteLength !== b.byteLength)
        return false;
    const x = new Uint8Array(a), y = new Uint8Array(b);
    for (let i = 0; i < x.length; ++i)
        if (x[i] !== y[i])
            return false;
    return true;
}
const query = new URLSearchParams(location.search);
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + query.get('path'),
                         (query.get('protocols') || '').split(',').filter(Boolean));
ws.binaryType = 'arraybuffer';
let next = 0;
ws.onopen = () => {
    window.log.push(`OPEN protocol=${ws.protocol || '-'} extensions=${ws.extensions || '-'}`);
    ws.send(messages[0][1]);
};
ws.onmessage = (e) => {
    const [name, sent] = messages[next];
    window.log.push(`ECHO ${name} ${same(e.data, sent) ? 'ok' : 'mismatch'}`);
    if (++next < messages.length)
        ws.send(messages[next][1]);
    else
        ws.close(1000, 'chromium done');
};
ws.onerror = () => window.log.push('ERROR');
ws.onclose = (e) => {
    window.log.push(`CLOSED ${e.code} ${e.reason} clean=${e.wasClean}`);
    window.done = true;
};
</script>
)";
    static constexpr std::size_t small_limit = 64 * 1024;

    ws_server() : work_(net::make_work_guard(io_))
    {
        auto cert = test_ca().issue("localhost", {"localhost", "127.0.0.1"});
        server_config cfg;
        cfg.tls.certificate_chain_pem = cert.certificate_pem;
        cfg.tls.private_key_pem = cert.private_key_pem;
        cfg.shutdown_timeout = 2s;
        // RFC 8441 §3: without SETTINGS_ENABLE_CONNECT_PROTOCOL no h2 client
        // may open a WebSocket on the connection.
        cfg.http2.enable_connect_protocol = true;
        server_ = std::make_unique<server>(io_.get_executor(), cfg);
        server_->route("GET", "/", [](request&, response& res) -> net::awaitable<void> {
            co_await res.send(status::ok, page, "text/html; charset=utf-8");
        });

        websocket::accept_config echo;
        echo.deflate.enable = true;
        echo.subprotocols = {"strata.echo", "strata.v1"};
        echo.codec.max_message_bytes = 16 * 1024 * 1024;
        websocket::route(*server_, "/echo", session("/echo"), echo);

        websocket::accept_config plain;
        plain.codec.max_message_bytes = 16 * 1024 * 1024;
        websocket::route(*server_, "/plain", session("/plain"), plain);

        websocket::accept_config small;
        small.codec.max_message_bytes = small_limit;
        websocket::route(*server_, "/small", session("/small"), small);

        http_port_ = server_->listen("http://127.0.0.1:0").port();
        https_port_ = server_->listen("https://127.0.0.1:0").port();
        thread_ = std::thread([this] { io_.run(); });
    }

    ws_server(const ws_server&) = delete;
    ws_server& operator=(const ws_server&) = delete;

    ~ws_server()
    {
        auto stopped = std::make_shared<std::promise<void>>();
        auto done = stopped->get_future();
        net::post(io_, [this, stopped] {
            server_->shutdown();
            server_->async_wait_stopped([stopped](error_code) { stopped->set_value(); });
        });
        done.wait_for(5s);
        work_.reset();
        io_.stop();
        thread_.join();
        server_.reset();
    }

    std::string ws_url(std::string_view path) const
    {
        return "ws://127.0.0.1:" + std::to_string(http_port_) + std::string(path);
    }
    std::uint16_t http_port() const noexcept { return http_port_; }
    std::uint16_t https_port() const noexcept { return https_port_; }

    std::vector<session_record> records() const
    {
        std::lock_guard lock{mutex_};
        return records_;
    }

    /// Waits until `n` WebSockets have ended; false if they did not in time.
    bool wait_done(std::size_t n) const
    {
        return eventually([&] {
            std::lock_guard lock{mutex_};
            if (records_.size() < n)
                return false;
            for (const auto& r : records_)
                if (!r.done)
                    return false;
            return true;
        });
    }

private:
    websocket::session session(std::string path)
    {
        // Not a coroutine lambda: its captures would die with the lambda
        // object while the coroutine runs on.
        return [this, path](websocket::stream& ws, request& req) { return echo(this, path, ws, req); };
    }

    static net::awaitable<void> echo(ws_server* self, std::string path, websocket::stream& ws, request& req)
    {
        std::size_t index = 0;
        {
            std::lock_guard lock{self->mutex_};
            index = self->records_.size();
            session_record r;
            r.path = std::move(path);
            r.version = req.version();
            r.offered_extensions = req.header("Sec-WebSocket-Extensions").value_or("-");
            r.subprotocol = ws.subprotocol();
            r.deflate = ws.deflate();
            self->records_.push_back(std::move(r));
        }
        error_code ec;
        for (;;) {
            auto m = co_await ws.read(ec);
            if (ec)
                break;
            {
                std::lock_guard lock{self->mutex_};
                self->records_[index].messages.push_back(m);
            }
            co_await ws.write(m.type, bytes_of(m.data), ec);
            if (ec)
                break;
        }
        std::lock_guard lock{self->mutex_};
        auto& r = self->records_[index];
        r.read_error = ec;
        r.close_code = ws.close_code();
        r.close_reason = ws.close_reason();
        r.done = true;
    }

    mutable std::mutex mutex_;
    std::vector<session_record> records_;
    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::unique_ptr<server> server_;
    std::uint16_t http_port_ = 0;
    std::uint16_t https_port_ = 0;
    std::thread thread_;
};

/// Every message a peer sent arrived whole and in order.
void expect_peer_messages(const std::vector<websocket::message>& got)
{
    const auto& sent = peer_messages();
    ASSERT_EQ(got.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(got[i].type, sent[i].type) << sent[i].name;
        EXPECT_EQ(got[i].data.size(), sent[i].data.size()) << sent[i].name;
        EXPECT_TRUE(got[i].data == sent[i].data) << sent[i].name << " arrived changed";
    }
}

// ---- the peers ------------------------------------------------------------------------------

enum class runtime { python, node };

struct peer_case {
    std::string name;
    runtime rt = runtime::python;
    deflate_variant deflate = deflate_variant::on;
};

// What gtest (and so ctest's test names) shows for a parameter.
void PrintTo(const peer_case& c, std::ostream* os)
{
    *os << c.name;
}

std::vector<peer_case> peer_cases()
{
    std::vector<peer_case> out;
    for (auto rt : {runtime::python, runtime::node}) {
        for (auto v : {deflate_variant::off, deflate_variant::on, deflate_variant::no_context_takeover,
                       deflate_variant::window_bits_10}) {
            out.push_back(
                {.name = std::string(rt == runtime::python ? "python_" : "node_") + std::string(to_string(v)),
                 .rt = rt,
                 .deflate = v});
        }
    }
    return out;
}

/// The command that runs ws_peer.py or ws_peer.js; empty (and the test
/// failed) when the peer is not installed.
std::vector<std::string> peer_command(runtime rt)
{
    if (rt == runtime::python) {
        auto python = require_python_websockets();
        if (python.empty())
            return {};
        // -u: each line reaches the log as it is printed.
        return {python, "-u", script("ws_peer.py")};
    }
    auto node = require_node({"ws"});
    if (node.empty())
        return {};
    return {node, script("ws_peer.js")};
}

/// The script's first line: "OPEN subprotocol=<name> extensions=<value>".
struct open_line {
    std::string subprotocol;
    std::string extensions;
};

std::optional<open_line> parse_open(std::string_view line)
{
    static const std::regex re{"^OPEN subprotocol=(\\S+) extensions=(.*)$"};
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_match(line.begin(), line.end(), m, re))
        return std::nullopt;
    return open_line{m[1].str(), m[2].str()};
}

/// The code of a "CLOSED <code> <reason>..." line; 0 when it is not one.
int close_code_of(std::string_view line)
{
    static const std::regex re{"^CLOSED ([0-9]+) .*$"};
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_match(line.begin(), line.end(), m, re))
        return 0;
    return std::stoi(m[1].str());
}

// ---- python3-websockets and npm ws as clients of strata's server ------------------------------

class WebSocketClientsAgainstStrata : public ::testing::TestWithParam<peer_case> {};

INSTANTIATE_TEST_SUITE_P(Peers, WebSocketClientsAgainstStrata, ::testing::ValuesIn(peer_cases()),
                         [](const auto& info) { return info.param.name; });

TEST_P(WebSocketClientsAgainstStrata, EchoPingSubprotocolAndClose)
{
    const auto& c = GetParam();
    auto argv = peer_command(c.rt);
    ASSERT_FALSE(argv.empty());
    ws_server srv;
    // The client offers two subprotocols; strata picks by its own preference.
    argv.insert(argv.end(), {"client", "--url=" + srv.ws_url("/echo"), "--scenario=echo",
                             "--deflate=" + std::string(to_string(c.deflate)),
                             "--subprotocols=chat.other,strata.v1,strata.echo"});
    auto r = run_process(argv, {.timeout = 60s, .stdin_file = {}});
    ASSERT_TRUE(r.ok()) << r.describe() << "\nstdout:\n" << r.out;

    auto lines = lines_of(r.out);
    ASSERT_FALSE(lines.empty());
    auto open = parse_open(lines[0]);
    ASSERT_TRUE(open) << lines[0];
    EXPECT_EQ(open->subprotocol, "strata.echo");
    RecordProperty("sec_websocket_extensions", open->extensions); // strata's answer, in the XML report
    expect_negotiated(open->extensions, c.deflate, true);

    const std::string goodbye = c.rt == runtime::python ? "python says goodbye" : "node says goodbye";
    auto expected = echoes_ok();
    expected.push_back("PONG ok");
    ASSERT_EQ(lines.size(), expected.size() + 2) << r.out;
    EXPECT_EQ(std::vector<std::string>(lines.begin() + 1, lines.end() - 1), expected);
    // strata answers the close with the code it got (RFC 6455 §5.5.1); the
    // reason is its own to choose.
    EXPECT_EQ(close_code_of(lines.back()), 4000) << lines.back();

    ASSERT_TRUE(srv.wait_done(1)) << "the server's WebSocket did not end";
    auto records = srv.records();
    ASSERT_EQ(records.size(), 1u);
    const auto& rec = records[0];
    EXPECT_EQ(rec.version, http::version::http1_1);
    EXPECT_EQ(rec.subprotocol, "strata.echo");
    EXPECT_EQ(rec.deflate, c.deflate != deflate_variant::off);
    EXPECT_EQ(has_deflate(rec.offered_extensions), c.deflate != deflate_variant::off)
        << rec.offered_extensions;
    expect_peer_messages(rec.messages);
    EXPECT_EQ(rec.read_error, websocket::error::closed) << rec.read_error.message();
    EXPECT_EQ(rec.close_code, 4000);
    EXPECT_EQ(rec.close_reason, goodbye);
}

// ---- strata's client against python3-websockets and npm ws servers ----------------------------

class WebSocketStrataAgainstServers : public ::testing::TestWithParam<peer_case> {
protected:
    void SetUp() override
    {
        auto argv = peer_command(GetParam().rt);
        ASSERT_FALSE(argv.empty());
        argv.insert(argv.end(), {"server", "--deflate=" + std::string(to_string(GetParam().deflate)),
                                 "--subprotocols=strata.echo"});
        log_ = (dir_.path() / "ws_peer.log").string();
        std::string error;
        ASSERT_TRUE(server_.start(argv, log_, error)) << error;
        static const std::regex listening{"LISTENING ([0-9]+)"};
        std::smatch m;
        auto found = eventually(
            [&] {
                auto text = read_file(log_);
                if (std::regex_search(text, m, listening)) {
                    port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
                    return true;
                }
                return !server_.running();
            },
            15s);
        if (!found || port_ == 0) {
            server_.stop();
            FAIL() << "ws_peer did not start; its output:\n" << read_file(log_);
        }
    }

    /// The lines the peer server logged that begin with `prefix`.
    std::vector<std::string> logged(std::string_view prefix) const
    {
        std::vector<std::string> out;
        for (auto& line : lines_of(read_file(log_)))
            if (line.starts_with(prefix))
                out.push_back(line);
        return out;
    }

    temp_dir dir_;
    child_process server_;
    std::string log_;
    std::uint16_t port_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Peers, WebSocketStrataAgainstServers, ::testing::ValuesIn(peer_cases()),
                         [](const auto& info) { return info.param.name; });

TEST_P(WebSocketStrataAgainstServers, EchoPingAndServerClose)
{
    const auto& c = GetParam();
    const std::string going_away =
        c.rt == runtime::python ? "python server going away" : "node server going away";
    run_coroutine(
        [&]() -> net::awaitable<void> {
            auto ex = co_await net::this_coro::executor;
            websocket::connect_config cfg;
            cfg.deflate.enable = c.deflate != deflate_variant::off;
            cfg.subprotocols = {"strata.echo"};
            cfg.codec.max_message_bytes = 16 * 1024 * 1024;
            error_code ec;
            auto ws =
                co_await websocket::connect(ex, "ws://127.0.0.1:" + std::to_string(port_) + "/", cfg, ec);
            if (ec) {
                ADD_FAILURE() << "connect: " << ec.message() << "\nthe peer's log:\n" << read_file(log_);
                co_return;
            }
            EXPECT_EQ(ws.version(), http::version::http1_1);
            EXPECT_EQ(ws.subprotocol(), "strata.echo");
            EXPECT_EQ(ws.deflate(), c.deflate != deflate_variant::off);

            // What the peer server answered to strata's offer.
            co_await ws.write("cmd:info", ec);
            auto info = co_await ws.read(ec);
            EXPECT_FALSE(ec) << ec.message();
            static const std::regex re{"^subprotocol=(\\S+) extensions=(.*)$"};
            std::smatch m;
            if (std::regex_match(info.data, m, re)) {
                EXPECT_EQ(m[1].str(), "strata.echo");
                RecordProperty("sec_websocket_extensions", m[2].str()); // the peer's answer
                expect_negotiated(m[2].str(), c.deflate, false);
            } else {
                ADD_FAILURE() << "cmd:info answered: " << info.data;
            }

            for (const auto& pm : peer_messages()) {
                co_await ws.write(pm.type, bytes_of(pm.data), ec);
                EXPECT_FALSE(ec) << pm.name << ": " << ec.message();
                auto echo = co_await ws.read(ec);
                EXPECT_FALSE(ec) << pm.name << ": " << ec.message();
                if (ec)
                    co_return;
                EXPECT_EQ(echo.type, pm.type) << pm.name;
                EXPECT_EQ(echo.data.size(), pm.data.size()) << pm.name;
                EXPECT_TRUE(echo.data == pm.data) << pm.name << " came back changed";
            }

            // The peer pings while this read waits for its answer: strata's
            // read answers the ping by itself.
            co_await ws.write("cmd:ping", ec);
            auto pong = co_await ws.read(ec);
            EXPECT_FALSE(ec) << ec.message();
            EXPECT_EQ(pong.data, "pong received");

            co_await ws.write("cmd:close", ec);
            EXPECT_FALSE(ec) << ec.message();
            auto last = co_await ws.read(ec);
            EXPECT_EQ(ec, websocket::error::closed) << ec.message() << " (read " << last.data << ")";
            EXPECT_EQ(ws.close_code(), 1001);
            EXPECT_EQ(ws.close_reason(), going_away);
            EXPECT_FALSE(ws.is_open());
        },
        60s);

    // The peer saw strata's answer to its close frame, with the same code.
    EXPECT_TRUE(eventually([&] { return !logged("CLOSED ").empty(); }, 10s)) << read_file(log_);
    auto closed = logged("CLOSED ");
    ASSERT_EQ(closed.size(), 1u) << read_file(log_);
    EXPECT_EQ(close_code_of(closed[0]), 1001) << closed[0];
    EXPECT_EQ(logged("PONG "), (std::vector<std::string>{"PONG ok"}));
    auto opens = logged("OPEN ");
    ASSERT_EQ(opens.size(), 1u) << read_file(log_);
    EXPECT_EQ(logged("ERROR"), std::vector<std::string>{});
}

// ---- Chromium's WebSocket against strata's server -------------------------------------------------

struct chromium_case {
    std::string name;
    bool secure = false;
    std::string path;
    bool deflate = true;
    http::version version = http::version::http1_1;
    std::string protocol; ///< the page's nextHopProtocol
};

void PrintTo(const chromium_case& c, std::ostream* os)
{
    *os << c.name;
}

class WebSocketChromiumAgainstStrata : public ::testing::TestWithParam<chromium_case> {};

INSTANTIATE_TEST_SUITE_P(
    Versions, WebSocketChromiumAgainstStrata,
    ::testing::Values(chromium_case{"http1", false, "/echo", true, http::version::http1_1, "http/1.1"},
                      chromium_case{"http1_no_deflate", false, "/plain", false, http::version::http1_1,
                                    "http/1.1"},
                      // The page comes over h2, and the WebSocket rides the same
                      // connection as an extended CONNECT (RFC 8441).
                      chromium_case{"h2", true, "/echo", true, http::version::http2, "h2"}),
    [](const auto& info) { return info.param.name; });

TEST_P(WebSocketChromiumAgainstStrata, EchoesTextAndBinaryAndClosesWith1000)
{
    const auto& c = GetParam();
    auto node = require_node({"playwright-core"});
    ASSERT_FALSE(node.empty());
    auto chromium = require_program("chromium", "chromium");
    ASSERT_FALSE(chromium.empty());
    ws_server srv;
    auto base = c.secure ? "https://localhost:" + std::to_string(srv.https_port())
                         : "http://127.0.0.1:" + std::to_string(srv.http_port());
    // A browser fails a handshake that offered subprotocols and got none
    // back (the WHATWG WebSockets standard; RFC 6455 §4.1 lets it go on), so
    // only /echo, which speaks one, is offered any.
    auto query = "/?path=" + c.path + (c.deflate ? "&protocols=chat.other,strata.echo" : "");
    auto r = run_process({node, script("chromium_ws.js"), "--page=" + base + query, "--chromium=" + chromium,
                          "--timeout=30000"},
                         {.timeout = 60s, .stdin_file = {}});
    ASSERT_TRUE(r.ok()) << r.describe() << "\nstdout:\n" << r.out;

    auto lines = lines_of(r.out);
    ASSERT_GE(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0], "PROTOCOL " + c.protocol);
    static const std::regex open_re{"^OPEN protocol=(\\S+) extensions=(.*)$"};
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[1], m, open_re)) << r.out << describe(srv.records());
    RecordProperty("ws_extensions", m[2].str()); // as the page saw it
    if (c.deflate) {
        EXPECT_EQ(m[1].str(), "strata.echo");
        EXPECT_TRUE(has_deflate(m[2].str())) << "ws.extensions: " << m[2].str();
    } else {
        EXPECT_EQ(m[1].str(), "-");
        EXPECT_EQ(m[2].str(), "-");
    }
    auto expected = echoes_ok();
    ASSERT_EQ(lines.size(), expected.size() + 3) << r.out;
    EXPECT_EQ(std::vector<std::string>(lines.begin() + 2, lines.end() - 1), expected);
    // Chromium reports the close frame strata answered with, and a clean close.
    EXPECT_EQ(close_code_of(lines.back()), 1000) << lines.back();
    EXPECT_TRUE(lines.back().ends_with(" clean=true")) << lines.back();

    ASSERT_TRUE(srv.wait_done(1)) << "the server's WebSocket did not end";
    auto records = srv.records();
    ASSERT_EQ(records.size(), 1u);
    const auto& rec = records[0];
    EXPECT_EQ(rec.version, c.version) << http::to_string(rec.version);
    EXPECT_EQ(rec.path, c.path);
    // Chromium always offers permessage-deflate; only /echo takes it.
    EXPECT_TRUE(has_deflate(rec.offered_extensions)) << rec.offered_extensions;
    EXPECT_EQ(rec.deflate, c.deflate);
    EXPECT_EQ(rec.subprotocol, c.deflate ? "strata.echo" : "");
    expect_peer_messages(rec.messages);
    EXPECT_EQ(rec.read_error, websocket::error::closed) << rec.read_error.message();
    EXPECT_EQ(rec.close_code, 1000);
    EXPECT_EQ(rec.close_reason, "chromium done");
}

// ---- a real peer's malformed frames -----------------------------------------------------------------

struct malformed_case {
    std::string name;
    std::string scenario; ///< ws_peer.py's
    std::string path;
    std::uint16_t close_code = 0;
    std::vector<websocket::error> errors; ///< what strata's read may fail with
};

void PrintTo(const malformed_case& c, std::ostream* os)
{
    *os << c.name;
}

class WebSocketMalformedFromPython : public ::testing::TestWithParam<malformed_case> {};

INSTANTIATE_TEST_SUITE_P(
    Frames, WebSocketMalformedFromPython,
    ::testing::Values(
        // RFC 6455 §8.1: a text message that is not UTF-8 fails with 1007.
        malformed_case{"invalid_utf8", "bad-utf8", "/plain", 1007, {websocket::error::invalid_utf8}},
        // §5.1: a server closes on an unmasked client frame, with 1002 (§7.4.1).
        malformed_case{"unmasked", "unmasked", "/plain", 1002, {websocket::error::unmasked_frame}},
        // §7.4.1: 1009 for a message too big to process, whether one frame
        // says so at once or fragments add up to it.
        malformed_case{"too_big_frame",
                       "too-big",
                       "/small",
                       1009,
                       {websocket::error::message_too_big, websocket::error::frame_too_big}},
        malformed_case{
            "too_big_fragmented", "too-big-fragmented", "/small", 1009, {websocket::error::message_too_big}}),
    [](const auto& info) { return info.param.name; });

TEST_P(WebSocketMalformedFromPython, StrataClosesWithTheRfcCode)
{
    const auto& c = GetParam();
    auto argv = peer_command(runtime::python);
    ASSERT_FALSE(argv.empty());
    ws_server srv;
    argv.insert(argv.end(),
                {"client", "--url=" + srv.ws_url(c.path), "--scenario=" + c.scenario, "--deflate=off"});
    auto r = run_process(argv, {.timeout = 60s, .stdin_file = {}});
    ASSERT_TRUE(r.ok()) << r.describe() << "\nstdout:\n" << r.out;
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_TRUE(lines[0].starts_with("OPEN ")) << lines[0];
    // The close frame strata sent, as python read it.
    EXPECT_EQ(close_code_of(lines[1]), c.close_code) << lines[1];

    ASSERT_TRUE(srv.wait_done(1)) << "the server's WebSocket did not end";
    auto records = srv.records();
    ASSERT_EQ(records.size(), 1u);
    const auto& rec = records[0];
    EXPECT_TRUE(rec.messages.empty()) << rec.messages.size() << " messages were delivered";
    RecordProperty("read_error", rec.read_error.message());
    bool expected_error = false;
    for (auto e : c.errors)
        expected_error = expected_error || rec.read_error == e;
    EXPECT_TRUE(expected_error) << "read failed with: " << rec.read_error.message();
    EXPECT_EQ(static_cast<std::uint16_t>(websocket::close_code_for(rec.read_error)), c.close_code);
}

} // namespace
