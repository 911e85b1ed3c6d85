//! The reports part of a transparency report (DSA article 24): notices
//! received in a period by category and target, and how those decided in it
//! went, with the time each took.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Double, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;
use warden_tenancy::{DbConn, TenantId};

use crate::ReportError;

/// Reports of a period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportCounts {
    /// Received (first filed) in the period.
    pub received: i64,
    /// Received, by category.
    pub by_category: BTreeMap<String, i64>,
    /// Received, by kind of target.
    pub by_target: BTreeMap<String, i64>,
    /// Decided in the period with action taken.
    pub upheld: i64,
    /// Decided in the period without action.
    pub dismissed: i64,
}

impl ReportCounts {
    /// Adds another tenant's counts.
    pub fn add(&mut self, other: &Self) {
        self.received += other.received;
        self.upheld += other.upheld;
        self.dismissed += other.dismissed;
        for (k, v) in &other.by_category {
            *self.by_category.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.by_target {
            *self.by_target.entry(k.clone()).or_default() += v;
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Group {
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    target_type: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Decided {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Double)]
    seconds: f64,
}

/// The reports of `[from, to)` in the tenant, and the seconds each report
/// decided in it waited, inside a running transaction.
pub async fn report_counts(
    conn: &mut DbConn,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(ReportCounts, Vec<f64>), ReportError> {
    let groups: Vec<Group> = diesel::sql_query(
        "SELECT category, target_type, count(*) AS n FROM reports
          WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
          GROUP BY 1, 2",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
    .await?;
    let decided: Vec<Decided> = diesel::sql_query(
        "SELECT outcome, extract(epoch FROM decided_at - created_at)::float8 AS seconds
           FROM reports
          WHERE tenant_id = $1 AND decided_at >= $2 AND decided_at < $3",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
    .await?;
    let mut counts = ReportCounts::default();
    for g in groups {
        counts.received += g.n;
        *counts.by_category.entry(g.category).or_default() += g.n;
        *counts.by_target.entry(g.target_type).or_default() += g.n;
    }
    let mut waits = Vec::with_capacity(decided.len());
    for d in decided {
        if d.outcome == "upheld" {
            counts.upheld += 1;
        } else {
            counts.dismissed += 1;
        }
        waits.push(d.seconds);
    }
    Ok((counts, waits))
}
