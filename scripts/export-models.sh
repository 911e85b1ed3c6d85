#!/usr/bin/env bash
# Re-export the committed model files in models/ from their PyPI packages:
#   toxblock.onnx + toxblock_vocab.tsv   tox-block==0.1.2 (Keras BiLSTM, rebuilt as ONNX)
#   profanity.onnx                       alt-profanity-check==1.9.1 (via skl2onnx)
#   sentiment_head.json                  logistic head on MiniLM, trained on VADER ground truth
#   textblob_en_sentiment.tsv            TextBlob 0.20.1 lexicon
#   reference/*.json                     reference outputs on reference/texts.json
#   SHA256SUMS
#
# Steps: fetch the MiniLM encoder (scripts/fetch-models.sh), make or reuse a pinned venv
# in $WARDEN_CACHE_DIR/export-venv, fetch the vaderSentiment sdist (checksum-verified),
# run models/export/export.py, then check the result:
#   - `sha256sum -c SHA256SUMS` in models/;
#   - the new SHA256SUMS must equal the one there before the run (the export is
#     byte-reproducible), unless WARDEN_EXPORT_UPDATE=1 (accept intended changes).
# Takes 2.5-4 minutes on 2 cores (most of it embedding 20k sentences with MiniLM).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${WARDEN_CACHE_DIR:-$HOME/.cache/warden}"
venv="$cache/export-venv"
req="$root/models/export/requirements.txt"
vader_sdist="$cache/wheels/vaderSentiment-3.3.2.tar.gz"
vader_sha=5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9

log() { echo "export-models: $*" >&2; }
die() { echo "export-models: ERROR: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
export PIP_DISABLE_PIP_VERSION_CHECK=1

# MiniLM model.onnx + tokenizer.json (verified by fetch-models.sh, which prints the dir last).
models_dir="$(bash "$root/scripts/fetch-models.sh" | tail -n 1)"
[ -f "$models_dir/minilm/model.onnx" ] || die "fetch-models.sh gave no minilm/model.onnx"

# The venv is reused while requirements.txt is unchanged (stamp = its sha256).
stamp="$(sha "$req")"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.warden-stamp" 2>/dev/null)" != "$stamp" ]; then
    log "creating venv $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$req" </dev/null || die "pip install failed"
    # tox-block declares TensorFlow and pandas; only its data files are read.
    "$venv/bin/pip" install -q --no-deps tox-block==0.1.2 </dev/null || die "pip install tox-block failed"
    echo "$stamp" >"$venv/.warden-stamp"
fi

# vaderSentiment sdist: only the ground-truth tarball inside it is used.
if [ ! -f "$vader_sdist" ] || [ "$(sha "$vader_sdist")" != "$vader_sha" ]; then
    log "downloading vaderSentiment==3.3.2 sdist"
    mkdir -p "$(dirname "$vader_sdist")"
    rm -f "$vader_sdist"
    "$venv/bin/pip" download -q --no-deps --no-binary :all: -d "$(dirname "$vader_sdist")" \
        vaderSentiment==3.3.2 </dev/null || die "pip download vaderSentiment failed"
    [ "$(sha "$vader_sdist")" = "$vader_sha" ] || die "vaderSentiment sdist checksum differs"
fi

before="$(mktemp)"
trap 'rm -f "$before"' EXIT
cp "$root/models/SHA256SUMS" "$before" 2>/dev/null || : >"$before"

# C.UTF-8: skl2onnx's StringNormalizer locale (en_US.UTF-8 is absent on these machines).
# PYTHONHASHSEED: no set iteration order can leak into outputs.
LC_ALL=C.UTF-8 PYTHONHASHSEED=0 WARDEN_MINILM_DIR="$models_dir/minilm" \
    "$venv/bin/python" "$root/models/export/export.py" --vader-sdist "$vader_sdist"

(cd "$root/models" && sha256sum --quiet -c SHA256SUMS) || die "SHA256SUMS check failed"
if [ -s "$before" ] && ! cmp -s "$before" "$root/models/SHA256SUMS"; then
    diff "$before" "$root/models/SHA256SUMS" >&2 || :
    [ "${WARDEN_EXPORT_UPDATE:-0}" = 1 ] || die "export differs from the SHA256SUMS before the run (set WARDEN_EXPORT_UPDATE=1 to accept)"
    log "SHA256SUMS updated (WARDEN_EXPORT_UPDATE=1)"
fi
log "models/ exported and verified"
