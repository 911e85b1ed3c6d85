//! Behavior patterns of a tenant: CRUD (validated on save, audited with the
//! change) and the compiled engine of its enabled patterns.

use std::sync::Arc;

use crate::schema::behavior_patterns;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, Db, DbConn, Page, PageRequest, ScopedFutureExt, TenantId};

use crate::engine::Engine;
use crate::operators::Operators;
use crate::pattern::{Mode, PatternBody};
use crate::{BehaviorError, audit_error};

/// What a caller who is not staff is told.
const STAFF_ONLY: &str = "only moderators and administrators may read behavior patterns";

/// What a caller who is not an administrator is told.
const ADMIN_ONLY: &str = "only tenant administrators may change behavior patterns";

/// A saved pattern.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Pattern {
    /// Pattern id.
    pub id: Uuid,
    /// The definition as saved.
    #[serde(flatten)]
    pub body: PatternBody,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = behavior_patterns)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct Row {
    id: Uuid,
    definition: serde_json::Value,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn into_pattern(self) -> Result<Pattern, BehaviorError> {
        let body = serde_json::from_value(self.definition).map_err(|e| {
            BehaviorError::invalid(format!("stored pattern {} no longer parses: {e}", self.id))
        })?;
        Ok(Pattern {
            id: self.id,
            body,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

async fn audit(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    id: Uuid,
    detail: serde_json::Value,
) -> Result<(), BehaviorError> {
    let mut event = ActivityEvent::new(Kind::Security, action);
    event.actor_id = Some(actor.user_id);
    event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
    event.resource_type = Some("behavior".into());
    event.resource_id = Some(id.to_string());
    event.metadata = serde_json::json!({ "event": action, "pattern": detail });
    warden_audit::store::record_in_tx(conn, actor.tenant, event)
        .await
        .map_err(audit_error)
}

/// Shortest cooldown of a live pattern: without one, every matching request
/// would be a detection and each a violation, climbing the whole ladder in a
/// burst.
pub const MIN_LIVE_COOLDOWN_SECS: u64 = 60;

/// Validates a pattern for saving and returns its stored definition.
fn definition(
    body: &PatternBody,
    operators: &Operators,
) -> Result<serde_json::Value, BehaviorError> {
    body.compile(operators)?;
    if body.mode == Mode::Live && body.cooldown_seconds < MIN_LIVE_COOLDOWN_SECS {
        return Err(BehaviorError::invalid(format!(
            "cooldown_seconds: a live pattern needs a cooldown of at least {MIN_LIVE_COOLDOWN_SECS} seconds, so that one burst makes one detection"
        )));
    }
    let text = serde_json::to_string(body).map_err(|e| BehaviorError::invalid(e.to_string()))?;
    if text.contains("\\u0000") {
        return Err(BehaviorError::invalid(
            "a pattern may not contain NUL characters",
        ));
    }
    serde_json::to_value(body).map_err(|e| BehaviorError::invalid(e.to_string()))
}

/// Lists the tenant's patterns, newest first (staff).
pub async fn list(
    db: &Db,
    actor: &Actor,
    page: PageRequest,
) -> Result<Page<Pattern>, BehaviorError> {
    actor.require_staff(STAFF_ONLY)?;
    let rows: Vec<Row> = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                let mut q = behavior_patterns::table
                    .select(Row::as_select())
                    .order(behavior_patterns::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(behavior_patterns::id.lt(after));
                }
                Ok::<_, BehaviorError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    let page = page.page(rows, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(Row::into_pattern)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Loads one pattern inside a running transaction.
pub(crate) async fn load(conn: &mut DbConn, id: Uuid) -> Result<Pattern, BehaviorError> {
    behavior_patterns::table
        .filter(behavior_patterns::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(BehaviorError::not_found("pattern"))?
        .into_pattern()
}

/// Reads one pattern (staff).
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Pattern, BehaviorError> {
    actor.require_staff(STAFF_ONLY)?;
    db.tenant_tx(actor.tenant, |conn| {
        async move { load(conn, id).await }.scope_boxed()
    })
    .await
}

/// Creates a pattern (tenant administrators); it is validated first.
pub async fn create(
    db: &Db,
    actor: &Actor,
    operators: &Operators,
    body: PatternBody,
) -> Result<Pattern, BehaviorError> {
    actor.require_admin(ADMIN_ONLY)?;
    let def = definition(&body, operators)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let id = Uuid::now_v7();
            diesel::insert_into(behavior_patterns::table)
                .values((
                    behavior_patterns::tenant_id.eq(actor.tenant.as_uuid()),
                    behavior_patterns::id.eq(id),
                    behavior_patterns::name.eq(&body.name),
                    behavior_patterns::definition.eq(&def),
                    behavior_patterns::severity.eq(body.severity.as_str()),
                    behavior_patterns::mode.eq(body.mode.as_str()),
                    behavior_patterns::enabled.eq(body.enabled),
                    behavior_patterns::created_by.eq(actor.user_id),
                ))
                .execute(conn)
                .await?;
            audit(conn, &actor, "pattern_created", id, def).await?;
            load(conn, id).await
        }
        .scope_boxed()
    })
    .await
}

/// Replaces a pattern (tenant administrators).
pub async fn replace(
    db: &Db,
    actor: &Actor,
    operators: &Operators,
    id: Uuid,
    body: PatternBody,
) -> Result<Pattern, BehaviorError> {
    actor.require_admin(ADMIN_ONLY)?;
    let def = definition(&body, operators)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let n = diesel::update(behavior_patterns::table.filter(behavior_patterns::id.eq(id)))
                .set((
                    behavior_patterns::name.eq(&body.name),
                    behavior_patterns::definition.eq(&def),
                    behavior_patterns::severity.eq(body.severity.as_str()),
                    behavior_patterns::mode.eq(body.mode.as_str()),
                    behavior_patterns::enabled.eq(body.enabled),
                    behavior_patterns::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            if n == 0 {
                return Err(BehaviorError::not_found("pattern"));
            }
            audit(conn, &actor, "pattern_updated", id, def).await?;
            load(conn, id).await
        }
        .scope_boxed()
    })
    .await
}

/// Deletes a pattern (tenant administrators); its detections stay, naming it.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid) -> Result<(), BehaviorError> {
    actor.require_admin(ADMIN_ONLY)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let n = diesel::delete(behavior_patterns::table.filter(behavior_patterns::id.eq(id)))
                .execute(conn)
                .await?;
            if n == 0 {
                return Err(BehaviorError::not_found("pattern"));
            }
            audit(
                conn,
                &actor,
                "pattern_deleted",
                id,
                serde_json::json!({ "id": id }),
            )
            .await
        }
        .scope_boxed()
    })
    .await
}

/// The engine of the tenant's enabled patterns. A stored pattern that no
/// longer compiles (an operator an embedder removed) is skipped and logged.
pub async fn load_engine(
    db: &Db,
    tenant: TenantId,
    operators: &Operators,
) -> Result<Engine, BehaviorError> {
    let rows: Vec<Row> = db
        .tenant_tx(tenant, |conn| {
            async move {
                Ok::<_, BehaviorError>(
                    behavior_patterns::table
                        .filter(behavior_patterns::enabled.eq(true))
                        .select(Row::as_select())
                        .order(behavior_patterns::id.asc())
                        .load(conn)
                        .await?,
                )
            }
            .scope_boxed()
        })
        .await?;
    let mut patterns = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.id;
        match row.into_pattern().and_then(|p| p.body.compile(operators)) {
            Ok(c) => patterns.push((id, Arc::new(c))),
            Err(e) => tracing::warn!(pattern = %id, error = %e, "stored behavior pattern skipped"),
        }
    }
    Ok(Engine::new(patterns))
}
