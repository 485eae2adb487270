// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// The protocol lab's client (benchmarks/lab): run in the client namespace of
// the emulated path against strata_lab_server (or nginx, or ngtcp2's
// gtlsserver for page loads). Each subcommand measures one thing and prints
// one JSON object on stdout; times are milliseconds on the steady clock
// (CLOCK_MONOTONIC, shared with the server's namespace, so the server's
// publish times and our receive times are comparable).
//
//   strata_lab_client page --base URL --paths-file FILE --mode h1|h2|h3 [--connections N]
//                          [--timeout-s 120]
//   strata_lab_client ttfb --url URL --mode h1|h2|h3|h3-0rtt [--runs N] [--pause-ms 200]
//   strata_lab_client poll --base URL --mode short|long|sse|ws --duration-s S [--interval-ms 1000]
//                          [--rate N (the server's updates/s)] [--go-on-stdin]
//   common: --insecure | --ca FILE
//
// page: every path at once from a fresh client (a first visit: no pooled
// connection, no TLS session), as a browser loading a page; the client's
// pool puts the requests on its connections (h1: N connections, default 6;
// h2 and h3: one). Per resource: when its request started, its head came,
// each piece of its body (every read_some completion), its end.
//
// ttfb: per run (after one unreported warm-up run) a fresh client and one
// request on a new connection: the time to the response head and to the
// first body byte. h3-0rtt primes the client first (a full handshake that
// leaves a session ticket), closes that connection, and times the next
// request, which goes in 0-RTT early data on a new one.
//
// poll: follows the server's updates for S seconds over HTTP/1.1 (TLS) by
// short polling, long polling, Server-Sent Events or a WebSocket, and
// reports each update's latency (receive time - the payload's "t"). The
// connection is set up first with one GET /quote (its answer is the
// baseline); then a line "following" goes to stdout, so that link counters
// read then hold only the technique's traffic, up to the client's exit
// (which stops it: a held poll or the stream abandoned, the WebSocket
// closed with 1000). The JSON follows that line.
//
// Output (one object; times *_ms):
//   page  {mode, connections_limit, t0_ms (steady clock), total_ms, connections_opened,
//          tls_resumed, resources: [{path, status, version, bytes, t_request, t_head,
//          t_done, events: [[t, bytes], ...], error?}], errors: [...]}
//          resource times are from t0, the moment before any connection.
//   ttfb  {mode, url, runs: [{ttfb_ms (response head), first_byte_ms, done_ms, status,
//          version, bytes, early_data, connections_opened, tls_resumed, error?}], errors}
//   poll  {mode, duration_s, interval_ms (short), requests (in the window: polls,
//          long polls, SSE connections, or 1 for the WebSocket's opening), not_modified
//          (short), updates, first_seq, last_seq, baseline_seq, missed, repeats,
//          setup_requests, t_setup_ms, t_start_ms, t_end_ms (steady clock),
//          connections_opened, latencies_ms: [...] (updates received), view_latencies_ms:
//          [...] (with --rate: every update published after the first seen, until the
//          client's view held it or a newer one), errors: [...]}

#include <strata/config.hpp>

#include "../../src/detail/json.hpp"

#include <strata/client.hpp>
#include <strata/error.hpp>
#include <strata/long_poll/poller.hpp>
#include <strata/short_poll.hpp>
#include <strata/sse/event_source.hpp>
#include <strata/websocket/stream.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace net = strata::net;
namespace websocket = strata::websocket;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---- small helpers --------------------------------------------------------------

double steady_ms(clock_type::time_point t)
{
    return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count();
}

double ms_since(clock_type::time_point t0, clock_type::time_point t)
{
    return std::chrono::duration<double, std::milli>(t - t0).count();
}

/// Builds one JSON document; numbers in milliseconds keep microseconds.
class json_out {
public:
    std::string text;

    static std::string quote(std::string_view s)
    {
        std::string out;
        strata::detail::json::append_string(out, s);
        return out;
    }
    static std::string number(double v)
    {
        char out[48];
        std::snprintf(out, sizeof out, "%.3f", v);
        return out;
    }
    static std::string number(std::uint64_t v) { return std::to_string(v); }

    /// A key of the object being written (the comma is the caller's).
    json_out& key(std::string_view k)
    {
        text += quote(k);
        text += ':';
        return *this;
    }
    json_out& raw(std::string_view s)
    {
        text += s;
        return *this;
    }
};

std::string string_list(const std::vector<std::string>& items)
{
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i ? "," : "") + json_out::quote(items[i]);
    return out + "]";
}

std::string number_list(const std::vector<double>& items)
{
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i ? "," : "") + json_out::number(items[i]);
    return out + "]";
}

std::string base_without_slash(std::string base)
{
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    return base;
}

std::size_t parse_count(std::string_view text, const char* what)
{
    std::size_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw std::invalid_argument(std::string("bad ") + what + ": " + std::string(text));
    return v;
}

net::awaitable<void> sleep_for(milliseconds d)
{
    net::steady_timer timer(co_await net::this_coro::executor, d);
    strata::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
}

/// Runs `body` on a fresh io_context until it and everything it started end.
/// Returns the exception's message, if it threw.
template <class Body>
std::string run_on_io(net::io_context& ioc, Body body)
{
    std::string failure;
    net::co_spawn(ioc, std::move(body), [&](std::exception_ptr e) {
        if (!e)
            return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            failure = x.what();
        }
    });
    ioc.run();
    return failure;
}

// ---- options ----------------------------------------------------------------------

struct options {
    std::string command;
    std::string mode;
    std::string base, url, paths_file, ca_file;
    bool insecure = false;
    std::optional<std::size_t> connections;
    std::chrono::seconds timeout{120};
    std::size_t runs = 10;
    milliseconds pause{200};
    std::chrono::seconds duration{10};
    milliseconds interval{1000};
    /// poll: the server's updates per second (short polling's view latency).
    double rate = 0;
    /// poll: after printing "following", wait for a line on stdin, so that
    /// whoever reads the link's counters has read them before the first request.
    bool go_on_stdin = false;
};

/// The settings every subcommand shares: verification as asked, deadlines
/// long enough for a lossy path.
strata::client_config base_config(const options& opt, std::chrono::seconds timeout)
{
    strata::client_config cfg;
    if (opt.insecure) {
        cfg.tls.verify_peer = false;
        cfg.tls.use_system_store = false;
    } else if (!opt.ca_file.empty()) {
        cfg.tls.ca_file = opt.ca_file;
        cfg.tls.use_system_store = false;
    }
    const milliseconds t = timeout;
    cfg.connect_timeout = t;
    cfg.handshake_timeout = t;
    cfg.response_timeout = t;
    cfg.body_timeout = t;
    cfg.http3_handshake_timeout = t;
    cfg.quic.handshake_timeout = t;
    return cfg;
}

/// h1: HTTP/1.1 only; h2: h2 offered by ALPN (and HTTP/1.1 after it); h3:
/// HTTP/3 only, without waiting for Alt-Svc.
void set_version(strata::client_config& cfg, std::string_view mode)
{
    cfg.enable_http2 = mode == "h2";
    cfg.enable_http3 = false;
    cfg.http3_only = mode == "h3" || mode == "h3-0rtt";
}

// ---- page -------------------------------------------------------------------------

struct resource {
    std::string path;
    unsigned status = 0;
    std::string version;
    std::uint64_t bytes = 0;
    double t_request = -1, t_head = -1, t_done = -1;
    std::vector<std::pair<double, std::size_t>> events; // (time, bytes) per read_some
    std::string error;
    bool finished = false;
};

struct page_state {
    clock_type::time_point t0;
    std::size_t pending = 0;
    double last_done = 0;
    bool timed_out = false;
    std::vector<std::shared_ptr<strata::request_canceller>> cancellers;
    std::unique_ptr<net::steady_timer> deadline;
};

net::awaitable<void> fetch(strata::client& cli, std::string url, resource& r,
                           std::shared_ptr<strata::request_canceller> canceller, page_state& st)
{
    r.t_request = ms_since(st.t0, clock_type::now());
    strata::client_request req;
    req.url = std::move(url);
    req.canceller = std::move(canceller);
    strata::error_code ec;
    auto res = co_await cli.request(std::move(req), ec);
    if (!ec) {
        r.t_head = ms_since(st.t0, clock_type::now());
        r.status = res.status();
        r.version = strata::http::to_string(res.version());
        std::vector<std::byte> buffer(16 * 1024);
        for (;;) {
            auto n = co_await res.read_some(net::buffer(buffer), ec);
            const auto now = clock_type::now();
            if (n > 0) {
                r.bytes += n;
                r.events.emplace_back(ms_since(st.t0, now), n);
            }
            if (ec || n == 0 || res.body_done())
                break;
        }
    }
    r.t_done = ms_since(st.t0, clock_type::now());
    if (ec && st.timed_out)
        r.error = "timeout";
    else if (ec)
        r.error = ec.message();
    else if (r.status != 200)
        r.error = "status " + std::to_string(r.status);
    r.finished = true;
    st.last_done = std::max(st.last_done, r.t_done);
}

std::vector<std::string> read_paths(const std::string& file)
{
    std::ifstream in{file};
    if (!in)
        throw std::runtime_error("cannot read " + file);
    std::vector<std::string> paths;
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.pop_back();
        auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#')
            continue;
        paths.push_back(line.substr(first));
    }
    if (paths.empty())
        throw std::runtime_error(file + " names no path");
    return paths;
}

int page(const options& opt)
{
    if (opt.mode != "h1" && opt.mode != "h2" && opt.mode != "h3")
        throw std::invalid_argument("page: --mode is h1, h2 or h3");
    const auto paths = read_paths(opt.paths_file);
    const auto base = base_without_slash(opt.base);
    auto cfg = base_config(opt, opt.timeout);
    set_version(cfg, opt.mode);
    // HTTP/2 and HTTP/3 multiplex: one connection carries the page, as in a
    // browser. The pool opens one connection for the first request and
    // gives the others to it: over HTTP/3 once its handshake is done, over
    // HTTP/2 once ALPN said h2 (all at once, before the server's SETTINGS,
    // as browsers send them).
    cfg.max_connections_per_origin = opt.connections.value_or(opt.mode == "h1" ? 6 : 1);

    std::vector<resource> resources(paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i)
        resources[i].path = paths[i];
    page_state st;
    std::vector<std::string> errors;
    double total_ms = 0;
    std::size_t opened = 0, resumed = 0;
    bool hard_stop = false;

    net::io_context ioc{1};
    auto cli = std::make_unique<strata::client>(ioc.get_executor(), cfg);
    auto failure = run_on_io(ioc, [&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        st.deadline = std::make_unique<net::steady_timer>(ex, clock_type::time_point::max());
        st.pending = paths.size();
        st.t0 = clock_type::now();
        for (std::size_t i = 0; i < paths.size(); ++i) {
            auto c = std::make_shared<strata::request_canceller>();
            st.cancellers.push_back(c);
            net::co_spawn(ex, fetch(*cli, base + paths[i], resources[i], c, st),
                          [&, i](std::exception_ptr e) {
                              if (e) {
                                  try {
                                      std::rethrow_exception(e);
                                  } catch (const std::exception& x) {
                                      errors.push_back(paths[i] + ": " + x.what());
                                  }
                              }
                              if (--st.pending == 0)
                                  st.deadline->cancel();
                          });
        }
        const auto give_up = st.t0 + opt.timeout;
        while (st.pending > 0 && clock_type::now() < give_up) {
            st.deadline->expires_at(give_up);
            strata::error_code ec;
            co_await st.deadline->async_wait(net::redirect_error(net::use_awaitable, ec));
        }
        if (st.pending > 0) {
            // Abandon what is left; a request still waiting for a connection
            // does not see its canceller, so the loop is stopped after a grace.
            st.timed_out = true;
            for (auto& c : st.cancellers)
                c->cancel();
            co_await sleep_for(milliseconds{2000});
            if (st.pending > 0) {
                hard_stop = true;
                ioc.stop();
                co_return;
            }
        }
        total_ms = st.last_done;
        opened = cli->connections_opened();
        resumed = cli->tls_sessions_resumed();
        cli->close_idle();
    });
    if (!failure.empty())
        errors.push_back(failure);
    if (hard_stop) {
        total_ms = ms_since(st.t0, clock_type::now());
        opened = cli->connections_opened();
        resumed = cli->tls_sessions_resumed();
    }

    bool failed = !errors.empty();
    json_out j;
    j.raw("{").key("mode").raw(json_out::quote(opt.mode));
    j.raw(",").key("connections_limit").raw(json_out::number(std::uint64_t{cfg.max_connections_per_origin}));
    j.raw(",").key("t0_ms").raw(json_out::number(steady_ms(st.t0)));
    j.raw(",").key("total_ms").raw(json_out::number(total_ms));
    j.raw(",").key("connections_opened").raw(json_out::number(std::uint64_t{opened}));
    j.raw(",").key("tls_resumed").raw(json_out::number(std::uint64_t{resumed}));
    j.raw(",").key("resources").raw("[");
    for (std::size_t i = 0; i < resources.size(); ++i) {
        auto& r = resources[i];
        if (!r.finished && r.error.empty())
            r.error = "timeout";
        if (!r.error.empty()) {
            failed = true;
            errors.push_back(r.path + ": " + r.error);
        }
        j.raw(i ? ",{" : "{").key("path").raw(json_out::quote(r.path));
        j.raw(",").key("status").raw(json_out::number(std::uint64_t{r.status}));
        j.raw(",").key("version").raw(json_out::quote(r.version));
        j.raw(",").key("bytes").raw(json_out::number(r.bytes));
        j.raw(",").key("t_request").raw(json_out::number(r.t_request));
        j.raw(",").key("t_head").raw(json_out::number(r.t_head));
        j.raw(",").key("t_done").raw(json_out::number(r.t_done));
        j.raw(",").key("events").raw("[");
        for (std::size_t k = 0; k < r.events.size(); ++k)
            j.raw(k ? ",[" : "[")
                .raw(json_out::number(r.events[k].first))
                .raw(",")
                .raw(json_out::number(std::uint64_t{r.events[k].second}))
                .raw("]");
        j.raw("]");
        if (!r.error.empty())
            j.raw(",").key("error").raw(json_out::quote(r.error));
        j.raw("}");
    }
    j.raw("]");
    j.raw(",").key("errors").raw(string_list(errors)).raw("}\n");
    std::fputs(j.text.c_str(), stdout);
    std::fflush(stdout);
    if (hard_stop)
        std::_Exit(1); // coroutines still pending refer to this frame's locals
    return failed ? 1 : 0;
}

// ---- ttfb -------------------------------------------------------------------------

struct ttfb_run {
    double ttfb_ms = -1, first_byte_ms = -1, done_ms = -1;
    unsigned status = 0;
    std::string version;
    std::uint64_t bytes = 0;
    bool early_data = false;
    std::size_t connections_opened = 0, tls_resumed = 0;
    std::string error;
};

/// Reads the rest of a body; the time of its first byte if `first` is set.
net::awaitable<std::uint64_t> drain(strata::client_response& res, clock_type::time_point* first,
                                    strata::error_code& ec)
{
    std::vector<std::byte> buffer(16 * 1024);
    std::uint64_t bytes = 0;
    for (;;) {
        auto n = co_await res.read_some(net::buffer(buffer), ec);
        if (n > 0 && first && bytes == 0)
            *first = clock_type::now();
        bytes += n;
        if (ec || n == 0 || res.body_done())
            break;
    }
    co_return bytes;
}

net::awaitable<void> one_ttfb(const options& opt, const strata::client_config& cfg, ttfb_run& r)
{
    auto ex = co_await net::this_coro::executor;
    strata::client cli(ex, cfg);
    strata::error_code ec;
    std::size_t early_before = 0;
    if (opt.mode == "h3-0rtt") {
        // A full handshake first: the server's session ticket arrives on it.
        strata::client_request priming;
        priming.url = opt.url;
        auto prime = co_await cli.request(std::move(priming), ec);
        if (!ec)
            co_await drain(prime, nullptr, ec);
        if (ec) {
            r.error = "priming request: " + ec.message();
            co_return;
        }
        // The next request must open a new connection: close this one, and
        // give the ticket (sent after the handshake) time to be in.
        cli.close_idle();
        co_await sleep_for(opt.pause);
        early_before = cli.early_data_requests();
    }
    strata::client_request req;
    req.url = opt.url;
    const auto t0 = clock_type::now();
    auto res = co_await cli.request(std::move(req), ec);
    const auto head = clock_type::now();
    if (!ec) {
        r.ttfb_ms = ms_since(t0, head);
        r.status = res.status();
        r.version = strata::http::to_string(res.version());
        auto first = head;
        r.bytes = co_await drain(res, &first, ec);
        r.done_ms = ms_since(t0, clock_type::now());
        if (r.bytes > 0)
            r.first_byte_ms = ms_since(t0, first);
    }
    if (ec)
        r.error = ec.message();
    else if (r.status != 200)
        r.error = "status " + std::to_string(r.status);
    r.early_data = cli.early_data_requests() > early_before;
    r.connections_opened = cli.connections_opened();
    r.tls_resumed = cli.tls_sessions_resumed();
    cli.close_idle();
}

int ttfb(const options& opt)
{
    if (opt.mode != "h1" && opt.mode != "h2" && opt.mode != "h3" && opt.mode != "h3-0rtt")
        throw std::invalid_argument("ttfb: --mode is h1, h2, h3 or h3-0rtt");
    auto cfg = base_config(opt, std::chrono::seconds{30});
    set_version(cfg, opt.mode);
    cfg.max_connections_per_origin = 1;

    std::vector<ttfb_run> runs(opt.runs);
    ttfb_run warm_up;
    net::io_context ioc{1};
    auto failure = run_on_io(ioc, [&]() -> net::awaitable<void> {
        // One run first that is not reported: the process's first TLS
        // context pays for the crypto libraries' set-up (4 ms on loopback,
        // against 0.7 ms for each later one), and the server reads the file once.
        co_await one_ttfb(opt, cfg, warm_up);
        for (std::size_t i = 0; i < runs.size(); ++i) {
            co_await sleep_for(opt.pause);
            // A fresh client each run: a new connection and no TLS session
            // (h3-0rtt makes its session within the run).
            co_await one_ttfb(opt, cfg, runs[i]);
        }
    });

    std::vector<std::string> errors;
    if (!warm_up.error.empty())
        errors.push_back("warm-up run: " + warm_up.error);
    if (!failure.empty())
        errors.push_back(failure);
    json_out j;
    j.raw("{").key("mode").raw(json_out::quote(opt.mode));
    j.raw(",").key("url").raw(json_out::quote(opt.url));
    j.raw(",").key("runs").raw("[");
    for (std::size_t i = 0; i < runs.size(); ++i) {
        auto& r = runs[i];
        j.raw(i ? ",{" : "{").key("ttfb_ms").raw(json_out::number(r.ttfb_ms));
        j.raw(",").key("first_byte_ms").raw(json_out::number(r.first_byte_ms));
        j.raw(",").key("done_ms").raw(json_out::number(r.done_ms));
        j.raw(",").key("status").raw(json_out::number(std::uint64_t{r.status}));
        j.raw(",").key("version").raw(json_out::quote(r.version));
        j.raw(",").key("bytes").raw(json_out::number(r.bytes));
        j.raw(",").key("early_data").raw(r.early_data ? "true" : "false");
        j.raw(",").key("connections_opened").raw(json_out::number(std::uint64_t{r.connections_opened}));
        j.raw(",").key("tls_resumed").raw(json_out::number(std::uint64_t{r.tls_resumed}));
        if (!r.error.empty()) {
            j.raw(",").key("error").raw(json_out::quote(r.error));
            errors.push_back("run " + std::to_string(i + 1) + ": " + r.error);
        }
        j.raw("}");
    }
    j.raw("]");
    j.raw(",").key("errors").raw(string_list(errors)).raw("}\n");
    std::fputs(j.text.c_str(), stdout);
    std::fflush(stdout);
    return errors.empty() ? 0 : 1;
}

// ---- poll -------------------------------------------------------------------------

/// What the follower saw.
struct follow_state {
    std::string mode;
    clock_type::time_point t_setup, t_start, t_end, deadline;
    /// The newest update when the set-up request was answered.
    std::optional<std::uint64_t> baseline;
    /// Short polling counts the updates it skipped from the baseline on;
    /// the others subscribe "from now", so their gaps count from their first update.
    bool gaps_from_baseline = false;
    std::optional<std::uint64_t> first_seq;
    std::uint64_t last_seq = 0;
    std::uint64_t updates = 0, missed = 0, out_of_order = 0;
    std::vector<double> latencies;
    /// Short polling: for every update published while following, the time
    /// until the client's view held it or a newer one (a poll answer with
    /// seq >= it). Its publish time is derived from the newer one's and the
    /// publishing interval, which the server keeps exactly (t0 + i / rate).
    std::vector<double> view_latencies;
    double publish_interval_ms = 0;
    std::vector<std::string> errors;
    std::optional<std::size_t> not_modified; // short polling: answers that were 304
    bool stopping = false;
};

struct stamp {
    std::uint64_t seq = 0;
    double t = 0;
};

std::optional<stamp> read_payload(std::string_view text)
{
    auto field = [&](std::string_view key) -> std::optional<std::string_view> {
        auto at = text.find(key);
        if (at == std::string_view::npos)
            return std::nullopt;
        return text.substr(at + key.size());
    };
    auto seq_text = field("\"seq\":");
    auto t_text = field("\"t\":");
    if (!seq_text || !t_text)
        return std::nullopt;
    stamp s;
    if (std::from_chars(seq_text->data(), seq_text->data() + seq_text->size(), s.seq).ec != std::errc{})
        return std::nullopt;
    if (std::from_chars(t_text->data(), t_text->data() + t_text->size(), s.t).ec != std::errc{})
        return std::nullopt;
    return s;
}

void record(follow_state& st, std::string_view payload, clock_type::time_point received)
{
    auto s = read_payload(payload);
    if (!s) {
        if (st.errors.size() < 20)
            st.errors.push_back("an update without seq/t: " + std::string(payload.substr(0, 80)));
        return;
    }
    const bool from_baseline = !st.first_seq && st.gaps_from_baseline && st.baseline;
    const std::uint64_t seen = st.first_seq ? st.last_seq : st.baseline.value_or(0);
    if ((st.first_seq || from_baseline) && s->seq <= seen) {
        ++st.out_of_order; // a repeat: not a new update
        return;
    }
    // Gaps after the first update (for short polling, after the baseline)
    // were published while we followed and never reached us.
    if (st.first_seq || from_baseline) {
        st.missed += s->seq - seen - 1;
        if (st.publish_interval_ms > 0)
            for (std::uint64_t i = seen + 1; i < s->seq; ++i)
                st.view_latencies.push_back(steady_ms(received) - s->t +
                                            static_cast<double>(s->seq - i) * st.publish_interval_ms);
    }
    st.view_latencies.push_back(steady_ms(received) - s->t);
    if (!st.first_seq)
        st.first_seq = s->seq;
    st.last_seq = s->seq;
    ++st.updates;
    st.latencies.push_back(steady_ms(received) - s->t);
}

/// Sleeps until the deadline, then runs `stop`; the follower's loop sees it end.
template <class Stop>
net::awaitable<void> stop_at(follow_state& st, net::steady_timer& timer, Stop stop)
{
    timer.expires_at(st.deadline);
    strata::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    st.stopping = true;
    co_await stop();
}

/// Waits for a flag another coroutine sets and then cancels `timer`.
net::awaitable<void> wait_flag(const bool& flag, net::steady_timer& timer)
{
    while (!flag) {
        timer.expires_at(clock_type::time_point::max());
        strata::error_code ec;
        co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
}

struct stopper {
    std::unique_ptr<net::steady_timer> timer; // the deadline
    std::unique_ptr<net::steady_timer> done_wake;
    bool done = false;
};

template <class Stop>
void start_stopper(net::any_io_executor ex, follow_state& st, stopper& s, Stop stop)
{
    s.timer = std::make_unique<net::steady_timer>(ex);
    s.done_wake = std::make_unique<net::steady_timer>(ex);
    net::co_spawn(ex, stop_at(st, *s.timer, std::move(stop)), [&s](std::exception_ptr) {
        s.done = true;
        s.done_wake->cancel();
    });
}

void note_error(follow_state& st, std::string_view what, strata::error_code ec)
{
    if (!st.stopping && ec != strata::error::shutting_down && st.errors.size() < 20)
        st.errors.push_back(std::string(what) + ": " + ec.message());
}

net::awaitable<std::size_t> follow_short(strata::client& cli, const options& opt, follow_state& st)
{
    auto ex = co_await net::this_coro::executor;
    strata::short_poll_config pc;
    pc.interval = opt.interval;
    strata::short_poller poller(cli, base_without_slash(opt.base) + "/quote", pc);
    stopper s;
    start_stopper(ex, st, s, [&]() -> net::awaitable<void> {
        poller.stop();
        co_return;
    });
    strata::error_code ec;
    // The first answer is usually the baseline again: a repeat, not an update.
    for (;;) {
        auto u = co_await poller.next(ec);
        const auto now = clock_type::now();
        if (ec)
            break;
        if (u.status == 200)
            record(st, u.body, now);
        else if (st.errors.size() < 20)
            st.errors.push_back("status " + std::to_string(u.status));
    }
    note_error(st, "short poll", ec);
    if (poller.errors() > 0 && st.errors.size() < 20)
        st.errors.push_back(std::to_string(poller.errors()) +
                            " polls failed (retried); last: " + poller.last_error().message());
    st.not_modified = poller.not_modified();
    s.timer->cancel();
    co_await wait_flag(s.done, *s.done_wake);
    co_return poller.requests();
}

net::awaitable<std::size_t> follow_long(strata::client& cli, const options& opt, follow_state& st)
{
    auto ex = co_await net::this_coro::executor;
    strata::long_poll::poller poller(cli, base_without_slash(opt.base) + "/poll");
    stopper s;
    start_stopper(ex, st, s, [&]() -> net::awaitable<void> {
        poller.stop();
        co_return;
    });
    strata::error_code ec;
    for (;;) {
        auto b = co_await poller.next(ec);
        const auto now = clock_type::now();
        if (ec)
            break;
        if (b.missed > 0 || b.reset)
            st.errors.push_back("the server's log lost events or restarted");
        for (auto& e : b.events)
            record(st, e.data, now);
    }
    note_error(st, "long poll", ec);
    if (poller.errors() > 0 && st.errors.size() < 20)
        st.errors.push_back(std::to_string(poller.errors()) +
                            " polls failed (retried); last: " + poller.last_error().message());
    s.timer->cancel();
    co_await wait_flag(s.done, *s.done_wake);
    co_return poller.requests();
}

net::awaitable<std::size_t> follow_sse(strata::client& cli, const options& opt, follow_state& st)
{
    auto ex = co_await net::this_coro::executor;
    strata::sse::event_source source(cli, base_without_slash(opt.base) + "/events");
    stopper s;
    start_stopper(ex, st, s, [&]() -> net::awaitable<void> {
        source.close();
        co_return;
    });
    strata::error_code ec;
    for (;;) {
        auto e = co_await source.next(ec);
        const auto now = clock_type::now();
        if (ec)
            break;
        record(st, e.data, now);
    }
    note_error(st, "event stream", ec);
    if (source.connections() > 1 && st.errors.size() < 20)
        st.errors.push_back("the event stream reconnected " + std::to_string(source.connections() - 1) +
                            " times; last: " + source.last_error().message());
    else if (auto last = source.last_error(); last && last != strata::error::shutting_down &&
                                              last != net::error::operation_aborted && st.errors.size() < 20)
        st.errors.push_back("the event stream ended: " + last.message());
    s.timer->cancel();
    co_await wait_flag(s.done, *s.done_wake);
    co_return source.connections();
}

net::awaitable<std::size_t> follow_ws(strata::client& cli, const options& opt, follow_state& st)
{
    auto ex = co_await net::this_coro::executor;
    // On `cli`'s connection, so that it is counted: an HTTP/1.1 Upgrade, as
    // the client speaks only HTTP/1.1.
    websocket::connect_config wc;
    strata::error_code ec;
    const std::string url = base_without_slash(opt.base) + "/ws";
    auto ws = co_await websocket::connect(cli, url, wc, ec);
    if (ec) {
        note_error(st, "websocket connect", ec);
        co_return 1;
    }
    stopper s;
    // The close handshake from beside the read: the read then ends with the server's answer.
    start_stopper(ex, st, s, [&]() -> net::awaitable<void> {
        if (!ws.is_open())
            co_return; // the server ended it first
        strata::error_code cec;
        co_await ws.close(static_cast<std::uint16_t>(websocket::close_code::normal), "done", cec);
        if (cec && cec != websocket::error::closed && st.errors.size() < 20)
            st.errors.push_back("websocket close: " + cec.message());
    });
    for (;;) {
        auto m = co_await ws.read(ec);
        const auto now = clock_type::now();
        if (ec)
            break;
        record(st, m.data, now);
    }
    if (!(st.stopping && ec == websocket::error::closed))
        note_error(st, "websocket", ec);
    s.timer->cancel();
    co_await wait_flag(s.done, *s.done_wake);
    co_return 1;
}

/// Opens the connection the technique then uses (it is pooled) with one
/// small request, so that the measured window holds the technique's own
/// traffic and not the TCP and TLS handshakes. Its answer is the baseline.
net::awaitable<bool> set_up(strata::client& cli, const options& opt, follow_state& st)
{
    strata::client_request req;
    req.url = base_without_slash(opt.base) + "/quote";
    strata::error_code ec;
    auto res = co_await cli.request(std::move(req), ec);
    std::string body;
    if (!ec)
        body = co_await res.body(ec);
    if (ec) {
        st.errors.push_back("set-up request: " + ec.message());
        co_return false;
    }
    if (res.status() != 200) {
        st.errors.push_back("set-up request: status " + std::to_string(res.status()));
        co_return false;
    }
    if (auto b = read_payload(body))
        st.baseline = b->seq;
    co_return true;
}

int poll(const options& opt)
{
    if (opt.mode != "short" && opt.mode != "long" && opt.mode != "sse" && opt.mode != "ws")
        throw std::invalid_argument("poll: --mode is short, long, sse or ws");
    auto cfg = base_config(opt, std::chrono::seconds{60});
    set_version(cfg, "h1");
    cfg.max_connections_per_origin = 1;

    follow_state st;
    st.mode = opt.mode;
    std::size_t requests = 0;
    net::io_context ioc{1};
    auto cli = std::make_unique<strata::client>(ioc.get_executor(), cfg);
    st.gaps_from_baseline = opt.mode == "short";
    st.publish_interval_ms = opt.rate > 0 ? 1000.0 / opt.rate : 0;
    auto failure = run_on_io(ioc, [&]() -> net::awaitable<void> {
        st.t_setup = clock_type::now();
        const bool ready = co_await set_up(*cli, opt, st);
        st.t_start = clock_type::now();
        st.t_end = st.t_start;
        if (!ready)
            co_return;
        // The orchestrator reads the link's counters when it sees this line,
        // and says so before anything of the window is sent.
        std::fputs("following\n", stdout);
        std::fflush(stdout);
        if (opt.go_on_stdin) {
            char line[16];
            if (!std::fgets(line, sizeof line, stdin))
                st.errors.push_back("stdin closed before the go line");
        }
        st.t_start = clock_type::now();
        st.deadline = st.t_start + opt.duration;
        if (opt.mode == "short")
            requests = co_await follow_short(*cli, opt, st);
        else if (opt.mode == "long")
            requests = co_await follow_long(*cli, opt, st);
        else if (opt.mode == "sse")
            requests = co_await follow_sse(*cli, opt, st);
        else
            requests = co_await follow_ws(*cli, opt, st);
        cli->close_idle();
        st.t_end = clock_type::now();
    });
    if (!failure.empty())
        st.errors.push_back(failure);

    json_out j;
    j.raw("{").key("mode").raw(json_out::quote(opt.mode));
    j.raw(",").key("duration_s").raw(json_out::number(std::uint64_t(opt.duration.count())));
    if (opt.mode == "short")
        j.raw(",").key("interval_ms").raw(json_out::number(std::uint64_t(opt.interval.count())));
    j.raw(",").key("requests").raw(json_out::number(std::uint64_t{requests}));
    if (st.not_modified)
        j.raw(",").key("not_modified").raw(json_out::number(std::uint64_t{*st.not_modified}));
    j.raw(",").key("updates").raw(json_out::number(st.updates));
    j.raw(",").key("first_seq").raw(st.first_seq ? json_out::number(*st.first_seq) : "null");
    j.raw(",").key("last_seq").raw(st.first_seq ? json_out::number(st.last_seq) : "null");
    j.raw(",").key("baseline_seq").raw(st.baseline ? json_out::number(*st.baseline) : "null");
    j.raw(",").key("missed").raw(json_out::number(st.missed));
    j.raw(",").key("repeats").raw(json_out::number(st.out_of_order));
    j.raw(",").key("setup_requests").raw("1");
    j.raw(",").key("t_setup_ms").raw(json_out::number(steady_ms(st.t_setup)));
    j.raw(",").key("t_start_ms").raw(json_out::number(steady_ms(st.t_start)));
    j.raw(",").key("t_end_ms").raw(json_out::number(steady_ms(st.t_end)));
    j.raw(",").key("connections_opened").raw(json_out::number(std::uint64_t{cli->connections_opened()}));
    j.raw(",").key("latencies_ms").raw(number_list(st.latencies));
    j.raw(",").key("view_latencies_ms").raw(number_list(st.view_latencies));
    j.raw(",").key("errors").raw(string_list(st.errors)).raw("}\n");
    std::fputs(j.text.c_str(), stdout);
    std::fflush(stdout);
    return st.errors.empty() ? 0 : 1;
}

// ---- main -------------------------------------------------------------------------

int usage()
{
    std::fprintf(
        stderr,
        "usage: strata_lab_client page --base URL --paths-file FILE --mode h1|h2|h3 [--connections N]\n"
        "                              [--timeout-s 120]\n"
        "       strata_lab_client ttfb --url URL --mode h1|h2|h3|h3-0rtt [--runs 10] [--pause-ms 200]\n"
        "       strata_lab_client poll --base URL --mode short|long|sse|ws --duration-s S\n"
        "                              [--interval-ms 1000] [--rate N] [--go-on-stdin]\n"
        "  TLS: --insecure (no verification) or --ca FILE (trust this CA); else the system store\n"
        "Prints one JSON object on stdout; exits 1 when something failed (the JSON says what).\n");
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2)
        return usage();
    options opt;
    opt.command = argv[1];
    try {
        for (int i = 2; i < argc; ++i) {
            const std::string_view arg = argv[i];
            if (arg == "-h" || arg == "--help") {
                usage();
                return 0;
            }
            if (arg == "--insecure") {
                opt.insecure = true;
                continue;
            }
            if (arg == "--go-on-stdin") {
                opt.go_on_stdin = true;
                continue;
            }
            if (i + 1 >= argc)
                return usage();
            const std::string value = argv[++i];
            if (arg == "--base")
                opt.base = value;
            else if (arg == "--url")
                opt.url = value;
            else if (arg == "--paths-file")
                opt.paths_file = value;
            else if (arg == "--mode")
                opt.mode = value;
            else if (arg == "--ca")
                opt.ca_file = value;
            else if (arg == "--connections")
                opt.connections = parse_count(value, "--connections");
            else if (arg == "--timeout-s")
                opt.timeout = std::chrono::seconds{parse_count(value, "--timeout-s")};
            else if (arg == "--runs")
                opt.runs = parse_count(value, "--runs");
            else if (arg == "--pause-ms")
                opt.pause = milliseconds{parse_count(value, "--pause-ms")};
            else if (arg == "--duration-s")
                opt.duration = std::chrono::seconds{parse_count(value, "--duration-s")};
            else if (arg == "--interval-ms")
                opt.interval = milliseconds{parse_count(value, "--interval-ms")};
            else if (arg == "--rate")
                opt.rate = static_cast<double>(parse_count(value, "--rate"));
            else
                return usage();
        }
        if (opt.insecure && !opt.ca_file.empty())
            throw std::invalid_argument("--insecure and --ca exclude each other");
        if (opt.command == "page") {
            if (opt.base.empty() || opt.paths_file.empty() || opt.mode.empty() ||
                (opt.connections && *opt.connections == 0) || opt.timeout.count() == 0)
                return usage();
            return page(opt);
        }
        if (opt.command == "ttfb") {
            if (opt.url.empty() || opt.mode.empty() || opt.runs == 0)
                return usage();
            return ttfb(opt);
        }
        if (opt.command == "poll") {
            if (opt.base.empty() || opt.mode.empty() || opt.duration.count() == 0 ||
                opt.interval.count() == 0)
                return usage();
            return poll(opt);
        }
        return usage();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata_lab_client: %s\n", e.what());
        return 2;
    }
}
