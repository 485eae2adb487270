// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The development certificate of `strata serve`: self-signed for
// localhost, 127.0.0.1 and ::1, made at start-up (no key is ever shipped),
// and written where a client can be pointed at it with --cacert.

#include <strata/transport/tls_certificates.hpp>

#include <string>

namespace strata_cli {

struct dev_certificate {
    strata::tls::certificate pem;
    std::string certificate_file; ///< PEM, for clients: --cacert, curl --cacert
    std::string key_file;         ///< mode 0600
};

/// Makes the certificate and writes both files into a directory only this
/// user can enter ($XDG_RUNTIME_DIR/strata, else /tmp/strata-dev-cert-UID).
/// False with `error` set when that directory is unsafe or unwritable.
bool make_dev_certificate(dev_certificate& out, std::string& error);

} // namespace strata_cli
