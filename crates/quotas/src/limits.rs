//! Per-tenant limits: defaults, platform overrides stored in `tenant_limits`,
//! and a short-lived cache so that changes apply within seconds everywhere.

use std::time::Duration;

use crate::schema::tenant_limits;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use moka::future::Cache;
use serde::{Deserialize, Serialize};
use warden_tenancy::{Db, DbConn, ScopedFutureExt, TenantId};

use crate::QuotaError;
use crate::gcra::Window;

/// How long cached limits are used before they are read again: a change made
/// through any replica applies everywhere within this time.
pub const LIMITS_CACHE_TTL: Duration = Duration::from_secs(2);

/// The limits in force for a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantLimits {
    /// API requests per minute.
    pub requests_per_minute: i64,
    /// API requests per hour.
    pub requests_per_hour: i64,
    /// API requests per day.
    pub requests_per_day: i64,
    /// Requests per minute of one user inside the tenant; `null` is off.
    pub user_requests_per_minute: Option<i64>,
    /// Products (not deleted).
    pub max_products: i64,
    /// Users.
    pub max_users: i64,
    /// Bytes stored: product titles and descriptions, messages, reviews.
    pub max_storage_bytes: i64,
}

impl Default for TenantLimits {
    fn default() -> Self {
        Self {
            requests_per_minute: 60,
            requests_per_hour: 1000,
            requests_per_day: 10_000,
            user_requests_per_minute: None,
            max_products: 1000,
            max_users: 100,
            max_storage_bytes: 1 << 30,
        }
    }
}

impl TenantLimits {
    /// The tenant-wide rate-limit windows.
    pub fn tenant_windows(&self) -> Vec<Window> {
        let n = |v: i64| u64::try_from(v).unwrap_or(1);
        vec![
            Window::new("minute", n(self.requests_per_minute), 60),
            Window::new("hour", n(self.requests_per_hour), 3600),
            Window::new("day", n(self.requests_per_day), 86_400),
        ]
    }

    /// The per-user window, when the tenant has one.
    pub fn user_windows(&self) -> Option<Vec<Window>> {
        self.user_requests_per_minute
            .and_then(|v| u64::try_from(v).ok())
            .map(|v| vec![Window::new("user-minute", v, 60)])
    }

    /// The per-user window of a tenant that set none: `share_percent` of the
    /// tenant's minute window (rounded up, at least one request), so that one
    /// user cannot use up the whole tenant's minute. `None` at 100 or more.
    pub fn default_user_windows(&self, share_percent: u8) -> Option<Vec<Window>> {
        if share_percent >= 100 {
            return None;
        }
        let minute = u64::try_from(self.requests_per_minute).unwrap_or(1);
        let share = (minute * u64::from(share_percent)).div_ceil(100).max(1);
        Some(vec![Window::new("user-minute", share, 60)])
    }
}

/// A platform administrator's `PUT /tenants/{id}/limits` body. Every field is
/// required; `user_requests_per_minute` may be `null` (off).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsInput {
    /// API requests per minute, 1 to 1,000,000.
    pub requests_per_minute: i64,
    /// API requests per hour, 1 to 100,000,000.
    pub requests_per_hour: i64,
    /// API requests per day, 1 to 1,000,000,000.
    pub requests_per_day: i64,
    /// Per-user requests per minute, 1 to 1,000,000, or `null` for no per-user limit.
    #[serde(default)]
    pub user_requests_per_minute: Option<i64>,
    /// Products, 0 or more.
    pub max_products: i64,
    /// Users, 0 or more.
    pub max_users: i64,
    /// Stored bytes, 0 or more.
    pub max_storage_bytes: i64,
}

impl LimitsInput {
    fn validate(&self) -> Result<(), QuotaError> {
        let in_range = |name: &str, v: i64, max: i64| {
            if (1..=max).contains(&v) {
                Ok(())
            } else {
                Err(QuotaError::invalid(format!(
                    "{name} must be between 1 and {max}"
                )))
            }
        };
        in_range("requests_per_minute", self.requests_per_minute, 1_000_000)?;
        in_range("requests_per_hour", self.requests_per_hour, 100_000_000)?;
        in_range("requests_per_day", self.requests_per_day, 1_000_000_000)?;
        if let Some(v) = self.user_requests_per_minute {
            in_range("user_requests_per_minute", v, 1_000_000)?;
        }
        for (name, v) in [
            ("max_products", self.max_products),
            ("max_users", self.max_users),
            ("max_storage_bytes", self.max_storage_bytes),
        ] {
            if v < 0 {
                return Err(QuotaError::invalid(format!("{name} must be 0 or more")));
            }
        }
        Ok(())
    }
}

/// The limits of a tenant as stored, with when they were last set.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantLimitsRecord {
    /// The limits in force.
    #[serde(flatten)]
    pub limits: TenantLimits,
    /// When a platform administrator last set them; `null` while on defaults.
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tenant_limits)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct LimitsRow {
    requests_per_minute: Option<i32>,
    requests_per_hour: Option<i32>,
    requests_per_day: Option<i32>,
    user_requests_per_minute: Option<i32>,
    max_products: Option<i64>,
    max_users: Option<i64>,
    max_storage_bytes: Option<i64>,
    updated_at: DateTime<Utc>,
}

impl LimitsRow {
    fn resolve(self, d: &TenantLimits) -> TenantLimitsRecord {
        TenantLimitsRecord {
            limits: TenantLimits {
                requests_per_minute: self
                    .requests_per_minute
                    .map_or(d.requests_per_minute, i64::from),
                requests_per_hour: self
                    .requests_per_hour
                    .map_or(d.requests_per_hour, i64::from),
                requests_per_day: self.requests_per_day.map_or(d.requests_per_day, i64::from),
                user_requests_per_minute: self.user_requests_per_minute.map(i64::from),
                max_products: self.max_products.unwrap_or(d.max_products),
                max_users: self.max_users.unwrap_or(d.max_users),
                max_storage_bytes: self.max_storage_bytes.unwrap_or(d.max_storage_bytes),
            },
            updated_at: Some(self.updated_at),
        }
    }
}

/// Reads the limits inside a running tenant transaction.
pub async fn load(
    conn: &mut DbConn,
    defaults: &TenantLimits,
) -> Result<TenantLimitsRecord, QuotaError> {
    let row: Option<LimitsRow> = tenant_limits::table
        .select(LimitsRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(row.map_or_else(
        || TenantLimitsRecord {
            limits: defaults.clone(),
            updated_at: None,
        },
        |r| r.resolve(defaults),
    ))
}

/// Limits of every tenant, cached for [`LIMITS_CACHE_TTL`].
#[derive(Clone)]
pub struct LimitsStore {
    db: Db,
    defaults: TenantLimits,
    cache: Cache<TenantId, TenantLimits>,
}

impl LimitsStore {
    /// A store over `db`, with the default limits where a tenant has none.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            defaults: TenantLimits::default(),
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(LIMITS_CACHE_TTL)
                .build(),
        }
    }

    /// The defaults applied where a tenant has no override.
    pub fn defaults(&self) -> &TenantLimits {
        &self.defaults
    }

    /// The limits in force for `tenant` (cached).
    pub async fn get(&self, tenant: TenantId) -> Result<TenantLimits, QuotaError> {
        // Concurrent misses for one tenant share a single read.
        self.cache
            .try_get_with(tenant, async { self.read(tenant).await.map(|r| r.limits) })
            .await
            .map_err(|e| match std::sync::Arc::try_unwrap(e) {
                Ok(e) => e,
                Err(shared) => QuotaError::Tenancy(warden_tenancy::TenancyError::Unavailable(
                    shared.to_string(),
                )),
            })
    }

    /// The stored limits of `tenant`, read now.
    pub async fn read(&self, tenant: TenantId) -> Result<TenantLimitsRecord, QuotaError> {
        let defaults = self.defaults.clone();
        self.db
            .tenant_tx(tenant, |conn| {
                async move { load(conn, &defaults).await }.scope_boxed()
            })
            .await
    }

    /// Replaces the limits of `tenant`; `by` (the administrator's subject) is
    /// recorded in the tenant's audit log in the same transaction.
    pub async fn put(
        &self,
        tenant: TenantId,
        input: LimitsInput,
        by: &str,
    ) -> Result<TenantLimitsRecord, QuotaError> {
        input.validate()?;
        let to_i32 = |v: i64| i32::try_from(v).map_err(|_| QuotaError::invalid("value too large"));
        let (rpm, rph, rpd) = (
            to_i32(input.requests_per_minute)?,
            to_i32(input.requests_per_hour)?,
            to_i32(input.requests_per_day)?,
        );
        let upm = input.user_requests_per_minute.map(to_i32).transpose()?;
        let defaults = self.defaults.clone();
        let by = by.to_owned();
        let record = self
            .db
            .tenant_tx(tenant, |conn| {
                async move {
                    let values = (
                        tenant_limits::requests_per_minute.eq(Some(rpm)),
                        tenant_limits::requests_per_hour.eq(Some(rph)),
                        tenant_limits::requests_per_day.eq(Some(rpd)),
                        tenant_limits::user_requests_per_minute.eq(upm),
                        tenant_limits::max_products.eq(Some(input.max_products)),
                        tenant_limits::max_users.eq(Some(input.max_users)),
                        tenant_limits::max_storage_bytes.eq(Some(input.max_storage_bytes)),
                        tenant_limits::updated_at.eq(diesel::dsl::now),
                    );
                    diesel::insert_into(tenant_limits::table)
                        .values((tenant_limits::tenant_id.eq(tenant.as_uuid()), values))
                        .on_conflict(tenant_limits::tenant_id)
                        .do_update()
                        .set(values)
                        .execute(conn)
                        .await?;
                    let record = load(conn, &defaults).await?;
                    let mut event = warden_audit::ActivityEvent::new(
                        warden_audit::Kind::Security,
                        "limits_change",
                    );
                    event.actor_subject = Some(by);
                    event.actor_roles = vec!["platform_admin".into()];
                    event.resource_type = Some("limits".into());
                    event.metadata =
                        serde_json::json!({ "event": "limits_change", "limits": record.limits });
                    warden_audit::store::record_in_tx(conn, tenant, event).await?;
                    Ok::<_, QuotaError>(record)
                }
                .scope_boxed()
            })
            .await?;
        self.cache.insert(tenant, record.limits.clone()).await;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> LimitsInput {
        LimitsInput {
            requests_per_minute: 10,
            requests_per_hour: 100,
            requests_per_day: 1000,
            user_requests_per_minute: None,
            max_products: 5,
            max_users: 5,
            max_storage_bytes: 1000,
        }
    }

    #[test]
    fn limits_out_of_range_are_refused() {
        assert!(input().validate().is_ok());
        assert!(
            LimitsInput {
                requests_per_minute: 0,
                ..input()
            }
            .validate()
            .is_err()
        );
        assert!(
            LimitsInput {
                max_products: -1,
                ..input()
            }
            .validate()
            .is_err()
        );
        assert!(
            LimitsInput {
                user_requests_per_minute: Some(0),
                ..input()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let d = TenantLimits::default();
        assert_eq!(
            (
                d.requests_per_minute,
                d.requests_per_hour,
                d.requests_per_day
            ),
            (60, 1000, 10_000)
        );
        assert_eq!(
            (d.max_products, d.max_users, d.max_storage_bytes),
            (1000, 100, 1 << 30)
        );
        assert!(d.user_windows().is_none());
    }

    #[test]
    fn the_default_user_share_is_a_rounded_up_fraction_of_the_minute() {
        let limits = |rpm| TenantLimits {
            requests_per_minute: rpm,
            ..TenantLimits::default()
        };
        let share = |rpm, pct| {
            limits(rpm)
                .default_user_windows(pct)
                .map(|w| (w[0].name, w[0].limit))
        };
        assert_eq!(share(50, 20), Some(("user-minute", 10)));
        assert_eq!(share(60, 20), Some(("user-minute", 12)));
        assert_eq!(share(3, 20), Some(("user-minute", 1)));
        assert_eq!(share(7, 50), Some(("user-minute", 4)));
        assert_eq!(share(50, 100), None);
    }
}
