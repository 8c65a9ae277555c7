#!/usr/bin/env bash
# sitelb's peer pair (without and with an arbiter) vs keepalived 2.2.7, side by side: the same
# network namespaces, the same failures, the same client prober and VIP watcher; see
# bench/peers/README.md.
#
#   bench/peers/run.sh [--runs N] [--impls "sitelb sitelb-arbiter keepalived"] [--scenarios
#                      "crash sigterm partition link arbiter-crash arbiter-master-crash"]
#                      [--lb PATH] [--probe PATH] [--out DIR] [--keep]
set -uo pipefail

PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_DIR=$(cd "$PEERS_DIR/.." && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
source "$BENCH_DIR/lib/common.sh"

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'TXT'
  --runs N         runs of each scenario for each implementation (default 5), alternating them
  --impls LIST     which pairs to run (default "sitelb sitelb-arbiter keepalived")
  --scenarios LIST which failures (default: all six); a scenario that does not apply to an
                   implementation (the arbiter ones without an arbiter) is skipped for it
  --lb PATH        the lb binary (default build/lb/lb; built with cmake when missing)
  --probe PATH     netns_probe (default build/tests/netns_probe; built with cmake when missing)
  --out DIR        where the raw runs go (default bench/peers/runs/DATE)
  --keep           keep the work directory (configs, every process's log)
TXT
}

RUNS=5 IMPLS="sitelb sitelb-arbiter keepalived" LB_BIN= PROBE_BIN= OUT_DIR=
SCENARIOS="crash sigterm partition link arbiter-crash arbiter-master-crash"
KEEP_WORKDIR=0
while (($#)); do
    case $1 in
    --runs) RUNS=$2; shift ;;
    --impls) IMPLS=$2; shift ;;
    --scenarios) SCENARIOS=$2; shift ;;
    --lb) LB_BIN=$2; shift ;;
    --probe) PROBE_BIN=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    --keep) KEEP_WORKDIR=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done

# --- the network (one per run; names carry this script's pid, so runs never collide) ----------
SUBNET=10.99.0
VIP=$SUBNET.100
ADVERT_MS=100          # advert interval of both implementations
PRIO1=250 PRIO2=200    # lb1 starts as MASTER; lb2's skew: (256 - 200) / 256 × 100 ms = 22 ms
ARBITER_HOST=30 ARBITER_PORT=5406 LEASE_MS=300   # sitelb-arbiter: the third node, 3 × the advert
LINK_CUT_MS=1500       # link: how long the cut lasts (as the partition's 1.5 s)
FORCE_AFTER_MS=2000    # arbiter-master-crash: the operator's force-master, after lb1's kill
NS=                    # prefix of the current run's namespaces
NAMESPACES=()          # every namespace this script created and has not deleted yet

ns_add() {
    ip netns add "$1" || die "ip netns add $1 failed"
    NAMESPACES+=("$1")
    ip -n "$1" link set lo up
}

# topo_up N [ar]: a bridge in $NS-sw; lb1, lb2, cl (client), st (sites) each joined by a veth
# (eth0); with "ar", the arbiter's node too.
topo_up() {
    NS=sitelbbench-$$-$1
    ns_add "$NS-sw"
    ip -n "$NS-sw" link add br0 type bridge && ip -n "$NS-sw" link set br0 up
    local node host nodes=(lb1:1 lb2:2 cl:10 st:20)
    [[ ${2:-} == ar ]] && nodes+=("ar:$ARBITER_HOST")
    for node in "${nodes[@]}"; do
        host=${node#*:} node=${node%:*}
        ns_add "$NS-$node"
        ip -n "$NS-sw" link add "v-$node" type veth peer name eth0 netns "$NS-$node"
        ip -n "$NS-sw" link set "v-$node" master br0 up
        ip -n "$NS-$node" addr add "$SUBNET.$host/24" dev eth0
        ip -n "$NS-$node" link set eth0 up
    done
    ip -n "$NS-st" addr add "$SUBNET.21/24" dev eth0
}

topo_down() {
    local keep=() n
    for n in "${NAMESPACES[@]}"; do
        if [[ $n == "$NS"-* ]]; then ip netns del "$n" 2>/dev/null; else keep+=("$n"); fi
    done
    NAMESPACES=("${keep[@]}")
}

# partition NODE / heal NODE: nftables at eth0 itself (netdev ingress and egress, which also
# see ARP and what packet sockets send, i.e. gratuitous ARP) drop every frame in and out.
partition() {
    ip netns exec "$NS-$1" nft -f - <<'NFT'
table netdev bench_partition {
  chain in { type filter hook ingress device "eth0" priority -500; policy drop; }
  chain out { type filter hook egress device "eth0" priority -500; policy drop; }
}
NFT
}
heal() { ip netns exec "$NS-$1" nft delete table netdev bench_partition; }

# cut_link NODE IP / heal_link NODE: nftables in NODE's namespace drop IP packets to and from IP
# (the other lb): the two no longer hear each other, each still reaches every other node. ARP
# is not touched.
cut_link() {
    ip netns exec "$NS-$1" nft -f - <<NFT
table ip bench_link {
  chain in { type filter hook input priority 0; policy accept; ip saddr $2 drop; }
  chain out { type filter hook output priority 0; policy accept; ip daddr $2 drop; }
}
NFT
}
heal_link() { ip netns exec "$NS-$1" nft delete table ip bench_link; }

vip_on() { ip -n "$NS-$1" -o -4 addr show dev eth0 | grep -q " $VIP/"; }

# --- the pairs ---------------------------------------------------------------------------------
# Each instance's pid in PAIR_PID[1], PAIR_PID[2]; the sites' (or VIP servers') pids in
# SERVER_PIDS; with keepalived, the server on VIP:80 in lbI's namespace in VIP_SERVER[I].
declare -A PAIR_PID VIP_SERVER
SERVER_PIDS=() ARBITER_PID=

serve() {  # serve NODE IP:PORT BODY [--freebind]
    start_bg "serve-$3" "$RUN_DIR/serve-$3.log" "$PROBE_BIN" serve --netns "$NS-$1" --listen "$2" \
        --body "$3" ${4:-}
    SERVER_PIDS+=("$BG_PID")
}

lb_config() {  # lb_config I [arbiter] → the config of lbI
    local i=$1 other=$((3 - $1)) prio=$PRIO1
    ((i == 2)) && prio=$PRIO2
    cat <<TOML
[global]
workers = 1
state_file = "$STATE_DIR/lb$i-state.json"
log_format = "tcplog"
[admin]
socket = "$STATE_DIR/lb$i.sock"
[timeouts]
connect = "1s"
drain = "1s"
[health]
kind = "tcp"
interval = "100ms"
timeout = "50ms"
[[sites]]
name = "site-a"
role = "primary"
address = "$SUBNET.20"
[[sites]]
name = "site-b"
role = "standby"
address = "$SUBNET.21"
[[listeners]]
name = "web"
bind = "$VIP:80"
target_port = 8080
[peer]
id = "lb$i"
peer_id = "lb$other"
priority = $prio
bind = "$SUBNET.$i:5405"
peers = ["$SUBNET.$other:5405"]
advert_interval = "${ADVERT_MS}ms"
preempt = false
key_file = "$WORKDIR/peer.key"
vip = "$VIP/24"
interface = "eth0"
TOML
    [[ ${2:-} == arbiter ]] && echo "arbiter = \"$SUBNET.$ARBITER_HOST:$ARBITER_PORT\""
    return 0
}

arbiter_config() {
    cat <<TOML
[arbiter]
bind = "$SUBNET.$ARBITER_HOST:$ARBITER_PORT"
key_file = "$WORKDIR/peer.key"
members = ["lb1", "lb2"]
lease = "${LEASE_MS}ms"
state_file = "$STATE_DIR/arbiter-state.json"
[admin]
socket = "$STATE_DIR/arbiter.sock"
[metrics]
listen = ""
TOML
}

arbiter_ready() { grep -q "ready: arbiter" "$RUN_DIR/arbiter.log"; }

start_arbiter() {
    arbiter_config >"$STATE_DIR/arbiter.toml"
    cp "$STATE_DIR/arbiter.toml" "$RUN_DIR/"
    start_bg arbiter "$RUN_DIR/arbiter.log" ip netns exec "$NS-ar" \
        "$LB_BIN" arbiter -c "$STATE_DIR/arbiter.toml"
    ARBITER_PID=$BG_PID
    wait_for 10 "the arbiter ready" arbiter_ready
}

kill_arbiter() {
    kill -KILL "$ARBITER_PID"
    wait "$ARBITER_PID" 2>/dev/null
    forget_pid "$ARBITER_PID"
    ARBITER_PID=
}

# lb_role I: "master", "backup", ... from `show peer json` (its first "role" is the instance's).
lb_role() {
    "$LB_BIN" ctl -s "$STATE_DIR/lb$1.sock" show peer json 2>/dev/null |
        grep -o '"role":"[a-z]*"' | head -1 | cut -d'"' -f4
}
lb_role_is() { [[ $(lb_role "$1") == "$2" ]]; }

keepalived_config() {  # keepalived_config I
    local i=$1 other=$((3 - $1)) prio=$PRIO1
    ((i == 2)) && prio=$PRIO2
    cat <<CONF
global_defs {
    router_id lb$i
    vrrp_version 3
    enable_script_security
    script_user root
}
vrrp_instance VI_1 {
    state BACKUP
    nopreempt
    interface eth0
    virtual_router_id 51
    priority $prio
    advert_int $(awk "BEGIN { print $ADVERT_MS / 1000 }")
    unicast_src_ip $SUBNET.$i
    unicast_peer {
        $SUBNET.$other
    }
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
}
CONF
}

start_instance() {  # start_instance IMPL I
    local impl=$1 i=$2
    # The configs are read from the work directory (so the logs name no path of this tree) and
    # copied next to the logs.
    if [[ $impl == sitelb || $impl == sitelb-arbiter ]]; then
        lb_config "$i" "${impl#sitelb-}" >"$STATE_DIR/lb$i.toml"
        cp "$STATE_DIR/lb$i.toml" "$RUN_DIR/"
        start_bg "lb$i" "$RUN_DIR/lb$i.log" ip netns exec "$NS-lb$i" \
            "$LB_BIN" run -c "$STATE_DIR/lb$i.toml"
    else
        keepalived_config "$i" >"$STATE_DIR/keepalived$i.conf"
        cp "$STATE_DIR/keepalived$i.conf" "$RUN_DIR/"
        start_bg "keepalived$i" "$RUN_DIR/keepalived$i.log" ip netns exec "$NS-lb$i" keepalived \
            --dont-fork --log-console --log-detail --no-syslog --vrrp \
            --use-file "$STATE_DIR/keepalived$i.conf" --pid "$STATE_DIR/keepalived$i.pid" \
            --vrrp_pid "$STATE_DIR/keepalived$i-vrrp.pid"
    fi
    PAIR_PID[$i]=$BG_PID
}

# start_pair IMPL: (the arbiter until it is ready,) lb1 until it is MASTER, then lb2 until it is
# BACKUP.
start_pair() {
    local impl=$1
    if [[ $impl == sitelb || $impl == sitelb-arbiter ]]; then
        serve st "$SUBNET.20:8080" site-a
        serve st "$SUBNET.21:8080" site-b
        if [[ $impl == sitelb-arbiter ]]; then start_arbiter || return 1; fi
        start_instance "$impl" 1
        wait_for 10 "lb1 MASTER" lb_role_is 1 master || return 1
        start_instance "$impl" 2
        wait_for 10 "lb2 BACKUP" lb_role_is 2 backup || return 1
        wait_for 5 "the VIP on lb1" vip_on lb1 || return 1
    else
        # keepalived moves the address only: something must listen on VIP:80 on each side.
        serve lb1 "$VIP:80" lb1 --freebind
        VIP_SERVER[1]=$BG_PID
        serve lb2 "$VIP:80" lb2 --freebind
        VIP_SERVER[2]=$BG_PID
        start_instance keepalived 1
        wait_for 10 "the VIP on lb1" vip_on lb1 || return 1
        start_instance keepalived 2
        sleep 1  # keepalived says nothing about its state but in its log: give lb2 time to hear lb1
        vip_on lb1 && ! vip_on lb2 || { warn "keepalived pair did not settle"; return 1; }
    fi
}

# crash I: SIGKILL of what serves the VIP on lbI. sitelb is one process. With keepalived, the
# server on VIP:80 dies with it (the whole balancer of that node is gone, as with lb), and
# keepalived's work is done by its VRRP child, which a dying parent would tell to shut down
# gracefully: so the parent is stopped first, its children (ours: their parent is the pid we
# started) killed, then the parent.
crash() {
    local pid=${PAIR_PID[$1]} child
    if [[ -f $RUN_DIR/keepalived$1.conf ]]; then
        kill -STOP "$pid"
        for child in $(ps -o pid= --ppid "$pid"); do kill -KILL "$child"; done
        kill -KILL "${VIP_SERVER[$1]}"
    fi
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    forget_pid "$pid"
}

stop_all() {
    local i pid
    for i in 2 1; do
        pid=${PAIR_PID[$i]:-}
        [[ -n $pid ]] && stop_pid "$pid" 5
        PAIR_PID[$i]=
    done
    [[ -n $ARBITER_PID ]] && stop_pid "$ARBITER_PID" 5
    ARBITER_PID=
    for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid" 3; done
    SERVER_PIDS=()
    VIP_SERVER=()
}

now_ms() { date +%s%3N; }

# sleep_until_ms T: sleep until Unix time T (ms); at once when it has passed.
sleep_until_ms() {
    local left=$(($1 - $(now_ms)))
    ((left > 0)) && sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
    return 0
}

# applies IMPL SCENARIO: the scenario means something for the implementation. summarize.py
# holds the list (so the report's "n/a" and the runs agree); read once into APPLIES.
declare -A APPLIES
applies() { [[ -n ${APPLIES["$1 $2"]:-} ]]; }

# peer_json I NAME: lbI's `show peer json` into the run directory (what it said at that moment).
peer_json() {
    "$LB_BIN" ctl -s "$STATE_DIR/lb$1.sock" show peer json >"$RUN_DIR/$2" 2>&1
}

# run_once IMPL SCENARIO N: one run, raw output in $RUN_DIR.
run_once() {
    local impl=$1 scenario=$2 n=$3
    RUN_DIR=$OUT_DIR/$impl-$scenario-$n           # configs, logs, measurements: kept
    STATE_DIR=$WORKDIR/$impl-$scenario-$n         # what the processes read and write: not
    mkdir -p "$RUN_DIR" "$STATE_DIR"
    if [[ $impl == sitelb-arbiter ]]; then topo_up "$n" ar; else topo_up "$n"; fi
    if ! start_pair "$impl"; then
        warn "$impl $scenario #$n: the pair did not start; see $RUN_DIR"
        stop_all
        topo_down
        return 1
    fi
    local seconds=4 t
    [[ $scenario == partition || $scenario == link || $scenario == arbiter-master-crash ]] &&
        seconds=6
    start_bg probe "$RUN_DIR/probe.log" "$PROBE_BIN" probe --netns "$NS-cl" --target "$VIP:80" \
        --seconds "$seconds" --out "$RUN_DIR/probe.txt"
    local probe_pid=$BG_PID
    start_bg watch "$RUN_DIR/watch.log" "$PROBE_BIN" watch --netns "$NS-lb1" --netns "$NS-lb2" \
        --vip "$VIP" --seconds "$seconds" --out "$RUN_DIR/watch.txt"
    local watch_pid=$BG_PID
    sleep 1
    {
        echo "impl $impl"
        echo "scenario $scenario"
        case $scenario in
        crash) echo "event $(now_ms)"; crash 1 ;;
        sigterm) echo "event $(now_ms)"; kill -TERM "${PAIR_PID[1]}" ;;
        partition)
            echo "event $(now_ms)"; partition lb1
            sleep 1.5
            echo "heal $(now_ms)"; heal lb1
            ;;
        link)
            t=$(now_ms)
            echo "event $t"; cut_link lb1 "$SUBNET.2"
            sleep 1
            [[ $impl == sitelb* ]] && peer_json 2 lb2-peer-during-cut.json
            sleep_until_ms $((t + LINK_CUT_MS))
            echo "heal $(now_ms)"; heal_link lb1
            ;;
        arbiter-crash) echo "event $(now_ms)"; kill_arbiter ;;
        arbiter-master-crash)
            t=$(now_ms)
            echo "arbiter_kill $t"; kill_arbiter
            sleep_until_ms $((t + 500))
            t=$(now_ms)
            echo "event $t"; crash 1
            sleep_until_ms $((t + FORCE_AFTER_MS - 100))
            peer_json 2 lb2-peer-before-force.json
            sleep_until_ms $((t + FORCE_AFTER_MS))
            echo "force $(now_ms)"
            "$LB_BIN" ctl -s "$STATE_DIR/lb2.sock" peer force-master >"$RUN_DIR/force-master.txt" 2>&1
            echo "force_rc $?"
            echo "force_done $(now_ms)"
            ;;
        esac
    } >"$RUN_DIR/events.txt"
    wait "$probe_pid" "$watch_pid"
    forget_pid "$probe_pid"
    forget_pid "$watch_pid"
    stop_all
    topo_down
    python3 "$PEERS_DIR/summarize.py" run "$RUN_DIR" >>"$OUT_DIR/results.jsonl" ||
        warn "$impl $scenario #$n: no figures (see $RUN_DIR)"
}

peers_cleanup() {
    local rc=$?
    stop_all 2>/dev/null
    local n
    for n in "${NAMESPACES[@]}"; do ip netns del "$n" 2>/dev/null; done
    NAMESPACES=()
    (exit "$rc")
    cleanup
}

# --- main ----------------------------------------------------------------------------------------
((EUID == 0)) || die "run as root: the bench creates network namespaces"
for tool in ip nft keepalived python3; do
    command -v "$tool" >/dev/null || die "$tool missing: scripts/install-deps.sh installs it"
done
WORKDIR=$(mktemp -d /tmp/sitelb-peers.XXXXXX)
trap peers_cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM
: "${OUT_DIR:=$PEERS_DIR/runs/$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT_DIR"
: >"$OUT_DIR/results.jsonl"

: "${LB_BIN:=$REPO_DIR/build/lb/lb}"
: "${PROBE_BIN:=$REPO_DIR/build/tests/netns_probe}"
if [[ ! -x $LB_BIN || ! -x $PROBE_BIN ]]; then
    log "building lb and netns_probe in $REPO_DIR/build"
    { cmake -S "$REPO_DIR" -B "$REPO_DIR/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
        cmake --build "$REPO_DIR/build" -j2 --target lb netns_probe; } >"$WORKDIR/build.log" 2>&1 ||
        die "build failed: $(tail -20 "$WORKDIR/build.log")"
fi
# Private copies: the tree may be rebuilt while the bench runs.
cp "$LB_BIN" "$WORKDIR/lb" && cp "$PROBE_BIN" "$WORKDIR/netns_probe"
LB_ORIG=$LB_BIN LB_BIN=$WORKDIR/lb PROBE_BIN=$WORKDIR/netns_probe
openssl rand -base64 32 >"$WORKDIR/peer.key" && chmod 600 "$WORKDIR/peer.key"

START_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) LOADAVG_START=$(cut -d" " -f1-3 /proc/loadavg)
log "results in $OUT_DIR; $RUNS runs × ($SCENARIOS) × ($IMPLS)"

while read -r impl scenario; do APPLIES["$impl $scenario"]=1 APPLIES["- $scenario"]=1; done \
    < <(python3 "$PEERS_DIR/summarize.py" applies)
for impl in $IMPLS; do
    [[ $impl == sitelb || $impl == sitelb-arbiter || $impl == keepalived ]] ||
        die "unknown implementation $impl (sitelb, sitelb-arbiter, keepalived)"
done
for scenario in $SCENARIOS; do
    applies - "$scenario" ||
        die "unknown scenario $scenario (crash sigterm partition link arbiter-crash arbiter-master-crash)"
    skipped=
    for impl in $IMPLS; do applies "$impl" "$scenario" || skipped+=" $impl"; done
    [[ -n $skipped ]] && log "$scenario does not apply to$skipped (no arbiter): skipped for it"
done

for ((n = 1; n <= RUNS; n++)); do
    for scenario in $SCENARIOS; do
        for impl in $IMPLS; do
            applies "$impl" "$scenario" || continue
            log "run $n/$RUNS: $impl $scenario"
            run_once "$impl" "$scenario" "$n"
        done
    done
done
{
    echo "{"
    echo "  \"date\": \"$START_DATE\","
    echo "  \"commit\": \"$(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null)\","
    echo "  \"lb\": \"${LB_ORIG#"$REPO_DIR"/} ($("$LB_BIN" --version 2>&1 | head -1))\","
    echo "  \"keepalived\": \"$(keepalived --version 2>&1 | head -1)\","
    echo "  \"kernel\": \"$(uname -r)\","
    echo "  \"cpus\": $(nproc),"
    echo "  \"loadavg_start\": \"$LOADAVG_START\","
    echo "  \"loadavg_end\": \"$(cut -d' ' -f1-3 /proc/loadavg)\","
    echo "  \"runs\": $RUNS, \"advert_interval_ms\": $ADVERT_MS, \"lease_ms\": $LEASE_MS,"
    echo "  \"impls\": \"$IMPLS\", \"scenarios\": \"$SCENARIOS\""
    echo "}"
} >"$OUT_DIR/meta.json"
python3 "$PEERS_DIR/summarize.py" table "$OUT_DIR" >"$OUT_DIR/report.md"
cat "$OUT_DIR/report.md"
