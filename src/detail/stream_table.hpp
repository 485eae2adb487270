// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace strata::detail {

/// Per-stream state in a vector sorted by stream id. Peers open streams in
/// increasing order, so inserting is appending; a connection has at most a
/// hundred or so streams, so a binary search beats a hash table, and the
/// vector's storage is reused from stream to stream: no allocation per stream.
template <class T>
class stream_table {
public:
    T* find(std::int64_t id) noexcept
    {
        auto it = lower(id);
        return it != items_.end() && it->first == id ? &it->second : nullptr;
    }
    const T* find(std::int64_t id) const noexcept { return const_cast<stream_table*>(this)->find(id); }
    /// The entry for `id`, made (value-initialised) if absent.
    T& operator[](std::int64_t id)
    {
        if (items_.empty() || items_.back().first < id)
            return items_.emplace_back(id, T{}).second;
        auto it = lower(id);
        if (it == items_.end() || it->first != id)
            it = items_.emplace(it, id, T{});
        return it->second;
    }
    bool erase(std::int64_t id)
    {
        auto it = lower(id);
        if (it == items_.end() || it->first != id)
            return false;
        items_.erase(it);
        return true;
    }
    std::size_t size() const noexcept { return items_.size(); }
    void shrink_to_fit() { items_.shrink_to_fit(); }
    auto begin() noexcept { return items_.begin(); }
    auto end() noexcept { return items_.end(); }
    auto begin() const noexcept { return items_.begin(); }
    auto end() const noexcept { return items_.end(); }

private:
    using item = std::pair<std::int64_t, T>;
    typename std::vector<item>::iterator lower(std::int64_t id)
    {
        return std::lower_bound(items_.begin(), items_.end(), id,
                                [](const item& a, std::int64_t b) { return a.first < b; });
    }
    std::vector<item> items_;
};

} // namespace strata::detail
