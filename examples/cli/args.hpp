// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// A small command-line parser: long options (--name, --name=value,
// --name value), short options (-v, -o FILE, -oFILE, bundles like -vL), and
// positional arguments. Each subcommand lists its options in a table, which
// also prints its --help.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata_cli {

struct option {
    std::string_view name;  ///< long name without "--"
    char short_name = 0;    ///< 0: none
    std::string_view value; ///< placeholder for the value ("FILE"); empty for a flag
    std::string_view help;
};

class args {
public:
    /// Parses argv[first..argc); false with `error` set on an unknown option or a missing value.
    bool parse(int argc, char** argv, int first, std::span<const option> options, std::string& error);

    bool has(std::string_view name) const { return values_.contains(std::string(name)); }
    /// The last value given for the option.
    std::optional<std::string> value(std::string_view name) const;
    /// Every value given, in order (repeatable options like -H).
    std::vector<std::string> values(std::string_view name) const;
    const std::vector<std::string>& positional() const noexcept { return positional_; }

private:
    std::map<std::string, std::vector<std::string>, std::less<>> values_;
    std::vector<std::string> positional_;
};

/// Prints "usage" and the option table, aligned.
void print_help(std::string_view usage, std::string_view summary, std::span<const option> options);

/// "1s", "250ms", "1.5s", "2m" or a plain number of seconds; nullopt when malformed.
std::optional<double> parse_seconds(std::string_view text);

} // namespace strata_cli
