#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# The protocol lab's emulated network path (issue 8). This kernel has no
# netem, so the path is three network namespaces joined by veth pairs, with
# every impairment in the router:
#
#   slab-client            slab-router                         slab-server
#   lab-c 10.77.1.2 <-> lab-rc 10.77.1.1 | 10.77.2.1 lab-rs <-> lab-s 10.77.2.2
#
#   - loss: in the router's FORWARD chain (iptables-legacy: this iptables is
#     the nf_tables flavour and the kernel has no nft_queue), per direction
#     (by input interface) a counting rule, a `-m statistic --mode random
#     --probability p -j DROP` rule (absent when p is 0), then NFQUEUE: 0 for
#     up (client -> server), 1 for down (server -> client);
#   - delay: strata_lab_delay (link_delay.cpp) in the router holds each
#     queued packet RTT/2 per direction. No --queue-bypass: if the program is
#     not running, packets are dropped rather than passed undelayed, so a
#     dead delay program shows as a dead path, not as a fast one;
#   - bandwidth (--rate-mbit): tbf on the router's two egress veths, after
#     the delay. burst = max(2 x 1514 B, 1 ms at the rate): a small burst so
#     the rate holds at millisecond scale (tbf's watchdog is an hrtimer, it
#     does not need HZ-sized bursts); limit (the bottleneck buffer) = one
#     bandwidth-delay product at the configured RTT (--buffer-ms to change),
#     at least 10 packets: the classic rule for a router buffer.
#   - TSO/GSO/GRO (and LRO, UDP segmentation, GRO lists) off on all four veth
#     ends, otherwise a "packet" can be a 64 KB super-packet and one random
#     drop becomes a burst of 40. What cannot be turned off is printed.
#   - TCP congestion control: cubic in the client and server namespaces (the
#     host's default is bbr). A namespace may only pick an allowed algorithm
#     and the allowed list is global, so cubic is allowed for the moment of
#     setting it and the list restored at once (saved in $state/ in case we
#     die in between; up and down restore it).
#   - IPv6 off in the three namespaces, so no stray traffic is counted.
#   - CPUs: on a veth path the delay program's verdict runs, in its own
#     system call, all that the released packet causes (forwarding, the
#     receiving endpoint's TCP, its reply up to our queue). Unlimited bulk
#     transfers then made releases 0.5-1 ms late on average. So the program
#     is pinned to one CPU (--delay-cpu, the last by default) and RPS on the
#     endpoints' veths (lab-c, lab-s) sends their receive processing to the
#     other CPUs: releases are then ~10 us late. One CPU only: no pinning.
#
# Nothing is touched in the root namespace's network configuration; the
# only global settings written are the allowed congestion control list
# (restored, see above).
#
# Usage (as root):
#   path.sh up --rtt MS [--loss PCT | --loss-up PCT --loss-down PCT]
#              [--rate-mbit N [--buffer-ms MS]] [--delay-bin PATH]
#              [--offset-us US|auto] [--no-rt] [--delay-cpu N|none]
#       Builds the path, after tearing down whatever a previous run left.
#       --delay-bin: strata_lab_delay (default: $STRATA_LAB_DELAY, else
#       build*/benchmarks/strata_lab_delay under the repository, newest).
#       --offset-us: taken off each direction's delay for the path's own
#       round trip (veth hops, forwarding, the trips through our queue and
#       socket: 150-230 us here). auto (the default) measures it first: 200
#       pings with the delay program at 0 (1 s), half the mean. The measured
#       mean RTT then matches the configured one within ~50 us instead of
#       being ~220 us over (1.1% at 20 ms). 0 turns this off.
#       --no-rt: run the delay program without SCHED_FIFO.
#       --delay-cpu: the CPU for the delay program (default: the last one;
#       none: no pinning and no RPS).
#   path.sh set --rtt MS [--loss ...] [--rate-mbit N | --no-rate] ...
#       Changes the impairments in place: restarts the delay program (packets
#       arriving in the few ms it is not bound are dropped: no bypass), loads
#       the new FORWARD rules atomically (counters start at 0), replaces tbf.
#       Options not given keep their current values.
#   path.sh down          Stops everything, deletes the namespaces.
#   path.sh counters      {"up":{"packets":..,"bytes":..,"dropped_packets":..,
#                          "delay_dropped":..,"rate_dropped":..},"down":{...}};
#                          up is client -> server, packets/bytes count all
#                          that reached the router, dropped_packets the random
#                          drops, delay_dropped packets the delay stage lost
#                          (must be 0), rate_dropped tbf's drops (its buffer
#                          was full: the bottleneck's own loss).
#   path.sh zero          Zeroes the counters.
#   path.sh calibrate [--count N] [--interval S] [--parallel P]
#       ping N (200) times every S (0.005) s from client to server; prints
#       {"rtt_ms":{min,avg,max,mdev},"configured_rtt_ms":..,"loss":{...}}
#       with the loss measured from the counters over the ping. iputils
#       ping sends at most one echo per ~8-10 ms while replies are
#       outstanding, so P pings run side by side (default N/200, 1 to 16):
#       N=1000 takes ~1.5 s at 50 ms RTT, N=5000 ~4 s.
#   path.sh base [--count N]
#       The path's own round trip with zero delay: runs the delay program at 0
#       for the ping, prints {"base_rtt_us":{min,avg,max,mdev}}, then
#       restores the configured delay (offset unchanged; `set --offset-us
#       auto` measures and applies it).
#   path.sh delay-stats   The delay program's statistics now (JSON).
#   path.sh status        Whether the path is up, and its configuration (JSON).
# Each command prints its wall time on stderr.
set -euo pipefail

readonly ns_client=slab-client ns_router=slab-router ns_server=slab-server
readonly state=/run/strata-lab
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly root
readonly veths=("$ns_client:lab-c" "$ns_router:lab-rc" "$ns_router:lab-rs" "$ns_server:lab-s")
readonly mtu_frame=1514

t_start=$(date +%s%N)
command_name=${1:-}
report_time() {
    local rc=$?
    local t_end
    t_end=$(date +%s%N)
    printf 'path.sh %s: %d.%03d s\n' "$command_name" $(((t_end - t_start) / 1000000000)) \
        $((((t_end - t_start) / 1000000) % 1000)) >&2
    return $rc
}
trap report_time EXIT

die() {
    echo "path.sh: $*" >&2
    exit 1
}

in_ns() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }

# awk does the arithmetic on decimals; bash has integers only. The
# parentheses matter: a bare ">" in awk's printf redirects to a file.
calc() { awk "BEGIN { printf \"%s\", ($1) }"; }

# --- global state: the allowed congestion control list --------------------

readonly allowed_cc=/proc/sys/net/ipv4/tcp_allowed_congestion_control
restore_allowed_cc() {
    if [[ -f $state/allowed_cc.saved ]]; then
        cat "$state/allowed_cc.saved" >"$allowed_cc"
        rm -f "$state/allowed_cc.saved"
    fi
}

set_cubic() {
    local saved
    saved=$(cat "$allowed_cc")
    local ns
    if [[ " $saved " == *" cubic "* ]]; then
        for ns in $ns_client $ns_server; do
            in_ns "$ns" sysctl -qw net.ipv4.tcp_congestion_control=cubic
        done
        return
    fi
    echo "$saved" >"$state/allowed_cc.saved"
    echo "$saved cubic" >"$allowed_cc"
    local ok=1
    for ns in $ns_client $ns_server; do
        in_ns "$ns" sysctl -qw net.ipv4.tcp_congestion_control=cubic || ok=0
    done
    restore_allowed_cc
    [[ $ok == 1 ]] || die "could not make cubic the default in the lab namespaces"
    for ns in $ns_client $ns_server; do
        [[ $(in_ns "$ns" sysctl -n net.ipv4.tcp_congestion_control) == cubic ]] ||
            die "$ns does not use cubic"
    done
}

# --- configuration ---------------------------------------------------------

# The configuration lives in $state/config as shell assignments.
rtt_ms='' loss_up=0 loss_down=0 rate_mbit=0 buffer_ms='' delay_bin='' offset_us=auto rt=1 base_rtt_us=null delay_cpu=auto

load_config() {
    [[ -f $state/config ]] || return 1
    # shellcheck disable=SC1091
    source "$state/config"
}

save_config() {
    cat >"$state/config" <<EOF
rtt_ms=$rtt_ms
loss_up=$loss_up
loss_down=$loss_down
rate_mbit=$rate_mbit
buffer_ms=$buffer_ms
delay_bin=$delay_bin
offset_us=$offset_us
base_rtt_us=$base_rtt_us
rt=$rt
delay_cpu=$delay_cpu
EOF
}

parse_impairments() {
    while [[ $# -gt 0 ]]; do
        case $1 in
        --rtt) rtt_ms=$2 ;;
        --loss) loss_up=$2 loss_down=$2 ;;
        --loss-up) loss_up=$2 ;;
        --loss-down) loss_down=$2 ;;
        --rate-mbit) rate_mbit=$2 ;;
        --no-rate) rate_mbit=0 && shift && continue ;;
        --buffer-ms) buffer_ms=$2 ;;
        --delay-bin) delay_bin=$2 ;;
        --offset-us) offset_us=$2 ;;
        --no-rt) rt=0 && shift && continue ;;
        --delay-cpu) delay_cpu=$2 ;;
        *) die "unknown option $1" ;;
        esac
        [[ $# -ge 2 ]] || die "$1 needs a value"
        shift 2
    done
    [[ -n $rtt_ms ]] || die "--rtt MS is required"
    local v
    [[ $offset_us == auto ]] || is_number "$offset_us" || die "--offset-us: a number or auto"
    local cpus
    cpus=$(nproc)
    if [[ $delay_cpu == auto ]]; then
        delay_cpu=none
        [[ $cpus -ge 2 ]] && delay_cpu=$((cpus - 1))
    fi
    if [[ $delay_cpu != none ]]; then
        [[ $delay_cpu =~ ^[0-9]+$ && $delay_cpu -lt $cpus && $cpus -ge 2 ]] ||
            die "--delay-cpu: a CPU number below $cpus (and at least 2 CPUs), or none"
    fi
    for v in "$rtt_ms" "$loss_up" "$loss_down" "$rate_mbit" ${buffer_ms:+"$buffer_ms"}; do
        is_number "$v" || die "not a number: $v"
    done
    [[ $(calc "($loss_up <= 100 && $loss_down <= 100) ? 1 : 0") == 1 ]] || die "loss is a percentage"
    if [[ -z $delay_bin ]]; then
        delay_bin=${STRATA_LAB_DELAY:-}
    fi
    if [[ -z $delay_bin ]]; then
        # shellcheck disable=SC2012 # build directory names have no odd characters
        delay_bin=$(ls -t "$root"/build*/benchmarks/strata_lab_delay 2>/dev/null | head -1 || true)
    fi
    [[ -n $delay_bin && -x $delay_bin ]] ||
        die "strata_lab_delay not found: build it (target strata_lab_delay) and pass --delay-bin"
    delay_bin=$(realpath "$delay_bin")
}

# One-way delay per direction in us: half the RTT, less the path's own share.
one_way_us() {
    local us
    us=$(calc "int($rtt_ms * 1000 / 2 - $offset_us + 0.5)")
    [[ $us -ge 0 ]] || us=0
    echo "$us"
}

# --- the delay program -------------------------------------------------------

# Running, not a zombie: pid 1 of this VM (process_api) reaps orphans late,
# seconds after they exit.
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

delay_pid() {
    [[ -f $state/delay.pid ]] || return 1
    local pid
    pid=$(cat "$state/delay.pid")
    [[ -n $pid ]] && alive "$pid" || return 1
    # A recycled pid is not ours.
    [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$(cat "$state/delay.exe" 2>/dev/null)" ]] || return 1
    echo "$pid"
}

stop_delay() {
    local pid
    if pid=$(delay_pid); then
        kill -TERM "$pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 100; i++)); do
            alive "$pid" || break
            sleep 0.01
        done
        if alive "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
            echo "path.sh: the delay program did not stop on SIGTERM; killed" >&2
        fi
    fi
    rm -f "$state/delay.pid"
}

# start_delay UP_US DOWN_US
start_delay() {
    local up_us=$1 down_us=$2
    local rt_args=()
    [[ $rt == 1 ]] && rt_args=(--sched-fifo 50)
    [[ $delay_cpu != none ]] && rt_args+=(--cpu "$delay_cpu")
    rm -f "$state/delay.log"
    # setsid: no controlling terminal, so closing the caller's terminal does
    # not stop the path. ip netns exec and setsid exec (not in_ns: a function
    # in the background is a subshell), so $! is the program.
    ip netns exec $ns_router setsid "$delay_bin" --queue "0:$up_us" --queue "1:$down_us" \
        --stats "$state/delay-stats.json" "${rt_args[@]}" >"$state/delay.log" 2>&1 </dev/null &
    local pid=$!
    local i
    for ((i = 0; i < 250; i++)); do
        grep -q '^ready$' "$state/delay.log" 2>/dev/null && break
        alive "$pid" || break
        sleep 0.01
    done
    if ! grep -q '^ready$' "$state/delay.log" 2>/dev/null; then
        cat "$state/delay.log" >&2 || true
        kill -KILL "$pid" 2>/dev/null || true
        die "the delay program did not start"
    fi
    if [[ $(readlink "/proc/$pid/exe") != "$delay_bin" ]]; then
        # setsid forks when it leads its process group: find the program.
        local p
        for p in $(ip netns pids $ns_router); do
            [[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$delay_bin" ]] && pid=$p
        done
        [[ $(readlink "/proc/$pid/exe") == "$delay_bin" ]] || die "cannot find the delay program's pid"
    fi
    echo "$pid" >"$state/delay.pid"
    echo "$delay_bin" >"$state/delay.exe"
}

# --- rules -----------------------------------------------------------------

# The router's filter table, loaded in one iptables-restore (atomic; the
# counters start at 0). Policy DROP: nothing is forwarded around the queue.
load_rules() {
    local rules
    rules="*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
"
    local dir iface queue pct
    for dir in up down; do
        if [[ $dir == up ]]; then
            iface=lab-rc queue=0 pct=$loss_up
        else
            iface=lab-rs queue=1 pct=$loss_down
        fi
        rules+="-A FORWARD -i $iface -m comment --comment lab-$dir-all
"
        if [[ $(calc "$pct > 0 ? 1 : 0") == 1 ]]; then
            rules+="-A FORWARD -i $iface -m statistic --mode random --probability $(calc "$pct / 100") -m comment --comment lab-$dir-drop -j DROP
"
        fi
        rules+="-A FORWARD -i $iface -m comment --comment lab-$dir-queue -j NFQUEUE --queue-num $queue
"
    done
    rules+="COMMIT
"
    printf '%s' "$rules" | in_ns $ns_router iptables-legacy-restore -w
    save_baseline
}

# RPS on the endpoints' veths: their receive processing goes to the CPUs
# other than the delay program's (see the header); all CPUs when it has none.
set_rps() {
    local cpus mask
    cpus=$(nproc)
    [[ $cpus -le 32 ]] || cpus=32
    mask=$(((1 << cpus) - 1))
    [[ $delay_cpu == none ]] || mask=$((mask & ~(1 << delay_cpu)))
    [[ $delay_cpu == none ]] && mask=0
    local entry queue
    for entry in "$ns_client:lab-c" "$ns_server:lab-s"; do
        for queue in $(in_ns "${entry%%:*}" sh -c "ls -d /sys/class/net/${entry#*:}/queues/rx-*"); do
            in_ns "${entry%%:*}" sh -c "printf '%x' $mask >$queue/rps_cpus"
        done
    done
}

set_rate() {
    local iface
    for iface in lab-rc lab-rs; do
        in_ns $ns_router tc qdisc del dev $iface root 2>/dev/null || true
    done
    [[ $(calc "$rate_mbit > 0 ? 1 : 0") == 1 ]] || return 0
    local bytes_per_s burst limit buf_ms=${buffer_ms:-$rtt_ms}
    bytes_per_s=$(calc "$rate_mbit * 1000000 / 8")
    burst=$(calc "int($bytes_per_s / 1000 > 2 * $mtu_frame ? $bytes_per_s / 1000 : 2 * $mtu_frame)")
    limit=$(calc "int($bytes_per_s * $buf_ms / 1000)")
    [[ $limit -ge $((10 * mtu_frame)) ]] || limit=$((10 * mtu_frame))
    [[ $limit -ge $burst ]] || limit=$burst
    for iface in lab-rc lab-rs; do
        in_ns $ns_router tc qdisc replace dev $iface root tbf rate "${rate_mbit}mbit" burst "$burst" limit "$limit"
    done
}

# The kernel's drop counters of the queues (queue full, or no room in our
# socket): the baseline taken at zero time, subtracted by `counters`.
nfq_drops() {
    # queue_number peer_portid queue_total copy_mode copy_range queue_dropped user_dropped ...
    in_ns $ns_router cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
        awk -v q="$1" '$1 == q { s = $6 + $7 } END { print s + 0 }'
}

# Packets tbf dropped (the bottleneck buffer was full) on an egress veth.
tbf_drops() {
    in_ns $ns_router tc -s qdisc show dev "$1" 2>/dev/null |
        awk '/^qdisc tbf/ { tbf = 1 } tbf && /dropped/ { sub(/.*dropped /, ""); sub(/,.*/, ""); print; exit }
             END { if (!tbf) print 0 }'
}

save_baseline() {
    echo "nfq_base_up=$(nfq_drops 0) nfq_base_down=$(nfq_drops 1)" \
        "tbf_base_up=$(tbf_drops lab-rs) tbf_base_down=$(tbf_drops lab-rc)" >"$state/baseline"
}

# counters_line DIR -> "packets bytes dropped delay_dropped rate_dropped"
counters_line() {
    local dir=$1 queue=0 egress=lab-rs
    [[ $dir == down ]] && queue=1 egress=lab-rc
    local listing
    listing=$(in_ns $ns_router iptables-legacy -w -L FORWARD -v -x -n)
    local all drop
    all=$(awk -v c="/* lab-$dir-all */" 'index($0, c) { print $1, $2 }' <<<"$listing")
    drop=$(awk -v c="/* lab-$dir-drop */" 'index($0, c) { print $1 }' <<<"$listing")
    local nfq_base_up=0 nfq_base_down=0 tbf_base_up=0 tbf_base_down=0
    # shellcheck disable=SC1091
    [[ -f $state/baseline ]] && source "$state/baseline"
    local base=$nfq_base_up tbf_base=$tbf_base_up
    [[ $dir == down ]] && base=$nfq_base_down tbf_base=$tbf_base_down
    local tbf=$(($(tbf_drops $egress) - tbf_base))
    [[ $tbf -ge 0 ]] || tbf=0
    echo "${all:-0 0} ${drop:-0} $(($(nfq_drops $queue) - base)) $tbf"
}

counters_json() {
    local up down
    read -r -a up <<<"$(counters_line up)"
    read -r -a down <<<"$(counters_line down)"
    printf '{"up":{"packets":%s,"bytes":%s,"dropped_packets":%s,"delay_dropped":%s,"rate_dropped":%s},' "${up[@]}"
    printf '"down":{"packets":%s,"bytes":%s,"dropped_packets":%s,"delay_dropped":%s,"rate_dropped":%s}}\n' "${down[@]}"
}

require_up() {
    load_config || die "the path is not up (path.sh up --rtt MS ...)"
    ip netns list | grep -qw $ns_router || die "the path is not up: no $ns_router namespace"
}

# --- up / down -------------------------------------------------------------

teardown() {
    mkdir -p "$state"
    stop_delay
    local ns pid
    for ns in $ns_client $ns_router $ns_server; do
        if ip netns list | grep -qw "$ns"; then
            # Whatever still runs inside the lab (servers an experiment
            # left, a delay program no pidfile names) would keep the old
            # namespace alive after `ip netns del`.
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                kill -KILL "$pid" 2>/dev/null || true
            done
            ip netns del "$ns" 2>/dev/null || true
        fi
    done
    restore_allowed_cc
    rm -f "$state/config" "$state/baseline" "$state/delay.exe"
}

veth_offloads_off() {
    local ns=$1 dev=$2 feature
    # Every segmentation and receive-offload feature that is on and not
    # [fixed], one at a time: one the driver refuses must not stop the rest.
    local pattern='segmentation|receive-offload|gro|gso'
    for feature in $(in_ns "$ns" ethtool -k "$dev" |
        awk -F': ' -v p="$pattern" '$1 ~ p && $2 ~ /^on/ && $2 !~ /fixed/ { sub(/^[ \t]+/, "", $1); print $1 }'); do
        in_ns "$ns" ethtool -K "$dev" "$feature" off >/dev/null 2>&1 || true
    done
    local still_on
    still_on=$(in_ns "$ns" ethtool -k "$dev" |
        awk -F': ' -v p="$pattern" '$1 ~ p && $2 ~ /^on/ { sub(/^[ \t]+/, "", $1); printf "%s%s", sep, $1; sep = ", " }')
    [[ -z $still_on ]] || echo "path.sh: $ns/$dev keeps on: $still_on" >&2
}

# The path's own round trip, with the delay program holding nothing: veth
# hops, forwarding, and two trips through the queue and our socket (about
# 150-230 us on this VM, mostly the wake-up of an idle vCPU). Without tbf,
# whose serialisation delay belongs to the emulated link. Leaves the delay
# program stopped. Prints "min avg max mdev" in us.
measure_base() {
    local count=$1 iface
    for iface in lab-rc lab-rs; do
        in_ns $ns_router tc qdisc del dev $iface root 2>/dev/null || true
    done
    stop_delay
    start_delay 0 0
    local rtt
    read -r -a rtt <<<"$(ping_rtt "$count" 0.005 1)"
    stop_delay
    local mdev_us
    mdev_us=$(calc "int(${rtt[3]} * 1000 + 0.5)")
    if [[ $mdev_us -gt 100 ]]; then
        echo "path.sh: the base round trip varies (mdev $mdev_us us): a busy machine?" >&2
    fi
    calc "int(${rtt[0]} * 1000 + 0.5) \" \" int(${rtt[1]} * 1000 + 0.5) \" \" int(${rtt[2]} * 1000 + 0.5) \" \" $mdev_us"
}

# --offset-us auto: half the base round trip's mean comes off each direction.
resolve_offset() {
    [[ $offset_us == auto ]] || return 0
    local base
    read -r -a base <<<"$(measure_base 200)"
    base_rtt_us=${base[1]}
    offset_us=$(calc "int(${base[1]} / 2 + 0.5)")
}

up() {
    parse_impairments "$@"
    teardown
    local ns
    for ns in $ns_client $ns_router $ns_server; do
        ip netns add "$ns"
        in_ns "$ns" ip link set lo up
        # Before the veths exist, so they are born without IPv6.
        in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done
    ip link add lab-c netns $ns_client type veth peer name lab-rc netns $ns_router
    ip link add lab-rs netns $ns_router type veth peer name lab-s netns $ns_server
    in_ns $ns_client ip addr add 10.77.1.2/24 dev lab-c
    in_ns $ns_router ip addr add 10.77.1.1/24 dev lab-rc
    in_ns $ns_router ip addr add 10.77.2.1/24 dev lab-rs
    in_ns $ns_server ip addr add 10.77.2.2/24 dev lab-s
    local entry
    for entry in "${veths[@]}"; do
        veth_offloads_off "${entry%%:*}" "${entry#*:}"
        in_ns "${entry%%:*}" ip link set "${entry#*:}" up
    done
    in_ns $ns_client ip route add default via 10.77.1.1
    in_ns $ns_server ip route add default via 10.77.2.1
    in_ns $ns_router sysctl -qw net.ipv4.ip_forward=1
    set_rps
    set_cubic
    load_rules
    resolve_offset

    local d
    d=$(one_way_us)
    start_delay "$d" "$d"
    load_rules
    set_rate
    save_baseline
    save_config
    status_json
}

set_impairments() {
    require_up
    parse_impairments "$@"
    set_rps
    resolve_offset
    stop_delay
    local d
    d=$(one_way_us)
    start_delay "$d" "$d"
    load_rules
    set_rate
    save_baseline
    save_config
    status_json
}

# --- measuring -------------------------------------------------------------

# ping_rtt COUNT INTERVAL PARALLEL -> "min avg max mdev sent received" (ms)
# iputils ping cannot pace faster than about one echo per 8-10 ms while
# replies are outstanding (it then sleeps 1/CLK_TCK = 10 ms between sends),
# whatever -i says: at 50 ms RTT that is ~120 echoes/s. PARALLEL pings (each
# COUNT/PARALLEL) multiply the rate; their statistics are pooled exactly
# (ping's mdev is the standard deviation).
ping_rtt() {
    local count=$1 interval=$2 parallel=$3
    # After the last echo request ping waits 2 RTTs for missing replies if it
    # got any, else -W s.
    local wait_s
    wait_s=$(calc "int($rtt_ms * 3 / 1000) + 1")
    local dir i n pids=()
    dir=$(mktemp -d "$state/ping.XXXXXX")
    for ((i = 0; i < parallel; i++)); do
        n=$((count / parallel + (i < count % parallel ? 1 : 0)))
        [[ $n -gt 0 ]] || continue
        ip netns exec $ns_client ping -q -n -c "$n" -i "$interval" -W "$wait_s" 10.77.2.2 >"$dir/$i" 2>&1 &
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        wait "$i" || true
    done
    local result
    result=$(cat "$dir"/* | awk '
        /packets transmitted/ { sent += $1; received += $4 }
        /^rtt min\/avg\/max\/mdev/ {
            split($4, v, "/"); k = received - seen; seen = received
            if (min == "" || v[1] < min) min = v[1]
            if (v[3] > max) max = v[3]
            sum += k * v[2]; sum2 += k * (v[4] * v[4] + v[2] * v[2]); n += k
        }
        END {
            if (n == 0) exit 1
            avg = sum / n; var = sum2 / n - avg * avg
            printf "%.3f %.3f %.3f %.3f %d %d\n", min, avg, max, sqrt(var > 0 ? var : 0), sent, received
        }') || {
        cat "$dir"/* >&2
        rm -rf "$dir"
        die "ping got no reply"
    }
    rm -rf "$dir"
    echo "$result"
}

calibrate() {
    require_up
    local count=200 interval=0.005 parallel=''
    while [[ $# -gt 0 ]]; do
        case $1 in
        --count) count=$2 ;;
        --interval) interval=$2 ;;
        --parallel) parallel=$2 ;;
        *) die "unknown option $1" ;;
        esac
        shift 2
    done
    local before after rtt
    read -r -a before <<<"$(counters_line up) $(counters_line down)"
    if [[ -z $parallel ]]; then
        parallel=$((count / 200))
        [[ $parallel -ge 1 ]] || parallel=1
        [[ $parallel -le 16 ]] || parallel=16
    fi
    read -r -a rtt <<<"$(ping_rtt "$count" "$interval" "$parallel")"
    read -r -a after <<<"$(counters_line up) $(counters_line down)"
    local up_total=$((after[0] - before[0])) up_drop=$((after[2] - before[2]))
    local down_total=$((after[5] - before[5])) down_drop=$((after[7] - before[7]))
    printf '{"rtt_ms":{"min":%s,"avg":%s,"max":%s,"mdev":%s},"configured_rtt_ms":%s,' \
        "${rtt[0]}" "${rtt[1]}" "${rtt[2]}" "${rtt[3]}" "$rtt_ms"
    printf '"ping":{"sent":%s,"received":%s,"parallel":%s},' "${rtt[4]}" "${rtt[5]}" "$parallel"
    printf '"loss":{"configured_pct_up":%s,"measured_pct_up":%s,"packets_up":%s,' \
        "$loss_up" "$(calc "$up_total ? 100 * $up_drop / $up_total : 0")" "$up_total"
    printf '"configured_pct_down":%s,"measured_pct_down":%s,"packets_down":%s},' \
        "$loss_down" "$(calc "$down_total ? 100 * $down_drop / $down_total : 0")" "$down_total"
    printf '"delay_dropped":{"up":%s,"down":%s},"rate_dropped":{"up":%s,"down":%s}}\n' \
        $((after[3] - before[3])) $((after[8] - before[8])) $((after[4] - before[4])) $((after[9] - before[9]))
}

base() {
    require_up
    local count=200
    [[ ${1:-} == --count ]] && count=$2
    local rtt
    read -r -a rtt <<<"$(measure_base "$count")"
    local d
    d=$(one_way_us)
    start_delay "$d" "$d"
    set_rate
    printf '{"base_rtt_us":{"min":%s,"avg":%s,"max":%s,"mdev":%s},"offset_us_in_use":%s}\n' \
        "${rtt[0]}" "${rtt[1]}" "${rtt[2]}" "${rtt[3]}" "$offset_us"
}

delay_stats() {
    local pid
    pid=$(delay_pid) || die "the delay program is not running"
    local before
    before=$(stat -c %y "$state/delay-stats.json" 2>/dev/null || echo none)
    kill -USR1 "$pid"
    local i
    for ((i = 0; i < 100; i++)); do
        [[ $(stat -c %y "$state/delay-stats.json" 2>/dev/null || echo none) != "$before" ]] && break
        sleep 0.01
    done
    cat "$state/delay-stats.json"
}

status_json() {
    if ! load_config || ! ip netns list | grep -qw $ns_router; then
        echo '{"up":false}'
        return
    fi
    local pid alive=false
    pid=$(delay_pid) && alive=true
    printf '{"up":true,"rtt_ms":%s,"one_way_delay_us":%s,"offset_us":%s,"base_rtt_us":%s,' \
        "$rtt_ms" "$(one_way_us)" "$offset_us" "$base_rtt_us"
    printf '"loss_pct_up":%s,"loss_pct_down":%s,' "$loss_up" "$loss_down"
    printf '"rate_mbit":%s,"buffer_ms":%s,"delay_program":{"pid":%s,"running":%s,"sched_fifo":%s,"cpu":"%s","bin":"%s"},' \
        "$rate_mbit" "${buffer_ms:-$rtt_ms}" "${pid:-null}" "$alive" "$rt" "$delay_cpu" "$delay_bin"
    printf '"client":"10.77.1.2","server":"10.77.2.2","namespaces":["%s","%s","%s"]}\n' \
        $ns_client $ns_router $ns_server
}

[[ $EUID == 0 ]] || die "run as root"
mkdir -p "$state"
case $command_name in
up) shift && up "$@" ;;
set) shift && set_impairments "$@" ;;
down) teardown ;;
counters) require_up && counters_json ;;
zero)
    require_up
    in_ns $ns_router iptables-legacy -w -Z FORWARD
    save_baseline
    ;;
calibrate) shift && calibrate "$@" ;;
base) shift && base "$@" ;;
delay-stats) delay_stats ;;
status) status_json ;;
*) die "usage: path.sh up|set|down|counters|zero|calibrate|base|delay-stats|status (see the header)" ;;
esac
