//! Violation statistics: counts by type, severity, action and status, and
//! time series in hour, day or week buckets (UTC) in which empty buckets are 0.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt, TenantId};

use crate::EnforcementError;
use crate::model::{Action, Severity, ViolationStatus, ViolationType};
use crate::violations::ViolationFilter;

/// What a caller who is not staff is told.
const STAFF_ONLY: &str = "only moderators and administrators may read violation statistics";

/// Most buckets one trend may have.
pub const MAX_BUCKETS: i64 = 2000;

/// Counts of violations recorded in `[from, to)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ViolationStats {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// All violations.
    pub total: i64,
    /// By type; every type present, 0 when none.
    pub by_type: BTreeMap<String, i64>,
    /// By severity.
    pub by_severity: BTreeMap<String, i64>,
    /// By action taken.
    pub by_action: BTreeMap<String, i64>,
    /// By status.
    pub by_status: BTreeMap<String, i64>,
}

/// Size of a trend bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// One hour.
    Hour,
    /// One day (UTC).
    Day,
    /// One week, starting Monday (UTC).
    Week,
}

impl Bucket {
    fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
        }
    }

    fn length(self) -> Duration {
        match self {
            Self::Hour => Duration::hours(1),
            Self::Day => Duration::days(1),
            Self::Week => Duration::weeks(1),
        }
    }

    /// The range shown when the caller names none: a day of hours, a month of
    /// days, a quarter of weeks.
    fn default_span(self) -> Duration {
        match self {
            Self::Hour => Duration::hours(24),
            Self::Day => Duration::days(30),
            Self::Week => Duration::weeks(12),
        }
    }
}

/// One point of a trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrendPoint {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    /// Violations recorded in it.
    pub count: i64,
}

/// A time series of violations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ViolationTrend {
    /// Bucket size.
    pub bucket: Bucket,
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// One point per bucket, oldest first, from the bucket holding `from`.
    pub points: Vec<TrendPoint>,
}

#[derive(QueryableByName)]
struct GroupCount {
    #[diesel(sql_type = Text)]
    violation_type: String,
    #[diesel(sql_type = Text)]
    severity: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct BucketCount {
    #[diesel(sql_type = Timestamptz)]
    bucket: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The half-open range `[from, to)` asked for (default: `span` ending now).
/// A `from` at or after `to` is the empty range at `to`: every count is 0.
fn range(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    span: Duration,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = to.unwrap_or(now);
    let from = from
        .unwrap_or_else(|| {
            to.checked_sub_signed(span)
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        })
        .min(to);
    (from, to)
}

fn zeros<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> BTreeMap<String, i64> {
    all.iter().map(|v| (name(*v).to_owned(), 0)).collect()
}

/// Counts of the violations recorded in `[from, to)` (default: the last 30 days).
pub async fn stats(
    db: &Db,
    actor: &Actor,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<ViolationStats, EnforcementError> {
    actor.require_staff(STAFF_ONLY)?;
    let (from, to) = range(from, to, Duration::days(30), now);
    let groups: Vec<GroupCount> = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                Ok::<_, EnforcementError>(
                    diesel::sql_query(
                        "SELECT type AS violation_type, severity, action, status, count(*) AS n
                         FROM violations WHERE created_at >= $1 AND created_at < $2
                         GROUP BY 1, 2, 3, 4",
                    )
                    .bind::<Timestamptz, _>(from)
                    .bind::<Timestamptz, _>(to)
                    .load(conn)
                    .await?,
                )
            }
            .scope_boxed()
        })
        .await?;
    let mut s = ViolationStats {
        from,
        to,
        total: 0,
        by_type: zeros(ViolationType::ALL, ViolationType::as_str),
        by_severity: zeros(Severity::ALL, Severity::as_str),
        by_action: zeros(Action::ALL, Action::as_str),
        by_status: zeros(ViolationStatus::ALL, ViolationStatus::as_str),
    };
    for g in groups {
        s.total += g.n;
        *s.by_type.entry(g.violation_type).or_default() += g.n;
        *s.by_severity.entry(g.severity).or_default() += g.n;
        *s.by_action.entry(g.action).or_default() += g.n;
        *s.by_status.entry(g.status).or_default() += g.n;
    }
    Ok(s)
}

/// Violations per bucket in `[from, to)` matching `filter` (its own from/to
/// are the range; default: a span fitting the bucket, ending now).
pub async fn trends(
    db: &Db,
    actor: &Actor,
    bucket: Bucket,
    filter: ViolationFilter,
    now: DateTime<Utc>,
) -> Result<ViolationTrend, EnforcementError> {
    actor.require_staff(STAFF_ONLY)?;
    let (from, to) = range(filter.from, filter.to, bucket.default_span(), now);
    // A longer range is cut to its last MAX_BUCKETS buckets; the answer's
    // `from` says where it starts.
    let earliest = to
        .checked_sub_signed(Duration::seconds(
            bucket.length().num_seconds() * MAX_BUCKETS,
        ))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let from = from.max(earliest);
    if from >= to {
        return Ok(ViolationTrend {
            bucket,
            from,
            to,
            points: Vec::new(),
        });
    }
    let rows: Vec<BucketCount> = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                // Buckets are UTC whatever the server's time zone.
                diesel::sql_query("SET LOCAL TIME ZONE 'UTC'")
                    .execute(conn)
                    .await?;
                Ok::<_, EnforcementError>(
                    diesel::sql_query(
                        "SELECT b.bucket, count(v.id) AS n
                         FROM generate_series(date_trunc($1, $2::timestamptz),
                                              $3::timestamptz - interval '1 microsecond',
                                              ('1 ' || $1)::interval) AS b(bucket)
                         LEFT JOIN violations v
                           ON date_trunc($1, v.created_at) = b.bucket
                          AND v.created_at >= $2 AND v.created_at < $3
                          AND ($4::text IS NULL OR v.type = $4)
                          AND ($5::text IS NULL OR v.severity = $5)
                          AND ($6::text IS NULL OR v.action = $6)
                          AND ($7::text IS NULL OR v.status = $7)
                          AND ($8::uuid IS NULL OR v.user_id = $8)
                         GROUP BY b.bucket ORDER BY b.bucket",
                    )
                    .bind::<Text, _>(bucket.as_str())
                    .bind::<Timestamptz, _>(from)
                    .bind::<Timestamptz, _>(to)
                    .bind::<Nullable<Text>, _>(filter.violation_type.map(ViolationType::as_str))
                    .bind::<Nullable<Text>, _>(filter.severity.map(Severity::as_str))
                    .bind::<Nullable<Text>, _>(filter.action.map(Action::as_str))
                    .bind::<Nullable<Text>, _>(filter.status.map(ViolationStatus::as_str))
                    .bind::<Nullable<SqlUuid>, _>(filter.user_id)
                    .load(conn)
                    .await?,
                )
            }
            .scope_boxed()
        })
        .await?;
    Ok(ViolationTrend {
        bucket,
        from,
        to,
        points: rows
            .into_iter()
            .map(|r| TrendPoint {
                start: r.bucket,
                count: r.n,
            })
            .collect(),
    })
}

/// Appeals of a period, for a transparency report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AppealCounts {
    /// Appeals filed in the period.
    pub received: i64,
    /// Appeals decided in the period that upheld the violation.
    pub upheld: i64,
    /// Appeals decided in the period that overturned it.
    pub overturned: i64,
}

impl AppealCounts {
    /// Adds another tenant's counts.
    pub fn add(&mut self, other: &Self) {
        self.received += other.received;
        self.upheld += other.upheld;
        self.overturned += other.overturned;
    }
}

#[derive(diesel::QueryableByName)]
struct AppealRow {
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = BigInt)]
    upheld: i64,
    #[diesel(sql_type = BigInt)]
    overturned: i64,
}

/// The appeals of `[from, to)` in the tenant and the seconds each decided one
/// took, inside a running transaction.
pub async fn appeal_counts(
    conn: &mut DbConn,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(AppealCounts, Vec<f64>), EnforcementError> {
    let row: AppealRow = diesel::sql_query(
        "SELECT count(*) FILTER (WHERE created_at >= $2 AND created_at < $3) AS received,
                count(*) FILTER (WHERE status = 'upheld' AND decided_at >= $2 AND decided_at < $3) AS upheld,
                count(*) FILTER (WHERE status = 'overturned' AND decided_at >= $2 AND decided_at < $3) AS overturned
           FROM violation_appeals WHERE tenant_id = $1",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .get_result(conn)
    .await?;
    let waits: Vec<Seconds> = diesel::sql_query(
        "SELECT extract(epoch FROM decided_at - created_at)::float8 AS seconds
           FROM violation_appeals
          WHERE tenant_id = $1 AND decided_at >= $2 AND decided_at < $3",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
    .await?;
    Ok((
        AppealCounts {
            received: row.received,
            upheld: row.upheld,
            overturned: row.overturned,
        },
        waits.into_iter().map(|w| w.seconds).collect(),
    ))
}

#[derive(diesel::QueryableByName)]
struct Seconds {
    #[diesel(sql_type = diesel::sql_types::Double)]
    seconds: f64,
}
