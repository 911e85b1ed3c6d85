//! A tenant's trust settings: listing limits per level, the level each
//! feature needs, score weights and the thresholds of levels, the grace period
//! before a demotion.

use std::collections::BTreeMap;

use crate::schema::trust_settings;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt};

use crate::TrustError;
use crate::score::Weights;

/// The highest level.
pub const MAX_LEVEL: u8 = 3;

/// Features a level unlocks (the seed's "Feature Access by Level").
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Orders processed without the seller confirming each.
    AutomatedOrderProcessing,
    /// Taking payments.
    Payments,
    /// Today's sales figures of the store (`GET /sellers/me/analytics`).
    /// Saved settings of older versions call it `analytics`.
    #[serde(alias = "analytics")]
    BasicAnalytics,
    /// Daily series, top products and repeat buyers
    /// (`GET /sellers/me/analytics/advanced`).
    AdvancedAnalytics,
    /// Bulk listing operations.
    BulkOperations,
    /// The seller's own automation rules.
    CustomAutomationRules,
    /// API access for the seller's own systems.
    ApiAccess,
}

impl Feature {
    /// Every feature.
    pub const ALL: [Feature; 7] = [
        Feature::AutomatedOrderProcessing,
        Feature::Payments,
        Feature::BasicAnalytics,
        Feature::AdvancedAnalytics,
        Feature::BulkOperations,
        Feature::CustomAutomationRules,
        Feature::ApiAccess,
    ];

    /// Name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AutomatedOrderProcessing => "automated_order_processing",
            Self::Payments => "payments",
            Self::BasicAnalytics => "basic_analytics",
            Self::AdvancedAnalytics => "advanced_analytics",
            Self::BulkOperations => "bulk_operations",
            Self::CustomAutomationRules => "custom_automation_rules",
            Self::ApiAccess => "api_access",
        }
    }
}

/// A tenant's trust settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustSettings {
    /// Listings allowed at levels 0, 1, 2 and 3; `null` means no trust limit
    /// (the tenant's product quota still applies).
    #[schema(min_items = 4, max_items = 4)]
    pub listing_limits: [Option<u64>; 4],
    /// The level each feature needs.
    #[schema(schema_with = feature_levels)]
    pub features: BTreeMap<Feature, u8>,
    /// Score weights.
    pub weights: Weights,
    /// Lowest score of levels 1, 2 and 3 (with their verifications).
    #[schema(schema_with = thresholds)]
    pub score_thresholds: [f64; 3],
    /// Days a seller below their level's threshold has before the demotion.
    #[schema(minimum = 1, maximum = 365)]
    pub grace_days: u32,
    /// Per-user requests per minute of the owner of a high-risk store (lower
    /// than the tenant's per-user limit; 1 to 1,000,000).
    #[serde(default = "default_high_risk_rpm")]
    #[schema(minimum = 1, maximum = 1000000)]
    pub high_risk_requests_per_minute: u64,
}

/// The spec of `features`: a level from 0 to 3 for any of the features.
fn feature_levels() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    let level = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(Some(MAX_LEVEL))
    };
    Feature::ALL
        .iter()
        .fold(ObjectBuilder::new(), |o, f| o.property(f.as_str(), level()))
        .description(Some("The level each feature needs (0 to 3)."))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .build()
}

/// The spec of `score_thresholds`: three scores from 0 to 100 (each at least
/// the one before, which the spec cannot say).
fn thresholds() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .description(Some(
            "Lowest score of levels 1, 2 and 3 (with their verifications), rising.",
        ))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0))
                .maximum(Some(100)),
        )
        .min_items(Some(3))
        .max_items(Some(3))
        .build()
}

/// Per-user requests per minute of a high-risk seller unless the tenant says otherwise.
pub const DEFAULT_HIGH_RISK_RPM: u64 = 30;

fn default_high_risk_rpm() -> u64 {
    DEFAULT_HIGH_RISK_RPM
}

/// The level each feature needs unless the tenant says otherwise (the seed's
/// "Feature Access by Level").
pub const DEFAULT_FEATURE_LEVELS: [(Feature, u8); 7] = [
    (Feature::AutomatedOrderProcessing, 1),
    (Feature::Payments, 1),
    (Feature::BasicAnalytics, 1),
    (Feature::AdvancedAnalytics, 2),
    (Feature::BulkOperations, 2),
    (Feature::CustomAutomationRules, 3),
    (Feature::ApiAccess, 3),
];

impl Default for TrustSettings {
    fn default() -> Self {
        Self {
            listing_limits: [Some(5), Some(50), None, None],
            features: BTreeMap::from(DEFAULT_FEATURE_LEVELS),
            weights: Weights::default(),
            score_thresholds: [0.0, 60.0, 80.0],
            grace_days: 14,
            high_risk_requests_per_minute: DEFAULT_HIGH_RISK_RPM,
        }
    }
}

impl TrustSettings {
    /// Checks the settings, naming the first problem.
    pub fn validate(&self) -> Result<(), TrustError> {
        let invalid = |m: String| Err(TrustError::invalid(m));
        let limits: Vec<u64> = self
            .listing_limits
            .iter()
            .map(|l| l.unwrap_or(u64::MAX))
            .collect();
        if limits.windows(2).any(|w| w[0] > w[1]) {
            return invalid("listing_limits: a higher level may not allow fewer listings".into());
        }
        if let Some((f, l)) = self.features.iter().find(|(_, l)| **l > MAX_LEVEL) {
            return invalid(format!(
                "features.{}: a level from 0 to {MAX_LEVEL}, not {l}",
                f.as_str()
            ));
        }
        self.weights.validate().map_err(TrustError::invalid)?;
        let t = self.score_thresholds;
        if t.iter().any(|v| !(0.0..=100.0).contains(v)) || t[0] > t[1] || t[1] > t[2] {
            return invalid("score_thresholds: three rising scores from 0 to 100".into());
        }
        if !(1..=365).contains(&self.grace_days) {
            return invalid("grace_days: 1 to 365".into());
        }
        if !(1..=1_000_000).contains(&self.high_risk_requests_per_minute) {
            return invalid("high_risk_requests_per_minute: 1 to 1000000".into());
        }
        Ok(())
    }

    /// Listings allowed at `level` (`None`: no trust limit).
    pub fn listing_limit(&self, level: u8) -> Option<u64> {
        self.listing_limits[usize::from(level.min(MAX_LEVEL))]
    }

    /// The level `feature` needs. A feature the saved settings do not list
    /// (one added after they were saved) needs its default level, not none:
    /// a new feature is never opened to every store by omission.
    pub fn required_level(&self, feature: Feature) -> u8 {
        self.features
            .get(&feature)
            .or_else(|| {
                DEFAULT_FEATURE_LEVELS
                    .iter()
                    .find(|(f, _)| *f == feature)
                    .map(|(_, l)| l)
            })
            .copied()
            .unwrap_or(MAX_LEVEL)
    }
}

/// The tenant's settings inside a running transaction (defaults when none are saved).
pub async fn load(conn: &mut DbConn) -> Result<TrustSettings, TrustError> {
    let saved: Option<serde_json::Value> = trust_settings::table
        .select(trust_settings::config)
        .first(conn)
        .await
        .optional()?;
    Ok(match saved {
        None => TrustSettings::default(),
        Some(v) => serde_json::from_value(v).unwrap_or_else(|e| {
            tracing::error!(error = %e, "stored trust settings do not parse; using the defaults");
            TrustSettings::default()
        }),
    })
}

/// The tenant's settings (staff).
pub async fn get(db: &Db, actor: &Actor) -> Result<TrustSettings, TrustError> {
    if !actor.is_staff() {
        return Err(TrustError::forbidden("only staff may read trust settings"));
    }
    db.tenant_tx(actor.tenant, |conn| {
        async move { load(conn).await }.scope_boxed()
    })
    .await
}

/// Replaces the tenant's settings (tenant administrators), audited with the change.
pub async fn put(
    db: &Db,
    actor: &Actor,
    settings: TrustSettings,
) -> Result<TrustSettings, TrustError> {
    if !actor.is_admin() {
        return Err(TrustError::forbidden(
            "only tenant administrators may change trust settings",
        ));
    }
    settings.validate()?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let before = load(conn).await?;
            let config = serde_json::to_value(&settings).map_err(|e| TrustError::invalid(e.to_string()))?;
            diesel::insert_into(trust_settings::table)
                .values((
                    trust_settings::tenant_id.eq(actor.tenant.as_uuid()),
                    trust_settings::config.eq(&config),
                    trust_settings::updated_by.eq(actor.user_id),
                ))
                .on_conflict(trust_settings::tenant_id)
                .do_update()
                .set((
                    trust_settings::config.eq(&config),
                    trust_settings::updated_by.eq(actor.user_id),
                    trust_settings::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let mut event = ActivityEvent::new(Kind::ResourceUpdate, "trust_settings_change");
            event.actor_id = Some(actor.user_id);
            event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
            event.resource_type = Some("trust".into());
            event.metadata = serde_json::json!({ "event": "trust_settings_change", "from": before, "to": config });
            warden_audit::store::record_in_tx(conn, actor.tenant, event).await?;
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
    fn the_defaults_follow_the_seed_and_validate() {
        let s = TrustSettings::default();
        assert!(s.validate().is_ok());
        assert_eq!(s.listing_limit(0), Some(5));
        assert_eq!(s.listing_limit(1), Some(50));
        assert_eq!(s.listing_limit(3), None);
        assert_eq!(s.required_level(Feature::ApiAccess), 3);
        assert_eq!(s.required_level(Feature::BasicAnalytics), 1);
        assert_eq!(s.required_level(Feature::AdvancedAnalytics), 2);
        assert_eq!(s.features.len(), Feature::ALL.len());
    }

    #[test]
    fn the_old_analytics_key_reads_as_basic_analytics_and_unlisted_features_keep_their_default() {
        let mut saved = serde_json::to_value(TrustSettings::default()).expect("json");
        saved["features"] = serde_json::json!({"payments": 0, "analytics": 3});
        let s: TrustSettings = serde_json::from_value(saved).expect("old settings parse");
        assert_eq!(s.required_level(Feature::BasicAnalytics), 3);
        assert_eq!(s.required_level(Feature::Payments), 0);
        // Not listed: the default, never 0.
        assert_eq!(s.required_level(Feature::AdvancedAnalytics), 2);
        assert_eq!(s.required_level(Feature::ApiAccess), 3);
    }

    #[test]
    fn bad_settings_name_their_field() {
        let s = TrustSettings {
            listing_limits: [Some(10), Some(5), None, None],
            ..TrustSettings::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .starts_with("listing_limits")
        );
        let mut s = TrustSettings::default();
        s.features.insert(Feature::Payments, 7);
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .starts_with("features.payments")
        );
        let s = TrustSettings {
            score_thresholds: [50.0, 40.0, 90.0],
            ..TrustSettings::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .starts_with("score_thresholds")
        );
        let s = TrustSettings {
            grace_days: 0,
            ..TrustSettings::default()
        };
        assert!(s.validate().is_err());
    }
}
