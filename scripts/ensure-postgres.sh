#!/usr/bin/env bash
# Make sure a PostgreSQL server accepts connections on 127.0.0.1:5432.
# Idempotent: does nothing when one is already running. Otherwise starts the
# installed Debian cluster, or installs PostgreSQL from apt first (needs root).
set -euo pipefail

HOST=127.0.0.1
PORT=5432
WAIT_SECS=30

log() { echo "ensure-postgres: $*"; }
die() { echo "ensure-postgres: ERROR: $*" >&2; exit 1; }
ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$HOST" -p "$PORT" >/dev/null 2>&1; }

if ready; then
    log "PostgreSQL is accepting connections on $HOST:$PORT"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
fresh_install=0
if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    log "PostgreSQL is not installed; installing it with apt-get"
    apt-get update -q </dev/null || die "apt-get update failed"
    apt-get install -y -q postgresql </dev/null || die "apt-get install postgresql failed"
    fresh_install=1
fi

ver="$(ls /etc/postgresql | head -1)"
[ -n "$ver" ] || die "no PostgreSQL version found under /etc/postgresql"
if [ ! -d "/etc/postgresql/$ver/main" ]; then
    log "creating cluster $ver/main"
    pg_createcluster "$ver" main || die "pg_createcluster $ver main failed"
fi

if [ "$fresh_install" = 1 ]; then
    # Development/CI machine only: let local TCP clients connect without a
    # password (the default URLs carry none), as on the prepared machines.
    hba="/etc/postgresql/$ver/main/pg_hba.conf"
    if ! grep -q '^# warden: loopback trust' "$hba"; then
        log "allowing password-less connections from loopback in $hba"
        { printf '# warden: loopback trust (dev/CI only)\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'; cat "$hba"; } >"$hba.new"
        chown --reference="$hba" "$hba.new" && chmod --reference="$hba" "$hba.new"
        mv "$hba.new" "$hba"
    fi
fi

if ! ready; then
    log "starting cluster $ver/main"
    # Fails with "already running" when the server is up but not yet ready: the wait below decides.
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || log "pg_ctlcluster start returned $? (waiting anyway)"
fi

for _ in $(seq 1 "$WAIT_SECS"); do
    if ready; then
        log "PostgreSQL $ver is accepting connections on $HOST:$PORT"
        exit 0
    fi
    sleep 1
done

tail -n 20 "/var/log/postgresql/postgresql-$ver-main.log" >&2 2>/dev/null || true
die "PostgreSQL did not accept connections on $HOST:$PORT within ${WAIT_SECS}s"
