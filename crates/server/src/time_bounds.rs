//! Times a client may send: years 1 to 9999.
//!
//! chrono reads signed years down to -262143, which PostgreSQL cannot store
//! (it refuses anything before 4713 BC) and from which a range subtracts into
//! an overflow. Checked once where input arrives, for every query parameter
//! and body field, instead of in every range resolver.

use chrono::{DateTime, Datelike, Utc};
use serde_json::Value;

/// The detail of the refusal.
pub const OUT_OF_RANGE: &str = "must be a time between the years 1 and 9999";

/// Whether `text` reads as a time (as the extractors would read it) outside
/// the years 1 to 9999.
pub fn out_of_range(text: &str) -> bool {
    text.parse::<DateTime<Utc>>()
        .is_ok_and(|t| !(1..=9999).contains(&t.year()))
}

/// The first string in `value` (a JSON body) that is such a time, with the
/// name of the field holding it.
pub fn first_in_json(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| match v {
            Value::String(s) if out_of_range(s) => Some(k.clone()),
            other => first_in_json(other),
        }),
        Value::Array(items) => items.iter().find_map(first_in_json),
        _ => None,
    }
}

/// Whether a JSON body may hold such a time at all: only a signed year
/// (`"-4713-…"`, `"+20000-…"`) or year 0 (`"0000-…"`) is outside 1 to 9999,
/// so bodies without one skip the second reading.
pub fn may_hold_one(json: &str) -> bool {
    json.contains("\"-") || json.contains("\"+") || json.contains("\"0000-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_and_extreme_years_are_out_of_range_and_ordinary_times_are_not() {
        assert!(out_of_range("-262143-01-01T00:00:00Z"));
        assert!(out_of_range("-4713-01-01T00:00:00Z"));
        assert!(out_of_range("+10000-01-01T00:00:00Z"));
        assert!(!out_of_range("2026-12-07T10:00:00Z"));
        assert!(!out_of_range("0001-01-01T00:00:00Z"));
        assert!(!out_of_range("9999-12-31T23:59:59+00:00"));
        assert!(!out_of_range("not a time"));
        assert!(!out_of_range("-5"));
    }

    #[test]
    fn the_field_holding_one_is_named_at_any_depth() {
        let body = serde_json::json!({
            "name": "x",
            "window": { "from": "2026-01-01T00:00:00Z", "run_at": "-4713-01-01T00:00:00Z" }
        });
        assert_eq!(first_in_json(&body).as_deref(), Some("run_at"));
        assert_eq!(first_in_json(&serde_json::json!({ "n": "-3" })), None);
        assert!(may_hold_one(r#"{"to":"-4713-01-01T00:00:00Z"}"#));
        assert!(may_hold_one(r#"{"to":"0000-01-01T00:00:00Z"}"#));
        assert!(out_of_range("0000-01-01T00:00:00Z"));
        assert!(!may_hold_one(r#"{"to":"2026-01-01T00:00:00Z"}"#));
    }
}
