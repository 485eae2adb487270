// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "demo_routes.hpp"

#include <strata/sse/encoder.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace strata_cli {

namespace net = boost::asio;
using namespace std::chrono_literals;
using strata::request;
using strata::response;
using strata::status;

namespace {

net::awaitable<void> stream_lines(request& req, response& res)
{
    unsigned n = 10;
    if (auto q = req.query_param("n")) {
        auto [end, ec] = std::from_chars(q->data(), q->data() + q->size(), n);
        if (ec != std::errc{} || end != q->data() + q->size() || n > 10'000) {
            co_await res.send(status::bad_request, "n must be a number from 0 to 10000\n");
            co_return;
        }
    }
    res.set_header("Content-Type", "text/plain; charset=utf-8");
    res.set_header("Cache-Control", "no-store");
    strata::error_code ec;
    co_await res.start(status::ok, ec); // no Content-Length: chunked on HTTP/1.1
    net::steady_timer timer{co_await net::this_coro::executor};
    for (unsigned i = 1; i <= n && !ec; ++i) {
        if (i > 1) {
            timer.expires_after(100ms);
            co_await timer.async_wait(net::use_awaitable);
        }
        co_await res.write("line " + std::to_string(i) + " of " + std::to_string(n) + "\n", ec);
    }
    if (!ec)
        co_await res.finish(ec);
}

// Words with the spaces before them, and runs of line breaks, as a language
// model's tokens come: joined again they are the text.
std::vector<std::string_view> tokens_of(std::string_view text)
{
    std::vector<std::string_view> out;
    for (std::size_t i = 0, j = 0; i < text.size(); i = j) {
        j = i;
        if (text[j] == '\n') {
            while (j < text.size() && text[j] == '\n')
                ++j;
        } else {
            while (j < text.size() && text[j] == ' ')
                ++j;
            while (j < text.size() && text[j] != ' ' && text[j] != '\n')
                ++j;
        }
        out.push_back(text.substr(i, j - i));
    }
    return out;
}

/// A canned answer: the demo has no model, only the shape of its output.
std::string answer_to(std::string_view prompt)
{
    std::string lower(prompt);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto mentions = [&](std::string_view word) { return lower.find(word) != std::string::npos; };
    if (mentions("websocket") || mentions("chat") || mentions("gateway"))
        return "A WebSocket is one long-lived connection that carries messages both ways. The chat and "
               "the rider view on this page share one: the gateway reads each envelope's type, routes it "
               "to its service, and fans messages out to every subscriber of a topic.\n\nWhen the "
               "connection drops, the page reconnects with the sequence number of the last message it "
               "saw, and the gateway replays what it missed.";
    if (mentions("poll"))
        return "Short polling asks again and again, and most answers say nothing changed (a 304 costs "
               "only headers). Long polling asks once and the server holds the request until there is "
               "news, so each answer carries an update. Compare the counters in the ticker: the same "
               "prices, three ways.";
    if (mentions("sse") || mentions("server-sent") || mentions("event"))
        return "Server-Sent Events are one HTTP response that never ends: the server writes an event "
               "whenever it has one, and the browser's EventSource reconnects by itself, sending "
               "Last-Event-ID so that nothing is lost.\n\nThis answer is an event stream too: one event "
               "per token, then a done event.";
    return "You asked: " + std::string(prompt) +
           "\n\nThis answer comes one token at a time, the way a chat model streams its output: each "
           "token is a Server-Sent Event of type token on one response, flushed as soon as it is written, "
           "and an event of type done ends it. Try asking about polling, SSE or WebSockets.";
}

/// GET /tokens?prompt=TEXT: the answer as Server-Sent Events, "token"
/// events then one "done" with {"tokens":N}. A GET, unlike the POST of
/// chat APIs, so that EventSource and `strata sse` can read it too.
net::awaitable<void> stream_tokens(request& req, response& res)
{
    const auto prompt = req.query_param("prompt").value_or("");
    if (prompt.empty() || prompt.size() > 2000) {
        co_await res.send(status::bad_request, "prompt must have 1 to 2000 characters\n");
        co_return;
    }
    const auto answer = answer_to(prompt);
    res.set_header("Content-Type", "text/event-stream");
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    strata::error_code ec;
    co_await res.start(status::ok, ec);
    // A graceful shutdown cuts the answer short instead of waiting for it.
    bool stopping = false;
    req.on_shutdown([&] { stopping = true; });
    struct unhook {
        request& r;
        ~unhook() { r.on_shutdown(nullptr); }
    } unhook_at_exit{req};
    net::steady_timer timer{co_await net::this_coro::executor};
    std::string frame;
    std::size_t sent = 0;
    auto delay = 400ms; // "thinking": the time to the first token shows on the page
    for (auto token : tokens_of(answer)) {
        timer.expires_after(delay);
        co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
        delay = 45ms;
        if (stopping)
            break;
        frame.clear();
        strata::sse::encode(
            {.id = std::nullopt, .type = "token", .data = std::string(token), .retry = std::nullopt}, frame,
            ec);
        if (!ec)
            co_await res.write(frame, ec); // flushed: the token leaves now
        if (ec)
            co_return; // the client went away: stop generating
        ++sent;
    }
    frame.clear();
    strata::sse::encode({.id = std::nullopt,
                         .type = "done",
                         .data = "{\"tokens\":" + std::to_string(sent) + "}",
                         .retry = std::nullopt},
                        frame, ec);
    co_await res.write(frame, ec);
    if (!ec)
        co_await res.finish(ec);
}

} // namespace

void add_demo_routes(strata::server& srv)
{
    srv.route("GET", "/hello", [](request&, response& res) -> net::awaitable<void> {
        co_await res.send(status::ok, "hello from strata\n");
    });
    srv.route("POST", "/echo", [](request& req, response& res) -> net::awaitable<void> {
        auto type = std::string(req.header("Content-Type").value_or("application/octet-stream"));
        co_await res.send(status::ok, co_await req.read_body(), type);
    });
    srv.route("GET", "/stream", stream_lines);
    srv.route("GET", "/tokens", stream_tokens);
}

} // namespace strata_cli
