#!/usr/bin/env bash
# Installs, from Debian 12's own packages, whatever the build, the tests and the demo need and
# this machine lacks. Safe to run again: it installs nothing that is already there.
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    libuv1-dev libtomlplusplus-dev libfmt-dev nlohmann-json3-dev catch2 prometheus-cpp-dev libssl-dev
    nginx-light openssl curl socat iproute2 procps chromium
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
# Debian starts the packaged nginx on port 80; the tests and the demo run their own instances.
if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
    $sudo systemctl stop nginx || true
fi
