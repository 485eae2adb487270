// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <strata/http/event.hpp>

#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::http {

/// ASCII case-insensitive equality, the comparison RFC 9110 §5.1 gives field names.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// An ordered list of header fields that owns its text. Names keep the case
/// they were given; lookups ignore case. All names and values live in one
/// string, so a message head costs two allocations however many fields it has.
class fields {
    struct entry {
        std::uint32_t name_offset, name_size, value_offset, value_size;
    };

public:
    class const_iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = field_view;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = field_view;

        const_iterator() = default;
        field_view operator*() const noexcept { return owner_->at(index_); }
        const_iterator& operator++() noexcept
        {
            ++index_;
            return *this;
        }
        const_iterator operator++(int) noexcept
        {
            auto copy = *this;
            ++index_;
            return copy;
        }
        bool operator==(const const_iterator&) const = default;

    private:
        friend class fields;
        const_iterator(const fields* owner, std::size_t index) : owner_(owner), index_(index) {}
        const fields* owner_ = nullptr;
        std::size_t index_ = 0;
    };

    fields() = default;
    fields(std::initializer_list<field_view> list);
    explicit fields(std::span<const field_view> list);

    /// Adds a field after the others, even if one of that name exists.
    void add(std::string_view name, std::string_view value);
    /// Replaces every field of that name by one (added last if there was none).
    void set(std::string_view name, std::string_view value);
    /// Removes every field of that name; returns how many.
    std::size_t erase(std::string_view name);
    void clear() noexcept;
    /// Room for `count` fields of `bytes` name and value bytes in all.
    void reserve(std::size_t count, std::size_t bytes);

    /// The first value of the field, if present.
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
    /// Whether a comma-separated list field (Connection, Cache-Control, ...)
    /// holds `token`, ignoring case, in any of its occurrences.
    bool has_token(std::string_view name, std::string_view token) const noexcept;

    field_view at(std::size_t i) const noexcept;
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    const_iterator begin() const noexcept { return {this, 0}; }
    const_iterator end() const noexcept { return {this, entries_.size()}; }

private:
    std::string text_;
    std::vector<entry> entries_;
};

} // namespace strata::http
