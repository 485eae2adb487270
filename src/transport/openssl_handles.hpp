// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Owning handles for OpenSSL objects and the error_code of OpenSSL's error
// queue, shared by the TLS sources.

#include <strata/config.hpp>

#include <boost/asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace strata::tls::detail {

template <auto Free>
struct free_with {
    template <class T>
    void operator()(T* p) const noexcept
    {
        Free(p);
    }
};

using bio_ptr = std::unique_ptr<BIO, free_with<BIO_free>>;
using x509_ptr = std::unique_ptr<X509, free_with<X509_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, free_with<EVP_PKEY_free>>;
using bignum_ptr = std::unique_ptr<BIGNUM, free_with<BN_free>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, free_with<GENERAL_NAMES_free>>;
using general_name_ptr = std::unique_ptr<GENERAL_NAME, free_with<GENERAL_NAME_free>>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, free_with<X509_EXTENSION_free>>;
using asn1_string_ptr = std::unique_ptr<ASN1_STRING, free_with<ASN1_STRING_free>>;

/// The oldest error on this thread's OpenSSL queue as an error_code in Asio's
/// ssl category (whose message is OpenSSL's reason string); the queue is
/// cleared. `fallback` when the queue is empty.
inline error_code last_openssl_error(error_code fallback = net::ssl::error::unspecified_system_error)
{
    const unsigned long e = ::ERR_get_error();
    ::ERR_clear_error();
    if (e == 0)
        return fallback;
    return {static_cast<int>(e), net::error::get_ssl_category()};
}

/// A read-only memory BIO over `text` (which must outlive it).
inline bio_ptr memory_bio(const std::string& text)
{
    return bio_ptr{::BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))};
}

} // namespace strata::tls::detail
