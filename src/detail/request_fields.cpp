// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "request_fields.hpp"

#include <charconv>
#include <string_view>

namespace strata::detail {

void request_fields::build(const client_request& req, const client_config& cfg)
{
    streamed_ = static_cast<bool>(req.body_source);
    has_body_ = streamed_ || !req.body.empty();
    std::string_view length;
    // A streamed body's length is unknown: the codec's framing ends it.
    if (!streamed_ && (has_body_ || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")) {
        auto [end, _] = std::to_chars(length_, length_ + sizeof length_, req.body.size());
        length = {length_, static_cast<std::size_t>(end - length_)};
    }
    fields_.clear();
    if (!cfg.user_agent.empty() && !req.fields.contains("User-Agent"))
        fields_.push_back({"user-agent", cfg.user_agent});
    for (auto f : req.fields)
        fields_.push_back(f);
    if (!length.empty() && !req.fields.contains("Content-Length"))
        fields_.push_back({"content-length", length});
    expect_ = req.expect_continue && has_body_;
    if (expect_)
        fields_.push_back({"expect", "100-continue"});
}

} // namespace strata::detail
