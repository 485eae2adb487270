// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#pragma once

// A one-line download meter on stderr: bytes so far, percent when the size
// is known, and the rate; redrawn at most ten times a second.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace strata_cli {

class progress {
public:
    explicit progress(std::optional<std::uint64_t> total) : total_(total) {}

    void update(std::uint64_t bytes)
    {
        bytes_ = bytes;
        auto now = clock::now();
        if (now - drawn_ >= std::chrono::milliseconds(100))
            draw(now);
    }
    /// The last line, then a newline so the shell prompt starts clean.
    void done()
    {
        draw(clock::now());
        std::fputc('\n', stderr);
    }

private:
    using clock = std::chrono::steady_clock;

    static void human(char* out, std::size_t n, double v)
    {
        const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (v >= 1024 && u < 4) {
            v /= 1024;
            ++u;
        }
        std::snprintf(out, n, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    }

    void draw(clock::time_point now)
    {
        drawn_ = now;
        const double secs = std::chrono::duration<double>(now - start_).count();
        char got[32], rate[32], all[32];
        human(got, sizeof got, static_cast<double>(bytes_));
        human(rate, sizeof rate, secs > 0 ? static_cast<double>(bytes_) / secs : 0.0);
        if (total_ && *total_ > 0) {
            human(all, sizeof all, static_cast<double>(*total_));
            std::fprintf(stderr, "\r%12s / %-12s %3d%%  %12s/s ", got, all,
                         static_cast<int>(100.0 * static_cast<double>(bytes_) / static_cast<double>(*total_)),
                         rate);
        } else {
            std::fprintf(stderr, "\r%12s  %12s/s ", got, rate);
        }
        std::fflush(stderr);
    }

    std::optional<std::uint64_t> total_;
    std::uint64_t bytes_ = 0;
    clock::time_point start_ = clock::now();
    clock::time_point drawn_{};
};

} // namespace strata_cli
