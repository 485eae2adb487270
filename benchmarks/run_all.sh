#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Builds strata's benchmarks (Release, build-bench/) and runs them, each
# with its peers in the same run, and prints the ratios:
#   1. parser throughput    strata vs http-parser vs Boost.Beast (Google Benchmark)
#   2. server throughput    strata vs Beast vs nginx under wrk (req/s and CPU per request)
#   3. idle connections     server memory per idle keep-alive connection (10,000 of them)
#   4. HTTP/2 throughput    strata vs nghttpd vs nginx under h2load -c 10 -m 100, h2c and TLS
#   5. page load            100 resources over HTTP/1.1 (1, 6, 6 x 3 connections) vs HTTP/2
#   6. HTTP/3               strata vs gtlsserver (ngtcp2) under strata_h3load and gtlsclient:
#                           req/s, a 100 MiB download, h3 vs h2, time to first byte (0-RTT)
#   7. SSE fan-out          one publisher, 10,000 subscribers: strata vs Node's http module vs a
#                           C program writing each event with one write() per subscriber:
#                           deliveries/s, CPU per delivery, latency, memory per idle subscriber
#   8. polling cost         short polling vs long polling vs SSE: requests, bytes and latency
#                           per update, updates every 1 s and every 50 ms (about a minute)
#   9. WebSocket echo       strata vs websocketpp vs Boost.Beast: round trips/s, MB/s, latency and
#                           server CPU per round trip (50 x 64 B, 50 x 16 KiB, 50 x 64 B at depth 8),
#                           memory per idle WebSocket (10,000 of them)
#  10. gateway              strata's gateway vs a Node.js one (npm ws): 10,000 riders at 1 location
#                           update/s, 1,000 at saturation, 10,000 idle: messages/s, CPU per message
#                           and messages per core-second, latency p50/p99, memory per idle rider
#
# usage: benchmarks/run_all.sh [--no-build] [--build-dir DIR] [--quick] [-- run.sh options]
#   --quick   short runs (parser 0.2 s per case, wrk, h2load and strata_h3load 3 s,
#             2,000 idle connections, 3 page loads, 2,000 SSE subscribers, 6 s of updates,
#             WebSocket echo 3 s per case and 1,000 idle WebSockets, gateway 2,000 riders
#             and 5 s per run)
#             to check the setup
# Anything after `--` goes to benchmarks/load/run.sh (see its --help); see
# load/h2load.sh --help, strata_page_load --help, load/h3.sh --help,
# load/sse_fanout.sh --help, strata_polling_cost --help, load/ws_echo.sh --help and
# load/gateway.sh --help to run 4 to 10 alone.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=$root/build-bench
build=1
quick=0
load_args=()
while [ $# -gt 0 ]; do
    case $1 in
    --no-build) build=0; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --) shift; load_args=("$@"); break ;;
    -h | --help) sed -n '4,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_all.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

jobs=$(($(nproc) < 2 ? $(nproc) : 2))
if [ $build = 1 ]; then
    launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    generator=()
    command -v ninja >/dev/null && [ ! -f "$build_dir/CMakeCache.txt" ] && generator=(-G Ninja)
    cmake -S "$root" -B "$build_dir" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DSTRATA_BUILD_BENCHMARKS=ON -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_EXAMPLES=OFF -DSTRATA_INSTALL=OFF
    cmake --build "$build_dir" -j"$jobs" --target strata_parser_bench strata_bench_server \
        strata_bench_beast_server strata_idle_memory strata_page_load strata_h3load strata_polling_cost \
        strata_sse_fanout_server strata_sse_load strata_bench_ws_server strata_bench_ws_websocketpp_server \
        strata_bench_ws_beast_server strata_ws_load strata_gateway_bench_server strata_gateway_load
fi

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# (1) Parser throughput, on one CPU so the peers see the same core. The
# median of five repetitions smooths out a shared machine.
echo
echo "######## 1. parser throughput"
parser_args=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true)
[ $quick = 1 ] && parser_args=(--benchmark_min_time=0.2)
taskset -c 1 "$build_dir/benchmarks/strata_parser_bench" "${parser_args[@]}"

# (2) + (3) Keep-alive throughput and idle memory.
echo
echo "######## 2 + 3. server throughput and memory per idle connection"
quick_args=()
[ $quick = 1 ] && quick_args=(--duration 3 --warmup 1 --idle-connections 2000)
"$here/load/run.sh" --build-dir "$build_dir" "${quick_args[@]}" "${load_args[@]}"

# (4) HTTP/2 throughput, the same pinning as (2).
echo
echo "######## 4. HTTP/2 throughput"
h2_args=()
[ $quick = 1 ] && h2_args=(--duration 3 --warmup 1)
"$here/load/h2load.sh" --build-dir "$build_dir" "${h2_args[@]}"

# (5) Page load: latency-bound (a server-side delay per response), so it
# is not pinned; server and client threads each get a CPU.
echo
echo "######## 5. page load, HTTP/1.1 vs HTTP/2"
page_args=()
[ $quick = 1 ] && page_args=(--runs 3)
"$build_dir/benchmarks/strata_page_load" "${page_args[@]}"

# (6) HTTP/3, pinned as (2) and (4).
echo
echo "######## 6. HTTP/3"
h3_args=()
[ $quick = 1 ] && h3_args=(--duration 3 --warmup 1 --requests 20000 --download-runs 1 --ttfb-runs 5)
"$here/load/h3.sh" --build-dir "$build_dir" "${h3_args[@]}"

# (7) SSE fan-out: not pinned; the servers and the load client share the
# CPUs as the scheduler sees fit.
echo
echo "######## 7. SSE fan-out"
sse_args=()
[ $quick = 1 ] && sse_args=(--subscribers 2000 --duration 3 --warmup 1 --syscall-secs 1 --behind-secs 6)
"$here/load/sse_fanout.sh" --build-dir "$build_dir" "${sse_args[@]}"

# (8) Polling cost: paced by its update timers, not by the CPU, so it is
# not pinned; HTTP/2 clients follow alongside the HTTP/1.1 ones.
echo
echo "######## 8. polling cost: short polling, long polling, SSE"
poll_args=(--http2)
[ $quick = 1 ] && poll_args+=(--quick)
"$build_dir/benchmarks/strata_polling_cost" "${poll_args[@]}"

# (9) WebSocket echo, pinned as (2): servers on CPU 0, the load client on CPU 1.
echo
echo "######## 9. WebSocket echo"
ws_args=()
[ $quick = 1 ] && ws_args=(--quick)
"$here/load/ws_echo.sh" --build-dir "$build_dir" "${ws_args[@]}"

# (10) Gateway, pinned as (9): the gateways on CPU 0, the load client on CPU 1.
echo
echo "######## 10. gateway"
gateway_args=()
[ $quick = 1 ] && gateway_args=(--quick)
"$here/load/gateway.sh" --build-dir "$build_dir" "${gateway_args[@]}"
echo
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
