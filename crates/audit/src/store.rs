//! The `activity_log` table: batch inserts, audit rows written inside a
//! domain transaction, queries, partition maintenance.

use crate::schema::{activity_log, platform_activity_log};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{Db, DbConn, Page, PageRequest, ScopedFutureExt, TenantId};

use crate::AuditError;
use crate::event::{ActivityEvent, Kind};
use crate::hub::{self, Topic};

/// Rows per INSERT statement (22 columns: well under PostgreSQL's 65,535 parameters).
const ROWS_PER_STATEMENT: usize = 1000;

#[derive(Insertable)]
#[diesel(table_name = platform_activity_log)]
struct NewPlatformActivity {
    id: Uuid,
    occurred_at: DateTime<Utc>,
    request_id: Option<String>,
    client_request_id: Option<String>,
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

fn platform_row(e: ActivityEvent) -> NewPlatformActivity {
    NewPlatformActivity {
        id: e.id,
        occurred_at: e.occurred_at,
        request_id: e.request_id,
        client_request_id: e.client_request_id,
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

/// Writes a batch. Tenant events go in one transaction through
/// `activity_log_ingest` (one round trip: the function sets each tenant's
/// context transaction-locally and inserts that tenant's rows, so row-level
/// security checks every row) and are announced to every replica's hub on
/// commit; platform events go in another transaction.
///
/// `skip_existing` ignores rows already stored: for retries after a failure
/// that may have happened after the commit.
pub async fn insert_batch(
    db: &Db,
    events: &[ActivityEvent],
    skip_existing: bool,
) -> Result<(), AuditError> {
    let mut tenant_events: Vec<(TenantId, &ActivityEvent)> = events
        .iter()
        .filter_map(|e| e.tenant.map(|t| (t, e)))
        .collect();
    if !tenant_events.is_empty() {
        // Stable: each tenant's events keep their order.
        tenant_events.sort_by_key(|(t, _)| *t);
        let groups = tenant_events
            .chunk_by(|x, y| x.0 == y.0)
            .map(Columns::new)
            .collect::<Result<Vec<_>, _>>()?;
        db.platform_tx(|conn| {
            async move { ingest(conn, groups, skip_existing).await }.scope_boxed()
        })
        .await?;
    }
    let platform: Vec<NewPlatformActivity> = events
        .iter()
        .filter(|e| e.tenant.is_none())
        .map(|e| platform_row(e.clone()))
        .collect();
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

/// Stores tenant events in one statement: `activity_log_ingest` once per
/// tenant, each call setting its tenant's context transaction-locally before
/// it inserts, so row-level security checks every row. Must run in a
/// transaction: the tenant context lasts until it ends.
async fn ingest(
    conn: &mut DbConn,
    groups: Vec<Columns<'_>>,
    skip_existing: bool,
) -> Result<(), AuditError> {
    let mut groups = groups;
    while groups.len() > CALLS_PER_STATEMENT {
        let rest = groups.split_off(CALLS_PER_STATEMENT);
        ingest_statement(conn, groups, skip_existing).await?;
        groups = rest;
    }
    ingest_statement(conn, groups, skip_existing).await
}

/// One statement of up to [`CALLS_PER_STATEMENT`] calls.
async fn ingest_statement(
    conn: &mut DbConn,
    groups: Vec<Columns<'_>>,
    skip_existing: bool,
) -> Result<(), AuditError> {
    use diesel::sql_types::{
        Array, BigInt, Bool, Jsonb, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid,
    };
    if groups.is_empty() {
        return Ok(());
    }
    let calls: Vec<String> = (0..groups.len())
        .map(|g| {
            let params: Vec<String> = (1..=PARAMS_PER_CALL)
                .map(|p| format!("${}", g * PARAMS_PER_CALL + p))
                .collect();
            format!("activity_log_ingest({})", params.join(", "))
        })
        .collect();
    let mut query = diesel::sql_query(format!("SELECT {}", calls.join(", "))).into_boxed();
    for c in groups {
        query = query
            .bind::<SqlUuid, _>(c.tenant)
            .bind::<Bool, _>(skip_existing)
            .bind::<Array<Text>, _>(c.notices)
            .bind::<Array<SqlUuid>, _>(c.id)
            .bind::<Array<Timestamptz>, _>(c.occurred_at)
            .bind::<Array<Nullable<Text>>, _>(c.request_id)
            .bind::<Array<Nullable<Text>>, _>(c.client_request_id)
            .bind::<Array<Nullable<SqlUuid>>, _>(c.actor_id)
            .bind::<Array<Nullable<Text>>, _>(c.actor_subject)
            .bind::<Array<Text>, _>(c.actor_roles)
            .bind::<Array<Text>, _>(c.kind)
            .bind::<Array<Text>, _>(c.action)
            .bind::<Array<Nullable<Text>>, _>(c.method)
            .bind::<Array<Nullable<Text>>, _>(c.route)
            .bind::<Array<Nullable<Text>>, _>(c.path)
            .bind::<Array<Nullable<SmallInt>>, _>(c.status)
            .bind::<Array<Nullable<BigInt>>, _>(c.latency_us)
            .bind::<Array<Nullable<BigInt>>, _>(c.bytes_in)
            .bind::<Array<Nullable<BigInt>>, _>(c.bytes_out)
            .bind::<Array<Nullable<Text>>, _>(c.client_ip)
            .bind::<Array<Nullable<Text>>, _>(c.user_agent)
            .bind::<Array<Nullable<Text>>, _>(c.resource_type)
            .bind::<Array<Nullable<Text>>, _>(c.resource_id)
            .bind::<Array<Jsonb>, _>(c.metadata);
    }
    query.execute(conn).await?;
    Ok(())
}

/// A text value as stored: PostgreSQL cannot keep NUL characters in text,
/// so they become U+FFFD instead of failing the whole batch.
type DbText<'e> = std::borrow::Cow<'e, str>;

fn text(s: &str) -> DbText<'_> {
    if s.contains('\0') {
        DbText::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        DbText::Borrowed(s)
    }
}

/// Parameters of one `activity_log_ingest` call.
const PARAMS_PER_CALL: usize = 24;
/// Tenants per statement: well under PostgreSQL's 65,535 parameters.
const CALLS_PER_STATEMENT: usize = 1000;

/// One tenant's events as column arrays, borrowed from the events: 24
/// parameters however many rows, instead of 22 per row, which is what makes
/// batches cheap to send, parse and plan.
struct Columns<'e> {
    tenant: Uuid,
    notices: Vec<String>,
    id: Vec<Uuid>,
    occurred_at: Vec<DateTime<Utc>>,
    request_id: Vec<Option<DbText<'e>>>,
    client_request_id: Vec<Option<DbText<'e>>>,
    actor_id: Vec<Option<Uuid>>,
    actor_subject: Vec<Option<DbText<'e>>>,
    // Arrays of arrays must be rectangular; roles travel as one string each.
    actor_roles: Vec<String>,
    kind: Vec<&'static str>,
    action: Vec<DbText<'e>>,
    method: Vec<Option<DbText<'e>>>,
    route: Vec<Option<DbText<'e>>>,
    path: Vec<Option<DbText<'e>>>,
    status: Vec<Option<i16>>,
    latency_us: Vec<Option<i64>>,
    bytes_in: Vec<Option<i64>>,
    bytes_out: Vec<Option<i64>>,
    client_ip: Vec<Option<DbText<'e>>>,
    user_agent: Vec<Option<DbText<'e>>>,
    resource_type: Vec<Option<DbText<'e>>>,
    resource_id: Vec<Option<DbText<'e>>>,
    metadata: Vec<&'e serde_json::Value>,
}

impl<'e> Columns<'e> {
    /// `group` holds one tenant's events.
    fn new(group: &[(TenantId, &'e ActivityEvent)]) -> Result<Self, AuditError> {
        let tenant = group
            .first()
            .map(|(t, _)| *t)
            .ok_or_else(|| AuditError::invalid("empty tenant group"))?;
        let events = || group.iter().map(|(_, e)| *e);
        let ids: Vec<Uuid> = events().map(|e| e.id).collect();
        Ok(Columns {
            tenant: tenant.as_uuid(),
            notices: hub::stored_notices(tenant, Topic::Activity, &ids)?,
            id: ids,
            occurred_at: events().map(|e| e.occurred_at).collect(),
            request_id: events()
                .map(|e| e.request_id.as_deref().map(text))
                .collect(),
            client_request_id: events()
                .map(|e| e.client_request_id.as_deref().map(text))
                .collect(),
            actor_id: events().map(|e| e.actor_id).collect(),
            actor_subject: events()
                .map(|e| e.actor_subject.as_deref().map(text))
                .collect(),
            actor_roles: events().map(|e| e.actor_roles.join(",")).collect(),
            kind: events()
                .map(|e| e.kind.unwrap_or(Kind::ApiCall).as_str())
                .collect(),
            action: events().map(|e| text(&e.action)).collect(),
            method: events().map(|e| e.method.as_deref().map(text)).collect(),
            route: events().map(|e| e.route.as_deref().map(text)).collect(),
            path: events().map(|e| e.path.as_deref().map(text)).collect(),
            status: events().map(|e| status(e.status)).collect(),
            latency_us: events().map(|e| e.latency_us).collect(),
            bytes_in: events().map(|e| e.bytes_in).collect(),
            bytes_out: events().map(|e| e.bytes_out).collect(),
            client_ip: events().map(|e| e.client_ip.as_deref().map(text)).collect(),
            user_agent: events()
                .map(|e| e.user_agent.as_deref().map(text))
                .collect(),
            resource_type: events()
                .map(|e| e.resource_type.as_deref().map(text))
                .collect(),
            resource_id: events()
                .map(|e| e.resource_id.as_deref().map(text))
                .collect(),
            metadata: events().map(|e| &e.metadata).collect(),
        })
    }
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
    // The batch path, for one row: the same insert and announcement.
    let group = [(tenant, &event)];
    ingest_statement(conn, vec![Columns::new(&group)?], false).await
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
    /// The server's id of the request (`X-Request-Id` of its response).
    pub request_id: Option<String>,
    /// The `X-Request-Id` the client sent, if any; clients may repeat it.
    pub client_request_id: Option<String>,
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
    /// Acting person.
    pub actor: Option<ActorMatch>,
    /// Kind.
    pub kind: Option<Kind>,
    /// Resource type.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Response status.
    pub status: Option<i16>,
    /// The client's `X-Request-Id`.
    pub client_request_id: Option<String>,
    /// From (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// To (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// Who acted, as a search of the log names them: events of any of these users,
/// or (for events with no user row, such as a refused token) of this subject.
#[derive(Clone, Debug, Default)]
pub struct ActorMatch {
    /// User ids.
    pub ids: Vec<Uuid>,
    /// A token subject.
    pub subject: Option<String>,
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

/// Up to `limit` of `tenant`'s events in `[from, to)` after `after` (an
/// `(occurred_at, id)` position), oldest first (inside a tenant transaction).
pub async fn in_range(
    conn: &mut DbConn,
    tenant: TenantId,
    after: Option<(DateTime<Utc>, Uuid)>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<ActivityRecord>> {
    let mut q = activity_log::table
        .select(ActivityRecord::as_select())
        .filter(activity_log::tenant_id.eq(tenant.as_uuid()))
        .filter(activity_log::occurred_at.ge(from))
        .filter(activity_log::occurred_at.lt(to))
        .order((activity_log::occurred_at.asc(), activity_log::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            activity_log::occurred_at
                .gt(at)
                .or(activity_log::occurred_at
                    .eq(at)
                    .and(activity_log::id.gt(id))),
        );
    }
    q.load(conn).await
}

/// Lists a tenant's events, newest first.
pub async fn list(
    db: &Db,
    tenant: TenantId,
    filter: AuditFilter,
    page: PageRequest,
) -> Result<Page<ActivityRecord>, AuditError> {
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
                if let Some(a) = filter.actor {
                    let subject = a.subject.unwrap_or_default();
                    q = q.filter(
                        activity_log::actor_id
                            .eq_any(a.ids)
                            .or(activity_log::actor_subject.eq(subject)),
                    );
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
                if let Some(c) = filter.client_request_id {
                    q = q.filter(activity_log::client_request_id.eq(c));
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
