#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run):
#   1. install what is missing (scripts/install-deps.sh);
#   2. the default build (RelWithDebInfo: -O2 -g, as Debian builds its packages; in build/, the
#      one the Debian package is made from), with warnings as errors (LB_WERROR, off by default
#      for users and packagers), with Ninja (scripts/build.sh);
#   3. every test in build/: unit, component, e2e, netns (the peer pair in network namespaces
#      the tests build: root only, each skips with exit code 77 without it, about 15 s), and the
#      tests of what the README and examples/ promise (labels demo, examples, readme: the demo's
#      output, promtool, the Grafana dashboard against a live /metrics, systemd-analyze, the
#      README's commands, which package build/) and package (the Debian package linted, and as
#      root installed, run as its user _lb and purged), and the soak test (label soak: 60 s of
#      mixed load with a failover, a pin and reloads, on the splice path; tests/soak/);
#   4. AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/, Debug): lb and the unit
#      and component tests, which link lb's code; then the end-to-end and netns tests again, the
#      default build's binaries starting build-asan's lb (LB_TEST_LB_BINARY): what they check is
#      the lb process, and compiling them twice would only cost time (the netns tier is the only
#      one that drives the peer link's sockets, netlink and gratuitous ARP in a running lb);
#   5. the libFuzzer build (build-fuzz/, clang, LB_FUZZ: the parsers of untrusted bytes and their
#      fuzz targets only, no lb and no test suite): each of its eight targets fuzzed for 15 s
#      from its committed seeds, and its committed regression inputs replayed (label fuzz;
#      tests/fuzz/README.md; scripts/fuzz.sh runs them longer). About 3 minutes on 2 cores.
# Most of the time goes into the builds, most of that into compiling the test files; the tests of
# build/ and build-asan/ take a few minutes each. Re-runs
# are much faster with ccache: `CMAKE_CXX_COMPILER_LAUNCHER=ccache scripts/test.sh` (CMake reads
# that variable when it first configures a build directory).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's start and the time taken so far, so a slow step shows in CI's log.
started=$SECONDS
step() { echo "=== scripts/test.sh: $* (at $((SECONDS - started)) s)"; }

step "install what is missing"
scripts/install-deps.sh

step "default build (build/)"
scripts/build.sh build -DLB_WERROR=ON
step "tests of build/"

(cd build && ctest --output-on-failure --timeout 300 -j 2)

step "sanitizer build (build-asan/)"
# -g1: line tables only, all a sanitizer's stack trace needs (file:line), and less to compile.
scripts/build.sh build-asan -DLB_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DLB_WERROR=ON "-DLB_TEST_TIERS=unit;component"
step "tests of build-asan/"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure --timeout 300 -j 2 -L 'unit|component')
(cd build && LB_TEST_LB_BINARY="$PWD/../build-asan/lb/lb" \
    ctest --output-on-failure --timeout 300 -j 2 -L 'e2e|netns')

step "libFuzzer build (build-fuzz/) and its fuzz runs"
# LB_FUZZ_SECONDS: how long each target runs (tests/fuzz/CMakeLists.txt).
scripts/build.sh build-fuzz -DLB_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DLB_TESTS=OFF \
    -DLB_WERROR=ON -DLB_FUZZ_SECONDS=15
(cd build-fuzz && ctest --output-on-failure -j 2 -L fuzz)
step "done"
