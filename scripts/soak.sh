#!/usr/bin/env bash
# The soak test, for as long as asked: scripts/soak.sh [SECONDS [splice|copy]]
# (default 600 s on the splice path). Builds lb and the soak test in build/ when needed (configured
# as scripts/build.sh configures it), runs tests/soak/ once and prints its summary: connections by
# kind, bytes, lb's counters, the events (reloads, failover, pin), lb's RSS and fds at baseline,
# peak and end. The summary is also written to $SOAK_RESULTS when that is set. Exit status 0 when
# every check passed. tests/soak/README.md says what it checks.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
path=${2:-splice}
case "$path" in
    splice) extra="" ;;
    copy) extra="splice = false" ;;
    *) echo "usage: scripts/soak.sh [SECONDS [splice|copy]]" >&2; exit 2 ;;
esac

if [ ! -f build/CMakeCache.txt ]; then
    if [ -z "${CMAKE_GENERATOR:-}" ] && command -v ninja >/dev/null; then
        export CMAKE_GENERATOR=Ninja
    fi
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build -j "$(nproc)" --target lb soak_tests

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
echo "scripts/soak.sh: ${seconds} s on the ${path} path, started $(date -u +%FT%TZ)"
status=0
env SOAK_SECONDS="$seconds" SOAK_SUMMARY="$summary" ${extra:+"LB_TEST_EXTRA_GLOBAL=$extra"} \
    build/tests/soak_tests "[soak]" || status=$?
if [ -s "$summary" ] && [ -n "${SOAK_RESULTS:-}" ]; then cp "$summary" "$SOAK_RESULTS"; fi
echo "scripts/soak.sh: finished $(date -u +%FT%TZ), exit status $status"
exit $status
