//! What moderation knows about one text: model scores, sentiment, language,
//! entities, and the normalised text that rules match against.

use serde::Serialize;
use utoipa::ToSchema;

use crate::models::ModelScores;
use crate::text::{Entity, Language, NormalizedText};

/// The six toxicity categories, each 0..1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Toxicity {
    /// General toxicity.
    pub toxic: f64,
    /// Severe toxicity.
    pub severe_toxic: f64,
    /// Obscenity.
    pub obscene: f64,
    /// Threats.
    pub threat: f64,
    /// Insults.
    pub insult: f64,
    /// Hate against an identity.
    pub identity_hate: f64,
}

impl Toxicity {
    fn from_scores(s: &[f64; 6]) -> Self {
        Self {
            toxic: s[0],
            severe_toxic: s[1],
            obscene: s[2],
            threat: s[3],
            insult: s[4],
            identity_hate: s[5],
        }
    }

    /// The highest category.
    pub fn max(&self) -> f64 {
        [
            self.toxic,
            self.severe_toxic,
            self.obscene,
            self.threat,
            self.insult,
            self.identity_hate,
        ]
        .into_iter()
        .fold(0.0, f64::max)
    }
}

/// Sentiment label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SentimentLabel {
    /// Polarity ≤ −0.3.
    Negative,
    /// In between.
    Neutral,
    /// Polarity ≥ 0.3.
    Positive,
}

/// Sentiment of a text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Sentiment {
    /// −1 (negative) .. 1 (positive), from the MiniLM head: 2·P(positive) − 1.
    pub polarity: f64,
    /// 0 (objective) .. 1 (subjective), from the TextBlob lexicon.
    pub subjectivity: f64,
    /// `negative`, `neutral` or `positive`.
    pub label: SentimentLabel,
}

/// Polarity beyond which a text is labelled positive or negative.
pub const LABEL_THRESHOLD: f64 = 0.3;

impl Sentiment {
    /// Builds the sentiment from the head's P(positive) and the lexicon's subjectivity.
    pub fn new(positive: f64, subjectivity: f64) -> Self {
        let polarity = (2.0 * positive - 1.0).clamp(-1.0, 1.0);
        let label = if polarity >= LABEL_THRESHOLD {
            SentimentLabel::Positive
        } else if polarity <= -LABEL_THRESHOLD {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        };
        Self {
            polarity,
            subjectivity,
            label,
        }
    }
}

/// Everything the analyzers found in one text.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Analysis {
    /// Toxicity categories.
    pub toxicity: Toxicity,
    /// Offensive language, 0..1.
    pub offensive: f64,
    /// Sentiment.
    pub sentiment: Sentiment,
    /// Detected language.
    pub language: Language,
    /// E-mail addresses, phone numbers, URLs, payment cards, off-platform handles.
    pub entities: Vec<Entity>,
    /// The text in the form rules match against.
    #[serde(skip)]
    pub text: NormalizedText,
}

impl Analysis {
    /// Puts together model scores and text findings.
    pub fn new(
        scores: &ModelScores,
        subjectivity: f64,
        language: Language,
        entities: Vec<Entity>,
        text: NormalizedText,
    ) -> Self {
        Self {
            toxicity: Toxicity::from_scores(&scores.toxicity),
            offensive: scores.offensive,
            sentiment: Sentiment::new(scores.positive, subjectivity),
            language,
            entities,
            text,
        }
    }
}
