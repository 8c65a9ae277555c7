# bench/lib/install.sh — the Debian packages the bench needs, installed only when missing.

BENCH_PACKAGES=(haproxy nginx-light wrk iperf3)

ensure_tools() {
    local missing=() tool
    for tool in haproxy nginx wrk iperf3 python3 ss prlimit; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if ((${#missing[@]} == 0)); then return 0; fi
    log "missing: ${missing[*]} — installing ${BENCH_PACKAGES[*]} with apt-get"
    ((EUID == 0)) || die "run as root (apt-get install) or install: ${BENCH_PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Another apt-get may hold the lock on a shared machine: wait for it rather than fail.
    apt-get -o DPkg::Lock::Timeout=300 update -qq >"$WORKDIR/apt-update.log" 2>&1 ||
        warn "apt-get update failed (see $WORKDIR/apt-update.log); trying the install anyway"
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
        "${BENCH_PACKAGES[@]}" iproute2 util-linux >"$WORKDIR/apt-install.log" 2>&1 ||
        die "apt-get install failed: $(tail -3 "$WORKDIR/apt-install.log")"
    # The packages' own services (if an init system started them) use other ports; the bench
    # never touches them.
    for tool in haproxy nginx wrk iperf3; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool still missing after apt-get install"
    done
}
