#!/usr/bin/env bash
# The Debian package installs like HAProxy's and leaves nothing behind:
#   1. `cpack -G DEB` from the build it is given (into a scratch directory), then lintian: no error
#      and no warning;
#   2. `systemd-analyze security` on the packaged unit gives the exposure the README states, and
#      Debian's haproxy.service the one the README compares it with;
#   3. as root (else the rest is skipped, exit 77): installed with dpkg (twice: the second is the
#      upgrade path of the maintainer scripts), the service user _lb exists with no shell and no
#      home, the unit is enabled, `lb version`, `man lb`, `systemd-analyze verify` and, as _lb,
#      `lb check` on the installed /etc/lb/lb.toml pass; lb runs as _lb with exactly the unit's
#      capabilities, binds a port below 1024 and forwards (and cannot bind it without them);
#   4. purged: the package's files, /etc/lb, /var/lib/lb, /run/lb, the unit's enablement and the
#      _lb user and group are gone; of a listing of /etc, /lib, /usr, /var/lib and /run taken
#      before the install, the paths named after the package (lb, sitelb, _lb, lb.service) are the
#      same after the purge.
# systemd is not PID 1 on every machine that runs this (containers): the unit itself is not
# started here. Its Type=notify messages are tested by tests/e2e/service_notify_test.cpp.
#   usage: package_test.sh SOURCE_DIR BUILD_DIR VERSION
set -euo pipefail
source_dir=$(realpath "$1")
build_dir=$2
version=$3

fail() { echo "FAIL: $*"; exit 1; }

scratch=$(mktemp -d /tmp/sitelb-package-test.XXXXXX)
lb_pid=""
site_pids=()
cleanup() {
    [ -n "$lb_pid" ] && kill -KILL "$lb_pid" 2>/dev/null || true
    for pid in "${site_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    if [ "${installed_here:-}" = yes ] && dpkg-query -W -f='${Status}' sitelb 2>/dev/null |
        grep -q installed; then
        echo "cleanup: purging the package this test installed"
        dpkg --purge sitelb >/dev/null 2>&1 || true
    fi
    rm -rf "$scratch" "${workdir:-}"
}
trap cleanup EXIT

# --- 1. build and lint ---------------------------------------------------------------------------
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S "$source_dir" -B "$build_dir"
fi
cmake --build "$build_dir" -j "$(nproc)" >"$scratch/build.log" 2>&1 ||
    { tail -n 30 "$scratch/build.log"; fail "the Release build failed"; }
(cd "$build_dir" && cpack -G DEB -B "$scratch/out") >"$scratch/cpack.log" 2>&1 ||
    { cat "$scratch/cpack.log"; fail "cpack failed"; }
deb="$scratch/out/sitelb_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || { ls "$scratch/out"; fail "cpack made no $deb"; }
echo "package: $(basename "$deb")"
dpkg-deb -I "$deb" | sed -n '/Package:/,$p'

command -v lintian >/dev/null || fail "lintian not found (scripts/install-deps.sh installs it)"
lintian_status=0
# Informational tags (I:) are shown; an error or a warning fails the test.
lintian --display-level '>=info' --fail-on error,warning "$deb" 2>&1 |
    grep -v 'running with root privileges is not recommended' | tee "$scratch/lintian" ||
    lintian_status=$?
[ "$lintian_status" -eq 0 ] || fail "lintian reported errors or warnings (above)"
if grep -qE '^[EW]: ' "$scratch/lintian"; then fail "lintian reported errors or warnings (above)"; fi
echo "lintian: no error, no warning"

# --- 2. the unit's exposure, as the README states it --------------------------------------------
mkdir "$scratch/root"
dpkg-deb -x "$deb" "$scratch/root"
exposure() {  # UNIT_FILE → "1.9 OK"
    systemd-analyze security --offline=true "$1" 2>/dev/null |
        sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]* [A-Z]*\).*/\1/p'
}
lb_exposure=$(exposure "$scratch/root/lib/systemd/system/lb.service")
echo "systemd-analyze security lb.service: $lb_exposure"
[ -n "$lb_exposure" ] || fail "systemd-analyze security printed no exposure level for lb.service"
grep -qF "\`lb.service\`: $lb_exposure" "$source_dir/README.md" ||
    fail "README.md does not state lb.service's exposure as \"\`lb.service\`: $lb_exposure\""
if [ -f /lib/systemd/system/haproxy.service ]; then
    haproxy_exposure=$(exposure /lib/systemd/system/haproxy.service)
    echo "systemd-analyze security haproxy.service (Debian's): $haproxy_exposure"
    grep -qF "\`haproxy.service\`: $haproxy_exposure" "$source_dir/README.md" ||
        fail "README.md does not state haproxy.service's exposure as \"\`haproxy.service\`: $haproxy_exposure\""
fi

# --- 3. install ---------------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIPPED: installing and purging the package needs root (lint and exposure passed)"
    exit 77
fi
if dpkg-query -W -f='${Status}' sitelb 2>/dev/null | grep -q installed; then
    echo "SKIPPED: sitelb is already installed on this machine; this test does not touch it"
    exit 77
fi
if getent passwd _lb >/dev/null || getent group _lb >/dev/null; then
    echo "SKIPPED: a user or group _lb exists already; this test would remove it"
    exit 77
fi

snapshot() {  # every path under the directories a package or its scripts may touch
    find /etc /lib /usr /var/lib /run -xdev \
        \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/ucf -o -path /run/netns \
           -o -path /var/lib/man-db -o -path /var/lib/systemd/timers -o -path /run/user \) -prune \
        -o -print 2>/dev/null | sort
}
# Other processes may add or remove files meanwhile (caches, pid files): what must be the same
# after the purge is every path the package or its scripts could have made, named after it.
ours() { grep -E '(^|/)(lb|sitelb|_lb)(/|\.|$)|lb\.service|sitelb' "$1" || true; }
snapshot >"$scratch/before"
[ "$(wc -l <"$scratch/before")" -gt 1000 ] || fail "the listing before the install is too short"

installed_here=yes
dpkg -i "$deb" >"$scratch/install.log" 2>&1 || { cat "$scratch/install.log"; fail "dpkg -i"; }
# Again: the maintainer scripts' upgrade path, on a machine that has the user already.
dpkg -i "$deb" >"$scratch/reinstall.log" 2>&1 ||
    { cat "$scratch/reinstall.log"; fail "dpkg -i (again)"; }
echo "installed (twice)"
snapshot >"$scratch/installed"
# (/lib is /usr/lib on a merged-/usr system: the unit is listed under either.)
for path in /usr/sbin/lb /etc/lb /lib/systemd/system/lb.service /usr/share/doc/sitelb; do
    ours "$scratch/installed" | grep -qxE "(/usr)?$path" ||
        fail "the listing does not show $path installed"
done

IFS=: read -r _ _ uid gid _ home shell < <(getent passwd _lb) || fail "no user _lb"
echo "user _lb: uid $uid, gid $gid, home $home, shell $shell"
[ "$shell" = /usr/sbin/nologin ] || fail "_lb's shell is $shell, not /usr/sbin/nologin"
[ "$home" = /nonexistent ] && [ ! -e /nonexistent ] || fail "_lb has a home directory: $home"
[ "$uid" -lt 1000 ] || fail "_lb is not a system user (uid $uid)"
[ "$(getent group _lb | cut -d: -f3)" = "$gid" ] || fail "_lb's primary group is not _lb"

[ -L /etc/systemd/system/multi-user.target.wants/lb.service ] ||
    fail "the unit is not enabled (no multi-user.target.wants/lb.service)"

got=$(/usr/sbin/lb version)
[ "$got" = "lb $version" ] || fail "lb version says \"$got\", not \"lb $version\""
man -w lb | grep -qx /usr/share/man/man8/lb.8.gz || fail "man -w lb does not find lb(8)"

verify=$(systemd-analyze verify /lib/systemd/system/lb.service 2>&1) ||
    fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify complained: $verify"

check=$(runuser -u _lb -- /usr/sbin/lb check -c /etc/lb/lb.toml 2>&1) ||
    fail "lb check (as _lb) on the installed /etc/lb/lb.toml: $check"
echo "$check"
[ "$(echo "$check" | tail -n 1)" = "/etc/lb/lb.toml: ok" ] || fail "lb check (as _lb) did not say ok"
! echo "$check" | grep -qE '(warning|error):' || fail "lb check (as _lb) reported a problem"

# lb as the unit runs it: user and group _lb, and only the unit's capabilities, ambient.
capabilities=$(sed -n 's/^AmbientCapabilities=//p' /lib/systemd/system/lb.service)
[ "$capabilities" = "CAP_NET_BIND_SERVICE CAP_NET_ADMIN CAP_NET_RAW" ] ||
    fail "the unit's AmbientCapabilities are \"$capabilities\""
caps=$(echo "$capabilities" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
free_port() {  # FIRST LAST: a port nobody listens on
    for ((p = $1; p <= $2; ++p)); do
        [ -z "$(ss -Hltn "sport = :$p")" ] && { echo "$p"; return; }
    done
    fail "no free port in $1-$2"
}
site_port=$(free_port 28400 28499)
front_port=$(free_port 900 1000)  # below 1024: needs CAP_NET_BIND_SERVICE
for address in 127.0.0.2 127.0.0.3; do
    socat "TCP-LISTEN:$site_port,bind=$address,fork,reuseaddr" EXEC:cat &
    site_pids+=($!)
done
# lb's own directory, _lb's (the scratch directory is root's alone).
workdir=$(mktemp -d /tmp/sitelb-package-run.XXXXXX)
chown _lb:_lb "$workdir"
cat >"$workdir/lb.toml" <<EOF
[global]
workers = 1
state_file = "$workdir/state.json"
[admin]
socket = "$workdir/admin.sock"
[metrics]
listen = ""
[health]
kind = "tcp"
port = $site_port
interval = "200ms"
timeout = "100ms"
rise = 1
[[sites]]
name = "site-a"
address = "127.0.0.2"
role = "primary"
[[sites]]
name = "site-b"
address = "127.0.0.3"
role = "standby"
[[listeners]]
name = "front"
bind = "127.0.0.1:$front_port"
target_port = $site_port
EOF
chmod 0644 "$workdir/lb.toml"
run_as_lb() {  # CAPS LOG: lb run as _lb with the ambient capabilities CAPS ("" for none)
    local inheritable="-all" ambient="-all"
    [ -n "$1" ] && { inheritable="$1"; ambient="$1"; }
    setpriv --reuid=_lb --regid=_lb --init-groups --inh-caps="$inheritable" \
        --ambient-caps="$ambient" --bounding-set="-all${1:+,$1}" \
        /usr/sbin/lb run -c "$workdir/lb.toml" >"$2" 2>&1 &
    lb_pid=$!
}

# Without the capabilities, the port below 1024 is refused.
run_as_lb "" "$scratch/nocaps.log"
for _ in $(seq 100); do kill -0 "$lb_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$lb_pid" 2>/dev/null; then
    cat "$scratch/nocaps.log"
    fail "lb as _lb without capabilities kept running on port $front_port"
fi
wait "$lb_pid" || true
lb_pid=""
cat "$scratch/nocaps.log"
grep -qi "cannot bind 127.0.0.1:$front_port: permission denied" "$scratch/nocaps.log" ||
    fail "lb as _lb without capabilities did not fail for lack of permission"
rm -f "$workdir/admin.sock"

run_as_lb "$caps" "$scratch/lb.log"
for _ in $(seq 100); do
    grep -q " ready: " "$scratch/lb.log" && break
    kill -0 "$lb_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q " ready: " "$scratch/lb.log" || { cat "$scratch/lb.log"; fail "lb as _lb did not start"; }
[ "$(stat -c %U "/proc/$lb_pid")" = _lb ] || fail "lb does not run as _lb"
grep -q "^CapAmb:" "/proc/$lb_pid/status" && grep "^Cap" "/proc/$lb_pid/status"
reply=""
for _ in $(seq 50); do  # the first health check brings site-a up within 200 ms
    reply=$(echo "through lb as _lb" | socat -t 2 - "TCP:127.0.0.1:$front_port" 2>/dev/null) && \
        [ "$reply" = "through lb as _lb" ] && break
    sleep 0.1
done
[ "$reply" = "through lb as _lb" ] || { cat "$scratch/lb.log"; fail "no echo through lb on port $front_port"; }
echo "lb as _lb forwards on 127.0.0.1:$front_port"
status=$(/usr/sbin/lb ctl -s "$workdir/admin.sock" show status) || fail "lb ctl show status"
echo "$status" | head -n 3
# A decision lb must keep: pinned to site-b, written to the state file by _lb.
/usr/sbin/lb ctl -s "$workdir/admin.sock" pin site-b || fail "lb ctl pin site-b"
[ "$(stat -c %U "$workdir/state.json" 2>/dev/null)" = _lb ] || fail "no state file of _lb's"
grep -q '"site-b"' "$workdir/state.json" || fail "the state file does not name site-b"
kill -TERM "$lb_pid"
wait "$lb_pid" || fail "lb as _lb did not exit 0 on SIGTERM"
lb_pid=""
for pid in "${site_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
site_pids=()
rm -rf "$workdir"

# --- 4. purge ----------------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's#^\.##; s#/$##' | grep -v '^$' >"$scratch/files"
dpkg --purge sitelb >"$scratch/purge.log" 2>&1 || { cat "$scratch/purge.log"; fail "dpkg --purge"; }
installed_here=""
echo "purged"
! dpkg-query -W -f='${Status}' sitelb 2>/dev/null | grep -q installed || fail "sitelb still installed"
while read -r path; do
    case "$path" in /etc | /lib | /lib/systemd | /lib/systemd/system | /usr | /usr/sbin | /usr/share | \
        /usr/share/doc | /usr/share/man | /usr/share/man/man8) continue ;; esac
    [ ! -e "$path" ] || fail "$path is still there after the purge"
done <"$scratch/files"
for path in /etc/lb /var/lib/lb /run/lb; do [ ! -e "$path" ] || fail "$path is still there"; done
! getent passwd _lb >/dev/null || fail "the user _lb is still there"
! getent group _lb >/dev/null || fail "the group _lb is still there"
snapshot >"$scratch/after"
if ! diff <(ours "$scratch/before") <(ours "$scratch/after") >"$scratch/diff"; then
    cat "$scratch/diff"
    fail "the purge left the paths above different from before the install"
fi
if ! diff "$scratch/before" "$scratch/after" >"$scratch/all-diff"; then
    echo "(other paths changed meanwhile, not the package's:)"
    head -n 20 "$scratch/all-diff"
fi
echo "the package installs, runs as _lb, and purges leaving nothing behind"
