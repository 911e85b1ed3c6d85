//! How a seller's earned level moves.
//!
//! - **Promotion**: while the current level's verification steps are approved,
//!   the score reaches the next threshold and the risk is not high, the level
//!   rises (level 3's step, `performance`, is a staff approval).
//! - **Demotion after a grace period**: holding level L (L ≥ 1) needs the
//!   score that reached it (`score_thresholds[L-1]`). Falling below sets a
//!   due date `grace_days` ahead and warns the seller; still below on that
//!   date, the level drops by one (and a new grace period starts if the score
//!   is below the lower level's threshold too). Recovering before the date
//!   clears the warning.
//! - **Immediate demotion**: a `high` or `critical` violation drops the earned
//!   level by one at once ([`on_violation`]); the high risk it causes then
//!   freezes promotion for 90 days.
//!
//! Every change is kept in the history and audited; the seller is notified
//! when the level in force changes and when warned. While an administrator's
//! override holds the level, no grace period runs.

use crate::schema::seller_trust;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::{DbConn, TenantId};

use crate::TrustError;
use crate::changes::{self, Change};
use crate::risk;
use crate::settings::{self, MAX_LEVEL, TrustSettings};
use crate::standing::{self, STEPS, Standing};

/// Violation severities that demote at once.
pub const SEVERE: [&str; 2] = ["high", "critical"];

/// The level `earned` rises to with `approved` steps, `score` and `risk`.
fn promoted(
    earned: u8,
    approved: &[String],
    score: f64,
    risk: &str,
    settings: &TrustSettings,
) -> u8 {
    let mut level = earned;
    if risk == risk::HIGH {
        return level;
    }
    while level < MAX_LEVEL
        && STEPS[usize::from(level)]
            .iter()
            .all(|s| approved.iter().any(|a| a == s))
        && score >= settings.score_thresholds[usize::from(level)]
    {
        level += 1;
    }
    level
}

/// The score holding `level` needs (none for level 0).
fn holding_threshold(level: u8, settings: &TrustSettings) -> Option<f64> {
    level
        .checked_sub(1)
        .map(|below| settings.score_thresholds[usize::from(below)])
}

/// Recomputes the standing of `seller` at `now` and moves its earned level
/// (promotion, warning, demotion when due), inside a running transaction.
pub async fn evaluate(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    now: DateTime<Utc>,
) -> Result<Standing, TrustError> {
    let settings = settings::load(conn).await?;
    let computed = standing::compute_and_store(conn, tenant, seller, now, &settings).await?;
    let held = standing::held(conn, seller).await?;
    let score = computed.breakdown.score;
    let approved = standing::approved_steps(conn, seller).await?;
    let mut level = promoted(held.earned, &approved, score, computed.risk, &settings);
    let mut due = held.demotion_due_at;
    let quiet = held.override_level.is_some();
    if level > held.earned {
        due = None;
        let reason = "verification steps and score met";
        changes::level_changed(
            conn,
            tenant,
            seller,
            now,
            (held.earned, level),
            reason,
            None,
            !quiet,
        )
        .await?;
    } else if quiet {
        // While an administrator holds the level, the earned level is not
        // demoted (nor the seller warned); a fresh grace period starts once
        // the hold is released.
        due = None;
    } else if let Some(needed) = holding_threshold(level, &settings) {
        if score >= needed {
            if due.take().is_some() {
                let change = Change {
                    kind: "warning",
                    from: Some("pending".into()),
                    to: "cleared".into(),
                    reason: "the score recovered",
                    actor: None,
                };
                changes::history(conn, tenant, seller, now, change).await?;
            }
        } else if due.is_some_and(|d| d <= now) {
            level -= 1;
            due = None;
            let reason = format!(
                "score {score:.1} below {needed} through the {}-day grace period",
                settings.grace_days
            );
            changes::level_changed(
                conn,
                tenant,
                seller,
                now,
                (held.earned, level),
                &reason,
                None,
                true,
            )
            .await?;
            if holding_threshold(level, &settings).is_some_and(|t| score < t) {
                due = Some(warn(conn, tenant, seller, level, (score, &settings), now).await?);
            }
        } else if due.is_none() {
            due = Some(warn(conn, tenant, seller, level, (score, &settings), now).await?);
        }
    }
    if level != held.earned || due != held.demotion_due_at {
        diesel::update(seller_trust::table.filter(seller_trust::seller_id.eq(seller)))
            .set((
                seller_trust::level.eq(i32::from(level)),
                seller_trust::demotion_due_at.eq(due),
                seller_trust::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
    }
    standing::assemble(conn, seller, computed, &settings, now).await
}

/// Starts a grace period for `level`: history, audit, and a warning to the
/// seller. Returns the due date.
async fn warn(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    level: u8,
    (score, settings): (f64, &TrustSettings),
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, TrustError> {
    let due = now + Duration::days(i64::from(settings.grace_days));
    let needed = holding_threshold(level, settings).unwrap_or_default();
    let reason = format!("score {score:.1} below the {needed} level {level} needs");
    let change = Change {
        kind: "warning",
        from: None,
        to: due.to_rfc3339(),
        reason: &reason,
        actor: None,
    };
    changes::history(conn, tenant, seller, now, change).await?;
    let metadata = serde_json::json!({
        "event": "trust_demotion_warning", "level": level, "score": score,
        "threshold": needed, "due": due,
    });
    changes::audit(
        conn,
        tenant,
        seller,
        None,
        "trust_demotion_warning",
        metadata,
    )
    .await?;
    changes::notify_warning(conn, tenant, seller, level, (score, needed), due).await?;
    Ok(due)
}

/// Reacts to violation `violation` of `severity` recorded against `user`,
/// inside the transaction that records it: a severe violation drops the
/// earned level of the user's stores by one at once; every violation has
/// their standing recomputed (score, risk) by a job.
pub async fn on_violation(
    conn: &mut DbConn,
    tenant: TenantId,
    user: Uuid,
    (violation, severity): (Uuid, &str),
    now: DateTime<Utc>,
) -> Result<(), TrustError> {
    for seller in crate::jobs::stores_of(conn, user).await? {
        if SEVERE.contains(&severity) {
            // One statement decides and lowers the level, so a job changing
            // it concurrently cannot make the two changes collapse into one.
            let lowered: Option<(i32, Option<i32>)> = diesel::update(
                seller_trust::table
                    .filter(seller_trust::seller_id.eq(seller))
                    .filter(seller_trust::level.gt(0)),
            )
            .set((
                seller_trust::level.eq(seller_trust::level - 1),
                seller_trust::demotion_due_at.eq(None::<DateTime<Utc>>),
                seller_trust::updated_at.eq(now),
            ))
            .returning((seller_trust::level, seller_trust::override_level))
            .get_result(conn)
            .await
            .optional()?;
            if let Some((to, override_level)) = lowered {
                let to = u8::try_from(to).unwrap_or(0);
                let reason = format!("{severity} violation {violation}");
                changes::level_changed(
                    conn,
                    tenant,
                    seller,
                    now,
                    (to + 1, to),
                    &reason,
                    None,
                    override_level.is_none(),
                )
                .await?;
            }
        }
        crate::jobs::enqueue_recompute(conn, tenant, seller).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(levels: usize) -> Vec<String> {
        STEPS[..levels]
            .iter()
            .flat_map(|s| s.iter().map(|x| (*x).to_owned()))
            .collect()
    }

    #[test]
    fn promotion_needs_steps_score_and_not_high_risk() {
        let s = TrustSettings::default();
        assert_eq!(promoted(0, &[], 99.0, risk::LOW, &s), 0);
        assert_eq!(promoted(0, &steps(1), 10.0, risk::LOW, &s), 1);
        assert_eq!(promoted(0, &steps(2), 59.9, risk::LOW, &s), 1);
        assert_eq!(promoted(0, &steps(2), 60.0, risk::MEDIUM, &s), 2);
        assert_eq!(promoted(0, &steps(2), 85.0, risk::LOW, &s), 2);
        assert_eq!(promoted(0, &steps(3), 85.0, risk::LOW, &s), 3);
        assert_eq!(promoted(0, &steps(3), 85.0, risk::HIGH, &s), 0);
        assert_eq!(promoted(1, &steps(3), 85.0, risk::HIGH, &s), 1);
    }

    #[test]
    fn holding_a_level_needs_the_score_that_reached_it() {
        let s = TrustSettings::default();
        assert_eq!(holding_threshold(0, &s), None);
        assert_eq!(holding_threshold(1, &s), Some(0.0));
        assert_eq!(holding_threshold(2, &s), Some(60.0));
        assert_eq!(holding_threshold(3, &s), Some(80.0));
    }
}
