"""tox-block 0.1.2 (Keras BiLSTM, 6 Jigsaw labels) -> toxblock.onnx + toxblock_vocab.tsv.

No TensorFlow: the weights are read from the package's .h5 with h5py, the Keras
Tokenizer from its pickle with a stub unpickler, and the graph is written by hand.
"""

import json
import pickle

import h5py
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from common import MODELS_DIR, f32_list, package_dir, save_onnx

LABELS = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
SEQ_LEN = 100          # config.MAX_SEQUENCE_LENGTH
NUM_WORDS = 20000      # config.MAX_FEATURES: ids >= this are dropped (oov_token is None)
HIDDEN = 50
# Keras Tokenizer defaults used by tox-block (checked against the pickle below).
FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
# tox_block.config.RESCALE_PROBA: make_predictions(rescale=True) maps p -> |p-lo|/(hi-lo).
RESCALE = {"toxic": (0.002116, 0.999858), "severe_toxic": (0.000011, 0.648682),
           "obscene": (0.000347, 0.997533), "threat": (0.000040, 0.918887),
           "insult": (0.000373, 0.986303), "identity_hate": (0.000074, 0.901117)}


class _Stub:
    def __setstate__(self, state):
        self.__dict__.update(state)


class _Unpickler(pickle.Unpickler):
    """Replaces tox_block/keras classes with plain attribute bags."""

    def find_class(self, module, name):
        if module.startswith(("tox_block", "keras")):
            return type(name, (_Stub,), {})
        return super().find_class(module, name)


def load_vocab() -> dict:
    pkl = package_dir("tox_block") / "trained_models" / "encoder_0.1.2.pkl"
    with open(pkl, "rb") as f:
        tok = _Unpickler(f).load().tokenizer
    # The port below relies on these settings; fail loudly if the package differs.
    assert (tok.filters, tok.split, tok.lower, tok.char_level, tok.oov_token, tok.num_words) == \
        (FILTERS, " ", True, False, None, NUM_WORDS)
    return {w: i for w, i in tok.word_index.items() if i < NUM_WORDS}


def encode(text: str, vocab: dict) -> list:
    """keras_preprocessing Tokenizer.texts_to_sequences + pad_sequences(maxlen=100)."""
    text = text.lower().translate(str.maketrans({c: " " for c in FILTERS}))
    ids = [vocab[w] for w in text.split(" ") if w and w in vocab]
    ids = ids[-SEQ_LEN:]                          # truncating="pre": keep the last 100
    return [0] * (SEQ_LEN - len(ids)) + ids       # padding="pre" with 0


def load_weights() -> dict:
    h5 = package_dir("tox_block") / "trained_models" / "lstm_model_0.1.2.h5"
    with h5py.File(h5, "r") as f:
        cfg = json.loads(f.attrs["model_config"])
        lstm = cfg["config"]["layers"][2]["config"]["layer"]["config"]
        # Keras 2.2.4-tf hard_sigmoid is clip(0.2x+0.5, 0, 1) == ONNX HardSigmoid defaults.
        assert f.attrs["keras_version"] == "2.2.4-tf"
        assert (lstm["recurrent_activation"], lstm["activation"]) == ("hard_sigmoid", "tanh")
        g = f["model_weights"]
        w = {k: np.array(g[k], dtype=np.float32) for k in (
            "embedding/embedding/embeddings:0",
            "bidirectional/bidirectional/forward_lstm/kernel:0",
            "bidirectional/bidirectional/forward_lstm/recurrent_kernel:0",
            "bidirectional/bidirectional/forward_lstm/bias:0",
            "bidirectional/bidirectional/backward_lstm/kernel:0",
            "bidirectional/bidirectional/backward_lstm/recurrent_kernel:0",
            "bidirectional/bidirectional/backward_lstm/bias:0",
            "dense/dense/kernel:0", "dense/dense/bias:0",
            "dense_1/dense_1/kernel:0", "dense_1/dense_1/bias:0")}
    return {k.split("/", 1)[1].replace(":0", "").replace("bidirectional/", ""): v
            for k, v in w.items()}


def _keras_to_onnx_gates(m: np.ndarray) -> np.ndarray:
    """Keras packs gates as columns [i|f|c|o]; ONNX LSTM wants rows [i;o;f;c]."""
    i, f, c, o = np.split(m, 4, axis=-1)
    return np.concatenate([i, o, f, c], axis=-1).T


def build_onnx(w: dict) -> onnx.ModelProto:
    W = np.stack([_keras_to_onnx_gates(w[f"{d}_lstm/kernel"]) for d in ("forward", "backward")])
    R = np.stack([_keras_to_onnx_gates(w[f"{d}_lstm/recurrent_kernel"]) for d in ("forward", "backward")])
    # Keras has one bias per gate; ONNX adds Wb + Rb, so Rb = 0.
    B = np.stack([np.concatenate([_keras_to_onnx_gates(w[f"{d}_lstm/bias"][None, :])[:, 0],
                                  np.zeros(4 * HIDDEN, np.float32)])
                  for d in ("forward", "backward")])
    inits = [
        numpy_helper.from_array(w["embedding/embeddings"], "embedding"),
        numpy_helper.from_array(W, "lstm_W"),
        numpy_helper.from_array(R, "lstm_R"),
        numpy_helper.from_array(B, "lstm_B"),
        numpy_helper.from_array(w["dense/kernel"], "dense_W"),
        numpy_helper.from_array(w["dense/bias"], "dense_b"),
        numpy_helper.from_array(w["dense_1/kernel"], "out_W"),
        numpy_helper.from_array(w["dense_1/bias"], "out_b"),
        numpy_helper.from_array(np.array([-1, 2 * HIDDEN], np.int64), "flat_shape"),
    ]
    n = helper.make_node
    nodes = [
        n("Gather", ["embedding", "input_ids"], ["emb"], name="embed"),            # [n,100,50]
        n("Transpose", ["emb"], ["emb_t"], perm=[1, 0, 2], name="to_time_major"),  # [100,n,50]
        # Activations: f=HardSigmoid (alpha/beta left at the 0.2/0.5 defaults on purpose:
        # setting them explicitly gave wrong outputs in onnxruntime), g=h=Tanh.
        n("LSTM", ["emb_t", "lstm_W", "lstm_R", "lstm_B"], ["lstm_Y"], name="bilstm",
          hidden_size=HIDDEN, direction="bidirectional",
          activations=["HardSigmoid", "Tanh", "Tanh"] * 2),                         # [100,2,n,50]
        n("ReduceMax", ["lstm_Y"], ["pooled"], axes=[0], keepdims=0, name="global_max_pool"),
        n("Transpose", ["pooled"], ["pooled_t"], perm=[1, 0, 2], name="batch_major"),  # [n,2,50]
        n("Reshape", ["pooled_t", "flat_shape"], ["features"], name="concat_fw_bw"),  # [n,100]
        n("MatMul", ["features", "dense_W"], ["d1"], name="dense"),
        n("Add", ["d1", "dense_b"], ["d1b"], name="dense_bias"),
        n("Relu", ["d1b"], ["d1r"], name="dense_relu"),
        n("MatMul", ["d1r", "out_W"], ["d2"], name="out"),
        n("Add", ["d2", "out_b"], ["d2b"], name="out_bias"),
        n("Sigmoid", ["d2b"], ["scores"], name="out_sigmoid"),
    ]
    graph = helper.make_graph(
        nodes, "toxblock",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["n", SEQ_LEN])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["n", len(LABELS)])],
        inits)
    graph.doc_string = "tox-block 0.1.2 BiLSTM; scores columns: " + ",".join(LABELS)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def numpy_forward(ids: np.ndarray, w: dict) -> np.ndarray:
    """Keras forward pass written out in float64 (independent of the ONNX graph)."""
    hs = lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)   # Keras 2.2 hard_sigmoid
    x = w["embedding/embeddings"].astype(np.float64)[ids]          # [n,T,50]

    def run(seq, d):
        K, U, b = (w[f"{d}_lstm/{k}"].astype(np.float64) for k in ("kernel", "recurrent_kernel", "bias"))
        n, T, _ = seq.shape
        h = np.zeros((n, HIDDEN)); c = np.zeros((n, HIDDEN)); out = []
        for t in range(T):
            z = seq[:, t] @ K + h @ U + b
            i, f, g, o = np.split(z, 4, axis=1)
            c = hs(f) * c + hs(i) * np.tanh(g)
            h = hs(o) * np.tanh(c)
            out.append(h)
        return np.stack(out, axis=1)

    fw = run(x, "forward")
    bw = run(x[:, ::-1], "backward")[:, ::-1]                    # go_backwards, re-aligned
    feat = np.concatenate([fw, bw], axis=2).max(axis=1)            # GlobalMaxPool1D
    d = np.maximum(feat @ w["dense/kernel"] + w["dense/bias"], 0)  # Dropout is identity at inference
    return 1 / (1 + np.exp(-(d @ w["dense_1/kernel"] + w["dense_1/bias"])))


def export(texts: list) -> list:
    vocab = load_vocab()
    # One "word<TAB>id" line per id 1..19999; words may contain U+00A0 etc. but never tab/newline.
    assert not any(("\t" in k or "\n" in k or "\r" in k) for k in vocab)
    lines = [f"{wd}\t{i}\n" for wd, i in sorted(vocab.items(), key=lambda kv: kv[1])]
    (MODELS_DIR / "toxblock_vocab.tsv").write_text("".join(lines), encoding="utf-8")

    w = load_weights()
    path = MODELS_DIR / "toxblock.onnx"
    save_onnx(build_onnx(w), path)

    ids = np.array([encode(t["text"], vocab) for t in texts], dtype=np.int64)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(["scores"], {"input_ids": ids})[0]
    want = numpy_forward(ids, w)
    diff = float(np.abs(got - want).max())
    assert diff < 1e-5, f"toxblock ONNX vs numpy max abs diff {diff}"
    # Batch of one must give the same as the batch (the Rust side may run either way).
    one = sess.run(["scores"], {"input_ids": ids[:1]})[0]
    assert np.abs(one - got[:1]).max() < 1e-6
    print(f"toxblock: ONNX vs numpy max abs diff {diff:.2e}")

    recs = []
    for t, row_ids, row in zip(texts, ids, got):
        recs.append({
            "id": t["id"], "input_ids": [int(v) for v in row_ids],
            "scores": dict(zip(LABELS, f32_list(row))),
            # tox-block's own make_predictions(rescale=True) output, for information.
            "rescaled": {k: float(abs((float(v) - RESCALE[k][0]) / (RESCALE[k][1] - RESCALE[k][0])))
                         for k, v in zip(LABELS, f32_list(row))},
        })
    return recs
