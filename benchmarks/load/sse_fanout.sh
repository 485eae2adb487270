#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# SSE fan-out benchmark, strata beside two peers in one run (README.md): one
# publisher, N Server-Sent Events subscribers on loopback, HTTP/1.1 chunked,
# the same bytes from all three servers:
#   strata  strata_sse_fanout_server (load/sse_fanout_server.cpp): a topic
#           and sse::handler on one io_context thread
#   node    load/sse_node_server.js: Node's http module, a Set of responses,
#           each event encoded once and res.write() to every one
#   c       load/sse_c_writer.c: the machine's limit, one write() of the
#           pre-encoded event per subscriber, nothing queued
# Each server is started fresh, one after another, and driven by
# strata_sse_load (load/sse_load.cpp, plain epoll, one thread), which
# reports: deliveries/s, server CPU (utime+stime, /proc/PID/stat) per
# delivery and deliveries per core-second, publish-to-receive latency
# p50/p99 (CLOCK_MONOTONIC in both processes), server memory per idle
# subscriber (RSS growth over N streams before publishing starts), write
# calls per delivered event (perf syscall tracepoints), and the "behind" run:
# --behind streams stop reading while the server publishes, then catch up;
# write calls per event the server still held when they resumed.
# Goals (the issue): per core, >= 90% of the C writer's deliveries and never
# fewer than Node's; p99 < 20 ms at 10,000 x 10 events/s; < 2 KiB per idle
# subscriber; a subscriber that is behind gets its pending events in one write.
#
# usage: benchmarks/load/sse_fanout.sh [options]
#   --build-dir DIR       where strata_sse_fanout_server and strata_sse_load were built (default: build-bench)
#   --subscribers N       streams (default 10000)
#   --rate R              events published per second, each to every stream (default 10)
#   --size BYTES          event data size (default 64)
#   --warmup SECS         publishing before the measured window (default 3)
#   --duration SECS       the measured window (default 10)
#   --syscall-secs SECS   window for counting system calls, after the measured one (default 3)
#   --behind K            streams in the behind run (default 10; 0: skip it)
#   --behind-rate R       events/s while they do not read (default 5000)
#   --behind-secs SECS    how long they do not read (default 8)
#   --servers "LIST"      subset of "strata node c", run in that order (default: all three)
#   --rounds N            the servers alternate N times; medians are reported (default 1)
#   --server-cpu N        pin the servers to CPU N (default: not pinned)
#   --client-cpu N        pin strata_sse_load to CPU N (default: not pinned)
#   --sources N           source addresses 127.0.0.1..N for the client (default 1)
#   --poll-us US          the client looks for events this often instead of sleeping in
#                         epoll_wait (default 500; 0: it sleeps, and each write wakes it)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=$root/build-bench
subscribers=10000
rate=10
size=64
warmup=3
duration=10
syscall_secs=3
behind=10
behind_rate=5000
behind_secs=8
servers="strata node c"
rounds=1
server_cpu=
client_cpu=
sources=1
poll_us=500

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --subscribers) subscribers=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --syscall-secs) syscall_secs=$2; shift 2 ;;
    --behind) behind=$2; shift 2 ;;
    --behind-rate) behind_rate=$2; shift 2 ;;
    --behind-secs) behind_secs=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --client-cpu) client_cpu=$2; shift 2 ;;
    --sources) sources=$2; shift 2 ;;
    --poll-us) poll_us=$2; shift 2 ;;
    -h | --help) sed -n '4,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sse_fanout.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

die() { echo "sse_fanout.sh: $*" >&2; exit 1; }

bin=$build_dir/benchmarks
for b in strata_sse_fanout_server strata_sse_load; do
    [ -x "$bin/$b" ] || die "$bin/$b is missing: build with benchmarks/run_all.sh or cmake -DSTRATA_BUILD_BENCHMARKS=ON"
done
case " $servers " in *" node "*) command -v node >/dev/null || die "node is missing (Debian: apt install nodejs)" ;; esac
cc=${CC:-cc}
case " $servers " in *" c "*) command -v "$cc" >/dev/null || die "a C compiler is needed for load/sse_c_writer.c (CC=$cc)" ;; esac
if [ -n "$server_cpu$client_cpu" ]; then
    command -v taskset >/dev/null || die "taskset is missing (Debian: apt install util-linux)"
fi

# Both the server and the client hold a descriptor per stream.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((subscribers + behind + 64)) ]; then
    die "the open-file limit is $(ulimit -n); $subscribers streams need more (ulimit -Hn, or --subscribers)"
fi

tmp=$(mktemp -d /tmp/strata-bench-sse.XXXXXX)
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

case " $servers " in *" c "*)
    "$cc" -O2 -Wall -Wextra -o "$tmp/sse_c_writer" "$here/sse_c_writer.c" || die "could not compile sse_c_writer.c" ;;
esac

pin() { if [ -n "$1" ]; then echo taskset -c "$1"; fi; }
port_of() { case $1 in strata) echo 18093 ;; node) echo 18094 ;; c) echo 18095 ;; esac; }
label_of() { case $1 in strata) echo strata ;; node) echo "Node.js $(node --version 2>/dev/null)" ;; c) echo "C writer (one write each)" ;; esac; }

start_server() {
    local name=$1 port args
    port=$(port_of "$name")
    args=(--port "$port" --rate "$rate" --size "$size")
    # shellcheck disable=SC2046 # pin's words are meant to split
    case $name in
    strata) $(pin "$server_cpu") "$bin/strata_sse_fanout_server" "${args[@]}" >"$tmp/$name.log" 2>&1 & ;;
    node) $(pin "$server_cpu") node "$here/sse_node_server.js" "${args[@]}" >"$tmp/$name.log" 2>&1 & ;;
    c) $(pin "$server_cpu") "$tmp/sse_c_writer" "${args[@]}" >"$tmp/$name.log" 2>&1 & ;;
    esac
    server_pid=$!
    for _ in $(seq 100); do
        grep -q listening "$tmp/$name.log" 2>/dev/null && return 0
        kill -0 "$server_pid" 2>/dev/null || die "$name exited: $(cat "$tmp/$name.log")"
        sleep 0.1
    done
    die "$name did not start: $(cat "$tmp/$name.log")"
}

load() { awk '{print $1", "$2", "$3}' /proc/loadavg; }
echo "== strata SSE fan-out benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
echo "   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); node $(node --version 2>/dev/null || echo -)"
echo "   $subscribers subscribers, $rate events/s of $size data bytes, ${warmup}s warm-up, ${duration}s measured;"
echo "   servers pinned to: ${server_cpu:-none}, client to: ${client_cpu:-none}; load average at start: $(load)"

for round in $(seq "$rounds"); do
    for name in $servers; do
        start_server "$name"
        # shellcheck disable=SC2046
        $(pin "$client_cpu") "$bin/strata_sse_load" --name "$name" --port "$(port_of "$name")" --pid "$server_pid" \
            --subscribers "$subscribers" --rate "$rate" --warmup "$warmup" --duration "$duration" \
            --syscall-secs "$syscall_secs" --behind "$behind" --behind-rate "$behind_rate" \
            --behind-secs "$behind_secs" --sources "$sources" --poll-us "$poll_us" >"$tmp/out" 2>&1 ||
            die "strata_sse_load against $name failed: $(cat "$tmp/out")"
        grep -v '^RESULT' "$tmp/out" | sed 's/^/   /'
        grep '^RESULT' "$tmp/out" >>"$tmp/results.$name"
        stop_server
        if [ "$name" = c ]; then grep drops "$tmp/c.log" | sed 's/^/   /' || true; fi
        echo "   (round $round, load average $(load))"
    done
done

# field NAME KEY: the median over the rounds.
field() {
    [ -f "$tmp/results.$1" ] || { echo nan; return; }
    sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$tmp/results.$1" | sort -g |
        awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "nan" || b == "nan" || b + 0 == 0) print "-"; else printf "%.2fx", a / b}'; }
num() { awk -v v="$1" -v f="$2" 'BEGIN {if (v == "nan" || v == "") print "-"; else printf f, v}'; }
# Catch-up: events the server still held when the streams resumed, per write
# call it made for them; the C writer holds none (it drops what does not fit).
behind_cell() {
    local pending writes dropped
    pending=$(field "$1" behind_pending) writes=$(field "$1" behind_writes) dropped=$(field "$1" behind_dropped)
    if [ "$behind" = 0 ]; then echo "-"
    # Below ten events a stream is the estimate's rounding, not events held.
    elif awk -v p="$pending" -v k="$behind" 'BEGIN {exit !(p >= 10 * k)}'; then
        awk -v w="$writes" -v p="$pending" 'BEGIN {printf "%.1f (%d in %d)", (w > 0) ? p / w : p, p, w}'
    else
        awk -v d="$dropped" 'BEGIN {printf "none held, %d dropped", d}'
    fi
}

echo
echo "SSE fan-out, $subscribers subscribers x $rate events/s ($(echo "$rounds" | awk '{print ($1 > 1) ? "median of " $1 " rounds" : "1 round"}'))"
printf '| %-28s | %12s | %8s | %8s | %13s | %8s | %8s | %8s | %7s | %6s | %-26s |\n' server "deliveries/s" "CPU %core" \
    "us CPU/del." "del./core-s" "p50 ms" "p99 ms" "max ms" "KiB/idle" "wr/ev" "catch-up: events/write"
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for name in $servers; do
    printf '| %-28s | %12s | %8s | %8s | %13s | %8s | %8s | %8s | %7s | %6s | %-26s |\n' "$(label_of "$name")" \
        "$(num "$(field "$name" deliveries_per_s)" %.0f)" "$(num "$(field "$name" cpu_pct)" %.1f)" \
        "$(num "$(field "$name" us_per_delivery)" %.2f)" "$(num "$(field "$name" per_core_s)" %.0f)" \
        "$(num "$(field "$name" p50_ms)" %.2f)" "$(num "$(field "$name" p99_ms)" %.2f)" \
        "$(num "$(field "$name" max_ms)" %.2f)" "$(num "$(field "$name" kib_per_sub)" %.2f)" \
        "$(num "$(field "$name" writes_per_event)" %.3f)" "$(behind_cell "$name")"
done

if [ -f "$tmp/results.strata" ]; then
    echo
    echo "strata's ratios (deliveries per core-second: higher is better; the rest: lower is better)"
    printf '| %-14s | %15s | %14s | %8s | %8s | %14s |\n' "strata / ..." "deliveries/core-s" "us CPU/delivery" "p50" "p99" "KiB/idle subscriber"
    printf '| --- | --- | --- | --- | --- | --- |\n'
    for peer in c node; do
        [ -f "$tmp/results.$peer" ] || continue
        printf '| %-14s | %15s | %14s | %8s | %8s | %14s |\n' "$(label_of $peer | cut -d' ' -f1-2)" \
            "$(ratio "$(field strata per_core_s)" "$(field $peer per_core_s)")" \
            "$(ratio "$(field strata us_per_delivery)" "$(field $peer us_per_delivery)")" \
            "$(ratio "$(field strata p50_ms)" "$(field $peer p50_ms)")" \
            "$(ratio "$(field strata p99_ms)" "$(field $peer p99_ms)")" \
            "$(ratio "$(field strata kib_per_sub)" "$(field $peer kib_per_sub)")"
    done

    echo
    echo "Goals"
    goal() { if awk "BEGIN {exit !($2)}"; then echo "   met:     $1"; else echo "   NOT met: $1"; fi; }
    s_core=$(field strata per_core_s)
    if [ -f "$tmp/results.c" ]; then
        goal "deliveries per core >= 90% of the C writer's ($(ratio "$s_core" "$(field c per_core_s)"))" \
            "$s_core >= 0.9 * $(field c per_core_s)"
    fi
    if [ -f "$tmp/results.node" ]; then
        goal "deliveries per core >= Node's ($(ratio "$s_core" "$(field node per_core_s)"))" \
            "$s_core >= $(field node per_core_s)"
    fi
    goal "p99 < 20 ms ($(num "$(field strata p99_ms)" %.2f) ms)" "$(field strata p99_ms) < 20"
    goal "< 2 KiB per idle subscriber ($(num "$(field strata kib_per_sub)" %.2f) KiB)" "$(field strata kib_per_sub) < 2"
    if [ "$behind" != 0 ]; then
        epw=$(awk -v p="$(field strata behind_pending)" -v w="$(field strata behind_writes)" \
            'BEGIN {if (p == "nan" || p < 1) print "nan"; else printf "%.1f", (w > 0) ? p / w : p}')
        goal "catch-up: >= 100 held events per write call ($epw; one write per event is 1, and the topic hands out batches of up to 1024)" \
            "\"$epw\" != \"nan\" && $epw >= 100"
    fi
fi
echo "   load average at the end: $(load)"
echo
for name in $servers; do cat "$tmp/results.$name" 2>/dev/null; done
