//! Trusted flaggers: reporters a tenant's administrators trust, whose reports
//! go to the front of the queue (see [`crate::priority`]). Marking or
//! unmarking one ranks their open items again at once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warden_audit::Kind;
use warden_tenancy::{Actor, Db, DbConn, Page, PageRequest, ScopedFutureExt};

use crate::priority::Standing;
use crate::schema::reporters;
use crate::{ReportError, ReviewQueue, activity, priority, targets};

const ADMINS_ONLY: &str = "only tenant administrators may manage trusted flaggers";

/// A reporter's standing.
#[derive(Clone, Debug, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = reporters)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Reporter {
    /// The user.
    pub user_id: Uuid,
    /// A trusted flagger.
    pub trusted: bool,
    /// Who marked them.
    pub trusted_by: Option<Uuid>,
    /// When.
    pub trusted_at: Option<DateTime<Utc>>,
    /// Their reports upheld so far.
    pub upheld: i32,
    /// Their reports dismissed so far.
    pub dismissed: i32,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// A reporter with the weight their reports carry.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReporterStanding {
    /// The standing.
    #[serde(flatten)]
    pub reporter: Reporter,
    /// `(upheld + 1) / (upheld + dismissed + 2)`.
    pub accuracy: f64,
    /// What one report of theirs adds to an item's priority.
    pub weight: i32,
}

impl From<Reporter> for ReporterStanding {
    fn from(reporter: Reporter) -> Self {
        let s = Standing {
            trusted: reporter.trusted,
            upheld: reporter.upheld,
            dismissed: reporter.dismissed,
        };
        Self {
            accuracy: s.accuracy(),
            weight: s.weight(),
            reporter,
        }
    }
}

/// The tenant's trusted flaggers, by user id (tenant administrators).
pub async fn list(
    db: &Db,
    actor: &Actor,
    page: PageRequest,
) -> Result<Page<ReporterStanding>, ReportError> {
    actor.require_admin(ADMINS_ONLY)?;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let mut q = reporters::table
                .filter(reporters::trusted.eq(true))
                .select(Reporter::as_select())
                .order(reporters::user_id.desc())
                .limit(page.fetch())
                .into_boxed();
            if let Some(after) = page.after {
                q = q.filter(reporters::user_id.lt(after));
            }
            let rows = q.load(conn).await?;
            Ok(page.page(rows, |r| r.user_id).map(ReporterStanding::from))
        }
        .scope_boxed()
    })
    .await
}

async fn set_trusted(
    conn: &mut DbConn,
    queue: &dyn ReviewQueue,
    actor: &Actor,
    user: Uuid,
    trusted: bool,
) -> Result<ReporterStanding, ReportError> {
    if !targets::user_exists(conn, user).await? {
        return Err(ReportError::not_found("user"));
    }
    let by = trusted.then_some(actor.user_id);
    let at = trusted.then(Utc::now);
    let row: Reporter = diesel::insert_into(reporters::table)
        .values((
            reporters::tenant_id.eq(actor.tenant.as_uuid()),
            reporters::user_id.eq(user),
            reporters::trusted.eq(trusted),
            reporters::trusted_by.eq(by),
            reporters::trusted_at.eq(at),
        ))
        .on_conflict((reporters::tenant_id, reporters::user_id))
        .do_update()
        .set((
            reporters::trusted.eq(trusted),
            reporters::trusted_by.eq(by),
            reporters::trusted_at.eq(at),
            reporters::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Reporter::as_returning())
        .get_result(conn)
        .await?;
    priority::refresh_for(conn, queue, &[user]).await?;
    let action = if trusted {
        "trusted_flagger_added"
    } else {
        "trusted_flagger_removed"
    };
    activity::record(
        conn,
        actor,
        Kind::ResourceUpdate,
        action,
        Some(user.to_string()),
        serde_json::json!({ "user_id": user }),
    )
    .await?;
    Ok(row.into())
}

/// Marks (`trusted`) or unmarks a user of the tenant as a trusted flagger
/// (tenant administrators); 404 for a user the tenant does not have.
pub async fn set(
    db: &Db,
    queue: &dyn ReviewQueue,
    actor: &Actor,
    user: Uuid,
    trusted: bool,
) -> Result<ReporterStanding, ReportError> {
    actor.require_admin(ADMINS_ONLY)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move { set_trusted(conn, queue, &actor, user, trusted).await }.scope_boxed()
    })
    .await
}
