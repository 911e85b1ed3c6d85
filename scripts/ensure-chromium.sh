#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser tests when it is
# missing (Playwright drives it through playwright-core; no browser download).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    echo "ensure-chromium: $(chromium --version 2>/dev/null | head -1)"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "ensure-chromium: chromium is missing; install Debian's package: sudo apt-get install -y chromium" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "ensure-chromium: installed $(chromium --version 2>/dev/null | head -1)"
