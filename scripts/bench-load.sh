#!/usr/bin/env bash
# The long load test: a release `warden serve` on the bench database and the
# open-loop generator of tests/benches/load.rs against it (LOAD_RATE req/s for
# LOAD_SECONDS, mixed workload), its resident memory sampled from /proc.
# Writes build/bench/load.json and /tmp/warden-bench-load.txt. Loopback only.
#
#   LOAD_RATE=120 LOAD_SECONDS=180 bash scripts/bench-load.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port="${BENCH_LOAD_PORT:-18182}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/warden-target}"
export DATABASE_URL="postgres://warden_bench_app@127.0.0.1:5432/warden_bench"
export DATABASE_ADMIN_URL="postgres://postgres@127.0.0.1:5432/warden_bench"
export JWT_HS256_SECRET="bench-secret"
export LOAD_RATE="${LOAD_RATE:-120}"
export LOAD_SECONDS="${LOAD_SECONDS:-180}"
export RUST_LOG="${RUST_LOG:-warn}"

bash scripts/ensure-postgres.sh
bash scripts/ensure-redis.sh
bash scripts/fetch-models.sh >/dev/null
cargo build -q --release -p warden-server
cargo build -q --release -p warden-tests --bench load
bin="$CARGO_TARGET_DIR/release/warden"
load_bin=$(ls -t "$CARGO_TARGET_DIR"/release/deps/load-* | grep -v '\.d$' | head -n 1)
# Migrated, not reset: `just bench` resets the database once at its start.
"$bin" migrate >/dev/null

base="http://127.0.0.1:$port"
# As in production: rate limiter on, activity log on, background jobs on (the
# trust recomputations that order changes queue run during the load), the
# behavior engine on, Redis for the limiter and behavior windows. The one load
# generator is one client (loopback): its per-client quota is set out of reach.
env BIND_ADDR="127.0.0.1:$port" RATE_LIMIT=on REDIS_URL=redis://127.0.0.1:6379 \
    PRE_AUTH_PER_MINUTE=1000000000 PRE_AUTH_FAILURES_PER_MINUTE=1000000 \
    "$bin" serve >>/tmp/warden-bench-server.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -fs "$base/health/ready" >/dev/null && break; sleep 0.1; done
curl -fs "$base/health/ready" >/dev/null || { echo "server did not start" >&2; exit 1; }

echo "== load: $LOAD_RATE req/s for $LOAD_SECONDS s, mixed workload, server pid $server"
WARDEN_URL="$base" WARDEN_PID="$server" "$load_bin" | tee /tmp/warden-bench-load.txt
