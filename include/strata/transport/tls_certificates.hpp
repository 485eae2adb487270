// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Certificates made at run time: the development certificate `strata serve`
// uses, and a throw-away CA for tests, so that no private key is ever
// committed. Keys are ECDSA P-256, signatures SHA-256, certificates X.509 v3
// (RFC 5280).

#include <strata/config.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace strata::tls {

/// A certificate and its private key, as PEM text (the key unencrypted,
/// PKCS #8). Feed them to server_config::certificate_chain_pem/private_key_pem.
struct certificate {
    std::string certificate_pem;
    std::string private_key_pem;
};

/// The window a certificate is valid in (notBefore, notAfter).
struct validity {
    std::chrono::system_clock::time_point not_before;
    std::chrono::system_clock::time_point not_after;

    /// From an hour ago (a peer's clock may lag) to `days` from now.
    static validity from_now(std::chrono::days days);
};

/// A self-signed server certificate for `names`: DNS names and IP literals,
/// each put in subjectAltName by its kind (clients match names there, not in
/// the common name, RFC 6125 §6.4.4). A client trusts it by adding its
/// certificate_pem as a CA (client_config::ca_pem).
certificate make_self_signed(std::string_view common_name, const std::vector<std::string>& names,
                             std::chrono::days valid_for, error_code& ec);
certificate make_self_signed(std::string_view common_name, const std::vector<std::string>& names,
                             std::chrono::days valid_for = std::chrono::days{30});

/// A certificate authority that lives for one test run.
struct test_authority {
    certificate ca;

    /// A server certificate for `names` (as in make_self_signed), signed by this CA.
    /// A validity in the past makes an expired certificate.
    certificate issue(std::string_view common_name, const std::vector<std::string>& names, validity valid,
                      error_code& ec) const;
    certificate issue(std::string_view common_name, const std::vector<std::string>& names,
                      validity valid = validity::from_now(std::chrono::days{30})) const;
};

test_authority make_test_authority(std::string_view name, error_code& ec);
test_authority make_test_authority(std::string_view name = "strata test CA");

} // namespace strata::tls
