// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// TLS (RFC 8446, RFC 5246) over any Asio byte stream, on OpenSSL 3.0 through
// boost::asio::ssl: contexts built from the config structs, SNI and name
// verification before a client handshake, ALPN, per-origin session
// resumption, and handshake errors that say why a certificate was refused.
//
// A client connection, in order:
//   auto ctx = tls::make_client_context(cfg);            // once, shared by connections
//   net::ssl::stream<tcp::socket> s{socket, ctx};
//   tls::prepare_client(s, host, port, &cache, ec);      // SNI, name check, resume
//   co_await tls::async_handshake(s, net::ssl::stream_base::client, use_awaitable);
//   tls::negotiated_alpn(s.native_handle());             // "h2", "http/1.1" or ""

#include <strata/config.hpp>
#include <strata/transport/tls_config.hpp>

#include <boost/asio/compose.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>

namespace strata::tls {

// ---- errors -----------------------------------------------------------------

/// Why the peer's certificate was refused: X509 verification results, with the
/// values of OpenSSL's X509_V_ERR_* constants. Their category ("strata.tls")
/// carries any X509_V_ERR_* value, not only these; its message reads
/// "certificate verify failed: <OpenSSL's reason>".
enum class verify_error {
    cert_not_yet_valid = 9,                 ///< notBefore is in the future
    cert_has_expired = 10,                  ///< notAfter is in the past
    depth_zero_self_signed_cert = 18,       ///< a self-signed certificate nobody trusts
    self_signed_cert_in_chain = 19,         ///< the chain ends in a root nobody trusts
    unable_to_get_issuer_cert_locally = 20, ///< issuer unknown (not in the trust store)
    unable_to_verify_leaf_signature = 21,   ///< a lone certificate whose issuer is unknown
    cert_revoked = 23,
    invalid_ca = 79,      ///< an issuer that is not a CA
    invalid_purpose = 26, ///< certificate not meant for TLS servers
    cert_untrusted = 27,
    cert_rejected = 28,
    hostname_mismatch = 62, ///< the certificate does not name the host (RFC 6125)
    ip_address_mismatch = 64,
};

const error_category& verify_category() noexcept;

inline error_code make_error_code(verify_error e) noexcept
{
    return {static_cast<int>(e), verify_category()};
}

// ---- contexts ---------------------------------------------------------------

/// A server context: certificate and key, protocol versions, ALPN selection.
/// On error `ec` is set (OpenSSL's reason, e.g. "key values mismatch") and the
/// context returned must not be used.
net::ssl::context make_server_context(const server_config& cfg, error_code& ec);
net::ssl::context make_server_context(const server_config& cfg);

/// A client context: trust anchors, verification on by default, versions,
/// the ALPN offer, and the hook that files new sessions for resumption.
net::ssl::context make_client_context(const client_config& cfg, error_code& ec);
net::ssl::context make_client_context(const client_config& cfg);

// ---- session resumption -----------------------------------------------------

class session_cache;
namespace detail {
struct session_cache_access;
}

/// Sessions the client may resume, keyed by origin ("host:port"). Shared by
/// every connection of a client, across threads. A TLS 1.3 ticket is used
/// once (RFC 8446 §C.4: reuse lets an observer link connections), so up to
/// four are kept per origin; a TLS 1.2 session is kept until replaced.
/// Connections keep the cache's state alive, so it may be destroyed first.
/// Use one cache per client context: a session remembers that its peer was
/// verified, not against which trust anchors. Sessions of connections that
/// did not verify their peer are never kept.
class session_cache {
public:
    /// Sessions of at most `max_origins` origins; the least recently used go first.
    explicit session_cache(std::size_t max_origins = 256);
    ~session_cache();
    session_cache(const session_cache&) = delete;
    session_cache& operator=(const session_cache&) = delete;

    /// Origins with at least one session.
    std::size_t size() const;
    /// Forgets the sessions of one origin ("host:port", as prepare_client forms it).
    void erase(std::string_view origin);
    void clear();

    struct state; ///< defined in src/; connections hold it too

private:
    friend struct detail::session_cache_access;
    std::shared_ptr<state> state_;
};

// ---- before and after the handshake ----------------------------------------

/// Readies a client connection to `host` (a DNS name or an IP literal, IPv6
/// with or without brackets) before its handshake: sends SNI for a name (not
/// for an IP, RFC 6066 §3), has the certificate checked against the name or
/// the IP address when the context verifies, and resumes a session for
/// host:port from `cache` (null: no resumption).
void prepare_client(SSL* ssl, std::string_view host, std::uint16_t port, session_cache* cache,
                    error_code& ec);

template <class NextLayer>
void prepare_client(net::ssl::stream<NextLayer>& stream, std::string_view host, std::uint16_t port,
                    session_cache* cache, error_code& ec)
{
    prepare_client(stream.native_handle(), host, port, cache, ec);
}

/// The protocol ALPN settled on; "" when none was.
std::string_view negotiated_alpn(const SSL* ssl) noexcept;
/// Whether the handshake resumed a session instead of a full exchange.
bool session_reused(const SSL* ssl) noexcept;
/// Server side: the host name the client sent in SNI; "" when none.
std::string_view server_name(const SSL* ssl) noexcept;
/// The result of verifying the peer's certificate: empty when it passed or
/// was not checked, else a verify_error value.
error_code verify_result(const SSL* ssl) noexcept;

/// Makes a failed handshake's error say why: the certificate verification
/// result when that failed (in place of OpenSSL's bare "certificate verify
/// failed"), strata::error::no_alpn_match when the peers share no ALPN
/// protocol, else `ec` unchanged.
error_code handshake_error(const SSL* ssl, error_code ec) noexcept;

/// stream.handshake with the error made clear by handshake_error.
template <class NextLayer>
void handshake(net::ssl::stream<NextLayer>& stream, net::ssl::stream_base::handshake_type type,
               error_code& ec)
{
    stream.handshake(type, ec);
    ec = handshake_error(stream.native_handle(), ec);
}

namespace detail {

template <class NextLayer>
struct handshake_op {
    net::ssl::stream<NextLayer>& stream;
    net::ssl::stream_base::handshake_type type;
    bool started = false;

    template <class Self>
    void operator()(Self& self, error_code ec = {})
    {
        if (!started) {
            started = true;
            stream.async_handshake(type, std::move(self));
            return;
        }
        self.complete(handshake_error(stream.native_handle(), ec));
    }
};

} // namespace detail

/// stream.async_handshake with the error made clear by handshake_error.
/// Signature: void(error_code).
template <class NextLayer, class CompletionToken>
auto async_handshake(net::ssl::stream<NextLayer>& stream, net::ssl::stream_base::handshake_type type,
                     CompletionToken&& token)
{
    return net::async_compose<CompletionToken, void(error_code)>(
        detail::handshake_op<NextLayer>{stream, type}, token, stream);
}

} // namespace strata::tls

template <>
struct boost::system::is_error_code_enum<strata::tls::verify_error> : std::true_type {};
