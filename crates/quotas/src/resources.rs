//! Resource quotas: products, users and stored bytes per tenant.
//!
//! Counters live in `tenant_usage` and change in the same transaction as the
//! write they count, right after it. The `UPDATE` that charges a write locks the tenant's
//! counter row, so concurrent creates queue behind each other and the check
//! sees every committed charge: a quota cannot be overshot by a race. If the
//! check fails, the error rolls the whole transaction back, charge included.

use crate::schema::tenant_usage;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use warden_tenancy::{Db, DbConn, ScopedFutureExt, TenantId};

use crate::QuotaError;
use crate::limits::{self, TenantLimits};

/// A change to a tenant's stored resources.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceDelta {
    /// Products added (negative: removed).
    pub products: i64,
    /// Users added.
    pub users: i64,
    /// Bytes added (negative: freed).
    pub storage_bytes: i64,
}

impl ResourceDelta {
    /// One more product of `bytes` bytes.
    pub fn product(bytes: i64) -> Self {
        Self {
            products: 1,
            storage_bytes: bytes,
            ..Self::default()
        }
    }

    /// One more user.
    pub fn user() -> Self {
        Self {
            users: 1,
            ..Self::default()
        }
    }

    /// `bytes` more stored bytes (negative frees).
    pub fn bytes(bytes: i64) -> Self {
        Self {
            storage_bytes: bytes,
            ..Self::default()
        }
    }
}

/// What a tenant stores now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema, Queryable)]
pub struct ResourceUsage {
    /// Products (not deleted).
    pub products: i64,
    /// Users.
    pub users: i64,
    /// Bytes stored.
    pub storage_bytes: i64,
}

/// Creates a new tenant's counter row: it stores nothing yet, so its counters
/// start at zero. Best effort: were this to fail, the first charge builds the
/// row by counting (`ensure_row`), so a failure is only logged.
pub async fn start_counters(db: &Db, tenant: TenantId) {
    let counters = db
        .tenant_tx(tenant, |conn| {
            async move {
                diesel::insert_into(tenant_usage::table)
                    .values(tenant_usage::tenant_id.eq(tenant.as_uuid()))
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await
                    .map_err(QuotaError::from)
            }
            .scope_boxed()
        })
        .await;
    if let Err(e) = counters {
        tracing::warn!(tenant = %tenant, error = %e, "could not create the quota counters");
    }
}

/// Creates the tenant's counter row from what it stores now, if missing, and
/// says whether it did. Tenants get their row when they are created, so this
/// only runs for tenants older than quotas. Runs inside a tenant transaction,
/// so row-level security scopes the counts.
async fn ensure_row(conn: &mut DbConn, tenant: TenantId) -> Result<bool, QuotaError> {
    // The NOT EXISTS keeps the counting sub-selects from running once the row exists.
    let created = diesel::sql_query(
        "INSERT INTO tenant_usage (tenant_id, products, users, storage_bytes)
         SELECT $1,
                (SELECT count(*) FROM products WHERE status <> 'deleted'),
                (SELECT count(*) FROM users WHERE NOT ('platform_admin' = ANY (roles))),
                (SELECT coalesce(sum(storage_bytes), 0) FROM products WHERE status <> 'deleted')
                  + (SELECT coalesce(sum(octet_length(subject)), 0) FROM conversations)
                  + (SELECT coalesce(sum(octet_length(body)), 0) FROM messages)
                  + (SELECT coalesce(sum(octet_length(body)), 0) FROM reviews)
         WHERE NOT EXISTS (SELECT FROM tenant_usage WHERE tenant_id = $1)
         ON CONFLICT (tenant_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .execute(conn)
    .await?;
    Ok(created > 0)
}

/// Reads the tenant's usage (inside a tenant transaction).
pub async fn usage(conn: &mut DbConn, tenant: TenantId) -> Result<ResourceUsage, QuotaError> {
    ensure_row(conn, tenant).await?;
    Ok(tenant_usage::table
        .filter(tenant_usage::tenant_id.eq(tenant.as_uuid()))
        .select((
            tenant_usage::products,
            tenant_usage::users,
            tenant_usage::storage_bytes,
        ))
        .first(conn)
        .await?)
}

/// Charges `delta` to the tenant and refuses it when a growing resource passes
/// its maximum. Call inside the tenant transaction of the write, **after** the
/// write, as late as possible (the counter row stays locked until commit); on
/// `Err` the caller returns the error and everything rolls back.
pub async fn charge(
    conn: &mut DbConn,
    tenant: TenantId,
    delta: ResourceDelta,
) -> Result<ResourceUsage, QuotaError> {
    // A freshly built row already counts the write just made.
    let applied = if ensure_row(conn, tenant).await? {
        ResourceDelta::default()
    } else {
        delta
    };
    let after: ResourceUsage = diesel::sql_query(
        "UPDATE tenant_usage
            SET products = GREATEST(products + $1, 0),
                users = GREATEST(users + $2, 0),
                storage_bytes = GREATEST(storage_bytes + $3, 0),
                updated_at = now()
          WHERE tenant_id = $4
          RETURNING products, users, storage_bytes",
    )
    .bind::<BigInt, _>(applied.products)
    .bind::<BigInt, _>(applied.users)
    .bind::<BigInt, _>(applied.storage_bytes)
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .get_result::<UsageRow>(conn)
    .await?
    .into();
    if delta.products <= 0 && delta.users <= 0 && delta.storage_bytes <= 0 {
        return Ok(after);
    }
    let limits = limits::load(conn, &TenantLimits::default()).await?.limits;
    for (quota, d, now, max) in [
        (
            "products",
            delta.products,
            after.products,
            limits.max_products,
        ),
        ("users", delta.users, after.users, limits.max_users),
        (
            "storage_bytes",
            delta.storage_bytes,
            after.storage_bytes,
            limits.max_storage_bytes,
        ),
    ] {
        if d > 0 && now > max {
            return Err(QuotaError::QuotaExceeded {
                quota,
                usage: now - d,
                limit: max,
                requested: d,
            });
        }
    }
    Ok(after)
}

#[derive(QueryableByName)]
struct UsageRow {
    #[diesel(sql_type = BigInt)]
    products: i64,
    #[diesel(sql_type = BigInt)]
    users: i64,
    #[diesel(sql_type = BigInt)]
    storage_bytes: i64,
}

impl From<UsageRow> for ResourceUsage {
    fn from(r: UsageRow) -> Self {
        Self {
            products: r.products,
            users: r.users,
            storage_bytes: r.storage_bytes,
        }
    }
}
