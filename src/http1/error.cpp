// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/http1/error.hpp>

#include <string>

namespace strata::http1 {
namespace {

class category final : public error_category {
public:
    const char* name() const noexcept override { return "strata.http1"; }
    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::bad_method:
            return "peer sent a method that is empty or not a token";
        case error::bad_target:
            return "peer sent a malformed request-target or one the method does not allow";
        case error::bad_version:
            return "peer sent a malformed HTTP-version";
        case error::unsupported_version:
            return "peer sent an HTTP version other than HTTP/1.x";
        case error::bad_status:
            return "peer sent a malformed status line or an unexpected status code";
        case error::bad_request_line:
            return "peer sent a request line with stray whitespace or missing parts";
        case error::bad_field_name:
            return "peer sent a field name that is empty or not a token";
        case error::bad_field_value:
            return "peer sent a control character or DEL in a field value";
        case error::obs_fold:
            return "peer folded a field line (obs-fold, RFC 9112 section 5.2)";
        case error::bare_cr:
            return "peer sent a CR not followed by LF";
        case error::bare_lf:
            return "peer ended a line with LF but no CR";
        case error::whitespace_before_colon:
            return "peer sent whitespace between a field name and its colon";
        case error::missing_host:
            return "peer sent an HTTP/1.1 request without Host";
        case error::duplicate_host:
            return "peer sent more than one Host field";
        case error::both_content_length_and_transfer_encoding:
            return "peer sent both Content-Length and Transfer-Encoding";
        case error::conflicting_content_length:
            return "peer sent Content-Length values that differ";
        case error::bad_content_length:
            return "peer sent a Content-Length that is not a decimal number";
        case error::bad_transfer_encoding:
            return "peer sent a Transfer-Encoding whose last coding is not chunked, or chunked twice";
        case error::unknown_transfer_coding:
            return "peer sent a transfer coding this codec does not implement";
        case error::bad_chunk_size:
            return "peer sent a chunk-size line that is not hexadecimal";
        case error::chunk_size_overflow:
            return "peer sent a chunk size of more than 16 hex digits";
        case error::bad_chunk_extension:
            return "peer sent a malformed or oversized chunk extension";
        case error::bad_chunk_end:
            return "peer did not end chunk data with CRLF";
        case error::header_too_large:
            return "peer sent a header section larger than the limit";
        case error::target_too_long:
            return "peer sent a request-target longer than the limit";
        case error::too_many_fields:
            return "peer sent more header fields than the limit";
        case error::body_too_large:
            return "peer sent a body larger than the limit";
        case error::partial_message:
            return "peer closed the connection in the middle of a message";
        case error::unsolicited_response:
            return "peer sent a response with no request outstanding";
        case error::bad_submit:
            return "misuse of the HTTP/1 codec: the submit call does not fit the connection's state "
                   "(nothing was sent)";
        }
        return "unknown strata.http1 error";
    }
};

} // namespace

const error_category& error_category_instance() noexcept
{
    static const category instance;
    return instance;
}

unsigned status_for(error e) noexcept
{
    switch (e) {
    case error::unsupported_version:
        return 505;
    case error::unknown_transfer_coding:
        return 501;
    case error::header_too_large:
    case error::too_many_fields:
        return 431;
    case error::target_too_long:
        return 414;
    case error::body_too_large:
        return 413;
    case error::bad_submit:
        return 0;
    default:
        return 400;
    }
}

} // namespace strata::http1
