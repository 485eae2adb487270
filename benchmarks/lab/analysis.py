# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
"""What one lab run means: the figures computed from the raw output of
strata_lab_client, shared by `run` (which keeps these summaries instead of
every delivery event) and `report.py`.

Per-stream stall time (HTTP/2 and HTTP/3 on one connection). The client
logs every piece of body it is handed: (time, bytes) per stream. A stream is
*active* from its first delivery (the response head) to its last byte. A
*gap* is a silence longer than the stall threshold (a quarter of the RTT)
between two deliveries of one stream. Each gap is split by what the rest of
the connection was doing meanwhile:

  - with the connection: no stream of the connection was handed anything
    either. Over TCP this is what a lost segment does to HTTP/2: the kernel
    holds every byte behind the hole, so all active streams wait, and for all
    but (at most) one of them the loss was not theirs. Loss-free runs have
    such silences too (a congestion window's worth sent, the next flight one
    round trip away), which is why the report shows 0 % beside the rest.
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


def stream_stalls(resources, rtt_ms):
    """Per-stream stall split (see the module's comment) for resources that
    shared one connection. Returns a list of (with_connection_ms, alone_ms)."""
    threshold = rtt_ms / 4.0
    all_times = sorted(t for r in resources for t, _ in r.get("events", []))
    connection_silences = _silences(all_times, threshold)
    out = []
    for r in resources:
        times = [r["t_head"]] + [t for t, _ in r.get("events", [])]
        times.sort()
        with_connection = 0.0
        alone = 0.0
        for a, b in _silences(times, threshold):
            shared = _overlap(a, b, connection_silences)
            with_connection += shared
            alone += (b - a) - shared
        out.append((with_connection, alone))
    return out


def summarize_page(raw, rtt_ms, multiplexed):
    """The figures of one page load, without the per-delivery log."""
    resources = raw.get("resources", [])
    done = [r["t_done"] for r in resources if r.get("status") == 200]
    summary = {
        "total_ms": raw.get("total_ms"),
        "connections_opened": raw.get("connections_opened"),
        "tls_resumed": raw.get("tls_resumed", 0),
        "resources": len(resources),
        "ok": sum(1 for r in resources if r.get("status") == 200),
        "bytes": sum(r.get("bytes", 0) for r in resources),
        "completion_ms": sorted(done),
        "errors": raw.get("errors", [])[:5],
    }
    if multiplexed:
        stalls = stream_stalls([r for r in resources if r.get("status") == 200], rtt_ms)
        summary["stall_with_connection_ms"] = [s[0] for s in stalls]
        summary["stall_alone_ms"] = [s[1] for s in stalls]
    return summary
