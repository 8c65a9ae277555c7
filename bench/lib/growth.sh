# bench/lib/growth.sh — the "how cost grows" workloads of bench/growth.sh: idle connections and
# the connection rate next to them, failover with sessions open, reload with many listeners. Each
# records its figures with `record ROUND TARGET METRIC@LEVEL VALUE` (see growth_report.py).

# --- levels and what limits them -------------------------------------------------------------------

# port_range_size: how many ephemeral ports one source address has towards one destination.
port_range_size() {
    local lo hi
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
    echo $((hi - lo + 1))
}

# set_session_cap: SESSION_CAP = the most sessions a proxy can hold here with SESSION_ROOM more
# connections on top (wrk's, the probes'), and CAP_REASON = what sets it. The fd limit: 2 fds per
# session in the proxy (HAPROXY_MAXCONN is what fits). The ports: the proxy's connections to one
# gateway all come from one source address, so they cannot outnumber its ephemeral ports (the
# client side spreads over several source addresses instead: client_sources).
set_session_cap() {
    local by_fd=$((HAPROXY_MAXCONN - 100 - SESSION_ROOM)) ports
    ports=$(port_range_size)
    SESSION_CAP=$by_fd CAP_REASON="fd hard limit $FD_LIMIT"
    if ((ports - 1000 - SESSION_ROOM < SESSION_CAP)); then
        SESSION_CAP=$((ports - 1000 - SESSION_ROOM))
        CAP_REASON="ephemeral ports $ports (net.ipv4.ip_local_port_range)"
    fi
    if [[ -n $MAX_SESSIONS ]] && ((MAX_SESSIONS < SESSION_CAP)); then
        SESSION_CAP=$MAX_SESSIONS CAP_REASON="--max-sessions $MAX_SESSIONS"
    fi
}

# resolve_levels SECTION CAP LEVEL...: prints "requested count note" per level, and records it in
# levels.tsv. A level within CAP runs as asked; the first one above runs at CAP in its place
# (unless CAP is no more than the level below it); every other one is not run, with the reason.
resolve_levels() {
    local section=$1 cap=$2 level prev=-1 substituted=0; shift 2
    for level in $(printf '%s\n' "$@" | sort -n -u); do
        if ((level <= cap)); then
            printf '%s\t%s\t%s\n' "$level" "$level" ""
            prev=$level
        elif ((!substituted && cap > prev)); then
            printf '%s\t%s\t%s\n' "$level" "$cap" "in place of $level: $CAP_REASON"
            substituted=1 prev=$cap
        else
            printf '%s\t%s\t%s\n' "$level" "-" "not run: $CAP_REASON"
        fi
    done | tee -a "$OUT_DIR/levels.tsv.$section"
}

# client_sources N: the client addresses the holder binds, enough for N connections (one address
# gives each destination port_range_size ports; keep a quarter of them free).
client_sources() {
    local n=$1 per k i out=127.0.0.1
    per=$(($(port_range_size) * 3 / 4))
    k=$(((n + per - 1) / per))
    for ((i = 1; i < k; i++)); do out+=",127.0.1.$i"; done
    echo "$out"
}

# --- proxies --------------------------------------------------------------------------------------

# fresh_target NAME [TAG]: start NAME anew (no state file from an earlier start: sitelb would take
# its active site from it).
fresh_target() {
    rm -f "$WORKDIR/$1/state.json"
    start_target "$1" "${2:-}"
}

# proxy_pids TARGET: the processes whose memory is the proxy's (HAProxy master-worker: the master
# and its workers).
proxy_pids() {
    local pid=${T_PID[$1]}
    echo "$pid"
    [[ -n ${T_MASTER_WORKER[$1]:-} ]] && cat "/proc/$pid/task/$pid/children" 2>/dev/null
}

# proxy_rss TARGET: RSS of all its processes, KiB.
proxy_rss() {
    local p sum=0 r
    for p in $(proxy_pids "$1"); do
        r=$(rss_kib "$p" 2>/dev/null) && sum=$((sum + r))
    done
    echo "$sum"
}

# --- idle connections and the connection rate next to them ------------------------------------------

# hold TARGET COUNT TAG: start idle_holder.py with COUNT connections through TARGET's web listener
# and wait until they are all established through to the gateway; HOLDER_PID, HOLDER_STATUS.
hold() {
    local target=$1 n=$2 tag=$3
    HOLDER_STATUS=$WORKDIR/$target/holder-$tag.status HOLDER_PID=
    rm -f "$HOLDER_STATUS"
    split_hostport "${T_WEB[$target]}"
    start_bg "idle-holder" "$WORKDIR/$target/holder-$tag.log" \
        python3 "$BENCH_DIR/idle_holder.py" "$HOST" "$PORT" "$n" "$HOLDER_STATUS" \
        --hold "$HOLD_SECS" --sources "$(client_sources "$n")"
    HOLDER_PID=$BG_PID
    wait_for $((30 + n / 500)) "$n connections via $target" holder_at "$HOLDER_STATUS" connected ||
        return 1
    wait_for 30 "$n upstream connections of $target" enough_upstream "$n" ||
        warn "$target: only $(established_to_site) upstream connections established"
}

unhold() { [[ -n ${HOLDER_PID:-} ]] && stop_pid "$HOLDER_PID" 10; HOLDER_PID=; }

# idle_and_rate ROUND TARGET LEVEL COUNT: a fresh proxy; COUNT idle connections (none for 0): RSS
# per connection with no byte sent, then after one GET on each; then the connection rate (wrk,
# Connection: close) while they are held.
idle_and_rate() {
    local round=$1 target=$2 level=$3 n=$4 tag=r$1-n$4 pid rss0 rss1 rss2 ok failed rok rbad
    fresh_target "$target" "$tag"
    pid=${T_PID[$target]}
    sleep "$SETTLE_SECS"
    rss0=$(rss_kib "$pid")
    if ((n > 0)); then
        if ! hold "$target" "$n" "$tag"; then
            unhold; stop_target "$target"; return 0
        fi
        read -r _ ok failed <<<"$(holder_status "$HOLDER_STATUS")"
        sleep 1
        rss1=$(rss_kib "$pid")
        record "$round" "$target" "idle_kib_per_conn@$level" \
            "$(awk -v a="$rss0" -v b="$rss1" -v n="$ok" 'BEGIN { printf "%.2f", (b - a) / n }')"
        record "$round" "$target" "idle_connect_failed@$level" "$failed"
        record "$round" "$target" "idle_held@$level" "$ok"
        kill -USR1 "$HOLDER_PID"
        if wait_for 90 "requests on the idle connections via $target" holder_at "$HOLDER_STATUS" requested; then
            read -r _ rok rbad <<<"$(holder_status "$HOLDER_STATUS")"
            sleep 1
            rss2=$(rss_kib "$pid")
            record "$round" "$target" "idle_req_kib_per_conn@$level" \
                "$(awk -v a="$rss0" -v b="$rss2" -v n="$ok" 'BEGIN { printf "%.2f", (b - a) / n }')"
            record "$round" "$target" "idle_req_failed@$level" "$rbad"
        fi
        log "  $target: $ok idle (failed $failed), RSS $rss0 -> $rss1 -> ${rss2:-?} KiB"
    fi
    # A second of the same load first: a fresh proxy fills its pools (buffers, kernel pipes)
    # during its first connections, which would count against level 0 only.
    run_wrk "$target" 50 1 "$WORKDIR/$target/wrk-warm-$tag.txt" -H 'Connection: close'
    connrate "$round" "$target" "$CLOSE_SECS" "@$level"
    target_alive "$target" || warn "$target died with $n idle connections: $(tail -5 "${T_LOG[$target]}")"
    unhold
    stop_target "$target"
}

# --- failover with sessions open -------------------------------------------------------------------

# failover ROUND TARGET LEVEL COUNT: a fresh proxy (both sites up by its checks), COUNT idle
# sessions through it to site-a, a probe opening a connection every few ms; then site-a's NGINX is
# killed (SIGKILL: its only process, started by this script) and the probe records when site-b
# first answers. The probe also connects straight to site-a's port every ms: a killed gateway's
# port goes on completing handshakes until the kernel has released its other sockets, and the
# report separates that time from the proxy's. site-a is started again afterwards.
failover() {
    local round=$1 target=$2 level=$3 n=$4 tag=f$1-n$4 status events ppid kill_ts figures
    fresh_target "$target" "$tag"
    sleep "$CHECK_SETTLE_SECS"   # both sites up, at full health, in the proxy's view
    if ((n > 0)) && ! hold "$target" "$n" "$tag"; then
        unhold; stop_target "$target"; return 0
    fi
    status=$WORKDIR/$target/probe-$tag.status events=$WORKDIR/$target/probe-$tag.events
    rm -f "$status"
    split_hostport "${T_WEB[$target]}"
    start_bg "probe" "$WORKDIR/$target/probe-$tag.log" python3 "$BENCH_DIR/growth_probe.py" \
        failover "$HOST" "$PORT" "$events" "$status" --interval "$PROBE_INTERVAL" \
        --inflight "$PROBE_INFLIGHT" --max-secs "$PROBE_MAX_SECS" \
        --watch "$SITE_A:$SITE_HTTP_PORT" --watch-interval "$WATCH_INTERVAL"
    ppid=$BG_PID
    if wait_for 10 "the probe via $target" test -s "$status"; then
        sleep 0.3
        kill_site_a
        kill_ts=$KILL_TS
        wait "$ppid"; forget_pid "$ppid"
        figures=$(python3 "$BENCH_DIR/growth_probe.py" failover-report "$events" "$kill_ts")
        record "$round" "$target" "failover_ms@$level" "$(kv failover_ms "$figures")"
        record "$round" "$target" "failover_failed@$level" "$(kv failed "$figures")"
        record "$round" "$target" "failover_sessions@$level" "$n"
        record "$round" "$target" "failover_port_closed_ms@$level" "$(kv port_closed_ms "$figures")"
        record "$round" "$target" "failover_after_port_closed_ms@$level" \
            "$(kv after_port_closed_ms "$figures")"
        log "  $target failover with $n sessions: $figures"
    else
        stop_pid "$ppid"
    fi
    unhold
    stop_target "$target"
    start_nginx site-a
}

# kill_site_a: SIGKILL site-a's gateway (a child of this script, checked), KILL_TS = wall clock.
kill_site_a() {
    local pid=${NGINX_PID[site-a]}
    is_our_child "$pid" || die "site-a's NGINX ($pid) is not ours any more"
    KILL_TS=$(date +%s.%N)
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    forget_pid "$pid"
}

# --- reload with many listeners --------------------------------------------------------------------

# toggle_timeout TARGET: change one timeout in the proxy's file (5m <-> 6m), so that each reload
# reads a changed config.
toggle_timeout() {
    local dir=$WORKDIR/$1 file
    case ${T_KIND[$1]} in
    sitelb) file=$dir/lb.toml ;;
    *) file=$dir/haproxy.cfg ;;
    esac
    if grep -q '5m"\?$' "$file"; then sed -i -E 's/5m("?)$/6m\1/' "$file"; else sed -i -E 's/6m("?)$/5m\1/' "$file"; fi
}

# reload_once TARGET: one reload, timed by growth_probe.py; prints its seconds (nan on a timeout).
reload_once() {
    local target=$1 pid=${T_PID[$1]} out
    is_our_child "$pid" || die "$target ($pid) is not ours any more"
    toggle_timeout "$target"
    if [[ ${T_KIND[$target]} == sitelb ]]; then
        out=$(python3 "$BENCH_DIR/growth_probe.py" reload "$pid" HUP --log "${T_LOG[$target]}" \
            --pattern 'reload: applied')
    else
        out=$(python3 "$BENCH_DIR/growth_probe.py" reload "$pid" USR2 --workers-of "$pid")
    fi
    echo "${out%% *}"
}

# every_listener_serves TARGET: one GET through each listener is answered.
every_listener_serves() {
    local host=${T_WEB[$1]%:*} port
    for port in $(listener_ports "$1"); do http_ok "$host" "$port" || return 1; done
}

# reload ROUND TARGET LISTENERS: a fresh proxy with LISTENERS web listeners; RSS; RELOADS reloads
# (sitelb: SIGHUP, applied = its "reload: applied" log line; HAProxy master-worker: SIGUSR2 to the
# master, applied = the old worker gone and a new one running); RSS again.
reload_growth() {
    local round=$1 target=$2 k=$3 tag=l$3-r$1 rss0 rss1 i secs times=()
    T_LISTENERS[$target]=$k
    [[ ${T_KIND[$target]} == haproxy* ]] && T_MASTER_WORKER[$target]=1
    fresh_target "$target" "$tag"
    wait_for 10 "$target's $k listeners" every_listener_serves "$target" ||
        warn "$target: not every one of its $k listeners answers"
    sleep "$SETTLE_SECS"
    rss0=$(proxy_rss "$target")
    for ((i = 1; i <= RELOADS; i++)); do
        secs=$(reload_once "$target")
        times+=("$secs")
        record "$round" "$target" "reload_ms@$k" "$(awk -v s="$secs" 'BEGIN { if (s == "nan") print "nan"; else printf "%.1f", s * 1000 }')"
        wait_for 10 "$target's $k listeners after reload $i" every_listener_serves "$target" ||
            warn "$target: not every listener answers after reload $i"
    done
    sleep "$SETTLE_SECS"
    rss1=$(proxy_rss "$target")
    record "$round" "$target" "reload_rss_before_kib@$k" "$rss0"
    record "$round" "$target" "reload_rss_after_kib@$k" "$rss1"
    log "  $target, $k listeners: reloads ${times[*]} s; RSS $rss0 -> $rss1 KiB"
    stop_target "$target"
    unset "T_LISTENERS[$target]" "T_MASTER_WORKER[$target]"
}
