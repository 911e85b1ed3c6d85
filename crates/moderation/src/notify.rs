//! What moderation tells people, raised through the notification outbox in
//! the transaction of the review step: moderators learn of items waiting for
//! review, authors of the decision on their content.

use uuid::Uuid;
use warden_decisions::statements::{self, Statement};
use warden_notifications::NotificationError;
use warden_notifications::model::{EventKind, Priority};
use warden_notifications::raise::{NotificationRequest, Recipients, raise};
use warden_tenancy::{DbConn, TenantId};

use crate::ModerationError;
use crate::content::ContentType;

const CATEGORY: &str = "moderation";

pub(crate) fn moderation_error(e: NotificationError) -> ModerationError {
    match e {
        NotificationError::Tenancy(t) => ModerationError::Tenancy(t),
        other => ModerationError::invalid(other.to_string()),
    }
}

/// Tells staff an item waits for review (once per piece of content within
/// the tenant's de-duplication window); `content_type` as stored: a content
/// type, or `user` for a reported user.
pub(crate) async fn review_requested(
    conn: &mut DbConn,
    tenant: TenantId,
    content_type: &str,
    content_id: Uuid,
    review_id: Uuid,
    reason: &str,
) -> Result<(), ModerationError> {
    let request = NotificationRequest {
        recipients: Recipients::Staff,
        kind: EventKind::ReviewRequested,
        priority: Priority::Medium,
        category: CATEGORY.into(),
        title: format!("A {content_type} waits for review"),
        body: reason.chars().take(500).collect(),
        data: serde_json::json!({
            "review_id": review_id,
            "content_type": content_type,
            "content_id": content_id,
            "reason": reason.chars().take(500).collect::<String>(),
        }),
        event_key: Some(format!("review:{content_type}:{content_id}")),
        security: false,
        channels: None,
    };
    raise(conn, tenant, &request)
        .await
        .map_err(moderation_error)?;
    Ok(())
}

/// Tells the author how a reviewer decided about their content.
pub(crate) async fn review_decided(
    conn: &mut DbConn,
    tenant: TenantId,
    author: Uuid,
    (content_type, content_id): (ContentType, Uuid),
    decision: &str,
    note: &str,
    statement: Option<&Statement>,
) -> Result<(), ModerationError> {
    let mut data = statement.map_or_else(|| serde_json::json!({}), statements::notice_data);
    if let Some(d) = data.as_object_mut() {
        d.insert("content_type".into(), content_type.as_str().into());
        d.insert("content_id".into(), serde_json::json!(content_id));
        d.insert("decision".into(), decision.into());
    }
    let request = NotificationRequest {
        recipients: Recipients::User(author),
        kind: EventKind::ReviewDecided,
        priority: Priority::Medium,
        category: CATEGORY.into(),
        title: format!("Your {} was reviewed: {decision}", content_type.as_str()),
        body: note.chars().take(2000).collect(),
        data,
        event_key: None,
        security: false,
        channels: None,
    };
    raise(conn, tenant, &request)
        .await
        .map_err(moderation_error)?;
    Ok(())
}
