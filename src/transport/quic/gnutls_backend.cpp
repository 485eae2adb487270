// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
// The GnuTLS backend of QUIC's TLS seam (tls_backend.hpp).

#include <strata/config.hpp>

#include "tls_backend.hpp"

#include <strata/error.hpp>
#include <strata/transport/tls.hpp>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <arpa/inet.h>

#include <cstring>
#include <limits>

namespace strata::quic::detail {
namespace {

// TLS 1.3 only (RFC 9001 §4.2), without the middlebox compatibility mode
// QUIC forbids (§8.4), and only the AEADs QUIC defines header protection for.
constexpr const char* priority =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "%DISABLE_TLS13_COMPAT_MODE";

error_code tls_setup_error()
{
    return make_error_code(strata::error::unsupported);
}

std::vector<gnutls_datum_t> alpn_datums(std::vector<std::string>& alpn)
{
    std::vector<gnutls_datum_t> out;
    for (auto& p : alpn)
        out.push_back({reinterpret_cast<unsigned char*>(p.data()), static_cast<unsigned>(p.size())});
    return out;
}

std::string negotiated_alpn(gnutls_session_t s)
{
    gnutls_datum_t proto{};
    if (gnutls_alpn_get_selected_protocol(s, &proto) != 0)
        return {};
    return {reinterpret_cast<const char*>(proto.data), proto.size};
}

class gnutls_session final : public tls_session {
public:
    explicit gnutls_session(gnutls_session_t s) : s_{s} {}
    ~gnutls_session() override { gnutls_deinit(s_); }
    void* native_handle() noexcept override { return s_; }
    std::string alpn() const override { return negotiated_alpn(s_); }
    bool resumed() const override { return gnutls_session_is_resumed(s_) != 0; }
    bool early_data_accepted() const override
    {
        return (gnutls_session_get_flags(s_) & GNUTLS_SFLAGS_EARLY_DATA) != 0;
    }
    error_code verify_result() const override
    {
        return from_status(gnutls_session_get_verify_cert_status(s_));
    }

    error_code from_status(unsigned status) const
    {
        if (status == 0)
            return {};
        using tls::verify_error;
        if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
            return make_error_code(verify_error::hostname_mismatch);
        if (status & GNUTLS_CERT_EXPIRED)
            return make_error_code(verify_error::cert_has_expired);
        if (status & GNUTLS_CERT_NOT_ACTIVATED)
            return make_error_code(verify_error::cert_not_yet_valid);
        if (status & GNUTLS_CERT_REVOKED)
            return make_error_code(verify_error::cert_revoked);
        if (status & GNUTLS_CERT_SIGNER_NOT_CA)
            return make_error_code(verify_error::invalid_ca);
        if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
            return make_error_code(verify_error::invalid_purpose);
        if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
            unsigned n = 0;
            const gnutls_datum_t* chain = gnutls_certificate_get_peers(s_, &n);
            if (n == 1 && chain != nullptr && is_self_signed(chain[0]))
                return make_error_code(verify_error::depth_zero_self_signed_cert);
            return make_error_code(verify_error::unable_to_get_issuer_cert_locally);
        }
        return make_error_code(verify_error::cert_rejected);
    }

private:
    static bool is_self_signed(const gnutls_datum_t& der)
    {
        gnutls_x509_crt_t crt = nullptr;
        if (gnutls_x509_crt_init(&crt) != 0)
            return false;
        bool self = gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) == 0 &&
                    gnutls_x509_crt_check_issuer(crt, crt) != 0;
        gnutls_x509_crt_deinit(crt);
        return self;
    }

    gnutls_session_t s_;
};

// ---- server ----------------------------------------------------------------

class gnutls_server_context final : public tls_server_context {
public:
    ~gnutls_server_context() override
    {
        if (anti_replay_)
            gnutls_anti_replay_deinit(anti_replay_);
        if (ticket_key_.data)
            gnutls_memset(ticket_key_.data, 0, ticket_key_.size), gnutls_free(ticket_key_.data);
        if (cred_)
            gnutls_certificate_free_credentials(cred_);
    }

    bool init(const tls::server_config& cfg, std::vector<std::string> alpn, bool early)
    {
        alpn_ = std::move(alpn);
        early_ = early;
        if (gnutls_certificate_allocate_credentials(&cred_) != 0)
            return false;
        int rv = 0;
        if (!cfg.certificate_chain_pem.empty()) {
            gnutls_datum_t cert{
                reinterpret_cast<unsigned char*>(const_cast<char*>(cfg.certificate_chain_pem.data())),
                static_cast<unsigned>(cfg.certificate_chain_pem.size())};
            gnutls_datum_t key{
                reinterpret_cast<unsigned char*>(const_cast<char*>(cfg.private_key_pem.data())),
                static_cast<unsigned>(cfg.private_key_pem.size())};
            rv = gnutls_certificate_set_x509_key_mem2(cred_, &cert, &key, GNUTLS_X509_FMT_PEM, nullptr, 0);
        } else {
            rv = gnutls_certificate_set_x509_key_file2(cred_, cfg.certificate_chain_file.c_str(),
                                                       cfg.private_key_file.c_str(), GNUTLS_X509_FMT_PEM,
                                                       nullptr, 0);
        }
        if (rv < 0)
            return false;
        // Tickets let a client resume, and so send 0-RTT, on its next connection.
        if (gnutls_session_ticket_key_generate(&ticket_key_) != 0)
            return false;
        if (early_) {
            if (gnutls_anti_replay_init(&anti_replay_) != 0)
                return false;
            // GnuTLS's own replay window checks the ticket's age; a database of
            // seen ClientHellos would catch the rest, and since only safe
            // methods are served early (RFC 8470), a replay repeats a GET.
            gnutls_anti_replay_set_add_function(
                anti_replay_, [](void*, time_t, const gnutls_datum_t*, const gnutls_datum_t*) { return 0; });
        }
        return true;
    }

    std::unique_ptr<tls_session> new_session(ngtcp2_crypto_conn_ref* ref, error_code& ec) override
    {
        gnutls_session_t s = nullptr;
        unsigned flags = GNUTLS_SERVER | GNUTLS_NO_END_OF_EARLY_DATA;
        if (early_)
            flags |= GNUTLS_ENABLE_EARLY_DATA;
        if (gnutls_init(&s, flags) != 0) {
            ec = tls_setup_error();
            return nullptr;
        }
        auto session = std::make_unique<gnutls_session>(s);
        auto datums = alpn_datums(alpn_);
        if (ngtcp2_crypto_gnutls_configure_server_session(s) != 0 ||
            gnutls_priority_set_direct(s, priority, nullptr) != 0 ||
            gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred_) != 0 ||
            gnutls_session_ticket_enable_server(s, &ticket_key_) != 0 ||
            gnutls_alpn_set_protocols(s, datums.data(), static_cast<unsigned>(datums.size()),
                                      GNUTLS_ALPN_MANDATORY | GNUTLS_ALPN_SERVER_PRECEDENCE) != 0) {
            ec = tls_setup_error();
            return nullptr;
        }
        if (early_) {
            gnutls_anti_replay_enable(s, anti_replay_);
            gnutls_record_set_max_early_data_size(s, std::numeric_limits<std::uint32_t>::max());
        }
        gnutls_session_set_ptr(s, ref);
        return session;
    }

private:
    gnutls_certificate_credentials_t cred_ = nullptr;
    gnutls_datum_t ticket_key_{};
    gnutls_anti_replay_t anti_replay_ = nullptr;
    std::vector<std::string> alpn_;
    bool early_ = false;
};

// ---- client ----------------------------------------------------------------

class gnutls_client_session final : public tls_session {
public:
    gnutls_client_session(gnutls_session_t s, std::function<void(session_ticket)> on_ticket)
        : inner_{s}, on_ticket_{std::move(on_ticket)}
    {}
    void* native_handle() noexcept override { return inner_.native_handle(); }
    std::string alpn() const override { return inner_.alpn(); }
    bool resumed() const override { return inner_.resumed(); }
    bool early_data_accepted() const override { return inner_.early_data_accepted(); }
    error_code verify_result() const override { return inner_.from_status(status_); }

    /// Verification: the chain against the trust store, then the name, or
    /// for an address the certificate's IP SANs (RFC 6125 §6.2.1), which
    /// gnutls_session_set_verify_cert does not check.
    void expect_peer(std::string name, bool is_ip)
    {
        name_ = std::move(name);
        is_ip_ = is_ip;
        gnutls_session_set_verify_function(static_cast<gnutls_session_t>(inner_.native_handle()),
                                           &verify_peer);
    }

    static int verify_peer(gnutls_session_t s)
    {
        auto* self = static_cast<gnutls_client_session*>(gnutls_db_get_ptr(s));
        unsigned status = 0;
        if (!self->is_ip_) {
            if (gnutls_certificate_verify_peers3(s, self->name_.c_str(), &status) < 0)
                status |= GNUTLS_CERT_INVALID;
        } else {
            if (gnutls_certificate_verify_peers2(s, &status) < 0)
                status |= GNUTLS_CERT_INVALID;
            if (status == 0 && !self->matches_ip(s))
                status |= GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER;
        }
        self->status_ = status;
        return status == 0 ? 0 : GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    }

    // NewSessionTicket arrived: the serialized session (ticket and secrets)
    // is what a later connection resumes from.
    static int on_new_ticket(gnutls_session_t s, unsigned, unsigned, unsigned, const gnutls_datum_t*)
    {
        auto* self = static_cast<gnutls_client_session*>(gnutls_db_get_ptr(s));
        if (self == nullptr || !self->on_ticket_)
            return 0;
        gnutls_datum_t data{};
        if (gnutls_session_get_data2(s, &data) != 0)
            return 0;
        session_ticket ticket(data.data, data.data + data.size);
        gnutls_free(data.data);
        self->on_ticket_(std::move(ticket));
        return 0;
    }

private:
    bool matches_ip(gnutls_session_t s) const
    {
        unsigned char addr[16];
        std::size_t len = 0;
        if (inet_pton(AF_INET, name_.c_str(), addr) == 1)
            len = 4;
        else if (inet_pton(AF_INET6, name_.c_str(), addr) == 1)
            len = 16;
        unsigned n = 0;
        const gnutls_datum_t* chain = gnutls_certificate_get_peers(s, &n);
        if (len == 0 || n == 0 || chain == nullptr)
            return false;
        gnutls_x509_crt_t crt = nullptr;
        if (gnutls_x509_crt_init(&crt) != 0)
            return false;
        bool ok = gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) == 0 &&
                  gnutls_x509_crt_check_ip(crt, addr, static_cast<unsigned>(len), 0) != 0;
        gnutls_x509_crt_deinit(crt);
        return ok;
    }

    gnutls_session inner_;
    std::function<void(session_ticket)> on_ticket_;
    std::string name_;
    bool is_ip_ = false;
    unsigned status_ = 0;
};

class gnutls_client_context final : public tls_client_context {
public:
    ~gnutls_client_context() override
    {
        if (cred_)
            gnutls_certificate_free_credentials(cred_);
    }

    bool init(const tls::client_config& cfg, std::vector<std::string> alpn, bool early)
    {
        alpn_ = std::move(alpn);
        early_ = early;
        verify_ = cfg.verify_peer;
        if (gnutls_certificate_allocate_credentials(&cred_) != 0)
            return false;
        if (cfg.use_system_store && gnutls_certificate_set_x509_system_trust(cred_) < 0)
            return false;
        if (!cfg.ca_file.empty() &&
            gnutls_certificate_set_x509_trust_file(cred_, cfg.ca_file.c_str(), GNUTLS_X509_FMT_PEM) < 0)
            return false;
        if (!cfg.ca_pem.empty()) {
            gnutls_datum_t ca{reinterpret_cast<unsigned char*>(const_cast<char*>(cfg.ca_pem.data())),
                              static_cast<unsigned>(cfg.ca_pem.size())};
            if (gnutls_certificate_set_x509_trust_mem(cred_, &ca, GNUTLS_X509_FMT_PEM) < 0)
                return false;
        }
        return true;
    }

    std::unique_ptr<tls_session> new_session(ngtcp2_crypto_conn_ref* ref, std::string_view host,
                                             const session_ticket& resume,
                                             std::function<void(session_ticket)> on_ticket,
                                             error_code& ec) override
    {
        gnutls_session_t s = nullptr;
        unsigned flags = GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA;
        if (early_)
            flags |= GNUTLS_ENABLE_EARLY_DATA;
        if (gnutls_init(&s, flags) != 0) {
            ec = tls_setup_error();
            return nullptr;
        }
        auto session = std::make_unique<gnutls_client_session>(s, std::move(on_ticket));
        auto datums = alpn_datums(alpn_);
        if (ngtcp2_crypto_gnutls_configure_client_session(s) != 0 ||
            gnutls_priority_set_direct(s, priority, nullptr) != 0 ||
            gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred_) != 0 ||
            gnutls_alpn_set_protocols(s, datums.data(), static_cast<unsigned>(datums.size()),
                                      GNUTLS_ALPN_MANDATORY) != 0) {
            ec = tls_setup_error();
            return nullptr;
        }
        std::string name{host};
        if (!name.empty() && name.front() == '[')
            name = name.substr(1, name.size() - 2);
        bool is_ip =
            name.find(':') != std::string::npos || name.find_first_not_of("0123456789.") == std::string::npos;
        // SNI carries names only (RFC 6066 §3); an address is checked against
        // the certificate's IP SANs.
        if (!is_ip)
            gnutls_server_name_set(s, GNUTLS_NAME_DNS, name.data(), name.size());
        if (verify_)
            session->expect_peer(name, is_ip);
        if (!resume.empty()) {
            gnutls_session_set_data(s, resume.data(), resume.size());
        }
        gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET, GNUTLS_HOOK_POST,
                                           &gnutls_client_session::on_new_ticket);
        gnutls_session_set_ptr(s, ref);
        // The session pointer belongs to ngtcp2's helper; a client has no
        // session database, so its pointer slot carries ours.
        gnutls_db_set_ptr(s, session.get());
        return session;
    }

private:
    gnutls_certificate_credentials_t cred_ = nullptr;
    std::vector<std::string> alpn_;
    bool early_ = false;
    bool verify_ = true;
};

} // namespace

std::shared_ptr<tls_server_context> make_tls_server_context(const tls::server_config& cfg,
                                                            std::vector<std::string> alpn,
                                                            bool accept_early_data, error_code& ec)
{
    auto ctx = std::make_shared<gnutls_server_context>();
    if (!ctx->init(cfg, std::move(alpn), accept_early_data)) {
        ec = tls_setup_error();
        return nullptr;
    }
    return ctx;
}

std::shared_ptr<tls_client_context> make_tls_client_context(const tls::client_config& cfg,
                                                            std::vector<std::string> alpn,
                                                            bool enable_early_data, error_code& ec)
{
    auto ctx = std::make_shared<gnutls_client_context>();
    if (!ctx->init(cfg, std::move(alpn), enable_early_data)) {
        ec = tls_setup_error();
        return nullptr;
    }
    return ctx;
}

} // namespace strata::quic::detail
