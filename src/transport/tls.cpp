// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/error.hpp>
#include <strata/transport/tls.hpp>

#include "openssl_handles.hpp"

#include <boost/asio/ip/address.hpp>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace strata::tls {

// The enum mirrors OpenSSL's constants so a verify result converts by value.
static_assert(static_cast<int>(verify_error::cert_not_yet_valid) == X509_V_ERR_CERT_NOT_YET_VALID);
static_assert(static_cast<int>(verify_error::cert_has_expired) == X509_V_ERR_CERT_HAS_EXPIRED);
static_assert(static_cast<int>(verify_error::depth_zero_self_signed_cert) ==
              X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
static_assert(static_cast<int>(verify_error::self_signed_cert_in_chain) ==
              X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
static_assert(static_cast<int>(verify_error::unable_to_get_issuer_cert_locally) ==
              X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
static_assert(static_cast<int>(verify_error::unable_to_verify_leaf_signature) ==
              X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
static_assert(static_cast<int>(verify_error::cert_revoked) == X509_V_ERR_CERT_REVOKED);
static_assert(static_cast<int>(verify_error::invalid_ca) == X509_V_ERR_INVALID_CA);
static_assert(static_cast<int>(verify_error::invalid_purpose) == X509_V_ERR_INVALID_PURPOSE);
static_assert(static_cast<int>(verify_error::cert_untrusted) == X509_V_ERR_CERT_UNTRUSTED);
static_assert(static_cast<int>(verify_error::cert_rejected) == X509_V_ERR_CERT_REJECTED);
static_assert(static_cast<int>(verify_error::hostname_mismatch) == X509_V_ERR_HOSTNAME_MISMATCH);
static_assert(static_cast<int>(verify_error::ip_address_mismatch) == X509_V_ERR_IP_ADDRESS_MISMATCH);

namespace {

class verify_category_impl final : public error_category {
public:
    const char* name() const noexcept override { return "strata.tls"; }
    std::string message(int ev) const override
    {
        return std::string{"certificate verify failed: "} + ::X509_verify_cert_error_string(ev);
    }
};

int protocol_version(version v) noexcept
{
    switch (v) {
    case version::tls1_2:
        return TLS1_2_VERSION;
    case version::tls1_3:
        return TLS1_3_VERSION;
    }
    return TLS1_3_VERSION;
}

error_code set_versions(SSL_CTX* ctx, version min, version max)
{
    if (protocol_version(min) > protocol_version(max))
        return make_error_code(boost::system::errc::invalid_argument);
    if (::SSL_CTX_set_min_proto_version(ctx, protocol_version(min)) != 1 ||
        ::SSL_CTX_set_max_proto_version(ctx, protocol_version(max)) != 1)
        return detail::last_openssl_error();
    return {};
}

/// ALPN's wire form (RFC 7301 §3.1): each name prefixed by its one-byte length.
error_code alpn_wire(const std::vector<std::string>& protocols, std::string& out)
{
    out.clear();
    for (const auto& p : protocols) {
        // RFC 7301 §3.1: empty names are not allowed, and a length is one byte.
        if (p.empty() || p.size() > 255)
            return make_error_code(boost::system::errc::invalid_argument);
        out.push_back(static_cast<char>(p.size()));
        out += p;
    }
    return {};
}

// ---- ex_data: strata's data on OpenSSL objects ------------------------------
//
// Asio keeps its verify callback in the "app data" slot of SSL and SSL_CTX,
// so strata registers slots of its own; OpenSSL calls the free function when
// the object goes, whichever path frees it.

/// The server's ALPN preference, in wire form, on its SSL_CTX.
struct server_alpn {
    std::string wire;
};

void free_server_alpn(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*)
{
    delete static_cast<server_alpn*>(ptr);
}

int server_alpn_index()
{
    static const int index = ::SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_server_alpn);
    return index;
}

} // namespace

struct session_cache::state {
    explicit state(std::size_t max) : max_origins{max == 0 ? 1 : max} {}

    using session_ptr = std::shared_ptr<SSL_SESSION>;
    struct entry {
        std::string origin;
        std::deque<session_ptr> sessions; // newest at the back
    };
    // RFC 8446 §4.6.1 lets a server send several tickets; a few per origin
    // let that many parallel connections resume.
    static constexpr std::size_t tickets_per_origin = 4;

    std::mutex mutex;
    std::size_t max_origins;
    std::list<entry> lru; // most recently used at the front
    std::unordered_map<std::string_view, std::list<entry>::iterator> by_origin;

    void store(std::string_view origin, session_ptr s)
    {
        const bool tls13 = ::SSL_SESSION_get_protocol_version(s.get()) == TLS1_3_VERSION;
        std::lock_guard lock{mutex};
        auto it = by_origin.find(origin);
        if (it == by_origin.end()) {
            lru.push_front(entry{std::string{origin}, {}});
            try {
                it = by_origin.emplace(lru.front().origin, lru.begin()).first;
            } catch (...) {
                lru.pop_front();
                throw;
            }
            if (lru.size() > max_origins) {
                by_origin.erase(lru.back().origin);
                lru.pop_back();
            }
        } else {
            lru.splice(lru.begin(), lru, it->second);
        }
        auto& sessions = it->second->sessions;
        if (!tls13)
            sessions.clear(); // a TLS 1.2 session is reusable: the newest is enough
        sessions.push_back(std::move(s));
        while (sessions.size() > tickets_per_origin)
            sessions.pop_front();
    }

    session_ptr take(std::string_view origin)
    {
        std::lock_guard lock{mutex};
        const auto it = by_origin.find(origin);
        if (it == by_origin.end())
            return nullptr;
        auto& sessions = it->second->sessions;
        session_ptr s = sessions.back();
        if (::SSL_SESSION_get_protocol_version(s.get()) == TLS1_3_VERSION)
            sessions.pop_back();
        if (sessions.empty()) {
            lru.erase(it->second);
            by_origin.erase(it);
        } else {
            lru.splice(lru.begin(), lru, it->second);
        }
        return s;
    }

    void erase(std::string_view origin)
    {
        std::lock_guard lock{mutex};
        const auto it = by_origin.find(origin);
        if (it == by_origin.end())
            return;
        lru.erase(it->second);
        by_origin.erase(it);
    }
};

session_cache::session_cache(std::size_t max_origins) : state_{std::make_shared<state>(max_origins)} {}
session_cache::~session_cache() = default;

std::size_t session_cache::size() const
{
    std::lock_guard lock{state_->mutex};
    return state_->lru.size();
}

void session_cache::erase(std::string_view origin)
{
    state_->erase(origin);
}

void session_cache::clear()
{
    std::lock_guard lock{state_->mutex};
    state_->by_origin.clear();
    state_->lru.clear();
}

struct detail::session_cache_access {
    static const std::shared_ptr<session_cache::state>& state(const session_cache& c) { return c.state_; }
};

namespace {

/// A client connection's origin and the cache its new sessions go to, on its SSL.
struct client_origin {
    std::shared_ptr<session_cache::state> cache;
    std::string origin;
};

void free_client_origin(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*)
{
    delete static_cast<client_origin*>(ptr);
}

// SSL_dup copies ex_data pointers; give the copy its own object so each is freed once.
int dup_client_origin(CRYPTO_EX_DATA*, const CRYPTO_EX_DATA*, void** ptr, int, long, void*)
{
    if (*ptr == nullptr)
        return 1;
    try {
        *ptr = new client_origin(*static_cast<client_origin*>(*ptr));
        return 1;
    } catch (...) {
        *ptr = nullptr;
        return 0;
    }
}

int client_origin_index()
{
    static const int index =
        ::SSL_get_ex_new_index(0, nullptr, nullptr, dup_client_origin, free_client_origin);
    return index;
}

// ---- OpenSSL callbacks: C code calls these, so nothing may escape them ------

/// RFC 7301 §3.2: the server picks, by its own preference, from the client's
/// offer; with no protocol in common it answers no_application_protocol.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) noexcept
{
    const auto* prefs = static_cast<const server_alpn*>(arg);
    const std::string_view ours{prefs->wire};
    auto offered = [&](std::string_view name) noexcept {
        for (unsigned int j = 0; j < inlen; j += 1u + in[j]) {
            const unsigned int len = in[j];
            if (j + 1 + len > inlen)
                break; // OpenSSL checked the list, but stay inside it regardless
            if (std::string_view{reinterpret_cast<const char*>(in + j + 1), len} == name) {
                *out = in + j + 1;
                *outlen = static_cast<unsigned char>(len);
                return true;
            }
        }
        return false;
    };
    bool speaks_http11 = false;
    for (std::size_t i = 0; i < ours.size(); i += 1 + static_cast<unsigned char>(ours[i])) {
        const auto name = ours.substr(i + 1, static_cast<unsigned char>(ours[i]));
        if (offered(name))
            return SSL_TLSEXT_ERR_OK;
        speaks_http11 = speaks_http11 || name == "http/1.1";
    }
    // An HTTP/1.1 server serves HTTP/1.0 (RFC 9112 §2.3), and clients asked
    // for 1.0 offer only "http/1.0" (curl --http1.0): accept it as nginx does.
    if (speaks_http11 && offered("http/1.0"))
        return SSL_TLSEXT_ERR_OK;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/// A client session is ready to keep: after the handshake for TLS 1.2, on
/// each NewSessionTicket for TLS 1.3 (which arrive after the handshake).
int new_client_session(SSL* ssl, SSL_SESSION* session) noexcept
{
    const auto* origin = static_cast<const client_origin*>(::SSL_get_ex_data(ssl, client_origin_index()));
    // A session from a connection that did not verify its peer must not let a
    // later, verifying connection skip the check.
    if (origin == nullptr || (::SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) == 0 ||
        ::SSL_get_verify_result(ssl) != X509_V_OK || ::SSL_SESSION_is_resumable(session) != 1)
        return 0;
    // Keep a copy, not OpenSSL's object: when a connection ends without
    // close_notify, SSL_free marks its session not resumable, and HTTP peers
    // often close that way. RFC 5246 (since TLS 1.1) and RFC 8446 do not ask
    // for that, so strata's copy stays usable. Returning 0 leaves OpenSSL's
    // own reference to OpenSSL.
    SSL_SESSION* copy = ::SSL_SESSION_dup(session);
    if (copy == nullptr) {
        ::ERR_clear_error();
        return 0;
    }
    try {
        origin->cache->store(origin->origin, std::shared_ptr<SSL_SESSION>{copy, ::SSL_SESSION_free});
    } catch (...) {
        // shared_ptr's constructor frees the copy when it throws; a full cache
        // is no reason to fail a connection.
    }
    return 0;
}

error_code load_ca_pem(SSL_CTX* ctx, const std::string& pem)
{
    X509_STORE* store = ::SSL_CTX_get_cert_store(ctx);
    const auto bio = detail::memory_bio(pem);
    if (!bio)
        return detail::last_openssl_error();
    int count = 0;
    for (;;) {
        detail::x509_ptr cert{::PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
        if (!cert)
            break;
        if (::X509_STORE_add_cert(store, cert.get()) != 1)
            return detail::last_openssl_error();
        ++count;
    }
    // The loop ends on "no start line" at the end of the text: not an error
    // once a certificate was read.
    const unsigned long e = ::ERR_peek_last_error();
    if (count > 0 && ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ::ERR_clear_error();
        return {};
    }
    return detail::last_openssl_error(make_error_code(boost::system::errc::invalid_argument));
}

} // namespace

const error_category& verify_category() noexcept
{
    static const verify_category_impl instance;
    return instance;
}

// ---- contexts ---------------------------------------------------------------

net::ssl::context make_server_context(const server_config& cfg, error_code& ec)
{
    ec = {};
    ::ERR_clear_error();
    net::ssl::context ctx{net::ssl::context::tls_server};
    SSL_CTX* h = ctx.native_handle();
    if ((ec = set_versions(h, cfg.min_version, cfg.max_version)))
        return ctx;
    // Client-initiated TLS 1.2 renegotiation only costs the server CPU
    // (a denial-of-service lever); nothing in HTTP needs it.
    ::SSL_CTX_set_options(h,
                          SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);

    const bool pem = !cfg.certificate_chain_pem.empty() || !cfg.private_key_pem.empty();
    if (pem) {
        ctx.use_certificate_chain(net::buffer(cfg.certificate_chain_pem), ec);
        if (!ec)
            ctx.use_private_key(net::buffer(cfg.private_key_pem), net::ssl::context::pem, ec);
    } else if (!cfg.certificate_chain_file.empty() || !cfg.private_key_file.empty()) {
        ctx.use_certificate_chain_file(cfg.certificate_chain_file, ec);
        if (!ec)
            ctx.use_private_key_file(cfg.private_key_file, net::ssl::context::pem, ec);
    } else {
        // A TLS server without a certificate can complete no handshake.
        ec = make_error_code(boost::system::errc::invalid_argument);
    }
    if (ec)
        return ctx;
    if (::SSL_CTX_check_private_key(h) != 1) {
        ec = detail::last_openssl_error();
        return ctx;
    }
    // Lets the server resume TLS 1.2 sessions by id as well as by ticket.
    static constexpr unsigned char sid_context[] = "strata";
    ::SSL_CTX_set_session_id_context(h, sid_context, sizeof sid_context - 1);

    if (!cfg.alpn.empty()) {
        auto prefs = std::make_unique<server_alpn>();
        if ((ec = alpn_wire(cfg.alpn, prefs->wire)))
            return ctx;
        if (::SSL_CTX_set_ex_data(h, server_alpn_index(), prefs.get()) != 1) {
            ec = detail::last_openssl_error();
            return ctx;
        }
        ::SSL_CTX_set_alpn_select_cb(h, select_alpn, prefs.release());
    }
    return ctx;
}

net::ssl::context make_server_context(const server_config& cfg)
{
    error_code ec;
    auto ctx = make_server_context(cfg, ec);
    if (ec)
        throw boost::system::system_error{ec, "tls::make_server_context"};
    return ctx;
}

net::ssl::context make_client_context(const client_config& cfg, error_code& ec)
{
    ec = {};
    ::ERR_clear_error();
    net::ssl::context ctx{net::ssl::context::tls_client};
    SSL_CTX* h = ctx.native_handle();
    if ((ec = set_versions(h, cfg.min_version, cfg.max_version)))
        return ctx;
    ::SSL_CTX_set_options(h, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);

    ::SSL_CTX_set_verify(h, cfg.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (cfg.use_system_store && ::SSL_CTX_set_default_verify_paths(h) != 1) {
        ec = detail::last_openssl_error();
        return ctx;
    }
    if (!cfg.ca_file.empty() && ::SSL_CTX_load_verify_locations(h, cfg.ca_file.c_str(), nullptr) != 1) {
        ec = detail::last_openssl_error();
        return ctx;
    }
    if (!cfg.ca_pem.empty() && (ec = load_ca_pem(h, cfg.ca_pem)))
        return ctx;

    if (!cfg.alpn.empty()) {
        std::string wire;
        if ((ec = alpn_wire(cfg.alpn, wire)))
            return ctx;
        // Unlike most of OpenSSL, this returns 0 on success.
        if (::SSL_CTX_set_alpn_protos(h, reinterpret_cast<const unsigned char*>(wire.data()),
                                      static_cast<unsigned int>(wire.size())) != 0) {
            ec = detail::last_openssl_error();
            return ctx;
        }
    }

    if (cfg.session_resumption) {
        // Sessions go to strata's session_cache only; OpenSSL's internal
        // store is a server-side lookup a client has no use for.
        ::SSL_CTX_set_session_cache_mode(h, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        ::SSL_CTX_sess_set_new_cb(h, new_client_session);
    } else {
        ::SSL_CTX_set_session_cache_mode(h, SSL_SESS_CACHE_OFF);
        ::SSL_CTX_set_options(h, SSL_OP_NO_TICKET);
    }
    return ctx;
}

net::ssl::context make_client_context(const client_config& cfg)
{
    error_code ec;
    auto ctx = make_client_context(cfg, ec);
    if (ec)
        throw boost::system::system_error{ec, "tls::make_client_context"};
    return ctx;
}

// ---- before and after the handshake ----------------------------------------

void prepare_client(SSL* ssl, std::string_view host, std::uint16_t port, session_cache* cache, error_code& ec)
{
    ec = {};
    ::ERR_clear_error();
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    // "example.com." names the same host; SNI carries no trailing dot (RFC 6066 §3).
    if (host.size() > 1 && host.back() == '.')
        host.remove_suffix(1);
    if (host.empty()) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return;
    }
    const std::string name{host};
    error_code not_ip;
    const auto address = net::ip::make_address(name, not_ip);
    const bool verify = (::SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0;

    // Each call sets the name in full: SNI, a host name or an address to
    // check, never a mix left over from an earlier call.
    X509_VERIFY_PARAM* param = ::SSL_get0_param(ssl);
    bool ok = true;
    if (not_ip) {
        ok = ::SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 &&
             ::X509_VERIFY_PARAM_set1_ip(param, nullptr, 0) == 1;
        if (ok && verify) {
            // RFC 6125 §6.4.3: a wildcard stands for one whole left-most label.
            ::SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = ::SSL_set1_host(ssl, name.c_str()) == 1;
        }
    } else {
        // No SNI for an address (RFC 6066 §3); the certificate must list it
        // as an iPAddress subjectAltName (RFC 6125 §3.1.3.2, RFC 5280 §4.2.1.6).
        ok = ::SSL_set_tlsext_host_name(ssl, nullptr) == 1 && ::SSL_set1_host(ssl, nullptr) == 1;
        if (ok && verify)
            ok = ::X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;
    }
    if (!ok) {
        ec = detail::last_openssl_error();
        return;
    }

    SSL_CTX* ctx = ::SSL_get_SSL_CTX(ssl);
    if (cache == nullptr || (::SSL_CTX_get_session_cache_mode(ctx) & SSL_SESS_CACHE_CLIENT) == 0)
        return;
    // The key uses the address's canonical text, so "[::1]" and "::1" agree.
    std::string origin = not_ip ? name : address.to_string();
    if (!not_ip && address.is_v6())
        origin = '[' + origin + ']';
    origin += ':' + std::to_string(port);

    const auto& state = detail::session_cache_access::state(*cache);
    if (const auto session = state->take(origin)) {
        // The connection gets a copy, for the reason new_client_session keeps
        // one: a TLS 1.2 session stays in the cache, and this connection
        // closing without close_notify must not spoil it.
        SSL_SESSION* copy = ::SSL_SESSION_dup(session.get());
        const bool set = copy != nullptr && ::SSL_set_session(ssl, copy) == 1;
        ::SSL_SESSION_free(copy); // SSL_set_session took its own reference
        if (!set) {
            ec = detail::last_openssl_error();
            return;
        }
    }
    auto data = std::make_unique<client_origin>(client_origin{state, std::move(origin)});
    // Called twice on one connection, the second origin replaces the first.
    std::unique_ptr<client_origin> previous{
        static_cast<client_origin*>(::SSL_get_ex_data(ssl, client_origin_index()))};
    if (::SSL_set_ex_data(ssl, client_origin_index(), data.get()) != 1) {
        (void)previous.release(); // still in place
        ec = detail::last_openssl_error();
        return;
    }
    data.release();
}

std::string_view negotiated_alpn(const SSL* ssl) noexcept
{
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    ::SSL_get0_alpn_selected(ssl, &data, &len);
    if (data == nullptr)
        return {};
    return {reinterpret_cast<const char*>(data), len};
}

bool session_reused(const SSL* ssl) noexcept
{
    return ::SSL_session_reused(ssl) == 1;
}

std::string_view server_name(const SSL* ssl) noexcept
{
    const char* name = ::SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    return name == nullptr ? std::string_view{} : std::string_view{name};
}

error_code verify_result(const SSL* ssl) noexcept
{
    const long result = ::SSL_get_verify_result(ssl);
    if (result == X509_V_OK)
        return {};
    return {static_cast<int>(result), verify_category()};
}

error_code handshake_error(const SSL* ssl, error_code ec) noexcept
{
    if (!ec)
        return ec;
    if (auto why = verify_result(ssl))
        return why;
    if (ec.category() == net::error::get_ssl_category()) {
        const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
        // The server's side (it found no protocol) and the client's (it got the alert).
        if (reason == SSL_R_NO_APPLICATION_PROTOCOL || reason == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL)
            return strata::error::no_alpn_match;
    }
    return ec;
}

} // namespace strata::tls
