// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The one seam between QUIC and the TLS library that runs its handshake
// (RFC 9001). ngtcp2's crypto helper for that library derives and installs
// the packet keys; this side only makes configured TLS sessions. Today the
// backend is GnuTLS (Debian's OpenSSL 3.0 has no QUIC TLS API); an OpenSSL
// backend would implement these three classes and nothing else changes.

#include <strata/config.hpp>
#include <strata/transport/tls_config.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct ngtcp2_crypto_conn_ref;

namespace strata::quic::detail {

class tls_session {
public:
    virtual ~tls_session() = default;
    /// What ngtcp2_conn_set_tls_native_handle wants (a gnutls_session_t).
    virtual void* native_handle() noexcept = 0;
    /// The protocol ALPN chose, once the handshake got that far.
    virtual std::string alpn() const = 0;
    /// Client role: the session resumed from a ticket, and the server took
    /// our 0-RTT data.
    virtual bool resumed() const = 0;
    virtual bool early_data_accepted() const = 0;
    /// Client role: why the server's certificate was refused, if it was, in
    /// the category TCP's TLS uses ("strata.tls"), so both read alike.
    virtual error_code verify_result() const = 0;
};

class tls_server_context {
public:
    virtual ~tls_server_context() = default;
    /// A session for one new connection; `ref` finds its ngtcp2_conn.
    virtual std::unique_ptr<tls_session> new_session(ngtcp2_crypto_conn_ref* ref, error_code& ec) = 0;
};

/// A resumption ticket, as the TLS library serialized it.
using session_ticket = std::vector<unsigned char>;

class tls_client_context {
public:
    virtual ~tls_client_context() = default;
    /// A session for one new connection to `host` (SNI and the name to
    /// verify). `resume`: a ticket from an earlier connection, or empty.
    /// `on_ticket` runs when the server sends a new ticket.
    virtual std::unique_ptr<tls_session> new_session(ngtcp2_crypto_conn_ref* ref, std::string_view host,
                                                     const session_ticket& resume,
                                                     std::function<void(session_ticket)> on_ticket,
                                                     error_code& ec) = 0;
};

/// ALPN is fixed by the caller ("h3"): QUIC carries nothing else here.
std::shared_ptr<tls_server_context> make_tls_server_context(const tls::server_config& cfg,
                                                            std::vector<std::string> alpn,
                                                            bool accept_early_data, error_code& ec);
std::shared_ptr<tls_client_context> make_tls_client_context(const tls::client_config& cfg,
                                                            std::vector<std::string> alpn,
                                                            bool enable_early_data, error_code& ec);

} // namespace strata::quic::detail
