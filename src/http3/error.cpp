// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/http3/error.hpp>

#include <cstdio>
#include <string>

namespace strata::http3 {
namespace {

class category final : public error_category {
public:
    const char* name() const noexcept override { return "strata.http3"; }
    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::no_error:
            return "no error (H3_NO_ERROR)";
        case error::general_protocol_error:
            return "protocol violation (H3_GENERAL_PROTOCOL_ERROR)";
        case error::internal_error:
            return "internal error (H3_INTERNAL_ERROR)";
        case error::stream_creation_error:
            return "stream of a type or number not allowed (H3_STREAM_CREATION_ERROR)";
        case error::closed_critical_stream:
            return "control or QPACK stream closed (H3_CLOSED_CRITICAL_STREAM)";
        case error::frame_unexpected:
            return "frame not permitted in the current state or on this stream (H3_FRAME_UNEXPECTED)";
        case error::frame_error:
            return "frame layout or size invalid (H3_FRAME_ERROR)";
        case error::excessive_load:
            return "peer generating excessive load (H3_EXCESSIVE_LOAD)";
        case error::id_error:
            return "stream or push id used incorrectly (H3_ID_ERROR)";
        case error::settings_error:
            return "SETTINGS frame invalid (H3_SETTINGS_ERROR)";
        case error::missing_settings:
            return "control stream did not begin with SETTINGS (H3_MISSING_SETTINGS)";
        case error::request_rejected:
            return "request rejected before any processing (H3_REQUEST_REJECTED)";
        case error::request_cancelled:
            return "request or response cancelled (H3_REQUEST_CANCELLED)";
        case error::request_incomplete:
            return "stream ended before the request was complete (H3_REQUEST_INCOMPLETE)";
        case error::message_error:
            return "malformed HTTP message (H3_MESSAGE_ERROR)";
        case error::connect_error:
            return "CONNECT tunnel reset or closed abnormally (H3_CONNECT_ERROR)";
        case error::version_fallback:
            return "request must be retried over HTTP/1.1 (H3_VERSION_FALLBACK)";
        case error::qpack_decompression_failed:
            return "field section could not be decoded (QPACK_DECOMPRESSION_FAILED)";
        case error::qpack_encoder_stream_error:
            return "QPACK encoder stream instruction invalid (QPACK_ENCODER_STREAM_ERROR)";
        case error::qpack_decoder_stream_error:
            return "QPACK decoder stream instruction invalid (QPACK_DECODER_STREAM_ERROR)";
        }
        // RFC 9114 §9: unknown codes, reserved ones (0x1f * N + 0x21) included,
        // mean no more than H3_NO_ERROR would.
        char hex[32];
        std::snprintf(hex, sizeof hex, "0x%x", static_cast<unsigned>(ev));
        return std::string("unknown HTTP/3 error code ") + hex;
    }
};

} // namespace

const error_category& error_category_instance() noexcept
{
    static const category instance;
    return instance;
}

} // namespace strata::http3
