# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
#
# Debian's python3-websockets (10.x, its asyncio API) as a client of strata's
# gateway, run by gateway_interop_test.cpp with /usr/bin/python3;
# gateway_peer.js does the same with npm `ws`.
#
#   gateway_peer.py --url=URL --user=NAME --topic=TOPIC [--auth=query|header] [--ca=PEM]
#
# URL is the gateway's path (ws:// or wss://; --ca is the CA to trust). The
# token of a user is its name, sent as ?access_token=NAME or as
# Authorization: Bearer NAME (--auth). The gateway's services are the test's:
#   echo         replies "echo" with the data as sent
#   broadcast    {"topic":T,"count":N}: publishes N "score" {"n":i} on T, replies "broadcasted"
#   notify       {"count":N}: pushes N "note" {"n":i} to the sender, replies "notified"
#   notify_user  {"user":U,"count":N}: once U has no connection open, pushes N
#                "note" {"missed":i} to U, replies "notified"
# The scenario, in order:
#    1. the token "nobody" is refused with 401, before the upgrade
#    2. connects as NAME and reads the welcome (a fresh mailbox: seq 0)
#    3. subscribes to TOPIC
#    4. three echoes sent at once, with the ids 7, "e-2" and "e-3": the replies
#       come in order, carry the ids back and the data byte for byte
#    5. broadcast 3: three messages on TOPIC with topic and seq 1, 2, 3
#    6. malformed envelopes, one at a time (invalid JSON, no type, a type that
#       is not a string, an id that is a boolean, an array, a binary message,
#       an unknown type): each gets an error envelope with its code, and an
#       echo afterwards still gets through
#    7. ping with an id: pong with the id
#    8. notify 2: two mailbox messages, seq 1 and 2
#    9. closes with 1000
#   10. as NAME-admin: notify_user NAME 3 (pushes while NAME is away); closes with 1000
#   11. connects as NAME with ?after=2: the welcome's seq is 5, the three
#       missed pushes come once and in order (seq 3, 4, 5), and the next push
#       is a new one (seq 6); closes with 1000
# Any message a step does not expect is a mismatch. Prints one JSON line of
# what it saw and exits 0, or exits 1 at the first mismatch with the reason on
# stderr.
import argparse
import asyncio
import json
import ssl
import sys
import urllib.parse

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

TIMEOUT = 30  # the whole scenario
STEP_TIMEOUT = 10  # one message

# (the envelope as sent, its id as parsed, the data the reply must carry as
# written): non-ASCII, escapes, a number with a trailing zero and insignificant
# spaces must come back unchanged; an identity inside data is just data.
ECHO_DATA = '{"text":"h\u00e9llo \u2713","q":"say \\"hi\\"","user":"mallory","n":1.50}'
ECHOES = [
    ('{"type":"echo","data":' + ECHO_DATA + ',"id":7}', 7, ECHO_DATA),
    ('{"type":"echo","data":[1, 2, {"deep":[null,true]}],"id":"e-2"}', "e-2", '[1, 2, {"deep":[null,true]}]'),
    ('{"id":"e-3","type":"echo"}', "e-3", "null"),
]

# (what, the message, the error code that answers it)
MALFORMED = [
    ("invalid JSON", "not json {", "bad_envelope"),
    ("no type", '{"data":1,"id":"m-2"}', "bad_envelope"),
    ("a type that is not a string", '{"type":42}', "bad_envelope"),
    ("an id that is a boolean", '{"type":"echo","id":true}', "bad_envelope"),
    ("not an object", "[1,2]", "bad_envelope"),
    ("a binary message", b"\x01\x02", "bad_envelope"),
    ("an unknown type", '{"type":"nobody","data":{},"id":"m-7"}', "unknown_type"),
]


class Mismatch(Exception):
    pass


def check(ok, what):
    if not ok:
        raise Mismatch(what)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# Every connection opened, so that a mismatch ends them all at once (a clean
# close of a connection left mid-step would wait out its close timeout).
OPENED = []


class Peer:
    """One connection to the gateway and the envelopes it reads."""

    def __init__(self, ws, name):
        self.ws = ws
        self.name = name
        OPENED.append(ws)

    async def send(self, message):
        await self.ws.send(message)

    async def next(self, waiting_for):
        try:
            raw = await asyncio.wait_for(self.ws.recv(), STEP_TIMEOUT)
        except asyncio.TimeoutError:
            raise Mismatch(f"{self.name}: nothing came within {STEP_TIMEOUT} s while waiting for {waiting_for}")
        except ConnectionClosed as e:
            raise Mismatch(f"{self.name}: the gateway closed ({e.code} {e.reason}) while waiting for {waiting_for}")
        check(isinstance(raw, str), f"{self.name}: a binary message from the gateway: {raw!r}")
        try:
            env = json.loads(raw)
        except ValueError:
            raise Mismatch(f"{self.name}: the gateway sent invalid JSON: {raw}")
        check(isinstance(env, dict) and isinstance(env.get("type"), str), f"{self.name}: not an envelope: {raw}")
        return raw, env

    async def expect(self, wanted):
        """Reads until each of `wanted` ([(name, predicate, count)]) has
        matched its count of messages; a message none of them still wants is
        a mismatch. Returns {name: [(raw, env)...]} and the names in arrival order."""
        got = {name: [] for name, _, _ in wanted}
        order = []
        while any(len(got[name]) < count for name, _, count in wanted):
            names = ", ".join(name for name, _, count in wanted if len(got[name]) < count)
            raw, env = await self.next(names)
            for name, matches, count in wanted:
                if len(got[name]) < count and matches(env):
                    got[name].append((raw, env))
                    order.append(name)
                    break
            else:
                raise Mismatch(f"{self.name}: unexpected while waiting for {names}: {raw}")
        return got, order

    async def close(self):
        await self.ws.close(1000, "bye")
        check(self.ws.close_code == 1000, f"{self.name}: the gateway answered close 1000 with {self.ws.close_code}")
        return self.ws.close_code


def reply_to(type_, id_):
    return lambda env: env["type"] == type_ and env.get("id") == id_ and type(env.get("id")) is type(id_)


def mailbox(env):
    return env["type"] == "note" and "seq" in env and "topic" not in env


async def connect(args, token, after=None):
    query = []
    headers = {}
    if args.auth == "query":
        query.append("access_token=" + urllib.parse.quote(token, safe=""))
    else:
        headers["Authorization"] = "Bearer " + token
    if after is not None:
        query.append(f"after={after}")
    url = args.url + ("?" + "&".join(query) if query else "")
    # Without --ca, wss:// trusts the system's CAs (websockets' default).
    tls = {"ssl": ssl.create_default_context(cafile=args.ca)} if args.ca else {}
    ws = await websockets.connect(
        url,
        extra_headers=headers,
        ping_interval=None,
        open_timeout=STEP_TIMEOUT,
        close_timeout=STEP_TIMEOUT,
        **tls,
    )
    return Peer(ws, token + (f"?after={after}" if after is not None else ""))


async def welcome(peer, user):
    raw, env = await peer.next("the welcome")
    check(env["type"] == "welcome", f"{peer.name}: the first message is not the welcome: {raw}")
    data = env.get("data")
    check(isinstance(data, dict), f"{peer.name}: the welcome has no data object: {raw}")
    check(data.get("user") == user, f"{peer.name}: the welcome names another user: {raw}")
    check(is_int(data.get("session")) and data["session"] > 0, f"{peer.name}: the welcome's session: {raw}")
    check(is_int(data.get("seq")), f"{peer.name}: the welcome's seq: {raw}")
    return data


async def run(args):
    seen = {"peer": "python", "auth": args.auth, "tls": args.url.startswith("wss:")}

    # 1. A token the gateway does not know: refused before the upgrade.
    try:
        peer = await connect(args, "nobody")
        await peer.ws.close()
        raise Mismatch("the token nobody was accepted")
    except InvalidStatusCode as e:
        seen["refused"] = e.status_code
    check(seen["refused"] == 401, f"the token nobody got {seen['refused']}, not 401")

    # 2. The welcome.
    peer = await connect(args, args.user)
    w = await welcome(peer, args.user)
    check(w["seq"] == 0, f"a fresh mailbox, but the welcome says seq {w['seq']}")
    seen["user"] = w["user"]
    seen["session"] = w["session"]
    seen["welcome_seq"] = w["seq"]

    # 3. Subscribe.
    await peer.send(json.dumps({"type": "subscribe", "data": {"topic": args.topic}, "id": "s-1"}))
    got, _ = await peer.expect([("subscribed", reply_to("subscribed", "s-1"), 1)])
    raw, env = got["subscribed"][0]
    check(env.get("data") == {"topic": args.topic, "seq": 0}, f"subscribed: {raw}")
    seen["subscribed"] = env["data"]

    # 4. Echoes with ids, sent at once.
    for text, _, _ in ECHOES:
        await peer.send(text)
    got, order = await peer.expect([(f"echo {i}", reply_to("echo", i), 1) for _, i, _ in ECHOES])
    check(order == [f"echo {i}" for _, i, _ in ECHOES], f"the echoes came back in the order {order}")
    for _, id_, data in ECHOES:
        raw, env = got[f"echo {id_}"][0]
        check(f'"data":{data}' in raw, f"echo {id_}: the data changed on the way: {raw}")
        check(env.get("data") == json.loads(data), f"echo {id_}: {raw}")
    seen["echo_ids"] = [id_ for _, id_, _ in ECHOES]

    # 5. Messages on the topic.
    await peer.send(
        '{"type":"broadcast","data":{"topic":' + json.dumps(args.topic) + ',"count":3},"id":"b-1"}'
    )
    got, _ = await peer.expect(
        [
            ("broadcasted", reply_to("broadcasted", "b-1"), 1),
            ("score", lambda env: env["type"] == "score" and "topic" in env, 3),
        ]
    )
    scores = [env for _, env in got["score"]]
    for i, env in enumerate(scores, 1):
        check(env["topic"] == args.topic, f"a topic message names another topic: {env}")
        check(env.get("data") == {"n": i}, f"topic message {i} has the data {env.get('data')}")
    seen["topic_seqs"] = [env.get("seq") for env in scores]
    check(seen["topic_seqs"] == [1, 2, 3], f"the topic's seqs: {seen['topic_seqs']}")

    # 6. Malformed envelopes: an error each, and the connection stays up.
    seen["errors"] = []
    for what, message, code in MALFORMED:
        await peer.send(message)
        raw, env = await peer.next(f"the error for {what}")
        check(env["type"] == "error", f"{what}: answered with {raw}")
        data = env.get("data")
        check(isinstance(data, dict) and data.get("code") == code, f"{what}: the error is not {code}: {raw}")
        check(isinstance(data.get("reason"), str) and data["reason"], f"{what}: the error has no reason: {raw}")
        if code == "unknown_type":
            check(env.get("id") == "m-7" and data.get("for") == "nobody", f"{what}: the error's id or for: {raw}")
        seen["errors"].append(data["code"])
    await peer.send('{"type":"echo","data":"still here","id":"m-8"}')
    got, _ = await peer.expect([("echo", reply_to("echo", "m-8"), 1)])
    check(got["echo"][0][1].get("data") == "still here", f"after the errors: {got['echo'][0][0]}")
    seen["still_up"] = True

    # 7. Ping.
    await peer.send('{"type":"ping","id":"p-1"}')
    got, _ = await peer.expect([("pong", reply_to("pong", "p-1"), 1)])
    seen["pong_id"] = got["pong"][0][1]["id"]

    # 8. Pushes through the mailbox.
    await peer.send('{"type":"notify","data":{"count":2},"id":"n-1"}')
    got, _ = await peer.expect([("notified", reply_to("notified", "n-1"), 1), ("note", mailbox, 2)])
    notes = [env for _, env in got["note"]]
    for i, env in enumerate(notes, 1):
        check(env.get("data") == {"n": i}, f"push {i} has the data {env.get('data')}")
    seen["mailbox_seqs"] = [env["seq"] for env in notes]
    check(seen["mailbox_seqs"] == [1, 2], f"the mailbox's seqs: {seen['mailbox_seqs']}")
    last = seen["mailbox_seqs"][-1]

    # 9. Away.
    seen["close_codes"] = [await peer.close()]

    # 10. Pushes while away, asked for on another user's connection.
    admin = args.user + "-admin"
    control = await connect(args, admin)
    w = await welcome(control, admin)
    seen["admin_session"] = w["session"]
    await control.send(
        '{"type":"notify_user","data":{"user":' + json.dumps(args.user) + ',"count":3},"id":"c-1"}'
    )
    await control.expect([("notified", reply_to("notified", "c-1"), 1)])
    seen["close_codes"].append(await control.close())

    # 11. Back, from the cursor.
    peer = await connect(args, args.user, after=last)
    w = await welcome(peer, args.user)
    seen["resume_session"] = w["session"]
    seen["resume_welcome_seq"] = w["seq"]
    check(w["seq"] == last + 3, f"the welcome after the pushes says seq {w['seq']}, not {last + 3}")
    got, _ = await peer.expect([("missed", mailbox, 3)])
    missed = [env for _, env in got["missed"]]
    for i, env in enumerate(missed, 1):
        check(env.get("data") == {"missed": i}, f"missed push {i} has the data {env.get('data')}")
    seen["resumed_seqs"] = [env["seq"] for env in missed]
    check(
        seen["resumed_seqs"] == [last + 1, last + 2, last + 3],
        f"the missed pushes came with the seqs {seen['resumed_seqs']}",
    )
    # Nothing is replayed twice: the next mailbox message is a new push.
    await peer.send('{"type":"notify","data":{"count":1},"id":"n-2"}')
    got, _ = await peer.expect([("notified", reply_to("notified", "n-2"), 1), ("note", mailbox, 1)])
    raw, env = got["note"][0]
    check(env.get("data") == {"n": 1} and env["seq"] == last + 4, f"after the missed pushes came {raw}")
    seen["new_seq"] = env["seq"]
    seen["close_codes"].append(await peer.close())
    return seen


async def scenario(args):
    try:
        return await asyncio.wait_for(run(args), TIMEOUT)
    except BaseException:
        for ws in OPENED:
            ws.transport.abort()
        raise


def main():
    parser = argparse.ArgumentParser(prog="gateway_peer.py")
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--auth", default="query", choices=["query", "header"])
    parser.add_argument("--ca")
    args = parser.parse_args()
    try:
        seen = asyncio.run(scenario(args))
    except Mismatch as e:
        print(f"gateway_peer: mismatch: {e}", file=sys.stderr, flush=True)
        return 1
    except asyncio.TimeoutError:
        print(f"gateway_peer: the scenario took more than {TIMEOUT} s", file=sys.stderr, flush=True)
        return 1
    except Exception as e:  # the test shows stderr
        print(f"gateway_peer: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return 1
    print(json.dumps(seen), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
