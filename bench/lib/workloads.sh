# bench/lib/workloads.sh — one function per workload; each records its figures with `record`.
# Every load is bounded: wrk -d / iperf3 -t, and an outer `timeout` on top.

split_hostport() { HOST=${1%:*}; PORT=${1##*:}; }

# proxy_cpu_ticks TARGET: CPU ticks of the proxy process, or 0 for "direct".
proxy_cpu_ticks() {
    if [[ ${T_KIND[$1]} == direct ]]; then echo 0; else cpu_ticks "${T_PID[$1]}" || echo 0; fi
}

# bulk ROUND TARGET STREAMS: iperf3 through the proxy's bulk listener to site-a's iperf3 server.
bulk() {
    local round=$1 target=$2 streams=$3 out=$WORKDIR/$2/iperf3-r$1-P$3.json
    local metric=bulk$streams c0 c1 attempt
    split_hostport "${T_BULK[$target]}"
    for attempt in 1 2; do
        c0=$(proxy_cpu_ticks "$target")
        run_bounded $((BULK_SECS + 30)) iperf3 --client "$HOST" --port "$PORT" \
            --time "$BULK_SECS" --parallel "$streams" --json >"$out" 2>&1
        c1=$(proxy_cpu_ticks "$target")
        if python3 "$BENCH_DIR/summarize.py" iperf3 "$out" >/dev/null 2>&1; then break; fi
        warn "iperf3 via $target failed (attempt $attempt): $(head -c 300 "$out")"
        restart_iperf_server site-a
    done
    local fields
    fields=$(python3 "$BENCH_DIR/summarize.py" iperf3 "$out" 2>/dev/null) || return 0
    local gbps gbit
    read -r gbps gbit <<<"$fields"
    record "$round" "$target" "${metric}_gbps" "$gbps"
    if [[ ${T_KIND[$target]} != direct ]]; then
        local cpu_s
        cpu_s=$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", (b - a) / hz }')
        record "$round" "$target" "${metric}_cpu_s" "$cpu_s"
        record "$round" "$target" "${metric}_gbit_per_cpu_s" \
            "$(awk -v g="$gbit" -v c="$cpu_s" 'BEGIN { if (c > 0) printf "%.3f", g / c; else print "nan" }')"
    fi
    log "  $target bulk P$streams: $gbps Gbit/s"
}

# run_wrk TARGET CONNS SECS OUTFILE [wrk options...]: wrk against the target's web address.
run_wrk() {
    local target=$1 conns=$2 secs=$3 out=$4; shift 4
    split_hostport "${T_WEB[$target]}"
    local threads=$WRK_THREADS
    ((threads > conns)) && threads=$conns
    run_bounded $((secs + 30)) wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s \
        -s "$BENCH_DIR/wrk/report.lua" "$@" "http://$HOST:$PORT/" >"$out" 2>&1
}

# wrk_report FILE: the key=value pairs of report.lua's line.
wrk_report() { grep '^WRK ' "$1" 2>/dev/null | tail -1 | cut -d' ' -f2-; }

wrk_errors() {  # "k=v ..." -> socket errors + HTTP errors
    echo $(($(kv connect "$1") + $(kv read "$1") + $(kv write "$1") + $(kv timeout "$1") + $(kv status "$1")))
}

# kv KEY "k=v k=v ...": the value of KEY.
kv() { local pair; for pair in $2; do [[ ${pair%%=*} == "$1" ]] && { echo "${pair#*=}"; return; }; done; echo nan; }

# latency ROUND TARGET [PACE_MS]: keep-alive GETs on 8 connections, as fast as they go (full
# load), or each connection waiting PACE_MS between requests ("paced": figures ka_paced_*).
latency() {
    local round=$1 target=$2 pace=${3:-} line out key=ka
    [[ -n $pace ]] && key=ka_paced
    out=$WORKDIR/$2/wrk-$key-r$1.txt
    export WRK_PACE_MS=$pace  # read by report.lua; empty: no pacing
    run_wrk "$target" 8 "$LAT_SECS" "$out" --latency
    unset WRK_PACE_MS
    line=$(wrk_report "$out")
    [[ -n $line ]] || { warn "wrk latency ($key) via $target produced no report"; return 0; }
    local req dur p50 p99
    req=$(kv requests "$line"); dur=$(kv duration_us "$line")
    p50=$(kv p50_us "$line"); p99=$(kv p99_us "$line")
    record "$round" "$target" ${key}_rps "$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')"
    record "$round" "$target" ${key}_p50_ms "$(awk -v v="$p50" 'BEGIN { printf "%.3f", v / 1000 }')"
    record "$round" "$target" ${key}_p99_ms "$(awk -v v="$p99" 'BEGIN { printf "%.3f", v / 1000 }')"
    log "  $target keep-alive${pace:+ paced ${pace} ms}: p50 ${p50}us p99 ${p99}us"
}

# connrate ROUND TARGET SECS [SUFFIX]: Connection: close GETs on 50 connections; SUFFIX is
# appended to the metrics' names (growth.sh: "@LEVEL").
connrate() {
    local round=$1 target=$2 secs=$3 sfx=${4:-}
    local c0 c1 line out=$WORKDIR/$2/wrk-close-r$1.txt
    c0=$(proxy_cpu_ticks "$target")
    run_wrk "$target" 50 "$secs" "$out" -H 'Connection: close'
    c1=$(proxy_cpu_ticks "$target")
    line=$(wrk_report "$out")
    [[ -n $line ]] || { warn "wrk connection-rate via $target produced no report"; return 0; }
    local req dur errors cps
    req=$(kv requests "$line"); dur=$(kv duration_us "$line")
    errors=$(wrk_errors "$line")
    cps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
    record "$round" "$target" "close_cps$sfx" "$cps"
    record "$round" "$target" "close_errors$sfx" "$errors"
    if [[ ${T_KIND[$target]} != direct ]]; then
        record "$round" "$target" "close_conns_per_cpu_s$sfx" \
            "$(awk -v r="$req" -v t="$((c1 - c0))" -v hz="$CLK_TCK" 'BEGIN { if (t > 0) printf "%.0f", r / (t / hz); else print "nan" }')"
    fi
    log "  $target connection rate: $cps conn/s, $errors errors"
}

# churn TARGET...: CHURN_SECS of connect/close at full speed (wrk -c50, Connection: close) through
# every proxy at once — one wrk per proxy, all started together, so the minute is spent once for all
# of them; the proxies share the machine, so each sees a fraction of the solo rate: the figure here
# is not speed but whether RSS and open fds come back. Before: after the rounds (pools are warm)
# and a settle; after: a settle after the load.
churn() {
    local t pid
    local -a pids=()
    local -A rss0=() fd0=()
    for t in "$@"; do
        rss0[$t]=$(rss_kib "${T_PID[$t]}")
        fd0[$t]=$(fd_count_min "${T_PID[$t]}")
    done
    log "churn: ${CHURN_SECS}s of connect/close through ${*} at once"
    for t in "$@"; do
        split_hostport "${T_WEB[$t]}"
        start_bg "wrk-churn-$t" "$WORKDIR/$t/wrk-churn.txt" timeout $((CHURN_SECS + 30)) \
            wrk -t1 -c50 -d"${CHURN_SECS}s" --timeout 5s -s "$BENCH_DIR/wrk/report.lua" \
            -H 'Connection: close' "http://$HOST:$PORT/"
        pids+=("$BG_PID")
    done
    for pid in "${pids[@]}"; do wait "$pid"; forget_pid "$pid"; done
    sleep "$SETTLE_SECS"
    local line rss1 fd1
    for t in "$@"; do
        pid=${T_PID[$t]}
        rss1=$(rss_kib "$pid")
        fd1=$(fd_count_min "$pid")
        line=$(wrk_report "$WORKDIR/$t/wrk-churn.txt")
        record all "$t" churn_conns "$(kv requests "$line")"
        record all "$t" churn_errors "$(wrk_errors "$line")"
        record all "$t" churn_rss_before_kib "${rss0[$t]}"
        record all "$t" churn_rss_after_kib "$rss1"
        record all "$t" churn_rss_delta_pct \
            "$(awk -v a="${rss0[$t]}" -v b="$rss1" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')"
        record all "$t" churn_fds_before "${fd0[$t]}"
        record all "$t" churn_fds_after "$fd1"
        record all "$t" churn_fd_delta "$((fd1 - fd0[$t]))"
        log "  $t churn: $(kv requests "$line") connections; RSS ${rss0[$t]} -> $rss1 KiB, fds ${fd0[$t]} -> $fd1"
    done
}

# --- idle memory -------------------------------------------------------------------------------
established_to_site() { ss -Htn state established "( dst $SITE_A:$SITE_HTTP_PORT )" | wc -l; }

holder_status() { cat "$1" 2>/dev/null; }
holder_at() { [[ $(holder_status "$1") == "$2"* ]]; }
enough_upstream() { (($(established_to_site) >= $1)); }

# idle ROUND TARGET: IDLE_CONNS idle connections through a freshly started proxy (a warm one would
# reuse memory its allocator kept from earlier runs); RSS per connection, first with no byte sent
# yet (both sides established), then after one keep-alive request on each.
idle() {
    local round=$1 target=$2 pid=${T_PID[$2]} status=$WORKDIR/$2/holder-r$1.status
    local rss0 rss1 rss2 hpid ok failed
    rm -f "$status"
    split_hostport "${T_WEB[$target]}"
    rss0=$(rss_kib "$pid")
    start_bg "idle-holder" "$WORKDIR/$target/holder-r$round.log" \
        python3 "$BENCH_DIR/idle_holder.py" "$HOST" "$PORT" "$IDLE_CONNS" "$status" --hold 150
    hpid=$BG_PID
    if ! wait_for 90 "$IDLE_CONNS connections via $target" holder_at "$status" connected; then
        stop_pid "$hpid"; return 0
    fi
    read -r _ ok failed <<<"$(holder_status "$status")"
    # Established through to the gateway: the proxy's upstream sockets are all there.
    if ! wait_for 30 "$IDLE_CONNS upstream connections of $target" enough_upstream "$IDLE_CONNS"; then
        warn "$target: only $(established_to_site) upstream connections established"
    fi
    sleep 1
    rss1=$(rss_kib "$pid")
    local fds; fds=$(fd_count "$pid")
    kill -USR1 "$hpid"
    if wait_for 90 "requests on the idle connections via $target" holder_at "$status" requested; then
        local rok rbad
        read -r _ rok rbad <<<"$(holder_status "$status")"
        sleep 1
        rss2=$(rss_kib "$pid")
        record "$round" "$target" idle_req_kib_per_conn \
            "$(awk -v a="$rss0" -v b="$rss2" -v n="$ok" 'BEGIN { printf "%.2f", (b - a) / n }')"
        record "$round" "$target" idle_req_failed "$rbad"
    fi
    record "$round" "$target" idle_kib_per_conn \
        "$(awk -v a="$rss0" -v b="$rss1" -v n="$ok" 'BEGIN { printf "%.2f", (b - a) / n }')"
    record "$round" "$target" idle_connect_failed "$failed"
    log "  $target idle: $ok conns (failed $failed), proxy fds $fds, RSS $rss0 -> $rss1 -> ${rss2:-?} KiB"
    stop_pid "$hpid" 10
}
