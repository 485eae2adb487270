// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// `strata sse URL`: a Server-Sent Events stream, printed event by event.
// It reconnects as a browser's EventSource does, resuming with
// Last-Event-ID, and gives up only when the server answers with something
// that is not an event stream.

#include "client_options.hpp"
#include "commands.hpp"
#include "event_output.hpp"

#include <strata/error.hpp>
#include <strata/sse/event_source.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace strata_cli {

namespace net = boost::asio;
namespace sse = strata::sse;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view usage = "strata sse URL [options]";

struct session {
    sse::event_source& es;
    strata::client& cli;
    net::steady_timer& watch_timer;
    bool verbose = false;
    unsigned long count = 0; // 0: until Ctrl-C
    bool done = false;
};

void note(const session& s, const std::string& message)
{
    std::fprintf(stderr, "strata sse: %s: %s\n", s.es.url().c_str(), message.c_str());
}

std::string why_ended(const strata::error_code& ec)
{
    if (ec == strata::error::stream_closed)
        return "the server ended the stream";
    return ec.message();
}

// event_source reconnects inside next(), silently, as a browser does; a
// person at a terminal wants to know, so the tool looks at its state now
// and then and says what changed.
net::awaitable<void> watch(session& s)
{
    std::size_t connections = 0;
    auto state = s.es.state();
    strata::error_code reported;
    while (!s.done) {
        s.watch_timer.expires_after(50ms);
        strata::error_code ignored;
        co_await s.watch_timer.async_wait(net::redirect_error(net::use_awaitable, ignored));
        if (s.done || s.es.state() == sse::ready_state::closed)
            break;
        if (s.es.connections() != connections) {
            connections = s.es.connections();
            reported = {}; // the next failure is news, even if it is the same as the last
            if (s.verbose) {
                std::fprintf(stderr, "* Using %s (connection %zu%s)\n",
                             std::string(strata::http::to_string(s.es.version())).c_str(), connections,
                             connections > 1 ? ", reconnected" : "");
                auto origin = strata::url::parse(s.es.url()).origin();
                if (auto why = s.cli.version_reason(origin); !why.empty())
                    std::fprintf(stderr, "* Why: %s\n", why.c_str());
                std::fprintf(stderr, "* Reconnection time: %lld ms\n",
                             static_cast<long long>(s.es.reconnection_time().count()));
            }
        }
        const auto now = s.es.state();
        const auto err = s.es.last_error();
        if (now == sse::ready_state::connecting && err &&
            (err != reported || state == sse::ready_state::open)) {
            note(s, why_ended(err) + "; reconnecting (after " +
                        std::to_string(s.es.reconnection_time().count()) +
                        " ms, longer while it keeps failing)");
            reported = err;
        }
        state = now;
    }
}

net::awaitable<int> print_events(session& s)
{
    int rc = 0;
    for (unsigned long got = 0; s.count == 0 || got < s.count; ++got) {
        strata::error_code ec;
        auto ev = co_await s.es.next(ec);
        if (ec == sse::error::bad_status) {
            // HTML §9.2.3: 204 is how a server tells an EventSource to stop.
            if (s.es.last_status() == 204) {
                note(s, "the server answered 204 No Content: no more events");
            } else {
                note(s, "the server answered " + std::to_string(s.es.last_status()) +
                            ", not 200: not an event stream, giving up");
                rc = 22; // curl's code for an HTTP error status
            }
            break;
        }
        if (ec == sse::error::bad_content_type) {
            note(s, "the response (" + std::to_string(s.es.last_status()) +
                        ") is not text/event-stream, giving up");
            rc = 1;
            break;
        }
        if (ec)
            break; // closed by Ctrl-C
        print_event(ev.type, ev.last_event_id, ev.data, s.verbose);
    }
    co_return rc;
}

} // namespace

int sse_main(int argc, char** argv)
{
    const auto options = with_client_options({
        {"last-event-id", 0, "ID", "resume after event ID (sent as Last-Event-ID on the first connection)"},
        {"count", 'n', "N", "stop after N events (default: until Ctrl-C)"},
        {"verbose", 'v', {}, "show event ids, and on stderr the HTTP version and each reconnection"},
    });
    args a;
    std::string error;
    if (!a.parse(argc, argv, 2, options, error) || (!a.has("help") && a.positional().size() != 1)) {
        std::fprintf(stderr, "strata sse: %s\nusage: %s (see strata sse --help)\n",
                     error.empty() ? "expected one URL" : error.c_str(), usage.data());
        return 2;
    }
    if (a.has("help")) {
        print_help(usage,
                   "Server-Sent Events: prints each event as it arrives, one per line as\n"
                   "`[type] data` (`[type id=ID] data` with -v; data with line breaks as it is).\n"
                   "Reconnects as a browser's EventSource does, resuming with Last-Event-ID.\n"
                   "Exits 22 when the server answers other than 200, 1 when the answer is not\n"
                   "text/event-stream, 0 after --count events or on Ctrl-C.",
                   options);
        return 0;
    }
    const std::string url = a.positional().front();
    strata::client_config cfg;
    sse::source_config source_cfg;
    if (!apply_client_options(a, cfg, source_cfg.fields, error)) {
        std::fprintf(stderr, "strata sse: %s\n", error.c_str());
        return 2;
    }
    source_cfg.last_event_id = a.value("last-event-id").value_or("");
    if (source_cfg.last_event_id.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        std::fprintf(stderr, "strata sse: --last-event-id must be one line\n");
        return 2;
    }
    unsigned long count = 0;
    if (auto n = a.value("count")) {
        char* end = nullptr;
        count = std::strtoul(n->c_str(), &end, 10);
        if (n->empty() || *end != '\0' || count == 0) {
            std::fprintf(stderr, "strata sse: bad --count '%s'\n", n->c_str());
            return 2;
        }
    }
    strata::error_code ec;
    if (!strata::url::parse(url, ec))
        return report_error(url, ec);
    const bool verbose = a.has("verbose");
    if (verbose) {
        std::fprintf(stderr, "* GET %s\n* Accept: text/event-stream\n", url.c_str());
        if (!source_cfg.last_event_id.empty())
            std::fprintf(stderr, "* Last-Event-ID: %s\n", source_cfg.last_event_id.c_str());
    }

    net::io_context io;
    strata::client cli{io.get_executor(), cfg};
    std::optional<sse::event_source> es{std::in_place, cli, url, source_cfg};
    net::steady_timer watch_timer{io};
    session s{*es, cli, watch_timer, verbose, count, false};
    net::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](strata::error_code e, int) {
        if (!e && es)
            es->close();
    });
    net::co_spawn(io, watch(s), [](std::exception_ptr) {});
    int rc = 0;
    net::co_spawn(io, print_events(s), [&](std::exception_ptr e, int r) {
        rc = e ? 1 : r;
        s.done = true;
        watch_timer.cancel();
        signals.cancel();
        if (verbose)
            std::fprintf(stderr, "* %zu connection%s\n", es->connections(),
                         es->connections() == 1 ? "" : "s");
        // Gone, not just closed: a closed source still holds its response,
        // and with it an HTTP/2 or HTTP/3 connection that close_idle() must
        // then leave open.
        es.reset();
        cli.close_idle(); // a pooled connection's timer would keep run() going
    });
    io.run();
    return rc;
}

} // namespace strata_cli
