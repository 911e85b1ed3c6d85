"""Export Warden's offline models and their reference outputs into models/.

Run through scripts/export-models.sh (pinned venv). Usage:
    python export.py --vader-sdist PATH/vaderSentiment-3.3.2.tar.gz
Every output is deterministic: a second run must give byte-identical files.
"""

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import profanity  # noqa: E402
import sentiment  # noqa: E402
import textblob_lex  # noqa: E402
import toxblock  # noqa: E402
from common import MODELS_DIR, REFERENCE_DIR, load_texts, write_json, write_records, write_text  # noqa: E402

# Files listed in models/SHA256SUMS: everything committed except the export code itself.
SUMMED = ("*.onnx", "*.tsv", "*.json", "*.txt", "reference/*.json")


def write_sha256sums() -> None:
    files = sorted({p for pat in SUMMED for p in MODELS_DIR.glob(pat)})
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(MODELS_DIR).as_posix()}\n"
             for p in files]
    write_text(MODELS_DIR / "SHA256SUMS", "".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vader-sdist", type=Path, required=True)
    args = ap.parse_args()
    t0 = time.time()
    texts = load_texts()
    assert len(texts) >= 24 and [t["id"] for t in texts] == list(range(len(texts)))

    write_records(REFERENCE_DIR / "toxblock.json", toxblock.export(texts))
    write_records(REFERENCE_DIR / "profanity.json", profanity.export(texts))
    write_records(REFERENCE_DIR / "textblob.json", textblob_lex.export(texts))

    head = sentiment.train(args.vader_sdist)
    write_json(MODELS_DIR / "sentiment_head.json", head)
    write_records(REFERENCE_DIR / "minilm.json", sentiment.references(head, texts))

    write_sha256sums()
    print(f"export: done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
