// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/websocket/error.hpp>

#include <string>

namespace strata::websocket {
namespace {

class category final : public error_category {
public:
    const char* name() const noexcept override { return "strata.websocket"; }
    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::closed:
            return "websocket closed by the close handshake";
        case error::reserved_bits:
            return "websocket frame has a reserved bit set that no extension defines";
        case error::bad_opcode:
            return "websocket frame has a reserved opcode";
        case error::fragmented_control:
            return "websocket control frame is fragmented";
        case error::control_too_big:
            return "websocket control frame payload is longer than 125 bytes";
        case error::bad_close_payload:
            return "websocket close frame payload is 1 byte long";
        case error::bad_close_code:
            return "websocket close frame has a status code that may not be sent";
        case error::unmasked_frame:
            return "websocket frame from the client is not masked";
        case error::masked_frame:
            return "websocket frame from the server is masked";
        case error::unexpected_continuation:
            return "websocket continuation frame without a message in progress";
        case error::expected_continuation:
            return "websocket data frame starts a message while another is in progress";
        case error::bad_length:
            return "websocket frame length is not minimally encoded or exceeds 2^63";
        case error::invalid_utf8:
            return "websocket text message or close reason is not valid UTF-8";
        case error::frame_too_big:
            return "websocket frame is larger than max_frame_bytes";
        case error::message_too_big:
            return "websocket message is larger than max_message_bytes";
        case error::inflate_failed:
            return "websocket message has invalid permessage-deflate data";
        case error::inflated_too_big:
            return "websocket message inflates past max_message_bytes";
        case error::bad_handshake:
            return "websocket opening handshake is malformed or was refused";
        case error::bad_version:
            return "websocket handshake Sec-WebSocket-Version is not 13";
        case error::bad_key:
            return "websocket handshake Sec-WebSocket-Key is missing or not base64 of 16 bytes";
        case error::bad_accept:
            return "websocket handshake Sec-WebSocket-Accept does not match the key";
        case error::no_upgrade:
            return "websocket handshake lacks Upgrade: websocket or Connection: upgrade";
        case error::bad_subprotocol:
            return "websocket handshake chose a subprotocol that was not offered";
        case error::bad_extension:
            return "websocket handshake Sec-WebSocket-Extensions is not acceptable";
        case error::extended_connect_refused:
            return "websocket extended CONNECT is not enabled by the server";
        case error::origin_refused:
            return "websocket handshake from an origin the server does not allow";
        case error::bad_write:
            return "websocket write cannot be framed (control payload, close code or reason)";
        }
        return "unknown websocket error " + std::to_string(ev);
    }
};

} // namespace

const error_category& websocket_category() noexcept
{
    static const category instance;
    return instance;
}

bool is_valid_close_code(std::uint16_t code) noexcept
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

close_code close_code_for(error_code ec) noexcept
{
    if (ec.category() != websocket_category())
        return close_code::internal_error;
    switch (static_cast<error>(ec.value())) {
    case error::closed:
        return close_code::normal;
    case error::invalid_utf8:
        return close_code::invalid_payload;
    // Compressed data that does not inflate is payload inconsistent with
    // the message it claims to be, as node's ws reports it too; the frame
    // structure itself was sound.
    case error::inflate_failed:
        return close_code::invalid_payload;
    case error::frame_too_big:
    case error::message_too_big:
    case error::inflated_too_big:
        return close_code::message_too_big;
    case error::reserved_bits:
    case error::bad_opcode:
    case error::fragmented_control:
    case error::control_too_big:
    case error::bad_close_payload:
    case error::bad_close_code:
    case error::unmasked_frame:
    case error::masked_frame:
    case error::unexpected_continuation:
    case error::expected_continuation:
    case error::bad_length:
    case error::bad_handshake:
    case error::bad_version:
    case error::bad_key:
    case error::bad_accept:
    case error::no_upgrade:
    case error::bad_subprotocol:
    case error::bad_extension:
    case error::extended_connect_refused:
    case error::origin_refused:
        return close_code::protocol_error;
    case error::bad_write:
        break;
    }
    return close_code::internal_error;
}

} // namespace strata::websocket
