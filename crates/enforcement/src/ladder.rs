//! The escalation ladder of a tenant: which enforcement step the n-th
//! violation of a user causes.
//!
//! A new violation lands one step above the highest step of the user's
//! violations within `window_days` that were not overturned (the first lands on
//! step 1); CRITICAL violations land `critical_skip` steps higher still, HIGH
//! ones `high_skip` higher; past the top it stays on the top step.

use crate::schema::enforcement_ladders;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt, TenantId};

use crate::EnforcementError;
use crate::model::{Action, Severity};

/// Most steps a ladder may have.
pub const MAX_STEPS: usize = 20;

/// One step of the ladder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step does.
    pub action: Action,
    /// Length of a temporary ban, seconds (only for `temporary_ban`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u64>,
}

/// Longest temporary ban of a step: 366 days.
const MAX_BAN_SECONDS: u64 = 366 * 24 * 3600;

// Written by hand so the spec says what `Ladder::validate` checks: only a
// temporary ban has a duration, and it must have one.
impl utoipa::PartialSchema for Step {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Type};
        let action = |names: &[&str]| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names.to_vec()))
        };
        let plain = ObjectBuilder::new()
            .description(Some("A warning or a permanent ban."))
            .property("action", action(&["warning", "permanent_ban"]))
            .required("action")
            .property(
                "duration_seconds",
                ObjectBuilder::new().schema_type(Type::Null),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        let ban = ObjectBuilder::new()
            .description(Some("A temporary ban of 1 second to 366 days."))
            .property("action", action(&["temporary_ban"]))
            .required("action")
            .property(
                "duration_seconds",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(MAX_BAN_SECONDS)),
            )
            .required("duration_seconds")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        OneOfBuilder::new()
            .description(Some("One step of the ladder."))
            .item(plain)
            .item(ban)
            .into()
    }
}

impl utoipa::ToSchema for Step {}

/// A tenant's ladder and enforcement settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    /// The steps, first violation first.
    #[schema(min_items = 1, max_items = 20)]
    pub steps: Vec<Step>,
    /// Violations older than this many days no longer count.
    #[schema(minimum = 1, maximum = 3650)]
    pub window_days: u32,
    /// Extra steps a CRITICAL violation climbs.
    #[serde(default)]
    #[schema(maximum = 19)]
    pub critical_skip: u32,
    /// Extra steps a HIGH violation climbs.
    #[serde(default)]
    #[schema(maximum = 19)]
    pub high_skip: u32,
    /// Days after a violation within which its user may appeal.
    #[schema(minimum = 1, maximum = 365)]
    pub appeal_days: u32,
    /// Live detections at or above this confidence become violations without review.
    pub auto_violation_confidence: f64,
}

impl Default for Ladder {
    fn default() -> Self {
        let ban = |secs| Step {
            action: Action::TemporaryBan,
            duration_seconds: Some(secs),
        };
        Self {
            steps: vec![
                Step {
                    action: Action::Warning,
                    duration_seconds: None,
                },
                ban(24 * 3600),
                ban(7 * 24 * 3600),
                Step {
                    action: Action::PermanentBan,
                    duration_seconds: None,
                },
            ],
            window_days: 90,
            critical_skip: 2,
            high_skip: 0,
            appeal_days: 20,
            auto_violation_confidence: 0.9,
        }
    }
}

/// Where a violation lands on the ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// 1-based step.
    pub step: i32,
    /// Its action.
    pub action: Action,
    /// End of the ban, for temporary bans.
    pub ban_until: Option<DateTime<Utc>>,
}

impl Ladder {
    /// Checks the ladder, naming the first problem.
    pub fn validate(&self) -> Result<(), EnforcementError> {
        let invalid = |m: String| Err(EnforcementError::invalid(m));
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            return invalid(format!("steps: give 1 to {MAX_STEPS} steps"));
        }
        for (i, s) in self.steps.iter().enumerate() {
            match (s.action, s.duration_seconds) {
                (Action::TemporaryBan, Some(d)) if (1..=MAX_BAN_SECONDS).contains(&d) => {}
                (Action::TemporaryBan, _) => {
                    return invalid(format!(
                        "steps[{i}].duration_seconds: a temporary ban needs 1 second to 366 days"
                    ));
                }
                (_, Some(_)) => {
                    return invalid(format!(
                        "steps[{i}].duration_seconds: only temporary bans have a duration"
                    ));
                }
                _ => {}
            }
        }
        if !(1..=3650).contains(&self.window_days) {
            return invalid("window_days: 1 to 3650".into());
        }
        if self.critical_skip as usize >= MAX_STEPS || self.high_skip as usize >= MAX_STEPS {
            return invalid(format!("critical_skip and high_skip: below {MAX_STEPS}"));
        }
        if !(1..=365).contains(&self.appeal_days) {
            return invalid("appeal_days: 1 to 365".into());
        }
        if !(0.0..=1.0).contains(&self.auto_violation_confidence) {
            return invalid("auto_violation_confidence: 0 to 1".into());
        }
        Ok(())
    }

    /// Where a violation of `severity` lands when the highest counted step of
    /// the user's earlier violations is `prior_step` (0 for none), at `now`.
    pub fn place(&self, prior_step: i32, severity: Severity, now: DateTime<Utc>) -> Placement {
        let skip = match severity {
            Severity::Critical => self.critical_skip,
            Severity::High => self.high_skip,
            _ => 0,
        };
        let top = i32::try_from(self.steps.len()).unwrap_or(i32::MAX);
        let step = (prior_step.max(0) + 1)
            .saturating_add(i32::try_from(skip).unwrap_or(0))
            .min(top);
        let chosen = &self.steps[usize::try_from(step - 1).unwrap_or(0)];
        let ban_until = chosen.duration_seconds.map(|secs| {
            now + chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2))
        });
        Placement {
            step,
            action: chosen.action,
            ban_until: if chosen.action == Action::TemporaryBan {
                ban_until
            } else {
                None
            },
        }
    }
}

/// The tenant's ladder inside a running transaction (the default when none is saved).
pub async fn load(conn: &mut DbConn) -> Result<Ladder, EnforcementError> {
    let saved: Option<serde_json::Value> = enforcement_ladders::table
        .select(enforcement_ladders::config)
        .first(conn)
        .await
        .optional()?;
    Ok(match saved {
        None => Ladder::default(),
        Some(v) => serde_json::from_value(v).unwrap_or_else(|e| {
            // Saved ladders are validated; one that no longer parses is a bug
            // worth seeing, and the default is the safe way on.
            tracing::error!(error = %e, "stored escalation ladder does not parse; using the default");
            Ladder::default()
        }),
    })
}

/// The tenant's ladder (staff).
pub async fn get(db: &Db, actor: &Actor) -> Result<Ladder, EnforcementError> {
    if !actor.is_staff() {
        return Err(EnforcementError::forbidden(
            "only staff may read the escalation ladder",
        ));
    }
    db.tenant_tx(actor.tenant, |conn| {
        async move { load(conn).await }.scope_boxed()
    })
    .await
}

/// Replaces the tenant's ladder (tenant administrators), audited with the change.
pub async fn put(db: &Db, actor: &Actor, ladder: Ladder) -> Result<Ladder, EnforcementError> {
    if !actor.is_admin() {
        return Err(EnforcementError::forbidden(
            "only tenant administrators may change the escalation ladder",
        ));
    }
    ladder.validate()?;
    let tenant: TenantId = actor.tenant;
    let actor = actor.clone();
    db.tenant_tx(tenant, |conn| {
        async move {
            let before = load(conn).await?;
            let config = serde_json::to_value(&ladder)
                .map_err(|e| EnforcementError::invalid(e.to_string()))?;
            diesel::insert_into(enforcement_ladders::table)
                .values((
                    enforcement_ladders::tenant_id.eq(tenant.as_uuid()),
                    enforcement_ladders::config.eq(&config),
                    enforcement_ladders::updated_by.eq(actor.user_id),
                ))
                .on_conflict(enforcement_ladders::tenant_id)
                .do_update()
                .set((
                    enforcement_ladders::config.eq(&config),
                    enforcement_ladders::updated_by.eq(actor.user_id),
                    enforcement_ladders::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let mut event = ActivityEvent::new(Kind::Security, "ladder_change");
            event.actor_id = Some(actor.user_id);
            event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
            event.resource_type = Some("enforcement".into());
            event.metadata =
                serde_json::json!({ "event": "ladder_change", "from": before, "to": config });
            warden_audit::store::record_in_tx(conn, tenant, event).await?;
            Ok(ladder)
        }
        .scope_boxed()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_default_ladder_climbs_warning_day_week_permanent() {
        let l = Ladder::default();
        let p1 = l.place(0, Severity::Medium, at());
        assert_eq!(
            (p1.step, p1.action, p1.ban_until),
            (1, Action::Warning, None)
        );
        let p2 = l.place(1, Severity::Medium, at());
        assert_eq!(p2.action, Action::TemporaryBan);
        assert_eq!(p2.ban_until, Some(at() + chrono::Duration::hours(24)));
        let p3 = l.place(2, Severity::Low, at());
        assert_eq!(p3.ban_until, Some(at() + chrono::Duration::days(7)));
        assert_eq!(
            l.place(3, Severity::Medium, at()).action,
            Action::PermanentBan
        );
        assert_eq!(l.place(9, Severity::Medium, at()).step, 4);
    }

    #[test]
    fn critical_skips_two_steps_and_high_none_by_default() {
        let l = Ladder::default();
        let c = l.place(0, Severity::Critical, at());
        assert_eq!(
            (c.step, c.ban_until),
            (3, Some(at() + chrono::Duration::days(7)))
        );
        assert_eq!(
            l.place(1, Severity::Critical, at()).action,
            Action::PermanentBan
        );
        assert_eq!(l.place(0, Severity::High, at()).action, Action::Warning);
    }

    #[test]
    fn bad_ladders_are_refused_with_the_field_named() {
        let mut l = Ladder::default();
        l.steps[1].duration_seconds = None;
        assert!(
            l.validate()
                .unwrap_err()
                .to_string()
                .starts_with("steps[1].duration_seconds")
        );
        let mut l = Ladder::default();
        l.steps[0].duration_seconds = Some(5);
        assert!(
            l.validate()
                .unwrap_err()
                .to_string()
                .contains("only temporary bans")
        );
        let mut l = Ladder::default();
        l.steps.clear();
        assert!(l.validate().unwrap_err().to_string().starts_with("steps:"));
        let l = Ladder {
            appeal_days: 0,
            ..Ladder::default()
        };
        assert!(
            l.validate()
                .unwrap_err()
                .to_string()
                .starts_with("appeal_days")
        );
        let l = Ladder {
            auto_violation_confidence: 1.5,
            ..Ladder::default()
        };
        assert!(l.validate().is_err());
        assert!(Ladder::default().validate().is_ok());
    }
}
