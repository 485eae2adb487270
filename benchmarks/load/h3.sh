#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# HTTP/3 benchmark, strata beside ngtcp2's example server in one run
# (README.md). Servers: strata_bench_server --quic (load/strata_server.cpp)
# and gtlsserver (ngtcp2 0.12's example server, GnuTLS, serving files), each
# on one thread pinned to one CPU, the drivers to another; both present the
# same ECDSA P-256 certificate. Drivers: strata_h3load (load/h3load.cpp,
# strata::client) and gtlsclient (ngtcp2's example client; one connection,
# as many streams as the server allows: 100). Measured on loopback:
#   1. requests/s for a 13-byte response: strata_h3load -c1 -m100 and
#      -c10 -m10 for --duration s each, gtlsclient -n --requests; with the
#      server's CPU time per request (utime+stime from /proc/<pid>/stat)
#   2. one --download-mib MiB download: MB/s (10^6 bytes/s, from the request's
#      start to the body's end), strata_h3load -n1 and gtlsclient (its wall
#      time, process start included), median of --download-runs
#   3. strata's HTTP/3 vs strata's HTTP/2 over TLS (same server, same client
#      code, strata_h3load --http2) on the workloads of 1 and 2
#   4. time to first byte of a first request: HTTP/3 (1-RTT handshake),
#      HTTP/3 resumed with 0-RTT, HTTP/2 over TLS 1.3 (TCP + TLS), HTTP/2
#      with TLS resumption; on bare loopback and through strata_h3load's
#      --delay-ms relay (--delay-ms each way), median of --ttfb-runs
# Goals: gtlsserver's rates (requests/s on one connection, MB/s for one file).
#
# usage: benchmarks/load/h3.sh [options]
#   --build-dir DIR       where strata_bench_server and strata_h3load were built (default: build-bench)
#   --duration SECS       each strata_h3load load run (default 10)
#   --warmup SECS         unmeasured strata_h3load run before each (default 2)
#   --requests N          gtlsclient -n (default 200000)
#   --rounds N            servers alternate N times; medians are reported (default 1)
#   --download-mib N      size of the download (default 100)
#   --download-runs N     downloads per driver and server (default 3)
#   --ttfb-runs N         first requests per TTFB mode (default 21)
#   --delay-ms N          one-way delay of the TTFB relay (default 10; 0: loopback only)
#   --parts "LIST"        subset of "rps download ttfb" (default: all three)
#   --server-cpu N        CPU the servers are pinned to (default 0)
#   --client-cpu N        CPU the drivers are pinned to (default 1)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=$root/build-bench
duration=10
warmup=2
requests=200000
rounds=1
download_mib=100
download_runs=3
ttfb_runs=21
delay_ms=10
parts="rps download ttfb"
server_cpu=0
client_cpu=1

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --download-mib) download_mib=$2; shift 2 ;;
    --download-runs) download_runs=$2; shift 2 ;;
    --ttfb-runs) ttfb_runs=$2; shift 2 ;;
    --delay-ms) delay_ms=$2; shift 2 ;;
    --parts) parts=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --client-cpu) client_cpu=$2; shift 2 ;;
    -h | --help) sed -n '4,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "h3.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

die() { echo "h3.sh: $*" >&2; exit 1; }
part() { case " $parts " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

bin=$build_dir/benchmarks
for b in strata_bench_server strata_h3load; do
    [ -x "$bin/$b" ] || die "$bin/$b is missing: build with benchmarks/run_all.sh or cmake -DSTRATA_BUILD_BENCHMARKS=ON"
done
for b in gtlsserver gtlsclient; do
    command -v $b >/dev/null || die "$b is missing (Debian: apt install ngtcp2-server ngtcp2-client)"
done
command -v taskset >/dev/null || die "taskset is missing (Debian: apt install util-linux)"

tmp=$(mktemp -d /tmp/strata-bench-h3.XXXXXX)
strata_pid=
gtls_pid=
cleanup() {
    for p in $strata_pid $gtls_pid; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin/strata_bench_server" --write-certificate "$tmp" || die "strata_bench_server could not write a certificate"
cert=$tmp/cert.pem
key=$tmp/key.pem
download_bytes=$((download_mib * 1024 * 1024))
mkdir -p "$tmp/docroot"
printf 'hello, world\n' >"$tmp/docroot/index.html"
head -c "$download_bytes" /dev/zero | tr '\0' x >"$tmp/docroot/download.bin"

# strata: TCP 18191 (h1/h2c), TCP 18591 (TLS), UDP 18591 (QUIC). gtlsserver: UDP 18592.
strata_port=18591
gtls_port=18592
taskset -c "$server_cpu" "$bin/strata_bench_server" 18191 127.0.0.1 --https $strata_port --quic $strata_port \
    --cert "$cert" --key "$key" >"$tmp/strata.log" 2>&1 &
strata_pid=$!
taskset -c "$server_cpu" gtlsserver --htdocs "$tmp/docroot" --quiet 127.0.0.1 $gtls_port "$key" "$cert" \
    >"$tmp/gtlsserver.log" 2>&1 &
gtls_pid=$!

small_url() { case $1 in strata) echo "https://127.0.0.1:$strata_port/" ;; gtlsserver) echo "https://127.0.0.1:$gtls_port/" ;; esac; }
big_url() {
    case $1 in
    strata) echo "https://127.0.0.1:$strata_port/bytes/$download_bytes" ;;
    gtlsserver) echo "https://127.0.0.1:$gtls_port/download.bin" ;;
    esac
}
port_of() { case $1 in strata) echo $strata_port ;; gtlsserver) echo $gtls_port ;; esac; }
pid_of() { case $1 in strata) echo "$strata_pid" ;; gtlsserver) echo "$gtls_pid" ;; esac; }

h3load() { taskset -c "$client_cpu" "$bin/strata_h3load" --cacert "$cert" "$@"; }
gtlsclient_run() {
    taskset -c "$client_cpu" gtlsclient --quiet --no-quic-dump --no-http-dump --exit-on-all-streams-close \
        --timeout 3s "$@"
}

# Both servers answer, over HTTP/3, the expected body; strata's HTTP/2 too.
# This also fills strata's download body cache before anything is timed.
for _ in $(seq 50); do
    h3load -n 1 "$(small_url strata)" >/dev/null 2>&1 && h3load -n 1 "$(small_url gtlsserver)" >/dev/null 2>&1 && break
    kill -0 "$strata_pid" 2>/dev/null || die "strata_bench_server exited: $(cat "$tmp/strata.log")"
    kill -0 "$gtls_pid" 2>/dev/null || die "gtlsserver exited: $(cat "$tmp/gtlsserver.log")"
    sleep 0.2
done
for name in strata gtlsserver; do
    h3load -n 1 "$(small_url $name)" >"$tmp/check" 2>&1 || die "$name does not answer HTTP/3: $(cat "$tmp/check")"
    grep -q ' 13 body bytes' "$tmp/check" || die "$name's answer is not 13 bytes: $(cat "$tmp/check")"
    h3load -n 1 "$(big_url $name)" >"$tmp/check" 2>&1 || die "$name: no download: $(cat "$tmp/check")"
    grep -q " $download_bytes body bytes" "$tmp/check" || die "$name's download is not $download_bytes bytes: $(cat "$tmp/check")"
    # gtlsclient reads every response: 100 streams (the initial stream
    # limit) closed with H3_NO_ERROR (0x100).
    closed=$(taskset -c "$client_cpu" gtlsclient --no-quic-dump --no-http-dump --exit-on-all-streams-close -n 100 \
        --timeout 3s 127.0.0.1 "$(port_of $name)" "$(small_url $name)" 2>&1 | grep -c 'closed with error code 256' || true)
    [ "$closed" = 100 ] || die "gtlsclient completed $closed of 100 requests to $name"
done
h3load --http2 -n 1 "$(small_url strata)" >"$tmp/check" 2>&1 || die "strata does not answer HTTP/2: $(cat "$tmp/check")"

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
clk_tck=$(getconf CLK_TCK)
load() { awk '{print $1", "$2", "$3}' /proc/loadavg; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2" | tail -1; }
record() { echo "$3" >>"$tmp/$1.$2"; } # record KEY METRIC VALUE
us_per() { awk -v d="$1" -v hz="$clk_tck" -v n="$2" 'BEGIN {printf "%.3f", (n > 0) ? d / hz * 1e6 / n : 0}'; }

echo "== strata HTTP/3 benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
echo "   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "   gtlsserver/gtlsclient: ngtcp2 $(dpkg-query -W -f='${Version}' ngtcp2-server 2>/dev/null || echo '?')"
echo "   servers on CPU $server_cpu, drivers on CPU $client_cpu; load average at start: $(load)"

# strata_h3load load run: KEY SERVER [h3load args...]; records rps, mbps and CPU us/request.
h3load_run() {
    local key=$1 name=$2 pid t0 t1
    shift 2
    pid=$(pid_of "$name")
    h3load "$@" -D "$warmup" >"$tmp/out" 2>&1 || die "strata_h3load $* failed: $(cat "$tmp/out")"
    t0=$(cpu_ticks "$pid")
    h3load "$@" -D "$duration" >"$tmp/out" 2>&1 || die "strata_h3load $* failed: $(cat "$tmp/out")"
    t1=$(cpu_ticks "$pid")
    local done rps errored failed
    done=$(field done "$tmp/out") rps=$(field rps "$tmp/out") errored=$(field errored "$tmp/out") failed=$(field failed "$tmp/out")
    [ "$errored" = 0 ] && [ "$failed" = 0 ] || echo "   warning, $key: $(grep -E '^(requests|first error)' "$tmp/out" | tr '\n' ' ')"
    record "$key" rps "$rps"
    record "$key" us "$(us_per $((t1 - t0)) "$done")"
    printf '   %-34s %10.0f req/s  %7.2f us CPU/request  %4s conn.  latency %s\n' "$key" "$rps" "$(tail -1 "$tmp/$key.us")" \
        "$(field opened "$tmp/out")" "$(sed -n 's/^latency (ms): //p' "$tmp/out")"
}

if part rps; then
    echo
    echo "-- 1 + 3. requests per second, 13-byte response (strata_h3load: ${warmup}s warm-up, ${duration}s measured;"
    echo "   gtlsclient: -n $requests on one connection), $rounds round(s)"
    for round in $(seq "$rounds"); do
        for name in strata gtlsserver; do
            h3load_run "h3load-c1m100.$name" "$name" -c 1 -m 100 "$(small_url $name)"
            h3load_run "h3load-c10m10.$name" "$name" -c 10 -m 10 "$(small_url $name)"
            pid=$(pid_of "$name")
            t0=$(cpu_ticks "$pid") s=$(now)
            # A server that never raises the stream limit (MAX_STREAMS) stalls
            # gtlsclient, which then gives up after its 3 s idle timeout.
            # With --quiet it prints nothing unless something went wrong (it
            # exits 0 even after an idle timeout, printing ERR_IDLE_CLOSE).
            if gtlsclient_run -n "$requests" 127.0.0.1 "$(port_of $name)" "$(small_url $name)" >"$tmp/gtls.out" 2>&1 &&
                [ ! -s "$tmp/gtls.out" ]; then
                e=$(now) t1=$(cpu_ticks "$pid")
                rps=$(awk -v n="$requests" -v s="$s" -v e="$e" 'BEGIN {printf "%.1f", n / (e - s)}')
                record "gtlsclient.$name" rps "$rps"
                record "gtlsclient.$name" us "$(us_per $((t1 - t0)) "$requests")"
                printf '   %-34s %10.0f req/s  %7.2f us CPU/request\n' "gtlsclient.$name" "$rps" "$(tail -1 "$tmp/gtlsclient.$name.us")"
            else
                echo "   gtlsclient.$name: did not complete $requests requests: $(tr '\n' ' ' <"$tmp/gtls.out")"
            fi
        done
        h3load_run "h2-c1m100.strata" strata --http2 -c 1 -m 100 "$(small_url strata)"
        h3load_run "h2-c10m10.strata" strata --http2 -c 10 -m 10 "$(small_url strata)"
    done
fi

if part download; then
    echo
    echo "-- 2 + 3. one $download_mib MiB download, $download_runs run(s) per driver and server"
    for _ in $(seq "$download_runs"); do
        for name in strata gtlsserver; do
            h3load -n 1 "$(big_url $name)" >"$tmp/out" 2>&1 || die "download from $name failed: $(cat "$tmp/out")"
            [ "$(field ok "$tmp/out")" = 1 ] || die "download from $name: $(cat "$tmp/out")"
            record "dl-h3load.$name" mbps "$(field mbps "$tmp/out")"
            printf '   %-34s %8.1f MB/s\n' "strata_h3load.$name" "$(field mbps "$tmp/out")"
            s=$(now)
            gtlsclient_run 127.0.0.1 "$(port_of $name)" "$(big_url $name)" >"$tmp/gtls.out" 2>&1 && [ ! -s "$tmp/gtls.out" ] ||
                die "gtlsclient download from $name failed: $(cat "$tmp/gtls.out")"
            e=$(now)
            mbps=$(awk -v n="$download_bytes" -v s="$s" -v e="$e" 'BEGIN {printf "%.2f", n / (e - s) / 1e6}')
            record "dl-gtlsclient.$name" mbps "$mbps"
            printf '   %-34s %8.1f MB/s\n' "gtlsclient.$name" "$mbps"
        done
        h3load --http2 -n 1 "$(big_url strata)" >"$tmp/out" 2>&1 || die "HTTP/2 download from strata failed: $(cat "$tmp/out")"
        record "dl-h2.strata" mbps "$(field mbps "$tmp/out")"
        printf '   %-34s %8.1f MB/s\n' "strata_h3load --http2.strata" "$(field mbps "$tmp/out")"
    done
fi

echo
echo "-- 4. time to first byte of a first request, strata client and server, $ttfb_runs runs each"
ttfb_delays=0
[ "$delay_ms" -gt 0 ] && ttfb_delays="0 $delay_ms"
part ttfb || ttfb_delays=
for d in $ttfb_delays; do
    for mode in h3 h3-0rtt h2 h2-resumed; do
        args=()
        case $mode in h3-0rtt) args=(--resume) ;; h2) args=(--http2) ;; h2-resumed) args=(--http2 --resume) ;; esac
        # A lost request costs 3 s here, not the client's default 30 s.
        h3load --ttfb "$ttfb_runs" --timeout 3 --delay-ms "$d" "${args[@]}" "$(small_url strata)" >"$tmp/out" 2>&1 ||
            die "ttfb $mode failed: $(cat "$tmp/out")"
        record "ttfb-$d" "$mode" "$(field median_ms "$tmp/out")"
        printf '   delay %3s ms  %-11s %s\n' "$d" "$mode" "$(sed -n 's/^ttfb (ms): //p' "$tmp/out")"
        [ "$(field errored "$tmp/out")" = 0 ] || echo "   warning: $(grep -E '^(time to|first error)' "$tmp/out" | tr '\n' ' ')"
    done
done

m() { if [ -f "$tmp/$1.$2" ]; then median <"$tmp/$1.$2"; else echo nan; fi; }
ratio() { if [ "$1" = nan ] || [ "$2" = nan ]; then echo -; else awk -v a="$1" -v b="$2" 'BEGIN {print (b > 0) ? sprintf("%.2fx", a / b) : "-"}'; fi; }
# "req/s (CPU us/request)", or "stalled" when no run completed.
cell() {
    if [ "$(m "$1" rps)" = nan ]; then echo stalled; else printf '%.0f (%.2f)' "$(m "$1" rps)" "$(m "$1" us)"; fi
}

if part rps; then
    echo
    echo "HTTP/3 requests per second, 13-byte response (server CPU us per request in brackets)"
    printf '| %-36s | %18s | %18s | %12s |\n' driver strata gtlsserver "strata/gtls"
    printf '| --- | --- | --- | --- |\n'
    for d in h3load-c1m100 h3load-c10m10 gtlsclient; do
        case $d in
        h3load-c1m100) label="strata_h3load -c1 -m100" ;;
        h3load-c10m10) label="strata_h3load -c10 -m10" ;;
        gtlsclient) label="gtlsclient -n $requests (1 conn)" ;;
        esac
        printf '| %-36s | %18s | %18s | %12s |\n' "$label" "$(cell $d.strata)" "$(cell $d.gtlsserver)" \
            "$(ratio "$(m $d.strata rps)" "$(m $d.gtlsserver rps)")"
        echo "H3 test=rps driver=$d strata=$(m $d.strata rps) gtlsserver=$(m $d.gtlsserver rps) strata_us=$(m $d.strata us) gtlsserver_us=$(m $d.gtlsserver us)" >>"$tmp/summary"
    done

fi

if part download; then
    echo
    echo "One $download_mib MiB download, MB/s (10^6 bytes/s), median of $download_runs"
    printf '| %-36s | %10s | %10s | %12s |\n' driver strata gtlsserver "strata/gtls"
    printf '| --- | --- | --- | --- |\n'
    for d in h3load gtlsclient; do
        printf '| %-36s | %10.1f | %10.1f | %12s |\n' "$d" "$(m dl-$d.strata mbps)" "$(m dl-$d.gtlsserver mbps)" \
            "$(ratio "$(m dl-$d.strata mbps)" "$(m dl-$d.gtlsserver mbps)")"
        echo "H3 test=download driver=$d strata=$(m dl-$d.strata mbps) gtlsserver=$(m dl-$d.gtlsserver mbps)" >>"$tmp/summary"
    done

fi

if part rps || part download; then
    echo
    echo "strata HTTP/3 vs strata HTTP/2 over TLS (strata server, strata_h3load)"
    printf '| %-36s | %12s | %12s | %8s |\n' workload "HTTP/3" "HTTP/2+TLS" "h3/h2"
    printf '| --- | --- | --- | --- |\n'
    for w in c1m100 c10m10; do
        part rps || continue
        printf '| %-36s | %12.0f | %12.0f | %8s |\n' "req/s, -${w/m/ -m}" "$(m h3load-$w.strata rps)" "$(m h2-$w.strata rps)" \
            "$(ratio "$(m h3load-$w.strata rps)" "$(m h2-$w.strata rps)")"
        echo "H3 test=h3-vs-h2 workload=$w h3=$(m h3load-$w.strata rps) h2=$(m h2-$w.strata rps)" >>"$tmp/summary"
    done
    part download && printf '| %-36s | %12.1f | %12.1f | %8s |\n' "MB/s, one $download_mib MiB download" "$(m dl-h3load.strata mbps)" \
        "$(m dl-h2.strata mbps)" "$(ratio "$(m dl-h3load.strata mbps)" "$(m dl-h2.strata mbps)")"
    part download && echo "H3 test=h3-vs-h2 workload=download h3=$(m dl-h3load.strata mbps) h2=$(m dl-h2.strata mbps)" >>"$tmp/summary"
fi

if part ttfb; then
    echo
    echo "Time to first byte, median of $ttfb_runs (ms)"
    printf '| %-22s | %12s | %12s | %12s | %12s |\n' "one-way delay" "h3 (1-RTT)" "h3 0-RTT" "h2 TLS 1.3" "h2 resumed"
    printf '| --- | --- | --- | --- | --- |\n'
    for d in $ttfb_delays; do
        label="loopback"
        [ "$d" -gt 0 ] && label="$d ms (relay, RTT $((2 * d)) ms)"
        printf '| %-22s | %12.2f | %12.2f | %12.2f | %12.2f |\n' "$label" "$(m ttfb-$d h3)" "$(m ttfb-$d h3-0rtt)" \
            "$(m ttfb-$d h2)" "$(m ttfb-$d h2-resumed)"
        echo "H3 test=ttfb delay_ms=$d h3=$(m ttfb-$d h3) h3_0rtt=$(m ttfb-$d h3-0rtt) h2=$(m ttfb-$d h2) h2_resumed=$(m ttfb-$d h2-resumed)" >>"$tmp/summary"
    done
fi
echo "   load average at the end: $(load)"
echo
cat "$tmp/summary"
