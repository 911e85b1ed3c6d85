//! What enforcement tells the people it acts on, raised through the
//! notification outbox in the transaction of the action. Sanctions are
//! security notices: they reach the user whatever their preferences.

use uuid::Uuid;
use warden_decisions::statements::{self, Statement};
use warden_notifications::model::{EventKind, Priority};
use warden_notifications::raise::{NotificationRequest, Recipients, raise};
use warden_tenancy::{DbConn, TenantId};

use crate::EnforcementError;
use crate::model::{Action, Violation};

const CATEGORY: &str = "enforcement";

/// Tells the user about a violation recorded against them (a ban when it
/// bans them), with its statement of reasons: the ground and how to appeal.
pub(crate) async fn violation_created(
    conn: &mut DbConn,
    tenant: TenantId,
    v: &Violation,
    statement: &Statement,
) -> Result<(), EnforcementError> {
    let (kind, priority, title) = match v.action {
        Action::Warning => (
            EventKind::ViolationCreated,
            Priority::Medium,
            "A warning was recorded on your account".to_owned(),
        ),
        Action::TemporaryBan => (
            EventKind::Ban,
            Priority::High,
            match v.ban_until {
                Some(until) => format!("Your account is suspended until {}", until.to_rfc3339()),
                None => "Your account is suspended".to_owned(),
            },
        ),
        Action::PermanentBan => (
            EventKind::Ban,
            Priority::Urgent,
            "Your account is banned permanently".to_owned(),
        ),
    };
    let request = NotificationRequest {
        recipients: Recipients::User(v.user_id),
        kind,
        priority,
        category: CATEGORY.into(),
        title,
        body: v.reason.clone(),
        data: {
            let mut data = statements::notice_data(statement);
            if let Some(d) = data.as_object_mut() {
                d.insert("violation_id".into(), serde_json::json!(v.id));
                d.insert("reason".into(), serde_json::json!(v.reason));
                d.insert("action".into(), serde_json::json!(v.action));
                d.insert("until".into(), serde_json::json!(v.ban_until));
            }
            data
        },
        event_key: Some(format!("violation:{}", v.id)),
        security: true,
        channels: None,
    };
    raise(conn, tenant, &request).await?;
    Ok(())
}

/// Tells the user their account is usable again.
pub(crate) async fn ban_lifted(
    conn: &mut DbConn,
    tenant: TenantId,
    user: Uuid,
    cause: &str,
) -> Result<(), EnforcementError> {
    let request = NotificationRequest {
        recipients: Recipients::User(user),
        kind: EventKind::BanLifted,
        priority: Priority::High,
        category: CATEGORY.into(),
        title: "Your account is active again".into(),
        body: match cause {
            "overturned" => "The violation behind your ban was overturned on appeal.".into(),
            _ => "Your suspension has ended.".into(),
        },
        data: serde_json::json!({ "cause": cause }),
        event_key: None,
        security: true,
        channels: None,
    };
    raise(conn, tenant, &request).await?;
    Ok(())
}

/// Tells the appellant how their appeal was decided.
pub(crate) async fn appeal_decided(
    conn: &mut DbConn,
    tenant: TenantId,
    v: &Violation,
    decision: &str,
) -> Result<(), EnforcementError> {
    let request = NotificationRequest {
        recipients: Recipients::User(v.user_id),
        kind: EventKind::AppealDecided,
        priority: Priority::High,
        category: CATEGORY.into(),
        // `decision` is the violation's fate: upheld means the appeal failed.
        title: match decision {
            "overturned" => "Your appeal succeeded: the violation was overturned".to_owned(),
            "upheld" => "Your appeal was refused: the violation stands".to_owned(),
            other => format!("Your appeal was decided: {other}"),
        },
        body: v.resolution_note.clone().unwrap_or_default(),
        data: serde_json::json!({ "violation_id": v.id, "decision": decision }),
        event_key: Some(format!("appeal:{}", v.id)),
        security: true,
        channels: None,
    };
    raise(conn, tenant, &request).await?;
    Ok(())
}
