#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Installs everything strata's build and tests need on Debian bookworm.
# Idempotent: when all is present it prints one line and takes well under a
# second (dpkg-query only; apt-get update runs only if something is missing).
# Runs as root, or through sudo otherwise. npm packages for the interop tests
# come from tests/interop/package.json.
set -euo pipefail

# ---------------------------------------------------------------------------
# The one list of Debian packages. Add new dependencies here.
packages=(
    # toolchain
    build-essential g++ cmake ninja-build ccache pkg-config make
    clang-14 clang lld libclang-rt-14-dev # Clang build, sanitizers, libFuzzer
    clang-format                          # CI's format check
    # libraries
    libboost-dev libssl-dev zlib1g-dev libsimdjson-dev nlohmann-json3-dev libnghttp2-dev
    libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libnghttp3-dev
    # tests and benchmarks
    libgtest-dev libgmock-dev libbenchmark-dev libhttp-parser-dev libwebsocketpp-dev
    # peers and tools the tests and the demo drive
    openssl curl wrk nginx-light ca-certificates
    nghttp2-client nghttp2-server # nghttp, h2load, nghttpd
    ngtcp2-client ngtcp2-server   # gtlsclient, gtlsserver (HTTP/3)
    python3
    python3-websockets # the WebSocket interop tests' Python peer
    # the protocol lab (benchmarks/lab): namespaces, loss, delay, plots
    iproute2 iptables ethtool iputils-ping tcpdump procps libnetfilter-queue-dev python3-matplotlib
    nodejs npm
    chromium # the browser's EventSource and WebSocket in the interop tests (driven by playwright-core)
)
# Packages that count as present when a command of that name is on PATH:
# NodeSource's nodejs bundles npm and conflicts with Debian's npm package.
declare -A satisfied_by_command=([npm]=npm [nodejs]=node)
# ---------------------------------------------------------------------------

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf 'install-deps: %s\n' "$*"; }
die() {
    printf 'install-deps: error: %s\n' "$*" >&2
    exit 1
}

as_root=()
if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || die "not root and no sudo: run as root"
    as_root=(sudo)
fi
apt_env=(env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a)

# Prints the packages of "$@" that are not installed, one per line.
missing_packages() {
    local -A installed=()
    local name status pkg
    while read -r name status; do
        [[ $status == ii ]] && installed[$name]=1
    done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
    for pkg in "$@"; do
        [[ -n ${installed[$pkg]:-} ]] && continue
        if [[ -n ${satisfied_by_command[$pkg]:-} ]] && command -v "${satisfied_by_command[$pkg]}" >/dev/null; then
            continue
        fi
        printf '%s\n' "$pkg"
    done
}

install_debian_packages() {
    local missing aptlog policy_created=0 installed_nginx=0
    mapfile -t missing < <(missing_packages "${packages[@]}")
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "all ${#packages[@]} Debian packages present"
        return
    fi
    log "installing ${missing[*]}"
    [[ " ${missing[*]} " == *" nginx-light "* ]] && installed_nginx=1
    aptlog=$(mktemp)
    # Keep installed services (nginx) from starting: the tests start their
    # own on unprivileged ports. Leave an existing policy alone.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${as_root[@]}" chmod 755 /usr/sbin/policy-rc.d
        policy_created=1
    fi
    local rc=0
    {
        "${as_root[@]}" "${apt_env[@]}" apt-get update -q &&
            "${as_root[@]}" "${apt_env[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
    } >"$aptlog" 2>&1 || rc=$?
    if [[ $policy_created -eq 1 ]]; then
        "${as_root[@]}" rm -f /usr/sbin/policy-rc.d
    fi
    if [[ $rc -ne 0 ]]; then
        tail -n 40 "$aptlog" >&2
        rm -f "$aptlog"
        die "apt-get failed (exit $rc) installing: ${missing[*]}"
    fi
    rm -f "$aptlog"
    mapfile -t missing < <(missing_packages "${packages[@]}")
    [[ ${#missing[@]} -eq 0 ]] || die "still missing after apt-get install: ${missing[*]}"
    if [[ $installed_nginx -eq 1 ]]; then
        # No system nginx on port 80, now or after a reboot.
        if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
            "${as_root[@]}" systemctl disable --now nginx >/dev/null 2>&1 || true
        elif command -v update-rc.d >/dev/null; then
            "${as_root[@]}" update-rc.d nginx disable >/dev/null 2>&1 || true
        fi
    fi
    log "done"
}

# npm packages for the interop tests, reinstalled only when package.json or
# the lock file changed. A slow or unreachable registry is a warning (the
# build and most tests do not need it); a package that does not exist fails.
install_npm_packages() {
    local dir="$root/tests/interop" stamp hash npmlog rc=0
    [[ -f $dir/package.json ]] || return 0
    stamp="$dir/node_modules/.strata-install-stamp"
    hash_inputs() {
        local f
        for f in package.json package-lock.json; do
            if [[ -f $dir/$f ]]; then cat "$dir/$f"; fi
        done | sha256sum | cut -d' ' -f1
    }
    hash=$(hash_inputs)
    if [[ -f $stamp && $(cat "$stamp") == "$hash" ]]; then
        return 0
    fi
    command -v npm >/dev/null || die "npm is missing"
    log "installing npm packages in tests/interop"
    npmlog=$(mktemp)
    local npm_cmd=(npm install --no-audit --no-fund --loglevel=error)
    [[ -f $dir/package-lock.json ]] && npm_cmd=(npm ci --no-audit --no-fund --loglevel=error)
    (cd "$dir" && timeout "${STRATA_NPM_TIMEOUT:-600}" "${npm_cmd[@]}") >"$npmlog" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]]; then
        if grep -qE 'E404|ETARGET|notarget|EJSONPARSE|EUSAGE|ERESOLVE|EBADENGINE|code ELOCKVERIFY' "$npmlog"; then
            cat "$npmlog" >&2
            rm -f "$npmlog"
            die "npm could not install tests/interop's packages"
        fi
        tail -n 20 "$npmlog" >&2
        rm -f "$npmlog"
        log "warning: npm did not finish (exit $rc; registry slow or unreachable?); interop tests that need node packages will fail"
        return 0
    fi
    rm -f "$npmlog"
    mkdir -p "$dir/node_modules"
    hash_inputs >"$stamp"
}

install_debian_packages
install_npm_packages
