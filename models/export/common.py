"""Shared helpers: paths, package data lookup, reproducible file writing."""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np

EXPORT_DIR = Path(__file__).resolve().parent
MODELS_DIR = EXPORT_DIR.parent
REFERENCE_DIR = MODELS_DIR / "reference"

# Large inputs fetched (and checksum-verified) by scripts/fetch-models.sh; never committed.
CACHE_DIR = Path(os.environ.get("WARDEN_CACHE_DIR", Path.home() / ".cache" / "warden"))
MINILM_DIR = Path(os.environ.get("WARDEN_MINILM_DIR", CACHE_DIR / "models" / "minilm"))


def package_dir(name: str) -> Path:
    """Directory of an installed package, found without importing it.

    Importing tox_block would pull in TensorFlow; we only need its data files.
    """
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name!r} is not installed in this venv")
    return Path(list(spec.submodule_search_locations)[0])


def f32(x) -> float:
    """A float32 value as the Python float it converts to exactly.

    json writes floats with repr(), the shortest text that reads back to the same
    double; since the double is an exact float32, Rust reading it as f32 or f64 gets
    the value the model produced, bit for bit.
    """
    return float(np.float32(x))


def f32_list(a) -> list:
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_records(path: Path, records: list) -> None:
    """A JSON array with one compact record per line: diffable, yet small."""
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    write_text(path, "[\n" + ",\n".join(lines) + "\n]\n")


def write_json(path: Path, obj) -> None:
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=1) + "\n")


def load_texts() -> list:
    with open(REFERENCE_DIR / "texts.json", encoding="utf-8") as f:
        return json.load(f)


def save_onnx(model, path: Path) -> None:
    """Serialise an ONNX model byte-stably.

    Opset imports are sorted (skl2onnx emits them in varying order) and the
    producer fields pinned, so the same inputs give the same bytes.
    """
    imports = sorted(((o.domain, o.version) for o in model.opset_import))
    del model.opset_import[:]
    for domain, version in imports:
        op = model.opset_import.add()
        op.domain, op.version = domain, version
    model.producer_name = "warden-export"
    model.producer_version = "1"
    path.write_bytes(model.SerializeToString(deterministic=True))
