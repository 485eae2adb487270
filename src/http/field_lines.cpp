// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "field_lines.hpp"

namespace strata::http::detail {

bool connection_specific(std::string_view lowered, std::string_view value) noexcept
{
    if (lowered == "te")
        return value != "trailers";
    return lowered == "connection" || lowered == "keep-alive" || lowered == "proxy-connection" ||
           lowered == "transfer-encoding" || lowered == "upgrade" || lowered == "host";
}

void field_lines::add(std::string_view name, std::string_view value, bool lowercase)
{
    auto at = text_.size();
    text_.append(name);
    if (lowercase)
        for (auto i = at; i < text_.size(); ++i)
            text_[i] = lower(text_[i]);
    auto vat = text_.size();
    text_.append(value);
    refs_.push_back({at, name.size(), vat, value.size()});
}

void field_lines::add_fields(std::span<const field_view> fields)
{
    for (auto f : fields) {
        if (f.name.empty() || f.name[0] == ':')
            continue;
        auto at = text_.size();
        add(f.name, f.value, true);
        if (connection_specific({text_.data() + at, f.name.size()}, f.value)) {
            text_.resize(at);
            refs_.pop_back();
        }
    }
}

} // namespace strata::http::detail
