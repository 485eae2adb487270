// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include <strata/http/fields.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace strata::http {

namespace {

constexpr char lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace

bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

fields::fields(std::initializer_list<field_view> list)
{
    for (auto f : list)
        add(f.name, f.value);
}

fields::fields(std::span<const field_view> list)
{
    for (auto f : list)
        add(f.name, f.value);
}

void fields::add(std::string_view name, std::string_view value)
{
    if (text_.size() + name.size() + value.size() > std::numeric_limits<std::uint32_t>::max())
        throw std::length_error("strata::http::fields: more than 4 GiB of fields");
    entry e{static_cast<std::uint32_t>(text_.size()), static_cast<std::uint32_t>(name.size()),
            static_cast<std::uint32_t>(text_.size() + name.size()), static_cast<std::uint32_t>(value.size())};
    text_.append(name);
    text_.append(value);
    entries_.push_back(e);
}

void fields::set(std::string_view name, std::string_view value)
{
    if (!contains(name)) {
        add(name, value); // the common case: no copy, no rebuild
        return;
    }
    // Copy first: name or value may point into text_.
    std::string n{name}, v{value};
    erase(n);
    add(n, v);
}

void fields::reserve(std::size_t count, std::size_t bytes)
{
    entries_.reserve(count);
    text_.reserve(bytes);
}

std::size_t fields::erase(std::string_view name)
{
    std::string n{name};
    fields kept;
    std::size_t removed = 0;
    for (auto f : *this) {
        if (iequals(f.name, n))
            ++removed;
        else
            kept.add(f.name, f.value);
    }
    if (removed)
        *this = std::move(kept);
    return removed;
}

void fields::clear() noexcept
{
    text_.clear();
    entries_.clear();
}

field_view fields::at(std::size_t i) const noexcept
{
    const auto& e = entries_[i];
    std::string_view t{text_};
    return {t.substr(e.name_offset, e.name_size), t.substr(e.value_offset, e.value_size)};
}

std::optional<std::string_view> fields::get(std::string_view name) const noexcept
{
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        auto f = at(i);
        if (iequals(f.name, name))
            return f.value;
    }
    return std::nullopt;
}

bool fields::has_token(std::string_view name, std::string_view token) const noexcept
{
    for (auto f : *this) {
        if (!iequals(f.name, name))
            continue;
        std::string_view rest = f.value;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            auto item = trim(rest.substr(0, comma));
            if (iequals(item, token))
                return true;
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
    }
    return false;
}

} // namespace strata::http
