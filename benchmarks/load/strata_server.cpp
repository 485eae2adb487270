// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.

// strata's side of the load benchmarks: strata::server on one io_context
// thread, answering GET / with "hello, world\n" as text/plain, as the Beast
// peer, nginx and nghttpd do. The limits that would cut a benchmark short are
// raised: 20,000 connections (the idle-memory run holds 10,000) and a
// ten-minute idle timeout; everything else is the default a user gets, HTTP/2
// included: h2 by ALPN on the TLS port, prior knowledge on the cleartext one.
//
//   strata_bench_server [port=8081] [address=127.0.0.1] [--https PORT [--cert FILE --key FILE]]
//   strata_bench_server --write-certificate DIR
//
// --https adds a TLS listener; without --cert/--key it makes a throw-away
// certificate in memory. --write-certificate writes DIR/cert.pem and
// DIR/key.pem (ECDSA P-256, for localhost and 127.0.0.1) and exits, so that
// h2load.sh can give every server of a run the same certificate and key.

#include <strata/config.hpp>

#include <strata/server.hpp>
#include <strata/transport/tls_certificates.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
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
    std::fprintf(stderr,
                 "usage: strata_bench_server [port] [address] [--https PORT [--cert FILE --key FILE]]\n"
                 "       strata_bench_server --write-certificate DIR\n");
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    namespace net = strata::net;
    std::vector<std::string> positional;
    std::string https_port, cert_file, key_file, certificate_dir;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--https" && has_value)
            https_port = argv[++i];
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
        if (!https_port.empty()) {
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
        const auto ep = srv.listen("http://" + address + ":" + port);
        std::printf("strata listening on http://%s:%u\n", ep.address().to_string().c_str(), ep.port());
        if (!https_port.empty()) {
            const auto tls_ep = srv.listen("https://" + address + ":" + https_port);
            std::printf("strata listening on https://%s:%u\n", tls_ep.address().to_string().c_str(),
                        tls_ep.port());
        }
        std::fflush(stdout);
        ioc.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "strata server: %s\n", e.what());
        return 1;
    }
}
