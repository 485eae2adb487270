#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Configures a strata build directory the way the README's commands do:
# Ninja, ccache, RelWithDebInfo, warnings as errors.
# Usage: scripts/configure.sh [build-dir (default: build)] [extra cmake args...]
# CXX picks the compiler, as usual for CMake.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
[[ $# -gt 0 ]] && shift

# A directory first configured with another generator cannot be reused.
if [[ -f $build/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build/CMakeCache.txt"; then
    echo "configure: $build was configured with another generator; starting it afresh"
    rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
fi

launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

cmake -S "$root" -B "$build" -G Ninja "${launcher[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSTRATA_WARNINGS_AS_ERRORS=ON \
    "$@"
