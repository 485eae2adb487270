#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Load benchmarks, strata beside its peers in one run (README.md):
#
#   throughput   wrk keep-alive load against strata, a Boost.Beast server and
#                nginx (one worker). Each server is pinned to one CPU, wrk to
#                another; after a warm-up, req/s comes from wrk and the
#                server's CPU time (utime+stime from /proc/<pid>/stat) over the
#                measured run gives CPU microseconds per request. wrk on one
#                core saturates near nginx's rate, so CPU per request is the
#                figure that still separates fast servers.
#   idle memory  strata_idle_memory holds N keep-alive connections (each past
#                its first exchange) to a freshly started server and reports
#                the server's RSS and Pss growth per connection.
#
# usage: benchmarks/load/run.sh [options]
#   --build-dir DIR       where strata_bench_server etc. were built (default: build-bench)
#   --duration SECS       measured wrk run per server and round (default 10)
#   --warmup SECS         unmeasured wrk run before it (default 2)
#   --connections N       wrk connections (default 64)
#   --rounds N            throughput rounds; servers alternate, medians are reported (default 1)
#   --idle-connections N  connections for the idle-memory run (default 10000)
#   --server-cpu N        CPU the servers are pinned to (default 0)
#   --client-cpu N        CPU wrk and the idle client are pinned to (default 1)
#   --servers "LIST"      subset of "strata beast nginx" (default: all three)
#   --skip-throughput | --skip-idle
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=$root/build-bench
duration=10
warmup=2
wrk_connections=64
rounds=1
idle_connections=10000
server_cpu=0
client_cpu=1
servers="strata beast nginx"
do_throughput=1
do_idle=1

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --connections) wrk_connections=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --idle-connections) idle_connections=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --client-cpu) client_cpu=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --skip-throughput) do_throughput=0; shift ;;
    --skip-idle) do_idle=0; shift ;;
    -h | --help) sed -n '4,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

die() { echo "run.sh: $*" >&2; exit 1; }

bin=$build_dir/benchmarks
for b in strata_bench_server strata_bench_beast_server strata_idle_memory; do
    [ -x "$bin/$b" ] || die "$bin/$b is missing: build with benchmarks/run_all.sh or cmake -DSTRATA_BUILD_BENCHMARKS=ON"
done
command -v taskset >/dev/null || die "taskset is missing (Debian: apt install util-linux)"
command -v curl >/dev/null || die "curl is missing (Debian: apt install curl)"
if [ $do_throughput = 1 ]; then
    command -v wrk >/dev/null || die "wrk is missing (Debian: apt install wrk)"
fi
nginx_bin=$(command -v nginx || true)
[ -n "$nginx_bin" ] || nginx_bin=/usr/sbin/nginx
case " $servers " in *" nginx "*) [ -x "$nginx_bin" ] || die "nginx is missing (Debian: apt install nginx-light)" ;; esac

# 10,000 idle connections need as many descriptors in the server process.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ $do_idle = 1 ] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((idle_connections + 64)) ]; then
    die "the open-file limit is $(ulimit -n); $idle_connections idle connections need more (ulimit -Hn, or --idle-connections)"
fi

tmp=$(mktemp -d /tmp/strata-bench.XXXXXX)
server_pid=
stop_server() {
    if [ -n "${nginx_master:-}" ]; then
        kill -QUIT "$nginx_master" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$nginx_master" 2>/dev/null || break; sleep 0.1; done
        nginx_master=
    elif [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=
}
cleanup() { stop_server; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

port_of() { case $1 in strata) echo 18081 ;; beast) echo 18082 ;; nginx) echo 18083 ;; esac; }

# Starts server $1 on CPU $server_cpu; sets server_pid to the process that
# owns the connections (nginx: its one worker).
start_server() {
    local name=$1 port
    port=$(port_of "$name")
    case $name in
    strata) taskset -c "$server_cpu" "$bin/strata_bench_server" "$port" >"$tmp/$name.log" 2>&1 &
        server_pid=$! ;;
    beast) taskset -c "$server_cpu" "$bin/strata_bench_beast_server" "$port" >"$tmp/$name.log" 2>&1 &
        server_pid=$! ;;
    nginx)
        mkdir -p "$tmp/nginx"
        sed -e "s|@PREFIX@|$tmp/nginx|g" -e "s|@PORT@|$port|g" "$here/nginx.conf.in" >"$tmp/nginx/nginx.conf"
        taskset -c "$server_cpu" "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>"$tmp/nginx.log" ||
            die "nginx did not start: $(cat "$tmp/nginx.log" "$tmp/nginx/error.log" 2>/dev/null)"
        for _ in $(seq 50); do [ -s "$tmp/nginx/nginx.pid" ] && break; sleep 0.1; done
        nginx_master=$(cat "$tmp/nginx/nginx.pid")
        for _ in $(seq 50); do
            server_pid=$(cat "/proc/$nginx_master/task/$nginx_master/children" 2>/dev/null | awk '{print $1}')
            [ -n "$server_pid" ] && break
            sleep 0.1
        done
        [ -n "$server_pid" ] || die "no nginx worker found under master $nginx_master" ;;
    *) die "unknown server $name" ;;
    esac
    for _ in $(seq 100); do
        if curl -sf "http://127.0.0.1:$port/" -o /dev/null; then
            [ "$(curl -s "http://127.0.0.1:$port/")" = "hello, world" ] || die "$name does not answer 'hello, world'"
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || die "$name exited: $(cat "$tmp/$name.log" 2>/dev/null)"
        sleep 0.1
    done
    die "$name is not answering on port $port"
}

# utime + stime of a process, in clock ticks (fields 14 and 15 of
# /proc/<pid>/stat, counted after the ')' that ends the command name).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
clk_tck=$(getconf CLK_TCK)

load() { awk '{print $1", "$2", "$3}' /proc/loadavg; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "== strata load benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
echo "   servers on CPU $server_cpu, clients on CPU $client_cpu; load average at start: $(load)"

# ---- throughput ------------------------------------------------------------
if [ $do_throughput = 1 ]; then
    echo
    echo "-- keep-alive throughput: wrk -t1 -c$wrk_connections -d${duration}s (after ${warmup}s warm-up), $rounds round(s)"
    for round in $(seq "$rounds"); do
        for name in $servers; do
            start_server "$name"
            url=http://127.0.0.1:$(port_of "$name")/
            taskset -c "$client_cpu" wrk -t1 -c"$wrk_connections" -d"${warmup}s" "$url" >/dev/null
            t0=$(cpu_ticks "$server_pid")
            taskset -c "$client_cpu" wrk -t1 -c"$wrk_connections" -d"${duration}s" "$url" >"$tmp/wrk.out"
            t1=$(cpu_ticks "$server_pid")
            stop_server
            reqs=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
            rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/wrk.out")
            [ -n "$reqs" ] && [ "$reqs" -gt 0 ] || die "wrk made no requests to $name: $(cat "$tmp/wrk.out")"
            if grep -qE 'Non-2xx|Socket errors' "$tmp/wrk.out"; then
                echo "   warning, $name: $(grep -E 'Non-2xx|Socket errors' "$tmp/wrk.out" | tr -s ' ')"
            fi
            us=$(awk -v d="$((t1 - t0))" -v hz="$clk_tck" -v n="$reqs" 'BEGIN {printf "%.3f", d / hz * 1e6 / n}')
            printf '   round %d %-7s %10.0f req/s  %7.3f us CPU/request\n' "$round" "$name" "$rps" "$us"
            echo "$rps" >>"$tmp/$name.rps"
            echo "$us" >>"$tmp/$name.us"
        done
    done
    echo
    printf '%-8s %12s %12s %16s %12s\n' server req/s "÷ strata" "CPU us/request" "÷ strata"
    s_rps=nan s_us=nan
    [ -f "$tmp/strata.rps" ] && s_rps=$(median <"$tmp/strata.rps") && s_us=$(median <"$tmp/strata.us")
    for name in $servers; do
        rps=$(median <"$tmp/$name.rps")
        us=$(median <"$tmp/$name.us")
        awk -v n="$name" -v r="$rps" -v u="$us" -v sr="$s_rps" -v su="$s_us" 'BEGIN {
            rr = (sr == "nan" || sr == 0) ? "-" : sprintf("%.2fx", r / sr)
            ru = (su == "nan" || su == 0) ? "-" : sprintf("%.2fx", u / su)
            printf "%-8s %12.0f %12s %16.3f %12s\n", n, r, rr, u, ru }'
        echo "THROUGHPUT name=$name rps=$rps cpu_us_per_request=$us" >>"$tmp/summary"
    done
    if [ -f "$tmp/strata.rps" ]; then
        for peer in beast nginx; do
            [ -f "$tmp/$peer.rps" ] || continue
            awk -v p="$peer" -v sr="$s_rps" -v su="$s_us" -v r="$(median <"$tmp/$peer.rps")" \
                -v u="$(median <"$tmp/$peer.us")" 'BEGIN {
                printf "   strata vs %s: %.2fx the requests per second, %.2fx the CPU time per request\n", p, sr / r, su / u }'
        done
    fi
    echo "   load average after throughput: $(load)"
fi

# ---- idle memory -----------------------------------------------------------
if [ $do_idle = 1 ]; then
    echo
    echo "-- memory per idle keep-alive connection: $idle_connections connections, each after one exchange"
    for name in $servers; do
        start_server "$name"
        taskset -c "$client_cpu" "$bin/strata_idle_memory" --pid "$server_pid" --port "$(port_of "$name")" \
            --name "$name" --connections "$idle_connections" >"$tmp/idle.out" 2>&1 || {
            cat "$tmp/idle.out"
            stop_server
            die "the idle-memory run against $name failed"
        }
        stop_server
        grep -v '^RESULT' "$tmp/idle.out" | sed 's/^/   /'
        grep '^RESULT' "$tmp/idle.out" >>"$tmp/idle.results"
    done
    echo
    printf '%-8s %12s %10s %12s %10s\n' server "RSS B/conn" "÷ strata" "Pss B/conn" "÷ strata"
    awk '{ for (i = 2; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
           name[NR] = v["name"]; rss[NR] = v["rss_bytes_per_conn"]; pss[NR] = v["pss_bytes_per_conn"]
           if (v["name"] == "strata") { srss = v["rss_bytes_per_conn"]; spss = v["pss_bytes_per_conn"] } }
         END { for (i = 1; i <= NR; ++i) {
             rr = srss > 0 ? sprintf("%.2fx", rss[i] / srss) : "-"
             rp = spss > 0 ? sprintf("%.2fx", pss[i] / spss) : "-"
             printf "%-8s %12d %10s %12d %10s\n", name[i], rss[i], rr, pss[i], rp } }' "$tmp/idle.results"
    sed 's/^RESULT/IDLE/' "$tmp/idle.results" >>"$tmp/summary"
    echo "   load average at the end: $(load)"
fi

# Machine-readable lines for run_all.sh and for pasting into notes.
echo
cat "$tmp/summary" 2>/dev/null || true
