// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// `strata poll URL`: short polling; prints each change, and what the
// unchanged polls cost, when stopped. `strata poll --long URL`: long
// polling; prints each event as `strata sse` does.

#include "client_options.hpp"
#include "commands.hpp"
#include "event_output.hpp"

#include <strata/error.hpp>
#include <strata/long_poll/poller.hpp>
#include <strata/short_poll.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>

namespace strata_cli {

namespace net = boost::asio;

namespace {

constexpr std::string_view usage = "strata poll URL [options]";

std::string timestamp()
{
    const auto now = std::chrono::system_clock::now();
    const auto t = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char out[32];
    std::snprintf(out, sizeof out, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    return out;
}

net::awaitable<void> print_updates(strata::short_poller& poller, unsigned long count)
{
    for (unsigned long got = 0; count == 0 || got < count; ++got) {
        strata::error_code ec;
        auto u = co_await poller.next(ec);
        if (ec)
            break; // stopped
        std::string_view body = u.body;
        while (body.ends_with('\n') || body.ends_with('\r'))
            body.remove_suffix(1);
        std::printf("%s %u %s %.*s\n", timestamp().c_str(), u.status, u.etag.empty() ? "-" : u.etag.c_str(),
                    static_cast<int>(body.size()), body.data());
        std::fflush(stdout);
    }
}

net::awaitable<void> print_events(strata::long_poll::poller& poller, unsigned long count, bool verbose)
{
    for (unsigned long got = 0; count == 0 || got < count;) {
        strata::error_code ec;
        auto b = co_await poller.next(ec);
        if (ec)
            break; // stopped
        if (b.missed > 0)
            std::fprintf(stderr,
                         "strata poll: %llu events were dropped by the server (older than its retention "
                         "window) before these\n",
                         static_cast<unsigned long long>(b.missed));
        if (b.reset)
            std::fprintf(stderr, "strata poll: the server's event log started again (it was restarted); "
                                 "what came before cannot be counted\n");
        if (verbose)
            std::fprintf(stderr, "* request %zu: %zu events, next since=%llu\n", poller.requests(),
                         b.events.size(), static_cast<unsigned long long>(b.next));
        for (const auto& e : b.events) {
            if (count != 0 && got == count)
                break;
            print_event(e.type, std::to_string(e.id), e.data, verbose);
            ++got;
        }
    }
}

std::string long_poll_failure(const strata::error_code& ec)
{
    // The poller's name for an answer it could not read as a batch.
    if (ec == strata::error::unsupported)
        return "the answer was not a long-poll batch (a status other than 200, or not its JSON)";
    return ec.message();
}

// The poller retries failed requests inside next(), quietly; a person at a
// terminal pointing it at a wrong URL wants to know, so the tool looks now
// and then and says when a request failed in a new way.
net::awaitable<void> watch_errors(const strata::long_poll::poller& poller, const std::string& url,
                                  net::steady_timer& timer, const bool& done)
{
    std::size_t errors = 0;
    strata::error_code reported;
    while (!done) {
        timer.expires_after(std::chrono::milliseconds(100));
        strata::error_code ignored;
        co_await timer.async_wait(net::redirect_error(net::use_awaitable, ignored));
        const auto err = poller.last_error();
        if (!err)
            reported = {}; // answered since: a failure after this is news again
        if (done || !err || poller.errors() == errors)
            continue;
        errors = poller.errors();
        if (err == reported)
            continue;
        reported = err;
        std::fprintf(stderr, "strata poll: %s: %s; retrying with back-off\n", url.c_str(),
                     long_poll_failure(err).c_str());
    }
}

int long_poll_main(const std::string& url, const strata::client_config& cfg,
                   strata::long_poll::poller_config long_cfg, unsigned long count, bool verbose)
{
    net::io_context io;
    strata::client cli{io.get_executor(), cfg};
    strata::long_poll::poller poller{cli, url, std::move(long_cfg)};
    net::steady_timer watch_timer{io};
    bool done = false;
    net::co_spawn(io, watch_errors(poller, url, watch_timer, done), [](std::exception_ptr) {});
    net::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](strata::error_code e, int) {
        if (!e)
            poller.stop();
    });
    net::co_spawn(io, print_events(poller, count, verbose), [&](std::exception_ptr) {
        done = true;
        watch_timer.cancel();
        signals.cancel();
        poller.stop();
        cli.close_idle();
    });
    io.run();
    std::fprintf(stderr, "strata poll: %zu requests, %zu errors\n", poller.requests(), poller.errors());
    if (poller.errors() > 0 && poller.last_error() == strata::error::unsupported) {
        std::fprintf(stderr, "strata poll: %s: %s\n", url.c_str(),
                     long_poll_failure(poller.last_error()).c_str());
        return 1;
    }
    if (poller.errors() > 0 && poller.last_error())
        return report_error(url, poller.last_error());
    return 0;
}

} // namespace

int poll_main(int argc, char** argv)
{
    const auto options = with_client_options({
        {"interval", 0, "TIME", "time between polls: 1s (default), 500ms, 2m"},
        {"long", 0, {}, "long polling: the server holds each request until there are events"},
        {"since", 0, "ID", "--long: start after event ID (default: with the next event published)"},
        {"count", 'n', "N", "stop after N updates or events (default: until Ctrl-C)"},
        {"verbose", 'v', {}, "--long: show event ids, and each answer's cursor on stderr"},
    });
    args a;
    std::string error;
    if (!a.parse(argc, argv, 2, options, error) || (!a.has("help") && a.positional().size() != 1)) {
        std::fprintf(stderr, "strata poll: %s\nusage: %s (see strata poll --help)\n",
                     error.empty() ? "expected one URL" : error.c_str(), usage.data());
        return 2;
    }
    if (a.has("help")) {
        print_help(usage,
                   "Short polling: asks every interval with If-None-Match and prints only changes\n"
                   "(time, status, ETag, body). On Ctrl-C it prints how many polls were 304s.\n"
                   "Long polling (--long): asks with ?since=CURSOR, the server answers when there\n"
                   "are events; prints each as `[type] data`, like strata sse.",
                   options);
        return 0;
    }
    const std::string url = a.positional().front();
    const bool long_polling = a.has("long");
    if (long_polling && a.has("interval")) {
        std::fprintf(stderr, "strata poll: --interval is for short polling; --long asks again at once\n");
        return 2;
    }
    if (!long_polling && a.has("since")) {
        std::fprintf(stderr, "strata poll: --since goes with --long\n");
        return 2;
    }
    strata::client_config cfg;
    strata::short_poll_config poll_cfg;
    if (!apply_client_options(a, cfg, poll_cfg.fields, error)) {
        std::fprintf(stderr, "strata poll: %s\n", error.c_str());
        return 2;
    }
    auto interval = parse_seconds(a.value("interval").value_or("1s"));
    if (!interval || *interval <= 0) {
        std::fprintf(stderr, "strata poll: bad --interval '%s' (500ms, 1s, 2m)\n",
                     a.value("interval").value_or("").c_str());
        return 2;
    }
    poll_cfg.interval = std::chrono::milliseconds(static_cast<long long>(*interval * 1000));
    unsigned long count = 0;
    if (auto n = a.value("count"))
        count = std::strtoul(n->c_str(), nullptr, 10);
    strata::long_poll::poller_config long_cfg;
    long_cfg.fields = poll_cfg.fields;
    if (auto since = a.value("since")) {
        std::uint64_t id = 0;
        auto [end, err] = std::from_chars(since->data(), since->data() + since->size(), id);
        if (since->empty() || err != std::errc{} || end != since->data() + since->size()) {
            std::fprintf(stderr, "strata poll: bad --since '%s' (an event id)\n", since->c_str());
            return 2;
        }
        long_cfg.since = id;
    }
    strata::error_code ec;
    if (!strata::url::parse(url, ec))
        return report_error(url, ec);
    if (long_polling)
        return long_poll_main(url, cfg, std::move(long_cfg), count, a.has("verbose"));

    net::io_context io;
    strata::client cli{io.get_executor(), cfg};
    strata::short_poller poller{cli, url, poll_cfg};
    net::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](strata::error_code e, int) {
        if (!e)
            poller.stop();
    });
    net::co_spawn(io, print_updates(poller, count), [&](std::exception_ptr) {
        signals.cancel();
        cli.close_idle(); // a pooled connection's timer would keep run() going
    });
    io.run();
    std::fprintf(stderr, "strata poll: %zu requests, %zu not modified (304), %zu errors\n", poller.requests(),
                 poller.not_modified(), poller.errors());
    if (poller.errors() > 0 && poller.last_error())
        return report_error(url, poller.last_error());
    return 0;
}

} // namespace strata_cli
