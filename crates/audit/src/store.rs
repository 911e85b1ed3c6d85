//! The `activity_log` table: batch inserts, audit rows written inside a
//! domain transaction, queries, partition maintenance.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::schema::{activity_log, platform_activity_log};
use warden_tenancy::{Db, DbConn, Page, PageRequest, ScopedFutureExt, TenantId};

use crate::AuditError;
use crate::event::{ActivityEvent, Kind};
use crate::hub::{self, Topic};

/// Rows per INSERT statement (21 columns: well under PostgreSQL's 65,535 parameters).
const ROWS_PER_STATEMENT: usize = 1000;

#[derive(Insertable)]
#[diesel(table_name = activity_log)]
struct NewActivity {
    tenant_id: Uuid,
    id: Uuid,
    occurred_at: DateTime<Utc>,
    request_id: Option<String>,
    actor_id: Option<Uuid>,
    actor_subject: Option<String>,
    actor_roles: Vec<String>,
    kind: &'static str,
    action: String,
    method: Option<String>,
    route: Option<String>,
    path: Option<String>,
    status: Option<i16>,
    latency_us: Option<i64>,
    bytes_in: Option<i64>,
    bytes_out: Option<i64>,
    client_ip: Option<String>,
    user_agent: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    metadata: serde_json::Value,
}

#[derive(Insertable)]
#[diesel(table_name = platform_activity_log)]
struct NewPlatformActivity {
    id: Uuid,
    occurred_at: DateTime<Utc>,
    request_id: Option<String>,
    claimed_tenant: Option<String>,
    actor_subject: Option<String>,
    actor_roles: Vec<String>,
    kind: &'static str,
    action: String,
    method: Option<String>,
    route: Option<String>,
    path: Option<String>,
    status: Option<i16>,
    latency_us: Option<i64>,
    bytes_in: Option<i64>,
    bytes_out: Option<i64>,
    client_ip: Option<String>,
    user_agent: Option<String>,
    metadata: serde_json::Value,
}

fn status(s: Option<u16>) -> Option<i16> {
    s.and_then(|v| i16::try_from(v).ok())
}

fn tenant_row(tenant: TenantId, e: ActivityEvent) -> NewActivity {
    NewActivity {
        tenant_id: tenant.as_uuid(),
        id: e.id,
        occurred_at: e.occurred_at,
        request_id: e.request_id,
        actor_id: e.actor_id,
        actor_subject: e.actor_subject,
        actor_roles: e.actor_roles,
        kind: e.kind.unwrap_or(Kind::ApiCall).as_str(),
        action: e.action,
        method: e.method,
        route: e.route,
        path: e.path,
        status: status(e.status),
        latency_us: e.latency_us,
        bytes_in: e.bytes_in,
        bytes_out: e.bytes_out,
        client_ip: e.client_ip,
        user_agent: e.user_agent,
        resource_type: e.resource_type,
        resource_id: e.resource_id,
        metadata: e.metadata,
    }
}

fn platform_row(e: ActivityEvent) -> NewPlatformActivity {
    NewPlatformActivity {
        id: e.id,
        occurred_at: e.occurred_at,
        request_id: e.request_id,
        claimed_tenant: e.claimed_tenant,
        actor_subject: e.actor_subject,
        actor_roles: e.actor_roles,
        kind: e.kind.unwrap_or(Kind::ApiCall).as_str(),
        action: e.action,
        method: e.method,
        route: e.route,
        path: e.path,
        status: status(e.status),
        latency_us: e.latency_us,
        bytes_in: e.bytes_in,
        bytes_out: e.bytes_out,
        client_ip: e.client_ip,
        user_agent: e.user_agent,
        metadata: e.metadata,
    }
}

/// Writes a batch: tenant events in one transaction (the tenant context set
/// per group) that also announces them to every replica's hub on commit;
/// platform events in another.
pub async fn insert_batch(db: &Db, events: Vec<ActivityEvent>) -> Result<(), AuditError> {
    let mut by_tenant: std::collections::BTreeMap<TenantId, Vec<NewActivity>> = Default::default();
    let mut platform = Vec::new();
    for e in events {
        match e.tenant {
            Some(t) => by_tenant.entry(t).or_default().push(tenant_row(t, e)),
            None => platform.push(platform_row(e)),
        }
    }
    if !by_tenant.is_empty() {
        let groups: Vec<(TenantId, Vec<NewActivity>)> = by_tenant.into_iter().collect();
        db.batch_tx(groups, |conn, rows| {
            async move {
                let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                let tenant = <[NewActivity]>::first(&rows).map(|r| r.tenant_id);
                insert_unnest(conn, rows).await?;
                if let Some(t) = tenant {
                    hub::announce_stored(conn, TenantId::new(t), Topic::Activity, &ids).await?;
                }
                Ok::<_, AuditError>(())
            }
            .scope_boxed()
        })
        .await?;
    }
    if !platform.is_empty() {
        db.platform_tx(|conn| {
            async move {
                let mut rows = platform;
                while !rows.is_empty() {
                    let rest = rows.split_off(rows.len().min(ROWS_PER_STATEMENT));
                    diesel::insert_into(platform_activity_log::table)
                        .values(&rows)
                        .on_conflict_do_nothing()
                        .execute(conn)
                        .await?;
                    rows = rest;
                }
                Ok::<_, AuditError>(())
            }
            .scope_boxed()
        })
        .await?;
    }
    Ok(())
}

/// Inserts rows as one statement over arrays (`INSERT … SELECT FROM unnest`):
/// 21 parameters however many rows, instead of 21 per row, which is what makes
/// batches cheap to send, parse and plan.
async fn insert_unnest(conn: &mut DbConn, rows: Vec<NewActivity>) -> Result<(), AuditError> {
    use diesel::sql_types::{
        Array, BigInt, Jsonb, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid,
    };
    let n = rows.len();
    let mut c = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for r in rows {
        c.0.push(r.tenant_id);
        c.1.push(r.id);
        c.2.push(r.occurred_at);
        c.3.push(r.request_id);
        c.4.push(r.actor_id);
        c.5.push(r.actor_subject);
        // Arrays of arrays must be rectangular; roles travel as one string each.
        c.6.push(r.actor_roles.join(","));
        c.7.push(r.kind.to_owned());
        c.8.push(r.action);
        c.9.push(r.method);
        c.10.push(r.route);
        c.11.push(r.path);
        c.12.push(r.status);
        c.13.push(r.latency_us);
        c.14.push(r.bytes_in);
        c.15.push(r.bytes_out);
        c.16.push(r.client_ip);
        c.17.push(r.user_agent);
        c.18.push(r.resource_type);
        c.19.push(r.resource_id);
        c.20.push(r.metadata);
    }
    diesel::sql_query(
        "INSERT INTO activity_log (tenant_id, id, occurred_at, request_id, actor_id, actor_subject, actor_roles,
             kind, action, method, route, path, status, latency_us, bytes_in, bytes_out, client_ip, user_agent,
             resource_type, resource_id, metadata)
         SELECT t, i, o, rq, a, s, coalesce(string_to_array(NULLIF(rl, ''), ','), '{}'), k, ac, m, ro, p, st, l, bi, bo, ip, ua, rt, ri, md
         FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
           AS u(t, i, o, rq, a, s, rl, k, ac, m, ro, p, st, l, bi, bo, ip, ua, rt, ri, md)
         ON CONFLICT DO NOTHING",
    )
    .bind::<Array<SqlUuid>, _>(c.0)
    .bind::<Array<SqlUuid>, _>(c.1)
    .bind::<Array<Timestamptz>, _>(c.2)
    .bind::<Array<Nullable<Text>>, _>(c.3)
    .bind::<Array<Nullable<SqlUuid>>, _>(c.4)
    .bind::<Array<Nullable<Text>>, _>(c.5)
    .bind::<Array<Text>, _>(c.6)
    .bind::<Array<Text>, _>(c.7)
    .bind::<Array<Text>, _>(c.8)
    .bind::<Array<Nullable<Text>>, _>(c.9)
    .bind::<Array<Nullable<Text>>, _>(c.10)
    .bind::<Array<Nullable<Text>>, _>(c.11)
    .bind::<Array<Nullable<SmallInt>>, _>(c.12)
    .bind::<Array<Nullable<BigInt>>, _>(c.13)
    .bind::<Array<Nullable<BigInt>>, _>(c.14)
    .bind::<Array<Nullable<BigInt>>, _>(c.15)
    .bind::<Array<Nullable<Text>>, _>(c.16)
    .bind::<Array<Nullable<Text>>, _>(c.17)
    .bind::<Array<Nullable<Text>>, _>(c.18)
    .bind::<Array<Nullable<Text>>, _>(c.19)
    .bind::<Array<Jsonb>, _>(c.20)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes an audit row inside the caller's running tenant transaction, so the
/// change and its record commit or roll back together (role and status
/// changes, limit changes, sanctions).
pub async fn record_in_tx(
    conn: &mut DbConn,
    tenant: TenantId,
    mut event: ActivityEvent,
) -> Result<(), AuditError> {
    event.tenant = Some(tenant);
    let id = event.id;
    diesel::insert_into(activity_log::table)
        .values(tenant_row(tenant, event))
        .execute(conn)
        .await?;
    hub::announce_stored(conn, tenant, Topic::Activity, &[id]).await
}

/// An activity-log row as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = activity_log)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ActivityRecord {
    /// Event id.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Request id.
    pub request_id: Option<String>,
    /// Acting user.
    pub actor_id: Option<Uuid>,
    /// Token subject.
    pub actor_subject: Option<String>,
    /// Token roles.
    pub actor_roles: Vec<String>,
    /// Kind: auth, resource_create, resource_update, resource_delete, api_call, system, security.
    pub kind: String,
    /// What happened.
    pub action: String,
    /// HTTP method.
    pub method: Option<String>,
    /// Route template.
    pub route: Option<String>,
    /// Path.
    pub path: Option<String>,
    /// Status.
    pub status: Option<i16>,
    /// Latency in microseconds.
    pub latency_us: Option<i64>,
    /// Request bytes.
    pub bytes_in: Option<i64>,
    /// Response bytes.
    pub bytes_out: Option<i64>,
    /// Client address.
    pub client_ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Resource type.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Details.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
}

/// Filters of the audit query.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Acting user.
    pub actor_id: Option<Uuid>,
    /// Kind.
    pub kind: Option<Kind>,
    /// Resource type.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Response status.
    pub status: Option<i16>,
    /// From (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// To (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// Loads events of `tenant` by id, in id order (inside a tenant transaction).
pub async fn load(conn: &mut DbConn, ids: &[Uuid]) -> Result<Vec<ActivityRecord>, AuditError> {
    Ok(activity_log::table
        .filter(activity_log::id.eq_any(ids))
        .select(ActivityRecord::as_select())
        .order(activity_log::id.asc())
        .load(conn)
        .await?)
}

/// Lists a tenant's events, newest first.
pub async fn list(
    db: &Db,
    tenant: TenantId,
    filter: AuditFilter,
    page: PageRequest,
) -> Result<Page<ActivityRecord>, AuditError> {
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(AuditError::Invalid("from must be before to".into()));
    }
    let rows = db
        .tenant_tx(tenant, |conn| {
            async move {
                let mut q = activity_log::table
                    .select(ActivityRecord::as_select())
                    .filter(activity_log::tenant_id.eq(tenant.as_uuid()))
                    .order(activity_log::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(activity_log::id.lt(after));
                }
                if let Some(a) = filter.actor_id {
                    q = q.filter(activity_log::actor_id.eq(a));
                }
                if let Some(k) = filter.kind {
                    q = q.filter(activity_log::kind.eq(k.as_str()));
                }
                if let Some(t) = filter.resource_type {
                    q = q.filter(activity_log::resource_type.eq(t));
                }
                if let Some(r) = filter.resource_id {
                    q = q.filter(activity_log::resource_id.eq(r));
                }
                if let Some(s) = filter.status {
                    q = q.filter(activity_log::status.eq(s));
                }
                if let Some(f) = filter.from {
                    q = q.filter(activity_log::occurred_at.ge(f));
                }
                if let Some(t) = filter.to {
                    q = q.filter(activity_log::occurred_at.lt(t));
                }
                Ok::<_, AuditError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |r: &ActivityRecord| r.id))
}

/// Creates the partitions for the next `days_ahead` days and drops those older
/// than `retention_days`; returns the partitions created.
pub async fn maintain(db: &Db, days_ahead: i32, retention_days: i32) -> Result<i32, AuditError> {
    #[derive(QueryableByName)]
    struct Created {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        created: i32,
    }
    db.platform_tx(|conn| {
        async move {
            let r: Created = diesel::sql_query("SELECT activity_log_maintain($1, $2) AS created")
                .bind::<diesel::sql_types::Integer, _>(days_ahead)
                .bind::<diesel::sql_types::Integer, _>(retention_days)
                .get_result(conn)
                .await?;
            Ok::<_, AuditError>(r.created)
        }
        .scope_boxed()
    })
    .await
}
