#!/usr/bin/env bash
# Install Debian's Chromium for tests/test_report_browser.py (headless; as root).
set -euo pipefail
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
    echo "install-chromium.sh: Chromium is installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-chromium.sh: run as root (apt-get install chromium)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
for try in 1 2 3; do
    if apt-get update -qq && apt-get install -y -qq chromium >/dev/null; then
        echo "install-chromium.sh: installed chromium"
        exit 0
    fi
    echo "install-chromium.sh: apt-get failed (try $try of 3)" >&2
    sleep 10
done
exit 1
