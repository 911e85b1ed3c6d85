#!/usr/bin/env bash
# Request rate of GET /api/v1/products/{id} through the whole stack (wrk against
# the release server) beside the rate pgbench reaches on the same transaction
# (BEGIN; set_config; SELECT; COMMIT) as the runtime role. Loopback only.
#
#   DURATION=15 CONNECTIONS=32 bash scripts/bench-http.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

duration="${DURATION:-10}"
connections="${CONNECTIONS:-32}"
port="${BENCH_PORT:-18181}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/warden-target}"
export DATABASE_URL="postgres://warden_bench_app@127.0.0.1:5432/warden_bench"
export DATABASE_ADMIN_URL="postgres://postgres@127.0.0.1:5432/warden_bench"
export JWT_HS256_SECRET="bench-secret"
export BIND_ADDR="127.0.0.1:$port"
export DATABASE_POOL_SIZE="${DATABASE_POOL_SIZE:-16}"
rm -f /tmp/warden-bench-wrk-*.txt
export RUST_LOG="${RUST_LOG:-warn}"
# One load generator on loopback: the per-client limit in front of
# authentication is still checked on every request, but never reached.
export PRE_AUTH_PER_MINUTE=1000000000 PRE_AUTH_FAILURES_PER_MINUTE=1000000

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v pgbench >/dev/null || { echo "pgbench (postgresql-client) is needed" >&2; exit 1; }
bash scripts/ensure-postgres.sh

cargo build -q --release -p warden-server
bin="$CARGO_TARGET_DIR/release/warden"
"$bin" migrate --reset >/dev/null 2>&1

base="http://127.0.0.1:$port"
server=""
stop_server() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=""
    fi
}
start_server() {
    stop_server
    env "$@" "$bin" serve >>/tmp/warden-bench-server.log 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -fs "$base/health/ready" >/dev/null && return; sleep 0.1; done
    echo "server did not start" >&2; exit 1
}
trap stop_server EXIT
start_server RATE_LIMIT=on

json_id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
admin=$("$bin" token --role platform_admin --sub bench-admin)
tenant=$(curl -fs -X POST "$base/api/v1/tenants" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' -d '{"name": "bench"}' | json_id)
# Limits far above what the load test sends, so every request is served.
curl -fs -X PUT "$base/api/v1/tenants/$tenant/limits" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' \
    -d '{"requests_per_minute": 1000000, "requests_per_hour": 100000000, "requests_per_day": 1000000000,
         "user_requests_per_minute": null, "max_products": 100000, "max_users": 1000, "max_storage_bytes": 1073741824}' >/dev/null
seller=$("$bin" token --tenant "$tenant" --sub bench-seller --role seller --ttl 1h)
curl -fs -X PUT "$base/api/v1/sellers/me" -H "Authorization: Bearer $seller" -H "X-Tenant-ID: $tenant" \
    -H 'Content-Type: application/json' -d '{"store_name": "Bench store"}' >/dev/null
product=$(curl -fs -X POST "$base/api/v1/products" -H "Authorization: Bearer $seller" -H "X-Tenant-ID: $tenant" \
    -H 'Content-Type: application/json' -d '{"title": "Teapot", "price_minor": 2500, "currency": "USD"}' | json_id)
# Other rows, so the index lookup is not on a one-row table; one store lists
# them all, so no trust-level listing limit.
store_admin=$("$bin" token --tenant "$tenant" --sub bench-store-admin --role tenant_admin --ttl 1h)
curl -fs -X PUT "$base/api/v1/trust/settings" -H "Authorization: Bearer $store_admin" -H "X-Tenant-ID: $tenant" \
    -H 'Content-Type: application/json' \
    -d '{"listing_limits": [null, null, null, null], "features": {"payments": 1, "automated_order_processing": 1, "analytics": 2, "bulk_operations": 2, "custom_automation_rules": 3, "api_access": 3}, "weights": {"account_age": 10, "order_volume": 20, "ratings": 20, "response_time": 10, "disputes": 15, "payments": 10, "compliance": 15}, "score_thresholds": [0, 60, 80], "grace_days": 14}' >/dev/null
for i in $(seq 200); do
    curl -fs -X POST "$base/api/v1/products" -H "Authorization: Bearer $seller" -H "X-Tenant-ID: $tenant" \
        -H 'Content-Type: application/json' -d "{\"title\": \"Item $i\", \"price_minor\": $i, \"currency\": \"USD\"}" >/dev/null
done

load() {
    local label="$1"
    echo "== wrk: GET /api/v1/products/{id}, $label, $connections connections, ${duration}s"
    curl -fs "$base/api/v1/products/$product" -H "Authorization: Bearer $seller" -H "X-Tenant-ID: $tenant" >/dev/null
    wrk -t2 -c"$connections" -d"${duration}s" --latency \
        -H "Authorization: Bearer $seller" -H "X-Tenant-ID: $tenant" \
        "$base/api/v1/products/$product" | tee "/tmp/warden-bench-wrk-$label.txt"
}
rate() { awk '/Requests\/sec/ {print $2}' "/tmp/warden-bench-wrk-$1.txt"; }
non2xx() { awk '/Non-2xx/ {print $5}' "/tmp/warden-bench-wrk-$1.txt"; }

load limiter-memory
start_server RATE_LIMIT=on AUDIT=off
load audit-off
start_server RATE_LIMIT=off
load limiter-off
if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    start_server RATE_LIMIT=on REDIS_URL=redis://127.0.0.1:6379
    load limiter-redis
fi

# Live fan-out: many WebSocket clients (this process) of one server (its own
# file-descriptor limit), events published through PostgreSQL NOTIFY.
cargo build -q --release -p warden-tests --bench ws_fanout
ws_bin=$(ls -t "$CARGO_TARGET_DIR"/release/deps/ws_fanout-* | grep -v '\.d$' | head -n 1)
for workers in 0 4; do
    # Every client is the same user of one tenant: lift the live-connection caps.
    start_server RATE_LIMIT=on HTTP_WORKERS=$workers WS_MAX_PER_USER=1000000 WS_MAX_PER_TENANT=1000000
    echo "== WebSocket fan-out: ${WS_CONNECTIONS:-10000} connections, HTTP_WORKERS=$workers"
    WARDEN_URL="$base" CONNECTIONS="${WS_CONNECTIONS:-10000}" BENCH_NAME="ws-fanout-workers$workers" \
        "$ws_bin" | tee "/tmp/warden-bench-ws-$workers.txt"
done
stop_server
# The floor for the same fan-out: the same clients against a bare server that
# only writes each event to every socket (tests/src/raw_fanout.rs).
echo "== WebSocket fan-out baseline: bare server, ${WS_CONNECTIONS:-10000} connections"
BASELINE=raw CONNECTIONS="${WS_CONNECTIONS:-10000}" BENCH_NAME="ws-fanout-raw" "$ws_bin" \
    | tee /tmp/warden-bench-ws-raw.txt

script=$(mktemp)
cat >"$script" <<SQL
BEGIN;
SELECT set_config('app.tenant_id', '$tenant', true);
SELECT id, seller_id, title, description, price_minor, currency, status, storage_bytes, created_at, updated_at
  FROM products WHERE id = '$product' AND status <> 'deleted';
COMMIT;
SQL
echo "== pgbench: the same transaction as warden_bench_app, $connections clients, ${duration}s"
pgbench -n -h 127.0.0.1 -U warden_bench_app -c "$connections" -j 2 -T "$duration" -f "$script" warden_bench \
    | tee /tmp/warden-bench-pgbench.txt
rm -f "$script"

tps=$(awk '/^tps/ {print $3}' /tmp/warden-bench-pgbench.txt)
echo
echo "GET /api/v1/products/{id} through the stack, rate limiter in process: $(rate limiter-memory) req/s"
echo "GET /api/v1/products/{id} through the stack, activity log off:        $(rate audit-off) req/s"
echo "GET /api/v1/products/{id} through the stack, rate limiter off:        $(rate limiter-off) req/s"
if [ -f /tmp/warden-bench-wrk-limiter-redis.txt ]; then
    echo "GET /api/v1/products/{id} through the stack, rate limiter in Redis:   $(rate limiter-redis) req/s"
fi
echo "pgbench, the same transaction as the runtime role:                   $tps tps"
for workers in 0 4; do echo "HTTP_WORKERS=$workers: $(tail -n 1 "/tmp/warden-bench-ws-$workers.txt")"; done
echo "bare server: $(tail -n 1 /tmp/warden-bench-ws-raw.txt)"
