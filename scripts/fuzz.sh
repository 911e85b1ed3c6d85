#!/usr/bin/env bash
# cargo-fuzz (pinned) over the targets in fuzz/: each runs for FUZZ_SECONDS
# (default 60) with its corpus in fuzz/corpus/<target> (the seed-* files are
# committed, what the fuzzer adds is not) and its dictionary from fuzz/dicts.
# Arguments name targets to run (default: all). Exits non-zero if any target
# crashes, hangs or runs out of memory, printing the saved input under
# fuzz/artifacts/<target>/; replay one with
#   cargo +nightly fuzz run <target> <artifact>
# Builds go to FUZZ_TARGET_DIR (default /var/tmp/warden-fuzz-target), never the
# main target directory: sanitizer and nightly builds would evict its cache.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_FUZZ_VERSION="0.13.1"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/warden-fuzz-target}"
cd "$ROOT"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

# libFuzzer needs nightly for AddressSanitizer. Without a nightly toolchain,
# stable is told to accept the few unstable flags cargo-fuzz passes, and runs
# without a sanitizer: panics, overflows, hangs and memory blow-ups are still
# caught, out-of-bounds reads in unsafe dependencies are not.
if cargo +nightly --version >/dev/null 2>&1; then
    cargo=(cargo +nightly)
    sanitizer=(--sanitizer address)
else
    echo "fuzz: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1 and no sanitizer" >&2
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo)
    sanitizer=(--sanitizer none)
fi

all_targets=(behavior_pattern behavior_eval behavior_windows text_normalise text_patterns template_render)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

dict_for() {
    case "$1" in
        behavior_pattern) echo fuzz/dicts/behavior_pattern.dict ;;
        text_normalise | text_patterns) echo fuzz/dicts/text.dict ;;
        template_render) echo fuzz/dicts/template_render.dict ;;
        *) echo "" ;;
    esac
}

"${cargo[@]}" fuzz build "${sanitizer[@]}"

logs="$ROOT/fuzz/logs"
mkdir -p "$logs"
failed=()
summary=()
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    args=(-max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048
        -max_len=8192 -print_final_stats=1)
    dict="$(dict_for "$target")"
    if [ -n "$dict" ]; then args+=(-dict="$dict"); fi
    echo "fuzz: $target for ${SECONDS_PER_TARGET}s"
    log="$logs/$target.log"
    status=0
    "${cargo[@]}" fuzz run "${sanitizer[@]}" "$target" "fuzz/corpus/$target" -- "${args[@]}" \
        >"$log" 2>&1 || status=$?
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
    cov="$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)"
    summary+=("$target: ${execs:-?} execs in ${SECONDS_PER_TARGET}s, ${cov:-no coverage line}")
    if [ "$status" -ne 0 ]; then
        artifact="$(grep -o 'Test unit written to [^ ]*' "$log" | tail -n 1 | sed 's/Test unit written to //' || true)"
        failed+=("$target: exit $status, input ${artifact:-not saved} (log $log)")
        grep -E -m 20 'panicked|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY' "$log" >&2 || tail -n 20 "$log" >&2
    fi
done

printf 'fuzz: %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    printf 'fuzz: FAILED %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "fuzz: no crashes"
