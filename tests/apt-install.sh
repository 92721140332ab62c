#!/usr/bin/env bash
# Install Debian packages a test needs, unless its programs are already there (as root, three tries).
# Usage: apt-install.sh "PROGRAM..." PACKAGE...
set -euo pipefail
programs=($1)
shift
packages=("$@")
missing=0
for program in "${programs[@]}"; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "$program" >/dev/null || missing=1
done
if [ "$missing" -eq 0 ]; then
    echo "apt-install.sh: ${programs[*]} installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "apt-install.sh: run as root (apt-get install ${packages[*]})" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
for try in 1 2 3; do
    if apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null; then
        echo "apt-install.sh: installed ${packages[*]}"
        exit 0
    fi
    echo "apt-install.sh: apt-get failed (try $try of 3)" >&2
    sleep 10
done
exit 1
