// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The TLS settings a user writes into server_config and client_config. Kept
// apart from tls.hpp so that naming a config does not pull in OpenSSL.

#include <string>
#include <vector>

namespace strata::tls {

/// Protocol versions strata speaks. Nothing older than TLS 1.2 (RFC 8996
/// deprecates 1.0 and 1.1).
enum class version {
    tls1_2, ///< RFC 5246
    tls1_3, ///< RFC 8446
};

struct server_config {
    /// The certificate chain (leaf first) and its private key, as PEM files...
    std::string certificate_chain_file;
    std::string private_key_file;
    /// ...or as PEM text (dev certificates from make_self_signed, tests). The
    /// in-memory form wins when both are given.
    std::string certificate_chain_pem;
    std::string private_key_pem;
    /// ALPN protocols in the server's order of preference (RFC 7301 §3.2: the
    /// server chooses). When a client offers ALPN and none of these, the
    /// handshake fails with a no_application_protocol alert; a client that
    /// offers no ALPN at all is served without one. Empty: no ALPN. A server
    /// listing "http/1.1" also accepts a client offering only "http/1.0".
    std::vector<std::string> alpn = {"http/1.1"};
    version min_version = version::tls1_2;
    version max_version = version::tls1_3;
};

struct client_config {
    /// Verify the server's certificate chain and its name (RFC 6125). Turning
    /// this off makes the connection readable by anyone on the path.
    bool verify_peer = true;
    /// Trust the system's store (on Debian /etc/ssl/certs).
    bool use_system_store = true;
    /// Extra trust anchors: a PEM file and/or PEM text with one or more CA
    /// certificates (a private CA, the CA a test made).
    std::string ca_file;
    std::string ca_pem;
    /// ALPN protocols offered, in the client's order of preference. Empty: no ALPN.
    std::vector<std::string> alpn = {"http/1.1"};
    version min_version = version::tls1_2;
    version max_version = version::tls1_3;
    /// Save sessions (TLS 1.3 tickets, TLS 1.2 tickets or ids) in the
    /// session_cache given to prepare_client and resume from them.
    bool session_resumption = true;
};

} // namespace strata::tls
