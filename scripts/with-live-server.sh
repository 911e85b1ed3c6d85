#!/usr/bin/env bash
# Run a command against a live Warden server, then stop the server.
#
#   bash scripts/with-live-server.sh CMD [ARGS...]
#
# For end-to-end tests that drive the real binary over HTTP (generated SDKs,
# browser tests). It:
#   1. makes sure PostgreSQL runs and the models and ReDoc bundle are fetched;
#   2. builds the debug server (`cargo build -p warden-server`, binary `warden`);
#   3. resets the dedicated database `warden_e2e` (runtime role `warden_e2e_app`,
#      created by `warden migrate --reset`; never the dev or `just test` database);
#   4. starts `warden serve` on a free 127.0.0.1 port and waits for /health/live;
#   5. runs CMD with these variables exported:
#        WARDEN_URL         http://127.0.0.1:PORT (no trailing slash; API under /api/v1)
#        WARDEN_BIN         the server binary: "$WARDEN_BIN" token --role ... mints tokens
#        JWT_HS256_SECRET   the secret the server accepts (and `token` signs with)
#        DATABASE_URL, DATABASE_ADMIN_URL   the e2e database
#        WARDEN_SERVER_LOG  the server's log file
#   6. stops the server (also on Ctrl-C or failure) and exits with CMD's code.
#
# The server log is build/e2e/warden-server.log; its tail is printed when CMD
# fails. Runs take a lock (build/e2e/lock): a second run waits for the first,
# since both would reset the same database.
#
# Settings that .env or the shell may hold and that would change what tests see
# (an external JWKS, Redis, SMTP, Twilio...) are blanked: the warden binary
# treats an empty variable as unset, and variables already set win over .env.
# Override: WARDEN_E2E_DB (database name, default warden_e2e), RUST_LOG.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/warden-target}"

log() { echo "with-live-server: $*" >&2; }
die() { echo "with-live-server: ERROR: $*" >&2; exit 1; }

[ "$#" -ge 1 ] || die "usage: scripts/with-live-server.sh CMD [ARGS...]"
command -v curl >/dev/null 2>&1 || die "curl is required (apt-get install -y curl)"
command -v python3 >/dev/null 2>&1 || die "python3 is required (to find a free port)"

E2E_DIR="$ROOT/build/e2e"
mkdir -p "$E2E_DIR"
SERVER_LOG="$E2E_DIR/warden-server.log"

# One run at a time: every run resets the same database.
exec 9>"$E2E_DIR/lock"
if ! flock -n 9; then
    log "another run holds $E2E_DIR/lock; waiting for it"
    flock 9
fi

DB="${WARDEN_E2E_DB:-warden_e2e}"
[[ "$DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "WARDEN_E2E_DB must be a lower-case identifier, got '$DB'"

# --- Environment of the server, of migrate and of CMD -------------------------
export DATABASE_URL="postgres://${DB}_app@127.0.0.1:5432/$DB"
export DATABASE_ADMIN_URL="postgres://postgres@127.0.0.1:5432/$DB"
export DATABASE_POOL_SIZE=8
export JWT_HS256_SECRET="e2e-secret"
export JWT_JWKS_URL="" JWT_ISSUER="" JWT_AUDIENCE=""
export JWT_TENANT_CLAIM="tenant_id" JWT_ROLES_CLAIM="roles"
export REDIS_URL="" SMTP_URL="" PUBLIC_BASE_URL=""
export TWILIO_ACCOUNT_SID="" TWILIO_AUTH_TOKEN="" TWILIO_FROM="" TWILIO_MESSAGING_SERVICE_SID=""
export RATE_LIMIT=on AUDIT=on BEHAVIOR=on BACKGROUND_JOBS=on
# Every client here is 127.0.0.1, and Schemathesis sends many unauthenticated requests.
export PRE_AUTH_PER_MINUTE=1000000 PRE_AUTH_FAILURES_PER_MINUTE=1000000
export HTTP_WORKERS=2 MODERATION_WORKERS=1 SHUTDOWN_TIMEOUT_SECS=2
export LOG_FORMAT=text RUST_LOG="${RUST_LOG:-info}"
export REDOC_JS_PATH="$ROOT/vendor/redoc/redoc.standalone.js"
# The dashboard this checkout built (the default path is compiled into the
# binary, and a shared CARGO_TARGET_DIR may hold a build from another clone).
export DASHBOARD_DIR="$ROOT/dashboard/dist"

# --- Prerequisites and build ----------------------------------------------------
bash "$ROOT/scripts/ensure-postgres.sh" >&2
bash "$ROOT/scripts/fetch-models.sh" >/dev/null
bash "$ROOT/scripts/fetch-redoc.sh" >&2

log "building warden-server (debug)"
(cd "$ROOT" && cargo build -q -p warden-server) || die "cargo build -p warden-server failed"
BIN="$CARGO_TARGET_DIR/debug/warden"
[ -x "$BIN" ] || die "built, but $BIN is missing (was the [[bin]] renamed in crates/server/Cargo.toml?)"
export WARDEN_BIN="$BIN"

log "resetting database $DB"
"$BIN" migrate --reset >"$E2E_DIR/migrate.log" 2>&1 || {
    tail -n 30 "$E2E_DIR/migrate.log" >&2
    die "warden migrate --reset failed (is PostgreSQL up with trust auth for postgres?)"
}

# --- Start the server -----------------------------------------------------------
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
export BIND_ADDR="127.0.0.1:$PORT"
export WARDEN_URL="http://127.0.0.1:$PORT"
export WARDEN_SERVER_LOG="$SERVER_LOG"

SERVER_PID=""
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server did not stop within 5 s; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT
trap 'stop_server; exit 143' TERM

# The server's working directory is the repository (it reads .env there, which
# cannot override the variables set above).
(cd "$ROOT" && exec "$BIN" serve) >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

log "waiting for $WARDEN_URL/health/live (log: $SERVER_LOG)"
deadline=$((SECONDS + 120))
until curl -fsS -o /dev/null "$WARDEN_URL/health/live" 2>/dev/null; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        tail -n 40 "$SERVER_LOG" >&2
        SERVER_PID=""
        die "the server exited before answering /health/live"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        tail -n 40 "$SERVER_LOG" >&2
        die "the server did not answer /health/live within 120 s"
    fi
    sleep 0.2
done
log "server up at $WARDEN_URL (pid $SERVER_PID); running: $*"

# --- Run CMD --------------------------------------------------------------------
status=0
"$@" || status=$?

if [ "$status" -ne 0 ]; then
    log "command failed with exit code $status; last lines of $SERVER_LOG:"
    tail -n 60 "$SERVER_LOG" >&2
fi
stop_server
exit "$status"
