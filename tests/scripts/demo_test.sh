#!/usr/bin/env bash
# The README's first command, scripts/demo.sh, run non-interactively with an lb already built
# (LB_DEMO_BIN): its output must say what the README says, section by section, and it must leave
# no process behind.
#   usage: demo_test.sh SOURCE_DIR LB_BINARY
# The demo uses fixed addresses (lb on 127.0.0.1:8000 and :9100, the sites on 127.0.0.2:8080 and
# 127.0.0.3:8080): ctest runs this test alone (RUN_SERIAL).
set -euo pipefail
source_dir=$1
lb=$2

scratch=$(mktemp -d /tmp/sitelb-demo-test.XXXXXX)
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Every process that still refers to $scratch (its command line, working directory or an open
# file): the demo's lb and NGINX masters name it on their command line, NGINX workers hold the
# site's error log open. (The pattern is written so that the command lines of the grep and find
# that look for it do not match it.)
leftovers() {
    local pattern="${scratch%.*}[.]${scratch##*.}"
    {
        grep -lsE -- "$pattern" /proc/[0-9]*/cmdline
        find /proc/[0-9]*/cwd /proc/[0-9]*/fd -maxdepth 1 -lname "$pattern*" 2>/dev/null
    } | cut -d/ -f3 | sort -u | grep -vx -e "$$" -e "$BASHPID" || true
}

cleanup() {
    local pids
    pids=$(leftovers)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

status=0
TMPDIR=$scratch LB_DEMO_BIN=$lb timeout 120 "$source_dir/scripts/demo.sh" >"$scratch/out.raw" 2>&1 ||
    status=$?
# Without the terminal's bold escapes.
sed 's/\x1b\[[0-9;]*m//g' "$scratch/out.raw" >"$scratch/out"
echo "---- scripts/demo.sh (exit $status) ----"
cat "$scratch/out"
echo "----"
[ "$status" -eq 0 ] || fail "scripts/demo.sh exited with $status"

# The lines of the section whose "== " title starts with $1, up to the next title.
section() {
    awk -v title="== $1" '
        index($0, title) == 1 { inside = 1; next }
        /^== / { inside = 0 }
        inside && NF' "$scratch/out"
}
# Lines with the answers the demo's clients saw ("hello from site-x" or "(no answer)").
answers() { section "$1" | grep -oE 'hello from site-[ab]|\(no answer\)' || true; }

expect_answers() {  # title expected-count expected-answer
    local got
    got=$(answers "$1")
    if [ "$(printf '%s\n' "$got" | grep -c .)" -ne "$2" ] ||
        [ -n "$(printf '%s\n' "$got" | grep -v -x "$3")" ]; then
        fail "section \"$1\": expected $2 x \"$3\", got: $(echo $got)"
    fi
}

# Traffic on site-a, the primary.
expect_answers "Three requests through lb" 3 "hello from site-a"

# Site-a's gateway is killed before the first of ten requests: from then on every answer is
# site-b's. Even the first: its connect to site-a is refused and retried on site-b
# (retry_on_standby), so no client sees an error.
expect_answers "Killing site-a's gateway" 10 "hello from site-b"

# Site-a is back and healthy, but failback is manual: still site-b.
expect_answers "Bringing site-a back" 3 "hello from site-b"

# After an lb restart the state file keeps site-b active.
expect_answers "Restarting lb" 1 "hello from site-b"
section "Restarting lb" | grep -qE '"active" *: *"site-b"' ||
    fail "the state file shown after the restart does not name site-b as active"

# The operator's view names site-b as the active site.
section "The operator's view" | grep -qiE 'active.*site-b' ||
    fail "lb ctl show status does not show site-b as active"

# lb ctl failback moves traffic back to site-a.
expect_answers "Manual failback" 3 "hello from site-a"

# The log: two starts, the failover at warning level, and the restart reading the state file.
log=$(section "What lb logged")
[ "$(grep -c ' ready: ' <<<"$log")" -eq 2 ] || fail "the log does not show two starts of lb"
grep -qE ' warning failover: site-a -> site-b \(reason health' <<<"$log" ||
    fail "the log does not show the failover to site-b as a warning"
grep -qE 'state file .*: active site site-b' <<<"$log" ||
    fail "the restarted lb did not log that the state file made site-b active"

# Nothing the demo started survives it. A process that is about to exit gets 2 s.
for _ in $(seq 20); do
    [ -z "$(leftovers)" ] && break
    sleep 0.1
done
left=$(leftovers)
if [ -n "$left" ]; then
    # shellcheck disable=SC2086
    fail "processes left behind by the demo: $(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)")"
fi
# The demo removes its own directory.
[ -z "$(find "$scratch" -maxdepth 1 -name 'sitelb-demo.*')" ] ||
    fail "the demo left its directory behind: $(find "$scratch" -maxdepth 1 -name 'sitelb-demo.*')"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "demo output as the README describes it; no process left behind"
