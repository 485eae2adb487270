// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// The Boost.Beast peer of the WebSocket echo benchmark (load/ws_echo.sh): a
// WebSocket echo server on one io_context thread, written the way Beast's
// own asynchronous echo example is (a session per connection, callbacks, a
// flat_buffer per connection), on a plain tcp::socket rather than
// beast::tcp_stream, whose per-operation timer a benchmark would pay for
// and the other servers do not run. Each message goes back with its own
// type (text or binary). auto_fragment is off: Beast otherwise cuts each
// write into frames of its write buffer's size (4 KiB), so a 16 KiB echo
// would cost four frame headers; the other servers send one frame per
// message. permessage-deflate is off, Beast's default. Any target path is
// accepted.
//
//   strata_bench_ws_beast_server [port=8097] [address=127.0.0.1]

#include <utility> // Boost 1.74's Asio headers miss it under GCC 12

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket socket) : ws_(std::move(socket)) {}

    void start()
    {
        ws_.auto_fragment(false);
        ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (!ec)
                self->read();
        });
    }

private:
    void read()
    {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (!ec)
                self->echo();
        });
    }

    void echo()
    {
        ws_.text(ws_.got_text());
        ws_.async_write(buffer_.data(), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec)
                return;
            self->buffer_.consume(self->buffer_.size());
            self->read();
        });
    }

    websocket::stream<tcp::socket> ws_;
    beast::flat_buffer buffer_;
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
                socket.set_option(tcp::no_delay(true), ec); // as the other servers do
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
    const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 8097);
    try {
        const auto address = net::ip::make_address(argc > 2 ? argv[2] : "127.0.0.1");
        net::io_context ioc{1};
        listener l{ioc, tcp::endpoint{address, port}};
        std::printf("beast listening on %s:%u\n", address.to_string().c_str(), port);
        std::fflush(stdout);
        ioc.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "beast websocket server: %s\n", e.what());
        return 1;
    }
}
