#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# WebSocket echo benchmark, strata beside two peers in one run (README.md):
#   strata       strata_bench_ws_server (load/ws_strata_server.cpp): strata::server,
#                GET /echo -> websocket::accept, read and write back, one thread
#   websocketpp  strata_bench_ws_websocketpp_server (load/ws_websocketpp_server.cpp):
#                Debian's websocketpp 0.8.2, config::asio, logging off, one thread
#   beast        strata_bench_ws_beast_server (load/ws_beast_server.cpp): Boost.Beast,
#                callbacks, a flat_buffer per connection, auto_fragment off, one thread
# All three keep the message's type, set TCP_NODELAY and run permessage-deflate off.
# Each server is started fresh for each case, pinned to --server-cpu, and
# driven by strata_ws_load (load/ws_load.cpp: Boost.Asio alone, frames encoded
# by hand, one thread) pinned to --client-cpu. Cases: N connections each
# keeping `depth` binary messages in flight: 50 x 64 B, 50 x 16 KiB and
# 50 x 64 B at depth 8. Reported: round trips/s, payload MB/s each way,
# round-trip latency p50/p99, the server's CPU (utime+stime, /proc/PID/stat)
# per round trip and the client's own CPU (at 100% the client may be what
# limits the rate; CPU per round trip still compares the servers). Then the
# idle run: N WebSockets opened to a fresh server and left idle; the growth of
# its VmRSS over N is its memory per idle WebSocket.
# Goals (the issue): >= 1.5x websocketpp's round trips/s (50 x 64 B) and
# < 1 KiB per idle WebSocket.
#
# usage: benchmarks/load/ws_echo.sh [options]
#   --build-dir DIR       where the servers and strata_ws_load were built (default: build-bench)
#   --duration SECS       measured time per case (default 10)
#   --warmup SECS         traffic before it, echoes checked byte for byte (default 2)
#   --connections N       WebSockets in the echo cases (default 50)
#   --cases "LIST"        SIZE:DEPTH pairs (default "64:1 16384:1 64:8")
#   --idle-connections N  WebSockets in the idle-memory run (default 10000; 0: skip it)
#   --servers "LIST"      subset of "strata websocketpp beast", in that order (default: all three)
#   --rounds N            the servers alternate N times; medians are reported (default 1)
#   --server-cpu N        CPU the servers are pinned to (default 0)
#   --client-cpu N        CPU strata_ws_load is pinned to (default 1)
#   --quick               --duration 3 --warmup 1 --idle-connections 1000, to check the setup
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=$root/build-bench
duration=10
warmup=2
connections=50
cases="64:1 16384:1 64:8"
idle_connections=10000
servers="strata websocketpp beast"
rounds=1
server_cpu=0
client_cpu=1

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --idle-connections) idle_connections=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --client-cpu) client_cpu=$2; shift 2 ;;
    --quick) duration=3; warmup=1; idle_connections=1000; shift ;;
    -h | --help) sed -n '4,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ws_echo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

die() { echo "ws_echo.sh: $*" >&2; exit 1; }

bin=$build_dir/benchmarks
binary_of() {
    case $1 in
    strata) echo strata_bench_ws_server ;;
    websocketpp) echo strata_bench_ws_websocketpp_server ;;
    beast) echo strata_bench_ws_beast_server ;;
    *) die "unknown server $1 (strata, websocketpp, beast)" ;;
    esac
}
for b in strata_ws_load $(for s in $servers; do binary_of "$s"; done); do
    [ -x "$bin/$b" ] || die "$bin/$b is missing: build with benchmarks/run_all.sh or cmake -DSTRATA_BUILD_BENCHMARKS=ON"
done
command -v taskset >/dev/null || die "taskset is missing (Debian: apt install util-linux)"

# The idle run holds a descriptor per WebSocket in the server and the client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((idle_connections + 64)) ]; then
    die "the open-file limit is $(ulimit -n); $idle_connections idle WebSockets need more (ulimit -Hn, or --idle-connections)"
fi

tmp=$(mktemp -d /tmp/strata-bench-ws.XXXXXX)
server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=
}
cleanup() { stop_server; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

port_of() { case $1 in strata) echo 18095 ;; websocketpp) echo 18096 ;; beast) echo 18097 ;; esac; }

start_server() {
    local name=$1
    # Emptied here, not by the job's redirect: that runs after the grep below
    # may already have seen the last run's "listening".
    : >"$tmp/$name.log"
    taskset -c "$server_cpu" "$bin/$(binary_of "$name")" "$(port_of "$name")" >"$tmp/$name.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q listening "$tmp/$name.log" 2>/dev/null && return 0
        kill -0 "$server_pid" 2>/dev/null || die "$name exited: $(cat "$tmp/$name.log")"
        sleep 0.1
    done
    die "$name did not start: $(cat "$tmp/$name.log")"
}

# Runs strata_ws_load against a fresh $1 with the remaining arguments; its
# RESULT line is appended to $tmp/results.
drive() {
    local name=$1
    shift
    start_server "$name"
    taskset -c "$client_cpu" "$bin/strata_ws_load" --name "$name" --port "$(port_of "$name")" --pid "$server_pid" \
        "$@" >"$tmp/out" 2>&1 || { stop_server; die "strata_ws_load against $name failed: $(cat "$tmp/out")"; }
    stop_server
    grep -v '^RESULT' "$tmp/out" | sed 's/^/   /'
    grep '^RESULT' "$tmp/out" >>"$tmp/results"
    # With every connection's messages in flight, the server or the client
    # is always busy: when neither had most of its CPU, something else on
    # the machine took it, and the figures of this run are not the server's.
    awk '/^RESULT.* mode=echo / {
        for (i = 2; i <= NF; ++i) { eq = index($i, "="); v[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
        if (v["server_cpu_pct"] < 80 && v["client_cpu_pct"] < 80)
            printf "   warning: the server had %s%% of its CPU and the client %s%%: the machine was busy (load average %s)\n",
                v["server_cpu_pct"], v["client_cpu_pct"], load }' load="$(load)" "$tmp/out" | tee -a "$tmp/warnings"
}

load() { awk '{print $1", "$2", "$3}' /proc/loadavg; }
echo "== strata WebSocket echo benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
echo "   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "   $connections connections, cases (bytes:depth) $cases, ${warmup}s warm-up, ${duration}s measured;"
echo "   servers on CPU $server_cpu, strata_ws_load on CPU $client_cpu; load average at start: $(load)"

for round in $(seq "$rounds"); do
    for c in $cases; do
        for name in $servers; do
            drive "$name" --connections "$connections" --size "${c%%:*}" --depth "${c##*:}" \
                --warmup "$warmup" --duration "$duration"
        done
    done
    echo "   (round $round, load average $(load))"
done
if [ "$idle_connections" -gt 0 ]; then
    for name in $servers; do
        drive "$name" --idle --connections "$idle_connections"
    done
fi

# field MODE NAME SIZE DEPTH KEY: the median over the rounds (SIZE and DEPTH
# are ignored for the idle mode).
field() {
    awk -v mode="$1" -v name="$2" -v size="$3" -v depth="$4" -v key="$5" '{
        delete v
        for (i = 2; i <= NF; ++i) { eq = index($i, "="); v[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
        if (v["mode"] == mode && v["name"] == name && (mode == "idle" || (v["size"] == size && v["depth"] == depth)))
            print v[key] }' "$tmp/results" | sort -g |
        awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "nan" || b == "nan" || b + 0 == 0) print "-"; else printf "%.2fx", a / b}'; }
num() { awk -v v="$1" -v f="$2" 'BEGIN {if (v == "nan" || v == "") print "-"; else printf f, v}'; }
case_label() {
    local size=${1%%:*} depth=${1##*:}
    if [ "$size" -ge 1024 ] && [ $((size % 1024)) = 0 ]; then size="$((size / 1024)) KiB"; else size="$size B"; fi
    echo "$connections x $size, depth $depth"
}

if [ -s "$tmp/warnings" ]; then
    echo
    echo "   $(wc -l <"$tmp/warnings") of the echo runs had a busy machine (see the warnings above); rerun on a quieter one"
fi
echo
echo "WebSocket echo ($(echo "$rounds" | awk '{print ($1 > 1) ? "median of " $1 " rounds" : "1 round"}'), payload MB/s = 10^6 bytes each way)"
printf '| %-24s | %-11s | %10s | %8s | %8s | %8s | %9s | %9s | %12s |\n' case server "rt/s" "MB/s" "p50 us" "p99 us" \
    "srv CPU %" "srv us/rt" "client CPU %"
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for c in $cases; do
    size=${c%%:*} depth=${c##*:}
    for name in $servers; do
        printf '| %-24s | %-11s | %10s | %8s | %8s | %8s | %9s | %9s | %12s |\n' "$(case_label "$c")" "$name" \
            "$(num "$(field echo "$name" "$size" "$depth" rt_per_s)" %.0f)" \
            "$(num "$(field echo "$name" "$size" "$depth" mb_per_s_down)" %.1f)" \
            "$(num "$(field echo "$name" "$size" "$depth" p50_us)" %.0f)" \
            "$(num "$(field echo "$name" "$size" "$depth" p99_us)" %.0f)" \
            "$(num "$(field echo "$name" "$size" "$depth" server_cpu_pct)" %.1f)" \
            "$(num "$(field echo "$name" "$size" "$depth" server_us_per_rt)" %.2f)" \
            "$(num "$(field echo "$name" "$size" "$depth" client_cpu_pct)" %.1f)"
    done
done

if [ "$idle_connections" -gt 0 ]; then
    echo
    echo "Memory per idle WebSocket ($idle_connections connections, server VmRSS growth)"
    printf '| %-11s | %12s | %12s |\n' server "bytes/conn" "still open"
    printf '| --- | --- | --- |\n'
    for name in $servers; do
        printf '| %-11s | %12s | %12s |\n' "$name" "$(num "$(field idle "$name" 0 0 bytes_per_conn)" %.0f)" \
            "$(num "$(field idle "$name" 0 0 alive)" %.0f)"
    done
fi

case " $servers " in *" strata "*)
    echo
    echo "strata's ratios (rt/s: higher is better; server CPU per round trip and memory: lower is better)"
    printf '| %-24s | %-14s | %8s | %11s |\n' case "strata / ..." "rt/s" "srv us/rt"
    printf '| --- | --- | --- | --- |\n'
    for c in $cases; do
        size=${c%%:*} depth=${c##*:}
        for peer in websocketpp beast; do
            case " $servers " in *" $peer "*) ;; *) continue ;; esac
            printf '| %-24s | %-14s | %8s | %11s |\n' "$(case_label "$c")" "$peer" \
                "$(ratio "$(field echo strata "$size" "$depth" rt_per_s)" "$(field echo "$peer" "$size" "$depth" rt_per_s)")" \
                "$(ratio "$(field echo strata "$size" "$depth" server_us_per_rt)" "$(field echo "$peer" "$size" "$depth" server_us_per_rt)")"
        done
    done
    if [ "$idle_connections" -gt 0 ]; then
        for peer in websocketpp beast; do
            case " $servers " in *" $peer "*) ;; *) continue ;; esac
            echo "   memory per idle WebSocket, strata / $peer: $(ratio "$(field idle strata 0 0 bytes_per_conn)" "$(field idle "$peer" 0 0 bytes_per_conn)")"
        done
    fi

    echo
    echo "Goals"
    goal() { if awk "BEGIN {exit !($2)}" 2>/dev/null; then echo "   met:     $1"; else echo "   NOT met: $1"; fi; }
    case " $servers " in *" websocketpp "*)
        s=$(field echo strata 64 1 rt_per_s) w=$(field echo websocketpp 64 1 rt_per_s)
        if [ "$s" != nan ] && [ "$w" != nan ]; then
            goal ">= 1.5x websocketpp's round trips/s, $connections x 64 B ($(ratio "$s" "$w"))" "$s >= 1.5 * $w"
        fi ;;
    esac
    if [ "$idle_connections" -gt 0 ]; then
        b=$(field idle strata 0 0 bytes_per_conn)
        goal "< 1 KiB per idle WebSocket ($(num "$b" %.0f) bytes)" "\"$b\" != \"nan\" && $b < 1024"
    fi ;;
esac
echo "   load average at the end: $(load)"
echo
sed 's/^RESULT/WS_ECHO/' "$tmp/results"
