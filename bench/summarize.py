#!/usr/bin/env python3
"""Helpers of the sitelb bench (Python 3 stdlib only).

  summarize.py iperf3 FILE.json        print "GBIT_PER_S GBIT_TRANSFERRED" (receiver side)
  summarize.py table RESULTS.tsv META.json
                                       print the markdown report: the median of each figure per
                                       target (with min–max over the rounds), then sitelb's
                                       ratios to HAProxy and the project's targets
"""
import json
import math
import statistics
import sys

# key, label, unit, better ("higher" | "lower" | None), target (ratio vs best HAProxy), decimals
FIGURES = [
    ("bulk1_gbps", "bulk, 1 stream", "Gbit/s", "higher", 1.0, 2),
    ("bulk1_gbit_per_cpu_s", "bulk, 1 stream, per proxy CPU-second", "Gbit/CPU-s", "higher", 1.2, 2),
    ("bulk4_gbps", "bulk, 4 streams", "Gbit/s", "higher", 1.2, 2),
    ("bulk4_gbit_per_cpu_s", "bulk, 4 streams, per proxy CPU-second", "Gbit/CPU-s", "higher", 1.2, 2),
    ("close_cps", "connection rate (Connection: close, 50 conns)", "conn/s", "higher", 1.2, 0),
    ("close_errors", "connection-rate errors (socket + non-2xx)", "count", "lower", None, 0),
    # ≥ 1.25× connections per CPU-second is ≤ 0.8× CPU per connection
    ("close_conns_per_cpu_s", "connections per proxy CPU-second", "conn/CPU-s", "higher", 1.25, 0),
    ("ka_p50_ms", "keep-alive latency p50 (8 conns, full load)", "ms", "lower", None, 3),
    ("ka_p99_ms", "keep-alive latency p99 (8 conns, full load)", "ms", "lower", 0.85, 3),
    ("ka_rps", "keep-alive requests/s (8 conns, full load)", "req/s", "higher", None, 0),
    ("ka_paced_p50_ms", "keep-alive latency p50 (8 conns, paced)", "ms", "lower", None, 3),
    ("ka_paced_p99_ms", "keep-alive latency p99 (8 conns, paced)", "ms", "lower", 0.85, 3),
    ("ka_paced_rps", "keep-alive requests/s (8 conns, paced)", "req/s", None, None, 0),
    ("idle_kib_per_conn", "idle memory per connection, no data yet", "KiB", "lower", 0.25, 2),
    ("idle_req_kib_per_conn", "idle memory per connection, after 1 request", "KiB", "lower", 0.25, 2),
    ("churn_conns", "churn: connections made (all proxies at once)", "count", None, None, 0),
    ("churn_errors", "churn: errors (socket + non-2xx)", "count", None, None, 0),
    ("churn_rss_before_kib", "churn: RSS before", "KiB", None, None, 0),
    ("churn_rss_after_kib", "churn: RSS after", "KiB", None, None, 0),
    ("churn_rss_delta_pct", "churn: RSS change", "%", None, None, 1),
    ("churn_fds_before", "churn: open fds before", "fds", None, None, 0),
    ("churn_fds_after", "churn: open fds after", "fds", None, None, 0),
    ("churn_fd_delta", "churn: open fds change", "fds", None, None, 0),
]


def iperf3(path):
    with open(path) as f:
        data = json.load(f)
    if "error" in data:
        raise SystemExit(data["error"])
    received = data["end"]["sum_received"]
    print(f'{received["bits_per_second"] / 1e9:.3f} {received["bytes"] * 8 / 1e9:.3f}')


def load(path):
    values = {}  # (target, metric) -> [float]
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            _, target, metric, value = parts
            try:
                v = float(value)
            except ValueError:
                continue
            if math.isnan(v):
                continue
            values.setdefault((target, metric), []).append(v)
    return values


def fmt(v, decimals):
    if v is None:
        return "–"
    return f"{v:,.{decimals}f}" if decimals else f"{v:,.0f}"


def cell(samples, decimals):
    if not samples:
        return "–"
    med = statistics.median(samples)
    if len(samples) == 1 or min(samples) == max(samples):
        return fmt(med, decimals)
    return f"{fmt(med, decimals)} <sub>({fmt(min(samples), decimals)}–{fmt(max(samples), decimals)})</sub>"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def table(results_path, meta_path):
    values = load(results_path)
    with open(meta_path) as f:
        meta = json.load(f)
    targets = meta["targets"]  # [{"name", "kind", "desc"}]
    names = [t["name"] for t in targets]
    haproxies = [t["name"] for t in targets if t["kind"].startswith("haproxy")]
    sitelbs = [t["name"] for t in targets if t["kind"] == "sitelb"]
    med = {k: statistics.median(v) for k, v in values.items()}

    out = []
    out.append("### Medians per target (min–max over the rounds in small print)\n")
    out.append("| figure | unit | " + " | ".join(f"`{n}`" for n in names) + " |")
    out.append("|---|---|" + "---:|" * len(names))
    for key, label, unit, _, _, dec in FIGURES:
        cells = [cell(values.get((n, key), []), dec) for n in names]
        if all(c == "–" for c in cells):
            continue
        out.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("Targets: " + "; ".join(f"`{t['name']}` = {t['desc']}" for t in targets) + ".")
    out.append("")

    out.append("### sitelb ÷ HAProxy (medians)\n")
    out.append("Ratio against the better HAProxy setup for that figure; in brackets against each "
               "(" + ", ".join(f"`{h}`" for h in haproxies) + "). The target is the project's.\n")
    out.append("| figure | sitelb variant | ÷ best HAProxy | (" + " / ".join(haproxies) +
               ") | target | met? |")
    out.append("|---|---|---:|---:|---:|---|")
    verdicts = []
    for key, label, unit, better, target, dec in FIGURES:
        if better is None:
            continue
        hv = {h: med.get((h, key)) for h in haproxies}
        known = [v for v in hv.values() if v is not None]
        if not known:
            continue
        best = max(known) if better == "higher" else min(known)
        for s in sitelbs:
            sv = med.get((s, key))
            r = ratio(sv, best)
            each = " / ".join(fmt(ratio(sv, hv[h]), 2) for h in haproxies)
            if target is None or r is None:
                tgt, met = "–", ""
            elif better == "higher":
                tgt = f"≥ {target:g}×"
                met = "yes" if r >= target else f"**no**: {100 * (target - r) / target:.0f}% short"
            else:
                tgt = f"≤ {target:g}×"
                met = "yes" if r <= target else f"**no**: {100 * (r - target) / target:.0f}% over"
            if key == "close_errors":
                r_text = "–"  # a ratio of error counts means little; the counts are above
                met = "yes" if sv == 0 else f"**no**: {sv:.0f} errors"
                tgt = "0"
            else:
                r_text = fmt(r, 2)
            out.append(f"| {label} | `{s}` | {r_text} | ({each}) | {tgt} | {met} |")
            if met:
                verdicts.append((label, s, met))
    for s in sitelbs:
        d_rss = med.get((s, "churn_rss_delta_pct"))
        d_fd = med.get((s, "churn_fd_delta"))
        if d_rss is not None:
            met = "yes" if abs(d_rss) <= 10 else f"**no**: {d_rss:+.1f}%"
            out.append(f"| churn: RSS back within 10% of before | `{s}` | {d_rss:+.1f}% | – | ±10% | {met} |")
        if d_fd is not None:
            met = "yes" if d_fd == 0 else f"**no**: {d_fd:+.0f} fds"
            out.append(f"| churn: open fds back to before | `{s}` | {d_fd:+.0f} | – | 0 | {met} |")
    out.append("")
    print("\n".join(out))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "iperf3":
        iperf3(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
