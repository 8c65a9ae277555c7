#!/usr/bin/env bash
# examples/lb.service (the unit the Debian package installs) passes `systemd-analyze verify`
# without a single complaint.
#   usage: systemd_unit_test.sh SOURCE_DIR LB_BINARY
#
# The unit runs /usr/sbin/lb, where the package installs it, and `systemd-analyze verify`
# rejects an Exec line whose program does not exist. This test runs before anything is
# installed, so it verifies a copy of the unit in which /usr/sbin/lb, and only that, is
# replaced by the lb just built; every other line is the shipped one. (Installing the binary
# to /usr/sbin instead would change the machine the tests run on.)
set -euo pipefail
unit=$1/examples/lb.service
lb=$(realpath "$2")
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze not found (scripts/install-deps.sh installs systemd)"; exit 1; }

scratch=$(mktemp -d /tmp/sitelb-unit-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# The package layout the unit relies on: lb in /usr/sbin, the config in /etc/lb.
for line in "ExecStartPre=/usr/sbin/lb check -c /etc/lb/lb.toml" \
            "ExecStart=/usr/sbin/lb run -c /etc/lb/lb.toml" \
            "ExecReload=/usr/sbin/lb check -c /etc/lb/lb.toml"; do
    grep -qxF "$line" "$unit" || { echo "FAIL: $unit has no line: $line"; exit 1; }
done

sed "s#/usr/sbin/lb #$lb #g" "$unit" >"$scratch/lb.service"
echo "verifying a copy of $unit with /usr/sbin/lb -> $lb:"
diff "$unit" "$scratch/lb.service" || true

# verify exits 0 even for an unknown key or a value it cannot parse (it prints "…, ignoring"),
# so any output at all is a failure.
status=0
output=$(systemd-analyze verify "$scratch/lb.service" 2>&1) || status=$?
if [ "$status" -ne 0 ] || [ -n "$output" ]; then
    echo "FAIL: systemd-analyze verify (exit $status):"
    echo "$output"
    exit 1
fi
echo "systemd-analyze verify: no complaint"
