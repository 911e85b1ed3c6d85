//! Compiled rules and the decision they make about one analysed text.
//!
//! Every enabled rule for the content type is tested. The highest-priority
//! matching rule decides the applied action (at equal priority the more severe
//! action wins), so a high-priority `allow` can whitelist what lower rules
//! would reject. The recommended action is the most severe action any matching
//! rule asks for (or, when none matches, what the model scores alone suggest),
//! so staff see what was overridden. Custom actions never change the outcome;
//! they are listed with the decision.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{Action, Condition, RuleKind, ToxicityCategory};
use crate::analysis::Analysis;
use crate::content::ContentType;
use crate::models::{MODEL_VERSIONS, ModelVersions};
use crate::text::PatternSet;

/// Scores at or above which, with no rule matching, review is recommended.
const RECOMMEND_REVIEW_TOXICITY: f64 = 0.8;
const RECOMMEND_REVIEW_OFFENSIVE: f64 = 0.9;

/// A rule ready to test.
#[derive(Debug)]
pub struct CompiledRule {
    /// Rule id.
    pub id: Uuid,
    /// Rule name.
    pub name: String,
    /// Kind.
    pub kind: RuleKind,
    /// Condition.
    pub condition: Condition,
    /// Compiled patterns of a pattern rule.
    pub patterns: Option<PatternSet>,
    /// Content types it applies to.
    pub content_types: Vec<ContentType>,
    /// Action.
    pub action: Action,
    /// Priority, higher first.
    pub priority: i32,
}

/// A span of the original text that made a rule match.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Span {
    /// Byte offset of the start in the original text.
    pub start: usize,
    /// Byte offset of the end.
    pub end: usize,
    /// The original text there.
    pub text: String,
}

/// One rule that matched, and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RuleMatch {
    /// The rule.
    pub rule_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: RuleKind,
    /// Its action.
    pub action: String,
    /// Its priority.
    pub priority: i32,
    /// Why it matched, for people.
    pub explanation: String,
    /// Where in the text, for pattern and entity rules.
    pub spans: Vec<Span>,
    /// How sure the match is, 0..1: 1 for patterns and entities, the score for model thresholds.
    pub confidence: f64,
}

/// What moderation decided about one text.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Decision {
    /// What happens: `allow`, `flag`, `require_review` or `reject`.
    pub applied_action: String,
    /// The most severe action the rules (or, with no rule, the scores) call for.
    pub recommended_action: String,
    /// 0..1: the deciding rule's confidence, or, when no rule matched, how clean the scores are.
    pub confidence: f64,
    /// Every matching rule, deciding rule first.
    pub matched_rules: Vec<RuleMatch>,
    /// Custom actions of matching rules, to deliver by webhook.
    pub custom_actions: Vec<String>,
    /// Versions of the models behind the scores.
    pub model_versions: ModelVersions,
}

impl Decision {
    /// The applied action.
    pub fn applied(&self) -> Action {
        Action::parse(&self.applied_action).unwrap_or(Action::Allow)
    }

    /// Explanations of the rules asking for the applied action, for a rejection message.
    pub fn reasons(&self) -> Vec<String> {
        self.matched_rules
            .iter()
            .filter(|m| m.action == self.applied_action)
            .map(|m| format!("{}: {}", m.name, m.explanation))
            .collect()
    }
}

/// A tenant's enabled rules, compiled, highest priority first.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
}

impl RuleSet {
    /// Orders the rules for evaluation.
    pub fn new(mut rules: Vec<CompiledRule>) -> Self {
        rules.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(b.action.severity().cmp(&a.action.severity()))
        });
        Self { rules }
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Decides about one analysed text of `content_type`.
    pub fn decide(&self, content_type: ContentType, analysis: &Analysis) -> Decision {
        let matches: Vec<(&CompiledRule, RuleMatch)> = self
            .rules
            .iter()
            .filter(|r| r.content_types.contains(&content_type))
            .filter_map(|r| test(r, analysis).map(|m| (r, m)))
            .collect();
        let custom_actions: Vec<String> = matches
            .iter()
            .filter(|(r, _)| matches!(r.action, Action::Custom(_)))
            .map(|(r, _)| r.action.as_str().to_owned())
            .collect();
        // Rules are sorted by priority then severity, so the first built-in
        // action among the matches is the deciding one.
        let deciding = matches
            .iter()
            .find(|(r, _)| !matches!(r.action, Action::Custom(_)));
        let risk = analysis.toxicity.max().max(analysis.offensive);
        let (applied, confidence) = match deciding {
            Some((r, m)) => (r.action.clone(), m.confidence),
            None => (Action::Allow, 1.0 - risk),
        };
        let recommended = matches
            .iter()
            .map(|(r, _)| r.action.clone())
            .filter(|a| !matches!(a, Action::Custom(_)))
            .max_by_key(Action::severity)
            .unwrap_or_else(|| {
                if analysis.toxicity.max() >= RECOMMEND_REVIEW_TOXICITY
                    || analysis.offensive >= RECOMMEND_REVIEW_OFFENSIVE
                {
                    Action::RequireReview
                } else {
                    Action::Allow
                }
            });
        Decision {
            applied_action: applied.as_str().to_owned(),
            recommended_action: recommended.as_str().to_owned(),
            confidence: confidence.clamp(0.0, 1.0),
            matched_rules: matches.into_iter().map(|(_, m)| m).collect(),
            custom_actions,
            model_versions: MODEL_VERSIONS,
        }
    }
}

fn toxicity_score(category: ToxicityCategory, a: &Analysis) -> f64 {
    let t = &a.toxicity;
    match category {
        ToxicityCategory::Toxic => t.toxic,
        ToxicityCategory::SevereToxic => t.severe_toxic,
        ToxicityCategory::Obscene => t.obscene,
        ToxicityCategory::Threat => t.threat,
        ToxicityCategory::Insult => t.insult,
        ToxicityCategory::IdentityHate => t.identity_hate,
        ToxicityCategory::Offensive => a.offensive,
        ToxicityCategory::Any => t.max(),
    }
}

/// Default confidence below which a language rule does not judge.
const LANGUAGE_MIN_CONFIDENCE: f64 = 0.5;

fn test(rule: &CompiledRule, a: &Analysis) -> Option<RuleMatch> {
    let found = |explanation: String, spans: Vec<Span>, confidence: f64| RuleMatch {
        rule_id: rule.id,
        name: rule.name.clone(),
        kind: rule.kind,
        action: rule.action.as_str().to_owned(),
        priority: rule.priority,
        explanation,
        spans,
        confidence,
    };
    match &rule.condition {
        Condition::Pattern(_) => {
            let hits = rule.patterns.as_ref()?.find(&a.text);
            if hits.is_empty() {
                return None;
            }
            let described: Vec<String> = hits
                .iter()
                .take(5)
                .map(|h| {
                    let how = if h.evasion { " (evasion)" } else { "" };
                    format!("{:?} matched {:?}{how}", h.pattern, h.matched)
                })
                .collect();
            let spans = hits
                .iter()
                .map(|h| Span {
                    start: h.start,
                    end: h.end,
                    text: h.matched.clone(),
                })
                .collect();
            Some(found(described.join("; "), spans, 1.0))
        }
        Condition::Sentiment(s) => {
            let p = a.sentiment.polarity;
            let negative_hit = s.max_polarity.is_some_and(|max| p <= max);
            let positive_hit = s.min_polarity.is_some_and(|min| p >= min);
            if negative_hit {
                let max = s.max_polarity.unwrap_or_default();
                Some(found(
                    format!("polarity {p:.2} ≤ {max:.2}"),
                    Vec::new(),
                    (1.0 - p) / 2.0,
                ))
            } else if positive_hit {
                let min = s.min_polarity.unwrap_or_default();
                Some(found(
                    format!("polarity {p:.2} ≥ {min:.2}"),
                    Vec::new(),
                    (1.0 + p) / 2.0,
                ))
            } else {
                None
            }
        }
        Condition::Toxicity(t) => {
            let score = toxicity_score(t.category, a);
            (score >= t.threshold).then(|| {
                found(
                    format!("{} {score:.2} ≥ {:.2}", t.category.as_str(), t.threshold),
                    Vec::new(),
                    score,
                )
            })
        }
        Condition::Language(l) => {
            let min = l.min_confidence.unwrap_or(LANGUAGE_MIN_CONFIDENCE);
            let lang = &a.language;
            (lang.code != "und" && lang.confidence >= min && !l.allowed.contains(&lang.code)).then(
                || {
                    found(
                        format!(
                            "language {} ({:.2}) is not one of {}",
                            lang.code,
                            lang.confidence,
                            l.allowed.join(", ")
                        ),
                        Vec::new(),
                        lang.confidence,
                    )
                },
            )
        }
        Condition::Entities(e) => {
            let hits: Vec<_> = a
                .entities
                .iter()
                .filter(|ent| e.kinds.contains(&ent.kind))
                .collect();
            if hits.is_empty() {
                return None;
            }
            let mut kinds: Vec<&str> = hits.iter().map(|h| h.kind.as_str()).collect();
            kinds.dedup();
            let spans = hits
                .iter()
                .map(|h| Span {
                    start: h.start,
                    end: h.end,
                    text: h.value.clone(),
                })
                .collect();
            Some(found(format!("found {}", kinds.join(", ")), spans, 1.0))
        }
    }
}
