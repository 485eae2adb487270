// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// What every client subcommand (get, poll, and later sse, ws) shares: TLS
// trust, extra header fields, the HTTP version flags, and curl's exit codes.

#include "args.hpp"

#include <strata/client.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace strata_cli {

/// `own` followed by the shared client options (-H, --cacert, --insecure,
/// the version flags, --help).
std::vector<option> with_client_options(std::initializer_list<option> own);

/// Fills `cfg` and `fields` from the shared options; false with `error` set
/// on a malformed value. Prints the --insecure warning.
bool apply_client_options(const args& a, strata::client_config& cfg, strata::http::fields& fields,
                          std::string& error);

/// Prints "strata: <url>: <message>" to stderr and returns the exit status
/// curl gives that kind of failure (3 bad URL, 6 resolve, 7 connect, 28
/// timeout, 35 TLS handshake, 60 certificate not trusted, 1 otherwise).
int report_error(std::string_view url, const strata::error_code& ec);

} // namespace strata_cli
