// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The harness the interop tests stand on: a missing peer fails with the
// package to install, and a child that overruns its deadline is killed.

#include "interop_support.hpp"

#include <gtest/gtest-spi.h>

using namespace strata::interop;

namespace {

TEST(InteropHarness, MissingPeerFailsNamingItsPackage)
{
    EXPECT_NONFATAL_FAILURE(require_program("strata-no-such-peer", "strata-peer-package"),
                            "apt install strata-peer-package");
}

TEST(InteropHarness, ChildPastItsDeadlineIsKilledAndReaped)
{
    auto sh = require_program("sh", "dash");
    ASSERT_FALSE(sh.empty());
    // The grandchild (sleep) shares the process group and goes with it.
    auto r =
        run_process({sh, "-c", "echo started; sleep 30; echo never"}, {.timeout = 300ms, .stdin_file = {}});
    EXPECT_TRUE(r.timed_out);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.out, "started\n");
    EXPECT_LT(r.elapsed, 5s);
}

TEST(InteropHarness, ExitCodeAndBothStreamsAreCaptured)
{
    auto sh = require_program("sh", "dash");
    ASSERT_FALSE(sh.empty());
    auto r = run_process({sh, "-c", "cat; echo oops >&2; exit 3"}, {.timeout = 10s, .stdin_file = {}});
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.out, ""); // stdin is /dev/null unless a file is given
    EXPECT_EQ(r.err, "oops\n");
}

} // namespace
