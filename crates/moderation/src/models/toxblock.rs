//! Toxicity: the tox-block BiLSTM (Jigsaw toxic comments), exported to ONNX,
//! with its text preprocessing ported from the Python package: the Keras
//! tokenizer fitted on the training data (`texts_to_sequences`), then
//! `pad_sequences`, and the per-label min–max rescaling that
//! `tox_block.prediction.make_predictions` applies. (The package's stop-word
//! and link remover is not on its prediction path; see `models/README.md`.)

use std::collections::HashMap;
use std::path::Path;

use ort::session::Session;
use ort::value::Tensor;

use crate::ModerationError;

/// Tokens the model reads: the last 100 known words, zero-padded in front.
pub const SEQUENCE_LENGTH: usize = 100;
/// The Keras tokenizer kept the 20,000 most frequent words (ids 1..19999).
const MAX_FEATURES: i64 = 20_000;
/// The six Jigsaw labels, in the model's output order.
pub const LABELS: [&str; 6] = [
    "toxic",
    "severe_toxic",
    "obscene",
    "threat",
    "insult",
    "identity_hate",
];
/// (min, max) of each label's raw score on tox-block's validation data; the
/// package rescales raw scores with them so that the labels share one scale.
const RESCALE: [(f64, f64); 6] = [
    (0.002116, 0.999858),
    (0.000011, 0.648682),
    (0.000347, 0.997533),
    (0.000040, 0.918887),
    (0.000373, 0.986303),
    (0.000074, 0.901117),
];

/// Keras' default tokenizer filters: each becomes a separator.
const KERAS_FILTERS: &str = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

/// The word index of the fitted Keras tokenizer.
pub struct Vocabulary {
    index: HashMap<String, i64>,
}

impl Vocabulary {
    /// Reads `toxblock_vocab.tsv`: one `word<TAB>id` per line.
    pub fn load(path: &Path) -> Result<Self, ModerationError> {
        let fail = |problem: String| ModerationError::ModelFile {
            path: path.display().to_string(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        let mut index = HashMap::new();
        // Split on LF only and at the last TAB, without trimming: some words
        // are or contain U+00A0 or CR.
        for (n, line) in text.split('\n').filter(|l| !l.is_empty()).enumerate() {
            let (word, id) = line
                .rsplit_once('\t')
                .ok_or_else(|| fail(format!("line {}: no tab", n + 1)))?;
            let id: i64 = id
                .parse()
                .map_err(|_| fail(format!("line {}: bad id", n + 1)))?;
            index.insert(word.to_owned(), id);
        }
        Ok(Self { index })
    }

    /// The 100 token ids tox-block feeds its model for `text`.
    pub fn encode(&self, text: &str) -> Vec<i64> {
        let lower = text.to_lowercase();
        let ids: Vec<i64> = keras_words(&lower)
            .filter_map(|w| self.index.get(w).copied())
            .filter(|&id| id < MAX_FEATURES)
            .collect();
        // pad_sequences defaults: pad and truncate at the front.
        let keep = &ids[ids.len().saturating_sub(SEQUENCE_LENGTH)..];
        let mut out = vec![0i64; SEQUENCE_LENGTH - keep.len()];
        out.extend_from_slice(keep);
        out
    }
}

/// Keras `text_to_word_sequence`: lowercase, filters to spaces, split on spaces.
fn keras_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c == ' ' || KERAS_FILTERS.contains(c))
        .filter(|w| !w.is_empty())
}

/// The BiLSTM session.
pub struct ToxBlock {
    session: Session,
}

impl ToxBlock {
    /// Wraps a session of `toxblock.onnx`.
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// Raw sigmoid outputs, six per row of `ids` (each row 100 ids).
    pub fn raw_scores(&mut self, ids: Vec<i64>) -> Result<Vec<[f32; 6]>, ModerationError> {
        let rows = ids.len() / SEQUENCE_LENGTH;
        let outputs = self.session.run(ort::inputs! {
            "input_ids" => Tensor::from_array(([rows, SEQUENCE_LENGTH], ids))?,
        })?;
        let (_, scores) = outputs[0].try_extract_tensor::<f32>()?;
        Ok(scores
            .chunks_exact(6)
            .map(|c| [c[0], c[1], c[2], c[3], c[4], c[5]])
            .collect())
    }
}

/// tox-block's rescaling of one raw score, clamped into 0..1.
pub fn rescale(label: usize, raw: f32) -> f64 {
    let (min, max) = RESCALE[label];
    ((f64::from(raw) - min) / (max - min)).abs().min(1.0)
}
