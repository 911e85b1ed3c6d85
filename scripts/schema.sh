#!/usr/bin/env bash
# Regenerates every crate's src/schema.rs with `diesel print-schema`
# (crates/*/diesel.toml) from the migrated database at DATABASE_ADMIN_URL,
# and the schema.patch files those diesel.toml files apply. `just schema`
# migrates the test database and runs this.
#
# The patches make one change, by one rule: PostgreSQL cannot declare array
# elements NOT NULL, so print-schema writes a `text[]` column as
# `Array<Nullable<Text>>`, read as `Vec<Option<String>>`. Warden never stores
# a NULL element (every array is written from a `Vec<String>`, and the columns
# are NOT NULL DEFAULT '{}'), so the patch makes them `Array<Text>`.
# diesel.toml has no option for this, and importing an `Array` alias that
# strips the `Nullable` does not compile (rustc does not normalise it in the
# where-clauses `table!` writes), hence patch_file. The patches are derived
# here, never written by hand; `diesel print-schema` applies them, and the
# schema_drift test checks its output against the committed files.
set -euo pipefail

url="${DATABASE_ADMIN_URL:?set DATABASE_ADMIN_URL to the migrated database}"
command -v diesel >/dev/null 2>&1 || { echo "schema: diesel_cli is missing (bash scripts/ensure-tools.sh)" >&2; exit 1; }
cd "$(dirname "$0")/.."

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for config in crates/*/diesel.toml; do
    crate="$(dirname "$config")"
    work="$tmp/$(basename "$crate")"
    mkdir -p "$work"
    # What print-schema writes without the patch.
    grep -v '^patch_file' "$config" > "$work/diesel.toml"
    diesel print-schema --database-url "$url" --config-file "$work/diesel.toml" > "$work/raw.rs"
    sed -E 's/Array<Nullable<([A-Za-z0-9_]+)>>/Array<\1>/g' "$work/raw.rs" > "$work/schema.rs"
    if grep -q '^patch_file = "schema.patch"$' "$config"; then
        status=0
        diff -U3 --label a/src/schema.rs --label b/src/schema.rs "$work/raw.rs" "$work/schema.rs" \
            > "$crate/schema.patch" || status=$?
        if [ "$status" -eq 0 ]; then
            echo "schema: $crate has no array columns: drop patch_file from $config" >&2
            rm -f "$crate/schema.patch"
            exit 1
        fi
        [ "$status" -eq 1 ] || exit "$status"
    elif ! cmp -s "$work/raw.rs" "$work/schema.rs"; then
        echo "schema: $crate has array columns: add patch_file = \"schema.patch\" to $config" >&2
        exit 1
    fi
    # What the committed config gives, patch applied: the file the test checks.
    diesel print-schema --database-url "$url" --config-file "$config" > "$work/final.rs"
    if ! cmp -s "$work/final.rs" "$work/schema.rs"; then
        echo "schema: print-schema with $crate/schema.patch differs from the rule's output" >&2
        diff -u "$work/schema.rs" "$work/final.rs" >&2 || true
        exit 1
    fi
    mv "$work/final.rs" "$crate/src/schema.rs"
    echo "wrote $crate/src/schema.rs"
done
