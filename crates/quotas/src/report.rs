//! What a tenant's administrators read about its usage: the current report
//! (stored resources and API calls beside their limits) and the stored
//! history of API calls.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use warden_tenancy::{Actor, Db, ScopedFutureExt};

use crate::QuotaError;
use crate::limits::{LimitsStore, TenantLimits};
use crate::resources::{self, ResourceUsage};
use crate::usage::{CallCounts, Granularity, UsageBucket, UsageRecorder};

const ADMIN_ONLY: &str = "usage is for tenant administrators";

/// A used amount beside its maximum.
#[derive(Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Metered {
    /// Used now.
    pub usage: i64,
    /// Maximum.
    pub limit: i64,
}

/// API calls in the current windows beside their limits.
#[derive(Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApiCalls {
    /// This minute.
    pub minute: Metered,
    /// This hour.
    pub hour: Metered,
    /// This UTC day.
    pub day: Metered,
}

/// The tenant's usage against its quotas and limits.
#[derive(Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    /// Products (not deleted).
    pub products: Metered,
    /// Users.
    pub users: Metered,
    /// Stored bytes.
    pub storage_bytes: Metered,
    /// API calls admitted, by calendar bucket (UTC).
    pub api_calls: ApiCalls,
}

impl UsageReport {
    /// Puts what is stored and the calls made beside `limits`.
    pub fn new(limits: &TenantLimits, stored: ResourceUsage, calls: CallCounts) -> Self {
        let m = |usage, limit| Metered { usage, limit };
        Self {
            products: m(stored.products, limits.max_products),
            users: m(stored.users, limits.max_users),
            storage_bytes: m(stored.storage_bytes, limits.max_storage_bytes),
            api_calls: ApiCalls {
                minute: m(calls.minute, limits.requests_per_minute),
                hour: m(calls.hour, limits.requests_per_hour),
                day: m(calls.day, limits.requests_per_day),
            },
        }
    }
}

/// The actor's tenant's current usage against its quotas and rate limits
/// (tenant administrators).
pub async fn current(
    db: &Db,
    limits: &LimitsStore,
    usage: &UsageRecorder,
    actor: &Actor,
) -> Result<UsageReport, QuotaError> {
    actor.require_admin(ADMIN_ONLY)?;
    let tenant = actor.tenant;
    let limits = limits.get(tenant).await?;
    let stored = db
        .tenant_tx(tenant, |conn| {
            async move { resources::usage(conn, tenant).await }.scope_boxed()
        })
        .await?;
    let calls = usage.current(tenant, Utc::now()).await?;
    Ok(UsageReport::new(&limits, stored, calls))
}

/// Stored API-call buckets.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageHistory {
    /// Bucket size.
    pub granularity: Granularity,
    /// Buckets with calls, oldest first (buckets without calls are absent).
    pub buckets: Vec<UsageBucket>,
}

/// The period a history request reads; what it leaves out has defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistoryRange {
    /// Bucket size; default `hour`.
    pub granularity: Option<Granularity>,
    /// Start, inclusive; default 24 hours (hour), 2 hours (minute) or 30 days
    /// (day) before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End, exclusive; default `now`.
    pub to: Option<DateTime<Utc>>,
}

impl HistoryRange {
    /// Granularity, start and end with the defaults filled in.
    pub fn resolve(self, now: DateTime<Utc>) -> (Granularity, DateTime<Utc>, DateTime<Utc>) {
        let granularity = self.granularity.unwrap_or(Granularity::Hour);
        let to = self.to.unwrap_or(now);
        let span = match granularity {
            Granularity::Minute => TimeDelta::hours(2),
            Granularity::Hour => TimeDelta::hours(24),
            Granularity::Day => TimeDelta::days(30),
        };
        // Saturating: an embedder may pass any time chrono can hold.
        let from = self.from.unwrap_or_else(|| {
            to.checked_sub_signed(span)
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        });
        (granularity, from, to)
    }
}

/// The actor's tenant's stored API calls over `range` (tenant
/// administrators); see [`UsageRecorder::history`] for how long a range is read.
pub async fn history(
    usage: &UsageRecorder,
    actor: &Actor,
    range: HistoryRange,
) -> Result<UsageHistory, QuotaError> {
    actor.require_admin(ADMIN_ONLY)?;
    let (granularity, from, to) = range.resolve(Utc::now());
    let buckets = usage.history(actor.tenant, granularity, from, to).await?;
    Ok(UsageHistory {
        granularity,
        buckets,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;
    use warden_tenancy::{ErrorCode, Role, TenantId};

    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, h, 0, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn a_report_puts_each_amount_beside_its_own_limit() {
        let limits = TenantLimits {
            requests_per_minute: 1,
            requests_per_hour: 2,
            requests_per_day: 3,
            user_requests_per_minute: None,
            max_products: 4,
            max_users: 5,
            max_storage_bytes: 6,
        };
        let stored = ResourceUsage {
            products: 10,
            users: 20,
            storage_bytes: 30,
        };
        let calls = CallCounts {
            minute: 40,
            hour: 50,
            day: 60,
        };
        let r = UsageReport::new(&limits, stored, calls);
        let pairs = [
            &r.products,
            &r.users,
            &r.storage_bytes,
            &r.api_calls.minute,
            &r.api_calls.hour,
            &r.api_calls.day,
        ]
        .map(|m| (m.usage, m.limit));
        assert_eq!(
            pairs,
            [(10, 4), (20, 5), (30, 6), (40, 1), (50, 2), (60, 3)]
        );
    }

    #[test]
    fn a_history_range_defaults_to_a_day_of_hours_before_now() {
        let now = at(12);
        assert_eq!(
            HistoryRange::default().resolve(now),
            (Granularity::Hour, now - TimeDelta::hours(24), now)
        );
        let minutes = HistoryRange {
            granularity: Some(Granularity::Minute),
            to: Some(at(6)),
            ..HistoryRange::default()
        };
        assert_eq!(minutes.resolve(now), (Granularity::Minute, at(4), at(6)));
        let days = HistoryRange {
            granularity: Some(Granularity::Day),
            from: Some(at(1)),
            ..HistoryRange::default()
        };
        assert_eq!(days.resolve(now), (Granularity::Day, at(1), now));
    }

    #[tokio::test]
    async fn usage_is_refused_to_anyone_but_administrators() {
        // Nothing is read before the refusal: the pool never connects.
        let db = Db::connect("postgres://nobody@127.0.0.1:1/none", 1).expect("lazy pool");
        let limits = LimitsStore::new(db.clone());
        let usage = UsageRecorder::new(db.clone());
        let moderator = Actor {
            tenant: TenantId::new(Uuid::now_v7()),
            user_id: Uuid::now_v7(),
            roles: vec![Role::Moderator],
        };
        let refused = current(&db, &limits, &usage, &moderator)
            .await
            .expect_err("a moderator reads no usage");
        assert_eq!(refused.code(), ErrorCode::Forbidden);
        assert!(refused.to_string().contains(ADMIN_ONLY), "{refused}");
        let refused = history(&usage, &moderator, HistoryRange::default())
            .await
            .expect_err("nor its history");
        assert_eq!(refused.code(), ErrorCode::Forbidden);
    }
}
