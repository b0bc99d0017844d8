#!/usr/bin/env bash
# ensure-chromium.sh — the report test opens the HTML report in headless
# Chromium. Installs Debian's chromium (and a CJK font, for the Chinese
# text) when missing. Needs root or sudo for that; does nothing otherwise.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
echo "ensure-chromium: installing ${need[*]} from Debian's packages"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "ensure-chromium: ERROR: not root and no sudo; install ${need[*]} (apt-get install ${need[*]})" >&2
        exit 1
    fi
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
