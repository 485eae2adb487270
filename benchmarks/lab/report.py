#!/usr/bin/python3
# Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
"""Turns the lab's results.json.gz (or a plain results.json) into report.md and PNG plots.

    benchmarks/lab/report.py RESULTS_JSON OUT_DIR

Every figure is the median of the runs with its spread (the interquartile
range, p25-p75, and where it matters the extremes).
"""

import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.dont_write_bytecode = True  # nothing left behind in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import analysis  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

VARIANT_LABEL = {
    "h1x1": "HTTP/1.1, 1 connection",
    "h1x6": "HTTP/1.1, 6 connections",
    "h2": "HTTP/2, 1 connection",
    "h3": "HTTP/3, 1 connection",
}
VARIANT_COLOR = {"h1x1": "tab:gray", "h1x6": "tab:orange", "h2": "tab:blue", "h3": "tab:green"}
REFERENCE_OF = {"h1x1": "nginx", "h1x6": "nginx", "h2": "nginx", "h3": "gtlsserver"}
REFERENCE_TOOLS = {"h2": "h2load -> nginx", "h3": "gtlsclient -> gtlsserver"}


def who(server, variant):
    """client -> server of a row."""
    if server == "strata":
        return "strata -> strata"
    if server == "reference":
        return f"strata -> {REFERENCE_OF[variant]}"
    return REFERENCE_TOOLS[variant]
TTFB_LABEL = {
    "h1": "TCP + TLS 1.3, HTTP/1.1",
    "h2": "TCP + TLS 1.3, HTTP/2",
    "h3": "QUIC, HTTP/3",
    "h3-0rtt": "QUIC 0-RTT resumed, HTTP/3",
}
PHYSICAL_RTTS = {"h1": 3, "h2": 3, "h3": 2, "h3-0rtt": 1}
ANCHORS_S = {"h2": 3.7, "h3": 1.8}  # the reference-tool figures: 100 x 10 KB, 2 % loss, 50 ms


def ms(x):
    return f"{x:.0f} ms" if x >= 100 else f"{x:.1f} ms"


def fmt_spread(values, unit=ms):
    s = analysis.spread(values)
    if not s["n"]:
        return "n/a"
    return f"{unit(s['median'])} ({unit(s['p25'])}-{unit(s['p75'])})"


def secs(x):
    return f"{x / 1000:.2f} s"


class Report:
    def __init__(self, results, out):
        self.r = results
        self.out = out
        self.md = []

    def w(self, line=""):
        self.md.append(line)

    # ---- header ------------------------------------------------------------

    def header(self):
        r = self.r
        env = r.get("environment", {})
        self.w("# strata protocol lab: report")
        self.w()
        self.w(
            f"Profile **{r['profile']}**, started {r['started']}, took {r.get('duration_s', 0) / 60:.1f} min; "
            f"every figure is the median of {r['settings']['runs']} runs (page loads), "
            f"{r['settings']['ttfb_runs']} (handshakes) or {r['settings']['poll_runs']} (polling rounds of "
            f"{r['settings']['poll_seconds']} s), with the interquartile range in brackets."
        )
        self.w()
        self.w("| | |")
        self.w("|---|---|")
        for k in (
            "kernel", "machine", "strata", "tcp_congestion_control", "quic_congestion_control", "loss_model",
            "delay_model", "offloads", "nginx", "ngtcp2_server", "curl",
        ):  # fmt: skip
            v = env.get(k, "")
            if isinstance(v, dict):
                v = ", ".join(f"{a}: {b}" for a, b in v.items())
            self.w(f"| {k.replace('_', ' ')} | {v} |")
        self.w(f"| seed | {r['seed']} ({env.get('seed_use', '')}) |")
        self.w()
        if r.get("failures"):
            self.w("**Failures in this run:**")
            self.w()
            for f in r["failures"]:
                self.w(f"- {f}")
            self.w()
        self.w("## The path, calibrated before every experiment")
        self.w()
        self.w("| configured RTT | configured loss (each way) | measured RTT min / avg / max | off by | measured loss up / down |")
        self.w("|---|---|---|---|---|")
        for c in r["calibrations"]:
            rt = c["rtt_ms"]
            self.w(
                f"| {c['configured_rtt_ms']} ms | {c['loss']['configured_pct_up']} % "
                f"| {rt['min']:.2f} / {rt['avg']:.2f} / {rt['max']:.2f} ms | {c.get('rtt_error_pct', 0):.2f} % "
                f"| {c['loss']['measured_pct_up']:.2f} % / {c['loss']['measured_pct_down']:.2f} % |"
            )
        self.w()

    # ---- experiment 1 ------------------------------------------------------

    def hol(self):
        runs = self.r["hol"]
        if not runs:
            return
        groups = defaultdict(list)
        for x in runs:
            groups[(x["shape"], x["server"], x["variant"], x["loss_pct"])].append(x)
        shapes = sorted({x["shape"] for x in runs}, key=lambda s: (s != "100x10KB", s))
        losses = sorted({x["loss_pct"] for x in runs})
        variants = [v for v in VARIANT_LABEL if any(x["variant"] == v for x in runs)]
        rtt = runs[0]["rtt_ms"]
        self.w("## 1. Head-of-line blocking: one page, four ways")
        self.w()
        self.w(
            f"The same client (strata::client, a fresh one per load: new connections, no TLS session) fetches "
            f"every resource of a page at once, at RTT {rtt} ms, from strata_lab_server and from the reference "
            f"server for that protocol (nginx for HTTP/1.1 and HTTP/2, gtlsserver for HTTP/3) on the same path. "
            f"Total time runs from before the first connection to the last byte."
        )
        self.w()
        for shape in shapes:
            self.w(f"### {shape}: total time (median, IQR)")
            self.w()
            self.w("| protocol | client -> server | " + " | ".join(f"{l} % loss" for l in losses) + " |")
            self.w("|---|---|" + "---|" * len(losses))
            for v in variants:
                for server in ("strata", "reference", "refclient"):
                    if not any(groups.get((shape, server, v, l)) for l in losses):
                        continue
                    cells = []
                    for l in losses:
                        g = groups.get((shape, server, v, l), [])
                        cells.append(fmt_spread([x["total_ms"] for x in g], secs) if g else "n/a")
                    self.w(f"| {VARIANT_LABEL[v]} | {who(server, v)} | " + " | ".join(cells) + " |")
            self.w()
            self.ratio_table(groups, shape, variants, losses)
            self.plot_hol_total(groups, shape, variants, losses)
            self.completion_table(groups, shape, variants, losses)
        self.stall_section(groups, shapes, losses)
        self.anchor_section(groups, losses)
        self.connection_section(groups, shapes, variants, losses)

    def ratio_table(self, groups, shape, variants, losses):
        self.w(f"strata ÷ reference server, median total time ({shape}); above 1.10 strata is slower:")
        self.w()
        self.w("| protocol | " + " | ".join(f"{l} %" for l in losses) + " |")
        self.w("|---|" + "---|" * len(losses))
        slower = []
        for v in variants:
            cells = []
            for l in losses:
                a = [x["total_ms"] for x in groups.get((shape, "strata", v, l), [])]
                b = [x["total_ms"] for x in groups.get((shape, "reference", v, l), [])]
                if a and b:
                    ratio = analysis.spread(a)["median"] / analysis.spread(b)["median"]
                    cells.append(f"{ratio:.2f}x")
                    if ratio > 1.10:
                        slower.append(f"{VARIANT_LABEL[v]} at {l} % ({ratio:.2f}x {REFERENCE_OF[v]})")
                else:
                    cells.append("n/a")
            self.w(f"| {VARIANT_LABEL[v]} | " + " | ".join(cells) + " |")
        self.w()
        if slower:
            self.w("Where strata's server is slower than the reference server on the same path: " + "; ".join(slower) + ".")
        else:
            self.w("strata's server is within 10 % of the reference server, or faster, in every cell.")
        self.w()
        if not any(groups.get((shape, "refclient", v, l)) for v in ("h2", "h3") for l in losses):
            return
        self.w(
            f"The clients against the same reference server ({shape}): strata's client ÷ the reference tool "
            "(h2load for HTTP/2 against nginx, gtlsclient for HTTP/3 against gtlsserver); above 1.10 strata is slower:"
        )
        self.w()
        self.w("| protocol | " + " | ".join(f"{l} %" for l in losses) + " |")
        self.w("|---|" + "---|" * len(losses))
        slower = []
        for v in ("h2", "h3"):
            cells = []
            for l in losses:
                a = [x["total_ms"] for x in groups.get((shape, "reference", v, l), [])]
                b = [x["total_ms"] for x in groups.get((shape, "refclient", v, l), [])]
                if a and b:
                    ratio = analysis.spread(a)["median"] / analysis.spread(b)["median"]
                    cells.append(f"{ratio:.2f}x")
                    if ratio > 1.10:
                        slower.append(f"{VARIANT_LABEL[v]} at {l} % ({ratio:.2f}x {REFERENCE_TOOLS[v].split()[0]})")
                else:
                    cells.append("n/a")
            self.w(f"| {VARIANT_LABEL[v]} | " + " | ".join(cells) + " |")
        self.w()
        if slower:
            self.w("Where strata's client is slower than the reference client on the same path: " + "; ".join(slower) + ".")
        else:
            self.w("strata's client is within 10 % of the reference client, or faster, in every cell.")
        self.w()

    def plot_hol_total(self, groups, shape, variants, losses):
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for v in variants:
            for server, style in (("strata", "-"), ("reference", "--"), ("refclient", ":")):
                if not any(groups.get((shape, server, v, l)) for l in losses):
                    continue
                med, lo, hi = [], [], []
                for l in losses:
                    s = analysis.spread([x["total_ms"] / 1000 for x in groups.get((shape, server, v, l), [])])
                    med.append(s["median"])
                    lo.append(s["median"] - s["p25"])
                    hi.append(s["p75"] - s["median"])
                label = f"{VARIANT_LABEL[v]} ({who(server, v)})"
                ax.errorbar(losses, med, yerr=[lo, hi], fmt="o" + style, color=VARIANT_COLOR[v], label=label,
                            capsize=3, alpha=1.0 if server == "strata" else 0.55)  # fmt: skip
        ax.set_xlabel("loss each way (%)")
        ax.set_ylabel("page load time (s)")
        ax.set_title(f"{shape} at RTT {groups[next(iter(groups))][0]['rtt_ms']} ms: median, IQR")
        ax.set_xticks(losses)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        name = f"hol_{shape.replace('+', '_')}.png"
        fig.savefig(self.out / name, dpi=110)
        plt.close(fig)
        self.w(f"![page load time against loss, {shape}]({name})")
        self.w()

    def completion_table(self, groups, shape, variants, losses):
        worst = max(losses)
        self.w(
            f"Per-resource completion times ({shape}, strata server, all runs pooled): p50 / p90 / max, "
            f"and the CDF at {worst} % loss:"
        )
        self.w()
        self.w("| protocol | " + " | ".join(f"{l} %" for l in losses) + " |")
        self.w("|---|" + "---|" * len(losses))
        for v in variants:
            cells = []
            for l in losses:
                pooled = [t for x in groups.get((shape, "strata", v, l), []) for t in x["completion_ms"]]
                if pooled:
                    cells.append(" / ".join(secs(analysis.percentile(pooled, p)) for p in (50, 90, 100)))
                else:
                    cells.append("n/a")
            self.w(f"| {VARIANT_LABEL[v]} | " + " | ".join(cells) + " |")
        self.w()
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for v in variants:
            for server, style in (("strata", "-"), ("reference", ":")):
                pooled = sorted(t / 1000 for x in groups.get((shape, server, v, worst), []) for t in x["completion_ms"])
                if not pooled:
                    continue
                ys = [(i + 1) / len(pooled) for i in range(len(pooled))]
                label = f"{VARIANT_LABEL[v]} ({who(server, v)})"
                ax.step(pooled, ys, style, where="post", color=VARIANT_COLOR[v], label=label)
        ax.set_xlabel("resource completed at (s after the page started)")
        ax.set_ylabel("fraction of resources")
        ax.set_title(f"{shape}, {worst} % loss each way: per-resource completion")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        name = f"hol_cdf_{shape.replace('+', '_')}.png"
        fig.savefig(self.out / name, dpi=110)
        plt.close(fig)
        self.w(f"![per-resource completion CDF, {shape}]({name})")
        self.w()

    STALLS = (
        ("stall_held_ms", "held by the transport", ""),
        ("stall_nothing_arriving_ms", "nothing arriving", ".."),
        ("stall_alone_ms", "alone", "//"),
    )

    def stall_section(self, groups, shapes, losses):
        self.w("### Per-stream stall time: HTTP/2 against HTTP/3")
        self.w()
        self.w(
            "A stream waits from the connection's first delivery (or its request, if later) to its last byte; "
            "a stall is a silence of more than a quarter of the RTT in what it is handed. A capture at the "
            "client's interface (tcpdump) tells what was on the wire meanwhile. *Held by the transport*: "
            "no stream was handed anything although the server's data packets were arriving: bytes held "
            "behind a hole, the head-of-line blocking of TCP (for all streams but at most one, the loss was "
            "not theirs). *Nothing arriving*: the sender was waiting (congestion window, loss detection); "
            "loss-free runs have it too, between slow-start flights. *Alone*: other streams were being "
            "served meanwhile (its own lost packet, or its turn not come). Mean per stream, median over "
            "runs (IQR):"
        )
        self.w()
        for shape in shapes:
            self.w(f"{shape}:")
            self.w()
            self.w("| protocol | client -> server | stall | " + " | ".join(f"{l} %" for l in losses) + " |")
            self.w("|---|---|---|" + "---|" * len(losses))
            for v in ("h2", "h3"):
                for server in ("strata", "reference"):
                    for key, what, _ in self.STALLS:
                        cells = []
                        for l in losses:
                            per_run = [sum(x[key]) / len(x[key]) for x in groups.get((shape, server, v, l), []) if x.get(key)]
                            cells.append(fmt_spread(per_run) if per_run else "n/a")
                        self.w(f"| {VARIANT_LABEL[v]} | {who(server, v)} | {what} | " + " | ".join(cells) + " |")
            self.w()
        shape = shapes[0]
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
        width = 0.35
        for ax, server in zip(axes, ("strata", "reference")):
            for j, v in enumerate(("h2", "h3")):
                bottom = [0.0] * len(losses)
                for key, what, hatch in self.STALLS:
                    vals = []
                    for l in losses:
                        per_run = [sum(x[key]) / len(x[key]) for x in groups.get((shape, server, v, l), []) if x.get(key)]
                        vals.append(analysis.spread(per_run)["median"] if per_run else 0)
                    xs = [i + (j - 0.5) * width for i in range(len(losses))]
                    ax.bar(xs, vals, width, bottom=bottom, color=VARIANT_COLOR[v], hatch=hatch, edgecolor="black",
                           alpha={"": 1.0, "..": 0.55, "//": 0.3}[hatch], label=f"{v}: {what}")  # fmt: skip
                    bottom = [b + x for b, x in zip(bottom, vals)]
            ax.set_xticks(range(len(losses)))
            ax.set_xticklabels([f"{l} %" for l in losses])
            ax.set_title(f"{shape}: {'strata server' if server == 'strata' else 'nginx / gtlsserver'} (strata client)")
            ax.grid(alpha=0.3, axis="y")
        axes[0].set_ylabel("mean stall per stream (ms)")
        axes[1].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(self.out / "hol_stall.png", dpi=110)
        plt.close(fig)
        self.w("![per-stream stall time, HTTP/2 against HTTP/3](hol_stall.png)")
        self.w()

    def anchor_section(self, groups, losses):
        if 2 not in losses:
            return
        self.w("### Against the anchors (100 x 10 KB, 2 % loss each way, RTT 50 ms, cubic)")
        self.w()
        self.w("| protocol | anchor (reference tools) | strata -> strata | strata -> reference | reference tools here |")
        self.w("|---|---|---|---|---|")
        for v in ("h2", "h3"):
            cells = []
            for server in ("strata", "reference", "refclient"):
                g = [x["total_ms"] for x in groups.get(("100x10KB", server, v, 2), [])]
                cells.append(fmt_spread(g, secs) if g else "n/a")
            self.w(f"| {VARIANT_LABEL[v]} | {ANCHORS_S[v]:.1f} s | " + " | ".join(cells) + " |")
        self.w()

    def connection_section(self, groups, shapes, variants, losses):
        self.w("## 4. Connections and handshakes per page")
        self.w()
        self.w(
            "Counted by the client (strata::client::connections_opened) on a first visit (no TLS session to "
            "resume: every connection is a full handshake), median over all runs of the page. Domain sharding "
            "over N host names multiplies the HTTP/1.1 figure: 6 x N connections and handshakes."
        )
        self.w()
        self.w("| protocol | " + " | ".join(f"{s}: connections (TCP+TLS or QUIC handshakes)" for s in shapes) + " |")
        self.w("|---|" + "---|" * len(shapes))
        for v in variants:
            cells = []
            for shape in shapes:
                vals = [x["connections_opened"] for l in losses for x in groups.get((shape, "strata", v, l), [])]
                res = [x.get("tls_resumed", 0) for l in losses for x in groups.get((shape, "strata", v, l), [])]
                if vals:
                    med = analysis.spread(vals)["median"]
                    kind = "QUIC" if v == "h3" else "TCP + TLS"
                    cells.append(f"{med:g} ({med - analysis.spread(res)['median']:g} {kind}; range {min(vals)}-{max(vals)})")
                else:
                    cells.append("n/a")
            self.w(f"| {VARIANT_LABEL[v]} | " + " | ".join(cells) + " |")
        self.w()

    # ---- experiment 2 ------------------------------------------------------

    def handshake(self):
        hs = self.r["handshake"]
        if not hs:
            return
        rtts = sorted({x["rtt_ms"] for x in hs})
        self.w("## 2. Handshake cost: time to first byte on a new connection, in round trips")
        self.w()
        self.w(
            "TTFB (request start to response head, no connection before it) divided by the path's measured "
            "mean RTT. The physical counts: 3 for TCP + TLS 1.3 (SYN, TLS, request), 2 for QUIC (QUIC+TLS, "
            "request), 1 for QUIC 0-RTT (the request in the first flight). Goal: within 5 % of the count; "
            "reference tools here reach 3.11, 2.06 and 1.04."
        )
        self.w()
        self.w("| handshake | server | client | physical | " + " | ".join(f"RTT {r} ms" for r in rtts) + " |")
        self.w("|---|---|---|---|" + "---|" * len(rtts))
        order = [("strata", "strata"), ("reference", "strata"), ("strata", "curl"), ("reference", "curl")]
        rows = []
        for mode in ("h1", "h2", "h3", "h3-0rtt"):
            for server, client in order:
                cells = []
                meds = []
                for rtt in rtts:
                    g = [x for x in hs if x["mode"] == mode and x["server"] == server and x["client"] == client and x["rtt_ms"] == rtt]
                    if not g or not g[0]["ttfb_ms"]:
                        cells.append(None)
                        continue
                    in_rtts = [t / g[0]["measured_rtt_ms"] for t in g[0]["ttfb_ms"]]
                    s = analysis.spread(in_rtts)
                    meds.append(s["median"])
                    ok = abs(s["median"] - PHYSICAL_RTTS[mode]) / PHYSICAL_RTTS[mode] <= 0.05
                    cells.append(
                        f"{s['median']:.2f} ({s['p25']:.2f}-{s['p75']:.2f}); "
                        f"{analysis.spread(g[0]['ttfb_ms'])['median']:.1f} ms{'' if ok else ' **>5 %**'}"
                    )
                if all(c is None for c in cells):
                    continue
                sname = "strata" if server == "strata" else ("gtlsserver" if mode.startswith("h3") else "nginx")
                self.w(f"| {TTFB_LABEL[mode]} | {sname} | {client} | {PHYSICAL_RTTS[mode]} | "
                       + " | ".join(c or "n/a" for c in cells) + " |")  # fmt: skip
                rows.append((mode, sname, client, meds))
        self.w()
        fig, ax = plt.subplots(figsize=(8, 4))
        labels = []
        for i, (mode, sname, client, meds) in enumerate(rows):
            for j, m in enumerate(meds):
                ax.bar(i + (j - (len(meds) - 1) / 2) * 0.25, m, 0.25, color=["tab:blue", "tab:orange", "tab:green"][j % 3],
                       label=f"RTT {rtts[j]} ms" if i == 0 else None)  # fmt: skip
            ax.hlines(PHYSICAL_RTTS[mode], i - 0.4, i + 0.4, colors="black", linestyles="dashed")
            labels.append(f"{mode}\n{sname}\n{client}")
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_ylabel("TTFB in RTTs (dashed: physical count)")
        ax.set_title("time to first byte on a new connection")
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(self.out / "handshake.png", dpi=110)
        plt.close(fig)
        self.w("![TTFB in round trips](handshake.png)")
        self.w()
        zero = [x for x in hs if x["mode"] == "h3-0rtt" and x["client"] == "strata"]
        if zero:
            self.w(
                "0-RTT accepted (early data answered) in "
                + ", ".join(f"{sum(x['early_data'])}/{len(x['early_data'])} ({x['server']}, RTT {x['rtt_ms']} ms)" for x in zero)
                + " runs."
            )
            self.w()

    # ---- experiment 3 ------------------------------------------------------

    def polling(self):
        ps = self.r["polling"]
        if not ps:
            return
        rates = sorted({x["rate"] for x in ps})
        techs = ["short", "long", "sse", "ws"]
        names = {"short": "short polling (1 s)", "long": "long polling", "sse": "Server-Sent Events", "ws": "WebSocket"}
        self.w("## 3. Polling cost: following a stream of updates")
        self.w()
        self.w(
            "strata_lab_server publishes updates of about 100 bytes on a topic; one strata client per technique "
            "follows it over HTTP/1.1 on TLS through the same 50 ms path, all four at once on separate ports. "
            "Requests are counted by the client; packets and bytes each way are the router's counters for that "
            "port (IP headers included), from the moment the client was set up (its connection open) to its exit. "
            "Latency is, for every update published while following, the time until the client held it or a "
            "newer one, from the publish time carried in the updates (one clock: the namespaces share the "
            "kernel); a short poller that skips an update learns of a newer one at its next poll."
        )
        self.w()
        self.w(
            "Per update published (rate x window): what following it cost, whether the client saw it or not "
            "(a short poller sees at most one update per poll)."
        )
        self.w()
        self.w("| rate | technique | updates published / seen / missed | requests per update | bytes up / down per update | packets up / down per update | bytes per update seen | latency p50 / p99 |")
        self.w("|---|---|---|---|---|---|---|---|")
        summary = {}
        for rate in rates:
            for t in techs:
                g = [x for x in ps if x["rate"] == rate and x["technique"] == t]
                if not g:
                    continue
                upd = sum(x["updates"] or 0 for x in g)
                missed = sum(x["missed"] or 0 for x in g)
                req = sum(x["requests"] or 0 for x in g)
                bu = sum(x["link"]["up"]["bytes"] for x in g)
                bd = sum(x["link"]["down"]["bytes"] for x in g)
                pu = sum(x["link"]["up"]["packets"] for x in g)
                pd = sum(x["link"]["down"]["packets"] for x in g)
                lat = [v for x in g for v in (x.get("view_latencies_ms") or x["latencies_ms"])]
                published = sum(x["rate"] * x["seconds"] for x in g)
                per = max(published, 1)
                p50 = analysis.percentile(lat, 50) if lat else float("nan")
                p99 = analysis.percentile(lat, 99) if lat else float("nan")
                summary[(rate, t)] = (req / per, (bu + bd) / per, p50, p99)
                self.w(
                    f"| {rate}/s | {names[t]} | {published} / {upd} / {missed} | {req / per:.2f} | {bu / per:.0f} / {bd / per:.0f} B "
                    f"| {pu / per:.1f} / {pd / per:.1f} | {(bu + bd) / max(upd, 1):.0f} B | {ms(p50)} / {ms(p99)} |"
                )
        self.w()
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
        for k, (ax, title, idx, log) in enumerate(
            zip(axes, ("requests per update", "bytes on the wire per update", "latency p50 (bar) / p99 (dot), ms"), (0, 1, 2), (False, True, True))
        ):  # fmt: skip
            for j, rate in enumerate(rates):
                xs = [i + (j - 0.5) * 0.38 for i in range(len(techs))]
                vals = [summary.get((rate, t), (0, 0, 0, 0))[idx] for t in techs]
                ax.bar(xs, vals, 0.38, label=f"{rate} update/s", color=["tab:blue", "tab:orange"][j % 2])
                if idx == 2:
                    ax.plot(xs, [summary.get((rate, t), (0, 0, 0, 0))[3] for t in techs], "k.")
            ax.set_xticks(range(len(techs)))
            ax.set_xticklabels(["short", "long", "SSE", "WS"])
            ax.set_title(title, fontsize=9)
            if log:
                ax.set_yscale("log")
            ax.grid(alpha=0.3, axis="y")
        axes[0].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(self.out / "polling.png", dpi=110)
        plt.close(fig)
        self.w("![polling cost](polling.png)")
        self.w()

    def write(self):
        self.header()
        self.hol()
        self.handshake()
        self.polling()
        (self.out / "report.md").write_text("\n".join(self.md) + "\n")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py RESULTS_JSON OUT_DIR")
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    src = Path(sys.argv[1])
    text = gzip.open(src, "rt").read() if src.suffix == ".gz" else src.read_text()
    Report(json.loads(text), out).write()


if __name__ == "__main__":
    main()
