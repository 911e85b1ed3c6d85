//! Violations behavior asks for: a live detection with an actor becomes a
//! violation of that actor when it is confident enough or a moderator
//! confirms it. Behavior enqueues a job of its own kind, [`JOB_KIND`], with a
//! [`ViolationRequest`] payload, in the transaction that records or confirms
//! the detection; the server's job runner hands it to enforcement, which
//! records at most one violation per detection.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{DbConn, TenantId, queue};

use crate::BehaviorError;
use crate::pattern::Severity;

/// The queue's name for violation requests.
pub const JOB_KIND: &str = "behavior.violation";

/// A behavior violation of a user, asked for by a detection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationRequest {
    /// The user who acted.
    pub user_id: Uuid,
    /// The detection.
    pub detection_id: Uuid,
    /// The severity of the pattern that fired.
    pub severity: Severity,
    /// Why, in words.
    pub reason: String,
    /// The pattern's name (the ground of the violation).
    #[serde(default)]
    pub pattern_name: String,
    /// The detection's evidence record.
    #[serde(default)]
    pub evidence_id: Option<Uuid>,
    /// The moderator who confirmed the detection; absent when it was
    /// confident enough to act alone (automated).
    #[serde(default)]
    pub confirmed_by: Option<Uuid>,
}

/// Asks for the violation `request` describes, in the caller's transaction.
pub(crate) async fn enqueue(
    conn: &mut DbConn,
    tenant: TenantId,
    request: &ViolationRequest,
) -> Result<(), BehaviorError> {
    let payload = queue::payload("violation request", request)?;
    queue::enqueue(conn, tenant, JOB_KIND, payload, None).await?;
    Ok(())
}

/// The request a job of [`JOB_KIND`] carries.
pub fn decode(job: &queue::Job) -> Result<ViolationRequest, BehaviorError> {
    Ok(job.decode("violation job payload")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_keeps_its_field_names() {
        let request = ViolationRequest {
            user_id: Uuid::nil(),
            detection_id: Uuid::max(),
            severity: Severity::High,
            reason: "fired".into(),
            pattern_name: "bursts".into(),
            evidence_id: Some(Uuid::max()),
            confirmed_by: None,
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "user_id": Uuid::nil(), "detection_id": Uuid::max(),
                "severity": "high", "reason": "fired",
                "pattern_name": "bursts", "evidence_id": Uuid::max(),
                "confirmed_by": null
            })
        );
        assert_eq!(
            serde_json::from_value::<ViolationRequest>(json).unwrap(),
            request
        );
    }
}
