#!/usr/bin/env bash
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Smoke test of the strata tool: `strata serve` on free ports with a temp
# root, then `strata get`, `strata poll`, `strata sse` and `strata ws`
# against it the way people use them. Usage: smoke.sh path/to/strata
set -euo pipefail

strata=${1:?usage: smoke.sh path/to/strata}
work=$(mktemp -d)
pid=
sse_pid=
ws_pid=
cleanup() {
    for p in $pid $sse_pid $ws_pid; do
        if kill -0 "$p" 2>/dev/null; then
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [[ -f $work/serve.log ]] && sed 's/^/  serve: /' "$work/serve.log" >&2
    exit 1
}
step() { echo "== $*"; }

read -r http_port https_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
http=http://127.0.0.1:$http_port
https=https://127.0.0.1:$https_port

mkdir -p "$work/root" "$work/run"
chmod 700 "$work/run"
head -c 300000 /dev/urandom > "$work/root/data.bin"
echo "static text" > "$work/root/note.txt"

# The dev certificate goes to $XDG_RUNTIME_DIR/strata: keep it inside $work.
XDG_RUNTIME_DIR=$work/run "$strata" serve --host 127.0.0.1 --http "$http_port" --https "$https_port" \
    --root "$work/root" > "$work/serve.log" 2>&1 &
pid=$!

step "waiting for the server"
for _ in $(seq 100); do
    if "$strata" get --max-time 1 "$http/hello" > /dev/null 2>&1; then break; fi
    kill -0 "$pid" 2>/dev/null || fail "strata serve exited"
    sleep 0.1
done
cert=$(sed -n 's/^development certificate: //p' "$work/serve.log")
[[ -f $cert ]] || fail "no development certificate printed"
[[ $(stat -c %a "$work/run/strata/localhost-key.pem") == 600 ]] || fail "key file is not 0600"

step "get /hello"
[[ $("$strata" get "$http/hello") == "hello from strata" ]] || fail "GET /hello body"

step "get -I"
head_out=$("$strata" get -I "$http/note.txt")
grep -q '^HTTP/1.1 200 OK' <<< "$head_out" || fail "-I status line: $head_out"
grep -qi '^Content-Length: 12' <<< "$head_out" || fail "-I Content-Length: $head_out"
grep -qi '^ETag: "' <<< "$head_out" || fail "-I ETag: $head_out"

step "get -o of a static file"
"$strata" get -o "$work/copy.bin" "$http/data.bin"
cmp -s "$work/root/data.bin" "$work/copy.bin" || fail "downloaded file differs"

step "get -v"
"$strata" get -v "$http/hello" 2> "$work/verbose.txt" > /dev/null
grep -q '^> GET /hello HTTP/1.1' "$work/verbose.txt" || fail "-v request head"
grep -q '^\* Using HTTP/1.1' "$work/verbose.txt" || fail "-v protocol"
grep -q '^< HTTP/1.1 200 OK' "$work/verbose.txt" || fail "-v response head"

step "https with the dev certificate"
[[ $("$strata" get --cacert "$cert" "$https/hello") == "hello from strata" ]] || fail "https GET"
rc=0
"$strata" get --max-time 5 "$https/hello" > /dev/null 2>&1 || rc=$?
[[ $rc == 60 ]] || fail "untrusted certificate: exit $rc, want 60"
[[ $("$strata" get --insecure "$https/hello" 2> /dev/null) == "hello from strata" ]] || fail "--insecure"

step "HTTP/2: ALPN h2 on the TLS port, prior knowledge on the cleartext port"
"$strata" get -v --cacert "$cert" "$https/hello" 2> "$work/h2tls.txt" > "$work/h2tls.body"
grep -q '^\* ALPN: server accepted h2' "$work/h2tls.txt" || fail "-v over TLS does not show h2"
grep -q '^\* Using HTTP/2' "$work/h2tls.txt" || fail "TLS did not use HTTP/2"
[[ $(cat "$work/h2tls.body") == "hello from strata" ]] || fail "h2 body over TLS"
"$strata" get -v --http2-prior-knowledge "$http/data.bin" -o "$work/h2copy.bin" 2> "$work/h2c.txt"
grep -q '^\* Using HTTP/2' "$work/h2c.txt" || fail "prior knowledge did not use HTTP/2"
cmp -s "$work/root/data.bin" "$work/h2copy.bin" || fail "file over h2c differs"
"$strata" get -v --http1.1 --cacert "$cert" "$https/hello" 2> "$work/h1tls.txt" > /dev/null
grep -q '^\* Using HTTP/1.1' "$work/h1tls.txt" || fail "--http1.1 over TLS did not use HTTP/1.1"

step "HTTP/3: --http3 on the QUIC port (the HTTPS port number, over UDP), Alt-Svc on the TLS port"
"$strata" get -v --http3 --cacert "$cert" "$https/hello" 2> "$work/h3.txt" > "$work/h3.body"
grep -q '^\* Using HTTP/3' "$work/h3.txt" || fail "--http3 did not use HTTP/3: $(cat "$work/h3.txt")"
grep -q '^\* Why: HTTP/3 only' "$work/h3.txt" || fail "-v does not say why HTTP/3"
[[ $(cat "$work/h3.body") == "hello from strata" ]] || fail "h3 body"
"$strata" get --http3 --cacert "$cert" -o "$work/h3copy.bin" "$https/data.bin" 2> /dev/null
cmp -s "$work/root/data.bin" "$work/h3copy.bin" || fail "file over HTTP/3 differs"
grep -q "^\* Alt-Svc: h3=\":$https_port\"" "$work/h2tls.txt" || fail "the TLS response did not advertise h3"
rc=0
"$strata" get --http3 --max-time 5 "$http/hello" > /dev/null 2>&1 || rc=$?
[[ $rc != 0 ]] || fail "--http3 on an http:// URL succeeded"

step "--fail on 404"
rc=0
"$strata" get --fail "$http/no-such-file" > "$work/fail.out" 2>&1 || rc=$?
[[ $rc == 22 ]] || fail "--fail: exit $rc, want 22"
rc=0
"$strata" get "$http/no-such-file" > /dev/null || rc=$?
[[ $rc == 0 ]] || fail "404 without --fail: exit $rc, want 0"

step "-d echo"
[[ $("$strata" get -d 'a=1&b=2' "$http/echo") == "a=1&b=2" ]] || fail "-d body"
echo_out=$("$strata" get -i -H 'Content-Type: application/json' -d '{"x":1}' "$http/echo")
grep -qi '^Content-Type: application/json' <<< "$echo_out" || fail "-d Content-Type: $echo_out"
grep -q '^{"x":1}$' <<< "$echo_out" || fail "-d JSON body: $echo_out"
printf 'from a file' > "$work/payload"
[[ $("$strata" get -d "@$work/payload" "$http/echo") == "from a file" ]] || fail "-d @file"

step "stream"
[[ $("$strata" get "$http/stream?n=3" | wc -l) == 3 ]] || fail "/stream?n=3"

step "poll /scores"
timeout 20 "$strata" poll --count 1 --interval 200ms "$http/scores" > "$work/poll.out" 2> "$work/poll.err" ||
    fail "poll exited $?"
grep -q '"match"' "$work/poll.out" || fail "poll printed no update: $(cat "$work/poll.out")"
grep -q 'requests' "$work/poll.err" || fail "poll printed no summary"

step "sse: the tick demo over HTTP/1.1, HTTP/2 (ALPN) and HTTP/3, two events each"
sse_ticks() { # name, expected version, then the URL and flags
    local name=$1 version=$2
    shift 2
    timeout 20 "$strata" sse -v --count 2 "$@" > "$work/sse-$name.out" 2> "$work/sse-$name.err" ||
        fail "sse $name exited $?: $(cat "$work/sse-$name.err")"
    [[ $(grep -c '^\[tick id=[0-9]*\] [0-9]*$' "$work/sse-$name.out") == 2 ]] ||
        fail "sse $name: want two [tick id=N] N lines: $(cat "$work/sse-$name.out")"
    grep -q "^\* Using $version (connection 1)" "$work/sse-$name.err" ||
        fail "sse $name: -v does not say $version: $(cat "$work/sse-$name.err")"
    # A topic numbers its events; the counter publishes its count as data: consecutive both.
    local ids
    ids=$(sed -n 's/^\[tick id=\([0-9]*\)\] \1$/\1/p' "$work/sse-$name.out" | tr '\n' ' ')
    read -r first second <<< "$ids"
    [[ -n $second && $second == $((first + 1)) ]] || fail "sse $name: ids not consecutive: $ids"
}
sse_ticks h1 HTTP/1.1 --http1.1 "$http/ticks/events"
sse_ticks h2 HTTP/2 --http2 --cacert "$cert" "$https/ticks/events"
sse_ticks h3 HTTP/3 --http3 --cacert "$cert" "$https/ticks/events"
[[ $("$strata" sse --count 1 "$http/ticks/events") =~ ^\[tick\]\ [0-9]+$ ]] || fail "sse without -v prints [type] data"

step "sse: --last-event-id resumes right after that event"
last=$(sed -n 's/^\[tick id=\([0-9]*\)\].*/\1/p' "$work/sse-h1.out" | head -1)
resumed=$(timeout 20 "$strata" sse -v --count 1 --last-event-id "$last" "$http/ticks/events" 2> /dev/null)
[[ $resumed == "[tick id=$((last + 1))] $((last + 1))" ]] || fail "resumed after $last with: $resumed"

step "sse: a response that is not an event stream ends it with a message"
rc=0
timeout 20 "$strata" sse "$http/no-such-stream" > /dev/null 2> "$work/sse-404.err" || rc=$?
[[ $rc == 22 ]] || fail "sse on a 404: exit $rc, want 22"
grep -q 'answered 404' "$work/sse-404.err" || fail "sse on a 404 says: $(cat "$work/sse-404.err")"
rc=0
timeout 20 "$strata" sse "$http/hello" > /dev/null 2> "$work/sse-type.err" || rc=$?
[[ $rc == 1 ]] || fail "sse on text/plain: exit $rc, want 1"
grep -q 'not text/event-stream' "$work/sse-type.err" || fail "sse on text/plain says: $(cat "$work/sse-type.err")"

step "poll --long: the tick demo over HTTP/1.1 and HTTP/3"
timeout 20 "$strata" poll --long --count 1 "$http/ticks/poll" > "$work/long.out" 2> "$work/long.err" ||
    fail "poll --long exited $?: $(cat "$work/long.err")"
grep -q '^\[tick\] [0-9]*$' "$work/long.out" || fail "poll --long printed: $(cat "$work/long.out")"
timeout 20 "$strata" poll --long -v --count 2 --http3 --cacert "$cert" "$https/stocks/poll" \
    > "$work/long3.out" 2> "$work/long3.err" || fail "poll --long --http3 exited $?: $(cat "$work/long3.err")"
[[ $(grep -c '^\[quote id=[0-9]*\] {"symbol":' "$work/long3.out") == 2 ]] ||
    fail "poll --long --http3 printed: $(cat "$work/long3.out")"

step "poll --interval 200ms: the stock quote changes, and unchanged polls are 304s"
timeout 20 "$strata" poll --count 2 --interval 200ms "$http/stocks/quote" > "$work/quote.out" \
    2> "$work/quote.err" || fail "poll /stocks/quote exited $?"
[[ $(grep -c ' 200 "[^"]*" {"ASIO":' "$work/quote.out") == 2 ]] || fail "poll printed: $(cat "$work/quote.out")"
grep -Eq ', [1-9][0-9]* not modified' "$work/quote.err" || fail "no 304 while polling: $(cat "$work/quote.err")"
timeout 20 "$strata" poll --count 1 --interval 200ms --http3 --cacert "$cert" "$https/stocks/quote" \
    > "$work/quote3.out" 2> /dev/null || fail "poll --http3 /stocks/quote exited $?"
grep -q '{"ASIO":' "$work/quote3.out" || fail "poll --http3 printed: $(cat "$work/quote3.out")"

ws=ws://127.0.0.1:$http_port
wss=wss://127.0.0.1:$https_port
# Each line comes back as a message, printed on a line of its own: the
# output is the input, the last line given its line break.
printf 'hello\nsecond line: \xc3\xbcn\xc3\xafc\xc3\xb6d\xc3\xa9\n\nlast, without a line break' > "$work/ws.in"
{ cat "$work/ws.in"; echo; } > "$work/ws.want"

step "ws: /ws/echo over HTTP/1.1, HTTP/2 and HTTP/3, with and without permessage-deflate"
ws_echo() { # name, expected version, expected deflate (negotiated|not negotiated), then flags and URL
    local name=$1 version=$2 deflate=$3
    shift 3
    timeout 20 "$strata" ws -v "$@" < "$work/ws.in" > "$work/ws-$name.out" 2> "$work/ws-$name.err" ||
        fail "ws $name exited $?: $(cat "$work/ws-$name.err")"
    cmp -s "$work/ws.want" "$work/ws-$name.out" || fail "ws $name echoed: $(cat "$work/ws-$name.out")"
    grep -q "^\* Using $version " "$work/ws-$name.err" ||
        fail "ws $name: not $version: $(cat "$work/ws-$name.err")"
    grep -q "^\* permessage-deflate: $deflate\$" "$work/ws-$name.err" ||
        fail "ws $name: deflate not '$deflate': $(cat "$work/ws-$name.err")"
    grep -q '^\* closed: 1000$' "$work/ws-$name.err" ||
        fail "ws $name: no close 1000: $(cat "$work/ws-$name.err")"
}
ws_echo h1 HTTP/1.1 "not negotiated" "$ws/ws/echo"
ws_echo h1-deflate HTTP/1.1 negotiated --deflate "$ws/ws/echo"
ws_echo h1-tls HTTP/1.1 "not negotiated" --cacert "$cert" "$wss/ws/echo"
ws_echo h2 HTTP/2 "not negotiated" --http2 --cacert "$cert" "$wss/ws/echo"
ws_echo h2-deflate HTTP/2 negotiated --http2 --deflate --cacert "$cert" "$wss/ws/echo"
ws_echo h2c HTTP/2 "not negotiated" --http2-prior-knowledge "$ws/ws/echo"
ws_echo h3 HTTP/3 "not negotiated" --http3 --cacert "$cert" "$wss/ws/echo"
ws_echo h3-deflate HTTP/3 negotiated --http3 --deflate --cacert "$cert" "$wss/ws/echo"

step "ws: lines from a pipe, text and --binary"
[[ $(printf 'one\ntwo\n' | timeout 20 "$strata" ws "$ws/ws/echo") == $'one\ntwo' ]] || fail "ws from a pipe"
head -c 65536 /dev/urandom > "$work/ws-bin.in"
echo >> "$work/ws-bin.in"
timeout 20 "$strata" ws --binary --deflate --http2 --cacert "$cert" "$wss/ws/echo" < "$work/ws-bin.in" \
    > "$work/ws-bin.out" || fail "ws --binary exited $?"
cmp -s "$work/ws-bin.in" "$work/ws-bin.out" || fail "ws --binary: the bytes came back changed"

step "ws: refusals and closes are reported"
rc=0
timeout 20 "$strata" ws "$ws/no-such-socket" < /dev/null > /dev/null 2> "$work/ws-404.err" || rc=$?
[[ $rc == 1 ]] || fail "ws on a 404: exit $rc, want 1"
grep -q 'answered 404' "$work/ws-404.err" || fail "ws on a 404 says: $(cat "$work/ws-404.err")"
rc=0
long_name=$(printf 'x%.0s' {1..40}) # the room takes up to 32 bytes: it closes with 1008
timeout 20 "$strata" ws "$ws/ws/chat?name=$long_name" < /dev/null > /dev/null 2> "$work/ws-1008.err" || rc=$?
[[ $rc == 1 ]] || fail "ws closed with 1008: exit $rc, want 1"
grep -q 'closed by the server: 1008 ' "$work/ws-1008.err" ||
    fail "ws closed with 1008 says: $(cat "$work/ws-1008.err")"

step "ws: the chat room, one member hears another"
wait_for() { # file, pattern: up to 10 s
    for _ in $(seq 100); do
        grep -q "$2" "$1" 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}
mkfifo "$work/bob.in"
timeout 30 "$strata" ws -v "$ws/ws/chat?name=bob" < "$work/bob.in" > "$work/bob.out" 2> "$work/bob.err" &
ws_pid=$!
exec 3> "$work/bob.in" # bob's stdin stays open: bob stays in the room
wait_for "$work/bob.out" '^{"type":"welcome","name":"bob","members":1}$' ||
    fail "bob got no welcome: $(cat "$work/bob.out" "$work/bob.err")"
printf 'hello bob\n' | timeout 20 "$strata" ws --http3 --cacert "$cert" "$wss/ws/chat?name=alice" \
    > "$work/alice.out" || fail "alice exited $?"
wait_for "$work/bob.out" '^{"type":"leave","name":"alice","members":1}$' ||
    fail "bob did not see alice leave: $(cat "$work/bob.out")"
[[ $(sed -n 2,4p "$work/bob.out") == '{"type":"join","name":"alice","members":2}
{"type":"message","from":"alice","text":"hello bob"}
{"type":"leave","name":"alice","members":1}' ]] ||
    fail "bob heard: $(cat "$work/bob.out")"
grep -q '^{"type":"welcome","name":"alice","members":2}$' "$work/alice.out" || fail "alice heard: $(cat "$work/alice.out")"
echo 'bye' >&3 # the sender hears its own lines too: everyone sees one order
wait_for "$work/bob.out" '^{"type":"message","from":"bob","text":"bye"}$' ||
    fail "bob's own line did not come back: $(cat "$work/bob.out")"
exec 3>&- # the end of bob's stdin: he leaves with a close handshake
rc=0
wait "$ws_pid" || rc=$?
ws_pid=
[[ $rc == 0 ]] || fail "bob exited $rc: $(cat "$work/bob.err")"

step "graceful shutdown, with an event stream and a WebSocket open"
"$strata" sse "$http/ticks/events" > "$work/open-stream.out" 2>&1 &
sse_pid=$!
mkfifo "$work/carol.in"
"$strata" ws -v "$ws/ws/chat?name=carol" < "$work/carol.in" > "$work/carol.out" 2> "$work/carol.err" &
ws_pid=$!
exec 4> "$work/carol.in"
for _ in $(seq 50); do
    grep -q '^\[tick\]' "$work/open-stream.out" && break
    sleep 0.1
done
grep -q '^\[tick\]' "$work/open-stream.out" || fail "the background stream got no event"
wait_for "$work/carol.out" '"welcome"' || fail "carol got no welcome: $(cat "$work/carol.err")"
kill -TERM "$pid"
for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$pid" 2>/dev/null && fail "server still running 10 s after SIGTERM"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc == 0 ]] || fail "strata serve exited $rc after SIGTERM"
kill -TERM "$sse_pid"
rc=0
wait "$sse_pid" || rc=$?
sse_pid=
[[ $rc == 0 ]] || fail "strata sse exited $rc on SIGTERM"
rc=0
wait "$ws_pid" || rc=$?
ws_pid=
exec 4>&-
[[ $rc == 0 ]] || fail "strata ws exited $rc when the server shut down: $(cat "$work/carol.err")"
grep -q '^\* closed: 1001 the server is shutting down$' "$work/carol.err" ||
    fail "carol was not told 1001: $(cat "$work/carol.err")"
echo "all good"
