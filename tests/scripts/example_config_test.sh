#!/usr/bin/env bash
# examples/lb.toml, which the Debian package installs as /etc/lb/lb.toml (the file the shipped
# unit runs), passes `lb check` without an error or a warning: a warning would be a feature that
# `lb run` refuses, such as a [peer] table, and the unit would not start.
#   usage: example_config_test.sh SOURCE_DIR LB_BINARY
set -euo pipefail
config=$1/examples/lb.toml
lb=$2

scratch=$(mktemp -d /tmp/sitelb-example-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
status=0
"$lb" check -c "$config" >"$scratch/out" 2>"$scratch/err" || status=$?
out=$(cat "$scratch/out")
err=$(cat "$scratch/err")
printf '%s\n' "$out"
printf '%s\n' "$err"
[ "$status" -eq 0 ] || { echo "FAIL: lb check exited with $status"; exit 1; }
[ -z "$err" ] || { echo "FAIL: lb check printed errors or warnings"; exit 1; }
[ "$(tail -n 1 <<<"$out")" = "$config: ok" ] || { echo "FAIL: lb check did not end with \"$config: ok\""; exit 1; }
# The example's two sites and two listeners, as its comments describe them.
for part in site-a site-b https http; do
    grep -qw -- "$part" <<<"$out" || { echo "FAIL: the summary does not name $part"; exit 1; }
done
echo "examples/lb.toml: no error, no warning"

# The peer pair (examples/peers/): both halves pass too, and name each other.
for i in 1 2; do
    other=$((3 - i))
    pair_config=$1/examples/peers/lb$i.toml
    status=0
    "$lb" check -c "$pair_config" >"$scratch/out" 2>"$scratch/err" || status=$?
    cat "$scratch/out" "$scratch/err"
    [ "$status" -eq 0 ] && [ ! -s "$scratch/err" ] || { echo "FAIL: lb check $pair_config"; exit 1; }
    grep -q "peer: lb$i .*10.0.0.$other:5405" "$scratch/out" ||
        { echo "FAIL: $pair_config does not pair lb$i with lb$other"; exit 1; }
done
# The arbiter's file, for the same pair.
arbiter_config=$1/examples/peers/arbiter.toml
status=0
"$lb" check -c "$arbiter_config" >"$scratch/out" 2>"$scratch/err" || status=$?
cat "$scratch/out" "$scratch/err"
[ "$status" -eq 0 ] && [ ! -s "$scratch/err" ] || { echo "FAIL: lb check $arbiter_config"; exit 1; }
grep -q "arbiter on 10.0.0.50:5406 for lb1 and lb2" "$scratch/out" ||
    { echo "FAIL: $arbiter_config does not vote between lb1 and lb2"; exit 1; }
echo "examples/peers: no error, no warning"
