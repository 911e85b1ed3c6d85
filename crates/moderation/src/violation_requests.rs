//! Violations moderation asks for: when a rule or a reviewer rejects content,
//! its author has broken the content rules. A write a rule refuses hands its
//! [`ViolationRequest`] to a [`ViolationSink`] in the transaction that records
//! the rejection, so the violation (and a ban it earns) is in force before the
//! author hears of the refusal. A reviewer's rejection enqueues a job of
//! moderation's own kind, [`JOB_KIND`], in the transaction of the decision;
//! the server's job runner hands it to enforcement. Either way enforcement
//! records at most one violation per source.

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
    /// The decision's evidence.
    #[serde(default)]
    pub evidence_id: Option<Uuid>,
    /// The deciding rule's name (the ground of the decision).
    #[serde(default)]
    pub rule_name: String,
    /// The deciding rule's explanation, for the user.
    #[serde(default)]
    pub rule_text: String,
    /// The kind of content rejected.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The content rejected (absent for a write that was never stored).
    #[serde(default)]
    pub content_id: Option<Uuid>,
    /// Whether a rule (not a person) rejected it.
    #[serde(default)]
    pub automated: bool,
}

/// Where a rejected write's violation goes at once: enforcement, wired by the
/// server. It runs in the transaction recording the rejection.
#[async_trait::async_trait]
pub trait ViolationSink: Send + Sync {
    /// Records the violation `request` asks for.
    async fn record(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        request: ViolationRequest,
    ) -> Result<(), ModerationError>;
}

impl ViolationRequest {
    /// The reason, trimmed and cut to what enforcement stores.
    pub(crate) fn bounded(mut self) -> Self {
        self.reason = self.reason.trim().chars().take(MAX_REASON).collect();
        self
    }
}

/// Asks for a content violation, sourced from a moderation result or review
/// item, in the caller's transaction.
pub(crate) async fn enqueue(
    conn: &mut DbConn,
    tenant: TenantId,
    request: ViolationRequest,
) -> Result<(), ModerationError> {
    let request = request.bounded();
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
            evidence_id: Some(Uuid::max()),
            rule_name: "links".into(),
            rule_text: "no links".into(),
            content_type: Some("message".into()),
            content_id: None,
            automated: true,
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "author": Uuid::nil(), "source": Uuid::max(), "reason": "spam",
                "evidence_id": Uuid::max(), "rule_name": "links", "rule_text": "no links",
                "content_type": "message", "content_id": null, "automated": true
            })
        );
        assert_eq!(
            serde_json::from_value::<ViolationRequest>(json).unwrap(),
            request
        );
    }

    #[test]
    fn a_payload_queued_before_evidence_existed_still_decodes() {
        let old = serde_json::json!({
            "author": Uuid::nil(), "source": Uuid::max(), "reason": "spam"
        });
        let request: ViolationRequest = serde_json::from_value(old).unwrap();
        assert_eq!(request.evidence_id, None);
        assert_eq!(request.rule_name, "");
        assert!(!request.automated);
    }
}
