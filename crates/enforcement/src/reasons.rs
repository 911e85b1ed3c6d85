//! What a violation was decided on and what its user is told: the evidence
//! record of a violation recorded by hand (moderation and behavior bring
//! their own), and the statement of reasons every violation produces, with
//! the way to appeal it.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use warden_decisions::evidence::{self, NewEvidence};
use warden_decisions::statements::{
    self, AppealRoute, DecisionKind, Ground, NewStatement, Statement,
};
use warden_tenancy::{DbConn, TenantId};

use crate::EnforcementError;
use crate::model::{Action, SourceKind, Violation, ViolationType};
use crate::violations::ViolationRequest;

/// The evidence of a violation a person recorded: their reason, their name,
/// the time. Returns the id of the request's own evidence when it brought one.
pub(crate) async fn evidence_of(
    conn: &mut DbConn,
    tenant: TenantId,
    request: &ViolationRequest,
    by: Option<Uuid>,
    action: Action,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, EnforcementError> {
    if request.evidence_id.is_some() || request.source.kind != SourceKind::Manual {
        return Ok(request.evidence_id);
    }
    let evidence = NewEvidence {
        user_id: Some(request.user_id),
        decision: action.as_str().to_owned(),
        rules: serde_json::json!([{
            "name": ground_of(request).name,
            "explanation": request.reason,
        }]),
        decided_by: by,
        decided_at: now,
        ..NewEvidence::default()
    };
    Ok(Some(evidence::record_in_tx(conn, tenant, evidence).await?))
}

/// The ground a request names, or the tenant's rules of its kind.
fn ground_of(request: &ViolationRequest) -> Ground {
    request.ground.clone().unwrap_or_else(|| Ground {
        name: match request.violation_type {
            ViolationType::Content => "Content rules",
            ViolationType::Behavior => "Conduct rules",
            ViolationType::Security => "Account security rules",
        }
        .to_owned(),
        text: request.reason.clone(),
    })
}

fn decision_of(action: Action) -> DecisionKind {
    match action {
        Action::Warning => DecisionKind::Warning,
        Action::TemporaryBan => DecisionKind::TemporaryBan,
        Action::PermanentBan => DecisionKind::PermanentBan,
    }
}

/// The facts of a violation, in words: what the user did (the reason), the
/// content it removed, and what it does to the account.
fn facts_of(request: &ViolationRequest, v: &Violation) -> String {
    let mut facts = Vec::new();
    match &request.content {
        Some((kind, None)) => facts.push(format!(
            "Your {} was refused and not published.",
            kind.replace('_', " ")
        )),
        Some((kind, Some(_))) => {
            facts.push(format!("Your {} was removed.", kind.replace('_', " ")));
        }
        None => {}
    }
    let reason = v.reason.trim_end();
    facts.push(if reason.ends_with(['.', '!', '?']) {
        reason.to_owned()
    } else {
        format!("{reason}.")
    });
    facts.push(match v.action {
        Action::Warning => format!(
            "This is step {} on the tenant's ladder: a warning; your account stays usable.",
            v.ladder_step
        ),
        Action::TemporaryBan => format!(
            "This is step {} on the tenant's ladder: your account is suspended until {}.",
            v.ladder_step,
            v.ban_until.map(|t| t.to_rfc3339()).unwrap_or_default()
        ),
        Action::PermanentBan => format!(
            "This is step {} on the tenant's ladder: your account is suspended permanently.",
            v.ladder_step
        ),
    });
    facts.join(" ")
}

/// Issues the statement of reasons of a new violation, appealable until the
/// tenant's appeal period ends. The user reads it in the violation's own
/// notice.
pub(crate) async fn statement_of(
    conn: &mut DbConn,
    tenant: TenantId,
    request: &ViolationRequest,
    v: &Violation,
    appeal_days: u32,
) -> Result<Statement, EnforcementError> {
    let statement = NewStatement {
        user_id: v.user_id,
        decision: decision_of(v.action),
        content: request.content.clone(),
        violation_id: Some(v.id),
        facts: facts_of(request, v),
        ground: ground_of(request),
        automated: request.automated && v.created_by.is_none(),
        restricted_until: v.ban_until,
        appeal: Some(AppealRoute {
            url: format!("/api/v1/violations/{}/appeal", v.id),
            deadline: v.created_at + chrono::Duration::days(i64::from(appeal_days)),
        }),
        evidence_id: v.evidence_id,
        at: v.created_at,
    };
    Ok(statements::issue_in_tx(conn, tenant, statement).await?)
}
