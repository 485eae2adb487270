#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# The rider app end to end, every piece a process: the gateway, the location
# and messaging services on the service link, a simulated driver and scripted
# riders. Checks: a rider sees the driver move and gets the driver's reply;
# the messaging service is killed (SIGKILL) and restarted while clients stay
# connected; a rider that drops right after sending comes back with its
# cursor and gets every missed message once.
set -euo pipefail

bin=${1:?usage: end_to_end.sh BUILD_DIR_OF_THE_RIDER_EXAMPLES}
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done
    exit 1
}

"$bin/rider_gateway" --port 0 >"$work/gateway.log" 2>&1 &
pids+=($!)
port=
for _ in $(seq 100); do
    port=$(sed -n 's|.*ws://127.0.0.1:\([0-9]*\)/gateway .*|\1|p' "$work/gateway.log")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || fail "the gateway did not start"
services=ws://127.0.0.1:$port/gateway/services
gateway=ws://127.0.0.1:$port/gateway
metric() { curl -fsS "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

"$bin/rider_location_service" --gateway "$services" >"$work/location.log" 2>&1 &
pids+=($!)
"$bin/rider_messaging_service" --gateway "$services" >"$work/messaging.log" 2>&1 &
messaging=$!
pids+=($messaging)
"$bin/rider_driver" --gateway "$gateway" --interval-ms 100 >"$work/driver.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    [ "$(metric 'strata_gateway_service_up{service="messaging"}')" = 1 ] &&
        [ "$(metric 'strata_gateway_service_up{service="location"}')" = 1 ] && break
    sleep 0.05
done

echo "1. a rider follows the driver and gets an answer"
"$bin/rider_client" --gateway "$gateway" --name rider-a --say "I'm at the corner" \
    --expect-replies 1 --expect-locations 5 --timeout 20 >"$work/rider-a.log" 2>&1 ||
    fail "rider-a"

echo "2. the messaging service dies; clients stay connected; it comes back"
"$bin/rider_client" --gateway "$gateway" --name rider-b --expect-locations 1000 --timeout 60 \
    >"$work/rider-b.log" 2>&1 &
watcher=$!
pids+=($watcher)
sleep 0.5
kill -9 "$messaging"
wait "$messaging" 2>/dev/null || true
for _ in $(seq 100); do
    [ "$(metric 'strata_gateway_service_up{service="messaging"}')" = 0 ] && break
    sleep 0.05
done
[ "$(metric 'strata_gateway_service_up{service="messaging"}')" = 0 ] || fail "the gateway did not see the service go"
"$bin/rider_client" --gateway "$gateway" --name rider-c --say "anyone?" --expect-locations 3 --timeout 20 \
    >"$work/rider-c.log" 2>&1 || fail "rider-c while the service was away"
grep -q "error: service_unavailable" "$work/rider-c.log" || fail "no service_unavailable while the service was away"
"$bin/rider_messaging_service" --gateway "$services" >"$work/messaging2.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    [ "$(metric 'strata_gateway_service_up{service="messaging"}')" = 1 ] && break
    sleep 0.05
done
"$bin/rider_client" --gateway "$gateway" --name rider-c --say "back?" --expect-replies 1 --timeout 20 \
    >"$work/rider-c2.log" 2>&1 || fail "rider-c after the restart"
kill -0 "$watcher" || fail "rider-b lost its connection while the service restarted"
[ "$(metric 'strata_gateway_service_connects_total{service="messaging"}')" = 2 ] || fail "connects != 2"

echo "3. a rider drops right after sending and resumes with its cursor"
"$bin/rider_client" --gateway "$gateway" --name rider-d --say "one" --say "two" --drop-after-say \
    --expect-replies 2 --timeout 20 >"$work/rider-d.log" 2>&1 || fail "rider-d"
grep -q "2 connections" "$work/rider-d.log" || fail "rider-d did not reconnect"
[ "$(grep -c '^\[driver-1\]' "$work/rider-d.log")" = 2 ] || fail "rider-d did not get both replies exactly once"
echo "rider end to end: OK"
