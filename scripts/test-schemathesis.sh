#!/usr/bin/env bash
# Schemathesis (pinned) over the whole spec against a live server, as a tenant
# administrator of a fresh tenant with generous limits, every check on, a
# bounded number of examples per operation (ST_MAX_EXAMPLES, default 10).
# Exits non-zero on any failure. Report: build/schemathesis/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="4.32.5"
VENV="$ROOT/build/tools/schemathesis-$VERSION"
if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "schemathesis==$VERSION"
fi
export ST_BIN="$VENV/bin/schemathesis"
export ST_MAX_EXAMPLES="${ST_MAX_EXAMPLES:-10}"
export ST_REPORT="$ROOT/build/schemathesis"
export ST_CONFIG="$ROOT/scripts/schemathesis.toml"
rm -rf "$ST_REPORT" && mkdir -p "$ST_REPORT"
exec bash "$ROOT/scripts/with-live-server.sh" bash -c '
set -euo pipefail
platform=$("$WARDEN_BIN" token --role platform_admin --sub st-platform --ttl 2h)
tenant=$(curl -sf -X POST "$WARDEN_URL/api/v1/tenants" -H "Authorization: Bearer $platform" \
    -H "Content-Type: application/json" -d "{\"name\":\"schemathesis\"}" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"id\"])")
curl -sf -X PUT "$WARDEN_URL/api/v1/tenants/$tenant/limits" -H "Authorization: Bearer $platform" \
    -H "Content-Type: application/json" \
    -d "{\"requests_per_minute\":1000000,\"requests_per_hour\":100000000,\"requests_per_day\":1000000000,\"user_requests_per_minute\":null,\"max_products\":1000000,\"max_users\":1000000,\"max_storage_bytes\":1073741824}" >/dev/null
admin=$("$WARDEN_BIN" token --tenant "$tenant" --role tenant_admin --sub st-admin --ttl 2h)
"$ST_BIN" --config-file "$ST_CONFIG" run "$WARDEN_URL/api/v1/openapi.json" \
    --header "Authorization: Bearer $admin" --header "X-Tenant-ID: $tenant" \
    --checks all --max-examples "$ST_MAX_EXAMPLES" --generation-deterministic \
    --exclude-path /api/v1/ws \
    --report junit --report-dir "$ST_REPORT" \
    --workers 2 "$@"
' schemathesis "$@"
