#!/usr/bin/env bash
# Live demo: lb on 127.0.0.1:8000 in front of two local NGINX "sites" (site-a on 127.0.0.2:8080,
# site-b on 127.0.0.3:8080). Shows traffic on site-a, a failover when site-a's gateway dies, that
# traffic stays on site-b when site-a comes back (manual failback), and across an lb restart.
#
# It asks nothing and runs to its end (about 15 s); it stops every process it started, also when
# interrupted. LB_DEMO_BIN=path/to/lb skips installing and building and runs that binary (the
# demo's test, tests/scripts/demo_test.sh, does so and checks what this prints).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ -n "${LB_DEMO_BIN:-}" ]; then
    lb=$(realpath "$LB_DEMO_BIN")
else
    scripts/install-deps.sh
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build --target lb -j "$(nproc)" >/dev/null
    lb="$root/build/lb/lb"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sitelb-demo.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # so that cleanup runs then too

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

start_site() {  # name address
    local name=$1 address=$2 dir="$work/$1"
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
error_log $dir/logs/error.log;
pid $dir/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp;
    uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
    server {
        listen $address:8080;
        location = /health { return 200 "ok\n"; }
        location / { default_type text/plain; return 200 "hello from $name\n"; }
    }
}
CONF
    nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' &
    eval "${name//-/_}_pid=$!"
    pids+=($!)
}

stop_site() {  # name
    local var="${1//-/_}_pid"
    kill "${!var}"
    wait "${!var}" 2>/dev/null || true
}

cat >"$work/lb.toml" <<CONF
[global]
workers = 2
state_file = "$work/state.json"
[admin]
socket = "$work/admin.sock"
[metrics]
listen = "127.0.0.1:9100"
[timeouts]
connect = "1s"
idle = "1m"
drain = "1s"
[health]
kind = "http"
port = 8080
path = "/health"
host = "gateway"
interval = "500ms"
timeout = "300ms"
rise = 2
fall = 2
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
bind = "127.0.0.1:8000"
target_port = 8080
CONF

ready_lines() {
    local count
    count=$(grep -c " ready: " "$work/lb.log" 2>/dev/null) || true
    echo "${count:-0}"
}

start_lb() {  # waits for this start's "ready:" line (the log also holds the previous run's)
    local before
    before=$(ready_lines)
    "$lb" run -c "$work/lb.toml" 2>>"$work/lb.log" &
    lb_pid=$!
    pids+=($lb_pid)
    for _ in $(seq 50); do
        [ "$(ready_lines)" -gt "$before" ] && return 0
        kill -0 "$lb_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "lb did not start:"; cat "$work/lb.log"; exit 1
}

ask() { curl -s --max-time 2 http://127.0.0.1:8000/ || echo "(no answer)"; }

say "Starting two demo sites (NGINX) and lb in front of them"
start_site site-a 127.0.0.2
start_site site-b 127.0.0.3
sleep 0.5
start_lb
sleep 1.2  # first health verdicts: rise x interval

say "Three requests through lb (127.0.0.1:8000): site-a is the primary"
for _ in 1 2 3; do ask; done

say "Killing site-a's gateway; a request every 200 ms"
stop_site site-a
for _ in $(seq 10); do printf '%s  ' "$(date +%T.%N | cut -c1-12)"; ask; sleep 0.2; done

say "Bringing site-a back: traffic stays on site-b (failback is manual: the databases move first)"
start_site site-a 127.0.0.2
sleep 1.5
for _ in 1 2 3; do ask; done

say "Restarting lb: the decision survives (state file)"
kill -TERM "$lb_pid"; wait "$lb_pid" 2>/dev/null || true
start_lb
sleep 1.2
ask
cat "$work/state.json"

say "The operator's view: lb ctl show status"
"$lb" ctl -c "$work/lb.toml" show status

say "Manual failback, once the databases are back on site-a: lb ctl failback"
"$lb" ctl -c "$work/lb.toml" failback
for _ in 1 2 3; do ask; done

say "What lb logged"
cat "$work/lb.log"

say "Done. Metrics were on http://127.0.0.1:9100/metrics, the status page on http://127.0.0.1:9100/"
