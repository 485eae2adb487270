// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// Conditional requests (RFC 9110 §13): what lets a short-polling client ask
// "has it changed?" and get a 304 with no body when it has not.

#include <strata/request.hpp>

#include <string>
#include <string_view>

namespace strata {

/// An entity tag for `bytes`: a strong ETag (quoted) from a 64-bit FNV-1a hash.
std::string make_etag(std::string_view bytes);

/// Whether an If-None-Match field value matches `etag` by the weak comparison
/// (RFC 9110 §8.8.3.2): `*`, or any listed tag equal once `W/` is ignored.
bool if_none_match(std::string_view field_value, std::string_view etag) noexcept;

/// Whether the request's If-None-Match says the client has `etag` already:
/// answer 304 Not Modified (with the ETag) instead of the body.
bool not_modified(const request& req, std::string_view etag) noexcept;

} // namespace strata
