#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# The demo command: installs the dependencies, builds the `strata` tool,
# starts `strata serve` (http://localhost:8080, https://localhost:8443 with a
# development certificate), talks to it with `strata get`, `strata poll` and
# `strata ws` (the gateway), and prints the demo page's URL to open in a
# browser. On a terminal the server keeps running until Ctrl-C; otherwise
# it stops.
# STRATA_DEMO_HTTP_PORT / STRATA_DEMO_HTTPS_PORT change the ports.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${STRATA_BUILD_DIR:-$root/build}
http_port=${STRATA_DEMO_HTTP_PORT:-8080}
https_port=${STRATA_DEMO_HTTPS_PORT:-8443}
strata=$build/examples/cli/strata

"$root/scripts/install-deps.sh"
"$root/scripts/configure.sh" "$build" >/dev/null
cmake --build "$build" --target strata_cli -j "$(nproc)"

log=$(mktemp)
"$strata" serve --http "$http_port" --https "$https_port" --root "$root/examples" >"$log" 2>&1 &
server=$!
stop() {
    kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -f "$log"
}
trap stop EXIT
trap 'exit 130' INT TERM

# The server prints its certificate once both listeners are up.
for _ in $(seq 100); do
    grep -q '^development certificate:\|^certificate:' "$log" && break
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
done
cat "$log"
cert=$(sed -n 's/^development certificate: //p' "$log")

show() {
    printf '\n$ strata %s\n' "$*"
    "$strata" "$@"
}
show get -v "http://localhost:$http_port/hello"
show get -v --cacert "$cert" "https://localhost:$https_port/hello"
show get -v --http3 --cacert "$cert" "https://localhost:$https_port/hello"
show get "http://localhost:$http_port/stream?n=3"
show get -I "http://localhost:$http_port/README.md"
show poll --count 1 "http://localhost:$http_port/scores"
# The gateway: a typed envelope in, its typed answer out, on one WebSocket.
printf '\n$ echo '"'"'{"type":"route","id":1}'"'"' | strata ws "ws://localhost:%s/gateway?access_token=demo"\n' "$http_port"
(echo '{"type":"route","id":1}'; sleep 1) | "$strata" ws "ws://localhost:$http_port/gateway?access_token=demo" | head -c 400
echo

printf '\n==> Open the demo page: http://localhost:%s/  (live scores, a ticker three ways, a token stream,\n' "$http_port"
printf '    a chat room and the rider app, the last two through the WebSocket gateway)\n'

if [[ -t 0 ]]; then
    printf '\nstrata serve is running: open http://localhost:%s/ (also https://localhost:%s/); Ctrl-C stops it.\n' \
        "$http_port" "$https_port"
    wait "$server" || true
fi
