//! Statements of reasons: what the user a restrictive decision concerns is
//! told (EU Digital Services Act, article 17): what was decided, the facts,
//! the ground (the tenant's rule or policy and its public text), whether it
//! was automated, and how to appeal. One per decision, written in the
//! decision's transaction, kept for good, and raised as a notification on
//! the user's channels in their language.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use warden_notifications::model::{EventKind, Priority};
use warden_notifications::raise::{NotificationRequest, Recipients, raise};
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt, TenantId};

use crate::DecisionError;
use crate::schema::statements_of_reasons;

/// Longest facts or ground text, in characters.
const MAX_TEXT: usize = 4000;
/// Longest ground name, in characters.
const MAX_NAME: usize = 200;

/// What was decided. Content a rule refused or a reviewer removed is told
/// in the statement of the violation it earns its author (`warning` or a ban).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Content is hidden until a person reviews it.
    ContentHeld,
    /// Content is hidden until its author changes it, as a reviewer asked.
    ChangesRequested,
    /// A warning was recorded on the account.
    Warning,
    /// The account is suspended until a date.
    TemporaryBan,
    /// The account is suspended for good.
    PermanentBan,
    /// A listing was refused: the store's trust level allows no more.
    ListingLimited,
    /// The store's trust level was lowered.
    Demoted,
}
warden_tenancy::text_enum!(DecisionKind, DecisionError, {
    ContentHeld => "content_held",
    ChangesRequested => "changes_requested",
    Warning => "warning",
    TemporaryBan => "temporary_ban",
    PermanentBan => "permanent_ban",
    ListingLimited => "listing_limited",
    Demoted => "demoted",
});

/// The ground of a decision: the tenant's rule or policy, by name, and its
/// public text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ground {
    /// The rule's or policy's name.
    pub name: String,
    /// What it says, for the user.
    pub text: String,
}

/// How to appeal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct AppealRoute {
    /// Where to send the appeal (an API path of this service).
    pub url: String,
    /// The last moment an appeal is taken.
    pub deadline: DateTime<Utc>,
}

/// A statement to issue.
#[derive(Clone, Debug)]
pub struct NewStatement {
    /// The user the decision concerns.
    pub user_id: Uuid,
    /// What was decided.
    pub decision: DecisionKind,
    /// The content it is about: kind and id (the id is absent for a refused
    /// write, which was never stored).
    pub content: Option<(String, Option<Uuid>)>,
    /// The violation it records, for account decisions.
    pub violation_id: Option<Uuid>,
    /// The facts the decision rests on, in words.
    pub facts: String,
    /// The rule or policy applied.
    pub ground: Ground,
    /// Whether no person took it.
    pub automated: bool,
    /// Until when the restriction holds, when it ends by itself.
    pub restricted_until: Option<DateTime<Utc>>,
    /// How to appeal, when an appeal is open.
    pub appeal: Option<AppealRoute>,
    /// Its evidence.
    pub evidence_id: Option<Uuid>,
    /// When it was decided.
    pub at: DateTime<Utc>,
}

/// A statement of reasons.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Statement {
    /// Statement id.
    pub id: Uuid,
    /// The user it concerns.
    pub user_id: Uuid,
    /// What was decided.
    pub decision: DecisionKind,
    /// Kind of content it is about.
    pub content_type: Option<String>,
    /// The content (absent for a refused write, never stored).
    pub content_id: Option<Uuid>,
    /// The violation it records.
    pub violation_id: Option<Uuid>,
    /// The facts, in words.
    pub facts: String,
    /// The rule or policy applied.
    pub ground: Ground,
    /// Whether the decision was automated.
    pub automated: bool,
    /// Until when the restriction holds.
    pub restricted_until: Option<DateTime<Utc>>,
    /// How to appeal; absent when no appeal is open (a hold, which a person
    /// reviews anyway, or a trust level, which the score moves).
    pub appeal: Option<AppealRoute>,
    /// The evidence (absent once the retention has deleted it).
    pub evidence_id: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = statements_of_reasons)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct Row {
    id: Uuid,
    user_id: Uuid,
    decision: String,
    content_type: Option<String>,
    content_id: Option<Uuid>,
    violation_id: Option<Uuid>,
    facts: String,
    ground_name: String,
    ground_text: String,
    automated: bool,
    restricted_until: Option<DateTime<Utc>>,
    appeal_url: Option<String>,
    appeal_deadline: Option<DateTime<Utc>>,
    evidence_id: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl Row {
    fn into_statement(self) -> Result<Statement, DecisionError> {
        Ok(Statement {
            id: self.id,
            user_id: self.user_id,
            decision: DecisionKind::parse(&self.decision)?,
            content_type: self.content_type,
            content_id: self.content_id,
            violation_id: self.violation_id,
            facts: self.facts,
            ground: Ground {
                name: self.ground_name,
                text: self.ground_text,
            },
            automated: self.automated,
            restricted_until: self.restricted_until,
            appeal: match (self.appeal_url, self.appeal_deadline) {
                (Some(url), Some(deadline)) => Some(AppealRoute { url, deadline }),
                _ => None,
            },
            evidence_id: self.evidence_id,
            created_at: self.created_at,
        })
    }
}

/// `text` trimmed and cut to `max` characters; `fallback` when empty.
fn bounded(text: &str, max: usize, fallback: &str) -> String {
    let t = text.trim();
    let t = if t.is_empty() { fallback } else { t };
    t.chars().take(max).collect()
}

/// Issues a statement inside the decision's transaction and returns it. The
/// caller tells the user: [`notify_in_tx`], or inside its own notice of the
/// decision (enforcement's sanction notice carries its statement). A second
/// statement for the same violation is not issued: the first is returned.
pub async fn issue_in_tx(
    conn: &mut DbConn,
    tenant: TenantId,
    s: NewStatement,
) -> Result<Statement, DecisionError> {
    if let Some(violation) = s.violation_id
        && let Some(existing) = for_violation(conn, tenant, violation).await?
    {
        return Ok(existing);
    }
    let id = Uuid::now_v7();
    let facts = bounded(&s.facts, MAX_TEXT, "(no facts recorded)");
    let ground_name = bounded(&s.ground.name, MAX_NAME, "Terms of service");
    let ground_text = bounded(&s.ground.text, MAX_TEXT, &ground_name);
    let (content_type, content_id) = s.content.clone().unzip();
    diesel::insert_into(statements_of_reasons::table)
        .values((
            statements_of_reasons::tenant_id.eq(tenant.as_uuid()),
            statements_of_reasons::id.eq(id),
            statements_of_reasons::user_id.eq(s.user_id),
            statements_of_reasons::decision.eq(s.decision.as_str()),
            statements_of_reasons::content_type.eq(content_type),
            statements_of_reasons::content_id.eq(content_id.flatten()),
            statements_of_reasons::violation_id.eq(s.violation_id),
            statements_of_reasons::facts.eq(&facts),
            statements_of_reasons::ground_name.eq(&ground_name),
            statements_of_reasons::ground_text.eq(&ground_text),
            statements_of_reasons::automated.eq(s.automated),
            statements_of_reasons::restricted_until.eq(s.restricted_until),
            statements_of_reasons::appeal_url.eq(s.appeal.as_ref().map(|a| a.url.clone())),
            statements_of_reasons::appeal_deadline.eq(s.appeal.as_ref().map(|a| a.deadline)),
            statements_of_reasons::evidence_id.eq(s.evidence_id),
            statements_of_reasons::created_at.eq(s.at),
        ))
        .returning(Row::as_returning())
        .get_result(conn)
        .await?
        .into_statement()
}

/// The fields a notice of the statement renders (`ground_name`,
/// `appeal_url`, …), for a notice of the caller's own kind.
pub fn notice_data(s: &Statement) -> serde_json::Value {
    serde_json::json!({
        "statement_id": s.id,
        "decision": s.decision,
        "facts": s.facts,
        "ground_name": s.ground.name,
        "ground_text": s.ground.text,
        "automated": s.automated,
        "until": s.restricted_until,
        "appeal_url": s.appeal.as_ref().map(|a| a.url.clone()),
        "appeal_deadline": s.appeal.as_ref().map(|a| a.deadline),
        "violation_id": s.violation_id,
        "content_type": s.content_type,
        "content_id": s.content_id,
    })
}

/// Raises the statement on the user's channels, in their language, as a
/// `statement_of_reasons` notice. Account decisions are security notices
/// (delivered whatever the user's preferences); the others follow them.
pub async fn notify_in_tx(
    conn: &mut DbConn,
    tenant: TenantId,
    s: &Statement,
) -> Result<(), DecisionError> {
    let account = matches!(
        s.decision,
        DecisionKind::TemporaryBan | DecisionKind::PermanentBan
    );
    let request = NotificationRequest {
        recipients: Recipients::User(s.user_id),
        kind: EventKind::StatementOfReasons,
        priority: if account {
            Priority::High
        } else {
            Priority::Medium
        },
        category: "decisions".into(),
        title: format!(
            "Statement of reasons: {}",
            s.decision.as_str().replace('_', " ")
        ),
        body: s.facts.chars().take(1000).collect(),
        data: notice_data(s),
        event_key: Some(format!("statement:{}", s.id)),
        security: account,
        channels: None,
    };
    raise(conn, tenant, &request).await?;
    Ok(())
}

/// One statement of the tenant, inside a running transaction.
pub async fn load(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Statement>, DecisionError> {
    statements_of_reasons::table
        .filter(statements_of_reasons::tenant_id.eq(tenant.as_uuid()))
        .filter(statements_of_reasons::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .await
        .optional()?
        .map(Row::into_statement)
        .transpose()
}

/// Whether user `user` was given a statement of `decision` at or after
/// `since` (to tell a user once about a repeated refusal).
pub async fn issued_since(
    conn: &mut DbConn,
    tenant: TenantId,
    user: Uuid,
    decision: DecisionKind,
    since: DateTime<Utc>,
) -> Result<bool, DecisionError> {
    Ok(diesel::select(diesel::dsl::exists(
        statements_of_reasons::table
            .filter(statements_of_reasons::tenant_id.eq(tenant.as_uuid()))
            .filter(statements_of_reasons::user_id.eq(user))
            .filter(statements_of_reasons::decision.eq(decision.as_str()))
            .filter(statements_of_reasons::created_at.ge(since)),
    ))
    .get_result(conn)
    .await?)
}

/// The statement of a violation, inside a running transaction.
pub async fn for_violation(
    conn: &mut DbConn,
    tenant: TenantId,
    violation: Uuid,
) -> Result<Option<Statement>, DecisionError> {
    statements_of_reasons::table
        .filter(statements_of_reasons::tenant_id.eq(tenant.as_uuid()))
        .filter(statements_of_reasons::violation_id.eq(violation))
        .select(Row::as_select())
        .first(conn)
        .await
        .optional()?
        .map(Row::into_statement)
        .transpose()
}

/// `GET /statements/{id}`: the user it concerns, or staff of the tenant.
/// Anyone else is told it does not exist.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Statement, DecisionError> {
    let tenant = actor.tenant;
    let statement = db
        .tenant_tx(tenant, |conn| {
            async move { load(conn, tenant, id).await }.scope_boxed()
        })
        .await?
        .ok_or(DecisionError::not_found("statement"))?;
    if statement.user_id != actor.user_id && !actor.is_staff() {
        return Err(DecisionError::not_found("statement"));
    }
    Ok(statement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_bounded_and_never_empty() {
        assert_eq!(bounded("  spam  ", 10, "x"), "spam");
        assert_eq!(bounded("   ", 10, "fallback"), "fallback");
        assert_eq!(bounded("ñandú ñandú", 5, "x"), "ñandú");
    }

    #[test]
    fn decision_names_round_trip() {
        for kind in [
            DecisionKind::ContentHeld,
            DecisionKind::ChangesRequested,
            DecisionKind::Warning,
            DecisionKind::TemporaryBan,
            DecisionKind::PermanentBan,
            DecisionKind::ListingLimited,
            DecisionKind::Demoted,
        ] {
            assert_eq!(DecisionKind::parse(kind.as_str()).unwrap(), kind);
        }
        assert!(DecisionKind::parse("exile").is_err());
    }
}
