#!/usr/bin/env bash
# The dashboard's checks: dependencies from the lockfile, API types against
# api-spec/openapi.json, type check, Vitest unit tests, the production build,
# then the browser test (Debian's Chromium via playwright-core) against a live
# server with seeded data. Screenshots land in build/e2e/screenshots/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/dashboard"
command -v npm >/dev/null 2>&1 || { echo "test-dashboard: npm is required (Node 20)" >&2; exit 1; }
bash "$ROOT/scripts/ensure-chromium.sh"
npm ci --no-audit --no-fund --loglevel=error
npm run -s check:types
npm run -s typecheck
npx vitest run
npm run -s build >/dev/null
rm -rf "$ROOT/build/e2e/screenshots"
bash "$ROOT/scripts/with-live-server.sh" node "$ROOT/dashboard/e2e/run.mjs"
