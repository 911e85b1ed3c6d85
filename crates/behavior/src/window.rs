//! Window definitions: how long, grouped by what, aggregating what, above
//! which threshold.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use warden_audit::ActivityEvent;

use crate::error::BehaviorError;
use crate::fields::{Field, FieldType};

/// The longest window: 7 days.
pub const MAX_WINDOW_SECS: u64 = 7 * 24 * 3600;
/// The most events (or distinct values) one window keeps; older ones are
/// dropped beyond it, so count and distinct-count thresholds must stay below.
pub const MAX_WINDOW_MEMBERS: usize = 100_000;

/// What events of a window are grouped by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The actor: `actor_id`, else `actor_subject`, else `ip:<client_ip>`.
    #[default]
    Actor,
    /// `client_ip`.
    Ip,
    /// `resource_type/resource_id` (needs `resource_id`).
    Resource,
}

impl GroupBy {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Actor => "actor",
            Self::Ip => "ip",
            Self::Resource => "resource",
        }
    }

    /// The group `event` belongs to; `None` when it has no value for it.
    pub fn key(self, event: &ActivityEvent) -> Option<String> {
        fn present(s: &Option<String>) -> Option<&str> {
            s.as_deref().filter(|s| !s.is_empty())
        }
        match self {
            Self::Actor => {
                if let Some(id) = event.actor_id {
                    Some(id.to_string())
                } else if let Some(sub) = present(&event.actor_subject) {
                    Some(sub.to_owned())
                } else {
                    present(&event.client_ip).map(|ip| format!("ip:{ip}"))
                }
            }
            Self::Ip => present(&event.client_ip).map(str::to_owned),
            Self::Resource => present(&event.resource_id)
                .map(|id| format!("{}/{id}", present(&event.resource_type).unwrap_or_default())),
        }
    }
}

/// What a window aggregates. JSON: `"count"`, `{"sum": {"field": "bytes_out"}}`
/// or `{"distinct_count": {"field": "client_ip"}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Aggregate {
    /// The number of matching events.
    #[default]
    Count,
    /// The sum of a numeric field over the matching events (a missing or
    /// non-numeric value adds 0).
    Sum {
        /// `status`, `latency_us`, `bytes_in`, `bytes_out` or `metadata.<path>`.
        field: String,
    },
    /// The number of distinct values of a field among the matching events
    /// (events without a value are not counted).
    DistinctCount {
        /// Any field.
        field: String,
    },
}

/// The kind of aggregate, as window stores see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggregateKind {
    /// Count the members (event ids).
    Count,
    /// Sum the members' values.
    Sum,
    /// Count the members (distinct values).
    DistinctCount,
}

impl AggregateKind {
    /// The name in scripts and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::Sum => "sum",
            Self::DistinctCount => "distinct_count",
        }
    }
}

/// A sliding window over the matching events of one group. Give exactly one of
/// `seconds`, `minutes`, `hours` (1 second to 7 days in all).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// Window length in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    /// Window length in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u64>,
    /// Window length in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u64>,
    /// What events are grouped by (default `actor`).
    #[serde(default)]
    pub per: GroupBy,
    /// What is aggregated (default `"count"`).
    #[serde(default)]
    pub aggregate: Aggregate,
    /// Fires when the aggregate is strictly greater than this (≥ 0).
    pub above: f64,
}

impl WindowSpec {
    /// Validates and compiles; errors name the JSON path below `path`.
    pub fn compile(&self, path: &str) -> Result<CompiledWindow, BehaviorError> {
        let invalid = |e: String| BehaviorError::invalid(e);
        let secs = match (self.seconds, self.minutes, self.hours) {
            (Some(s), None, None) => Some(s),
            (None, Some(m), None) => m.checked_mul(60),
            (None, None, Some(h)) => h.checked_mul(3600),
            _ => {
                return Err(invalid(format!(
                    "{path}: give exactly one of seconds, minutes, hours"
                )));
            }
        };
        let unit = if self.seconds.is_some() {
            "seconds"
        } else if self.minutes.is_some() {
            "minutes"
        } else {
            "hours"
        };
        let secs = secs.unwrap_or(u64::MAX);
        if secs == 0 || secs > MAX_WINDOW_SECS {
            return Err(invalid(format!(
                "{path}.{unit}: the window must be 1 second to 7 days long"
            )));
        }
        if !self.above.is_finite() || self.above < 0.0 {
            return Err(invalid(format!(
                "{path}.above: must be a finite number, 0 or more"
            )));
        }
        let aggregate = match &self.aggregate {
            Aggregate::Count => CompiledAggregate::Count,
            Aggregate::Sum { field } => {
                let f = Field::parse(field)
                    .map_err(|e| invalid(format!("{path}.aggregate.sum.field: {e}")))?;
                if !matches!(f.field_type(), FieldType::Number | FieldType::Any) {
                    return Err(invalid(format!(
                        "{path}.aggregate.sum.field: {f} is {}; sum needs a numeric field",
                        f.field_type().describe()
                    )));
                }
                CompiledAggregate::Sum(f)
            }
            Aggregate::DistinctCount { field } => CompiledAggregate::DistinctCount(
                Field::parse(field)
                    .map_err(|e| invalid(format!("{path}.aggregate.distinct_count.field: {e}")))?,
            ),
        };
        if !matches!(aggregate, CompiledAggregate::Sum(_))
            && self.above >= MAX_WINDOW_MEMBERS as f64
        {
            return Err(invalid(format!(
                "{path}.above: a count threshold must be below {MAX_WINDOW_MEMBERS}"
            )));
        }
        Ok(CompiledWindow {
            length_ms: i64::try_from(secs * 1000).unwrap_or(i64::MAX),
            per: self.per,
            aggregate,
            above: self.above,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
enum CompiledAggregate {
    Count,
    Sum(Field),
    DistinctCount(Field),
}

/// A validated window.
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledWindow {
    length_ms: i64,
    per: GroupBy,
    aggregate: CompiledAggregate,
    above: f64,
}

impl CompiledWindow {
    /// The window length.
    pub fn length(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.length_ms).unwrap_or(0))
    }

    /// The window length in milliseconds.
    pub fn length_ms(&self) -> i64 {
        self.length_ms
    }

    /// What events are grouped by.
    pub fn per(&self) -> GroupBy {
        self.per
    }

    /// The kind of aggregate.
    pub fn aggregate_kind(&self) -> AggregateKind {
        match self.aggregate {
            CompiledAggregate::Count => AggregateKind::Count,
            CompiledAggregate::Sum(_) => AggregateKind::Sum,
            CompiledAggregate::DistinctCount(_) => AggregateKind::DistinctCount,
        }
    }

    /// The field summed or distinct-counted, if any.
    pub fn aggregate_field(&self) -> Option<&Field> {
        match &self.aggregate {
            CompiledAggregate::Count => None,
            CompiledAggregate::Sum(f) | CompiledAggregate::DistinctCount(f) => Some(f),
        }
    }

    /// The threshold: fires when the aggregate is strictly greater.
    pub fn above(&self) -> f64 {
        self.above
    }

    /// What `event` adds to the window: the member (the event id for count
    /// and sum, the distinct value for distinct count) and its value (1 for
    /// count and distinct count, the field's number, or 0, for sum). `None`
    /// for a distinct count when the event has no value for the field.
    pub fn aggregate_input(&self, event: &ActivityEvent) -> Option<(String, f64)> {
        match &self.aggregate {
            CompiledAggregate::Count => Some((event.id.to_string(), 1.0)),
            CompiledAggregate::Sum(f) => {
                Some((event.id.to_string(), f.number(event).unwrap_or(0.0)))
            }
            CompiledAggregate::DistinctCount(f) => f.key_string(event).map(|v| (v, 1.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uuid::Uuid;
    use warden_audit::Kind;

    fn spec(v: serde_json::Value) -> WindowSpec {
        serde_json::from_value(v).unwrap()
    }

    fn err(v: serde_json::Value) -> String {
        spec(v).compile("window").unwrap_err().to_string()
    }

    #[test]
    fn parses_units_and_aggregates() {
        let w = spec(json!({"minutes": 5, "above": 3}))
            .compile("window")
            .unwrap();
        assert_eq!(w.length(), Duration::from_secs(300));
        assert_eq!(w.per(), GroupBy::Actor);
        assert_eq!(w.aggregate_kind(), AggregateKind::Count);
        let w = spec(json!({"hours": 1, "per": "ip", "aggregate": {"sum": {"field": "bytes_out"}}, "above": 1e9}))
            .compile("window")
            .unwrap();
        assert_eq!(w.length_ms(), 3_600_000);
        assert_eq!(w.aggregate_kind(), AggregateKind::Sum);
        assert_eq!(w.aggregate_field(), Some(&Field::BytesOut));
        let w = spec(json!({"seconds": 60, "per": "resource", "aggregate": {"distinct_count": {"field": "client_ip"}}, "above": 3}))
            .compile("window")
            .unwrap();
        assert_eq!(w.aggregate_kind(), AggregateKind::DistinctCount);
        assert_eq!(
            serde_json::to_value(spec(
                json!({"seconds": 1, "aggregate": "count", "above": 0})
            ))
            .unwrap(),
            json!({"seconds": 1, "per": "actor", "aggregate": "count", "above": 0.0})
        );
    }

    #[test]
    fn rejects_bad_windows() {
        assert_eq!(
            err(json!({"seconds": 60, "minutes": 1, "above": 3})),
            "window: give exactly one of seconds, minutes, hours"
        );
        assert_eq!(
            err(json!({"above": 3})),
            "window: give exactly one of seconds, minutes, hours"
        );
        assert_eq!(
            err(json!({"seconds": 0, "above": 3})),
            "window.seconds: the window must be 1 second to 7 days long"
        );
        assert_eq!(
            err(json!({"hours": 169, "above": 3})),
            "window.hours: the window must be 1 second to 7 days long"
        );
        assert!(
            spec(json!({"hours": 168, "above": 3}))
                .compile("window")
                .is_ok()
        );
        assert_eq!(
            err(json!({"minutes": u64::MAX, "above": 3})),
            "window.minutes: the window must be 1 second to 7 days long"
        );
        assert_eq!(
            err(json!({"seconds": 5, "above": -1})),
            "window.above: must be a finite number, 0 or more"
        );
        assert_eq!(
            err(json!({"seconds": 5, "above": 100000})),
            "window.above: a count threshold must be below 100000"
        );
        assert_eq!(
            err(json!({"seconds": 5, "aggregate": {"sum": {"field": "path"}}, "above": 1})),
            "window.aggregate.sum.field: path is text; sum needs a numeric field"
        );
        assert!(
            err(
                json!({"seconds": 5, "aggregate": {"distinct_count": {"field": "ipp"}}, "above": 1})
            )
            .starts_with("window.aggregate.distinct_count.field: unknown field \"ipp\"")
        );
        let e =
            serde_json::from_value::<WindowSpec>(json!({"seconds": 5, "above": 1, "per": "team"}))
                .unwrap_err()
                .to_string();
        assert!(e.contains("unknown variant `team`"), "{e}");
        let e = serde_json::from_value::<WindowSpec>(
            json!({"seconds": 5, "above": 1, "aggregate": "avg"}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown variant `avg`"), "{e}");
        let e = serde_json::from_value::<WindowSpec>(
            json!({"seconds": 5, "above": 1, "aggregate": {"sum": {"field": "bytes_out", "x": 1}}}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown field `x`"), "{e}");
    }

    #[test]
    fn group_keys() {
        let mut e = ActivityEvent::new(Kind::Security, "auth_failure");
        assert_eq!(GroupBy::Actor.key(&e), None);
        assert_eq!(GroupBy::Ip.key(&e), None);
        assert_eq!(GroupBy::Resource.key(&e), None);
        e.client_ip = Some("10.1.2.3".into());
        assert_eq!(GroupBy::Actor.key(&e).as_deref(), Some("ip:10.1.2.3"));
        assert_eq!(GroupBy::Ip.key(&e).as_deref(), Some("10.1.2.3"));
        e.actor_subject = Some("auth0|bob".into());
        assert_eq!(GroupBy::Actor.key(&e).as_deref(), Some("auth0|bob"));
        let id = Uuid::now_v7();
        e.actor_id = Some(id);
        assert_eq!(GroupBy::Actor.key(&e), Some(id.to_string()));
        e.resource_id = Some("42".into());
        assert_eq!(GroupBy::Resource.key(&e).as_deref(), Some("/42"));
        e.resource_type = Some("products".into());
        assert_eq!(GroupBy::Resource.key(&e).as_deref(), Some("products/42"));
    }

    #[test]
    fn aggregate_inputs() {
        let mut e = ActivityEvent::new(Kind::ApiCall, "GET /x");
        e.bytes_out = Some(2048);
        let w = |v| spec(v).compile("window").unwrap();
        let count = w(json!({"seconds": 5, "above": 1}));
        assert_eq!(count.aggregate_input(&e), Some((e.id.to_string(), 1.0)));
        let sum =
            w(json!({"seconds": 5, "above": 1, "aggregate": {"sum": {"field": "bytes_out"}}}));
        assert_eq!(sum.aggregate_input(&e), Some((e.id.to_string(), 2048.0)));
        let sum_in =
            w(json!({"seconds": 5, "above": 1, "aggregate": {"sum": {"field": "bytes_in"}}}));
        assert_eq!(sum_in.aggregate_input(&e), Some((e.id.to_string(), 0.0)));
        let distinct = w(
            json!({"seconds": 5, "above": 1, "aggregate": {"distinct_count": {"field": "client_ip"}}}),
        );
        assert_eq!(distinct.aggregate_input(&e), None);
        e.client_ip = Some("1.2.3.4".into());
        assert_eq!(distinct.aggregate_input(&e), Some(("1.2.3.4".into(), 1.0)));
    }
}
