//! Reading reports: a reporter's own, and staff's view of an item's.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::{Actor, Db, Page, PageRequest, ScopedFutureExt};

use crate::schema::reports;
use crate::{Report, ReportError};

/// Filters of the staff list.
#[derive(Clone, Debug, Default)]
pub struct ReportFilter {
    /// Only the reports of this review item.
    pub review_id: Option<Uuid>,
    /// Only `open` or `closed` reports.
    pub status: Option<String>,
}

/// One page of the tenant's reports matching the filters, newest first.
async fn page_of(
    db: &Db,
    actor: &Actor,
    reporter: Option<Uuid>,
    filter: ReportFilter,
    page: PageRequest,
) -> Result<Page<Report>, ReportError> {
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let mut q = reports::table
                .select(Report::as_select())
                .order(reports::id.desc())
                .limit(page.fetch())
                .into_boxed();
            if let Some(after) = page.after {
                q = q.filter(reports::id.lt(after));
            }
            if let Some(reporter) = reporter {
                q = q.filter(reports::reporter_id.eq(reporter));
            }
            if let Some(review) = filter.review_id {
                q = q.filter(reports::review_id.eq(review));
            }
            if let Some(status) = filter.status {
                q = q.filter(reports::status.eq(status));
            }
            let rows = q.load(conn).await?;
            Ok(page.page(rows, |r| r.id))
        }
        .scope_boxed()
    })
    .await
}

/// The caller's reports with their status and outcome, newest first.
pub async fn mine(db: &Db, actor: &Actor, page: PageRequest) -> Result<Page<Report>, ReportError> {
    page_of(
        db,
        actor,
        Some(actor.user_id),
        ReportFilter::default(),
        page,
    )
    .await
}

/// The tenant's reports, newest first (moderators and administrators).
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: ReportFilter,
    page: PageRequest,
) -> Result<Page<Report>, ReportError> {
    actor.require_staff("only moderators and administrators may read others' reports")?;
    if let Some(s) = &filter.status
        && !["open", "closed"].contains(&s.as_str())
    {
        return Err(ReportError::invalid("status: open or closed"));
    }
    page_of(db, actor, None, filter, page).await
}
