//! Submitting a report.
//!
//! A report names a target that must exist in the tenant (404 otherwise,
//! the same for another tenant's id), a category of the tenant's list, up to
//! [`TEXT_MAX_CHARS`] characters of text and up to [`MESSAGE_IDS_MAX`]
//! message ids of the tenant. Every submission, new or merged, counts
//! against the reporter's hourly rate (checked after the input is valid, so
//! a refused report costs nothing).
//!
//! **Merging**: while a reporter's report of a target is open, reporting the
//! same target again updates that report instead of adding one: the latest
//! category is kept, the latest non-empty text replaces the earlier one, the
//! message ids are added to those given before (at most
//! [`MESSAGE_IDS_MAX`] in all), and `times_reported` counts the
//! submissions. The answer says `merged: true`. Once the report is decided,
//! a new report of the target starts a new one.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use warden_audit::Kind;
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt, TenantId, is_unique_violation};

use crate::schema::reports;
use crate::{
    Report, ReportError, ReportThrottle, ReviewQueue, TargetType, activity, priority, settings,
    targets,
};

/// Longest report text, in characters.
pub const TEXT_MAX_CHARS: usize = 2000;

/// Most message ids a report may hold (merged ones included).
pub const MESSAGE_IDS_MAX: usize = 20;

/// `POST /reports`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// What is reported.
    pub target_type: TargetType,
    /// The listing, review, message, store (seller profile) or user id.
    pub target_id: Uuid,
    /// One of the tenant's categories (`GET /reports/settings`).
    #[schema(pattern = "^[a-z][a-z0-9_]{0,62}$")]
    pub category: String,
    /// What is wrong, up to 2,000 characters.
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub text: String,
    /// Messages of the tenant that show it, up to 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub message_ids: Vec<Uuid>,
}

/// A submitted report.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Submitted {
    /// The report (the open one it was merged into, when `merged`).
    #[serde(flatten)]
    pub report: Report,
    /// Whether the submission was merged into the reporter's open report of
    /// the same target.
    pub merged: bool,
}

/// The body checked before anything is read: text and message ids.
fn check_body(body: &ReportBody) -> Result<Vec<Uuid>, ReportError> {
    if body.text.chars().count() > TEXT_MAX_CHARS {
        return Err(ReportError::invalid_report(format!(
            "text: at most {TEXT_MAX_CHARS} characters"
        )));
    }
    warden_tenancy::text::input::check_controls("text", &body.text)
        .map_err(ReportError::invalid_report)?;
    let ids: BTreeSet<Uuid> = body.message_ids.iter().copied().collect();
    if ids.len() > MESSAGE_IDS_MAX {
        return Err(ReportError::invalid_report(format!(
            "message_ids: at most {MESSAGE_IDS_MAX}"
        )));
    }
    Ok(ids.into_iter().collect())
}

/// The reporter's open report of the target, locked.
async fn open_report(
    conn: &mut DbConn,
    reporter: Uuid,
    target_type: TargetType,
    target_id: Uuid,
) -> Result<Option<Report>, ReportError> {
    Ok(reports::table
        .filter(reports::reporter_id.eq(reporter))
        .filter(reports::target_type.eq(target_type.as_str()))
        .filter(reports::target_id.eq(target_id))
        .filter(reports::status.eq("open"))
        .select(Report::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// Records the submission in the activity log, in its transaction.
async fn audit(
    conn: &mut DbConn,
    actor: &Actor,
    report: &Report,
    merged: bool,
) -> Result<(), ReportError> {
    let (kind, action) = if merged {
        (Kind::ResourceUpdate, "report_merged")
    } else {
        (Kind::ResourceCreate, "report_created")
    };
    let metadata = serde_json::json!({
        "target_type": report.target_type,
        "target_id": report.target_id,
        "category": report.category,
        "review_id": report.review_id,
        "times_reported": report.times_reported,
    });
    activity::record(
        conn,
        actor,
        kind,
        action,
        Some(report.id.to_string()),
        metadata,
    )
    .await
}

/// Adds a new report, in the target's open review item.
async fn insert(
    conn: &mut DbConn,
    queue: &dyn ReviewQueue,
    tenant: TenantId,
    reporter: Uuid,
    body: &ReportBody,
    message_ids: &[Uuid],
) -> Result<Report, ReportError> {
    let reason = format!("reported: {}", body.category);
    let review_id = queue
        .open_item(conn, tenant, body.target_type, body.target_id, &reason)
        .await?;
    diesel::insert_into(reports::table)
        .values((
            reports::tenant_id.eq(tenant.as_uuid()),
            reports::id.eq(Uuid::now_v7()),
            reports::reporter_id.eq(reporter),
            reports::target_type.eq(body.target_type.as_str()),
            reports::target_id.eq(body.target_id),
            reports::category.eq(&body.category),
            reports::text.eq(&body.text),
            reports::message_ids.eq(message_ids),
            reports::review_id.eq(review_id),
        ))
        .returning(Report::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ReportError::conflict("this report is being submitted already; retry")
            } else {
                e.into()
            }
        })
}

/// Merges a repeat into the reporter's open report (see the module's rule).
async fn merge(
    conn: &mut DbConn,
    open: &Report,
    body: &ReportBody,
    message_ids: Vec<Uuid>,
) -> Result<Report, ReportError> {
    let text = if body.text.trim().is_empty() {
        open.text.clone()
    } else {
        body.text.clone()
    };
    Ok(
        diesel::update(reports::table.filter(reports::id.eq(open.id)))
            .set((
                reports::category.eq(&body.category),
                reports::text.eq(text),
                reports::message_ids.eq(message_ids),
                reports::times_reported.eq(reports::times_reported + 1),
                reports::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Report::as_returning())
            .get_result(conn)
            .await?,
    )
}

/// Submits a report (any member of the tenant), or merges it into the
/// reporter's open report of the same target.
pub async fn submit(
    db: &Db,
    queue: &dyn ReviewQueue,
    throttle: &dyn ReportThrottle,
    actor: &Actor,
    body: ReportBody,
) -> Result<Submitted, ReportError> {
    let message_ids = check_body(&body)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let settings = settings::load(conn).await?;
            if !settings.categories.contains(&body.category) {
                return Err(ReportError::invalid_report(format!(
                    "category: one of {}",
                    settings.categories.join(", ")
                )));
            }
            if !targets::reportable(conn, &actor, body.target_type, body.target_id).await? {
                return Err(ReportError::not_found("report target"));
            }
            let found = targets::visible_messages(conn, &actor, &message_ids).await?;
            if usize::try_from(found).ok() != Some(message_ids.len()) {
                return Err(ReportError::invalid_report(
                    "message_ids: every id must be a message of one of your conversations",
                ));
            }
            let open = open_report(conn, actor.user_id, body.target_type, body.target_id).await?;
            let merged_ids = open.as_ref().map(|o| {
                let all: BTreeSet<Uuid> = o.message_ids.iter().chain(&message_ids).copied().collect();
                all.into_iter().collect::<Vec<_>>()
            });
            if merged_ids.as_ref().is_some_and(|ids| ids.len() > MESSAGE_IDS_MAX) {
                return Err(ReportError::invalid_report(format!(
                    "message_ids: at most {MESSAGE_IDS_MAX} with those of your open report of this target"
                )));
            }
            throttle
                .admit(actor.tenant, actor.user_id, settings.reports_per_hour)
                .await?;
            let (report, merged) = match (open, merged_ids) {
                (Some(open), Some(ids)) => (merge(conn, &open, &body, ids).await?, true),
                _ => (
                    insert(conn, queue, actor.tenant, actor.user_id, &body, &message_ids).await?,
                    false,
                ),
            };
            if !merged {
                priority::refresh(conn, queue, report.review_id).await?;
            }
            audit(conn, &actor, &report, merged).await?;
            Ok(Submitted { report, merged })
        }
        .scope_boxed()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str, ids: usize) -> ReportBody {
        ReportBody {
            target_type: TargetType::Listing,
            target_id: Uuid::nil(),
            category: "spam".into(),
            text: text.into(),
            message_ids: (0..ids).map(|_| Uuid::now_v7()).collect(),
        }
    }

    #[test]
    fn text_and_message_ids_are_bounded() {
        assert!(check_body(&body(&"é".repeat(2000), 20)).is_ok());
        assert!(matches!(
            check_body(&body(&"é".repeat(2001), 0)),
            Err(ReportError::InvalidReport(m)) if m.starts_with("text")
        ));
        assert!(matches!(
            check_body(&body("", 21)),
            Err(ReportError::InvalidReport(m)) if m.starts_with("message_ids")
        ));
        assert!(check_body(&body("a\u{0}b", 0)).is_err());
    }
}
