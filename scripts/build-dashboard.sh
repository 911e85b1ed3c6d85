#!/usr/bin/env bash
# Builds the staff dashboard into dashboard/dist when Node and npm are present
# (the server serves it at /dashboard/); without them, says so and goes on.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v npm >/dev/null 2>&1; then
    echo "build-dashboard: npm not found; the API runs without the dashboard (install Node 20 to get it)" >&2
    exit 0
fi
cd "$ROOT/dashboard"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
npm run -s build >/dev/null
echo "build-dashboard: built dashboard/dist"
