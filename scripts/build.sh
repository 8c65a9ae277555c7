#!/usr/bin/env bash
# Configures and builds one build directory: scripts/build.sh DIR [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
shift
# Ninja when it is installed (scripts/install-deps.sh installs it): it starts each compile as soon
# as what it needs is there, where make waits for every library a target links before compiling
# the target's files. CMake keeps the generator a build directory was first configured with, so
# an existing build/ made with make stays with make.
if [ -z "${CMAKE_GENERATOR:-}" ] && command -v ninja >/dev/null; then
    export CMAKE_GENERATOR=Ninja
fi
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
