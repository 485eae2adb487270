// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/transport/quic.hpp>

#include <cstdio>
#include <string>

namespace strata::quic {
namespace {

class category final : public error_category {
public:
    const char* name() const noexcept override { return "strata.quic"; }
    std::string message(int ev) const override
    {
        auto code = static_cast<std::uint64_t>(static_cast<unsigned>(ev));
        if (code > 0x100 && code <= 0x1ff) {
            return "TLS alert " + std::to_string(code - 0x100) + " in the QUIC handshake (CRYPTO_ERROR)";
        }
        switch (static_cast<error>(code)) {
        case error::no_error:
            return "closed without error (NO_ERROR)";
        case error::internal_error:
            return "peer's implementation error (INTERNAL_ERROR)";
        case error::connection_refused:
            return "server refused the connection (CONNECTION_REFUSED)";
        case error::flow_control_error:
            return "flow-control limit exceeded (FLOW_CONTROL_ERROR)";
        case error::stream_limit_error:
            return "too many streams opened (STREAM_LIMIT_ERROR)";
        case error::stream_state_error:
            return "frame for a stream in the wrong state (STREAM_STATE_ERROR)";
        case error::final_size_error:
            return "stream final size changed (FINAL_SIZE_ERROR)";
        case error::frame_encoding_error:
            return "malformed frame (FRAME_ENCODING_ERROR)";
        case error::transport_parameter_error:
            return "malformed or invalid transport parameters (TRANSPORT_PARAMETER_ERROR)";
        case error::connection_id_limit_error:
            return "too many connection ids (CONNECTION_ID_LIMIT_ERROR)";
        case error::protocol_violation:
            return "QUIC protocol violation (PROTOCOL_VIOLATION)";
        case error::invalid_token:
            return "invalid Retry token (INVALID_TOKEN)";
        case error::application_error:
            return "application error before the handshake finished (APPLICATION_ERROR)";
        case error::crypto_buffer_exceeded:
            return "too much buffered handshake data (CRYPTO_BUFFER_EXCEEDED)";
        case error::key_update_error:
            return "key update error (KEY_UPDATE_ERROR)";
        case error::aead_limit_reached:
            return "AEAD usage limit reached (AEAD_LIMIT_REACHED)";
        case error::no_viable_path:
            return "no usable network path (NO_VIABLE_PATH)";
        case error::crypto_error:
            return "TLS handshake failed (CRYPTO_ERROR)";
        case error::handshake_timeout:
            return "QUIC handshake did not finish in time";
        case error::idle_timeout:
            return "QUIC connection idle for longer than its idle timeout";
        case error::stateless_reset:
            return "peer reset the connection statelessly (it lost the connection's state)";
        case error::version_negotiation_failed:
            return "no QUIC version both sides speak";
        }
        char buf[48];
        std::snprintf(buf, sizeof(buf), "QUIC transport error 0x%llx", static_cast<unsigned long long>(code));
        return buf;
    }
};

} // namespace

const error_category& error_category_instance() noexcept
{
    static const category instance;
    return instance;
}

} // namespace strata::quic
