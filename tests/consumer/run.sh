#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Packaging test: builds strata once, installs it into <work-dir>/prefix and
# builds and runs the three consumer projects against it:
#   subdirectory/  add_subdirectory(strata) from the source tree
#   find_package/  find_package(strata CONFIG REQUIRED) on the installed prefix
#   pkgconfig/     a plain Makefile using `pkg-config --cflags --libs strata`
# Usage: tests/consumer/run.sh <strata-source-dir> <work-dir>
# Honours CXX, CMAKE_GENERATOR and STRATA_CONSUMER_JOBS (default: nproc).
set -Eeuo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 <strata-source-dir> <work-dir>" >&2
    exit 2
fi
src=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
here="$src/tests/consumer"
prefix="$work/prefix"
jobs=${STRATA_CONSUMER_JOBS:-$(nproc)}

step() { printf '\n== consumer.packaging: %s\n' "$*"; }
fail() {
    printf '\nconsumer.packaging FAILED: %s\n' "$*" >&2
    exit 1
}
trap 'fail "command failed (line $LINENO): $BASH_COMMAND"' ERR

generator=()
if [[ -z ${CMAKE_GENERATOR:-} ]] && command -v ninja >/dev/null; then
    generator=(-G Ninja)
fi
launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    # Both strata builds below use the flags of scripts/configure.sh, so with
    # the build directory left out of the hash they reuse its objects.
    export CCACHE_NOHASHDIR=true
fi
# strata itself is compiled as the test command compiles it.
strata_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WARNINGS_AS_ERRORS=ON)

# configure <build-dir> <source-dir> [cmake args...]: a fresh configure each
# run (a stale cache would hide a packaging change) that still reuses objects.
configure() {
    local build=$1 source=$2
    shift 2
    rm -f "$build/CMakeCache.txt"
    cmake -S "$source" -B "$build" "${generator[@]}" "${launcher[@]}" -Wno-dev "$@"
}

# run_consumer <name> <binary>: it must exit 0 and report every check ok.
run_consumer() {
    local name=$1 binary=$2 out
    [[ -x $binary ]] || fail "$name: $binary was not built"
    out=$("$binary") || fail "$name: $binary exited with $?: $out"
    printf '%s\n' "$out"
    grep -q '^0 failed$' <<<"$out" || fail "$name: unexpected output"
}

step "build and install strata from $src"
configure "$work/strata-build" "$src" "${strata_flags[@]}" \
    -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_EXAMPLES=OFF -DSTRATA_BUILD_BENCHMARKS=OFF \
    -DSTRATA_BUILD_FUZZERS=OFF -DSTRATA_INSTALL=ON -DCMAKE_INSTALL_PREFIX=/nonexistent/strata
cmake --build "$work/strata-build" -j "$jobs"
rm -rf "$prefix"
# A prefix other than the configured one: both package files must be relocatable.
cmake --install "$work/strata-build" --prefix "$prefix"

step "check the installed tree"
for f in include/strata/error.hpp include/strata/http/version.hpp; do
    [[ -f $prefix/$f ]] || fail "$f is not installed"
done
lib=$(find "$prefix" -name 'libstrata.a' -o -name 'libstrata.so' | head -n1)
[[ -n $lib ]] || fail "libstrata is not installed"
config=$(find "$prefix" -name strataConfig.cmake | head -n1)
[[ -n $config ]] || fail "strataConfig.cmake is not installed"
for f in strataConfigVersion.cmake strataTargets.cmake; do
    [[ -f $(dirname "$config")/$f ]] || fail "$f is not installed next to strataConfig.cmake"
done
pc=$(find "$prefix" -name strata.pc | head -n1)
[[ -n $pc ]] || fail "strata.pc is not installed"
# Nothing installed may point back into the source or build tree.
if leaks=$(grep -rlF -e "$src/" -e "$work/strata-build" "$prefix" --include='*.cmake' --include='*.pc'); then
    fail "installed package files refer to the build machine's tree: $leaks"
fi

step "subdirectory consumer"
configure "$work/subdirectory" "$here/subdirectory" "${strata_flags[@]}" -DSTRATA_SOURCE_DIR="$src"
cmake --build "$work/subdirectory" -j "$jobs"
run_consumer subdirectory "$work/subdirectory/consumer"

step "find_package consumer"
rm -rf "$work/find_package"
configure "$work/find_package" "$here/find_package" -DCMAKE_PREFIX_PATH="$prefix"
grep -q "strata_DIR:PATH=$(dirname "$config")" "$work/find_package/CMakeCache.txt" ||
    fail "find_package found a strata other than the one in $prefix"
cmake --build "$work/find_package" -j "$jobs"
run_consumer find_package "$work/find_package/consumer"

step "pkg-config consumer"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
cflags=$(pkg-config --cflags strata)
libs=$(pkg-config --libs strata)
echo "pkg-config --cflags strata: $cflags"
echo "pkg-config --libs strata:   $libs"
for want in -DBOOST_ASIO_NO_DEPRECATED -DBOOST_ASIO_DISABLE_BOOST_REGEX; do
    [[ " $cflags " == *" $want "* ]] || fail "strata.pc Cflags lack $want"
done
for want in -lstrata -lssl -lcrypto -pthread; do
    [[ " $libs " == *" $want "* ]] || fail "strata.pc Libs lack $want"
done
[[ $(pkg-config --modversion strata) == "$(sed -n 's/^Version: //p' "$pc")" ]] || fail "pkg-config --modversion"
rm -rf "$work/pkgconfig"
mkdir -p "$work/pkgconfig"
make -f "$here/pkgconfig/Makefile" BUILD_DIR="$work/pkgconfig" CXX="${CXX:-c++}"
run_consumer pkgconfig "$work/pkgconfig/consumer"

trap - ERR
printf '\nconsumer.packaging: 3 passed, 0 failed\n'
