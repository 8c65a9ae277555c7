# bench/lib/drivers.sh — what every driver script (run.sh, growth.sh, profile.sh, compare.sh)
# loads first: REPO_DIR and the shared libraries. The driver sets BENCH_DIR before sourcing it.
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/install.sh"
source "$BENCH_DIR/lib/sites.sh"
source "$BENCH_DIR/lib/targets.sh"
source "$BENCH_DIR/lib/workloads.sh"
