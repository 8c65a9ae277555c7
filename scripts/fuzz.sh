#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz/, clang, ASan+UBSan: tests/fuzz/README.md) and runs
# each for longer than the test suite does, one target at a time, each from its committed seeds:
#   scripts/fuzz.sh [--results] [SECONDS] [TARGET...]
# SECONDS per target (default 600); TARGETs as named in tests/fuzz/ (default: all eight). Prints
# each target's final libFuzzer line ("#N DONE cov: ... corp: ... exec/s: ..."). --results also
# writes tests/fuzz/RESULTS.md: a table of the execs per target, the raw final lines, the date
# and the machine. A target that fails (crash, sanitizer report, broken invariant, hang) leaves
# its input in build-fuzz/tests/fuzz/long/TARGET/ (crash-*, leak-*, timeout-*, oom-*) and makes
# the script exit 1 once the other targets have run; tests/fuzz/README.md says how an input
# becomes a regression test. Each target's final corpus stays in build-fuzz/tests/fuzz/long/.
set -euo pipefail
cd "$(dirname "$0")/.."

results=""
load=$(cut -d" " -f1-3 /proc/loadavg)  # for RESULTS.md: what else the machine was doing
if [ "${1:-}" = "--results" ]; then
    results=tests/fuzz/RESULTS.md
    shift
fi
seconds=${1:-600}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [--results] [SECONDS] [TARGET...]" >&2; exit 2; }
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] ||
    targets=(config import_haproxy admin_command http_response state_file proxy_header advert
             lease_message)

scripts/build.sh build-fuzz -DLB_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DLB_TESTS=OFF

extra_corpus() {  # the read-only corpus directories besides the target's seeds
    [ "$1" = import_haproxy ] && echo tests/data/haproxy
    return 0
}

mkdir -p build-fuzz/tests/fuzz/long
failed=()
lines=()
rows=()
for target in "${targets[@]}"; do
    binary=build-fuzz/tests/fuzz/${target}_fuzz
    [ -x "$binary" ] || { echo "no fuzz target $target" >&2; exit 2; }
    work=build-fuzz/tests/fuzz/long/$target
    echo "== $target: ${seconds} s"
    status=0
    # shellcheck disable=SC2046
    tests/fuzz/run_fuzz.sh fuzz "$binary" "$work" "$seconds" tests/fuzz/corpus/"$target" \
        $(extra_corpus "$target") >"$work.log" 2>&1 || status=$?
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work.log" | tail -n 1 || true)
    if [ "$status" -ne 0 ] || [ -z "$done_line" ]; then
        failed+=("$target")
        tail -n 40 "$work.log"
        echo "FAIL: $target (exit $status); log $work.log; input(s):" $(ls "$work" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true)
        continue
    fi
    echo "$done_line"
    lines+=("$target: $done_line")
    # "#1234 DONE cov: 567 ft: 890 corp: 12/3456b lim: 4 exec/s: 20 rss: 50Mb"
    read -r runs cov inputs bytes execs < <(sed -E \
        's/^#([0-9]+).* cov: ([0-9]+).* corp: ([0-9]+)\/([0-9]+[a-zA-Z]*).* exec\/s: ([0-9]+).*/\1 \2 \3 \4 \5/' \
        <<<"$done_line")
    rows+=("| $target | $runs | $execs | $inputs ($bytes) | $cov |")
done

if [ -n "$results" ]; then
    cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
    clang=$(clang++ --version | head -n 1)
    {
        echo "# Fuzzing results"
        echo
        echo "One run of \`scripts/fuzz.sh --results $seconds\` on $(date -u +%Y-%m-%d): $seconds s per"
        echo "target, one target at a time, each starting from its committed seeds (tests/fuzz/corpus/)."
        echo "Machine: $(nproc) CPUs (nproc), $cpu; load average at the start: $load."
        echo "Compiler: $clang; -O1, ASan + UBSan, libstdc++ assertions."
        echo
        echo "| target | runs | exec/s | corpus: inputs (bytes) | coverage (edges) |"
        echo "|---|---:|---:|---:|---:|"
        printf '%s\n' "${rows[@]}"
        echo
        echo "libFuzzer's final line for each target:"
        echo
        echo '```'
        printf '%s\n' "${lines[@]}"
        echo '```'
        if [ ${#failed[@]} -gt 0 ]; then
            echo
            echo "Failed (no figures): ${failed[*]}"
        fi
    } >"$results"
    echo "wrote $results"
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
