#!/usr/bin/env bash
# examples/prometheus.yml and examples/alerts.yml are valid for Prometheus, and the alert rules
# pass their unit tests (examples/alerts_test.yml), checked with Debian's promtool.
#   usage: prometheus_examples_test.sh SOURCE_DIR
set -euo pipefail
cd "$1/examples"
command -v promtool >/dev/null || { echo "FAIL: promtool not found (scripts/install-deps.sh installs Debian's prometheus package)"; exit 1; }

# The scrape config, and the rule files it names (alerts.yml).
promtool check config prometheus.yml
grep -qx '  - alerts.yml' prometheus.yml || { echo "FAIL: prometheus.yml no longer loads alerts.yml"; exit 1; }
promtool check rules alerts.yml
promtool test rules alerts_test.yml
