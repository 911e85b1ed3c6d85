//! What a filter rule is: its body as the API takes it, checked into a form
//! that cannot be wrong, and the same as stored.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ModerationError;
use crate::content::ContentType;
use crate::text::{EntityKind, PatternSet};

/// What a matching rule asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// Let the content through, overriding lower-priority rules.
    Allow,
    /// Save and mark for staff.
    Flag,
    /// Save, hidden from buyers until a reviewer approves.
    RequireReview,
    /// Refuse the write.
    Reject,
    /// A tenant-defined action: recorded with the decision, delivered by
    /// webhook later; it does not change the outcome.
    Custom(String),
}

impl Action {
    /// Parses an action name; any other lower-case identifier is a custom action.
    pub fn parse(name: &str) -> Result<Self, ModerationError> {
        Ok(match name {
            "allow" => Self::Allow,
            "flag" => Self::Flag,
            "require_review" => Self::RequireReview,
            "reject" => Self::Reject,
            custom => {
                let valid = custom.len() <= 63
                    && custom.starts_with(|c: char| c.is_ascii_lowercase())
                    && custom
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !valid {
                    return Err(ModerationError::invalid(format!(
                        "action {custom:?} is neither allow, flag, require_review, reject nor a custom action name (a-z, 0-9, _; at most 63, starting with a letter)"
                    )));
                }
                Self::Custom(custom.to_owned())
            }
        })
    }

    /// The stored name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Allow => "allow",
            Self::Flag => "flag",
            Self::RequireReview => "require_review",
            Self::Reject => "reject",
            Self::Custom(name) => name,
        }
    }

    /// How strongly the action restricts content; custom actions rank with allow.
    pub fn severity(&self) -> u8 {
        match self {
            Self::Allow | Self::Custom(_) => 0,
            Self::Flag => 1,
            Self::RequireReview => 2,
            Self::Reject => 3,
        }
    }
}

/// The kinds of rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Keywords (evasion-proof) and regular expressions.
    Pattern,
    /// Sentiment polarity beyond a threshold.
    Sentiment,
    /// A toxicity category at or above a threshold.
    Toxicity,
    /// A language outside the allowed ones.
    Language,
    /// Entities of given kinds present (PII, off-platform contact or payment).
    Entities,
}

impl RuleKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pattern => "pattern",
            Self::Sentiment => "sentiment",
            Self::Toxicity => "toxicity",
            Self::Language => "language",
            Self::Entities => "entities",
        }
    }
}

/// `pattern` rule: any keyword or regular expression matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatternCondition {
    /// Whole words or phrases, matched after normalisation, so `s.c.a.m` and `5c4m` match `scam`.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Regular expressions (RE2-like syntax, linear time), case-insensitive.
    #[serde(default)]
    pub regex: Vec<String>,
}

/// `sentiment` rule: polarity at or below `max_polarity` and/or at or above `min_polarity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SentimentCondition {
    /// Matches when polarity ≤ this (−1..1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_polarity: Option<f64>,
    /// Matches when polarity ≥ this (−1..1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_polarity: Option<f64>,
}

/// The categories a toxicity rule can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToxicityCategory {
    /// General toxicity.
    Toxic,
    /// Severe toxicity.
    SevereToxic,
    /// Obscenity.
    Obscene,
    /// Threats.
    Threat,
    /// Insults.
    Insult,
    /// Hate against an identity.
    IdentityHate,
    /// The offensive-language model.
    Offensive,
    /// The highest of the six toxicity categories.
    Any,
}

impl ToxicityCategory {
    /// The name in scores and explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Toxic => "toxic",
            Self::SevereToxic => "severe_toxic",
            Self::Obscene => "obscene",
            Self::Threat => "threat",
            Self::Insult => "insult",
            Self::IdentityHate => "identity_hate",
            Self::Offensive => "offensive",
            Self::Any => "any",
        }
    }
}

/// `toxicity` rule: the category's score at or above the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToxicityCondition {
    /// Which score.
    pub category: ToxicityCategory,
    /// 0..1.
    pub threshold: f64,
}

/// `language` rule: the detected language is not one of `allowed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageCondition {
    /// ISO 639-1 codes (639-3 where no two-letter code exists).
    pub allowed: Vec<String>,
    /// Detections below this confidence never match (default 0.5), so short
    /// or mixed texts are not refused on a guess.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_confidence: Option<f64>,
}

/// `entities` rule: any entity of the listed kinds is present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntitiesCondition {
    /// `email`, `phone`, `url`, `payment_card`, `contact_handle`, `payment_handle`.
    #[schema(value_type = Vec<String>)]
    pub kinds: Vec<EntityKind>,
}

/// A rule as the API takes it (create and replace).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// A name for people, 1–200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    /// Which condition object the rule carries.
    pub kind: RuleKind,
    /// The condition when `kind` is `pattern`.
    #[serde(default)]
    pub pattern: Option<PatternCondition>,
    /// The condition when `kind` is `sentiment`.
    #[serde(default)]
    pub sentiment: Option<SentimentCondition>,
    /// The condition when `kind` is `toxicity`.
    #[serde(default)]
    pub toxicity: Option<ToxicityCondition>,
    /// The condition when `kind` is `language`.
    #[serde(default)]
    pub language: Option<LanguageCondition>,
    /// The condition when `kind` is `entities`.
    #[serde(default)]
    pub entities: Option<EntitiesCondition>,
    /// Content the rule applies to: `product`, `review`, `message`, `seller_profile`.
    #[schema(min_items = 1)]
    pub content_types: Vec<ContentType>,
    /// `allow`, `flag`, `require_review`, `reject`, or a custom action name.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,62}$")]
    pub action: String,
    /// Higher runs first; the highest-priority matching rule decides (default 0).
    #[serde(default)]
    #[schema(minimum = -1000000, maximum = 1000000)]
    pub priority: i32,
    /// Disabled rules are kept but never match (default true).
    #[serde(default = "enabled_default")]
    pub enabled: bool,
}

fn enabled_default() -> bool {
    true
}

/// The condition of a rule, one variant per kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = RuleCondition)]
#[serde(untagged)]
pub enum Condition {
    /// Keywords and regular expressions.
    Pattern(PatternCondition),
    /// Sentiment thresholds.
    Sentiment(SentimentCondition),
    /// A toxicity threshold.
    Toxicity(ToxicityCondition),
    /// Allowed languages.
    Language(LanguageCondition),
    /// Entity kinds.
    Entities(EntitiesCondition),
}

/// A checked rule body, ready to store and compile.
#[derive(Debug, Clone)]
pub struct ValidRule {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: RuleKind,
    /// Condition of that kind.
    pub condition: Condition,
    /// Content types, deduplicated and sorted.
    pub content_types: Vec<ContentType>,
    /// Action.
    pub action: Action,
    /// Priority.
    pub priority: i32,
    /// Enabled.
    pub enabled: bool,
}

impl RuleBody {
    /// Checks everything a rule can get wrong, including compiling its
    /// patterns, so a stored rule always compiles.
    pub fn validate(self) -> Result<ValidRule, ModerationError> {
        let invalid = |m: String| Err(ModerationError::invalid(m));
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return invalid("name must be 1–200 characters".into());
        }
        crate::input::check_controls("name", &name).map_err(ModerationError::invalid)?;
        if !(-1_000_000..=1_000_000).contains(&self.priority) {
            return invalid("priority must be between -1000000 and 1000000".into());
        }
        let mut content_types = self.content_types;
        content_types.sort_by_key(|c| c.as_str());
        content_types.dedup();
        if content_types.is_empty() {
            return invalid("content_types must name at least one content type".into());
        }
        let action = Action::parse(&self.action)?;
        let given = [
            ("pattern", self.pattern.is_some()),
            ("sentiment", self.sentiment.is_some()),
            ("toxicity", self.toxicity.is_some()),
            ("language", self.language.is_some()),
            ("entities", self.entities.is_some()),
        ];
        if let Some((other, _)) = given
            .iter()
            .find(|(k, present)| *present && *k != self.kind.as_str())
        {
            return invalid(format!(
                "a {} rule carries only a \"{}\" object, not \"{other}\"",
                self.kind.as_str(),
                self.kind.as_str()
            ));
        }
        let missing = || {
            ModerationError::invalid(format!(
                "a {0} rule needs a \"{0}\" object",
                self.kind.as_str()
            ))
        };
        let condition = match self.kind {
            RuleKind::Pattern => {
                let p = self.pattern.ok_or_else(missing)?;
                if p.keywords.is_empty() && p.regex.is_empty() {
                    return invalid("a pattern rule needs at least one keyword or regex".into());
                }
                for (i, k) in p.keywords.iter().enumerate() {
                    crate::input::check_controls(&format!("pattern.keywords[{i}]"), k)
                        .map_err(ModerationError::invalid)?;
                }
                for (i, r) in p.regex.iter().enumerate() {
                    crate::input::check_controls(&format!("pattern.regex[{i}]"), r)
                        .map_err(ModerationError::invalid)?;
                }
                PatternSet::compile(&p.keywords, &p.regex)
                    .map_err(|e| ModerationError::invalid(e.to_string()))?;
                Condition::Pattern(p)
            }
            RuleKind::Sentiment => {
                let s = self.sentiment.ok_or_else(missing)?;
                let in_range = |v: Option<f64>| v.is_none_or(|v| (-1.0..=1.0).contains(&v));
                if s.max_polarity.is_none() && s.min_polarity.is_none() {
                    return invalid("a sentiment rule needs max_polarity or min_polarity".into());
                }
                if !in_range(s.max_polarity) || !in_range(s.min_polarity) {
                    return invalid("polarity thresholds must be between -1 and 1".into());
                }
                Condition::Sentiment(s)
            }
            RuleKind::Toxicity => {
                let t = self.toxicity.ok_or_else(missing)?;
                if !(0.0..=1.0).contains(&t.threshold) {
                    return invalid("toxicity threshold must be between 0 and 1".into());
                }
                Condition::Toxicity(t)
            }
            RuleKind::Language => {
                let mut l = self.language.ok_or_else(missing)?;
                l.allowed = l.allowed.iter().map(|c| c.trim().to_lowercase()).collect();
                l.allowed.sort();
                l.allowed.dedup();
                let code = |c: &String| {
                    (2..=3).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_lowercase())
                };
                if l.allowed.is_empty() || !l.allowed.iter().all(code) {
                    return invalid(
                        "language.allowed must list ISO 639-1 (or 639-3) codes such as \"en\""
                            .into(),
                    );
                }
                if l.min_confidence.is_some_and(|c| !(0.0..=1.0).contains(&c)) {
                    return invalid("language.min_confidence must be between 0 and 1".into());
                }
                Condition::Language(l)
            }
            RuleKind::Entities => {
                let mut e = self.entities.ok_or_else(missing)?;
                e.kinds.sort_by_key(|k| k.as_str());
                e.kinds.dedup();
                if e.kinds.is_empty() {
                    return invalid("entities.kinds must name at least one kind".into());
                }
                Condition::Entities(e)
            }
        };
        Ok(ValidRule {
            name,
            kind: self.kind,
            condition,
            content_types,
            action,
            priority: self.priority,
            enabled: self.enabled,
        })
    }
}
