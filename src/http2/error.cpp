// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/http2/error.hpp>

#include <string>

namespace strata::http2 {
namespace {

class category final : public error_category {
public:
    const char* name() const noexcept override { return "strata.http2"; }
    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::no_error:
            return "graceful shutdown (NO_ERROR)";
        case error::protocol_error:
            return "protocol error (PROTOCOL_ERROR)";
        case error::internal_error:
            return "internal error (INTERNAL_ERROR)";
        case error::flow_control_error:
            return "flow-control limits exceeded (FLOW_CONTROL_ERROR)";
        case error::settings_timeout:
            return "settings not acknowledged in time (SETTINGS_TIMEOUT)";
        case error::stream_closed:
            return "frame received on a closed stream (STREAM_CLOSED)";
        case error::frame_size_error:
            return "frame of invalid size (FRAME_SIZE_ERROR)";
        case error::refused_stream:
            return "stream refused before any processing (REFUSED_STREAM)";
        case error::cancel:
            return "stream no longer needed (CANCEL)";
        case error::compression_error:
            return "header compression state broken (COMPRESSION_ERROR)";
        case error::connect_error:
            return "CONNECT tunnel reset or closed abnormally (CONNECT_ERROR)";
        case error::enhance_your_calm:
            return "peer generating excessive load (ENHANCE_YOUR_CALM)";
        case error::inadequate_security:
            return "TLS properties below the minimum (INADEQUATE_SECURITY)";
        case error::http_1_1_required:
            return "HTTP/1.1 required for this request (HTTP_1_1_REQUIRED)";
        }
        return "unknown HTTP/2 error code " + std::to_string(static_cast<unsigned>(ev));
    }
};

} // namespace

const error_category& error_category_instance() noexcept
{
    static const category instance;
    return instance;
}

} // namespace strata::http2
