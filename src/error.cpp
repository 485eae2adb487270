// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/error.hpp>

#include <string>

namespace strata {
namespace {

class category final : public error_category {
public:
    const char* name() const noexcept override { return "strata"; }
    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::timeout:
            return "deadline expired";
        case error::connection_limit:
            return "connection limit reached";
        case error::shutting_down:
            return "shutting down";
        case error::bad_url:
            return "malformed or unsupported URL";
        case error::too_many_redirects:
            return "too many redirects";
        case error::body_too_large:
            return "body larger than allowed";
        case error::response_started:
            return "response head already sent";
        case error::no_alpn_match:
            return "no application protocol in common (ALPN)";
        case error::stream_closed:
            return "stream closed";
        case error::unsupported:
            return "not supported";
        case error::body_not_allowed:
            return "this status carries no body (1xx, 204, 304)";
        }
        return "unknown strata error";
    }
};

} // namespace

const error_category& error_category_instance() noexcept
{
    static const category instance;
    return instance;
}

} // namespace strata
