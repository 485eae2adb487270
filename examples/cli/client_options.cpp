// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "client_options.hpp"

#include <strata/error.hpp>
#include <strata/transport/tls.hpp>

#include <boost/asio/error.hpp>

#include <cstdio>

namespace strata_cli {

namespace {

/// The HTTP version flags, curl's names. With none, the client offers h2 by
/// ALPN and moves to HTTP/3 where the server advertised it (Alt-Svc).
struct version_flag {
    std::string_view name;
    std::string_view help;
    bool http2;
    bool prior_knowledge;
    bool http3;      ///< follow Alt-Svc to HTTP/3
    bool http3_only; ///< HTTP/3 and nothing else
};

const std::vector<version_flag>& version_flags()
{
    static const std::vector<version_flag> flags{
        {"http1.1", "use HTTP/1.1 only", false, false, false, false},
        {"http2", "use HTTP/2 when an https:// server offers it by ALPN, never HTTP/3", true, false, false,
         false},
        {"http2-prior-knowledge", "use HTTP/2 on http:// URLs without asking (the server must speak it)",
         true, true, false, false},
        {"http3", "use HTTP/3 over QUIC only (https:// URLs); fail if QUIC cannot connect", false, false,
         true, true},
    };
    return flags;
}

} // namespace

std::vector<option> with_client_options(std::initializer_list<option> own)
{
    std::vector<option> all(own);
    all.push_back({"header", 'H', "'NAME: VALUE'", "add a request header field (repeatable)"});
    all.push_back({"cacert", 0, "FILE", "trust the CA certificates in FILE (PEM) besides the system's"});
    all.push_back({"insecure", 'k', {}, "do not verify the server's certificate (unsafe)"});
    for (const auto& v : version_flags())
        all.push_back({v.name, 0, {}, v.help});
    all.push_back({"help", 'h', {}, "show this help"});
    return all;
}

bool apply_client_options(const args& a, strata::client_config& cfg, strata::http::fields& fields,
                          std::string& error)
{
    for (const auto& h : a.values("header")) {
        auto colon = h.find(':');
        if (colon == std::string::npos || colon == 0) {
            error = "bad header '" + h + "': expected 'Name: value'";
            return false;
        }
        std::string_view value = std::string_view(h).substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
            value.remove_prefix(1);
        fields.add(std::string_view(h).substr(0, colon), value);
    }
    if (auto ca = a.value("cacert"))
        cfg.tls.ca_file = *ca;
    if (a.has("insecure")) {
        cfg.tls.verify_peer = false;
        std::fputs(
            "strata: warning: --insecure: the server's certificate is not verified; anyone on the path "
            "can read and change this exchange\n",
            stderr);
    }
    for (const auto& v : version_flags()) {
        if (a.has(v.name)) {
            cfg.enable_http2 = v.http2;
            cfg.http2_prior_knowledge = v.prior_knowledge;
            cfg.enable_http3 = v.http3;
            cfg.http3_only = v.http3_only;
        }
    }
    return true;
}

int report_error(std::string_view url, const strata::error_code& ec)
{
    std::fprintf(stderr, "strata: %.*s: %s\n", static_cast<int>(url.size()), url.data(),
                 ec.message().c_str());
    namespace ne = boost::asio::error;
    if (ec == strata::error::bad_url)
        return 3;
    if (ec == ne::host_not_found || ec == ne::host_not_found_try_again)
        return 6;
    if (ec == ne::connection_refused || ec == ne::network_unreachable || ec == ne::host_unreachable)
        return 7;
    if (ec == strata::error::timeout)
        return 28;
    if (ec.category() == strata::tls::verify_category())
        return 60;
    if (ec.category() == boost::asio::error::get_ssl_category())
        return 35;
    return 1;
}

} // namespace strata_cli
