//! Violations moderation asks for: when a rule or a reviewer rejects content,
//! its author has broken the content rules. Moderation enqueues a job of its
//! own kind, [`JOB_KIND`], with a [`ViolationRequest`] payload, in the
//! transaction that records the rejection (so the request exists exactly when
//! the rejection does); the server's job runner hands it to enforcement,
//! which records at most one violation per source.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{DbConn, TenantId, queue};

use crate::ModerationError;

/// The queue's name for violation requests.
pub const JOB_KIND: &str = "moderation.violation";

/// Longest reason, in characters (what enforcement stores).
const MAX_REASON: usize = 2000;

/// A content violation of an author, asked for by moderation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationRequest {
    /// The author of the rejected content.
    pub author: Uuid,
    /// What rejected it: the moderation result of a rule's decision, or the
    /// review item a person rejected.
    pub source: Uuid,
    /// Why, in words.
    pub reason: String,
}

/// Asks for a content violation of `author`, sourced from `source` (a
/// moderation result or review item), in the caller's transaction.
pub(crate) async fn enqueue(
    conn: &mut DbConn,
    tenant: TenantId,
    author: Uuid,
    source: Uuid,
    reason: String,
) -> Result<(), ModerationError> {
    let request = ViolationRequest {
        author,
        source,
        reason: reason.trim().chars().take(MAX_REASON).collect(),
    };
    let payload = queue::payload("violation request", &request)?;
    queue::enqueue(conn, tenant, JOB_KIND, payload, None).await?;
    Ok(())
}

/// The request a job of [`JOB_KIND`] carries.
pub fn decode(job: &queue::Job) -> Result<ViolationRequest, ModerationError> {
    Ok(job.decode("violation job payload")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_keeps_its_field_names() {
        let request = ViolationRequest {
            author: Uuid::nil(),
            source: Uuid::max(),
            reason: "spam".into(),
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "author": Uuid::nil(), "source": Uuid::max(), "reason": "spam"
            })
        );
        assert_eq!(
            serde_json::from_value::<ViolationRequest>(json).unwrap(),
            request
        );
    }
}
