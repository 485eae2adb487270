#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Checks the C++ sources against .clang-format (clang-format 14, as in CI).
# Usage: scripts/check-format.sh          list the files that differ, exit 1 if any
#        scripts/check-format.sh --fix    reformat them in place
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
clang_format=$(command -v clang-format-14 || command -v clang-format) || {
    echo "check-format: clang-format is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
}

dirs=()
for d in include src tests examples benchmarks; do
    [[ -d $d ]] && dirs+=("$d")
done
mapfile -t files < <(find "${dirs[@]}" \( -name node_modules -o -name 'build*' -o -name corpus \) -prune \
    -o -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.ipp' \) -print | LC_ALL=C sort)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "check-format: no C++ files found"
    exit 0
fi

if [[ ${1:-} == --fix ]]; then
    "$clang_format" -i "${files[@]}"
    echo "check-format: formatted ${#files[@]} files"
    exit 0
fi

bad=()
for f in "${files[@]}"; do
    if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
        bad+=("$f")
    fi
done
if [[ ${#bad[@]} -ne 0 ]]; then
    echo "check-format: ${#bad[@]} of ${#files[@]} files differ from .clang-format:"
    printf '  %s\n' "${bad[@]}"
    echo "Show the changes with: $clang_format --dry-run FILE; fix with: scripts/check-format.sh --fix"
    exit 1
fi
echo "check-format: ${#files[@]} files match .clang-format"
