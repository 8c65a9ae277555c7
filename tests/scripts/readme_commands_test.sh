#!/usr/bin/env bash
# Runs the README's commands as written: every line of every ```sh block of README.md, from the
# repository's root, each in its own `bash -euo pipefail -c`, stopping at the first that fails.
# Then checks what they made: `lb check` accepted examples/lb.toml without a warning, and the
# package command made a Debian package from the default build with lb, the unit and a config
# that `lb check` accepts.
#   usage: readme_commands_test.sh SOURCE_DIR
#
# Lines it does NOT run, and why:
#   - scripts/demo.sh: tested on its own, output and all (tests/scripts/demo_test.sh, label demo);
#   - scripts/test.sh: it is the command that runs this test (it would run itself);
#   - any `lb run`: it starts a server in the foreground that only stops on a signal, and the
#     README runs it on examples/lb.toml, whose sites (10.0.0.x) are not ours to send traffic to.
# Nothing else in the README's ```sh blocks needs the network. scripts/test.sh runs this test in
# build/ after building it, so the build commands only check that it is up to date.
set -euo pipefail
cd "$1"
root=$(pwd)

scratch=$(mktemp -d /tmp/sitelb-readme-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
touch "$scratch/stamp"
sleep 1  # a package made from now on is newer than the stamp, even on a coarse clock

# The lines of the ```sh blocks, as "LINE_NUMBER<TAB>COMMAND".
awk '
    /^```sh[[:space:]]*$/ { inside = 1; next }
    /^```/ { inside = 0; next }
    inside && $0 !~ /^[[:space:]]*(#|$)/ { print NR "\t" $0 }
' README.md >"$scratch/commands"
[ -s "$scratch/commands" ] || { echo "FAIL: README.md has no \`\`\`sh block"; exit 1; }

ran=0
while IFS=$'\t' read -r number command; do
    if [[ "$command" =~ ^[[:space:]]*scripts/(demo|test)\.sh([[:space:]]|$) ]]; then
        echo "README.md:$number: skipped (tested by its own test, or this test's caller): $command"
        continue
    fi
    if [[ "$command" =~ (^|[[:space:]/])lb[[:space:]]+run([[:space:]]|$) ]]; then
        echo "README.md:$number: skipped (a server that runs until stopped): $command"
        continue
    fi
    echo "README.md:$number: \$ $command"
    ran=$((ran + 1))
    status=0
    (cd "$root" && bash -euo pipefail -c "$command") >"$scratch/out.$ran" 2>&1 </dev/null || status=$?
    # Build output is long: its end is what tells.
    tail -n 20 "$scratch/out.$ran"
    if [ "$status" -ne 0 ]; then
        echo "FAIL: README.md:$number exited with $status: $command"
        exit 1
    fi
    # `lb check` on the shipped example: no error and no warning (a warning names a feature
    # `lb run` refuses, and the package installs this file as /etc/lb/lb.toml).
    if [[ "$command" == *"lb check -c examples/lb.toml"* ]]; then
        grep -qx "examples/lb.toml: ok" "$scratch/out.$ran" ||
            { echo "FAIL: README.md:$number: lb check did not say \"examples/lb.toml: ok\""; exit 1; }
        if grep -qE '(warning|error):' "$scratch/out.$ran"; then
            echo "FAIL: README.md:$number: lb check reported a problem"
            exit 1
        fi
        checked=yes
    fi
done <"$scratch/commands"
echo "ran $ran command lines from README.md"
[ "${checked:-}" = yes ] || { echo "FAIL: the README no longer runs lb check -c examples/lb.toml"; exit 1; }

# The package the README's Installing section makes.
mapfile -t packages < <(find "$root" -maxdepth 2 -name 'sitelb_*.deb' -newer "$scratch/stamp")
if [ "${#packages[@]}" -ne 1 ]; then
    echo "FAIL: expected the README's commands to make one sitelb_*.deb, found ${#packages[@]}"
    exit 1
fi
deb=${packages[0]}
echo "package: $deb"
dpkg-deb -c "$deb" | awk '{ print $NF }' >"$scratch/contents"
for path in ./usr/sbin/lb ./lib/systemd/system/lb.service ./etc/lb/lb.toml; do
    grep -qxF "$path" "$scratch/contents" || { echo "FAIL: $deb has no $path"; exit 1; }
done
# shlibdeps (which needs `file`) filled in the dependencies.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
[[ "$depends" == *libuv1* ]] || { echo "FAIL: the package does not depend on libuv1"; exit 1; }

dpkg-deb -x "$deb" "$scratch/root"
# Made from an -O2 -g build, stripped (CPACK_STRIP_FILES).
file "$scratch/root/usr/sbin/lb"
if ! file "$scratch/root/usr/sbin/lb" | grep -q ", stripped"; then
    echo "FAIL: the packaged lb is not stripped"
    exit 1
fi
# The packaged lb accepts the packaged config, which is what the shipped unit runs first.
status=0
"$scratch/root/usr/sbin/lb" check -c "$scratch/root/etc/lb/lb.toml" >"$scratch/pkg-check" 2>&1 || status=$?
cat "$scratch/pkg-check"
if [ "$status" -ne 0 ] || grep -qE '(warning|error):' "$scratch/pkg-check"; then
    echo "FAIL: the packaged lb check on the packaged /etc/lb/lb.toml reported a problem"
    exit 1
fi
echo "the README's commands work as written"
