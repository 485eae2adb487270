// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/transport/tls_certificates.hpp>

#include "openssl_handles.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/system/system_error.hpp>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>
#include <ctime>

namespace strata::tls {
namespace {

using detail::last_openssl_error;

error_code invalid_argument()
{
    return make_error_code(boost::system::errc::invalid_argument);
}

/// An IP literal ("127.0.0.1", "::1", "[::1]") in the canonical text
/// a2i_IPADDRESS reads; "" when `name` is not one.
std::string ip_literal(std::string_view name)
{
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']')
        name = name.substr(1, name.size() - 2);
    error_code ec;
    const auto address = net::ip::make_address(std::string{name}, ec);
    return ec ? std::string{} : address.to_string();
}

/// A dNSName is in the "preferred name syntax" (RFC 5280 §4.2.1.6, RFC 1034
/// §3.5): labels of letters, digits and hyphens, at most 63 octets each, 253
/// in all; a left-most "*" makes a wildcard (RFC 6125 §6.4.3). Underscores,
/// common in service names, are let through. Anything else is a mistake in
/// the caller's list, refused rather than signed.
bool valid_dns_name(std::string_view name)
{
    if (name.empty() || name.size() > 253)
        return false;
    if (name.substr(0, 2) == "*.")
        name.remove_prefix(2);
    while (!name.empty()) {
        const auto dot = name.find('.');
        const auto label = name.substr(0, dot);
        if (label.empty() || label.size() > 63)
            return false;
        for (const char c : label) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '_';
            if (!ok)
                return false;
        }
        if (dot == std::string_view::npos)
            break;
        name.remove_prefix(dot + 1);
        if (name.empty())
            return false; // a trailing dot names the root, not a host
    }
    return true;
}

error_code add_subject_alt_names(X509* cert, const std::vector<std::string>& names)
{
    if (names.empty())
        return {};
    detail::general_names_ptr gens{sk_GENERAL_NAME_new_null()};
    if (!gens)
        return last_openssl_error();
    for (const auto& name : names) {
        detail::general_name_ptr gen{::GENERAL_NAME_new()};
        if (!gen)
            return last_openssl_error();
        if (const auto ip = ip_literal(name); !ip.empty()) {
            ASN1_OCTET_STRING* octets = ::a2i_IPADDRESS(ip.c_str());
            if (octets == nullptr)
                return last_openssl_error(invalid_argument());
            ::GENERAL_NAME_set0_value(gen.get(), GEN_IPADD, octets);
        } else {
            if (!valid_dns_name(name))
                return invalid_argument();
            detail::asn1_string_ptr dns{::ASN1_IA5STRING_new()};
            if (!dns || ::ASN1_STRING_set(dns.get(), name.data(), static_cast<int>(name.size())) != 1)
                return last_openssl_error();
            ::GENERAL_NAME_set0_value(gen.get(), GEN_DNS, dns.release());
        }
        if (sk_GENERAL_NAME_push(gens.get(), gen.get()) == 0)
            return last_openssl_error();
        gen.release();
    }
    if (::X509_add1_ext_i2d(cert, NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT) != 1)
        return last_openssl_error();
    return {};
}

/// An extension from OpenSSL's configuration syntax; `value` is always a
/// literal of ours, never user text.
error_code add_extension(X509* cert, X509* issuer, int nid, const char* value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    detail::extension_ptr ext{::X509V3_EXT_conf_nid(nullptr, &ctx, nid, value)};
    if (!ext || ::X509_add_ext(cert, ext.get(), -1) != 1)
        return last_openssl_error();
    return {};
}

error_code set_time(ASN1_TIME* field, std::chrono::system_clock::time_point t)
{
    if (::ASN1_TIME_set(field, std::chrono::system_clock::to_time_t(t)) == nullptr)
        return last_openssl_error();
    return {};
}

/// A positive random serial of 127 bits (RFC 5280 §4.1.2.2: unique per
/// issuer, at most 20 octets; CAs use randomness for it).
error_code set_random_serial(X509* cert)
{
    std::array<unsigned char, 16> bytes{};
    if (::RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        return last_openssl_error();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01; // never zero, never negative
    detail::bignum_ptr bn{::BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr)};
    if (!bn || ::BN_to_ASN1_INTEGER(bn.get(), ::X509_get_serialNumber(cert)) == nullptr)
        return last_openssl_error();
    return {};
}

error_code set_common_name(X509_NAME* name, std::string_view cn)
{
    if (::X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(cn.data()),
                                     static_cast<int>(cn.size()), -1, 0) != 1)
        return last_openssl_error(invalid_argument());
    return {};
}

detail::pkey_ptr make_key(error_code& ec)
{
    detail::pkey_ptr key{EVP_EC_gen("P-256")};
    if (!key)
        ec = last_openssl_error();
    return key;
}

enum class kind { authority, server };

struct issuer_ref {
    X509* cert; // null: self-signed
    EVP_PKEY* key;
};

/// Builds and signs one certificate for `key`'s public half.
detail::x509_ptr build(kind k, std::string_view common_name, const std::vector<std::string>& names,
                       const validity& valid, EVP_PKEY* key, issuer_ref issuer, error_code& ec)
{
    detail::x509_ptr cert{::X509_new()};
    if (!cert) {
        ec = last_openssl_error();
        return nullptr;
    }
    X509* x = cert.get();
    X509* signer = issuer.cert != nullptr ? issuer.cert : x;
    if (::X509_set_version(x, X509_VERSION_3) != 1 || ::X509_set_pubkey(x, key) != 1) {
        ec = last_openssl_error();
        return nullptr;
    }
    if ((ec = set_random_serial(x)) || (ec = set_common_name(::X509_get_subject_name(x), common_name)) ||
        (ec = set_time(::X509_getm_notBefore(x), valid.not_before)) ||
        (ec = set_time(::X509_getm_notAfter(x), valid.not_after)))
        return nullptr;
    if (::X509_set_issuer_name(x, ::X509_get_subject_name(signer)) != 1) {
        ec = last_openssl_error();
        return nullptr;
    }

    if (k == kind::authority) {
        // RFC 5280 §4.2.1.9 and §4.2.1.3: a CA says so, critically, and signs certificates only.
        if ((ec = add_extension(x, signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")) ||
            (ec = add_extension(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign")))
            return nullptr;
    } else {
        // ECDSA keys sign (digitalSignature); TLS server use (and client, for mTLS tests).
        if ((ec = add_extension(x, signer, NID_basic_constraints, "critical,CA:FALSE")) ||
            (ec = add_extension(x, signer, NID_key_usage, "critical,digitalSignature")) ||
            (ec = add_extension(x, signer, NID_ext_key_usage, "serverAuth,clientAuth")))
            return nullptr;
    }
    if ((ec = add_extension(x, signer, NID_subject_key_identifier, "hash")))
        return nullptr;
    if (issuer.cert != nullptr &&
        (ec = add_extension(x, signer, NID_authority_key_identifier, "keyid:always")))
        return nullptr;
    if ((ec = add_subject_alt_names(x, names)))
        return nullptr;

    if (::X509_sign(x, issuer.key, ::EVP_sha256()) == 0) {
        ec = last_openssl_error();
        return nullptr;
    }
    return cert;
}

std::string bio_text(BIO* bio)
{
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return len > 0 ? std::string{data, static_cast<std::size_t>(len)} : std::string{};
}

certificate to_pem(X509* cert, EVP_PKEY* key, error_code& ec)
{
    detail::bio_ptr cert_bio{::BIO_new(::BIO_s_mem())};
    detail::bio_ptr key_bio{::BIO_new(::BIO_s_mem())};
    if (!cert_bio || !key_bio || ::PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
        ::PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        ec = last_openssl_error();
        return {};
    }
    return {bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

template <class T>
T or_throw(T value, const error_code& ec, const char* what)
{
    if (ec)
        throw boost::system::system_error{ec, what};
    return value;
}

} // namespace

validity validity::from_now(std::chrono::days days)
{
    const auto now = std::chrono::system_clock::now();
    return {now - std::chrono::hours{1}, now + days};
}

certificate make_self_signed(std::string_view common_name, const std::vector<std::string>& names,
                             std::chrono::days valid_for, error_code& ec)
{
    ec = {};
    ::ERR_clear_error();
    const auto key = make_key(ec);
    if (ec)
        return {};
    const auto cert = build(kind::server, common_name, names, validity::from_now(valid_for), key.get(),
                            {nullptr, key.get()}, ec);
    if (ec)
        return {};
    return to_pem(cert.get(), key.get(), ec);
}

certificate make_self_signed(std::string_view common_name, const std::vector<std::string>& names,
                             std::chrono::days valid_for)
{
    error_code ec;
    auto c = make_self_signed(common_name, names, valid_for, ec);
    return or_throw(std::move(c), ec, "tls::make_self_signed");
}

certificate test_authority::issue(std::string_view common_name, const std::vector<std::string>& names,
                                  validity valid, error_code& ec) const
{
    ec = {};
    ::ERR_clear_error();
    const auto ca_cert_bio = detail::memory_bio(ca.certificate_pem);
    const auto ca_key_bio = detail::memory_bio(ca.private_key_pem);
    if (!ca_cert_bio || !ca_key_bio) {
        ec = last_openssl_error();
        return {};
    }
    const detail::x509_ptr ca_cert{::PEM_read_bio_X509(ca_cert_bio.get(), nullptr, nullptr, nullptr)};
    const detail::pkey_ptr ca_key{::PEM_read_bio_PrivateKey(ca_key_bio.get(), nullptr, nullptr, nullptr)};
    if (!ca_cert || !ca_key) {
        ec = last_openssl_error(invalid_argument());
        return {};
    }
    const auto key = make_key(ec);
    if (ec)
        return {};
    const auto cert =
        build(kind::server, common_name, names, valid, key.get(), {ca_cert.get(), ca_key.get()}, ec);
    if (ec)
        return {};
    return to_pem(cert.get(), key.get(), ec);
}

certificate test_authority::issue(std::string_view common_name, const std::vector<std::string>& names,
                                  validity valid) const
{
    error_code ec;
    auto c = issue(common_name, names, valid, ec);
    return or_throw(std::move(c), ec, "tls::test_authority::issue");
}

test_authority make_test_authority(std::string_view name, error_code& ec)
{
    ec = {};
    ::ERR_clear_error();
    const auto key = make_key(ec);
    if (ec)
        return {};
    const auto cert = build(kind::authority, name, {}, validity::from_now(std::chrono::days{365}), key.get(),
                            {nullptr, key.get()}, ec);
    if (ec)
        return {};
    return {to_pem(cert.get(), key.get(), ec)};
}

test_authority make_test_authority(std::string_view name)
{
    error_code ec;
    auto a = make_test_authority(name, ec);
    return or_throw(std::move(a), ec, "tls::make_test_authority");
}

} // namespace strata::tls
