// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The transports every integration test runs over: HTTP/1.1 and HTTP/2,
// each on TCP and on TLS (a test CA made at run time), and HTTP/3 on QUIC.
// A test written once against strata::server and strata::client runs on all five.

#include <strata/config.hpp>

#include <strata/client.hpp>
#include <strata/server.hpp>
#include <strata/transport/tls_certificates.hpp>

#include <gtest/gtest.h>

#include <string>

namespace strata::test {

struct transport {
    http::version version = http::version::http1_1;
    bool tls = false;

    bool h2() const noexcept { return version == http::version::http2; }
    bool h3() const noexcept { return version == http::version::http3; }
    /// The scheme of the URLs a client asks for.
    std::string scheme() const { return tls ? "https" : "http"; }
    /// The scheme a server listens on: HTTP/3 listens on quic://.
    std::string listen_scheme() const { return h3() ? "quic" : scheme(); }
};

inline std::string transport_name(const ::testing::TestParamInfo<transport>& info)
{
    if (info.param.h3())
        return "http3_quic";
    return std::string(info.param.h2() ? "http2" : "http1") + (info.param.tls ? "_tls" : "_tcp");
}

inline const tls::test_authority& test_authority()
{
    static const auto ca = tls::make_test_authority();
    return ca;
}

/// A server config with the test CA's certificate for localhost, 127.0.0.1 and ::1.
inline server_config server_config_for(const transport& t, server_config cfg = {})
{
    if (t.tls) {
        static const auto cert = test_authority().issue("localhost", {"localhost", "127.0.0.1", "::1"});
        cfg.tls.certificate_chain_pem = cert.certificate_pem;
        cfg.tls.private_key_pem = cert.private_key_pem;
    }
    return cfg;
}

/// A client that speaks the transport's version: ALPN offers h2 or not on
/// TLS; prior knowledge decides on TCP. It trusts the test CA.
inline client_config client_config_for(const transport& t, client_config cfg = {})
{
    cfg.enable_http2 = t.h2();
    cfg.http2_prior_knowledge = t.h2() && !t.tls;
    cfg.http3_only = t.h3();
    cfg.tls.ca_pem = test_authority().ca.certificate_pem;
    return cfg;
}

inline auto all_transports()
{
    return ::testing::Values(transport{http::version::http1_1, false},
                             transport{http::version::http1_1, true}, transport{http::version::http2, false},
                             transport{http::version::http2, true}, transport{http::version::http3, true});
}

} // namespace strata::test
