#!/usr/bin/env bash
# Generate the SDKs (scripts/sdk.sh), then drive tests/sdk/scenario.py with the
# generated Python client against a live server (scripts/with-live-server.sh,
# database warden_e2e). Exits non-zero when either step fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/warden-target}"

bash "$ROOT/scripts/sdk.sh"

PY="$ROOT/build/sdk/tools/venv/bin/python"
[ -x "$PY" ] || { echo "test-sdk: ERROR: $PY missing after scripts/sdk.sh" >&2; exit 1; }

bash "$ROOT/scripts/with-live-server.sh" "$PY" "$ROOT/tests/sdk/scenario.py"
