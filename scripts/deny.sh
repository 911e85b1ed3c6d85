#!/usr/bin/env bash
# cargo-deny against deny.toml: licences, bans (duplicates are warnings) and
# sources always; security advisories when the RustSec advisory database can
# be had.
#
# That database is a git repository cargo-deny clones into
# $CARGO_HOME/advisory-dbs; no package registry ships it, so a machine that
# reaches only the registries (Warden's machines and CI) cannot fetch it. Then:
#   - a copy already there is used, offline, if deny.toml's
#     maximum-db-staleness accepts its age (older fails the check);
#   - with none, the advisories check is skipped with a warning, or fails when
#     DENY_ADVISORIES=required.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "deny: $*"; }

cargo deny --locked check licenses bans sources

db_root="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
# Bounded: where the network is filtered rather than absent, a clone may hang.
if timeout 120 cargo deny --locked fetch db >/dev/null 2>&1; then
    cargo deny --locked --offline check advisories
elif compgen -G "$db_root/advisory-db-*/.git" >/dev/null; then
    log "could not update the advisory database; checking against the copy in $db_root"
    cargo deny --locked --offline check advisories
elif [ "${DENY_ADVISORIES:-}" = required ]; then
    log "ERROR: no advisory database (it could not be fetched, and $db_root has none)" >&2
    exit 1
else
    log "WARNING: advisories NOT checked: the advisory database could not be fetched and $db_root has none"
fi
