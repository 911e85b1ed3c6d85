//! Pattern definitions as the API takes them, and their compiled form.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use warden_audit::ActivityEvent;

use crate::condition::{CompiledCondition, Condition};
use crate::error::BehaviorError;
use crate::operators::Operators;
use crate::window::{CompiledWindow, GroupBy, WindowSpec};

/// The longest name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// The longest cooldown: 30 days.
pub const MAX_COOLDOWN_SECS: u64 = 30 * 24 * 3600;

/// How serious a detection of the pattern is. Ordered `low < medium < high < critical`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Suspicious.
    Medium,
    /// Likely abuse.
    High,
    /// Act now.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Whether detections of the pattern are acted on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Detections are recorded but nothing acts on them (for tuning).
    #[default]
    Shadow,
    /// Detections are acted on.
    Live,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 2] = [Self::Shadow, Self::Live];

    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shadow => "shadow",
            Self::Live => "live",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

fn enabled_default() -> bool {
    true
}

/// A behavioural pattern as the API takes it (create and replace).
///
/// ```json
/// {
///   "name": "Credential stuffing from one address",
///   "condition": {"all": [
///     {"field": "action", "op": "eq", "value": "auth_failure"},
///     {"field": "status", "op": "in", "value": [401, 403]}
///   ]},
///   "window": {"seconds": 60, "per": "ip", "aggregate": "count", "above": 5},
///   "severity": "high",
///   "cooldown_seconds": 300,
///   "mode": "live"
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatternBody {
    /// A name for people, 1–200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    /// What the pattern is about, up to 2000 characters (default empty).
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub description: String,
    /// Which events match.
    pub condition: Condition,
    /// Without a window the pattern fires on every matching event; with one,
    /// when the aggregate of a group's matching events in the window exceeds
    /// `above`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowSpec>,
    /// How serious a detection is.
    pub severity: Severity,
    /// After firing for a group, stay silent for that group this long, in
    /// seconds (default 0: fire every time; at most 30 days).
    #[serde(default)]
    pub cooldown_seconds: u64,
    /// Disabled patterns are kept but never evaluated (default true).
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    /// `shadow` (default) or `live`.
    #[serde(default)]
    pub mode: Mode,
}

impl PatternBody {
    /// Validates and compiles the pattern. Errors are
    /// [`BehaviorError::invalid`] with a message naming the JSON path, e.g.
    /// `condition.all[2].op: unknown operator "eqq" (known: eq, ne, …)`.
    pub fn compile(&self, operators: &Operators) -> Result<CompiledPattern, BehaviorError> {
        let name_chars = self.name.chars().count();
        if name_chars == 0 || name_chars > MAX_NAME_CHARS || self.name.trim().is_empty() {
            return Err(BehaviorError::invalid(format!(
                "name: must be 1 to {MAX_NAME_CHARS} characters"
            )));
        }
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(BehaviorError::invalid(format!(
                "description: must be at most {MAX_DESCRIPTION_CHARS} characters"
            )));
        }
        if self.cooldown_seconds > MAX_COOLDOWN_SECS {
            return Err(BehaviorError::invalid(format!(
                "cooldown_seconds: must be at most {MAX_COOLDOWN_SECS} (30 days)"
            )));
        }
        let condition = self.condition.compile(operators, "condition")?;
        let window = self
            .window
            .as_ref()
            .map(|w| w.compile("window"))
            .transpose()?;
        Ok(CompiledPattern {
            name: self.name.clone(),
            condition,
            window,
            severity: self.severity,
            mode: self.mode,
            cooldown_ms: i64::try_from(self.cooldown_seconds * 1000).unwrap_or(i64::MAX),
            enabled: self.enabled,
        })
    }
}

/// A validated pattern, ready to evaluate.
#[derive(Debug)]
pub struct CompiledPattern {
    name: String,
    condition: CompiledCondition,
    window: Option<CompiledWindow>,
    severity: Severity,
    mode: Mode,
    cooldown_ms: i64,
    enabled: bool,
}

impl CompiledPattern {
    /// True when `event` satisfies the condition. Does not allocate.
    #[inline]
    pub fn matches(&self, event: &ActivityEvent) -> bool {
        self.condition.matches(event)
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The compiled condition.
    pub fn condition(&self) -> &CompiledCondition {
        &self.condition
    }

    /// The window, if any.
    pub fn window(&self) -> Option<&CompiledWindow> {
        self.window.as_ref()
    }

    /// The severity.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether the pattern is enabled.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The cooldown per group (zero: none).
    pub fn cooldown(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.cooldown_ms).unwrap_or(0))
    }

    /// The cooldown per group in milliseconds.
    pub fn cooldown_ms(&self) -> i64 {
        self.cooldown_ms
    }

    /// The group `event` belongs to: by the window's `per`, or by actor for a
    /// pattern without a window. `None` when the event has no value for it
    /// (windowed patterns then skip the event).
    pub fn group_key(&self, event: &ActivityEvent) -> Option<String> {
        self.window
            .as_ref()
            .map_or(GroupBy::Actor, CompiledWindow::per)
            .key(event)
    }

    /// What `event` adds to the window (see
    /// [`CompiledWindow::aggregate_input`]); `None` without a window.
    pub fn aggregate_input(&self, event: &ActivityEvent) -> Option<(String, f64)> {
        self.window.as_ref()?.aggregate_input(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: serde_json::Value) -> PatternBody {
        serde_json::from_value(v).unwrap()
    }

    fn base() -> serde_json::Value {
        json!({
            "name": "Credential stuffing",
            "condition": {"field": "action", "op": "eq", "value": "auth_failure"},
            "severity": "high"
        })
    }

    fn with(k: &str, v: serde_json::Value) -> serde_json::Value {
        let mut b = base();
        b[k] = v;
        b
    }

    fn err(v: serde_json::Value) -> String {
        let e = body(v).compile(&Operators::builtin()).unwrap_err();
        assert_eq!(e.code().as_str(), "invalid_input");
        e.to_string()
    }

    #[test]
    fn defaults() {
        let b = body(base());
        assert_eq!(b.description, "");
        assert_eq!(b.cooldown_seconds, 0);
        assert!(b.enabled);
        assert_eq!(b.mode, Mode::Shadow);
        assert_eq!(b.window, None);
        let p = b.compile(&Operators::builtin()).unwrap();
        assert_eq!(p.name(), "Credential stuffing");
        assert_eq!(p.severity(), Severity::High);
        assert_eq!(p.mode(), Mode::Shadow);
        assert_eq!(p.cooldown(), Duration::ZERO);
        assert!(p.enabled());
        assert!(p.window().is_none());
        assert_eq!(p.condition().comparisons(), 1);
    }

    #[test]
    fn full_example_round_trips() {
        let v = json!({
            "name": "Credential stuffing from one address",
            "description": "Many failed logins from one IP",
            "condition": {"all": [
                {"field": "action", "op": "eq", "value": "auth_failure"},
                {"field": "status", "op": "in", "value": [401, 403]}
            ]},
            "window": {"seconds": 60, "per": "ip", "aggregate": "count", "above": 5.0},
            "severity": "high",
            "cooldown_seconds": 300,
            "enabled": true,
            "mode": "live"
        });
        let b = body(v.clone());
        assert_eq!(serde_json::to_value(&b).unwrap(), v);
        let p = b.compile(&Operators::builtin()).unwrap();
        assert_eq!(p.cooldown(), Duration::from_secs(300));
        assert_eq!(p.window().map(CompiledWindow::above), Some(5.0));
    }

    #[test]
    fn rejects_bad_bodies() {
        assert_eq!(
            err(with("name", json!(""))),
            "name: must be 1 to 200 characters"
        );
        assert_eq!(
            err(with("name", json!("   "))),
            "name: must be 1 to 200 characters"
        );
        assert_eq!(
            err(with("name", json!("é".repeat(201)))),
            "name: must be 1 to 200 characters"
        );
        assert!(
            body(with("name", json!("é".repeat(200))))
                .compile(&Operators::builtin())
                .is_ok()
        );
        assert_eq!(
            err(with("description", json!("x".repeat(2001)))),
            "description: must be at most 2000 characters"
        );
        assert_eq!(
            err(with("cooldown_seconds", json!(MAX_COOLDOWN_SECS + 1))),
            "cooldown_seconds: must be at most 2592000 (30 days)"
        );
        assert_eq!(
            err(with(
                "window",
                json!({"seconds": 60, "minutes": 1, "above": 5})
            )),
            "window: give exactly one of seconds, minutes, hours"
        );
        assert_eq!(
            err(with("condition", json!({"all": []}))),
            "condition.all: must hold at least one condition"
        );
        let e = serde_json::from_value::<PatternBody>(with("severity", json!("urgent")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `urgent`"), "{e}");
        let e = serde_json::from_value::<PatternBody>(with("colour", json!("red")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = serde_json::from_value::<PatternBody>(with("mode", json!("loud")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `loud`"), "{e}");
    }

    #[test]
    fn severity_and_mode_text() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
        }
        assert!(Severity::Low < Severity::Medium && Severity::High < Severity::Critical);
        assert_eq!(Severity::parse("urgent"), None);
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), json!(m.as_str()));
        }
        assert_eq!(Mode::parse("x"), None);
    }

    #[test]
    fn group_keys_follow_the_window() {
        let mut e = ActivityEvent::new(warden_audit::Kind::Security, "auth_failure");
        e.client_ip = Some("10.0.0.9".into());
        e.actor_subject = Some("bob".into());
        let no_window = body(base()).compile(&Operators::builtin()).unwrap();
        assert_eq!(no_window.group_key(&e).as_deref(), Some("bob"));
        assert_eq!(no_window.aggregate_input(&e), None);
        let per_ip = body(with(
            "window",
            json!({"seconds": 60, "per": "ip", "above": 5}),
        ))
        .compile(&Operators::builtin())
        .unwrap();
        assert_eq!(per_ip.group_key(&e).as_deref(), Some("10.0.0.9"));
        assert_eq!(per_ip.aggregate_input(&e), Some((e.id.to_string(), 1.0)));
    }

    #[test]
    fn openapi_schema_is_finite() {
        use utoipa::{PartialSchema, ToSchema};
        let mut schemas = Vec::new();
        PatternBody::schemas(&mut schemas);
        let names: Vec<String> = schemas.iter().map(|(n, _)| n.clone()).collect();
        for want in [
            "Condition",
            "Comparison",
            "WindowSpec",
            "Aggregate",
            "GroupBy",
            "Severity",
            "Mode",
        ] {
            assert!(
                names.iter().any(|n| n == want),
                "{want} missing from {names:?}"
            );
        }
        let json = serde_json::to_string(&PatternBody::schema()).unwrap();
        assert!(json.contains("cooldown_seconds"));
        let (_, comparison) = schemas.iter().find(|(n, _)| n == "Comparison").unwrap();
        let comparison = serde_json::to_value(comparison).unwrap();
        // `value` takes any JSON: no `type` restriction.
        assert!(
            comparison["properties"]["value"].get("type").is_none(),
            "{comparison}"
        );
        let (_, condition) = schemas.iter().find(|(n, _)| n == "Condition").unwrap();
        let condition = serde_json::to_value(condition).unwrap();
        assert_eq!(
            condition["oneOf"].as_array().map(Vec::len),
            Some(4),
            "{condition}"
        );
    }
}
