// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// strata's side of the load benchmarks: strata::server on one io_context
// thread, answering GET / with "hello, world\n" as text/plain, as the Beast
// peer, nginx and nghttpd do. The limits that would cut a benchmark short are
// raised: 20,000 connections (the idle-memory run holds 10,000) and a
// ten-minute idle timeout; everything else is the default a user gets, HTTP/2
// included: h2 by ALPN on the TLS port, prior knowledge on the cleartext one.
//
//   strata_bench_server [port=8081] [address=127.0.0.1] [--https PORT] [--quic PORT]
//                       [--cert FILE --key FILE]
//   strata_bench_server --write-certificate DIR
//
// --https adds a TLS listener, --quic an HTTP/3 one (UDP; it may share the
// --https port number), both with the same certificate; without --cert/--key
// that is a throw-away one made in memory. --write-certificate writes
// DIR/cert.pem and DIR/key.pem (ECDSA P-256, for localhost and 127.0.0.1)
// and exits, so that h2load.sh and h3.sh can give every server of a run the
// same certificate and key.
//
// Besides GET /, GET /bytes/N answers N bytes of application/octet-stream
// (h3.sh's 100 MiB download). Each size's body is made once and kept, as a
// file server's page cache would keep the file.

#include <strata/config.hpp>

#include <strata/server.hpp>
#include <strata/transport/tls_certificates.hpp>

#include <boost/asio/io_context.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

const std::vector<std::string> certificate_names = {"localhost", "127.0.0.1"};

void write_file(const std::string& path, const std::string& text)
{
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << text;
    out.close();
    if (!out)
        throw std::runtime_error("cannot write " + path);
}

int usage()
{
    std::fprintf(
        stderr,
        "usage: strata_bench_server [port] [address] [--https PORT] [--quic PORT] [--cert FILE --key FILE]\n"
        "       strata_bench_server --write-certificate DIR\n");
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    namespace net = strata::net;
    std::vector<std::string> positional;
    std::string https_port, quic_port, cert_file, key_file, certificate_dir;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--https" && has_value)
            https_port = argv[++i];
        else if (arg == "--quic" && has_value)
            quic_port = argv[++i];
        else if (arg == "--cert" && has_value)
            cert_file = argv[++i];
        else if (arg == "--key" && has_value)
            key_file = argv[++i];
        else if (arg == "--write-certificate" && has_value)
            certificate_dir = argv[++i];
        else if (arg.starts_with("-"))
            return usage();
        else
            positional.emplace_back(arg);
    }
    if (positional.size() > 2 || cert_file.empty() != key_file.empty())
        return usage();
    const std::string port = !positional.empty() ? positional[0] : "8081";
    const std::string address = positional.size() > 1 ? positional[1] : "127.0.0.1";
    try {
        if (!certificate_dir.empty()) {
            const auto cert =
                strata::tls::make_self_signed("localhost", certificate_names, std::chrono::days{30});
            write_file(certificate_dir + "/key.pem", cert.private_key_pem);
            write_file(certificate_dir + "/cert.pem", cert.certificate_pem);
            return 0;
        }

        net::io_context ioc{1};
        strata::server_config cfg;
        cfg.max_connections = 20'000;
        cfg.idle_timeout = std::chrono::minutes{10};
        if (!https_port.empty() || !quic_port.empty()) {
            if (!cert_file.empty()) {
                cfg.tls.certificate_chain_file = cert_file;
                cfg.tls.private_key_file = key_file;
            } else {
                auto cert =
                    strata::tls::make_self_signed("localhost", certificate_names, std::chrono::days{30});
                cfg.tls.certificate_chain_pem = std::move(cert.certificate_pem);
                cfg.tls.private_key_pem = std::move(cert.private_key_pem);
            }
        }
        strata::server srv{ioc.get_executor(), cfg};
        srv.route("GET", "/", [](strata::request&, strata::response& res) -> net::awaitable<void> {
            co_await res.send(strata::status::ok, "hello, world\n", "text/plain");
        });
        // Bodies by size, made on first use; the handlers run on the one
        // io_context thread, so the map needs no lock.
        std::map<std::size_t, std::string> bodies;
        constexpr std::size_t max_body = std::size_t{1} << 30;
        srv.route("GET", "/bytes/{n}",
                  [&bodies](strata::request& req, strata::response& res) -> net::awaitable<void> {
                      const auto text = req.param("n");
                      std::size_t n = 0;
                      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
                      if (ec != std::errc{} || end != text.data() + text.size() || n > max_body) {
                          co_await res.send(strata::status::bad_request, "bad size\n", "text/plain");
                          co_return;
                      }
                      auto& body = bodies[n];
                      if (body.size() != n)
                          body.assign(n, 'x');
                      co_await res.send(strata::status::ok, body, "application/octet-stream");
                  });
        const auto ep = srv.listen("http://" + address + ":" + port);
        std::printf("strata listening on http://%s:%u\n", ep.address().to_string().c_str(), ep.port());
        if (!https_port.empty()) {
            const auto tls_ep = srv.listen("https://" + address + ":" + https_port);
            std::printf("strata listening on https://%s:%u\n", tls_ep.address().to_string().c_str(),
                        tls_ep.port());
        }
        if (!quic_port.empty()) {
            const auto quic_ep = srv.listen("quic://" + address + ":" + quic_port);
            std::printf("strata listening on quic://%s:%u\n", quic_ep.address().to_string().c_str(),
                        quic_ep.port());
        }
        std::fflush(stdout);
        ioc.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata server: %s\n", e.what());
        return 1;
    }
}
