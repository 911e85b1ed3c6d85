#!/usr/bin/env bash
# Put the ReDoc standalone bundle at vendor/redoc/redoc.standalone.js (vendor/ is
# gitignored). The server serves it at /redoc/redoc.standalone.js (REDOC_JS_PATH).
# Taken from the npm package `redoc` at a pinned version and checked against the
# committed scripts/redoc.sha256. A no-op when the file is present and matches.
set -euo pipefail

REDOC_VERSION=2.5.4

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUMFILE="$ROOT/scripts/redoc.sha256"
DEST_DIR="$ROOT/vendor/redoc"
DEST="$DEST_DIR/redoc.standalone.js"

log() { echo "fetch-redoc: $*"; }
die() { echo "fetch-redoc: ERROR: $*" >&2; exit 1; }

[ -f "$SUMFILE" ] || die "missing $SUMFILE"
# sha256sum -c must run in the folder holding redoc.standalone.js.
matches() { (cd "$1" && sha256sum --status -c "$SUMFILE") 2>/dev/null; }

if [ -f "$DEST" ]; then
    if matches "$DEST_DIR"; then
        log "$DEST is present (redoc $REDOC_VERSION, checksum OK)"
        exit 0
    fi
    log "WARNING: $DEST does not match $SUMFILE; fetching it again"
fi

command -v npm >/dev/null 2>&1 || die "npm is required (apt-get install -y npm)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

log "downloading redoc@$REDOC_VERSION from the npm registry"
(cd "$tmp" && npm pack --silent "redoc@$REDOC_VERSION" </dev/null >/dev/null) \
    || die "npm pack redoc@$REDOC_VERSION failed"
tarball="$tmp/redoc-$REDOC_VERSION.tgz"
[ -f "$tarball" ] || die "npm pack did not produce $tarball"

tar -xzf "$tarball" -C "$tmp" package/bundles/redoc.standalone.js \
    || die "package/bundles/redoc.standalone.js not found in $tarball"
tar -xzf "$tarball" -C "$tmp" package/bundles/redoc.standalone.js.LICENSE.txt package/LICENSE 2>/dev/null || true

if ! matches "$tmp/package/bundles"; then
    echo "fetch-redoc: ERROR: checksum mismatch for redoc@$REDOC_VERSION bundles/redoc.standalone.js" >&2
    echo "  expected: $(cat "$SUMFILE")" >&2
    echo "  actual:   $(cd "$tmp/package/bundles" && sha256sum redoc.standalone.js)" >&2
    exit 1
fi

mkdir -p "$DEST_DIR"
for f in "$tmp/package/bundles/redoc.standalone.js.LICENSE.txt" "$tmp/package/LICENSE"; do
    [ -f "$f" ] && cp "$f" "$DEST_DIR/"
done
cp "$tmp/package/bundles/redoc.standalone.js" "$DEST.tmp"
mv "$DEST.tmp" "$DEST"
log "wrote $DEST (redoc $REDOC_VERSION, checksum OK)"
