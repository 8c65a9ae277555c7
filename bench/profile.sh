#!/usr/bin/env bash
# Where does a proxy's time go? Sites as in run.sh, one proxy, and per workload:
#   - a CPU profile of the proxy process (perf record -e cpu-clock: works without hardware
#     counters; flat by symbol, self time, kernel included),
#   - a syscall count of the proxy (strace -c, every thread), and per connection (calls divided by
#     the successful accept4 calls in the same window), so proxies can be compared call by call,
#   - for the close workload, the TCP segments per connection on both legs (tcpdump on lo, 2 s;
#     bench/packet_count.py), which is the kernel's share of the work.
#
#   bench/profile.sh [--target sitelb|haproxy|haproxy-splice|haproxy-smart] [--lb PATH] [--lb-extra TEXT]
#                    [--workers N] [--secs N] [--workloads "bulk1 close keepalive"] [--out DIR]
#
# Use a binary with symbols (e.g. RelWithDebInfo). Output: DIR/<workload>.perf.txt,
# DIR/<workload>.syscalls.txt and DIR/summary.md.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH_DIR/lib/drivers.sh"

KIND=sitelb WORKERS=1 SECS=8 LB_BIN=$REPO_DIR/build-bench/lb/lb EXTRA= OUT_DIR=
WORKLOADS="bulk1 close keepalive" WRK_THREADS=1 NGINX_WORKERS=1 KEEP_WORKDIR=0
while (($#)); do
    case $1 in
    --target) KIND=$2; shift ;;
    --lb) LB_BIN=$2; shift ;;
    --lb-extra) EXTRA=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --secs) SECS=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
FD_LIMIT=$(ulimit -Hn); [[ $FD_LIMIT == unlimited ]] && FD_LIMIT=1048576
ulimit -Sn "$FD_LIMIT"
HAPROXY_MAXCONN=$(((FD_LIMIT - 812) / 2)); ((HAPROXY_MAXCONN > 100000)) && HAPROXY_MAXCONN=100000
HAPROXY_MAXPIPES=256

WORKDIR=$(mktemp -d /tmp/sitelb-profile.XXXXXX)
install_trap
: "${OUT_DIR:=$BENCH_DIR/out/profile-$KIND$([[ -n $EXTRA ]] && echo "-${EXTRA//[^a-z0-9]/}")-$(date +%H%M%S)}"
mkdir -p "$OUT_DIR"
RESULTS=$WORKDIR/results.tsv
ensure_tools
perf stat -e cpu-clock true >/dev/null 2>&1 || die "perf does not work here (apt-get install linux-perf)"
command -v strace >/dev/null || die "strace is missing (apt-get install strace)"
cp "$LB_BIN" "$WORKDIR/lb" 2>/dev/null && LB_BIN=$WORKDIR/lb

add_target "$KIND" "$KIND" "$KIND ${EXTRA}" "$EXTRA"
start_sites
start_target "$KIND"
PID=${T_PID[$KIND]}

# load WORKLOAD SECONDS OUTFILE: start the load in the background, leave its pid in BG_PID.
load() {
    local w=$1 secs=$2 out=$3
    case $w in
    bulk1 | bulk4)
        split_hostport "${T_BULK[$KIND]}"
        start_bg "iperf3-$w" "$out" timeout $((secs + 20)) iperf3 --client "$HOST" --port "$PORT" \
            --time "$secs" --parallel "${w#bulk}" --json ;;
    close)
        split_hostport "${T_WEB[$KIND]}"
        start_bg "wrk-$w" "$out" timeout $((secs + 20)) wrk -t1 -c50 -d"${secs}s" \
            -s "$BENCH_DIR/wrk/report.lua" -H 'Connection: close' "http://$HOST:$PORT/" ;;
    keepalive)
        split_hostport "${T_WEB[$KIND]}"
        start_bg "wrk-$w" "$out" timeout $((secs + 20)) wrk -t1 -c8 -d"${secs}s" \
            -s "$BENCH_DIR/wrk/report.lua" "http://$HOST:$PORT/" ;;
    *) die "unknown workload $w" ;;
    esac
}

units() {  # WORKLOAD OUTFILE: requests (wrk) or GiB moved (iperf3) in the run
    case $1 in
    bulk*) python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.2f GiB" % (d["end"]["sum_received"]["bytes"]/2**30))' "$2" 2>/dev/null ;;
    *) echo "$(kv requests "$(wrk_report "$2")") requests" ;;
    esac
}

# syscall_table STRACE_C_FILE WORKLOAD: strace -c's counts, and per connection (a connection =
# one successful accept4) for the connection workloads.
syscall_table() {
    local file=$1 w=$2
    echo "syscalls of all threads, \`strace -c\` over ~4 s of load (strace slows the proxy; the counts are what matter):"
    echo '```'
    awk -v per_conn="$([[ $w == close || $w == keepalive ]] && echo 1 || echo 0)" '
        $1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" {
            calls[$NF] = $4; errors[$NF] = (NF == 6 ? $5 : 0)
            if ($NF == "accept4") conns = $4 - errors[$NF]
        }
        END {
            printf "%-14s %9s %9s %s\n", "syscall", "calls", "errors", (per_conn && conns ? "  per connection" : "")
            for (k in calls) {
                printf "%-14s %9d %9d", k, calls[k], errors[k]
                if (per_conn && conns) printf "  %6.2f", calls[k] / conns
                printf "\n"
                total += calls[k]
            }
            if (per_conn && conns)
                printf "%-14s %9d %9s  %6.2f   (%d connections accepted)\n", "all", total, "", total / conns, conns
        }' "$file" | { read -r header; echo "$header"; sort -k2,2nr | awk '/^all /{ a = $0; next } { print } END { if (a) print a }'; }
    echo '```'
}

{
    echo "## $KIND ${EXTRA:+($EXTRA) }profile — workers $WORKERS, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
} >"$OUT_DIR/summary.md"
for w in $WORKLOADS; do
    log "$w: perf record ${SECS}s"
    load "$w" $((SECS + 2)) "$WORKDIR/$w.load.txt"; lpid=$BG_PID
    sleep 1
    c0=$(cpu_ticks "$PID")
    run_bounded $((SECS + 20)) perf record -e cpu-clock -F 1999 -g -p "$PID" -o "$WORKDIR/$w.perf.data" \
        -- sleep "$SECS" >/dev/null 2>&1
    c1=$(cpu_ticks "$PID")
    wait "$lpid"; forget_pid "$lpid"
    perf report -i "$WORKDIR/$w.perf.data" --stdio --no-children -g none --sort dso,symbol \
        --percent-limit 0.7 2>/dev/null | grep -v '^$' >"$OUT_DIR/$w.perf.txt"
    perf report -i "$WORKDIR/$w.perf.data" --stdio --no-children -g caller,0.5,callee --sort symbol \
        --percent-limit 3 2>/dev/null >"$OUT_DIR/$w.perf-callers.txt"
    perf report -i "$WORKDIR/$w.perf.data" --stdio --no-children -g none --sort dso 2>/dev/null |
        grep -E '^ +[0-9]' >"$OUT_DIR/$w.perf-dso.txt"

    log "$w: strace -c 4s"
    load "$w" 6 "$WORKDIR/$w.trace-load.txt"; lpid=$BG_PID
    sleep 0.5
    # Every thread of the proxy (-p per thread: -f only follows threads created afterwards);
    # SIGINT detaches strace, which then writes its table.
    tids=(); for t in /proc/"$PID"/task/*; do tids+=(-p "${t##*/}"); done
    run_bounded 30 timeout -s INT 4 strace -c -f "${tids[@]}" -o "$OUT_DIR/$w.syscalls.txt" \
        >/dev/null 2>&1
    wait "$lpid"; forget_pid "$lpid"
    if [[ $w == close ]] && command -v tcpdump >/dev/null; then
        log "$w: tcpdump 2s"
        split_hostport "${T_WEB[$KIND]}"
        load "$w" 4 "$WORKDIR/$w.capture-load.txt"; lpid=$BG_PID
        sleep 0.5
        run_bounded 20 timeout -s INT 2 tcpdump -Z root -i lo -nn -s 96 -B 32768 -w "$WORKDIR/$w.pcap" \
            "tcp port $PORT or tcp port $SITE_HTTP_PORT" >"$WORKDIR/$w.tcpdump.log" 2>&1
        wait "$lpid"; forget_pid "$lpid"
        python3 "$BENCH_DIR/packet_count.py" "$WORKDIR/$w.pcap" "$PORT" "$SITE_HTTP_PORT" \
            >"$OUT_DIR/$w.packets.md" 2>&1
        grep -h "dropped by kernel" "$WORKDIR/$w.tcpdump.log" >>"$OUT_DIR/$w.packets.md"
    fi
    {
        echo "### $w — proxy CPU $(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v s="$SECS" 'BEGIN { printf "%.0f%% of one core", 100 * t / hz / s }') during the profile ($(units "$w" "$WORKDIR/$w.load.txt") in $((SECS + 2)) s)"
        echo
        echo "by object: $(awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }' "$OUT_DIR/$w.perf-dso.txt")"
        echo
        echo '```'
        grep -E '^ +[0-9]' "$OUT_DIR/$w.perf.txt" | sed 's/ \{2,\}-  *-  *$//' | head -25
        echo '```'
        echo
        syscall_table "$OUT_DIR/$w.syscalls.txt" "$w"
        echo
        if [[ -s $OUT_DIR/$w.packets.md ]]; then
            echo "TCP segments per connection, both legs (\`tcpdump\` on lo over 2 s of load):"
            echo
            cat "$OUT_DIR/$w.packets.md"
            echo
        fi
    } >>"$OUT_DIR/summary.md"
done
cat "$OUT_DIR/summary.md"
log "profile in $OUT_DIR"
