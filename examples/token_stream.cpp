// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// A chat answer streamed token by token, as LLM APIs do: POST /chat with a
// prompt, and the answer comes back on that response as Server-Sent Events,
// "token" events then one "done". No topic here: each response is its own
// stream, written with response::start/write and sse::encode. The client
// cannot use event_source (it only GETs), so it reads the body with
// read_some and feeds sse::parser, which any split of the bytes suits.
// Run: ./token_stream [port]                     (default 8080)
//      ./token_stream client [prompt] [url]      (default url http://127.0.0.1:8080/chat)
//      curl -N -d 'hello' http://127.0.0.1:8080/chat

#include <strata/client.hpp>
#include <strata/server.hpp>
#include <strata/sse/encoder.hpp>
#include <strata/sse/parser.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace net = boost::asio;
namespace sse = strata::sse;
using namespace std::chrono_literals;

// ---- the server ----------------------------------------------------------

// Words with the spaces before them, and runs of line breaks, as a model's
// tokens come: joined again they are the text.
std::vector<std::string> tokens(std::string_view text)
{
    std::vector<std::string> out;
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
        out.emplace_back(text.substr(i, j - i));
    }
    return out;
}

net::awaitable<void> chat(strata::request& req, strata::response& res)
{
    strata::error_code ec;
    auto prompt = co_await req.read_body(4096, ec);
    if (ec || prompt.empty()) {
        co_await res.send(strata::status::bad_request, "POST a prompt of at most 4096 bytes\n");
        co_return;
    }
    const auto answer = "You asked: " + prompt +
                        "\n\nHere is the answer, one token at a time: each is an event of type token on "
                        "the response to your POST, and an event of type done ends it.";

    res.set_header("Content-Type", "text/event-stream");
    res.set_header("Cache-Control", "no-store");
    co_await res.start(strata::status::ok, ec); // no Content-Length: the stream is as long as the answer
    if (ec)
        co_return;
    net::steady_timer thinking{co_await net::this_coro::executor};
    std::string frame;
    std::size_t sent = 0;
    for (const auto& token : tokens(answer)) {
        thinking.expires_after(50ms);
        co_await thinking.async_wait(net::use_awaitable);
        frame.clear();
        sse::encode({.id = std::nullopt, .type = "token", .data = token, .retry = std::nullopt}, frame, ec);
        if (!ec)
            co_await res.write(frame, ec); // each write is flushed: the token leaves now
        if (ec)
            co_return; // the client went away: stop generating
        ++sent;
    }
    frame.clear();
    sse::encode({.id = std::nullopt,
                 .type = "done",
                 .data = "{\"tokens\":" + std::to_string(sent) + "}",
                 .retry = std::nullopt},
                frame, ec);
    co_await res.write(frame, ec);
    co_await res.finish(ec);
}

int serve(const std::string& port)
{
    net::io_context io;
    strata::server srv{io.get_executor()};
    srv.route("POST", "/chat", chat);
    auto ep = srv.listen("http://127.0.0.1:" + port);
    std::cout << "POST a prompt to http://127.0.0.1:" << ep.port() << "/chat" << std::endl;
    io.run();
    return 0;
}

// ---- the client ----------------------------------------------------------

net::awaitable<int> ask(strata::client& cli, std::string prompt, std::string url)
{
    strata::client_request req;
    req.method = "POST";
    req.url = std::move(url);
    req.body = std::move(prompt);
    req.fields.set("Content-Type", "text/plain; charset=utf-8");
    req.fields.set("Accept", "text/event-stream");
    auto res = co_await cli.async_request(std::move(req));
    if (res.status() != 200 || !res.header("Content-Type").value_or("").starts_with("text/event-stream")) {
        std::cerr << "not an event stream: " << res.status() << " " << co_await res.body();
        co_return 1;
    }
    sse::parser parser;
    char buffer[4096];
    for (;;) {
        auto n = co_await res.read_some(net::buffer(buffer));
        if (n == 0)
            break; // the body ended
        // The bytes may end mid-line or mid-event: the parser keeps the rest for the next read.
        std::string_view in{buffer, n};
        while (!in.empty() && !parser.failed()) {
            in.remove_prefix(parser.handle_bytes(in));
            while (auto ev = parser.poll_event()) {
                if (ev->type == "done") {
                    std::cout << "\n(" << ev->data << ")" << std::endl;
                    co_return 0;
                }
                std::cout << ev->data << std::flush;
            }
        }
        if (parser.failed()) {
            std::cerr << "\nbad stream: " << parser.error().message() << "\n";
            co_return 1;
        }
    }
    std::cerr << "\nthe stream ended before its done event\n";
    co_return 1;
}

int main(int argc, char** argv)
{
    std::string first = argc > 1 ? argv[1] : "8080";
    if (first != "client")
        return serve(first);
    net::io_context io;
    strata::client cli{io.get_executor()};
    int rc = 1;
    net::co_spawn(io,
                  ask(cli, argc > 2 ? argv[2] : "What are Server-Sent Events?",
                      argc > 3 ? argv[3] : "http://127.0.0.1:8080/chat"),
                  [&](std::exception_ptr e, int r) {
                      rc = r;
                      try {
                          if (e)
                              std::rethrow_exception(e);
                      } catch (const std::exception& x) {
                          std::cerr << "request failed: " << x.what() << "\n";
                          rc = 1;
                      }
                      cli.close_idle(); // the pooled connection would keep io.run() going
                  });
    io.run();
    return rc;
}
