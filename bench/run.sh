#!/usr/bin/env bash
# sitelb vs HAProxy, side by side, on loopback: see bench/README.md.
#
#   bench/run.sh [--quick] [--workers N] [--rounds N] [--lb PATH] [--lb-extra 'key = value']...
#                [--out DIR] [--idle-conns N] [--wrk-threads N] [--nginx-workers N] [--keep]
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH_DIR/lib/drivers.sh"

usage() {
    sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'TXT'
  --quick            2 rounds of short runs (smoke test, < 2 minutes)
  --workers N        sitelb workers = HAProxy nbthread (default 1; the figure the targets are set for: nproc)
  --rounds N         rounds of A B A B ... (default 3; quick 2)
  --idle-rounds N    rounds of the idle-memory test, fresh proxies each (default 1: the figure
                     repeats to ±0.05 KiB, and the 10-minute budget has no room for more)
  --lb PATH          the lb binary (default build-bench/lb/lb, built with cmake when missing)
  --lb-extra TEXT    add a sitelb variant with TEXT appended to [global] ('\n' separates lines);
                     repeatable. Without it: if `lb check` accepts `splice = true`, both
                     `splice = false` and `splice = true` are run, else sitelb's defaults.
  --no-haproxy-splice  leave out the HAProxy `option splice-auto` setup
  --no-haproxy-smart   leave out the HAProxy setup with splice-auto, tcp-smart-accept and
                     tcp-smart-connect (its fastest for short connections)
  --idle-conns N     idle connections held (default 10000, capped by the fd limit; quick 2000)
  --wrk-threads N    wrk -t (default 1)
  --nginx-workers N  worker_processes of each gateway (default 1)
  --out DIR          where results.tsv, meta.json, report.md and logs go (default bench/out/DATE)
  --keep             keep the temporary directory (configs, logs of every process)
TXT
}

# --- options ------------------------------------------------------------------------------------
QUICK=0 WORKERS=1 ROUNDS= IDLE_ROUNDS= LB_BIN= OUT_DIR= IDLE_CONNS= WRK_THREADS=1 NGINX_WORKERS=1 KEEP_WORKDIR=0
HAPROXY_SPLICE=1 HAPROXY_SMART=1
LB_EXTRAS=()
while (($#)); do
    case $1 in
    --quick) QUICK=1 ;;
    --workers) WORKERS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --idle-rounds) IDLE_ROUNDS=$2; shift ;;
    --lb) LB_BIN=$2; shift ;;
    --lb-extra) LB_EXTRAS+=("$2"); shift ;;
    --no-haproxy-splice) HAPROXY_SPLICE=0 ;;
    --no-haproxy-smart) HAPROXY_SMART=0 ;;
    --idle-conns) IDLE_CONNS=$2; shift ;;
    --wrk-threads) WRK_THREADS=$2; shift ;;
    --nginx-workers) NGINX_WORKERS=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    --keep) KEEP_WORKDIR=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done

PACE_MS=1  # the paced keep-alive run: each of its 8 connections waits 1 ms between requests
if ((QUICK)); then
    : "${ROUNDS:=2}" "${IDLE_CONNS:=2000}" "${IDLE_ROUNDS:=1}"
    BULK_SECS=1      # iperf3 -t, each of 1 and 4 streams
    LAT_SECS=1       # wrk keep-alive latency run
    CLOSE_SECS=1     # wrk Connection: close run (connection rate)
    CHURN_SECS=10    # connect/close at full speed through every proxy at once
    SETTLE_SECS=1
else
    : "${ROUNDS:=3}" "${IDLE_CONNS:=10000}" "${IDLE_ROUNDS:=1}"
    BULK_SECS=10
    LAT_SECS=4
    CLOSE_SECS=4
    CHURN_SECS=60
    SETTLE_SECS=2
fi

# The fd limit: a proxy needs 2 fds per idle connection plus its own, so the idle count is
# capped to fit.
set_fd_limits
IDLE_CAP=$((HAPROXY_MAXCONN - 100))
if ((IDLE_CONNS > IDLE_CAP)); then
    IDLE_REQUESTED=$IDLE_CONNS
    IDLE_CONNS=$IDLE_CAP
fi

# --- setup --------------------------------------------------------------------------------------
open_run bench "$BENCH_DIR/out/$(date +%Y%m%d-%H%M%S)"
START_SECONDS=$SECONDS
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "work dir $WORKDIR, results in $OUT_DIR"
[[ -n ${IDLE_REQUESTED:-} ]] &&
    warn "fd hard limit is $FD_LIMIT: idle connections capped at $IDLE_CONNS (asked $IDLE_REQUESTED)"

ensure_tools

prepare_lb_binary

add_target direct direct "no proxy: wrk/iperf3 straight to site-a (the ceiling)"
add_target haproxy haproxy "HAProxy, mode tcp, stock"
((HAPROXY_SPLICE)) && add_target haproxy-splice haproxy-splice "HAProxy, mode tcp, option splice-auto"
((HAPROXY_SMART)) && add_target haproxy-smart haproxy-smart \
    "HAProxy, mode tcp, option splice-auto, tcp-smart-accept, tcp-smart-connect"
if ((${#LB_EXTRAS[@]})); then
    add_target sitelb sitelb "sitelb, defaults"
    i=1
    for extra in "${LB_EXTRAS[@]}"; do
        sitelb_accepts "$extra" || die "lb check rejects --lb-extra '$extra'"
        add_target "sitelb-v$i" sitelb "sitelb with [global] $(printf '%b' "$extra" | paste -sd';')" "$extra"
        i=$((i + 1))
    done
elif sitelb_accepts 'splice = true'; then
    add_target sitelb-copy sitelb "sitelb, splice = false" 'splice = false'
    add_target sitelb-splice sitelb "sitelb, splice = true" 'splice = true'
else
    add_target sitelb sitelb "sitelb, defaults (this build has no splice option)"
fi
PROXIES=("${TARGETS[@]:1}")

n_proxy=${#PROXIES[@]}
estimate=$((ROUNDS * (n_proxy + 1) * (2 * BULK_SECS + 2 * LAT_SECS + CLOSE_SECS + 4) + CHURN_SECS
    + 3 * SETTLE_SECS + IDLE_ROUNDS * n_proxy * (4 + IDLE_CONNS / 2500) + 10))
log "targets: ${TARGETS[*]}; workers $WORKERS; $ROUNDS rounds; about $((estimate / 60)) min $((estimate % 60)) s"

start_sites
for t in "${PROXIES[@]}"; do start_target "$t"; done

# --- the rounds: A B A B ... --------------------------------------------------------------------
for ((round = 1; round <= ROUNDS; round++)); do
    log "round $round/$ROUNDS"
    for t in "${TARGETS[@]}"; do
        target_alive "$t" || die "$t is no longer running: $(tail -5 "${T_LOG[$t]}")"
        bulk "$round" "$t" 1
        bulk "$round" "$t" 4
        latency "$round" "$t"
        latency "$round" "$t" "$PACE_MS"
        connrate "$round" "$t" "$CLOSE_SECS"
    done
done

sleep "$SETTLE_SECS"
churn "${PROXIES[@]}"
for t in "${PROXIES[@]}"; do
    target_alive "$t" || die "$t is no longer running: $(tail -5 "${T_LOG[$t]}")"
    stop_target "$t"
done

for ((round = 1; round <= IDLE_ROUNDS; round++)); do
    log "idle memory, round $round/$IDLE_ROUNDS: $IDLE_CONNS connections through a fresh proxy"
    for t in "${PROXIES[@]}"; do
        start_target "$t" "idle-r$round"
        idle "$round" "$t"
        target_alive "$t" || warn "$t died during the idle test: $(tail -5 "${T_LOG[$t]}")"
        stop_target "$t"
    done
done

# --- report -------------------------------------------------------------------------------------
ELAPSED=$((SECONDS - START_SECONDS))
first_line() { "$@" 2>&1 | head -1; }
python3 - "$OUT_DIR/meta.json" <<PY
import json, sys
targets = [$(for t in "${TARGETS[@]}"; do printf '{"name": "%s", "kind": "%s", "desc": %s},' "$t" "${T_KIND[$t]}" "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "${T_DESC[$t]}")"; done)]
meta = {
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "nproc": "$(nproc)",
  "kernel": "$(uname -r)",
  "cpu": "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)",
  "haproxy": "$(first_line haproxy -v)",
  "nginx": "$(first_line nginx -v)",
  "wrk": "$(first_line wrk -v | sed 's/ Copyright.*//')",
  "iperf3": "$(first_line iperf3 -v)",
  "lb": "$(first_line "$LB_BIN" version) ($LB_BIN_ORIG, $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null)$( [[ -n $(git -C "$REPO_DIR" status --porcelain -- lb config health 2>/dev/null) ]] && echo ", uncommitted changes in lb/ config/ health/"))",
  "workers": $WORKERS, "rounds": $ROUNDS, "quick": $QUICK, "bulk_secs": $BULK_SECS,
  "latency_secs": $LAT_SECS, "close_secs": $CLOSE_SECS, "churn_secs": $CHURN_SECS,
  "idle_conns": $IDLE_CONNS, "idle_rounds": $IDLE_ROUNDS, "fd_limit": $FD_LIMIT,
  "haproxy_maxconn": $HAPROXY_MAXCONN, "haproxy_maxpipes": "${HAPROXY_MAXPIPES:-default}",
  "wrk_threads": $WRK_THREADS, "nginx_workers": $NGINX_WORKERS,
  "loadavg_start": "$LOADAVG_START", "loadavg_end": "$(cut -d' ' -f1-3 /proc/loadavg)", "elapsed_s": $ELAPSED,
  "targets": targets,
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
PY
{
    echo "## sitelb vs HAProxy — $(date -u +%Y-%m-%d) — $( ((QUICK)) && echo quick || echo full) run"
    echo
    python3 - "$OUT_DIR/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"- machine: {m['nproc']} cores ({m['cpu']}), kernel {m['kernel']}; load average (1/5/15 min) {m['loadavg_start']} at the start, {m['loadavg_end']} at the end")
print(f"- versions: {m['haproxy']}; {m['nginx']}; {m['wrk']}; {m['iperf3']}; {m['lb']}")
print(f"- {m['rounds']} rounds alternating the targets; workers/nbthread = {m['workers']}; "
      f"iperf3 {m['bulk_secs']} s per bulk run; wrk -t{m['wrk_threads']}, latency {m['latency_secs']} s, "
      f"connection rate {m['close_secs']} s; churn {m['churn_secs']} s through all proxies at once; "
      f"{m['idle_conns']} idle connections × {m['idle_rounds']} rounds (fd hard limit {m['fd_limit']}; HAProxy maxconn {m['haproxy_maxconn']}, maxpipes {m['haproxy_maxpipes']}); "
      f"NGINX worker_processes {m['nginx_workers']}; "
      f"took {m['elapsed_s'] // 60} min {m['elapsed_s'] % 60} s")
print()
PY
    python3 "$BENCH_DIR/summarize.py" table "$RESULTS" "$OUT_DIR/meta.json"
} >"$OUT_DIR/report.md"
((KEEP_WORKDIR)) && cp "$WORKDIR/pids.tsv" "$OUT_DIR/" 2>/dev/null
mkdir -p "$OUT_DIR/logs"
for t in "${PROXIES[@]}"; do
    for f in "$WORKDIR/$t"/stderr*.log; do cp "$f" "$OUT_DIR/logs/$t.${f##*/}" 2>/dev/null; done
done
cat "$OUT_DIR/report.md"
log "done in $((ELAPSED / 60)) min $((ELAPSED % 60)) s; report: $OUT_DIR/report.md"
