// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#include "args.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace strata_cli {

namespace {

const option* find_long(std::span<const option> options, std::string_view name)
{
    auto it = std::find_if(options.begin(), options.end(), [&](const option& o) { return o.name == name; });
    return it == options.end() ? nullptr : &*it;
}

const option* find_short(std::span<const option> options, char c)
{
    auto it =
        std::find_if(options.begin(), options.end(), [&](const option& o) { return o.short_name == c; });
    return it == options.end() ? nullptr : &*it;
}

} // namespace

bool args::parse(int argc, char** argv, int first, std::span<const option> options, std::string& error)
{
    for (int i = first; i < argc; ++i) {
        std::string_view a = argv[i];
        auto take_value = [&](const option& o, std::string_view inline_value, bool has_inline) {
            if (o.value.empty()) {
                if (has_inline) {
                    error = "option --" + std::string(o.name) + " takes no value";
                    return false;
                }
                values_[std::string(o.name)].emplace_back();
                return true;
            }
            if (!has_inline) {
                if (i + 1 >= argc) {
                    error =
                        "option --" + std::string(o.name) + " needs a value (" + std::string(o.value) + ")";
                    return false;
                }
                inline_value = argv[++i];
            }
            values_[std::string(o.name)].emplace_back(inline_value);
            return true;
        };
        if (a == "--") {
            positional_.insert(positional_.end(), argv + i + 1, argv + argc);
            return true;
        }
        if (a.starts_with("--")) {
            auto body = a.substr(2);
            auto eq = body.find('=');
            auto* o = find_long(options, body.substr(0, eq));
            if (!o) {
                error = "unknown option " + std::string(a);
                return false;
            }
            if (!take_value(*o, eq == std::string_view::npos ? std::string_view{} : body.substr(eq + 1),
                            eq != std::string_view::npos))
                return false;
        } else if (a.size() > 1 && a[0] == '-') {
            // A bundle of flags; an option taking a value ends it ("-vo out" or "-voout").
            for (std::size_t k = 1; k < a.size(); ++k) {
                auto* o = find_short(options, a[k]);
                if (!o) {
                    error = "unknown option -" + std::string(1, a[k]);
                    return false;
                }
                if (!o->value.empty()) {
                    bool rest = k + 1 < a.size();
                    if (!take_value(*o, rest ? a.substr(k + 1) : std::string_view{}, rest))
                        return false;
                    break;
                }
                take_value(*o, {}, false);
            }
        } else {
            positional_.emplace_back(a);
        }
    }
    return true;
}

std::optional<std::string> args::value(std::string_view name) const
{
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty())
        return std::nullopt;
    return it->second.back();
}

std::vector<std::string> args::values(std::string_view name) const
{
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

void print_help(std::string_view usage, std::string_view summary, std::span<const option> options)
{
    std::printf("usage: %.*s\n\n%.*s\n\noptions:\n", static_cast<int>(usage.size()), usage.data(),
                static_cast<int>(summary.size()), summary.data());
    for (const auto& o : options) {
        std::string left = o.short_name ? std::string("-") + o.short_name + ", " : std::string("    ");
        left += "--" + std::string(o.name);
        if (!o.value.empty())
            left += " " + std::string(o.value);
        std::printf("  %-28s %.*s\n", left.c_str(), static_cast<int>(o.help.size()), o.help.data());
    }
}

std::optional<double> parse_seconds(std::string_view text)
{
    double scale = 1;
    if (text.ends_with("ms")) {
        scale = 0.001;
        text.remove_suffix(2);
    } else if (text.ends_with('s')) {
        text.remove_suffix(1);
    } else if (text.ends_with('m')) {
        scale = 60;
        text.remove_suffix(1);
    }
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v < 0)
        return std::nullopt;
    return v * scale;
}

} // namespace strata_cli
