#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# The test command: installs the dependencies, builds everything in build/
# (Ninja, ccache, RelWithDebInfo, -Werror) and runs every test with ctest.
# Usage: scripts/test.sh [extra cmake args...]
# STRATA_BUILD_DIR overrides the build directory.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${STRATA_BUILD_DIR:-$root/build}
jobs=$(nproc)
# Objects are then shared between build directories with the same flags
# (the packaging test rebuilds strata elsewhere).
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}

"$root/scripts/install-deps.sh"
"$root/scripts/configure.sh" "$build" "$@"
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j "$jobs" --no-tests=error
