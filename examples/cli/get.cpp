// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// `strata get URL`: one request, like curl.

#include "client_options.hpp"
#include "commands.hpp"
#include "progress.hpp"

#include <strata/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

namespace strata_cli {

namespace net = boost::asio;

namespace {

constexpr std::string_view usage = "strata get URL [options]";

struct get_options {
    strata::client_request req;
    std::string output;
    bool verbose = false, head = false, include = false, fail = false;
};

void print_head(std::FILE* out, std::string_view prefix, const strata::client_response& res)
{
    std::fprintf(out, "%.*s%s %u %.*s\r\n", static_cast<int>(prefix.size()), prefix.data(),
                 std::string(strata::http::to_string(res.version())).c_str(), res.status(),
                 static_cast<int>(res.reason().size()), res.reason().data());
    for (auto f : res.fields())
        std::fprintf(out, "%.*s%.*s: %.*s\r\n", static_cast<int>(prefix.size()), prefix.data(),
                     static_cast<int>(f.name.size()), f.name.data(), static_cast<int>(f.value.size()),
                     f.value.data());
    std::fprintf(out, "%.*s\r\n", static_cast<int>(prefix.size()), prefix.data());
}

/// What the client will send, as curl -v shows it (Host and User-Agent are
/// the client's defaults unless -H replaced them).
void print_request(const strata::client_request& req, const strata::url& u, const strata::client_config& cfg)
{
    if (u.secure() && cfg.http3_only) {
        std::fputs("* QUIC: offering h3\n", stderr);
    } else if (u.secure()) {
        if (cfg.enable_http2)
            std::fputs("* ALPN: offering h2\n", stderr);
        for (const auto& p : cfg.tls.alpn)
            std::fprintf(stderr, "* ALPN: offering %s\n", p.c_str());
    }
    // The version is the server's choice (ALPN) unless it was fixed in advance.
    const char* version = !u.secure() ? (cfg.http2_prior_knowledge ? " HTTP/2" : " HTTP/1.1")
                                      : (cfg.http3_only ? " HTTP/3" : (cfg.enable_http2 ? "" : " HTTP/1.1"));
    std::fprintf(stderr, "> %s %s%s\r\n", req.method.c_str(), u.target.c_str(), version);
    if (!req.fields.contains("Host"))
        std::fprintf(stderr, "> Host: %s\r\n", u.authority().c_str());
    if (!req.fields.contains("User-Agent") && !cfg.user_agent.empty())
        std::fprintf(stderr, "> User-Agent: %s\r\n", cfg.user_agent.c_str());
    for (auto f : req.fields)
        std::fprintf(stderr, "> %.*s: %.*s\r\n", static_cast<int>(f.name.size()), f.name.data(),
                     static_cast<int>(f.value.size()), f.value.data());
    if (!req.body.empty())
        std::fprintf(stderr, "> Content-Length: %zu\r\n", req.body.size());
    std::fputs(">\r\n", stderr);
}

net::awaitable<int> fetch(strata::client& cli, get_options o)
{
    const std::string url = o.req.url;
    const auto asked = strata::url::parse(url); // validated by get_main
    strata::error_code ec;
    if (o.verbose)
        print_request(o.req, asked, cli.config());
    auto res = co_await cli.request(std::move(o.req), ec);
    if (ec)
        co_return report_error(url, ec);
    if (o.verbose) {
        if (res.version() == strata::http::version::http2)
            std::fprintf(stderr, "* %s\n",
                         res.url().secure() ? "ALPN: server accepted h2" : "HTTP/2 with prior knowledge");
        std::fprintf(stderr, "* Using %s\n", std::string(strata::http::to_string(res.version())).c_str());
        if (auto why = cli.version_reason(res.url().origin()); !why.empty())
            std::fprintf(stderr, "* Why: %s\n", why.c_str());
        if (auto alt = res.header("Alt-Svc"); alt && res.version() != strata::http::version::http3)
            std::fprintf(stderr, "* Alt-Svc: %.*s (later requests to this origin use HTTP/3)\n",
                         static_cast<int>(alt->size()), alt->data());
        if (res.url().origin() != asked.origin() || res.url().target != asked.target)
            std::fprintf(stderr, "* Redirected to %s%s\n", res.url().origin().c_str(),
                         res.url().target.c_str());
        print_head(stderr, "< ", res);
    }
    if (o.head || o.include)
        print_head(stdout, "", res);
    if (o.fail && res.status() >= 400) {
        std::fprintf(stderr, "strata: %s: the requested URL returned error: %u\n", url.c_str(), res.status());
        co_return 22;
    }
    std::FILE* out = o.output.empty() ? stdout : std::fopen(o.output.c_str(), "wb");
    if (!out) {
        std::perror(("strata: " + o.output).c_str());
        co_return 23;
    }
    std::optional<progress> meter;
    if (!o.output.empty() && ::isatty(STDERR_FILENO)) {
        std::optional<std::uint64_t> total;
        if (auto cl = res.header("Content-Length")) {
            std::uint64_t n = 0;
            if (std::from_chars(cl->data(), cl->data() + cl->size(), n).ec == std::errc{})
                total = n;
        }
        meter.emplace(total);
    }
    std::vector<char> buffer(64 * 1024);
    std::uint64_t got = 0;
    int rc = 0;
    for (;;) {
        auto n = co_await res.read_some(net::buffer(buffer), ec);
        if (n > 0 && std::fwrite(buffer.data(), 1, n, out) != n) {
            std::fprintf(stderr, "strata: %s: write error\n", o.output.empty() ? "stdout" : o.output.c_str());
            rc = 23;
            break;
        }
        got += n;
        if (meter)
            meter->update(got);
        if (ec) {
            rc = report_error(url, ec);
            break;
        }
        if (n == 0)
            break; // the end of the body
    }
    if (meter)
        meter->done();
    if (out != stdout && std::fclose(out) != 0 && rc == 0)
        rc = 23;
    std::fflush(stdout);
    co_return rc;
}

bool read_data(std::string_view arg, std::string& body)
{
    if (!arg.starts_with('@')) {
        body = arg;
        return true;
    }
    auto name = std::string(arg.substr(1));
    if (name == "-") {
        body.assign(std::istreambuf_iterator<char>(std::cin), {});
        return true;
    }
    std::ifstream in(name, std::ios::binary);
    if (!in)
        return false;
    body.assign(std::istreambuf_iterator<char>(in), {});
    return true;
}

} // namespace

int get_main(int argc, char** argv)
{
    const auto options = with_client_options({
        {"output", 'o', "FILE", "write the body to FILE (with a progress meter on a terminal)"},
        {"verbose", 'v', {}, "show the request and response heads on stderr"},
        {"head", 'I', {}, "send HEAD and print the response head"},
        {"include", 'i', {}, "print the response head before the body"},
        {"data", 'd', "DATA", "POST DATA (@FILE: the file's bytes, @-: stdin)"},
        {"request", 'X', "METHOD", "use METHOD instead of GET (or POST with -d)"},
        {"fail", 'f', {}, "on HTTP 4xx/5xx print nothing and exit 22"},
        {"location", 'L', {}, "follow redirects"},
        {"max-time", 'm', "SECONDS", "give up after SECONDS (exit 28)"},
    });
    args a;
    std::string error;
    if (!a.parse(argc, argv, 2, options, error) || (!a.has("help") && a.positional().size() != 1)) {
        std::fprintf(stderr, "strata get: %s\nusage: %s (see strata get --help)\n",
                     error.empty() ? "expected one URL" : error.c_str(), usage.data());
        return 2;
    }
    if (a.has("help")) {
        print_help(usage, "Sends one request and prints the response body, like curl.", options);
        return 0;
    }
    get_options o;
    strata::client_config cfg;
    o.req.url = a.positional().front();
    if (!apply_client_options(a, cfg, o.req.fields, error)) {
        std::fprintf(stderr, "strata get: %s\n", error.c_str());
        return 2;
    }
    strata::error_code ec;
    if (!strata::url::parse(o.req.url, ec))
        return report_error(o.req.url, ec);
    o.verbose = a.has("verbose");
    o.head = a.has("head");
    o.include = a.has("include");
    o.fail = a.has("fail");
    o.output = a.value("output").value_or("");
    cfg.follow_redirects = a.has("location");
    if (auto data = a.value("data")) {
        if (!read_data(*data, o.req.body)) {
            std::fprintf(stderr, "strata get: cannot read %s\n", data->c_str() + 1);
            return 26; // curl's "read error"
        }
        o.req.method = "POST";
        if (!o.req.fields.contains("Content-Type"))
            o.req.fields.set("Content-Type", "application/x-www-form-urlencoded");
    }
    if (o.head)
        o.req.method = "HEAD";
    if (auto m = a.value("request"))
        o.req.method = *m;
    std::optional<double> max_time;
    if (auto t = a.value("max-time"); t && !(max_time = parse_seconds(*t))) {
        std::fprintf(stderr, "strata get: bad --max-time '%s'\n", t->c_str());
        return 2;
    }
    if (max_time) {
        auto ms = std::chrono::milliseconds(static_cast<long long>(*max_time * 1000));
        cfg.connect_timeout = cfg.handshake_timeout = cfg.response_timeout = cfg.body_timeout = ms;
    }

    net::io_context io;
    strata::client cli{io.get_executor(), cfg};
    int rc = 1;
    net::steady_timer deadline{io};
    net::co_spawn(io, fetch(cli, std::move(o)), [&](std::exception_ptr e, int r) {
        rc = r;
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                std::fprintf(stderr, "strata: %s: %s\n", a.positional()[0].c_str(), x.what());
                rc = 1;
            }
        }
        deadline.cancel();
        cli.close_idle(); // a pooled connection's timer would keep run() going
    });
    if (max_time) {
        deadline.expires_after(std::chrono::milliseconds(static_cast<long long>(*max_time * 1000)));
        deadline.async_wait([&](strata::error_code e) {
            if (e)
                return;
            std::fprintf(stderr, "strata: %s: operation timed out after %s seconds\n",
                         a.positional()[0].c_str(), a.value("max-time")->c_str());
            // Boost 1.74 cannot cancel the request in flight: leave at once,
            // keeping what was written.
            std::fflush(nullptr);
            std::_Exit(28);
        });
    }
    io.run();
    return rc;
}

} // namespace strata_cli
