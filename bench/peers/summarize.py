#!/usr/bin/env python3
"""Figures of bench/peers/ (Python 3 stdlib only).

  summarize.py run RUN_DIR     print one JSON line: the figures of one run, from its probe.txt
                               (netns_probe probe), watch.txt (netns_probe watch) and events.txt
  summarize.py table OUT_DIR   print the markdown report of OUT_DIR/results.jsonl: per scenario
                               and implementation, the median of each figure and its range
  summarize.py applies          print "IMPL SCENARIO" for each pair that run.sh runs

Definitions (the same as tests/netns/):
  failed connects  attempts (one new connection every 10 ms) started in the window that got no
                   complete HTTP reply within 300 ms; "broken after connecting" are those whose
                   handshake completed (the VIP moved while the connection was open)
  takeover gap     start of the first failed attempt to the start of the last one in the window
  VIP moved        the event to the first watcher sample (every 5 ms) with the VIP on lb2
  both held        time in the window during which both namespaces had the VIP
  force-master     (arbiter-master-crash) from the `peer force-master` command to the VIP on lb2,
                   and the failed connects started in the 2 s after the command
"""
import json
import os
import statistics
import sys

AFTER_MS = 3000       # crash, sigterm, arbiter-crash: the window after the event
HEAL_WINDOW_MS = 2000  # partition, link: the window after the heal
FORCE_WINDOW_MS = 2000  # arbiter-master-crash: the window after force-master

IMPLS = ["sitelb", "sitelb-arbiter", "keepalived"]
# Which implementations each scenario is run for: the arbiter's own failures only where there is
# one (keepalived's comparable fault to arbiter-master-crash is the plain crash).
APPLIES = {
    "crash": set(IMPLS),
    "sigterm": set(IMPLS),
    "partition": set(IMPLS),
    "link": set(IMPLS),
    "arbiter-crash": {"sitelb-arbiter"},
    "arbiter-master-crash": {"sitelb-arbiter"},
}
HOLDERS = {1: "lb1", 2: "lb2", 3: "both", 0: "nobody"}


def read_probe(path):
    attempts = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            start, took_us, outcome, _errno, connected, body = line.split(maxsplit=5)
            attempts.append((float(start), int(took_us), outcome, body.strip(), connected == "1"))
    return attempts


def read_watch(path):
    """[(at_ms, holders)]: each holds from its time to the next; the last is the last sample."""
    points = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            at, holders = line.split()
            points.append((float(at), int(holders)))
    return points


def read_events(path):
    events = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.strip().partition(" ")
            events[key] = value
    return events


def probe_figures(attempts, start, end):
    inside = [a for a in attempts if start <= a[0] < end]
    failed = [a for a in inside if a[2] != "ok"]
    gap = failed[-1][0] - failed[0][0] if failed else 0.0
    outcomes = {}
    for a in failed:
        outcomes[a[2]] = outcomes.get(a[2], 0) + 1
    bodies = {}
    for a in inside:
        if a[2] == "ok":
            bodies[a[3]] = bodies.get(a[3], 0) + 1
    return {"attempts": len(inside), "failed": len(failed), "gap_ms": round(gap),
            "replies_by_body": bodies,
            "failed_by_outcome": outcomes,
            "broken_after_connect": sum(1 for a in failed if a[4])}


def held_ms(points, start, end, predicate):
    total = 0.0
    for (at, holders), nxt in zip(points, points[1:]):
        lo, hi = max(at, start), min(nxt[0], end)
        if hi > lo and predicate(holders):
            total += hi - lo
    return round(total)


def first_time(points, start, predicate):
    """From `start` to the first time the holders satisfy `predicate` (0 if they do at start)."""
    for (at, holders), nxt in zip(points, points[1:] + [(float("inf"), 0)]):
        if nxt[0] <= start:
            continue
        if predicate(holders):
            return round(max(at, start) - start)
    return None


def first_ok(attempts, start):
    """From `start` to the start of the first attempt started after it that got its reply."""
    for a in attempts:
        if a[0] >= start and a[2] == "ok":
            return round(a[0] - start)
    return None


def run(run_dir):
    events = read_events(os.path.join(run_dir, "events.txt"))
    attempts = read_probe(os.path.join(run_dir, "probe.txt"))
    points = read_watch(os.path.join(run_dir, "watch.txt"))
    event = float(events["event"])
    first_event = float(events.get("arbiter_kill", event))
    end = points[-1][0] if points else event
    both = lambda h: h == 3
    nobody = lambda h: h == 0
    out = {"impl": events["impl"], "scenario": events["scenario"],
           "run": os.path.basename(run_dir.rstrip("/")),
           "holder_end": HOLDERS[points[-1][1]] if points else "?",
           "failed_before_event": probe_figures(attempts, 0, first_event)["failed"]}
    if "force" in events:
        # arbiter-master-crash: the arbiter killed, then lb1 (event), then force-master on lb2.
        force = float(events["force"])
        before = probe_figures(attempts, first_event, event)
        waiting = probe_figures(attempts, event, force)
        after = probe_figures(attempts, force, force + FORCE_WINDOW_MS)
        out.update({
            "arbiter_only_failed": before["failed"],
            "failed": waiting["failed"],
            "failed_by_outcome": waiting["failed_by_outcome"],
            "self_held_ms": held_ms(points, event, force, lambda h: h & 2),
            "vip_moved_ms": first_time(points, event, lambda h: h & 2),
            "force_rc": int(events.get("force_rc", -1)),
            "force_cmd_ms": round(float(events["force_done"]) - force)
            if "force_done" in events else None,
            "force_vip_ms": first_time(points, force, lambda h: h & 2),
            "force_failed": after["failed"],
            "force_failed_by_outcome": after["failed_by_outcome"],
            "force_first_reply_ms": first_ok(attempts, force),
        })
    elif "heal" in events:
        heal = float(events["heal"])
        cut = probe_figures(attempts, event, heal)
        after = probe_figures(attempts, heal, heal + HEAL_WINDOW_MS)
        winner = points[-1][1] if points else 0
        out.update({
            "failed": cut["failed"], "gap_ms": cut["gap_ms"],
            "failed_by_outcome": cut["failed_by_outcome"],
            "vip_moved_ms": first_time(points, event, lambda h: h & 2),
            "heal_failed": after["failed"], "heal_gap_ms": after["gap_ms"],
            "heal_broken_after_connect": after["broken_after_connect"],
            "heal_replies_by_body": after["replies_by_body"],
            "heal_failed_by_outcome": after["failed_by_outcome"],
            "heal_one_holder_ms": first_time(points, heal, lambda h: h in (1, 2)),
            "heal_both_held_ms": held_ms(points, heal, end, both),
            "heal_holder": HOLDERS[winner],
            "cut_both_held_ms": held_ms(points, event, heal, both),
            "both_held_ms": held_ms(points, event, end, both),
        })
    else:
        window = probe_figures(attempts, event, event + AFTER_MS)
        out.update({
            "failed": window["failed"], "gap_ms": window["gap_ms"],
            "failed_by_outcome": window["failed_by_outcome"],
            "vip_moved_ms": first_time(points, event, lambda h: h & 2),
            "both_held_ms": held_ms(points, event, end, both),
            "nobody_held_ms": held_ms(points, event, end, nobody),
        })
    print(json.dumps(out, sort_keys=True))


def cell(values, unit=""):
    """Median (min–max); "never" for a time that did not come (the VIP never moved)."""
    never = sum(1 for v in values if v is None)
    values = [v for v in values if v is not None]
    if not values:
        return "never" if never else "–"
    median = statistics.median(values)
    text = f"{median:g}{unit}"
    if len(values) > 1:
        text += f" <sub>({min(values):g}–{max(values):g})</sub>"
    if never:
        text += f", never in {never}"
    return text


# (scenario, row label, key); a key absent from a scenario's runs gives "–".
ROWS = [
    ("crash", "failed connects", "failed"),
    ("crash", "takeover gap, ms", "gap_ms"),
    ("crash", "VIP on the backup after, ms", "vip_moved_ms"),
    ("sigterm", "failed connects", "failed"),
    ("sigterm", "takeover gap, ms", "gap_ms"),
    ("sigterm", "VIP on the backup after, ms", "vip_moved_ms"),
    ("sigterm", "both held the VIP, ms", "both_held_ms"),
    ("sigterm", "nobody held the VIP, ms", "nobody_held_ms"),
    ("partition", "failed connects (partition)", "failed"),
    ("partition", "takeover gap, ms", "gap_ms"),
    ("partition", "VIP on the backup after, ms", "vip_moved_ms"),
    ("partition", "both held the VIP, ms (the cut and after the heal)", "both_held_ms"),
    ("partition", "heal: failed connects in the next 2 s", "heal_failed"),
    ("partition", "heal: of which broken after connecting", "heal_broken_after_connect"),
    ("partition", "heal: one holder again after, ms", "heal_one_holder_ms"),
    ("partition", "heal: both held the VIP, ms", "heal_both_held_ms"),
    ("link", "failed connects (cut)", "failed"),
    ("link", "takeover gap, ms", "gap_ms"),
    ("link", "VIP on the backup after, ms", "vip_moved_ms"),
    ("link", "both held the VIP, ms (the cut and after the heal)", "both_held_ms"),
    ("link", "both held the VIP during the cut, ms", "cut_both_held_ms"),
    ("link", "heal: failed connects in the next 2 s", "heal_failed"),
    ("link", "heal: of which broken after connecting", "heal_broken_after_connect"),
    ("link", "heal: one holder again after, ms", "heal_one_holder_ms"),
    ("link", "heal: both held the VIP, ms", "heal_both_held_ms"),
    ("arbiter-crash", "failed connects", "failed"),
    ("arbiter-crash", "VIP on the backup after, ms", "vip_moved_ms"),
    ("arbiter-crash", "both held the VIP, ms", "both_held_ms"),
    ("arbiter-crash", "nobody held the VIP, ms", "nobody_held_ms"),
    ("arbiter-master-crash", "failed connects between the two kills", "arbiter_only_failed"),
    ("arbiter-master-crash", "lb2 held the VIP before force-master, ms", "self_held_ms"),
    ("arbiter-master-crash", "failed connects from lb1's kill to force-master",
     "failed"),
    ("arbiter-master-crash", "VIP on lb2 after lb1's kill, ms", "vip_moved_ms"),
    ("arbiter-master-crash", "force-master: the command took, ms", "force_cmd_ms"),
    ("arbiter-master-crash", "force-master: VIP on lb2 after, ms", "force_vip_ms"),
    ("arbiter-master-crash", "force-master: first reply after, ms", "force_first_reply_ms"),
    ("arbiter-master-crash", "force-master: failed connects in the next 2 s", "force_failed"),
]


def table(out_dir):
    runs = []
    with open(os.path.join(out_dir, "results.jsonl")) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(out_dir, "meta.json")) as f:
        meta = json.load(f)
    impls = meta["impls"].split() if "impls" in meta else []
    for r in runs:
        if r["impl"] not in impls:
            impls.append(r["impl"])
    lines = [
        f"Runs: {meta['runs']} per scenario and implementation, alternating; advert interval "
        f"{meta['advert_interval_ms']} ms"
        + (f", arbiter lease {meta['lease_ms']} ms" if "lease_ms" in meta else "")
        + f"; {meta['date']}, commit `{meta['commit']}`; "
        f"{meta['keepalived']}; kernel {meta['kernel']}, {meta['cpus']} CPUs, load average "
        f"{meta['loadavg_start']} at the start, {meta.get('loadavg_end', '?')} at the end.",
        "",
        "Median <sub>(min–max)</sub> over the runs; n/a: the scenario is not run for that "
        "implementation (no arbiter: keepalived's and plain sitelb's comparable fault to "
        "arbiter-master-crash is crash); never: the VIP did not move in the window.",
        "",
        "| scenario | figure | " + " | ".join(f"`{i}`" for i in impls) + " |",
        "|---|---|" + "---:|" * len(impls),
    ]
    for scenario, label, key in ROWS:
        cells = []
        for impl in impls:
            chosen = [r for r in runs if r["impl"] == impl and r["scenario"] == scenario]
            if chosen:
                cells.append(cell([r.get(key) for r in chosen]) if any(key in r for r in chosen)
                             else "–")
            else:
                cells.append("–" if impl in APPLIES.get(scenario, ()) else "n/a")
        if all(c in ("–", "n/a") for c in cells):
            continue
        lines.append(f"| {scenario} | {label} | " + " | ".join(cells) + " |")
    for scenario in ("partition", "link"):
        if not any(r["scenario"] == scenario for r in runs):
            continue
        lines += ["", f"Each {scenario} run after the heal: who held the VIP at the end, and who "
                      "answered in the 2 s after the heal (sitelb: the site; keepalived: the "
                      "namespace's server):", ""]
        for impl in impls:
            chosen = [r for r in runs if r["impl"] == impl and r["scenario"] == scenario]
            if chosen:
                lines.append(f"- `{impl}`: " + "; ".join(
                    f"{r.get('heal_holder')} ("
                    + ", ".join(f"{b} {n}"
                                for b, n in sorted(r.get("heal_replies_by_body", {}).items()))
                    + ")" for r in chosen))
    chosen = [r for r in runs if r["scenario"] == "arbiter-crash"]
    if chosen:
        lines += ["", "Who held the VIP at the end of each arbiter-crash run: "
                  + ", ".join(r["holder_end"] for r in chosen) + "."]
    chosen = [r for r in runs if r["scenario"] == "arbiter-master-crash"]
    if chosen:
        lines += ["", "Exit status of each force-master (0: accepted): "
                  + ", ".join(str(r.get("force_rc")) for r in chosen) + "."]
    broken = [r["run"] for r in runs if r.get("failed_before_event")]
    if broken:
        lines += ["", "Runs with failed connects before the event (the pair was not serving "
                      "cleanly yet): " + ", ".join(broken)]
    print("\n".join(lines))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "run":
        run(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "applies":
        for scenario, impls in APPLIES.items():
            for impl in IMPLS:
                if impl in impls:
                    print(impl, scenario)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
