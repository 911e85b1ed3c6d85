//! A tenant's report settings: the categories a report may name and how
//! many reports one reporter may send an hour.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use warden_audit::Kind;
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt};

use crate::schema::report_settings;
use crate::{ReportError, activity};

/// The categories of a tenant that saved none.
pub const DEFAULT_CATEGORIES: [&str; 7] = [
    "illegal_content",
    "scam_fraud",
    "counterfeit",
    "harassment",
    "hate",
    "spam",
    "other",
];

/// Reports one reporter may send an hour unless the tenant says otherwise.
pub const DEFAULT_REPORTS_PER_HOUR: u32 = 20;

/// Most categories a tenant may list.
pub const MAX_CATEGORIES: usize = 50;

/// A tenant's report settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// The categories a report may name: 1 to 50 distinct names of lowercase
    /// letters, digits and `_`, starting with a letter (at most 63 characters).
    #[schema(min_items = 1, max_items = 50)]
    pub categories: Vec<String>,
    /// Reports (new or merged) one reporter may send an hour, 1 to 10,000;
    /// one more is refused with 429 `report_rate_limited`.
    #[serde(default = "default_rate")]
    #[schema(minimum = 1, maximum = 10000)]
    pub reports_per_hour: u32,
}

fn default_rate() -> u32 {
    DEFAULT_REPORTS_PER_HOUR
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            categories: DEFAULT_CATEGORIES.iter().map(|c| (*c).to_owned()).collect(),
            reports_per_hour: DEFAULT_REPORTS_PER_HOUR,
        }
    }
}

/// Whether `name` is a well-formed category name.
fn well_formed(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl ReportSettings {
    /// Checks the settings, naming the first problem.
    pub fn validate(&self) -> Result<(), ReportError> {
        if self.categories.is_empty() || self.categories.len() > MAX_CATEGORIES {
            return Err(ReportError::invalid(format!(
                "categories: 1 to {MAX_CATEGORIES} names"
            )));
        }
        if let Some(bad) = self.categories.iter().find(|c| !well_formed(c)) {
            return Err(ReportError::invalid(format!(
                "categories: {bad:?} is not a name of lowercase letters, digits and _ starting with a letter (at most 63)"
            )));
        }
        let mut seen: Vec<&str> = self.categories.iter().map(String::as_str).collect();
        seen.sort_unstable();
        if seen.windows(2).any(|w| w[0] == w[1]) {
            return Err(ReportError::invalid("categories: each name once"));
        }
        if !(1..=10_000).contains(&self.reports_per_hour) {
            return Err(ReportError::invalid("reports_per_hour: 1 to 10000"));
        }
        Ok(())
    }
}

/// The tenant's settings inside a running transaction (defaults when none are saved).
pub async fn load(conn: &mut DbConn) -> Result<ReportSettings, ReportError> {
    let saved: Option<(Vec<String>, i32)> = report_settings::table
        .select((
            report_settings::categories,
            report_settings::reports_per_hour,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(match saved {
        None => ReportSettings::default(),
        Some((categories, rate)) => ReportSettings {
            categories,
            reports_per_hour: u32::try_from(rate).unwrap_or(DEFAULT_REPORTS_PER_HOUR),
        },
    })
}

/// The tenant's settings (any member: reporters pick a category from them).
pub async fn get(db: &Db, actor: &Actor) -> Result<ReportSettings, ReportError> {
    db.tenant_tx(actor.tenant, |conn| {
        async move { load(conn).await }.scope_boxed()
    })
    .await
}

/// Replaces the tenant's settings (tenant administrators), audited with the
/// change. Open reports keep the category they named.
pub async fn put(
    db: &Db,
    actor: &Actor,
    settings: ReportSettings,
) -> Result<ReportSettings, ReportError> {
    actor.require_admin("only tenant administrators may change report settings")?;
    settings.validate()?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let before = load(conn).await?;
            let rate = i32::try_from(settings.reports_per_hour)
                .map_err(|_| ReportError::invalid("reports_per_hour: 1 to 10000"))?;
            diesel::insert_into(report_settings::table)
                .values((
                    report_settings::tenant_id.eq(actor.tenant.as_uuid()),
                    report_settings::categories.eq(&settings.categories),
                    report_settings::reports_per_hour.eq(rate),
                    report_settings::updated_by.eq(actor.user_id),
                ))
                .on_conflict(report_settings::tenant_id)
                .do_update()
                .set((
                    report_settings::categories.eq(&settings.categories),
                    report_settings::reports_per_hour.eq(rate),
                    report_settings::updated_by.eq(actor.user_id),
                    report_settings::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            activity::record(
                conn,
                &actor,
                Kind::ResourceUpdate,
                "report_settings_change",
                None,
                serde_json::json!({ "from": before, "to": &settings }),
            )
            .await?;
            Ok(settings)
        }
        .scope_boxed()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_validate() {
        assert!(ReportSettings::default().validate().is_ok());
        assert_eq!(ReportSettings::default().categories.len(), 7);
    }

    #[test]
    fn bad_settings_are_refused() {
        let with = |categories: &[&str], rate: u32| ReportSettings {
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            reports_per_hour: rate,
        };
        assert!(with(&[], 5).validate().is_err());
        assert!(with(&["Spam"], 5).validate().is_err());
        assert!(with(&["spam", "spam"], 5).validate().is_err());
        assert!(with(&["9lives"], 5).validate().is_err());
        assert!(with(&["spam"], 0).validate().is_err());
        assert!(with(&["spam", "fake_reviews2"], 10_000).validate().is_ok());
    }
}
