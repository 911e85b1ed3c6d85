#!/usr/bin/env bash
# Build and run the embedding examples (examples/) with fixed inputs and check
# what they answer:
# - screen_texts: a neutral text is allowed, a toxic one rejected (with its
#   reason), contact details flagged; texts also come from standard input.
# - limited_hello: with --limit 3, requests 1–3 get 200 and the 4th 429 with
#   Retry-After; in process, and through Redis when one answers on
#   REDIS_URL (default redis://127.0.0.1:6379).
# Needs the models (scripts/fetch-models.sh) and curl. Exits non-zero on the
# first failed check.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/warden-target}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
BIN="$CARGO_TARGET_DIR/debug"

log() { echo "test-examples: $*"; }
fail() { echo "test-examples: FAIL: $*" >&2; exit 1; }

cd "$ROOT"
cargo build -q -p warden-examples

# --- screen_texts -----------------------------------------------------------
neutral="Lovely teapot, arrived quickly and works great. Thank you!"
toxic="You are a stupid idiot and I hate you"
contact="Call me on +1 (415) 555-0132 or mail bob@example.com"
out="$("$BIN/screen_texts" "$neutral" "$toxic" "$contact")" || fail "screen_texts exited $?"
printf '%s\n' "$out"
# The decision of a text is the first word of the line that quotes it.
decision() { grep -F "\"$1\"" <<<"$out" | awk '{print $1}'; }
[ "$(decision "$neutral")" = allow ] || fail "the neutral text was not allowed"
[ "$(decision "$toxic")" = reject ] || fail "the toxic text was not rejected"
[ "$(decision "$contact")" = flag ] || fail "contact details were not flagged"
grep -q -- "- toxic language: any" <<<"$out" || fail "the rejection gave no reason"
stdin_out="$(printf '%s\n\n' "$toxic" | "$BIN/screen_texts")" || fail "screen_texts on stdin exited $?"
[ "$(grep -c '^reject' <<<"$stdin_out")" = 1 ] || fail "screen_texts did not read its text from stdin: $stdin_out"
status=0
"$BIN/screen_texts" </dev/null >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail "screen_texts without texts exited $status, not 2"
log "screen_texts: allow, reject, flag as expected"

# --- limited_hello ----------------------------------------------------------
server_pid=""
stop_server() { [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true; server_pid=""; }
trap stop_server EXIT

# check_limited [extra options...]: three requests pass, the fourth is refused.
check_limited() {
    local log_file addr codes retry_after
    log_file="$(mktemp)"
    "$BIN/limited_hello" --addr 127.0.0.1:0 --limit 3 "$@" >"$log_file" 2>&1 &
    server_pid=$!
    for _ in $(seq 50); do
        addr="$(sed -n 's/^listening on //p' "$log_file")"
        [ -n "$addr" ] && break
        kill -0 "$server_pid" 2>/dev/null || fail "limited_hello $* died: $(cat "$log_file")"
        sleep 0.1
    done
    [ -n "$addr" ] || fail "limited_hello $* did not start: $(cat "$log_file")"
    codes=""
    for _ in 1 2 3 4; do
        codes="$codes $(curl -s -o /dev/null -w '%{http_code}' "$addr/")"
    done
    [ "$codes" = " 200 200 200 429" ] || fail "limited_hello $*: answers were$codes, not 200 200 200 429"
    retry_after="$(curl -s -o /dev/null -D - "$addr/" | tr -d '\r' | sed -n 's/^retry-after: //Ip')"
    [ "${retry_after:-0}" -ge 1 ] || fail "limited_hello $*: the 429 had no Retry-After"
    stop_server
    rm -f "$log_file"
    log "limited_hello ${*:-(in process)}: 200 200 200 429 (Retry-After: $retry_after)"
}

check_limited
if command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = PONG ]; then
    before="$(redis-cli -u "$REDIS_URL" --scan --pattern 'limited_hello:*' | wc -l)"
    check_limited --redis "$REDIS_URL"
    # The budgets were kept in Redis, not in process after a failed connection.
    after="$(redis-cli -u "$REDIS_URL" --scan --pattern 'limited_hello:*' | wc -l)"
    [ "$after" -gt "$before" ] || fail "limited_hello --redis left no keys in Redis"
else
    log "no Redis at $REDIS_URL: the Redis variant is skipped"
fi
log "all examples passed"
