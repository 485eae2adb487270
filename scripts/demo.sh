#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# The demo command: installs the dependencies, builds the `strata` tool
# (examples/cli), starts `strata serve` on http://127.0.0.1:8080 and
# https://127.0.0.1:8443 (a self-signed certificate made here), fetches a
# page with `strata get`, then leaves the server running until Ctrl-C.
# Without a terminal (or with STRATA_DEMO_ONESHOT=1) it stops after the fetch.
# STRATA_DEMO_HTTP_PORT / STRATA_DEMO_HTTPS_PORT change the ports. Expected tool
# interface: `strata serve --listen URL... [--cert PEM --key PEM]`, `strata get URL`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${STRATA_BUILD_DIR:-$root/build}
http_port=${STRATA_DEMO_HTTP_PORT:-8080}
https_port=${STRATA_DEMO_HTTPS_PORT:-8443}
demo="$build/demo"
strata="$build/examples/cli/strata"

http_url="http://127.0.0.1:$http_port/"
https_url="https://127.0.0.1:$https_port/"
# How the tool is driven; kept here so a change of its options is one edit.
# STRATA_DEMO_SERVE_ARGS replaces the listen arguments.
read -r -a serve_args <<<"${STRATA_DEMO_SERVE_ARGS:---listen http://127.0.0.1:$http_port --listen https://127.0.0.1:$https_port}"
get_cmd=("$strata" get "$http_url")

die() {
    printf 'demo: error: %s\n' "$*" >&2
    exit 1
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

"$root/scripts/install-deps.sh"
"$root/scripts/configure.sh" "$build" >/dev/null
if ! cmake --build "$build" --target help | grep -q '^strata_cli:'; then
    die "this tree has no strata_cli target yet (examples/cli)"
fi
cmake --build "$build" --target strata_cli -j "$(nproc)"
[[ -x $strata ]] || die "$strata was not built"

for port in "$http_port" "$https_port"; do
    if port_busy "$port"; then
        die "port $port is in use (a demo still running?); set STRATA_DEMO_HTTP_PORT / STRATA_DEMO_HTTPS_PORT"
    fi
done

mkdir -p "$demo"
# A tool that takes a certificate gets one made here (trusted with curl
# --cacert); otherwise it makes its own at start-up.
curl_https=(curl -k "$https_url")
if timeout 5 "$strata" serve --help </dev/null 2>&1 | grep -q -- '--cert'; then
    if [[ ! -f $demo/cert.pem || ! -f $demo/key.pem ]]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
            -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$demo/key.pem" -out "$demo/cert.pem" 2>/dev/null
    fi
    serve_args+=(--cert "$demo/cert.pem" --key "$demo/key.pem")
    curl_https=(curl --cacert "$demo/cert.pem" "$https_url")
fi

"$strata" serve "${serve_args[@]}" >"$demo/server.log" 2>&1 &
server=$!
stop_server() {
    if kill -0 "$server" 2>/dev/null; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        echo "demo: server stopped"
    fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# Wait up to 10 s for both listeners.
for _ in $(seq 100); do
    kill -0 "$server" 2>/dev/null || { cat "$demo/server.log" >&2; die "strata serve exited"; }
    port_busy "$http_port" && port_busy "$https_port" && break
    sleep 0.1
done
if ! { port_busy "$http_port" && port_busy "$https_port"; }; then
    cat "$demo/server.log" >&2
    die "strata serve did not open ports $http_port and $https_port"
fi

echo "demo: \$ strata get $http_url"
"${get_cmd[@]}"

cat <<MSG

demo: strata serve is running (log: $demo/server.log)
  $http_url
  $https_url   (self-signed certificate)
Try:  $strata get $https_url
      ${curl_https[*]}
MSG
if [[ -t 0 && -z ${STRATA_DEMO_ONESHOT:-} ]]; then
    echo "Press Ctrl-C to stop it."
    wait "$server" || true
fi
