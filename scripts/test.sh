#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, build, run every test; then
# build again with AddressSanitizer + UndefinedBehaviorSanitizer and run the unit, component
# and end-to-end tests there too.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

scripts/build.sh build
(cd build && ctest --output-on-failure --timeout 300 -j 2)

scripts/build.sh build-asan -DLB_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure --timeout 300 -j 2 -L 'unit|component|e2e')
