# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Debian's python3-websockets (10.x, its asyncio API) as the peer of strata's
# WebSocket, run by websocket_interop_test.cpp with /usr/bin/python3.
#
#   ws_peer.py client --url=URL --scenario=NAME [--deflate=VARIANT] [--subprotocols=a,b]
#       Scenarios:
#         echo        sends the shared messages and checks their echoes, pings
#                     and waits for the pong, closes with 4000 and a reason
#         bad-utf8    a text frame that is not UTF-8, written after a real handshake
#         unmasked    a client frame without a mask, written on the raw socket
#         too-big     one 100000-byte binary message in one frame
#         too-big-fragmented
#                     the same 100000 bytes as ten fragments of one message
#       Prints, one a line:
#         OPEN subprotocol=<name or -> extensions=<Sec-WebSocket-Extensions or ->
#         ECHO <message name> ok | ECHO <name> mismatch <why>
#         PONG ok | PONG timeout
#         CLOSED <code the peer's close frame had> <its reason>
#
#   ws_peer.py server [--deflate=VARIANT] [--subprotocols=a,b]
#       Listens on 127.0.0.1 (a port of its own), prints LISTENING <port>, and
#       echoes every message, except three commands:
#         cmd:info   answers "subprotocol=<name or -> extensions=<header or ->"
#         cmd:ping   pings; answers "pong received" once the pong came back
#         cmd:close  closes with 1001 "python server going away"
#       and logs OPEN ..., PONG ..., CLOSED <code> <reason> (what came back).
#
# Deflate variants: off, on (the library's default offer or answer),
# no_context_takeover (both directions), window_bits_10 (both directions).
import argparse
import asyncio
import sys

import websockets
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

TIMEOUT = 30


def pattern(n):
    """Bytes whose repeats lie far apart, the same in the C++ and the node peers."""
    return bytes((i * 2654435761 // 8192) % 256 for i in range(n))


def noise(n):
    """Bytes deflate cannot shrink (xorshift32), the same in the C++ and the node peers."""
    x = 2463534242
    out = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x & 0xFF
    return bytes(out)


# (name, message): what every echo scenario sends, in this order. The C++
# test has the same list (peer_messages()).
MESSAGES = [
    ("text", "hello, strata"),
    ("utf8", "h\u00e9llo \u2713 \U0001d11e"),
    ("empty_text", ""),
    ("empty_binary", b""),
    ("repetitive", "strata websocket " * 4096),
    ("mib", pattern(1024 * 1024)),
    ("noise", noise(64 * 1024)),
]


def client_extensions(variant):
    if variant == "no_context_takeover":
        return [ClientPerMessageDeflateFactory(server_no_context_takeover=True, client_no_context_takeover=True)]
    if variant == "window_bits_10":
        return [ClientPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=10)]
    return None


def server_extensions(variant):
    if variant == "no_context_takeover":
        return [ServerPerMessageDeflateFactory(server_no_context_takeover=True, client_no_context_takeover=True)]
    if variant == "window_bits_10":
        return [ServerPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=10)]
    return None


def compression(variant):
    # A list of extensions replaces the default one.
    return None if variant in ("off", "no_context_takeover", "window_bits_10") else "deflate"


def say(line):
    print(line, flush=True)


async def expect_close(ws):
    """Reads until the connection closes; prints the close frame that came."""
    try:
        while True:
            await ws.recv()
    except ConnectionClosed:
        pass
    say(f"CLOSED {ws.close_code} {ws.close_reason}")


async def run_client(args):
    subprotocols = [p for p in args.subprotocols.split(",") if p] or None
    ws = await websockets.connect(
        args.url,
        compression=compression(args.deflate),
        extensions=client_extensions(args.deflate),
        subprotocols=subprotocols,
        max_size=16 * 1024 * 1024,
        ping_interval=None,
        open_timeout=TIMEOUT,
        close_timeout=TIMEOUT,
    )
    header = ws.response_headers.get("Sec-WebSocket-Extensions") or "-"
    say(f"OPEN subprotocol={ws.subprotocol or '-'} extensions={header}")

    if args.scenario == "echo":
        for name, data in MESSAGES:
            await ws.send(data)
            got = await ws.recv()
            if type(got) is not type(data):
                say(f"ECHO {name} mismatch type {type(got).__name__}")
            elif got != data:
                say(f"ECHO {name} mismatch {len(got)} of {len(data)} bytes")
            else:
                say(f"ECHO {name} ok")
        pong = await ws.ping(b"python ping")
        try:
            await asyncio.wait_for(pong, 5)
            say("PONG ok")
        except asyncio.TimeoutError:
            say("PONG timeout")
        await ws.close(4000, "python says goodbye")
        say(f"CLOSED {ws.close_code} {ws.close_reason}")
    elif args.scenario == "bad-utf8":
        # "caf" and a lone continuation byte: RFC 6455 §8.1 says fail with 1007.
        await ws.write_frame(True, 0x1, b"caf\x80")
        await expect_close(ws)
    elif args.scenario == "unmasked":
        # RFC 6455 §5.1: a server closes on an unmasked client frame (1002).
        ws.transport.write(b"\x81\x05hello")
        await expect_close(ws)
    elif args.scenario == "too-big":
        await ws.send(pattern(100000))
        await expect_close(ws)
    elif args.scenario == "too-big-fragmented":
        data = pattern(100000)
        await ws.send(data[i : i + 10000] for i in range(0, len(data), 10000))
        await expect_close(ws)
    else:
        raise SystemExit(f"ws_peer: unknown scenario {args.scenario}")


async def serve(args):
    subprotocols = [p for p in args.subprotocols.split(",") if p] or None

    async def session(ws):
        header = ws.response_headers.get("Sec-WebSocket-Extensions") or "-"
        info = f"subprotocol={ws.subprotocol or '-'} extensions={header}"
        say(f"OPEN {info}")
        try:
            async for message in ws:
                if message == "cmd:info":
                    await ws.send(info)
                elif message == "cmd:ping":
                    pong = await ws.ping(b"python server ping")
                    try:
                        await asyncio.wait_for(pong, 5)
                        say("PONG ok")
                        await ws.send("pong received")
                    except asyncio.TimeoutError:
                        say("PONG timeout")
                        await ws.send("pong timeout")
                elif message == "cmd:close":
                    await ws.close(1001, "python server going away")
                else:
                    await ws.send(message)
        except ConnectionClosed:
            pass
        say(f"CLOSED {ws.close_code} {ws.close_reason}")

    server = await websockets.serve(
        session,
        "127.0.0.1",
        0,
        compression=compression(args.deflate),
        extensions=server_extensions(args.deflate),
        subprotocols=subprotocols,
        max_size=16 * 1024 * 1024,
        ping_interval=None,
        close_timeout=TIMEOUT,
    )
    say(f"LISTENING {server.sockets[0].getsockname()[1]}")
    await asyncio.Future()  # until the test stops it


def main():
    parser = argparse.ArgumentParser(prog="ws_peer.py")
    parser.add_argument("mode", choices=["client", "server"])
    parser.add_argument("--url")
    parser.add_argument("--scenario", default="echo")
    parser.add_argument("--deflate", default="on", choices=["off", "on", "no_context_takeover", "window_bits_10"])
    parser.add_argument("--subprotocols", default="")
    args = parser.parse_args()
    try:
        if args.mode == "client":
            asyncio.run(asyncio.wait_for(run_client(args), TIMEOUT))
        else:
            asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except Exception as e:  # the test shows stderr
        print(f"ws_peer: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
