// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/sse/error.hpp>

#include <string>

namespace strata::sse {
namespace {

class category final : public error_category {
public:
    const char* name() const noexcept override { return "strata.sse"; }
    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::line_too_long:
            return "event stream line longer than the parser's max_line_bytes";
        case error::event_too_large:
            return "event stream event data larger than the parser's max_event_bytes";
        case error::bad_status:
            return "event stream response status is not 200 OK";
        case error::bad_content_type:
            return "event stream response Content-Type is not text/event-stream";
        case error::invalid_field:
            return "event id or type contains CR, LF or NUL and cannot be framed";
        }
        return "unknown SSE error " + std::to_string(ev);
    }
};

} // namespace

const error_category& error_category_instance() noexcept
{
    static const category instance;
    return instance;
}

} // namespace strata::sse
