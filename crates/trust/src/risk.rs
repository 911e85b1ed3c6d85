//! A seller's risk level, from the violations and behaviour detections about
//! its owner.
//!
//! - `high`: a `high` or `critical` violation in the last 90 days, three or
//!   more violations in 90 days, or a live `high`/`critical` detection (open
//!   or confirmed) in the last 30 days;
//! - `medium`: any violation in 90 days, or any live open or confirmed
//!   detection in 30 days;
//! - `low`: none of these.
//!
//! Overturned violations, dismissed detections and shadow detections do not
//! count. High risk freezes promotion and lowers the owner's per-user rate
//! limit to the tenant's `high_risk_requests_per_minute`.

use crate::schema::{seller_profiles, seller_trust};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Int8, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::DbConn;

use crate::TrustError;
use crate::settings;

/// Low risk.
pub const LOW: &str = "low";
/// Medium risk.
pub const MEDIUM: &str = "medium";
/// High risk.
pub const HIGH: &str = "high";

/// The risk level named `s` (stored text; anything unknown reads as low).
pub fn named(s: &str) -> &'static str {
    match s {
        HIGH => HIGH,
        MEDIUM => MEDIUM,
        _ => LOW,
    }
}

/// Counts behind a risk level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName)]
pub struct RiskCounts {
    /// Violations in the last 90 days (not overturned).
    #[diesel(sql_type = Int8)]
    pub violations: i64,
    /// Of which `high` or `critical`.
    #[diesel(sql_type = Int8)]
    pub severe_violations: i64,
    /// Live open or confirmed detections in the last 30 days.
    #[diesel(sql_type = Int8)]
    pub detections: i64,
    /// Of which `high` or `critical`.
    #[diesel(sql_type = Int8)]
    pub severe_detections: i64,
}

impl RiskCounts {
    /// The risk level these counts make.
    pub fn level(&self) -> &'static str {
        if self.severe_violations > 0 || self.violations >= 3 || self.severe_detections > 0 {
            HIGH
        } else if self.violations > 0 || self.detections > 0 {
            MEDIUM
        } else {
            LOW
        }
    }
}

/// The counts about user `owner` at `now`.
pub async fn counts(
    conn: &mut DbConn,
    owner: Uuid,
    now: DateTime<Utc>,
) -> Result<RiskCounts, TrustError> {
    Ok(diesel::sql_query(
        "SELECT
           (SELECT count(*) FROM violations v
             WHERE v.user_id = $1 AND v.status <> 'overturned'
               AND v.created_at > $2 - interval '90 days') AS violations,
           (SELECT count(*) FROM violations v
             WHERE v.user_id = $1 AND v.status <> 'overturned'
               AND v.severity IN ('high', 'critical')
               AND v.created_at > $2 - interval '90 days') AS severe_violations,
           (SELECT count(*) FROM behavior_detections d
             WHERE d.actor_id = $1 AND d.mode = 'live' AND d.status IN ('open', 'confirmed')
               AND d.detected_at > $2 - interval '30 days') AS detections,
           (SELECT count(*) FROM behavior_detections d
             WHERE d.actor_id = $1 AND d.mode = 'live' AND d.status IN ('open', 'confirmed')
               AND d.severity IN ('high', 'critical')
               AND d.detected_at > $2 - interval '30 days') AS severe_detections",
    )
    .bind::<SqlUuid, _>(owner)
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
    .await?)
}

/// The per-minute request limit trust puts on `user` (inside a tenant
/// transaction): the tenant's high-risk limit when a store of theirs is high
/// risk, else none.
pub async fn user_rate_limit(conn: &mut DbConn, user: Uuid) -> Result<Option<u64>, TrustError> {
    let high: i64 = seller_trust::table
        .filter(
            seller_trust::seller_id.eq_any(
                seller_profiles::table
                    .filter(seller_profiles::user_id.eq(user))
                    .select(seller_profiles::id),
            ),
        )
        .filter(seller_trust::risk.eq(HIGH))
        .count()
        .get_result(conn)
        .await?;
    if high == 0 {
        return Ok(None);
    }
    Ok(Some(
        settings::load(conn).await?.high_risk_requests_per_minute,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(violations: i64, severe_violations: i64, detections: i64, severe: i64) -> RiskCounts {
        RiskCounts {
            violations,
            severe_violations,
            detections,
            severe_detections: severe,
        }
    }

    #[test]
    fn nothing_is_low() {
        assert_eq!(c(0, 0, 0, 0).level(), LOW);
    }

    #[test]
    fn one_violation_or_detection_is_medium() {
        assert_eq!(c(1, 0, 0, 0).level(), MEDIUM);
        assert_eq!(c(2, 0, 0, 0).level(), MEDIUM);
        assert_eq!(c(0, 0, 4, 0).level(), MEDIUM);
    }

    #[test]
    fn severe_or_repeated_is_high() {
        assert_eq!(c(1, 1, 0, 0).level(), HIGH);
        assert_eq!(c(3, 0, 0, 0).level(), HIGH);
        assert_eq!(c(0, 0, 1, 1).level(), HIGH);
    }
}
