#!/usr/bin/env bash
# Generate the API clients from api-spec/openapi.json into build/sdk/ (gitignored):
#
#   build/sdk/typescript/   npm package `warden-client`: src/schema.d.ts (types by
#                           openapi-typescript), src/index.ts (createWardenClient,
#                           an openapi-fetch client typed by the schema), compiled
#                           to dist/ by tsc (which also type-checks it)
#   build/sdk/python/       Python project `warden-client`, package `warden_client`
#                           (openapi-python-client); import it with build/sdk/python
#                           on sys.path, or `pip install build/sdk/python`
#
# Generators are pinned and installed locally, never globally:
#   build/sdk/tools/node_modules   openapi-typescript, typescript, openapi-fetch (npm)
#   build/sdk/tools/venv           openapi-python-client, httpx, attrs (PyPI)
# They are reinstalled only when the pins below change. The clients are
# regenerated on every run (a few seconds).
#
# openapi-python-client runs with --fail-on-warning: a schema it cannot handle
# fails the run instead of silently dropping endpoints. The spec is first passed
# through scripts/sdk-prepare-spec.py, which rewrites two serde shapes it cannot
# parse (see that file). Use SPEC=path to generate from another document.
set -euo pipefail

OPENAPI_TYPESCRIPT_VERSION=7.13.0
TYPESCRIPT_VERSION=5.9.3
OPENAPI_FETCH_VERSION=0.17.0
OPENAPI_PYTHON_CLIENT_VERSION=0.29.1
HTTPX_VERSION=0.28.1
ATTRS_VERSION=26.1.0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPEC="${SPEC:-$ROOT/api-spec/openapi.json}"
OUT="$ROOT/build/sdk"
TOOLS="$OUT/tools"
VENV="$TOOLS/venv"

step=""
log() { echo "sdk: $*"; }
die() { echo "sdk: ERROR: $*" >&2; exit 1; }
trap 'rc=$?; [ "$rc" -eq 0 ] || [ -z "$step" ] || echo "sdk: ERROR: failed while: $step (exit $rc)" >&2' EXIT

[ -f "$SPEC" ] || die "no OpenAPI document at $SPEC (run \`just spec\`)"
command -v npm >/dev/null 2>&1 || die "npm is required (apt-get install -y npm)"
command -v node >/dev/null 2>&1 || die "node is required (apt-get install -y nodejs)"
command -v python3 >/dev/null 2>&1 || die "python3 is required"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || die "openapi-python-client $OPENAPI_PYTHON_CLIENT_VERSION needs Python >= 3.10 (python3 is $(python3 -V 2>&1))"
python3 -c 'import venv, ensurepip' 2>/dev/null \
    || die "python3 cannot create virtual environments (apt-get install -y python3-venv)"

mkdir -p "$TOOLS"

# --- Tools ---------------------------------------------------------------------
step="installing the npm tools"
NODE_PINS="openapi-typescript@$OPENAPI_TYPESCRIPT_VERSION typescript@$TYPESCRIPT_VERSION openapi-fetch@$OPENAPI_FETCH_VERSION"
if [ "$(cat "$TOOLS/node.pins" 2>/dev/null)" != "$NODE_PINS" ] \
    || [ ! -x "$TOOLS/node_modules/.bin/openapi-typescript" ] || [ ! -x "$TOOLS/node_modules/.bin/tsc" ]; then
    log "installing $NODE_PINS into $TOOLS"
    rm -f "$TOOLS/node.pins"
    # shellcheck disable=SC2086 # NODE_PINS is a word list
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$TOOLS" $NODE_PINS </dev/null \
        || die "npm install of $NODE_PINS failed (is the npm registry reachable?)"
    echo "$NODE_PINS" >"$TOOLS/node.pins"
fi

step="installing the Python tools"
PY_PINS="openapi-python-client==$OPENAPI_PYTHON_CLIENT_VERSION httpx==$HTTPX_VERSION attrs==$ATTRS_VERSION"
if [ "$(cat "$TOOLS/python.pins" 2>/dev/null)" != "$PY_PINS" ] || [ ! -x "$VENV/bin/openapi-python-client" ]; then
    log "installing $PY_PINS into $VENV"
    rm -rf "$VENV" "$TOOLS/python.pins"
    python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
    # shellcheck disable=SC2086 # PY_PINS is a word list
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $PY_PINS </dev/null \
        || die "pip install of $PY_PINS failed (is PyPI reachable?)"
    echo "$PY_PINS" >"$TOOLS/python.pins"
fi

# --- Python client --------------------------------------------------------------
step="preparing the spec for openapi-python-client"
"$VENV/bin/python" "$ROOT/scripts/sdk-prepare-spec.py" "$SPEC" "$OUT/openapi.python.json"

step="generating the Python client"
cat >"$OUT/openapi-python-client.yaml" <<'YAML'
# Written by scripts/sdk.sh.
project_name_override: warden-client
package_name_override: warden_client
YAML
rm -rf "$OUT/python.new"
# ruff (a dependency of the generator, in the venv) formats the output.
if ! PATH="$VENV/bin:$PATH" "$VENV/bin/openapi-python-client" generate \
    --path "$OUT/openapi.python.json" \
    --config "$OUT/openapi-python-client.yaml" \
    --meta poetry \
    --output-path "$OUT/python.new" \
    --fail-on-warning >"$OUT/python-generate.log" 2>&1; then
    cat "$OUT/python-generate.log" >&2
    die "openapi-python-client could not generate the whole client (above). Fix the spec, or teach scripts/sdk-prepare-spec.py the new shape."
fi
"$VENV/bin/python" -c "import sys; sys.path.insert(0, sys.argv[1]); import warden_client, warden_client.api.tenants.create_tenant" \
    "$OUT/python.new" || die "the generated Python client does not import"
rm -rf "$OUT/python"
mv "$OUT/python.new" "$OUT/python"
log "wrote $OUT/python (package warden_client, openapi-python-client $OPENAPI_PYTHON_CLIENT_VERSION)"

# --- TypeScript client ----------------------------------------------------------
step="generating the TypeScript types"
TS="$OUT/typescript.new"
rm -rf "$TS"
mkdir -p "$TS/src"
"$TOOLS/node_modules/.bin/openapi-typescript" "$SPEC" -o "$TS/src/schema.d.ts" >"$OUT/typescript-generate.log" 2>&1 || {
    cat "$OUT/typescript-generate.log" >&2
    die "openapi-typescript failed (above)"
}
cat >"$TS/src/index.ts" <<'TS'
// Written by scripts/sdk.sh: a typed client for the Warden API (openapi-fetch).
// Types are in schema.d.ts, generated by openapi-typescript from api-spec/openapi.json.
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { paths } from "./schema";

export type { components, operations, paths } from "./schema";

export interface WardenClientOptions extends ClientOptions {
  /** A bearer token (JWT). */
  token?: string;
  /** Sent as X-Tenant-ID on every request. */
  tenantId?: string;
}

/** A client for the routes in the spec, e.g. `client.POST("/api/v1/tenants", { body: { name } })`. */
export function createWardenClient(options: WardenClientOptions = {}): Client<paths> {
  const { token, tenantId, headers, ...rest } = options;
  const extra: Record<string, string> = {};
  if (token) extra["Authorization"] = `Bearer ${token}`;
  if (tenantId) extra["X-Tenant-ID"] = tenantId;
  return createClient<paths>({ ...rest, headers: { ...extra, ...(headers as Record<string, string>) } });
}
TS
cat >"$TS/package.json" <<JSON
{
  "name": "warden-client",
  "version": "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$SPEC")",
  "description": "Typed client for the Warden API (generated by scripts/sdk.sh; do not edit)",
  "type": "module",
  "main": "dist/index.js",
  "types": "dist/index.d.ts",
  "files": ["dist", "src"],
  "dependencies": {
    "openapi-fetch": "$OPENAPI_FETCH_VERSION"
  }
}
JSON

step="compiling the TypeScript client"
# The tools folder holds openapi-fetch; this tsconfig maps the import to it.
cat >"$TOOLS/tsconfig.sdk.json" <<JSON
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "lib": ["ES2022", "DOM"],
    "strict": true,
    "declaration": true,
    "skipLibCheck": true,
    "types": [],
    "rootDir": "../typescript.new/src",
    "outDir": "../typescript.new/dist",
    "baseUrl": ".",
    "paths": { "openapi-fetch": ["./node_modules/openapi-fetch"] }
  },
  "files": ["../typescript.new/src/index.ts", "../typescript.new/src/schema.d.ts"]
}
JSON
# A compile-time check that the types describe the routes the tests use.
cat >"$TOOLS/tsconfig.check.json" <<'JSON'
{
  "extends": "./tsconfig.sdk.json",
  "compilerOptions": { "noEmit": true, "rootDir": ".." },
  "files": ["./sdk-typecheck.ts"]
}
JSON
cat >"$TOOLS/sdk-typecheck.ts" <<'TS'
import { createWardenClient } from "../typescript.new/src/index";
export async function typecheck(): Promise<string | undefined> {
  const c = createWardenClient({ baseUrl: "http://127.0.0.1:8080", token: "t" });
  const { data } = await c.POST("/api/v1/tenants", { body: { name: "Acme" } });
  await c.GET("/api/v1/violations", { params: { header: { "X-Tenant-ID": "00000000-0000-0000-0000-000000000000" } } });
  return data?.id;
}
TS
for config in tsconfig.sdk.json tsconfig.check.json; do
    if ! "$TOOLS/node_modules/.bin/tsc" -p "$TOOLS/$config" >"$OUT/typescript-compile.log" 2>&1; then
        cat "$OUT/typescript-compile.log" >&2
        die "the generated TypeScript client does not compile (tsc -p $TOOLS/$config, above)"
    fi
done
# dist/index.d.ts imports ./schema: ship the declarations beside it.
cp "$TS/src/schema.d.ts" "$TS/dist/schema.d.ts"
rm -rf "$OUT/typescript"
mv "$TS" "$OUT/typescript"
log "wrote $OUT/typescript (openapi-typescript $OPENAPI_TYPESCRIPT_VERSION, openapi-fetch $OPENAPI_FETCH_VERSION)"
step=""
