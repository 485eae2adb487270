// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// The websocketpp peer of the WebSocket echo benchmark (load/ws_echo.sh):
// Debian's websocketpp 0.8.2 on Boost.Asio, no TLS, one thread, echoing each
// message with the opcode it came with, as the Beast and strata peers do.
//
// It uses websocketpp::config::asio unchanged, the configuration a user
// starts from: its concurrency policy takes a mutex per connection call even
// on one thread, and each connection owns a 16 KiB read buffer
// (connection_read_buffer_size). Those are websocketpp's defaults and part
// of what is measured. What is changed is only what a benchmark must not
// pay for: every access and error log channel is cleared (the default logs
// each connection to stdout), and TCP_NODELAY is set on each accepted socket
// from the socket-init hook (websocketpp has no option of its own for it),
// as every other server in these benchmarks does.
//
//   strata_bench_ws_websocketpp_server [port=8096] [address=127.0.0.1]

#include <utility> // Boost 1.74's Asio headers miss it under GCC 12

#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {

using server_type = websocketpp::server<websocketpp::config::asio>;

} // namespace

int main(int argc, char** argv)
{
    const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 8096);
    const std::string address = argc > 2 ? argv[2] : "127.0.0.1";
    try {
        server_type srv;
        srv.clear_access_channels(websocketpp::log::alevel::all);
        srv.clear_error_channels(websocketpp::log::elevel::all);
        srv.init_asio();
        srv.set_reuse_addr(true);
        srv.set_socket_init_handler([](websocketpp::connection_hdl, boost::asio::ip::tcp::socket& s) {
            boost::system::error_code ignored;
            s.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
        });
        srv.set_message_handler([&srv](websocketpp::connection_hdl hdl, server_type::message_ptr msg) {
            websocketpp::lib::error_code ec;
            srv.send(hdl, msg->get_payload(), msg->get_opcode(), ec);
        });
        srv.listen(boost::asio::ip::tcp::endpoint{boost::asio::ip::make_address(address), port});
        srv.start_accept();
        std::printf("websocketpp listening on %s:%u\n", address.c_str(), port);
        std::fflush(stdout);
        srv.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "websocketpp server: %s\n", e.what());
        return 1;
    }
}
