// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// wrk as a smoke load: 32 keep-alive connections for three seconds. Not a
// benchmark (no rate is asserted): every request must succeed, and the
// server must still answer afterwards.

#include "interop_support.hpp"

#include <cctype>
#include <string>
#include <vector>

using namespace strata;
using namespace strata::interop;

namespace {

/// The numbers of a wrk report line, e.g. "Socket errors: connect 0, read 3, ...".
std::vector<unsigned long long> numbers_after(const std::string& report, const std::string& label,
                                              bool& found)
{
    std::vector<unsigned long long> out;
    auto at = report.find(label);
    found = at != std::string::npos;
    if (!found)
        return out;
    auto end = report.find('\n', at);
    auto line = report.substr(at + label.size(),
                              end == std::string::npos ? std::string::npos : end - at - label.size());
    for (std::size_t i = 0; i < line.size();) {
        if (!std::isdigit(static_cast<unsigned char>(line[i]))) {
            ++i;
            continue;
        }
        std::size_t used = 0;
        out.push_back(std::stoull(line.substr(i), &used));
        i += used;
    }
    return out;
}

TEST(WrkAgainstStrata, SmokeLoadHasNoErrors)
{
    auto wrk = require_program("wrk", "wrk");
    ASSERT_FALSE(wrk.empty());
    strata_peer peer;

    auto r = run_process({wrk, "-t1", "-c32", "-d3s", "--timeout", "5s", peer.url("http", "/hello")},
                         {.timeout = 30s, .stdin_file = {}});
    ASSERT_TRUE(r.ok()) << r.describe() << "\nstdout:\n" << r.out;

    // "  98765 requests in 3.00s, 11.30MB read"
    auto at = r.out.find(" requests in ");
    ASSERT_NE(at, std::string::npos) << r.out;
    auto start = r.out.find_last_not_of("0123456789", at - 1) + 1;
    ASSERT_LT(start, at) << r.out;
    EXPECT_GT(std::stoull(r.out.substr(start, at - start)), 1000u) << r.out;

    // wrk prints these lines only when something went wrong; zero either way.
    bool found = false;
    auto socket_errors = numbers_after(r.out, "Socket errors:", found);
    if (found) {
        ASSERT_EQ(socket_errors.size(), 4u) << r.out;
        for (auto n : socket_errors)
            EXPECT_EQ(n, 0u) << r.out;
    }
    auto non_2xx = numbers_after(r.out, "Non-2xx or 3xx responses:", found);
    if (found) {
        ASSERT_FALSE(non_2xx.empty()) << r.out;
        EXPECT_EQ(non_2xx[0], 0u) << r.out;
    }

    bool closed = false;
    auto after = raw_exchange(peer.http_port(), "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                              5s, closed);
    auto responses = parse_responses(after);
    ASSERT_EQ(responses.size(), 1u) << "the server stopped answering after the load:\n" << after;
    EXPECT_EQ(responses[0].status, 200u);
    EXPECT_EQ(responses[0].body, strata_peer::hello_body);
}

} // namespace
