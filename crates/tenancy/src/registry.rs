//! The tenant registry: create, read, list and change tenants, with a short-lived
//! cache that the request path uses to check a tenant exists and is active.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use moka::sync::Cache;
use scoped_futures::ScopedFutureExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::tenants;
use crate::{Db, TenancyError, TenantId};

/// How long a looked-up tenant is trusted before it is read again. A status
/// change made on another replica takes effect within this time.
pub const TENANT_CACHE_TTL: Duration = Duration::from_secs(5);

/// Whether a tenant may use the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Serving requests.
    Active,
    /// Refused on every tenant route.
    Suspended,
}

impl TenantStatus {
    /// The stored text.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    fn parse(s: &str) -> Self {
        // The column's CHECK constraint admits only these two values.
        if s == "suspended" {
            Self::Suspended
        } else {
            Self::Active
        }
    }
}

/// A tenant.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tenant {
    /// Tenant id; clients send it as `X-Tenant-ID`.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Whether it is active.
    pub status: TenantStatus,
    /// Free-form settings object.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tenants)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct TenantRow {
    id: Uuid,
    name: String,
    status: String,
    settings: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            status: TenantStatus::parse(&r.status),
            settings: r.settings,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// What a new tenant needs.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// Display name, 1 to 200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    /// Optional settings object.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

/// A change to a tenant; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    /// New display name.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: Option<String>,
    /// New status.
    pub status: Option<TenantStatus>,
    /// Replacement settings object.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

fn validate_name(name: &str) -> Result<String, TenancyError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > 200 {
        return Err(TenancyError::invalid("name must be 1 to 200 characters"));
    }
    // The same characters content refuses (tab and line breaks aside, which a
    // name has no use for either): PostgreSQL cannot store a NUL at all.
    if name.chars().any(char::is_control) {
        return Err(TenancyError::invalid(
            "name must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

fn validate_settings(settings: &serde_json::Value) -> Result<(), TenancyError> {
    if settings.is_object() {
        Ok(())
    } else {
        Err(TenancyError::invalid("settings must be a JSON object"))
    }
}

/// The tenant registry.
#[derive(Clone)]
pub struct TenantRegistry {
    db: Db,
    cache: Cache<TenantId, Tenant>,
}

impl TenantRegistry {
    /// A registry over `db`.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(TENANT_CACHE_TTL)
                .build(),
        }
    }

    /// Creates a tenant.
    pub async fn create(&self, new: NewTenant) -> Result<Tenant, TenancyError> {
        let name = validate_name(&new.name)?;
        let settings = new.settings.unwrap_or_else(|| serde_json::json!({}));
        validate_settings(&settings)?;
        let id = Uuid::now_v7();
        let tenant: Tenant = self
            .db
            .platform_tx(|conn| {
                async move {
                    diesel::insert_into(tenants::table)
                        .values((
                            tenants::id.eq(id),
                            tenants::name.eq(name),
                            tenants::settings.eq(settings),
                        ))
                        .returning(TenantRow::as_returning())
                        .get_result(conn)
                        .await
                        .map(Tenant::from)
                        .map_err(TenancyError::from)
                }
                .scope_boxed()
            })
            .await?;
        let id = TenantId::new(tenant.id);
        self.cache.insert(id, tenant.clone());
        Ok(tenant)
    }

    /// Reads a tenant from the database.
    pub async fn get(&self, id: TenantId) -> Result<Tenant, TenancyError> {
        let tenant: Tenant = self
            .db
            .platform_tx(|conn| {
                async move {
                    tenants::table
                        .find(id.as_uuid())
                        .select(TenantRow::as_select())
                        .first(conn)
                        .await
                        .optional()
                        .map_err(TenancyError::from)?
                        .map(Tenant::from)
                        .ok_or(TenancyError::TenantNotFound)
                }
                .scope_boxed()
            })
            .await?;
        self.cache.insert(id, tenant.clone());
        Ok(tenant)
    }

    /// Looks a tenant up through the cache (at most `TENANT_CACHE_TTL`, 5 s, old).
    pub async fn lookup(&self, id: TenantId) -> Result<Tenant, TenancyError> {
        if let Some(t) = self.cache.get(&id) {
            return Ok(t);
        }
        self.get(id).await
    }

    /// Lists tenants, newest first.
    pub async fn list(&self, page: PageRequest) -> Result<Page<Tenant>, TenancyError> {
        let rows: Vec<TenantRow> = self
            .db
            .platform_tx(|conn| {
                async move {
                    let mut q = tenants::table
                        .select(TenantRow::as_select())
                        .order(tenants::id.desc())
                        .limit(page.fetch())
                        .into_boxed();
                    if let Some(after) = page.after {
                        q = q.filter(tenants::id.lt(after));
                    }
                    q.load(conn).await.map_err(TenancyError::from)
                }
                .scope_boxed()
            })
            .await?;
        Ok(page.page(rows, |r| r.id).map(Tenant::from))
    }

    /// Changes a tenant's name, status or settings.
    pub async fn update(&self, id: TenantId, patch: TenantPatch) -> Result<Tenant, TenancyError> {
        self.update_with(id, patch, |_, _, _| async { Ok(()) }.scope_boxed())
            .await
    }

    /// Like [`Self::update`], and runs `record` in the same transaction, with
    /// the tenant's context set, given the tenant before and after the change:
    /// the change and its audit row commit or roll back together.
    pub async fn update_with<E, F>(
        &self,
        id: TenantId,
        patch: TenantPatch,
        record: F,
    ) -> Result<Tenant, E>
    where
        E: From<TenancyError> + From<diesel::result::Error> + Send,
        F: for<'r> FnOnce(
                &'r mut crate::DbConn,
                Tenant,
                Tenant,
            ) -> scoped_futures::ScopedBoxFuture<'r, 'r, Result<(), E>>
            + Send,
    {
        let name = patch.name.as_deref().map(validate_name).transpose()?;
        if let Some(s) = &patch.settings {
            validate_settings(s)?;
        }
        let status = patch.status.map(|s| s.as_str());
        let settings = patch.settings;
        let tenant: Tenant = self
            .db
            .platform_tx(|conn| {
                async move {
                    let before: Tenant = tenants::table
                        .find(id.as_uuid())
                        .select(TenantRow::as_select())
                        // Not FOR UPDATE: that would wait for every writer
                        // holding the tenant FOR KEY SHARE (the log's check).
                        .for_no_key_update()
                        .get_result(conn)
                        .await
                        .optional()?
                        .map(Tenant::from)
                        .ok_or(TenancyError::TenantNotFound)?;
                    let after: Tenant = diesel::update(tenants::table.find(id.as_uuid()))
                        .set((
                            name.map(|n| tenants::name.eq(n)),
                            status.map(|s| tenants::status.eq(s)),
                            settings.map(|s| tenants::settings.eq(s)),
                            tenants::updated_at.eq(diesel::dsl::now),
                        ))
                        .returning(TenantRow::as_returning())
                        .get_result(conn)
                        .await
                        .map(Tenant::from)?;
                    diesel::sql_query("SELECT set_config('app.tenant_id', $1, true)")
                        .bind::<diesel::sql_types::Text, _>(id.as_uuid().to_string())
                        .execute(conn)
                        .await?;
                    record(conn, before, after.clone()).await?;
                    Ok::<_, E>(after)
                }
                .scope_boxed()
            })
            .await?;
        self.cache.insert(id, tenant.clone());
        Ok(tenant)
    }
}

/// The name of `tenant`, read inside the caller's transaction (signatures of
/// its mail, for instance); `None` when there is no such tenant.
pub async fn tenant_name(
    conn: &mut crate::DbConn,
    tenant: TenantId,
) -> Result<Option<String>, TenancyError> {
    Ok(tenants::table
        .find(tenant.as_uuid())
        .select(tenants::name)
        .first::<String>(conn)
        .await
        .optional()?)
}
