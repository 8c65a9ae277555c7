# bench/lib/common.sh — logging, the process registry (everything started is cleaned up by the
# EXIT trap, even on failure or Ctrl-C), readiness waits and /proc probes.
# Sourced by bench/run.sh; expects WORKDIR to be set before start_bg is called.

BENCH_PIDS=()        # every background process we started, in start order

log()  { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
warn() { printf '[%(%H:%M:%S)T] WARNING: %s\n' -1 "$*" >&2; }
die()  { printf '[%(%H:%M:%S)T] ERROR: %s\n' -1 "$*" >&2; exit 1; }

# start_bg NAME LOGFILE CMD...: run CMD in the background as a child of this shell, register it;
# its pid is left in BG_PID (not printed: a $(...) subshell would lose the registration).
start_bg() {
    local name=$1 logfile=$2; shift 2
    "$@" >"$logfile" 2>&1 </dev/null &
    BG_PID=$!
    BENCH_PIDS+=("$BG_PID")
    printf '%s\t%s\t%s\n' "$BG_PID" "$name" "$*" >>"$WORKDIR/pids.tsv"
}

# forget_pid PID: drop a reaped pid from the registry (the kernel may hand the number out again).
forget_pid() {
    local keep=() p
    for p in "${BENCH_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    BENCH_PIDS=("${keep[@]}")
}

# is_our_child PID: the process exists and this shell is its parent — never signal anything else.
is_our_child() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    local fields=($stat)
    [[ ${fields[1]} == "$$" && ${fields[0]} != Z ]]
}

# stop_pid PID [GRACE_SECONDS]: SIGTERM, wait up to GRACE, then SIGKILL; reap it.
stop_pid() {
    local pid=$1 grace=${2:-3} i
    if is_our_child "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < grace * 10; i++)); do
            is_our_child "$pid" || break
            sleep 0.1
        done
        is_our_child "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    forget_pid "$pid"
    return 0
}

# run_bounded SECONDS CMD...: run CMD under `timeout`, in the background so that a signal to this
# script is handled at once (the trap then stops it), and wait for it. Returns CMD's status.
run_bounded() {
    local secs=$1; shift
    timeout "$secs" "$@" </dev/null &
    local pid=$!
    BENCH_PIDS+=("$pid")
    wait "$pid"
    local rc=$?
    forget_pid "$pid"
    return "$rc"
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local i
    if ((${#BENCH_PIDS[@]})); then
        log "cleanup: stopping ${#BENCH_PIDS[@]} process(es) we started"
        for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${BENCH_PIDS[i]}" 3; done
    fi
    if [[ -n ${WORKDIR:-} && -d $WORKDIR && ${KEEP_WORKDIR:-0} != 1 ]]; then rm -rf "$WORKDIR"; fi
    exit "$rc"
}

install_trap() {
    trap cleanup EXIT
    trap 'log "interrupted"; exit 130' INT
    trap 'log "terminated"; exit 143' TERM
}

# open_run KIND OUT_DEFAULT: a fresh WORKDIR (/tmp/sitelb-KIND.XXXXXX) under the cleanup trap,
# OUT_DIR (OUT_DEFAULT unless --out set it) and an empty RESULTS file in it.
open_run() {
    WORKDIR=$(mktemp -d "/tmp/sitelb-$1.XXXXXX")
    install_trap
    : "${OUT_DIR:=$2}"
    mkdir -p "$OUT_DIR"
    RESULTS=$OUT_DIR/results.tsv
    : >"$RESULTS"
}

# wait_for TIMEOUT_S DESCRIPTION CMD...: poll CMD every 100 ms until it succeeds.
wait_for() {
    local timeout=$1 what=$2; shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { warn "timed out after ${timeout}s waiting for $what"; return 1; }
        sleep 0.1
    done
}

# tcp_open HOST PORT: succeeds when a TCP connect succeeds (bash /dev/tcp, 1 s bound).
tcp_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# http_ok HOST PORT: one GET through HOST:PORT answers 200.
http_ok() {
    timeout 2 bash -c '
        exec 3<>/dev/tcp/$0/$1 || exit 1
        printf "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n" >&3
        IFS= read -r line <&3 && [[ $line == "HTTP/1."?" 200"* ]]' "$1" "$2" 2>/dev/null
}

# --- /proc probes (the whole process: all threads) -------------------------------------------
CLK_TCK=$(getconf CLK_TCK)

# cpu_ticks PID: utime + stime of the whole process (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
    local stat rest
    stat=$(<"/proc/$1/stat") || return 1
    rest=${stat##*) }                  # the command name may contain spaces: cut after ") "
    read -r -a f <<<"$rest"            # f[0] is field 3 (state)
    echo $((f[11] + f[12]))
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

fd_count() { local n; n=$(ls "/proc/$1/fd" 2>/dev/null | wc -l); echo "$n"; }

# fd_count_min PID: the least of 5 samples 200 ms apart (a health check in flight holds an fd).
fd_count_min() {
    local min=999999999 n i
    for i in 1 2 3 4 5; do
        n=$(fd_count "$1"); ((n < min)) && min=$n
        sleep 0.2
    done
    echo "$min"
}

# record ROUND TARGET METRIC VALUE: one measurement line of the results table.
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }

# --- shared setup of run.sh and growth.sh ---------------------------------------------------------

# set_fd_limits: FD_LIMIT = the hard limit, which every process gets as its soft limit (raising
# the hard one needs CAP_SYS_RESOURCE); HAPROXY_MAXCONN / HAPROXY_MAXPIPES to fit in it.
set_fd_limits() {
    FD_LIMIT=$(ulimit -Hn)
    [[ $FD_LIMIT == unlimited ]] && FD_LIMIT=1048576
    ulimit -Sn "$FD_LIMIT"
    # HAProxy refuses to start when its maxconn needs more fds than the limit (2 per connection,
    # plus 2 per pipe with splicing: maxpipes defaults to maxconn/4), so under a low limit it gets
    # the highest maxconn that fits and 256 pipes (plenty: the bench splices at most 50 sessions at
    # once).
    HAPROXY_MAXCONN=100000 HAPROXY_MAXPIPES=
    if ((FD_LIMIT < 2 * 100000 + 2 * 100000 / 4 + 1000)); then
        HAPROXY_MAXPIPES=256
        HAPROXY_MAXCONN=$(((FD_LIMIT - 2 * HAPROXY_MAXPIPES - 300) / 2))
    fi
}

# prepare_lb_binary: LB_BIN (default build-bench/lb/lb, built when missing) copied to the work dir;
# LB_BIN_ORIG keeps where it came from.
prepare_lb_binary() {
    if [[ -z $LB_BIN ]]; then
        LB_BIN=$REPO_DIR/build-bench/lb/lb
        if [[ ! -x $LB_BIN ]]; then
            log "building lb (Release) in $REPO_DIR/build-bench"
            { cmake -S "$REPO_DIR" -B "$REPO_DIR/build-bench" -DCMAKE_BUILD_TYPE=Release -DLB_TESTS=OFF -DLB_WERROR=OFF &&
                cmake --build "$REPO_DIR/build-bench" -j"$(nproc)" --target lb; } >"$WORKDIR/build.log" 2>&1 ||
                die "building lb failed: $(tail -20 "$WORKDIR/build.log")"
        fi
    fi
    [[ -x $LB_BIN ]] || die "no lb binary at $LB_BIN"
    # A private copy: others may rebuild the tree while the bench runs.
    cp "$LB_BIN" "$WORKDIR/lb" && LB_BIN_ORIG=$LB_BIN && LB_BIN=$WORKDIR/lb
}
