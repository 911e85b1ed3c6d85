//! Evidence: what a restrictive decision was made on, as it was then. One row
//! per decision, written in the decision's transaction; the decision keeps
//! its id. Deleted after the configured retention ([`crate::retention`]),
//! after which the decision shows none.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;
use warden_tenancy::{DbConn, TenantId};

use crate::DecisionError;
use crate::retention;
use crate::schema::decision_evidence;

/// Longest content text kept, in characters (the longest content is shorter).
const MAX_TEXT: usize = 100_000;

/// The content a decision was about, as it was judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentSnapshot {
    /// `product`, `review`, `message` or `seller_profile`.
    pub content_type: String,
    /// The content's id; `None` for a write that was refused and never stored.
    pub content_id: Option<Uuid>,
    /// The text as judged.
    pub text: String,
}

/// Evidence to record with a decision.
#[derive(Clone, Debug, Default)]
pub struct NewEvidence {
    /// The user the decision is about (the author, the offender).
    pub user_id: Option<Uuid>,
    /// What was decided: a moderation action (`reject`, `require_review`,
    /// `flag`) or an enforcement one (`warning`, `temporary_ban`, …).
    pub decision: String,
    /// The content judged, when the decision is about content.
    pub content: Option<ContentSnapshot>,
    /// Versions of the models behind the scores.
    pub model_versions: serde_json::Value,
    /// The models' scores.
    pub scores: serde_json::Value,
    /// The rules (or patterns) that matched, with their spans in the text.
    pub rules: serde_json::Value,
    /// The behaviour events of a detection.
    pub events: serde_json::Value,
    /// The person who decided; `None` when the decision was automated.
    pub decided_by: Option<Uuid>,
    /// When it was decided.
    pub decided_at: DateTime<Utc>,
}

/// A decision's evidence.
#[derive(Clone, Debug, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = decision_evidence)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Evidence {
    /// Evidence id.
    pub id: Uuid,
    /// The user the decision is about.
    pub user_id: Option<Uuid>,
    /// What was decided.
    pub decision: String,
    /// Kind of content judged.
    pub content_type: Option<String>,
    /// The content's id; absent for a refused write, which was never stored.
    pub content_id: Option<Uuid>,
    /// The text as judged.
    #[diesel(column_name = content_text)]
    pub text: Option<String>,
    /// SHA-256 of the text (UTF-8), hex.
    #[diesel(column_name = content_sha256)]
    pub sha256: Option<String>,
    /// Versions of the models behind the scores.
    #[schema(value_type = Object)]
    pub model_versions: serde_json::Value,
    /// The models' scores.
    #[schema(value_type = Object)]
    pub scores: serde_json::Value,
    /// The rules or patterns that matched; a rule's `spans` are byte ranges
    /// of `text` (`start`, `end`) with the text there.
    #[schema(value_type = Vec<Object>)]
    pub rules: serde_json::Value,
    /// The behaviour events of a detection.
    #[schema(value_type = Vec<Object>)]
    pub events: serde_json::Value,
    /// The person who decided; absent when automated.
    pub decided_by: Option<Uuid>,
    /// When.
    pub decided_at: DateTime<Utc>,
}

impl Evidence {
    /// Whether no person took the decision.
    pub fn automated(&self) -> bool {
        self.decided_by.is_none()
    }
}

/// Hex SHA-256 of a text.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn or_default(value: serde_json::Value, default: serde_json::Value) -> serde_json::Value {
    if value.is_null() { default } else { value }
}

/// Records evidence inside the decision's transaction and returns its id.
/// The tenant's retention job is scheduled with its first evidence.
pub async fn record_in_tx(
    conn: &mut DbConn,
    tenant: TenantId,
    evidence: NewEvidence,
) -> Result<Uuid, DecisionError> {
    let id = Uuid::now_v7();
    let (content_type, content_id, text) = match evidence.content {
        Some(c) => (
            Some(c.content_type),
            c.content_id,
            Some(c.text.chars().take(MAX_TEXT).collect::<String>()),
        ),
        None => (None, None, None),
    };
    let sha = text.as_deref().map(sha256_hex);
    diesel::insert_into(decision_evidence::table)
        .values((
            decision_evidence::tenant_id.eq(tenant.as_uuid()),
            decision_evidence::id.eq(id),
            decision_evidence::user_id.eq(evidence.user_id),
            decision_evidence::decision.eq(&evidence.decision),
            decision_evidence::content_type.eq(content_type),
            decision_evidence::content_id.eq(content_id),
            decision_evidence::content_text.eq(text),
            decision_evidence::content_sha256.eq(sha),
            decision_evidence::model_versions
                .eq(or_default(evidence.model_versions, serde_json::json!({}))),
            decision_evidence::scores.eq(or_default(evidence.scores, serde_json::json!({}))),
            decision_evidence::rules.eq(or_default(evidence.rules, serde_json::json!([]))),
            decision_evidence::events.eq(or_default(evidence.events, serde_json::json!([]))),
            decision_evidence::decided_by.eq(evidence.decided_by),
            decision_evidence::decided_at.eq(evidence.decided_at),
        ))
        .execute(conn)
        .await?;
    retention::schedule(conn, tenant).await?;
    Ok(id)
}

/// One evidence record of the tenant, if it is still kept.
pub async fn load(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Evidence>, DecisionError> {
    Ok(decision_evidence::table
        .filter(decision_evidence::tenant_id.eq(tenant.as_uuid()))
        .filter(decision_evidence::id.eq(id))
        .select(Evidence::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The evidence records of the tenant still kept among `ids`, by id.
pub async fn load_many(
    conn: &mut DbConn,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Evidence>, DecisionError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(decision_evidence::table
        .filter(decision_evidence::tenant_id.eq(tenant.as_uuid()))
        .filter(decision_evidence::id.eq_any(ids))
        .select(Evidence::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_sha256_of_the_utf8_text() {
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
