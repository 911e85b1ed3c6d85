//! The decisions part of a transparency report (DSA article 24): statements
//! of reasons issued in a period, by decision, ground and automation.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;
use warden_tenancy::{DbConn, TenantId};

use crate::DecisionError;
use crate::statements::DecisionKind;

/// Restrictive decisions of a period, counted from their statements.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct DecisionCounts {
    /// Every decision.
    pub total: i64,
    /// By what was decided (every kind present, 0 when none).
    pub by_decision: BTreeMap<String, i64>,
    /// By ground: the rule or policy name.
    pub by_ground: BTreeMap<String, i64>,
    /// Taken by automated means.
    pub automated: i64,
    /// Taken by a person.
    pub manual: i64,
}

impl DecisionCounts {
    /// Adds another tenant's counts.
    pub fn add(&mut self, other: &Self) {
        self.total += other.total;
        self.automated += other.automated;
        self.manual += other.manual;
        for (k, v) in &other.by_decision {
            *self.by_decision.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.by_ground {
            *self.by_ground.entry(k.clone()).or_default() += v;
        }
    }

    /// No decision, every kind present.
    pub fn empty() -> Self {
        Self {
            by_decision: DecisionKind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), 0))
                .collect(),
            ..Self::default()
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Group {
    #[diesel(sql_type = Text)]
    decision: String,
    #[diesel(sql_type = Text)]
    ground_name: String,
    #[diesel(sql_type = Bool)]
    automated: bool,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The decisions of `[from, to)` in the tenant, inside a running transaction.
pub async fn decision_counts(
    conn: &mut DbConn,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<DecisionCounts, DecisionError> {
    let groups: Vec<Group> = diesel::sql_query(
        "SELECT decision, ground_name, automated, count(*) AS n
           FROM statements_of_reasons
          WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
          GROUP BY 1, 2, 3",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
    .await?;
    let mut counts = DecisionCounts::empty();
    for g in groups {
        counts.total += g.n;
        *counts.by_decision.entry(g.decision).or_default() += g.n;
        *counts.by_ground.entry(g.ground_name).or_default() += g.n;
        if g.automated {
            counts.automated += g.n;
        } else {
            counts.manual += g.n;
        }
    }
    Ok(counts)
}
