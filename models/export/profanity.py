"""alt-profanity-check 1.9.1 (TF-IDF + calibrated LinearSVC) -> profanity.onnx.

Graph: input `text` string [n,1]; outputs `offensive` float [n] = P(offensive), the value
profanity_check.predict_prob returns, and `probabilities` float [n,2] (columns: clean,
offensive; kept for callers written against skl2onnx's usual output). The label output is
dropped.
"""

import copy

import joblib
import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import StringTensorType

from common import MODELS_DIR, f32, package_dir, save_onnx

# sklearn's token_pattern is (?u)\b\w\w+\b. skl2onnx would replace it by [a-zA-Z0-9_]+,
# which splits words at non-ASCII letters ("enttäuscht" -> "entt", "uscht"). Letters,
# digits and "_" match Python's \w; one-letter tokens are never in the vocabulary, so
# dropping the "two or more" rule changes nothing.
TOKEN_PATTERN = r"[\p{L}\p{N}_]+"


def load_sklearn():
    d = package_dir("profanity_check") / "data"
    return joblib.load(d / "vectorizer.joblib"), joblib.load(d / "model.joblib")


def _without_stop_words(vec: TfidfVectorizer) -> TfidfVectorizer:
    """Stop words are never in the vocabulary, so the TF-IDF vector does not depend on
    them. skl2onnx would put them in a StringNormalizer, which compares *whole input
    strings*: a text that is exactly "the" would be removed from the batch and shift every
    later row. Converting a copy without them avoids that."""
    vec = copy.deepcopy(vec)
    assert not (set(vec.vocabulary_) & set(vec.get_stop_words() or ()))
    vec.stop_words = None
    if hasattr(vec, "stop_words_"):
        del vec.stop_words_
    return vec


def _keep_only_offensive(model: onnx.ModelProto, prob_name: str) -> onnx.ModelProto:
    """Outputs: offensive = probabilities[:, 1], and probabilities itself (label dropped)."""
    g = model.graph
    g.initializer.append(numpy_helper.from_array(np.array(1, np.int64), "offensive_col"))
    g.node.append(helper.make_node("Gather", [prob_name, "offensive_col"], ["offensive"],
                                   axis=1, name="offensive_column"))
    prob = [o for o in g.output if o.name == prob_name][0]
    prob_info = helper.make_tensor_value_info(prob_name, onnx.TensorProto.FLOAT, ["n", 2])
    del g.output[:]
    g.output.append(helper.make_tensor_value_info("offensive", onnx.TensorProto.FLOAT, ["n"]))
    g.output.append(prob_info)
    # Drop nodes that no longer feed an output (the label ArgMax etc.).
    needed, keep = {"offensive", prob.name}, []
    for node in reversed(list(g.node)):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(node.input)
    del g.node[:]
    g.node.extend(reversed(keep))
    used = {i for node in g.node for i in node.input}
    inits = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(inits)
    onnx.checker.check_model(model)
    return model


def export(texts: list) -> list:
    vec, clf = load_sklearn()
    assert isinstance(clf, CalibratedClassifierCV) and list(clf.classes_) == [0, 1]
    pipe = Pipeline([("tfidf", _without_stop_words(vec)), ("clf", clf)])
    onx = convert_sklearn(
        pipe, "profanity", [("text", StringTensorType([None, 1]))],
        target_opset={"": 17, "ai.onnx.ml": 3},
        # C.UTF-8 exists on every glibc system; en_US.UTF-8 (the default) is absent here.
        options={TfidfVectorizer: {"tokenexp": TOKEN_PATTERN, "locale": "C.UTF-8"},
                 CalibratedClassifierCV: {"zipmap": False}})
    probs = [o.name for o in onx.graph.output if o.name == "probabilities"]
    assert probs, [o.name for o in onx.graph.output]
    onx = _keep_only_offensive(onx, probs[0])
    path = MODELS_DIR / "profanity.onnx"
    save_onnx(onx, path)

    strs = [t["text"] for t in texts]
    want = clf.predict_proba(vec.transform(strs))[:, 1]    # == profanity_check.predict_prob
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(["offensive"], {"text": np.array(strs, dtype=object).reshape(-1, 1)})[0]
    assert got.shape == (len(strs),), got.shape
    both = sess.run(["probabilities"], {"text": np.array(strs, dtype=object).reshape(-1, 1)})[0]
    assert both.shape == (len(strs), 2) and np.array_equal(both[:, 1], got)
    diff = float(np.abs(got - want).max())
    assert diff < 1e-5, f"profanity ONNX vs sklearn max abs diff {diff}"
    for i, s in enumerate(strs):   # one text at a time must agree with the batch
        one = sess.run(["offensive"], {"text": np.array([[s]], dtype=object)})[0]
        assert abs(float(one[0]) - float(got[i])) < 1e-6, (s, one, got[i])
    print(f"profanity: ONNX vs sklearn max abs diff {diff:.2e}")
    return [{"id": t["id"], "offensive": f32(g), "sklearn": float(p)}
            for t, g, p in zip(texts, got, want)]
