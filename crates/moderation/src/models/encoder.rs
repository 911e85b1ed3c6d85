//! Sentiment polarity: the MiniLM sentence encoder (int8 ONNX), mean pooling
//! over real tokens, and a logistic-regression head trained on the VADER
//! ground-truth sentences (`models/sentiment_head.json`).

use std::path::Path;

use ort::session::Session;
use ort::value::Tensor;
use serde::Deserialize;
use tokenizers::Tokenizer;

use crate::ModerationError;

/// The trained head and how its embeddings were made.
#[derive(Debug, Clone, Deserialize)]
pub struct SentimentHead {
    /// The encoder the head was trained on.
    pub model: String,
    /// Whether the pooled embedding is L2-normalised before the head.
    pub normalize: bool,
    /// Longest input in word pieces, special tokens included.
    pub max_tokens: usize,
    /// One weight per embedding dimension.
    pub weights: Vec<f64>,
    /// The intercept.
    pub bias: f64,
}

impl SentimentHead {
    /// Reads the head from its JSON file.
    pub fn load(path: &Path) -> Result<Self, ModerationError> {
        let bytes = std::fs::read(path).map_err(|e| ModerationError::ModelFile {
            path: path.display().to_string(),
            problem: e.to_string(),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| ModerationError::ModelFile {
            path: path.display().to_string(),
            problem: e.to_string(),
        })
    }

    /// P(positive) of a pooled embedding.
    pub fn probability(&self, embedding: &[f32]) -> f64 {
        let norm = if self.normalize {
            let n = embedding
                .iter()
                .map(|&x| f64::from(x) * f64::from(x))
                .sum::<f64>()
                .sqrt();
            n.max(1e-12)
        } else {
            1.0
        };
        let z = self.bias
            + embedding
                .iter()
                .zip(&self.weights)
                .map(|(&x, w)| f64::from(x) / norm * w)
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// The MiniLM encoder with its tokenizer.
pub struct Encoder {
    session: Session,
    tokenizer: Tokenizer,
}

impl Encoder {
    /// Builds the encoder from an ONNX session and `tokenizer.json`, truncating
    /// at `max_tokens` and never padding (each text is encoded alone, see
    /// [`Encoder::embed`]).
    pub fn new(
        session: Session,
        tokenizer_json: &Path,
        max_tokens: usize,
    ) -> Result<Self, ModerationError> {
        let fail = |e: String| ModerationError::ModelFile {
            path: tokenizer_json.display().to_string(),
            problem: e,
        };
        let mut tokenizer =
            Tokenizer::from_file(tokenizer_json).map_err(|e| fail(e.to_string()))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self { session, tokenizer })
    }

    /// Word-piece ids of `text` as the encoder sees them.
    pub fn token_ids(&self, text: &str) -> Result<Vec<i64>, ModerationError> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| ModerationError::Inference(format!("tokenizer: {e}")))?;
        Ok(encoding.get_ids().iter().map(|&id| i64::from(id)).collect())
    }

    /// The mean-pooled embedding of one text.
    ///
    /// One text per run on purpose: the int8 model quantises activations with
    /// one scale per tensor, so padding and batch-mates would shift a text's
    /// scores. Alone, a text always gets the same scores, and short texts are
    /// memory-bound, so batching would gain little.
    pub fn embed(&mut self, text: &str) -> Result<Vec<f32>, ModerationError> {
        let ids = self.token_ids(text)?;
        let n = ids.len();
        let mask = vec![1i64; n];
        let types = vec![0i64; n];
        let outputs = self.session.run(ort::inputs! {
            "input_ids" => Tensor::from_array(([1usize, n], ids))?,
            "attention_mask" => Tensor::from_array(([1usize, n], mask))?,
            "token_type_ids" => Tensor::from_array(([1usize, n], types))?,
        })?;
        let (shape, hidden) = outputs[0].try_extract_tensor::<f32>()?;
        let dim =
            usize::try_from(shape[2]).map_err(|e| ModerationError::Inference(e.to_string()))?;
        let mut pooled = vec![0f32; dim];
        for token in hidden.chunks_exact(dim).take(n) {
            for (p, &h) in pooled.iter_mut().zip(token) {
                *p += h;
            }
        }
        let count = n.max(1) as f32;
        pooled.iter_mut().for_each(|p| *p /= count);
        Ok(pooled)
    }
}
