//! A decided review item closes its reports: each gets the outcome, each
//! reporter's accuracy moves (one upheld or dismissed report more), their
//! other open items are ranked again, and each reporter is told. Called by
//! moderation's decision, through the server, inside its transaction.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{DbConn, TenantId};

use crate::schema::{reporters, reports};
use crate::{Outcome, Report, ReportError, ReviewQueue, notify, priority};

/// Adds one decided report to the reporter's standing.
async fn count(
    conn: &mut DbConn,
    tenant: TenantId,
    reporter: Uuid,
    outcome: Outcome,
) -> Result<(), ReportError> {
    let (upheld, dismissed) = match outcome {
        Outcome::Upheld => (1, 0),
        Outcome::Dismissed => (0, 1),
    };
    diesel::insert_into(reporters::table)
        .values((
            reporters::tenant_id.eq(tenant.as_uuid()),
            reporters::user_id.eq(reporter),
            reporters::upheld.eq(upheld),
            reporters::dismissed.eq(dismissed),
        ))
        .on_conflict((reporters::tenant_id, reporters::user_id))
        .do_update()
        .set((
            reporters::upheld.eq(reporters::upheld + upheld),
            reporters::dismissed.eq(reporters::dismissed + dismissed),
            reporters::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Closes the open reports of a decided review item with `outcome` (nothing
/// when the item holds none); how many were closed.
pub async fn close(
    conn: &mut DbConn,
    queue: &dyn ReviewQueue,
    tenant: TenantId,
    review_id: Uuid,
    outcome: Outcome,
    decided_by: Option<Uuid>,
) -> Result<usize, ReportError> {
    let closed: Vec<Report> = diesel::update(
        reports::table
            .filter(reports::review_id.eq(review_id))
            .filter(reports::status.eq("open")),
    )
    .set((
        reports::status.eq("closed"),
        reports::outcome.eq(outcome.as_str()),
        reports::decided_at.eq(diesel::dsl::now),
        reports::updated_at.eq(diesel::dsl::now),
    ))
    .returning(Report::as_returning())
    .get_results(conn)
    .await?;
    if closed.is_empty() {
        return Ok(0);
    }
    let reporters = priority::distinct(closed.iter().map(|r| r.reporter_id).collect());
    for reporter in &reporters {
        count(conn, tenant, *reporter, outcome).await?;
    }
    priority::refresh_for(conn, queue, &reporters).await?;
    for report in &closed {
        notify::report_decided(conn, tenant, report, outcome).await?;
    }
    let mut event = ActivityEvent::new(Kind::ResourceUpdate, "report_decided");
    event.actor_id = decided_by;
    event.resource_type = Some("reports".into());
    event.resource_id = Some(review_id.to_string());
    event.metadata = serde_json::json!({
        "event": "report_decided",
        "review_id": review_id,
        "outcome": outcome.as_str(),
        "reports": closed.iter().map(|r| r.id).collect::<Vec<_>>(),
        "reporters": reporters,
    });
    warden_audit::store::record_in_tx(conn, tenant, event).await?;
    Ok(closed.len())
}
