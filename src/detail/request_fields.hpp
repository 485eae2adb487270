// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// The fields an HTTP/2 or HTTP/3 client sends with a request: the caller's,
// plus the User-Agent, Content-Length and Expect the client adds. Private
// to src/.

#include <strata/client.hpp>

#include <span>
#include <vector>

namespace strata::detail {

class request_fields {
public:
    /// Collects the fields of `req`; views into `req` and into this object
    /// stay valid until the next call.
    void build(const client_request& req, const client_config& cfg);

    std::span<const http::field_view> fields() const noexcept { return fields_; }
    /// The body comes from req.body_source, its length unknown.
    bool streamed() const noexcept { return streamed_; }
    bool has_body() const noexcept { return has_body_; }
    /// The request says Expect: 100-continue, and waits before its body.
    bool expect_continue() const noexcept { return expect_; }

private:
    std::vector<http::field_view> fields_;
    char length_[24];
    bool streamed_ = false;
    bool has_body_ = false;
    bool expect_ = false;
};

} // namespace strata::detail
