#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# HTTP/2 load benchmark, strata beside its peers in one run (README.md):
# h2load (-c 10 -m 100: ten connections, up to 100 streams in flight on each)
# against strata (load/strata_server.cpp), nghttpd (nghttp2's own server) and
# nginx with one worker (load/nginx-h2.conf.in), over cleartext HTTP/2 with
# prior knowledge (h2c) and over TLS with h2 by ALPN. Every server answers
# GET / with "hello, world\n", runs one thread (strata: one io_context thread;
# nghttpd: its default one worker; nginx: worker_processes 1) and is pinned
# to one CPU, h2load (one thread) to another. All three present the same
# ECDSA P-256 certificate, written by strata_bench_server --write-certificate.
# After an unmeasured warm-up run, req/s comes from h2load and the server's
# CPU time (utime+stime from /proc/<pid>/stat) over the measured run gives
# CPU microseconds per request. The goal is nghttpd's requests per second.
#
# usage: benchmarks/load/h2load.sh [options]
#   --build-dir DIR     where strata_bench_server was built (default: build-bench)
#   --duration SECS     measured h2load run per server, mode and round (default 10)
#   --warmup SECS       unmeasured h2load run before it (default 2)
#   --clients N         h2load -c (default 10)
#   --streams N         h2load -m, streams in flight per connection (default 100)
#   --rounds N          servers alternate N times; medians are reported (default 1)
#   --modes "LIST"      subset of "h2c tls" (default: both)
#   --servers "LIST"    subset of "strata nghttpd nginx" (default: all three)
#   --server-cpu N      CPU the servers are pinned to (default 0)
#   --client-cpu N      CPU h2load is pinned to (default 1)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=$root/build-bench
duration=10
warmup=2
clients=10
streams=100
rounds=1
modes="h2c tls"
servers="strata nghttpd nginx"
server_cpu=0
client_cpu=1

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --client-cpu) client_cpu=$2; shift 2 ;;
    -h | --help) sed -n '4,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "h2load.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

die() { echo "h2load.sh: $*" >&2; exit 1; }

bin=$build_dir/benchmarks
[ -x "$bin/strata_bench_server" ] ||
    die "$bin/strata_bench_server is missing: build with benchmarks/run_all.sh or cmake -DSTRATA_BUILD_BENCHMARKS=ON"
command -v h2load >/dev/null || die "h2load is missing (Debian: apt install nghttp2-client)"
command -v taskset >/dev/null || die "taskset is missing (Debian: apt install util-linux)"
command -v curl >/dev/null || die "curl is missing (Debian: apt install curl)"
curl -V | grep -q 'HTTP2' || die "this curl has no HTTP/2 support, which the answer check needs"
nghttpd_bin=$(command -v nghttpd || true)
[ -n "$nghttpd_bin" ] || nghttpd_bin=/usr/sbin/nghttpd
nginx_bin=$(command -v nginx || true)
[ -n "$nginx_bin" ] || nginx_bin=/usr/sbin/nginx
case " $servers " in *" nghttpd "*) [ -x "$nghttpd_bin" ] || die "nghttpd is missing (Debian: apt install nghttp2-server)" ;; esac
case " $servers " in *" nginx "*)
    [ -x "$nginx_bin" ] || die "nginx is missing (Debian: apt install nginx-light)"
    # Debian's nginx (which nginx-light pulls in on bookworm) has the HTTP/2
    # module; a minimal or custom build may not.
    "$nginx_bin" -V 2>&1 | grep -q -- --with-http_v2_module ||
        die "$nginx_bin was built without --with-http_v2_module; install a package that has it (nginx-light, nginx-core) or drop nginx from --servers"
    ;;
esac

tmp=$(mktemp -d /tmp/strata-bench-h2.XXXXXX)
server_pid=
nginx_master=
stop_server() {
    if [ -n "$nginx_master" ]; then
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

# One certificate for every server, so the TLS runs differ only in the server.
"$bin/strata_bench_server" --write-certificate "$tmp" || die "strata_bench_server could not write a certificate"
cert=$tmp/cert.pem
key=$tmp/key.pem
# nghttpd serves files: the same body as the others, from its own docroot.
mkdir -p "$tmp/docroot"
printf 'hello, world\n' >"$tmp/docroot/index.html"

# Cleartext and TLS ports of each server.
port_of() {
    case $1/$2 in
    strata/h2c) echo 18091 ;; strata/tls) echo 18491 ;;
    nghttpd/h2c) echo 18092 ;; nghttpd/tls) echo 18492 ;;
    nginx/h2c) echo 18093 ;; nginx/tls) echo 18493 ;;
    esac
}
url_of() {
    case $2 in
    h2c) echo "http://127.0.0.1:$(port_of "$1" h2c)/" ;;
    tls) echo "https://127.0.0.1:$(port_of "$1" tls)/" ;;
    esac
}

# Starts server $1 for mode $2 on CPU $server_cpu; sets server_pid to the
# process that owns the connections (nginx: its one worker). strata and
# nginx open both listeners; nghttpd has one per process.
start_server() {
    local name=$1 mode=$2 url curl_mode=(--http2-prior-knowledge)
    case $name in
    strata)
        taskset -c "$server_cpu" "$bin/strata_bench_server" "$(port_of strata h2c)" 127.0.0.1 \
            --https "$(port_of strata tls)" --cert "$cert" --key "$key" >"$tmp/$name.log" 2>&1 &
        server_pid=$! ;;
    nghttpd)
        local tls_args=("$key" "$cert")
        [ "$mode" = h2c ] && tls_args=(--no-tls)
        taskset -c "$server_cpu" "$nghttpd_bin" -a 127.0.0.1 -d "$tmp/docroot" "$(port_of nghttpd "$mode")" \
            "${tls_args[@]}" >"$tmp/$name.log" 2>&1 &
        server_pid=$! ;;
    nginx)
        mkdir -p "$tmp/nginx"
        sed -e "s|@PREFIX@|$tmp/nginx|g" -e "s|@PORT@|$(port_of nginx h2c)|g" \
            -e "s|@TLS_PORT@|$(port_of nginx tls)|g" -e "s|@CERT@|$cert|g" -e "s|@KEY@|$key|g" \
            "$here/nginx-h2.conf.in" >"$tmp/nginx/nginx.conf"
        taskset -c "$server_cpu" "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>"$tmp/nginx.log" ||
            die "nginx did not start: $(cat "$tmp/nginx.log" "$tmp/nginx/error.log" 2>/dev/null)"
        for _ in $(seq 50); do [ -s "$tmp/nginx/nginx.pid" ] && break; sleep 0.1; done
        nginx_master=$(cat "$tmp/nginx/nginx.pid")
        for _ in $(seq 50); do
            server_pid=$(awk '{print $1}' "/proc/$nginx_master/task/$nginx_master/children" 2>/dev/null)
            [ -n "$server_pid" ] && break
            sleep 0.1
        done
        [ -n "$server_pid" ] || die "no nginx worker found under master $nginx_master" ;;
    *) die "unknown server $name" ;;
    esac
    url=$(url_of "$name" "$mode")
    [ "$mode" = tls ] && curl_mode=(--http2 --cacert "$cert")
    # The answer check also proves the mode: curl must have spoken HTTP/2.
    for _ in $(seq 100); do
        if curl -sf "${curl_mode[@]}" "$url" -o "$tmp/answer" -w '%{http_version}' >"$tmp/version" 2>/dev/null; then
            [ "$(cat "$tmp/answer")" = "hello, world" ] || die "$name ($mode) does not answer 'hello, world'"
            [ "$(cat "$tmp/version")" = 2 ] || die "$name ($mode) answered over HTTP/$(cat "$tmp/version"), not HTTP/2"
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || die "$name exited: $(cat "$tmp/$name.log" 2>/dev/null)"
        sleep 0.1
    done
    die "$name is not answering $url"
}

# utime + stime of a process, in clock ticks (fields 14 and 15 of
# /proc/<pid>/stat, counted after the ')' that ends the command name).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
clk_tck=$(getconf CLK_TCK)

load() { awk '{print $1", "$2", "$3}' /proc/loadavg; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

h2load_run() { taskset -c "$client_cpu" h2load -c "$clients" -m "$streams" -t 1 -D "$1" "$2"; }

echo "== strata HTTP/2 load benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
echo "   $(h2load --version | head -1), $("$nghttpd_bin" --version | head -1), $("$nginx_bin" -v 2>&1)"
echo "   servers on CPU $server_cpu, h2load on CPU $client_cpu; load average at start: $(load)"
echo
echo "-- h2load -c$clients -m$streams -t1 -D$duration (after a ${warmup}s warm-up), $rounds round(s)"
for round in $(seq "$rounds"); do
    for mode in $modes; do
        for name in $servers; do
            start_server "$name" "$mode"
            url=$(url_of "$name" "$mode")
            h2load_run "$warmup" "$url" >"$tmp/h2load.out" 2>&1 || die "h2load failed against $name ($mode): $(cat "$tmp/h2load.out")"
            t0=$(cpu_ticks "$server_pid")
            h2load_run "$duration" "$url" >"$tmp/h2load.out" 2>&1 || die "h2load failed against $name ($mode): $(cat "$tmp/h2load.out")"
            t1=$(cpu_ticks "$server_pid")
            stop_server
            # requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout
            read -r completed ok failed errored < <(awk '/^requests:/ {print $6, $8, $10, $12}' "$tmp/h2load.out")
            rps=$(awk '/^finished in/ {print $4}' "$tmp/h2load.out")
            [ -n "${ok:-}" ] && [ "$ok" -gt 0 ] 2>/dev/null || die "h2load made no successful request to $name ($mode): $(cat "$tmp/h2load.out")"
            [ "$mode" = h2c ] || grep -q '^Application protocol: h2$' "$tmp/h2load.out" ||
                die "h2load did not negotiate h2 with $name: $(cat "$tmp/h2load.out")"
            # status codes: N 2xx, N 3xx, N 4xx, N 5xx. (The 2xx count may
            # exceed "succeeded" by the streams cut when the run ends.)
            other=$(awk '/^status codes:/ {print $5 + $7 + $9}' "$tmp/h2load.out")
            if [ "$failed" != 0 ] || [ "$errored" != 0 ] || [ "$other" != 0 ]; then
                echo "   warning, $name ($mode): $(grep -E '^(requests|status codes):' "$tmp/h2load.out" | tr '\n' ' ')"
            fi
            us=$(awk -v d="$((t1 - t0))" -v hz="$clk_tck" -v n="$completed" 'BEGIN {printf "%.3f", d / hz * 1e6 / n}')
            printf '   round %d %-4s %-8s %10.0f req/s  %7.3f us CPU/request\n' "$round" "$mode" "$name" "$rps" "$us"
            echo "$rps" >>"$tmp/$mode.$name.rps"
            echo "$us" >>"$tmp/$mode.$name.us"
        done
    done
done

for mode in $modes; do
    echo
    case $mode in
    h2c) echo "HTTP/2 cleartext (prior knowledge)" ;;
    tls) echo "HTTP/2 over TLS (ALPN h2)" ;;
    esac
    printf '%-8s %12s %12s %16s %12s\n' server req/s "÷ strata" "CPU us/request" "÷ strata"
    s_rps=nan s_us=nan
    if [ -f "$tmp/$mode.strata.rps" ]; then
        s_rps=$(median <"$tmp/$mode.strata.rps")
        s_us=$(median <"$tmp/$mode.strata.us")
    fi
    for name in $servers; do
        rps=$(median <"$tmp/$mode.$name.rps")
        us=$(median <"$tmp/$mode.$name.us")
        awk -v n="$name" -v r="$rps" -v u="$us" -v sr="$s_rps" -v su="$s_us" 'BEGIN {
            rr = (sr == "nan" || sr == 0) ? "-" : sprintf("%.2fx", r / sr)
            ru = (su == "nan" || su == 0) ? "-" : sprintf("%.2fx", u / su)
            printf "%-8s %12.0f %12s %16.3f %12s\n", n, r, rr, u, ru }'
        echo "H2LOAD mode=$mode name=$name rps=$rps cpu_us_per_request=$us" >>"$tmp/summary"
    done
    if [ -f "$tmp/$mode.strata.rps" ]; then
        for peer in nghttpd nginx; do
            [ -f "$tmp/$mode.$peer.rps" ] || continue
            awk -v p="$peer" -v sr="$s_rps" -v su="$s_us" -v r="$(median <"$tmp/$mode.$peer.rps")" \
                -v u="$(median <"$tmp/$mode.$peer.us")" 'BEGIN {
                printf "   strata/%s: %.2fx the requests per second, %.2fx the CPU time per request\n", p, sr / r, su / u }'
        done
    fi
done
echo "   load average at the end: $(load)"

# Machine-readable lines for run_all.sh and for pasting into notes.
echo
cat "$tmp/summary"
