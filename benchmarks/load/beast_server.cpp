// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// The Boost.Beast peer for the load benchmarks: an HTTP/1.1 keep-alive server
// on one thread, written the way Beast's own asynchronous server example is
// (a session per connection, callbacks, a flat_buffer kept across requests,
// http::async_read / http::async_write). It answers every GET with
// "hello, world\n" as text/plain, as strata_bench_server and nginx do.
//
//   strata_bench_beast_server [port=8082] [address=127.0.0.1]

#include <utility> // Boost 1.74's Asio headers miss it under GCC 12

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket socket) : socket_(std::move(socket)) {}

    void start() { read(); }

private:
    void read()
    {
        req_ = {};
        http::async_read(
            socket_, buffer_, req_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec)
    {
        if (ec)
            return close();
        res_ = {};
        res_.version(req_.version());
        res_.keep_alive(req_.keep_alive());
        if (req_.method() == http::verb::get && req_.target() == "/") {
            res_.result(http::status::ok);
            res_.body() = "hello, world\n";
        } else {
            res_.result(http::status::not_found);
            res_.body() = "not found\n";
        }
        res_.set(http::field::server, "beast");
        res_.set(http::field::content_type, "text/plain");
        res_.prepare_payload();
        http::async_write(socket_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_write(ec);
        });
    }

    void on_write(beast::error_code ec)
    {
        if (ec || !res_.keep_alive())
            return close();
        read();
    }

    void close()
    {
        beast::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
    }

    tcp::socket socket_;
    beast::flat_buffer buffer_;
    http::request<http::empty_body> req_;
    http::response<http::string_body> res_;
};

class listener {
public:
    listener(net::io_context& ioc, const tcp::endpoint& ep) : acceptor_(ioc)
    {
        acceptor_.open(ep.protocol());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        acceptor_.bind(ep);
        acceptor_.listen(net::socket_base::max_listen_connections);
        accept();
    }

private:
    void accept()
    {
        acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (!ec) {
                socket.set_option(tcp::no_delay(true), ec); // as strata and nginx do
                std::make_shared<session>(std::move(socket))->start();
            }
            accept();
        });
    }

    tcp::acceptor acceptor_;
};

} // namespace

int main(int argc, char** argv)
{
    const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 8082);
    const auto address = net::ip::make_address(argc > 2 ? argv[2] : "127.0.0.1");
    try {
        net::io_context ioc{1};
        listener l{ioc, tcp::endpoint{address, port}};
        std::printf("beast listening on %s:%u\n", address.to_string().c_str(), port);
        std::fflush(stdout);
        ioc.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "beast server: %s\n", e.what());
        return 1;
    }
}
