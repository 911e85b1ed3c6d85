//! Recording a change of a seller's trust: the history row, the audit entry,
//! and the notice to the seller, in the transaction that makes the change.

use crate::schema::trust_history;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_decisions::statements::{self, DecisionKind, Ground, NewStatement};
use warden_notifications::model::{EventKind, Priority};
use warden_notifications::raise::{NotificationRequest, Recipients, raise};
use warden_tenancy::{DbConn, TenantId};

use crate::TrustError;

/// Notification category of trust notices.
const CATEGORY: &str = "trust";

/// One history row.
pub(crate) struct Change<'a> {
    /// `score`, `level`, `override`, `risk` or `warning`.
    pub kind: &'static str,
    /// Before.
    pub from: Option<String>,
    /// After.
    pub to: String,
    /// Why.
    pub reason: &'a str,
    /// Who (none for automatic changes).
    pub actor: Option<Uuid>,
}

/// Keeps `change` in the seller's history.
pub(crate) async fn history(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    now: DateTime<Utc>,
    change: Change<'_>,
) -> Result<(), TrustError> {
    diesel::insert_into(trust_history::table)
        .values((
            trust_history::tenant_id.eq(tenant.as_uuid()),
            trust_history::id.eq(Uuid::now_v7()),
            trust_history::seller_id.eq(seller),
            trust_history::kind.eq(change.kind),
            trust_history::from_value.eq(change.from),
            trust_history::to_value.eq(change.to),
            trust_history::reason.eq(change.reason),
            trust_history::actor_id.eq(change.actor),
            trust_history::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records an audit entry about seller `seller`.
pub(crate) async fn audit(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    actor: Option<Uuid>,
    action: &str,
    metadata: serde_json::Value,
) -> Result<(), TrustError> {
    let mut event = ActivityEvent::new(Kind::Security, action);
    event.actor_id = actor;
    event.resource_type = Some("sellers".into());
    event.resource_id = Some(seller.to_string());
    event.metadata = metadata;
    warden_audit::store::record_in_tx(conn, tenant, event).await?;
    Ok(())
}

/// A level change of seller `seller`: history, audit, and (when `notify`:
/// the level in force changed) a notice to the store's owner.
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is a distinct column of the history and audit rows"
)]
pub(crate) async fn level_changed(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    now: DateTime<Utc>,
    (from, to): (u8, u8),
    reason: &str,
    actor: Option<Uuid>,
    notify: bool,
) -> Result<(), TrustError> {
    history(
        conn,
        tenant,
        seller,
        now,
        Change {
            kind: "level",
            from: Some(from.to_string()),
            to: to.to_string(),
            reason,
            actor,
        },
    )
    .await?;
    audit(
        conn,
        tenant,
        seller,
        actor,
        "trust_level_change",
        serde_json::json!({ "event": "trust_level_change", "from": from, "to": to, "reason": reason }),
    )
    .await?;
    if notify {
        notify_level(conn, tenant, seller, (from, to), reason, actor).await?;
    }
    Ok(())
}

/// Tells the store's owner their level in force moved from `from` to `to`
/// (decided by `by`, or automatically); a demotion also gets its statement
/// of reasons.
pub(crate) async fn notify_level(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    (from, to): (u8, u8),
    reason: &str,
    by: Option<Uuid>,
) -> Result<(), TrustError> {
    if from == to {
        return Ok(());
    }
    let user = crate::standing::profile(conn, seller).await?;
    let down = to < from;
    if down {
        demotion_statement(conn, tenant, user, (from, to), reason, by).await?;
    }
    let request = NotificationRequest {
        recipients: Recipients::User(user),
        kind: EventKind::TrustLevelChanged,
        priority: if down {
            Priority::High
        } else {
            Priority::Medium
        },
        category: CATEGORY.into(),
        title: format!("Your seller trust level is now {to}"),
        body: String::new(),
        data: serde_json::json!({
            "seller_id": seller,
            "from": from.to_string(),
            "to": to.to_string(),
            "direction": if down { "down" } else { "up" },
            "reason": reason,
        }),
        event_key: None,
        security: false,
        channels: None,
    };
    raise(conn, tenant, &request).await?;
    Ok(())
}

/// The ground of every statement about a store's trust level.
pub(crate) fn trust_levels_ground() -> Ground {
    Ground {
        name: "Seller trust levels".into(),
        text: "A store's trust level follows its trust score (orders, reviews, verification \
               and violations); each level sets how many listings the store may hold and \
               which features it may use. The level rises again when the score does."
            .into(),
    }
}

/// The statement of reasons of a demotion: the levels, why, and what the new
/// level allows. No appeal route: the level follows the score, and rises
/// again with it.
async fn demotion_statement(
    conn: &mut DbConn,
    tenant: TenantId,
    user: Uuid,
    (from, to): (u8, u8),
    reason: &str,
    by: Option<Uuid>,
) -> Result<(), TrustError> {
    let settings = crate::settings::load(conn).await?;
    let limit = match settings.listing_limit(to) {
        Some(n) => format!("at most {n} listings"),
        None => "unlimited listings".to_owned(),
    };
    let statement = NewStatement {
        user_id: user,
        decision: DecisionKind::Demoted,
        content: None,
        violation_id: None,
        facts: format!(
            "Your store's trust level went from {from} to {to}: {reason}. Level {to} allows {limit}."
        ),
        ground: trust_levels_ground(),
        automated: by.is_none(),
        restricted_until: None,
        appeal: None,
        evidence_id: None,
        at: chrono::Utc::now(),
    };
    let statement = statements::issue_in_tx(conn, tenant, statement).await?;
    statements::notify_in_tx(conn, tenant, &statement).await?;
    Ok(())
}

/// Warns the store's owner that the level will drop on `due` unless the
/// score reaches `threshold` again.
pub(crate) async fn notify_warning(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    level: u8,
    (score, threshold): (f64, f64),
    due: DateTime<Utc>,
) -> Result<(), TrustError> {
    let user = crate::standing::profile(conn, seller).await?;
    let request = NotificationRequest {
        recipients: Recipients::User(user),
        kind: EventKind::TrustDemotionWarning,
        priority: Priority::High,
        category: CATEGORY.into(),
        title: format!("Your seller trust level {level} is at risk"),
        body: String::new(),
        data: serde_json::json!({
            "seller_id": seller,
            "level": level.to_string(),
            "score": format!("{score:.1}"),
            "threshold": format!("{threshold}"),
            "due": due.format("%Y-%m-%d").to_string(),
            "due_at": due,
        }),
        event_key: None,
        security: false,
        channels: None,
    };
    raise(conn, tenant, &request).await?;
    Ok(())
}
