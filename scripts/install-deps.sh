#!/usr/bin/env bash
# Installs, from Debian 12's own packages, whatever the build, the tests and the demo need and
# this machine lacks. Safe to run again: it installs nothing that is already there.
set -euo pipefail

# ninja-build: scripts/build.sh builds with Ninja when it is there.
# file: CPack's shlibdeps (`cpack -G DEB`) runs it to find the libraries lb links; lintian checks
# the package. libsystemd-dev: sd_notify, for the Type=notify unit.
# prometheus: promtool, which checks examples/prometheus.yml and examples/alerts*.yml.
# systemd: systemd-analyze, which checks examples/lb.service. jq: the Grafana dashboard's test.
# haproxy, hatop, prometheus-haproxy-exporter, tmux: the runtime-API compatibility test compares
# the admin socket with a real HAProxy and drives hatop (in tmux) and the exporter against both.
# nftables: the network-namespace tests partition an instance of a peer pair with it (iproute2
# builds their namespaces); keepalived: bench/peers/ measures the pair next to it.
# clang, libclang-rt-14-dev: the fuzz build (tests/fuzz/); libFuzzer and clang's sanitizer
# runtimes are in the latter, which clang only recommends.
# faketime: libfaketime, which the wall-clock fault test preloads into lb to move its
# CLOCK_REALTIME by hours while it runs.
packages=(
    build-essential cmake ninja-build pkg-config file
    libuv1-dev libtomlplusplus-dev libfmt-dev nlohmann-json3-dev catch2 prometheus-cpp-dev libssl-dev libmnl-dev
    libsystemd-dev lintian
    nginx-light openssl curl socat iproute2 procps chromium
    prometheus systemd jq
    haproxy hatop prometheus-haproxy-exporter tmux
    nftables keepalived
    clang libclang-rt-14-dev
    faketime
)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts the packaged nginx (port 80), prometheus (port 9090), haproxy and
# prometheus-haproxy-exporter (port 9101) as services (keepalived too, once
# /etc/keepalived/keepalived.conf exists); the tests, the demo and the benches run their own
# instances, and only need promtool. (--no-install-recommends keeps out
# prometheus-node-exporter, which would take port 9100, the metrics port of the demo.)
if command -v systemctl >/dev/null; then
    for service in nginx prometheus haproxy prometheus-haproxy-exporter keepalived; do
        if systemctl is-active --quiet "$service" 2>/dev/null; then
            $sudo systemctl stop "$service" || true
        fi
    done
fi
