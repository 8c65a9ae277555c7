#!/usr/bin/env bash
# Runs one libFuzzer target for ctest (tests/fuzz/CMakeLists.txt) and scripts/fuzz.sh.
#   run_fuzz.sh fuzz BINARY WORK_DIR SECONDS SEEDS_DIR [EXTRA_CORPUS_DIR...]
#       fuzzes for SECONDS on a fresh copy of SEEDS_DIR in WORK_DIR/corpus (libFuzzer writes the
#       inputs it finds into its first corpus directory, so never into the source tree); the
#       extra directories are read only. A crash, leak, timeout or sanitizer report fails, with
#       the input kept as WORK_DIR/crash-* (or leak-*, timeout-*, oom-*).
#   run_fuzz.sh replay BINARY REGRESSIONS_DIR
#       runs the binary once on every file of REGRESSIONS_DIR (its README and .keep aside):
#       inputs that once crashed a parser; passes when the directory holds none.
set -euo pipefail
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
mode=$1
binary=$2
case "$mode" in
fuzz)
    work=$3 seconds=$4 seeds=$5
    shift 5
    rm -rf "$work"
    mkdir -p "$work"
    cp -r "$seeds" "$work/corpus"
    # -timeout: one input taking more than 10 s is a hang; -rss_limit_mb: libFuzzer's default
    # (2 GB) said explicitly; -print_final_stats: the execs figures scripts/fuzz.sh tabulates.
    exec "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$@"
    ;;
replay)
    dir=$3
    inputs=()
    while IFS= read -r -d '' file; do
        inputs+=("$file")
    done < <(find "$dir" -type f ! -name README.md ! -name .keep -print0 | sort -z)
    if [ ${#inputs[@]} -eq 0 ]; then
        echo "no regression inputs in $dir: nothing to replay"
        exit 0
    fi
    exec "$binary" "${inputs[@]}"
    ;;
*)
    echo "usage: run_fuzz.sh fuzz|replay ..." >&2
    exit 2
    ;;
esac
