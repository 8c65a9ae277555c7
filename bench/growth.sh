#!/usr/bin/env bash
# How cost grows with the work, sitelb next to HAProxy, on loopback: see bench/README.md,
# "How cost grows".
#
#   bench/growth.sh [--quick] [--workers N] [--rounds N] [--with-copy] [--lb PATH] [--out DIR]
#                   [--only "idle failover reload"] [--max-sessions N] [--keep]
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH_DIR/lib/drivers.sh"
source "$BENCH_DIR/lib/growth.sh"

usage() {
    sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'TXT'
  --quick            small sizes and short runs (smoke test, about 1½ minutes)
  --workers N        sitelb workers = HAProxy nbthread (default 1)
  --rounds N         rounds of the idle/rate and failover tests (default 3; quick 1)
  --with-copy        also run sitelb with splice = false
  --lb PATH          the lb binary (default build-bench/lb/lb, built with cmake when missing)
  --only LIST        run only these tests, of: idle (idle memory + connection rate), failover, reload
  --levels LIST      idle connections held (default "0 1000 5000 10000 50000"; quick "0 500 2000 10000")
  --failover-levels LIST  sessions open at the failover (default "0 10000"; quick "0 10000")
  --listeners LIST   listener counts of the reload test (default "1 10 100")
  --max-sessions N   hold at most N sessions (quick: 3000); the fd limit and ports cap it anyway
  --out DIR          where results.tsv, report.md and the charts go (default bench/out/growth-DATE)
  --keep             keep the temporary directory (configs, logs of every process)
TXT
}

# --- options ------------------------------------------------------------------------------------
QUICK=0 WORKERS=1 ROUNDS= WITH_COPY=0 LB_BIN= OUT_DIR= KEEP_WORKDIR=0 MAX_SESSIONS=
ONLY="idle failover reload" LEVELS= FAILOVER_LEVELS= LISTENER_COUNTS="1 10 100"
WRK_THREADS=1 NGINX_WORKERS=1
while (($#)); do
    case $1 in
    --quick) QUICK=1 ;;
    --workers) WORKERS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --with-copy) WITH_COPY=1 ;;
    --lb) LB_BIN=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --levels) LEVELS=$2; shift ;;
    --failover-levels) FAILOVER_LEVELS=$2; shift ;;
    --listeners) LISTENER_COUNTS=$2; shift ;;
    --max-sessions) MAX_SESSIONS=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    --keep) KEEP_WORKDIR=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done

if ((QUICK)); then
    : "${ROUNDS:=1}" "${LEVELS:=0 500 2000 10000}" "${FAILOVER_LEVELS:=0 10000}" "${MAX_SESSIONS:=3000}"
    CLOSE_SECS=1     # wrk Connection: close run (connection rate)
    RELOADS=2        # reloads per proxy and listener count
    SETTLE_SECS=1
else
    : "${ROUNDS:=3}" "${LEVELS:=0 1000 5000 10000 50000}" "${FAILOVER_LEVELS:=0 10000}"
    CLOSE_SECS=4
    RELOADS=3
    SETTLE_SECS=1
fi
HOLD_SECS=200            # the holder exits by itself after this, whatever happens
CHECK_SETTLE_SECS=5      # checks every 1 s: both sites up, at full health, before a kill (see README)
PROBE_INTERVAL=0.001     # the failover probe opens a connection every ms ...
PROBE_INFLIGHT=200       # ... with at most this many open (HAProxy retries a refused one for ~3 s)
PROBE_MAX_SECS=15        # ... for at most this long
WATCH_INTERVAL=0.001     # ... and connects straight to site-a's port every ms
has_test() { [[ " $ONLY " == *" $1 "* ]]; }

# --- setup --------------------------------------------------------------------------------------
set_fd_limits
open_run growth "$BENCH_DIR/out/growth-$(date +%Y%m%d-%H%M%S)"
rm -f "$OUT_DIR"/levels.tsv.*
START_SECONDS=$SECONDS
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "work dir $WORKDIR, results in $OUT_DIR"

ensure_tools
if ! command -v gnuplot >/dev/null 2>&1; then
    log "installing gnuplot-nox (the charts)"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        --no-install-recommends gnuplot-nox >"$WORKDIR/apt-gnuplot.log" 2>&1 ||
        warn "gnuplot-nox could not be installed: the report has no charts"
fi
prepare_lb_binary

add_target haproxy-splice haproxy-splice "HAProxy, mode tcp, option splice-auto"
if sitelb_accepts 'splice = true'; then
    add_target sitelb-splice sitelb "sitelb, splice = true (its default)" 'splice = true'
    ((WITH_COPY)) && add_target sitelb-copy sitelb "sitelb, splice = false" 'splice = false'
else
    add_target sitelb sitelb "sitelb, defaults (this build has no splice option)"
fi

# The idle levels share the machine with wrk's 50 connections; the failover level with the probes.
SESSION_ROOM=100
set_session_cap
log "fd hard limit $FD_LIMIT, $(port_range_size) ephemeral ports: at most $SESSION_CAP idle sessions ($CAP_REASON)"
mapfile -t IDLE_PLAN < <(has_test idle && resolve_levels idle "$SESSION_CAP" $LEVELS)
SESSION_ROOM=$PROBE_INFLIGHT
set_session_cap
mapfile -t FAILOVER_PLAN < <(has_test failover && resolve_levels failover "$SESSION_CAP" $FAILOVER_LEVELS)

n_targets=${#TARGETS[@]}
estimate=10
for row in "${IDLE_PLAN[@]}"; do
    IFS=$'\t' read -r _ n _ <<<"$row"
    [[ $n == - ]] || estimate=$((estimate + ROUNDS * n_targets * (4 + CLOSE_SECS + n / 2500)))
done
for row in "${FAILOVER_PLAN[@]}"; do
    IFS=$'\t' read -r _ n _ <<<"$row"
    [[ $n == - ]] || estimate=$((estimate + ROUNDS * n_targets * (6 + n / 3000)))
done
has_test reload && for k in $LISTENER_COUNTS; do
    estimate=$((estimate + n_targets * (3 + RELOADS / 2 + k / 50)))
done
log "targets: ${TARGETS[*]}; workers $WORKERS; about $((estimate / 60)) min $((estimate % 60)) s"

# The failover test kills site-a's process: one process per site (see sites.sh).
NGINX_MASTER=off
start_sites --no-iperf

# --- the tests ----------------------------------------------------------------------------------
# A fresh proxy for every level, the targets alternating within each level.
for ((round = 1; round <= ROUNDS; round++)); do
    for row in "${IDLE_PLAN[@]}"; do
        IFS=$'\t' read -r level n _ <<<"$row"
        [[ $n == - ]] && continue
        log "idle + connection rate, round $round/$ROUNDS: $n idle connections (level $level)"
        for t in "${TARGETS[@]}"; do idle_and_rate "$round" "$t" "$level" "$n"; done
    done
done

for ((round = 1; round <= ROUNDS; round++)); do
    for row in "${FAILOVER_PLAN[@]}"; do
        IFS=$'\t' read -r level n _ <<<"$row"
        [[ $n == - ]] && continue
        log "failover, round $round/$ROUNDS: $n sessions open (level $level)"
        for t in "${TARGETS[@]}"; do failover "$round" "$t" "$level" "$n"; done
    done
done

if has_test reload; then
    for k in $LISTENER_COUNTS; do
        log "reload: $k listeners, $RELOADS reloads"
        for t in "${TARGETS[@]}"; do reload_growth 1 "$t" "$k"; done
    done
fi

# --- report -------------------------------------------------------------------------------------
ELAPSED=$((SECONDS - START_SECONDS))
first_line() { "$@" 2>&1 | head -1; }
{
    printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'mode\t%s\n' "$( ((QUICK)) && echo quick || echo full)"
    printf 'machine\t%s cores (%s), kernel %s\n' "$(nproc)" \
        "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" "$(uname -r)"
    printf 'loadavg\t%s at the start, %s at the end\n' "$LOADAVG_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'versions\t%s; %s; %s; %s\n' "$(first_line haproxy -v)" "$(first_line nginx -v)" \
        "$(first_line wrk -v | sed 's/ Copyright.*//')" \
        "$(first_line "$LB_BIN" version) ($LB_BIN_ORIG, $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null))"
    printf 'limits\tfd hard limit %s, ephemeral ports %s, HAProxy maxconn %s, maxpipes %s\n' \
        "$FD_LIMIT" "$(port_range_size)" "$HAPROXY_MAXCONN" "${HAPROXY_MAXPIPES:-default}"
    printf 'setup\tworkers/nbthread %s; %s round(s); wrk -t1 -c50 %s s per rate; %s reloads per count\n' \
        "$WORKERS" "$ROUNDS" "$CLOSE_SECS" "$RELOADS"
    printf 'elapsed\t%s min %s s\n' $((ELAPSED / 60)) $((ELAPSED % 60))
    for t in "${TARGETS[@]}"; do printf 'target\t%s\t%s\n' "$t" "${T_DESC[$t]}"; done
} >"$OUT_DIR/meta.tsv"
python3 "$BENCH_DIR/growth_report.py" "$OUT_DIR" >"$OUT_DIR/report.md" ||
    warn "growth_report.py failed"
mkdir -p "$OUT_DIR/logs"
for t in "${TARGETS[@]}"; do
    for f in "$WORKDIR/$t"/stderr*.log; do cp "$f" "$OUT_DIR/logs/$t.${f##*/}" 2>/dev/null; done
done
cat "$OUT_DIR/report.md"
log "done in $((ELAPSED / 60)) min $((ELAPSED % 60)) s; report: $OUT_DIR/report.md"
