# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
"""What one lab run means: the figures computed from the raw output of
strata_lab_client, shared by `run` (which keeps these summaries instead of
every delivery event) and `report.py`.

Per-stream stall time (HTTP/2 and HTTP/3 on one connection). The client
logs every piece of body it is handed: (time, bytes) per stream, and when
its response head came. A stream *waits* from the moment the connection
first delivered anything (or from its request, if later) to its last byte:
a request whose head is held behind a lost packet waits as much as one
whose body is. A *gap* is a silence longer than the stall threshold (a
quarter of the RTT) between two deliveries to one stream, the first being
the start of its wait. Each gap is split by what the rest of the connection
was doing meanwhile:

  - held: no stream of the connection was handed anything, yet the
    server's data packets were arriving at the client's interface (a capture
    at the link, tcpdump in the client namespace). The transport had bytes
    it would not hand over: over TCP, everything behind a lost segment waits
    for its retransmission, so every stream waits, and for all but (at most)
    one of them the loss was not theirs. This is the head-of-line blocking
    HTTP/3 is meant to remove.
  - nothing arriving: no stream was handed anything and no data packet
    arrived either: the sender was waiting (its congestion window full, a
    loss not yet detected). Loss-free runs have such silences too, between
    the flights of slow start.
  - alone: other streams were being handed data while this one waited. Over
    QUIC this is a stream waiting for its own lost packet; over either
    protocol it is also the server's scheduling (a stream's turn not come).

The per-resource completion time is the time from the start of the page
(before any connection) to the resource's last byte.
"""

import math
import statistics


def percentile(values, p):
    """Linear-interpolated percentile (p in 0..100) of a non-empty list."""
    xs = sorted(values)
    if not xs:
        return math.nan
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p / 100.0
    lo = math.floor(k)
    hi = math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def spread(values):
    """Median with its spread: the interquartile range and the extremes."""
    if not values:
        return {"n": 0, "median": math.nan, "p25": math.nan, "p75": math.nan, "min": math.nan, "max": math.nan}
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p25": percentile(values, 25),
        "p75": percentile(values, 75),
        "min": min(values),
        "max": max(values),
    }


def _silences(times, threshold_ms):
    """Gaps longer than the threshold between consecutive sorted times."""
    return [(a, b) for a, b in zip(times, times[1:]) if b - a > threshold_ms]


def _overlap(a, b, intervals):
    total = 0.0
    for lo, hi in intervals:
        total += max(0.0, min(b, hi) - max(a, lo))
    return total


def read_pcap_arrivals(path, server_ip, offset_ms):
    """Arrival times (ms, on the client's clock: realtime minus offset_ms) of
    the server's data-bearing packets in a pcap (Ethernet, IPv4; TCP with a
    payload, UDP of more than 100 bytes: QUIC packets that carry only ACKs
    are smaller)."""
    import struct

    src = bytes(int(x) for x in server_ip.split("."))
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack_from("<I", data)[0]
    endian, scale = {0xA1B2C3D4: ("<", 1e-3), 0xA1B23C4D: ("<", 1e-6)}.get(magic, ("<", 1e-3))
    out = []
    at = 24
    while at + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack_from(endian + "IIII", data, at)
        pkt = data[at + 16 : at + 16 + incl]
        at += 16 + incl
        if len(pkt) < 34 or pkt[12:14] != b"\x08\x00" or pkt[26:30] != src:
            continue
        ihl = (pkt[14] & 0x0F) * 4
        total = struct.unpack_from(">H", pkt, 16)[0]
        proto = pkt[23]
        l4 = 14 + ihl
        if proto == 6 and len(pkt) >= l4 + 13:
            payload = total - ihl - (pkt[l4 + 12] >> 4) * 4
            carries = payload > 0
        elif proto == 17:
            carries = total - ihl - 8 > 100
        else:
            continue
        if carries:
            out.append(sec * 1000.0 + frac * scale - offset_ms)
    return sorted(out)


def stream_stalls(resources, rtt_ms, arrivals=None):
    """Per-stream stall split (see the module's comment) for resources that
    shared one connection. Returns a list of (held_ms, nothing_arriving_ms,
    alone_ms); without a capture the first two are summed in the first."""
    import bisect

    threshold = rtt_ms / 4.0
    all_times = sorted([r["t_head"] for r in resources] + [t for r in resources for t, _ in r.get("events", [])])
    if not all_times:
        return []
    connection_silences = _silences(all_times, threshold)
    # Split each silence at the first data packet that arrived inside it:
    # from then on the transport held data it did not deliver.
    held, empty = [], []
    for a, b in connection_silences:
        i = bisect.bisect_right(arrivals, a) if arrivals is not None else None
        if arrivals is None:
            held.append((a, b))
        elif i < len(arrivals) and arrivals[i] < b:
            empty.append((a, arrivals[i]))
            held.append((arrivals[i], b))
        else:
            empty.append((a, b))
    first_delivery = all_times[0]
    out = []
    for r in resources:
        start = max(first_delivery, r.get("t_request", 0.0))
        times = sorted([start, r["t_head"]] + [t for t, _ in r.get("events", [])])
        held_ms = empty_ms = alone = 0.0
        for a, b in _silences(times, threshold):
            h = _overlap(a, b, held)
            e = _overlap(a, b, empty)
            held_ms += h
            empty_ms += e
            alone += (b - a) - h - e
        out.append((held_ms, empty_ms, alone))
    return out


def summarize_page(raw, rtt_ms, multiplexed, arrivals=None):
    """The figures of one page load, without the per-delivery log."""
    resources = raw.get("resources", [])
    # A body cut off part way keeps its 200: only a whole answer counts.
    whole = [r for r in resources if r.get("status") == 200 and not r.get("error")]
    done = [r["t_done"] for r in whole]
    summary = {
        "total_ms": raw.get("total_ms"),
        "connections_opened": raw.get("connections_opened"),
        "tls_resumed": raw.get("tls_resumed", 0),
        "resources": len(resources),
        "ok": len(whole),
        "versions": sorted({r.get("version", "") for r in resources}),
        "bytes": sum(r.get("bytes", 0) for r in resources),
        "completion_ms": sorted(done),
        "errors": raw.get("errors", [])[:5],
    }
    if multiplexed:
        stalls = stream_stalls(whole, rtt_ms, arrivals)
        summary["stall_held_ms"] = [s[0] for s in stalls]
        summary["stall_nothing_arriving_ms"] = [s[1] for s in stalls]
        summary["stall_alone_ms"] = [s[2] for s in stalls]
        summary["captured"] = arrivals is not None
    return summary
