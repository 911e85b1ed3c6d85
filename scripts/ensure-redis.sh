#!/usr/bin/env bash
# Make sure a Redis server answers PING on 127.0.0.1:6379.
# Idempotent: does nothing when one is already running. Otherwise starts a
# throw-away redis-server (no persistence), installing it from apt if missing.
set -euo pipefail

HOST=127.0.0.1
PORT=6379
WAIT_SECS=30
LOGFILE=/var/tmp/warden-redis.log

log() { echo "ensure-redis: $*"; }
die() { echo "ensure-redis: ERROR: $*" >&2; exit 1; }
ready() { command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null)" = "PONG" ]; }

if ready; then
    log "Redis answers PING on $HOST:$PORT"
    exit 0
fi

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    log "redis-server is not installed; installing it with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null || die "apt-get update failed"
    apt-get install -y -q redis-server redis-tools </dev/null || die "apt-get install redis-server failed"
    # The package may have started its own service.
    if ready; then
        log "Redis answers PING on $HOST:$PORT"
        exit 0
    fi
fi

log "starting redis-server on $HOST:$PORT (log: $LOGFILE)"
redis-server --daemonize yes --bind "$HOST" --port "$PORT" --save "" --appendonly no \
    --logfile "$LOGFILE" || die "redis-server failed to start"

for _ in $(seq 1 "$WAIT_SECS"); do
    if ready; then
        log "Redis answers PING on $HOST:$PORT"
        exit 0
    fi
    sleep 1
done

tail -n 20 "$LOGFILE" >&2 2>/dev/null || true
die "Redis did not answer PING on $HOST:$PORT within ${WAIT_SECS}s"
