#!/usr/bin/env bash
# `just`, on any machine: installs the developer tools when missing
# (scripts/ensure-tools.sh: just, cargo-nextest, cargo-deny, cargo-shear,
# diesel_cli), puts the folders they land in on PATH, then runs
# `just "$@"`. The README's first two commands and .ci/run go through here,
# so a fresh machine needs nothing typed before them.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Where pip and cargo put the tools (appended: what is already on PATH wins).
extra_path="$HOME/.local/bin:$HOME/.cargo/bin"
if command -v python3 >/dev/null 2>&1; then
    extra_path="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$(python3 -c 'import site; print(site.getuserbase())')/bin:$extra_path"
fi
export PATH="$PATH:$extra_path"

bash scripts/ensure-tools.sh >&2
hash -r
exec just "$@"
