//! The trust history of a seller, and an administrator's override of the
//! level (audited with the change, kept in the history).

use crate::schema::{seller_trust, trust_history};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, Db, Page, PageRequest, ScopedFutureExt};

use crate::TrustError;
use crate::changes::{self, Change};
use crate::settings::MAX_LEVEL;
use crate::standing::{self, Standing};

/// One change of a seller's trust.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = trust_history)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct HistoryEntry {
    /// Id.
    pub id: Uuid,
    /// `score`, `level`, `override`, `risk` or `warning`.
    pub kind: String,
    /// Before.
    pub from_value: Option<String>,
    /// After.
    pub to_value: String,
    /// Why.
    pub reason: String,
    /// Who (none for automatic changes).
    pub actor_id: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `PUT /sellers/{id}/trust/override`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    /// The level to hold the seller at (0–3); `null` returns to the earned level.
    #[schema(maximum = 3)]
    pub level: Option<u8>,
    /// Why, 1 to 2,000 characters.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub reason: String,
}

/// The seller's trust history, newest first, a page at a time (staff, or
/// the owner).
pub async fn list(
    db: &Db,
    actor: &Actor,
    seller: Uuid,
    page: PageRequest,
) -> Result<Page<HistoryEntry>, TrustError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            standing::require_owner_or_staff(conn, &actor, seller).await?;
            let mut q = trust_history::table
                .filter(trust_history::tenant_id.eq(actor.tenant.as_uuid()))
                .filter(trust_history::seller_id.eq(seller))
                .select(HistoryEntry::as_select())
                .order(trust_history::id.desc())
                .limit(page.fetch())
                .into_boxed();
            if let Some(after) = page.after {
                q = q.filter(trust_history::id.lt(after));
            }
            let rows = q.load(conn).await?;
            Ok(page.page(rows, |e: &HistoryEntry| e.id))
        }
        .scope_boxed()
    })
    .await
}

/// Holds the seller at a level, or releases the hold (tenant administrators).
pub async fn set_override(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    seller: Uuid,
    body: OverrideBody,
) -> Result<Standing, TrustError> {
    if !actor.is_admin() {
        return Err(TrustError::forbidden(
            "only tenant administrators override trust levels",
        ));
    }
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2000 || reason.contains('\0') {
        return Err(TrustError::invalid("reason: 1 to 2000 characters"));
    }
    if body.level.is_some_and(|l| l > MAX_LEVEL) {
        return Err(TrustError::invalid(format!(
            "level: 0 to {MAX_LEVEL}, or null"
        )));
    }
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            // The row exists once the standing was computed.
            standing::refresh_in_tx(conn, actor.tenant, seller, now).await?;
            let held = standing::held(conn, seller).await?;
            let level = body.level.map(i32::from);
            diesel::update(seller_trust::table.filter(seller_trust::seller_id.eq(seller)))
                .set((
                    seller_trust::override_level.eq(level),
                    seller_trust::override_reason.eq(body.level.map(|_| reason.clone())),
                    seller_trust::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
            let show = |l: Option<u8>| l.map_or_else(|| "earned".to_owned(), |l| l.to_string());
            let change = Change {
                kind: "override",
                from: Some(show(held.override_level)),
                to: show(body.level),
                reason: &reason,
                actor: Some(actor.user_id),
            };
            changes::history(conn, actor.tenant, seller, now, change).await?;
            let mut event = ActivityEvent::new(Kind::Security, "trust_override");
            event.actor_id = Some(actor.user_id);
            event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
            event.resource_type = Some("sellers".into());
            event.resource_id = Some(seller.to_string());
            event.metadata = serde_json::json!({ "event": "trust_override", "from": held.override_level, "to": body.level, "reason": reason });
            warden_audit::store::record_in_tx(conn, actor.tenant, event).await?;
            let after = body.level.unwrap_or(held.earned);
            changes::notify_level(
                conn,
                actor.tenant,
                seller,
                (held.in_force(), after),
                &reason,
                Some(actor.user_id),
            )
            .await?;
            crate::lifecycle::evaluate(conn, actor.tenant, seller, now).await
        }
        .scope_boxed()
    })
    .await
}
