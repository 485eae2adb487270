// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The terminal client of chat_server: lines typed are sent to the room,
// and what the others say is printed as `alice: hello`. Reading the
// keyboard and the WebSocket at once takes two coroutines on one thread:
// stdin is a posix::stream_descriptor, so neither blocks the other.
// Run: ./chat_client [url] [name]   (default ws://127.0.0.1:8080/chat, a guest name)
// Ctrl-D leaves the room (a close handshake, 1000).

#include "chat_protocol.hpp"

#include <strata/websocket/stream.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <exception>
#include <iostream>
#include <memory>
#include <string>

namespace net = boost::asio;
namespace websocket = strata::websocket;

// RFC 3986 §2.3: only unreserved characters go into the query as they are.
std::string percent_encode(std::string_view s)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

// What the room says, until it closes; then stdin is let go.
net::awaitable<void> print_room(std::shared_ptr<websocket::stream> ws,
                                std::shared_ptr<net::posix::stream_descriptor> in)
{
    std::string me;
    for (;;) {
        strata::error_code ec;
        auto msg = co_await ws->read(ec);
        if (ec) {
            if (ws->close_code() != 1000)
                std::cout << "* closed: " << ws->close_code() << " " << ws->close_reason() << std::endl;
            break;
        }
        auto ev = chat::parse_flat_object(msg.data);
        if (!ev)
            continue;
        auto& m = *ev;
        if (m["type"] == "welcome")
            me = m["name"]; // the room may have changed it to keep names unique
        if (m["type"] == "message" && m["from"] != me)
            std::cout << m["from"] << ": " << m["text"] << std::endl;
        else if (m["type"] == "welcome")
            std::cout << "* you are " << me << " (" << m["members"] << " here)" << std::endl;
        else if (m["type"] == "join" || m["type"] == "leave")
            std::cout << "* " << m["name"] << (m["type"] == "join" ? " joined" : " left") << " ("
                      << m["members"] << " here)" << std::endl;
    }
    in->cancel();
}

net::awaitable<void> join_room(std::string url)
{
    auto ex = co_await net::this_coro::executor;
    websocket::connect_config cfg;
    cfg.deflate.enable = true;
    strata::error_code ec;
    auto ws = std::make_shared<websocket::stream>(co_await websocket::connect(ex, url, cfg, ec));
    if (ec) {
        std::cerr << url << ": " << ec.message() << std::endl;
        co_return;
    }
    auto in = std::make_shared<net::posix::stream_descriptor>(ex, ::dup(STDIN_FILENO));
    net::co_spawn(ex, print_room(ws, in), net::detached);

    std::string buf;
    for (;;) {
        auto n = co_await net::async_read_until(*in, net::dynamic_buffer(buf), '\n',
                                                net::redirect_error(net::use_awaitable, ec));
        if (ec)
            break; // Ctrl-D, or the room closed
        std::string line = buf.substr(0, n - 1);
        buf.erase(0, n);
        if (!line.empty())
            co_await ws->write(line, ec);
        if (ec)
            break;
    }
    if (ws->is_open())
        co_await ws->close(1000, "bye", ec);
}

int main(int argc, char** argv)
{
    std::string url = argc > 1 ? argv[1] : "ws://127.0.0.1:8080/chat";
    if (argc > 2)
        url += (url.find('?') == std::string::npos ? "?name=" : "&name=") + percent_encode(argv[2]);
    // Asio makes stdin non-blocking, and a terminal's is shared with the shell: put it back.
    const int stdin_flags = ::fcntl(STDIN_FILENO, F_GETFL);
    net::io_context io;
    net::co_spawn(io, join_room(url), [](std::exception_ptr e) { e ? std::rethrow_exception(e) : void(); });
    io.run();
    ::fcntl(STDIN_FILENO, F_SETFL, stdin_flags);
}
