#!/usr/bin/env bash
# One change to the data path, measured: two lb binaries (before and after it) side by side with
# HAProxy's fastest setup for short connections, on the connection-rate workload only (wrk -c50,
# Connection: close), alternating every round. Figures: connections/s and connections per proxy
# CPU-second, medians; after ÷ before and each ÷ HAProxy.
#
#   bench/compare.sh --before PATH --after PATH [--before-label TEXT] [--after-label TEXT]
#                    [--workers N] [--rounds N] [--secs N] [--out DIR]
#
# Build each binary as build-bench does (Release) from the two commits. About (rounds × 3 ×
# (secs + 1)) s plus a few seconds of setup.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH_DIR/lib/drivers.sh"

BEFORE= AFTER= BEFORE_LABEL= AFTER_LABEL= WORKERS=2 ROUNDS=7 CLOSE_SECS=4 OUT_DIR= WRK_THREADS=1 NGINX_WORKERS=1 KEEP_WORKDIR=0
while (($#)); do
    case $1 in
    --before) BEFORE=$2; shift ;;
    --after) AFTER=$2; shift ;;
    --before-label) BEFORE_LABEL=$2; shift ;;
    --after-label) AFTER_LABEL=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --secs) CLOSE_SECS=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[[ -x $BEFORE && -x $AFTER ]] || { echo "--before and --after need two lb binaries" >&2; exit 2; }

set_fd_limits
open_run compare "$BENCH_DIR/out/compare-$(date +%Y%m%d-%H%M%S)"
ensure_tools
# Private copies: the tree may be rebuilt while this runs.
cp "$BEFORE" "$WORKDIR/lb-before" && cp "$AFTER" "$WORKDIR/lb-after"
LB_BIN=$WORKDIR/lb-after

add_target sitelb-before sitelb "sitelb, ${BEFORE_LABEL:-$BEFORE} ($("$BEFORE" version 2>&1 | head -1))"
T_BIN[sitelb-before]=$WORKDIR/lb-before
add_target sitelb-after sitelb "sitelb, ${AFTER_LABEL:-$AFTER} ($("$AFTER" version 2>&1 | head -1))"
T_BIN[sitelb-after]=$WORKDIR/lb-after
add_target haproxy-smart haproxy-smart \
    "HAProxy, mode tcp, option splice-auto, tcp-smart-accept, tcp-smart-connect"
start_sites --no-iperf
for t in "${TARGETS[@]}"; do start_target "$t"; done
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)

for ((round = 1; round <= ROUNDS; round++)); do
    log "round $round/$ROUNDS"
    for t in "${TARGETS[@]}"; do
        target_alive "$t" || die "$t is no longer running: $(tail -5 "${T_LOG[$t]}")"
        connrate "$round" "$t" "$CLOSE_SECS"
    done
done
for t in "${TARGETS[@]}"; do stop_target "$t"; done

{
    echo "## One change, measured: connection rate — $(date -u +%Y-%m-%d)"
    echo
    echo "- machine: $(nproc) cores, kernel $(uname -r); load average $LOADAVG_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    echo "- $ROUNDS rounds alternating the targets; wrk -t1 -c50 ${CLOSE_SECS} s, Connection: close; workers/nbthread $WORKERS"
    for t in "${TARGETS[@]}"; do echo "- \`$t\`: ${T_DESC[$t]}"; done
    echo
    python3 - "$RESULTS" <<'PY'
import collections, statistics, sys
v = collections.defaultdict(list)
for line in open(sys.argv[1]):
    _, target, key, value = line.rstrip("\n").split("\t")
    try:
        v[(target, key)].append(float(value))
    except ValueError:
        pass
names = ["sitelb-before", "sitelb-after", "haproxy-smart"]
def med(t, k):
    return statistics.median(v[(t, k)]) if v[(t, k)] else float("nan")
def cell(t, k):
    x = v[(t, k)]
    return f"{statistics.median(x):,.0f} <sub>{min(x):,.0f}–{max(x):,.0f}</sub>" if x else "–"
print("| figure | " + " | ".join(f"`{n}`" for n in names) + " | after ÷ before | before ÷ HAProxy | after ÷ HAProxy |")
print("|---|" + "---:|" * (len(names) + 3))
for key, label in (("close_cps", "connections/s"), ("close_conns_per_cpu_s", "connections per proxy CPU-second")):
    b, a, h = (med(n, key) for n in names)
    print(f"| {label} | " + " | ".join(cell(n, key) for n in names) +
          f" | {a / b:.2f} | {b / h:.2f} | {a / h:.2f} |")
errors = sum(sum(v[(n, "close_errors")]) for n in names)
print(f"\nErrors (socket + non-2xx) over all runs: {errors:.0f}")
PY
} >"$OUT_DIR/report.md"
cat "$OUT_DIR/report.md"
log "report: $OUT_DIR/report.md"
