#!/usr/bin/env bash
# examples/grafana-dashboard.json parses, and every metric its queries use is one that a live lb
# exports on /metrics.
#   usage: grafana_dashboard_test.sh SOURCE_DIR LB_BINARY
# lb runs on loopback only, in front of two sites on 127.0.0.2 and 127.0.0.3 where nothing
# listens (their checks fail; that does not matter here). Its ports are picked at random and
# picked again when one is taken, so this test can run beside others.
set -euo pipefail
dashboard=$1/examples/grafana-dashboard.json
lb=$2
command -v jq >/dev/null || { echo "FAIL: jq not found (scripts/install-deps.sh installs it)"; exit 1; }

scratch=$(mktemp -d /tmp/sitelb-grafana-test.XXXXXX)
lb_pid=""
cleanup() {
    if [ -n "$lb_pid" ]; then
        kill -TERM "$lb_pid" 2>/dev/null || true
        wait "$lb_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

# 1. It parses as JSON (jq fails on anything else), and is a dashboard with panels.
jq -e '.panels | length > 0' "$dashboard" >/dev/null ||
    { echo "FAIL: $dashboard is not a dashboard with panels"; exit 1; }

# 2. The metric names its queries use: every PromQL expression (panel targets' "expr") and
# template variable query. A metric is an identifier starting with lb_, or any identifier
# directly followed by a {label selector}.
jq -r '[.. | objects | (.expr?, .query?, .definition?) | strings] | .[]' "$dashboard" \
    >"$scratch/queries"
grep -oE '\blb_[a-zA-Z0-9_:]*|\b[a-zA-Z_:][a-zA-Z0-9_:]*\{' "$scratch/queries" |
    tr -d '{' | sort -u >"$scratch/used"
echo "metrics the dashboard uses:"
sed 's/^/  /' "$scratch/used"
[ "$(wc -l <"$scratch/used")" -ge 5 ] ||
    { echo "FAIL: found fewer than 5 metric names in the dashboard's queries"; exit 1; }

# 3. A live lb's /metrics.
start_lb() {  # listener-port metrics-port; 0 when ready, 2 when a port was taken
    cat >"$scratch/lb.toml" <<CONF
[global]
workers = 1
state_file = "$scratch/state.json"
[admin]
socket = "$scratch/admin.sock"
[metrics]
listen = "127.0.0.1:$2"
[health]
kind = "tcp"
interval = "200ms"
timeout = "100ms"
[[sites]]
name = "site-a"
address = "127.0.0.2"
role = "primary"
[[sites]]
name = "site-b"
address = "127.0.0.3"
role = "standby"
[[listeners]]
name = "web"
bind = "127.0.0.1:$1"
target_port = 9
CONF
    : >"$scratch/lb.log"
    "$lb" run -c "$scratch/lb.toml" 2>"$scratch/lb.log" &
    lb_pid=$!
    for _ in $(seq 100); do
        grep -q " ready: " "$scratch/lb.log" && return 0
        if ! kill -0 "$lb_pid" 2>/dev/null; then
            wait "$lb_pid" 2>/dev/null || true
            lb_pid=""
            grep -qi "in use" "$scratch/lb.log" && return 2
            break
        fi
        sleep 0.1
    done
    echo "FAIL: lb did not start:"
    cat "$scratch/lb.log"
    exit 1
}
started=""
for _ in 1 2 3 4 5; do
    # Below the kernel's ephemeral range (32768-60999), so no outgoing connection holds it.
    listen_port=$((10000 + RANDOM % 22000))
    metrics_port=$((10000 + RANDOM % 22000))
    [ "$listen_port" -ne "$metrics_port" ] || continue
    if start_lb "$listen_port" "$metrics_port"; then started=yes; break; fi
done
[ -n "$started" ] || { echo "FAIL: no free ports for lb after 5 tries"; exit 1; }

# One client connection (refused by site-a, nothing listens there) and a few checks, so that
# every family has its series, not only its # TYPE line.
curl -s --max-time 2 "http://127.0.0.1:$listen_port/" >/dev/null || true
sleep 0.5
curl -sf --max-time 5 "http://127.0.0.1:$metrics_port/metrics" >"$scratch/metrics" ||
    { echo "FAIL: GET /metrics failed"; cat "$scratch/lb.log"; exit 1; }

# The names lb exports: every family's # TYPE line (a histogram's series are NAME_bucket,
# NAME_sum and NAME_count, a summary's NAME_sum and NAME_count), and every sample's name.
awk '
    $1 == "#" && $2 == "TYPE" {
        print $3
        if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" }
        if ($4 == "summary") { print $3 "_sum"; print $3 "_count" }
        next
    }
    /^[a-zA-Z_:]/ { sub(/[{ ].*/, ""); print }
' "$scratch/metrics" | sort -u >"$scratch/exported"
[ "$(wc -l <"$scratch/exported")" -ge 5 ] ||
    { echo "FAIL: lb's /metrics has fewer than 5 metrics:"; cat "$scratch/metrics"; exit 1; }

missing=$(comm -23 "$scratch/used" "$scratch/exported")
if [ -n "$missing" ]; then
    echo "FAIL: the dashboard uses metrics lb does not export:"
    sed 's/^/  /' <<<"$missing"
    echo "lb exports:"
    sed 's/^/  /' "$scratch/exported"
    exit 1
fi

kill -TERM "$lb_pid"
status=0
wait "$lb_pid" || status=$?
lb_pid=""
[ "$status" -eq 0 ] || { echo "FAIL: lb exited with $status on SIGTERM"; cat "$scratch/lb.log"; exit 1; }
echo "every metric the dashboard uses is on lb's /metrics"
