// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/gateway/error.hpp>

#include <string>

namespace strata::gateway {

namespace {

class category final : public error_category {
public:
    const char* name() const noexcept override { return "strata.gateway"; }
    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::bad_envelope:
            return "malformed envelope: expected a JSON object with a string \"type\"";
        case error::too_big:
            return "envelope too big";
        case error::unknown_type:
            return "no service handles this type";
        case error::service_unavailable:
            return "the service for this type is unavailable";
        case error::service_busy:
            return "the service for this type is busy";
        case error::forbidden:
            return "forbidden";
        case error::slow_consumer:
            return "slow consumer: reconnect with after= your last seq";
        case error::too_many_errors:
            return "too many malformed envelopes";
        case error::bad_service_message:
            return "malformed service link message";
        case error::unknown_session:
            return "no such session";
        case error::not_connected:
            return "not connected to the gateway";
        }
        return "unknown gateway error";
    }
};

} // namespace

const error_category& gateway_category() noexcept
{
    static const category instance;
    return instance;
}

std::string_view code_name(error e) noexcept
{
    switch (e) {
    case error::bad_envelope:
        return "bad_envelope";
    case error::too_big:
        return "too_big";
    case error::unknown_type:
        return "unknown_type";
    case error::service_unavailable:
        return "service_unavailable";
    case error::service_busy:
        return "service_busy";
    case error::forbidden:
        return "forbidden";
    case error::slow_consumer:
        return "slow_consumer";
    case error::too_many_errors:
        return "too_many_errors";
    case error::bad_service_message:
        return "bad_service_message";
    case error::unknown_session:
        return "unknown_session";
    case error::not_connected:
        return "not_connected";
    }
    return "error";
}

} // namespace strata::gateway
