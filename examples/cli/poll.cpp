// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// `strata poll URL`: short polling; prints each change, and what the
// unchanged polls cost, when stopped.

#include "client_options.hpp"
#include "commands.hpp"

#include <strata/error.hpp>
#include <strata/short_poll.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>

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

} // namespace

int poll_main(int argc, char** argv)
{
    const auto options = with_client_options({
        {"interval", 0, "TIME", "time between polls: 1s (default), 500ms, 2m"},
        {"count", 'n', "N", "stop after N updates (default: until Ctrl-C)"},
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
                   "(time, status, ETag, body). On Ctrl-C it prints how many polls were 304s.",
                   options);
        return 0;
    }
    const std::string url = a.positional().front();
    strata::client_config cfg;
    strata::short_poll_config poll_cfg;
    if (!apply_client_options(a, cfg, poll_cfg.fields, error)) {
        std::fprintf(stderr, "strata poll: %s\n", error.c_str());
        return 2;
    }
    auto interval = parse_seconds(a.value("interval").value_or("1s"));
    if (!interval || *interval <= 0) {
        std::fprintf(stderr, "strata poll: bad --interval\n");
        return 2;
    }
    poll_cfg.interval = std::chrono::milliseconds(static_cast<long long>(*interval * 1000));
    unsigned long count = 0;
    if (auto n = a.value("count"))
        count = std::strtoul(n->c_str(), nullptr, 10);
    strata::error_code ec;
    if (!strata::url::parse(url, ec))
        return report_error(url, ec);

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
