#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Gateway benchmark, strata beside a Node.js gateway in one run (README.md):
# simulated riders in pairs, each a WebSocket sending its location and
# receiving its partner's through the gateway (include/strata/gateway/README.md):
#   strata  strata_gateway_bench_server (load/gateway_strata_server.cpp): the
#           strata gateway with a location service publishing each update on
#           loc/<user>; any command given by --strata-server instead
#   node    load/gateway_node.js: Node's http server, the npm ws package
#           (permessage-deflate off), JSON.parse and JSON.stringify, one process
# Each gateway is started fresh for each run, pinned to --server-cpu, and
# driven by strata_gateway_load (load/gateway_load.cpp: Boost.Asio alone,
# frames by hand, simdjson, one thread) pinned to --client-cpu. Runs:
#   rate        --clients riders, --rate updates/s each (spread evenly over the second)
#   saturation  --saturation-clients riders, each keeping --depth updates in flight
#   idle        --idle-clients riders connected and subscribed, then silent
# Reported: messages routed/s, the gateway's CPU (utime+stime, /proc/PID/stat)
# per message and messages per core-second (messages / CPU seconds),
# end-to-end latency p50/p99/max (sender's clock to receiver's, one process),
# the load client's own CPU (at 100% it may be what limits the rate; CPU per
# message still compares the gateways), and in the idle run the growth of
# the gateway's VmRSS per rider. strata/node ratios follow.
# Goals (the issue): >= 3x Node's messages per core-second at saturation,
# p99 < 10 ms at 1 update/s per rider (10,000 riders), < 2 KiB per idle rider.
#
# usage: benchmarks/load/gateway.sh [options]
#   --build-dir DIR           where strata_gateway_load and strata_gateway_bench_server were built
#                             (default: build-bench)
#   --strata-server CMD       the strata gateway's command line; it is given --port P and must print
#                             a line with "listening" once it accepts (default: $STRATA_GATEWAY_SERVER,
#                             else DIR/benchmarks/strata_gateway_bench_server); skipped when missing
#   --clients N               riders in the rate run (default 10000)
#   --rate R                  updates per second per rider in the rate run (default 1)
#   --saturation-clients N    riders in the saturation run (default 1000)
#   --depth D                 updates each rider keeps in flight at saturation (default 4)
#   --idle-clients N          riders in the idle run (default 10000)
#   --modes "LIST"            subset of "rate saturation idle", in that order (default: all three)
#   --warmup SECS             traffic before the measured window, messages checked (default 3)
#   --duration SECS           the measured window (default 10)
#   --servers "LIST"          subset of "strata node", in that order (default: both)
#   --rounds N                the gateways alternate N times; medians are reported (default 1)
#   --server-cpu N            CPU the gateways are pinned to (default 0; "none": not pinned)
#   --client-cpu N            CPU strata_gateway_load is pinned to (default 1; "none": not pinned)
#   --quick                   2,000 riders (rate, idle), 500 at saturation, 2 s warm-up, 5 s measured
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=$root/build-bench
strata_server=${STRATA_GATEWAY_SERVER:-}
clients=10000
rate=1
sat_clients=1000
depth=4
idle_clients=10000
modes="rate saturation idle"
warmup=3
duration=10
servers="strata node"
rounds=1
server_cpu=0
client_cpu=1

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --strata-server) strata_server=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --saturation-clients) sat_clients=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --idle-clients) idle_clients=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --client-cpu) client_cpu=$2; shift 2 ;;
    --quick) clients=2000; sat_clients=500; idle_clients=2000; warmup=2; duration=5; shift ;;
    -h | --help) sed -n '4,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gateway.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

die() { echo "gateway.sh: $*" >&2; exit 1; }
has() { case " $1 " in *" $2 "*) return 0 ;; *) return 1 ;; esac; }

for m in $modes; do
    has "rate saturation idle" "$m" || die "unknown mode $m (rate, saturation, idle)"
done
for s in $servers; do
    has "strata node" "$s" || die "unknown gateway $s (strata, node)"
done

bin=$build_dir/benchmarks
[ -x "$bin/strata_gateway_load" ] ||
    die "$bin/strata_gateway_load is missing: build with benchmarks/run_all.sh or cmake -DSTRATA_BUILD_BENCHMARKS=ON"
if [ "$server_cpu" != none ] || [ "$client_cpu" != none ]; then
    command -v taskset >/dev/null || die "taskset is missing (Debian: apt install util-linux)"
fi

# The strata gateway may not be built (or written) yet: run Node alone then.
[ -n "$strata_server" ] || strata_server=$bin/strata_gateway_bench_server
skipped=
if has "$servers" strata; then
    read -r strata_exe _ <<<"$strata_server"
    if ! command -v "$strata_exe" >/dev/null 2>&1; then
        skipped="strata skipped: $strata_exe is missing (build strata_gateway_bench_server, or --strata-server CMD)"
        echo "gateway.sh: $skipped" >&2
        servers=$(echo " $servers " | sed 's/ strata / /; s/^ *//; s/ *$//')
    fi
fi
if has "$servers" node; then
    command -v node >/dev/null || die "node is missing (Debian: apt install nodejs)"
    ws_version=$(cd "$here" && node -p "(() => { try { return require('ws/package.json').version } catch (e) {
        return require('../../tests/interop/node_modules/ws/package.json').version } })()" 2>/dev/null) ||
        die "the npm ws package is missing: scripts/install-deps.sh installs it in tests/interop/node_modules"
fi
[ -n "$servers" ] || die "no gateway to run"

# Each rider is a descriptor in the gateway and one in the client.
most=0
for m in $modes; do
    case $m in rate) n=$clients ;; saturation) n=$sat_clients ;; idle) n=$idle_clients ;; esac
    [ "$n" -gt "$most" ] && most=$n
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((most + 64)) ]; then
    die "the open-file limit is $(ulimit -n); $most riders need more (ulimit -Hn, or fewer riders)"
fi

tmp=$(mktemp -d /tmp/strata-bench-gateway.XXXXXX)
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

port_of() { case $1 in strata) echo 18101 ;; node) echo 18102 ;; esac; }
label_of() { case $1 in strata) echo strata ;; node) echo "Node.js $(node --version) + ws $ws_version" ;; esac; }

start_server() {
    local name=$1 port
    port=$(port_of "$name")
    # Emptied here, not by the job's redirect: that runs after the grep below
    # may already have seen the last run's "listening".
    : >"$tmp/$name.log"
    # shellcheck disable=SC2046,SC2086 # pin's and the strata command's words are meant to split
    case $name in
    strata) $(pin "$server_cpu") $strata_server --port "$port" >"$tmp/$name.log" 2>&1 & ;;
    node) $(pin "$server_cpu") node "$here/gateway_node.js" --port "$port" >"$tmp/$name.log" 2>&1 & ;;
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
pin() { if [ "$1" != none ]; then echo taskset -c "$1"; fi; }

# Runs strata_gateway_load against a fresh $1 with the remaining arguments;
# its RESULT line is appended to $tmp/results.
drive() {
    local name=$1
    shift
    start_server "$name"
    # shellcheck disable=SC2046
    $(pin "$client_cpu") "$bin/strata_gateway_load" --name "$name" --port "$(port_of "$name")" \
        --pid "$server_pid" --warmup "$warmup" --duration "$duration" "$@" >"$tmp/out" 2>&1 ||
        { stop_server; die "strata_gateway_load against $name failed: $(cat "$tmp/out")"; }
    stop_server
    grep -v '^RESULT' "$tmp/out" | sed 's/^/   /'
    grep '^RESULT' "$tmp/out" >>"$tmp/results"
    awk '/^RESULT/ {
        for (i = 2; i <= NF; ++i) { eq = index($i, "="); v[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
        # At saturation the gateway or the client is always busy: when neither
        # had most of its CPU, something else on the machine took it.
        if (v["mode"] == "saturation" && v["server_cpu_pct"] + 0 < 80 && v["client_cpu_pct"] + 0 < 80)
            printf "   warning: the gateway had %s%% of its CPU and the client %s%%: the machine was busy (load average %s)\n",
                v["server_cpu_pct"], v["client_cpu_pct"], load
        if (v["mode"] == "rate" && v["msgs_per_s"] + 0 < 0.95 * v["clients"] * v["rate"])
            printf "   warning: %s routed %s messages/s of the %.0f sent: it did not keep up (it had %s%% of a CPU; load average %s)\n",
                v["name"], v["msgs_per_s"], v["clients"] * v["rate"], v["server_cpu_pct"], load
        # The client measures until a timer; one that fired late means the
        # client itself was not scheduled for that long.
        if (v["mode"] != "idle" && v["secs"] + 0 > 1.05 * duration)
            printf "   warning: the %s s window ran %.1f s: the client was not scheduled for a while (load average %s)\n",
                duration, v["secs"], load
        if (v["seq_gaps"] + 0 > 0)
            printf "   warning: %s seq gaps (messages lost or repeated on a topic)\n", v["seq_gaps"] }' \
        load="$(load)" duration="$duration" "$tmp/out" | tee -a "$tmp/warnings"
}

echo "== strata gateway benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
echo "   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for name in $servers; do echo "   $name: $(label_of "$name")$([ "$name" = strata ] && echo " ($strata_server)")"; done
[ -z "$skipped" ] || echo "   $skipped"
echo "   runs: $modes; rate: $clients riders x $rate update/s; saturation: $sat_clients riders, depth $depth;"
echo "   idle: $idle_clients riders; ${warmup}s warm-up, ${duration}s measured; gateways on CPU $server_cpu,"
echo "   strata_gateway_load on CPU $client_cpu (none: not pinned); load average at start: $(load)"

for round in $(seq "$rounds"); do
    for mode in $modes; do
        for name in $servers; do
            case $mode in
            rate) drive "$name" --mode rate --clients "$clients" --rate "$rate" ;;
            saturation) drive "$name" --mode saturation --clients "$sat_clients" --depth "$depth" ;;
            idle) drive "$name" --mode idle --clients "$idle_clients" ;;
            esac
        done
    done
    echo "   (round $round, load average $(load))"
done

# field MODE NAME KEY: the median over the rounds.
field() {
    awk -v mode="$1" -v name="$2" -v key="$3" '{
        delete v
        for (i = 2; i <= NF; ++i) { eq = index($i, "="); v[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
        if (v["mode"] == mode && v["name"] == name) print v[key] }' "$tmp/results" | sort -g |
        awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}
ratio() { awk -v a="$1" -v b="$2" -v x="${3-x}" 'BEGIN {if (a == "nan" || b == "nan" || b + 0 == 0) print "-"; else printf "%.2f%s", a / b, x}'; }
num() { awk -v v="$1" -v f="$2" -v d="${3:-1}" 'BEGIN {if (v == "nan" || v == "") print "-"; else printf f, v / d}'; }
run_label() {
    case $1 in
    rate) echo "rate, $clients x $rate/s" ;;
    saturation) echo "saturation, $sat_clients x depth $depth" ;;
    esac
}

if [ -s "$tmp/warnings" ]; then
    echo
    echo "   $(wc -l <"$tmp/warnings") warnings above: a busy machine or a gateway that fell behind; rerun on a quieter one"
fi
load_modes=$(for m in $modes; do [ "$m" = idle ] || echo "$m"; done)
if [ -n "$load_modes" ]; then
    echo
    echo "Routing ($(echo "$rounds" | awk '{print ($1 > 1) ? "median of " $1 " rounds" : "1 round"}'); latency from the sender's write to the partner's parse)"
    printf '| %-26s | %-7s | %9s | %8s | %10s | %13s | %8s | %8s | %8s | %12s |\n' run gateway "msgs/s" \
        "gw CPU %" "CPU us/msg" "msgs/core-s" "p50 ms" "p99 ms" "max ms" "client CPU %"
    printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
    for mode in $load_modes; do
        for name in $servers; do
            printf '| %-26s | %-7s | %9s | %8s | %10s | %13s | %8s | %8s | %8s | %12s |\n' "$(run_label "$mode")" "$name" \
                "$(num "$(field "$mode" "$name" msgs_per_s)" %.0f)" \
                "$(num "$(field "$mode" "$name" server_cpu_pct)" %.1f)" \
                "$(num "$(field "$mode" "$name" cpu_us_per_msg)" %.2f)" \
                "$(num "$(field "$mode" "$name" msgs_per_core_s)" %.0f)" \
                "$(num "$(field "$mode" "$name" p50_us)" %.2f 1000)" \
                "$(num "$(field "$mode" "$name" p99_us)" %.2f 1000)" \
                "$(num "$(field "$mode" "$name" max_us)" %.2f 1000)" \
                "$(num "$(field "$mode" "$name" client_cpu_pct)" %.1f)"
        done
    done
fi
if has "$modes" idle; then
    echo
    echo "Memory per idle rider ($idle_clients riders connected and subscribed, gateway VmRSS growth)"
    printf '| %-7s | %12s | %12s |\n' gateway "bytes/rider" "still open"
    printf '| --- | --- | --- |\n'
    for name in $servers; do
        printf '| %-7s | %12s | %12s |\n' "$name" "$(num "$(field idle "$name" bytes_per_client)" %.0f)" \
            "$(num "$(field idle "$name" alive)" %.0f)"
    done
fi

ratios=$tmp/ratios
: >"$ratios"
if has "$servers" strata && has "$servers" node; then
    echo
    echo "strata / node (msgs/s and msgs per core-second: higher is better; CPU per message, latency, memory: lower)"
    printf '| %-26s | %8s | %11s | %10s | %8s | %8s |\n' run "msgs/s" "msgs/core-s" "CPU us/msg" "p50" "p99"
    printf '| --- | --- | --- | --- | --- | --- |\n'
    for mode in $load_modes; do
        r() { ratio "$(field "$mode" strata "$1")" "$(field "$mode" node "$1")" "${2-x}"; }
        printf '| %-26s | %8s | %11s | %10s | %8s | %8s |\n' "$(run_label "$mode")" "$(r msgs_per_s)" \
            "$(r msgs_per_core_s)" "$(r cpu_us_per_msg)" "$(r p50_us)" "$(r p99_us)"
        echo "GATEWAY_RATIO mode=$mode msgs_per_s=$(r msgs_per_s '') msgs_per_core_s=$(r msgs_per_core_s '')" \
            "cpu_us_per_msg=$(r cpu_us_per_msg '') p50_us=$(r p50_us '') p99_us=$(r p99_us '')" >>"$ratios"
    done
    if has "$modes" idle; then
        b() { ratio "$(field idle strata bytes_per_client)" "$(field idle node bytes_per_client)" "${1-x}"; }
        echo "   memory per idle rider, strata / node: $(b)"
        echo "GATEWAY_RATIO mode=idle bytes_per_client=$(b '')" >>"$ratios"
    fi
fi
if has "$servers" strata; then
    echo
    echo "Goals"
    goal() { if awk "BEGIN {exit !($2)}" 2>/dev/null; then echo "   met:     $1"; else echo "   NOT met: $1"; fi; }
    if has "$modes" saturation && has "$servers" node; then
        s=$(field saturation strata msgs_per_core_s) n=$(field saturation node msgs_per_core_s)
        goal ">= 3x Node's messages per core-second at saturation ($(ratio "$s" "$n"))" \
            "\"$s\" != \"nan\" && \"$n\" != \"nan\" && $s >= 3 * $n"
    fi
    if has "$modes" rate; then
        p=$(field rate strata p99_us)
        goal "p99 < 10 ms at $rate update/s per rider, $clients riders ($(num "$p" %.2f 1000) ms)" \
            "\"$p\" != \"nan\" && $p < 10000"
    fi
    if has "$modes" idle; then
        b=$(field idle strata bytes_per_client)
        goal "< 2 KiB per idle rider ($(num "$b" %.0f) bytes)" "\"$b\" != \"nan\" && $b < 2048"
    fi
fi
echo "   load average at the end: $(load)"
echo
sed 's/^RESULT/GATEWAY/' "$tmp/results"
cat "$ratios"
