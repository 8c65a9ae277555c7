#!/usr/bin/env python3
"""bench/growth.sh's report: OUT/results.tsv (+ levels.tsv.*, meta.tsv) -> markdown on stdout,
and PNG charts beside it (gnuplot), each linked from the markdown.

results.tsv lines: ROUND TARGET METRIC@LEVEL VALUE. The tables show the median over the rounds
(min-max in small print when there are several).
"""
import collections
import os
import shutil
import statistics
import subprocess
import sys

OUT = sys.argv[1]


def num(v):
    try:
        f = float(v)
    except ValueError:
        return None
    return None if f != f else f


def load_results():
    data = collections.defaultdict(list)  # (target, metric, level) -> [values]
    with open(os.path.join(OUT, "results.tsv")) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4 or "@" not in parts[2]:
                continue
            _, target, metric, value = parts
            name, level = metric.split("@", 1)
            v = num(value)
            if v is not None:
                data[(target, name, int(level))].append(v)
    return data


def load_meta():
    meta, targets = {}, []
    with open(os.path.join(OUT, "meta.tsv")) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "target":
                targets.append((parts[1], parts[2]))
            else:
                meta[parts[0]] = parts[1]
    return meta, targets


def load_levels(section):
    """[(requested, count or None, note)] in order; count None = not run."""
    path = os.path.join(OUT, f"levels.tsv.{section}")
    rows = []
    if os.path.exists(path):
        for line in open(path):
            req, count, note = (line.rstrip("\n").split("\t") + [""])[:3]
            rows.append((int(req), None if count == "-" else int(count), note))
    return rows


DATA = load_results()
META, TARGETS = load_meta()
NAMES = [t for t, _ in TARGETS]


def values(target, metric, level):
    return DATA.get((target, metric, level), [])


def med(target, metric, level):
    v = values(target, metric, level)
    return statistics.median(v) if v else None


def spread(target, metric, level):
    v = values(target, metric, level)
    return statistics.median(v), min(v), max(v)


def fmt(x, digits=0):
    if x is None:
        return "–"
    return f"{x:,.{digits}f}".replace(",", " ")


def cell(target, metric, level, digits=0, unit=""):
    v = values(target, metric, level)
    if not v:
        return "–"
    s = fmt(statistics.median(v), digits) + unit
    if len(v) > 1:
        s += f" <sub>{fmt(min(v), digits)}–{fmt(max(v), digits)}</sub>"
    return s


def failed(target, metric, level):
    """ (N failed) when any connection or request of that step failed."""
    n = med(target, metric, level)
    return f" ({fmt(n)} failed)" if n else ""


def level_label(req, count, note):
    if count is None:
        return f"{fmt(req)}"
    if count != req:
        return f"**{fmt(count)}** (in place of {fmt(req)})"
    return fmt(count)


# --- charts ---------------------------------------------------------------------------------------
def gnuplot(name, script, rows_by_target):
    """Write one .dat block per series (a target, or a target and a figure; rows: x, median, min,
    max; the bars show min-max) and run SCRIPT, then the plot of them; returns the PNG name or None
    when gnuplot is missing or fails."""
    if not shutil.which("gnuplot") or not any(rows_by_target.values()):
        return None
    dat = os.path.join(OUT, f"{name}.dat")
    with open(dat, "w") as f:
        for t in rows_by_target:
            f.write(f"# {t}\n")
            for row in rows_by_target[t]:
                f.write(" ".join(str(x) for x in row) + "\n")
            f.write("\n\n")
    png = f"{name}.png"
    plots = ", ".join(
        f"'{dat}' index {i} using 1:2:3:4 with yerrorlines lw 2 pt 7 title '{t}'"
        for i, t in enumerate(rows_by_target) if rows_by_target[t])
    head = (f"set terminal pngcairo size 800,480 font 'sans,10'\nset output '{os.path.join(OUT, png)}'\n"
            "set grid\nset key below\n"
            "set label 1 'median; bars: min-max over the rounds' at graph 1, graph 1.03 right font 'sans,8'\n")
    try:
        subprocess.run(["gnuplot"], input=head + script + "\nplot " + plots + "\n", text=True,
                       check=True, capture_output=True, timeout=60)
    except (subprocess.SubprocessError, OSError) as e:
        print(f"gnuplot failed for {name}: {getattr(e, 'stderr', e)}", file=sys.stderr)
        return None
    return png


def chart_link(png, alt):
    return f"\n![{alt}]({png})\n" if png else ""


# --- sections -------------------------------------------------------------------------------------
def idle_section():
    levels = [r for r in load_levels("idle") if r[0] > 0]
    if not levels:
        return []
    out = ["### Idle connections: proxy RSS per connection", "",
           "KiB per connection = (RSS with the connections − RSS of the fresh proxy before) / "
           "connections; first with no byte sent, then after one keep-alive GET on each.", "",
           "| idle connections | " + " | ".join(f"{t} idle | {t} after 1 GET" for t in NAMES) + " |",
           "|---|" + "---:|---:|" * len(NAMES)]
    for req, count, note in levels:
        if count is None:
            out.append(f"| {level_label(req, count, note)} | " +
                       " | ".join(f"{note}" for _ in NAMES for _ in (0, 1)) + " |")
            continue
        out.append(f"| {level_label(req, count, note)} | " + " | ".join(
            f"{cell(t, 'idle_kib_per_conn', req, 2)}{failed(t, 'idle_connect_failed', req)} | "
            f"{cell(t, 'idle_req_kib_per_conn', req, 2)}{failed(t, 'idle_req_failed', req)}"
            for t in NAMES) + " |")
    rows = {t: [(c, *spread(t, "idle_kib_per_conn", r)) for r, c, _ in levels
                if c and values(t, "idle_kib_per_conn", r)] for t in NAMES}
    png = gnuplot("idle_kib_per_conn",
                  "set title 'Proxy RSS per idle connection (no byte sent)'\n"
                  "set xlabel 'idle connections held'\nset ylabel 'KiB per connection'\nset yrange [0:*]\n",
                  rows)
    return out + [chart_link(png, "RSS per idle connection")]


def rate_section():
    levels = load_levels("idle")
    if not levels:
        return []
    out = ["### Connection rate while idle connections are held", "",
           "wrk -t1 -c50, `Connection: close` (one request per connection), through a fresh proxy "
           "holding the idle connections; ratio = conn/s ÷ the same proxy's conn/s with none held.",
           "",
           "| idle connections held | " + " | ".join(f"{t} conn/s | ratio" for t in NAMES) + " |",
           "|---|" + "---:|---:|" * len(NAMES)]
    for req, count, note in levels:
        if count is None:
            out.append(f"| {level_label(req, count, note)} | " +
                       " | ".join(f"{note}" for _ in NAMES for _ in (0, 1)) + " |")
            continue
        cells = []
        for t in NAMES:
            base, v = med(t, "close_cps", 0), med(t, "close_cps", req)
            err = med(t, "close_errors", req)
            c = cell(t, "close_cps", req)
            if err:
                c += f" ({fmt(err)} errors)"
            ratio = f"{v / base:.2f}" if base and v is not None else "–"
            cells.append(f"{c} | {ratio}")
        out.append(f"| {level_label(req, count, note)} | " + " | ".join(cells) + " |")
    rows = {t: [(c, *spread(t, "close_cps", r)) for r, c, _ in levels
                if c is not None and values(t, "close_cps", r)] for t in NAMES}
    png = gnuplot("connrate",
                  "set title 'Connection rate (Connection: close) while idle connections are held'\n"
                  "set xlabel 'idle connections held'\nset ylabel 'connections/s'\nset yrange [0:*]\n",
                  rows)
    return out + [chart_link(png, "connection rate vs idle connections")]


def failover_section():
    levels = load_levels("failover")
    if not levels:
        return []
    out = ["### Failover time with sessions open", "",
           "Time from the SIGKILL of site-a's NGINX to the first answer from site-b to a probe "
           "connection (a new one every ms, at most 200 open at once); failed = the probe "
           "connections opened after the kill (or cut by it) that failed before that answer. "
           "A killed gateway's port goes on completing handshakes until the kernel has released "
           "its other sockets (its listening socket goes last): *port closed* is when a connect "
           "straight to site-a (every ms, no proxy) was first refused, and *after port closed* "
           "is the proxy's own part, from then to the first site-b answer.", "",
           "| sessions open | " + " | ".join(
               f"{t} ms | port closed ms | after port closed ms | failed" for t in NAMES) + " |",
           "|---|" + "---:|---:|---:|---:|" * len(NAMES)]
    for req, count, note in levels:
        if count is None:
            out.append(f"| {level_label(req, count, note)} | " +
                       " | ".join(f"{note}" for _ in NAMES for _ in range(4)) + " |")
            continue
        out.append(f"| {level_label(req, count, note)} | " + " | ".join(
            f"{cell(t, 'failover_ms', req)} | {cell(t, 'failover_port_closed_ms', req)} | "
            f"{cell(t, 'failover_after_port_closed_ms', req)} | {cell(t, 'failover_failed', req)}"
            for t in NAMES) + " |")
    rows = {}
    for t in NAMES:
        for metric, label in (("failover_ms", "from the kill"),
                              ("failover_after_port_closed_ms", "from port closed")):
            # + 1 ms: a log scale has no room for the 0 ms the proxy's part can take
            rows[f"{t}, {label}"] = [(c, *(v + 1 for v in spread(t, metric, r)))
                                     for r, c, _ in levels
                                     if c is not None and values(t, metric, r)]
    png = gnuplot("failover",
                  "set title 'Failover: site-a killed, to the first answer of site-b'\n"
                  "set xlabel 'idle sessions open at the kill'\nset ylabel 'ms + 1 (log scale)'\n"
                  "set logscale y\nset yrange [1:*]\n"
                  "set offsets graph 0.05, graph 0.05, 0, 0\n",
                  rows)
    return out + [chart_link(png, "failover time")]


def reload_section():
    counts = sorted({lvl for (_, m, lvl) in DATA if m == "reload_ms"})
    if not counts:
        return []
    out = ["### Reload with many listeners", "",
           "sitelb: SIGHUP, until its `reload: applied` log line; HAProxy (master-worker): SIGUSR2 "
           "to the master, until the old worker has exited and a new one runs. Each reload reads a "
           "changed file (one timeout toggled). RSS: every process of the proxy (HAProxy: master + "
           "worker), before the first reload and 1 s after the last.", "",
           "| listeners | " + " | ".join(f"{t} reload ms | RSS before → after KiB" for t in NAMES) + " |",
           "|---|" + "---:|---:|" * len(NAMES)]
    for k in counts:
        out.append(f"| {k} | " + " | ".join(
            f"{cell(t, 'reload_ms', k, 1)} | {fmt(med(t, 'reload_rss_before_kib', k))} → "
            f"{fmt(med(t, 'reload_rss_after_kib', k))}" for t in NAMES) + " |")
    rows = {t: [(k, *spread(t, "reload_ms", k)) for k in counts if values(t, "reload_ms", k)]
            for t in NAMES}
    png1 = gnuplot("reload_time",
                   "set title 'Reload time'\nset logscale x\nset xlabel 'listeners'\n"
                   "set ylabel 'ms (median)'\nset yrange [0:*]\nset offsets graph 0.05, graph 0.05, 0, 0\n",
                   rows)
    rows = {t: [(k, *(v / 1024 for v in spread(t, "reload_rss_after_kib", k))) for k in counts
                if values(t, "reload_rss_after_kib", k)] for t in NAMES}
    png2 = gnuplot("reload_rss",
                   "set title 'RSS after the reloads (all processes of the proxy)'\nset logscale x\n"
                   "set xlabel 'listeners'\nset ylabel 'MiB'\nset yrange [0:*]\n"
                   "set offsets graph 0.05, graph 0.05, 0, 0\n",
                   rows)
    return out + [chart_link(png1, "reload time"), chart_link(png2, "RSS after reload")]


def main():
    mode = META.get("mode", "?")
    lines = [f"## How cost grows: sitelb vs HAProxy — {META.get('date', '')[:10]} — {mode} run", ""]
    for key in ("machine", "loadavg", "versions", "limits", "setup", "elapsed"):
        if key in META:
            lines.append(f"- {key}: {META[key]}")
    lines.append("- targets: " + "; ".join(f"`{t}` = {d}" for t, d in TARGETS))
    lines.append("")
    for section in (idle_section, rate_section, failover_section, reload_section):
        body = section()
        if body:
            lines += body + [""]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
