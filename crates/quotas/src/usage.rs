//! API usage metering: calls are counted in memory per tenant and minute and
//! written to `api_usage` in batches (minute, hour and day buckets), never one
//! write per request. A failed flush keeps its counts for the next one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::schema::api_usage;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{Db, ScopedFutureExt, TenantId};

use crate::QuotaError;

/// How long minute buckets are kept; hour and day buckets are kept for good.
pub const MINUTE_RETENTION: TimeDelta = TimeDelta::days(2);
/// Most buckets one history request returns.
pub const MAX_HISTORY_BUCKETS: i64 = 2000;

/// Bucket size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One minute.
    Minute,
    /// One hour.
    Hour,
    /// One UTC day.
    Day,
}

impl Granularity {
    fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }

    fn step(self) -> TimeDelta {
        match self {
            Self::Minute => TimeDelta::minutes(1),
            Self::Hour => TimeDelta::hours(1),
            Self::Day => TimeDelta::days(1),
        }
    }

    /// The start of the bucket holding `t`.
    pub fn bucket(self, t: DateTime<Utc>) -> DateTime<Utc> {
        t.duration_trunc(self.step()).unwrap_or(t)
    }
}

/// Calls in the current minute, hour and day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CallCounts {
    /// This minute.
    pub minute: i64,
    /// This hour.
    pub hour: i64,
    /// This UTC day.
    pub day: i64,
}

/// One bucket of history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, Queryable)]
pub struct UsageBucket {
    /// Start of the bucket.
    pub bucket: DateTime<Utc>,
    /// Calls in it.
    pub calls: i64,
}

/// The background flush task of a [`UsageRecorder`].
pub struct Flusher {
    stop: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<Result<i64, QuotaError>>,
}

impl Flusher {
    /// Stops the task after the flush in progress, if any, and flushes what is
    /// left; returns the calls written by that last flush.
    pub async fn stop(self) -> Result<i64, QuotaError> {
        self.stop.notify_one();
        self.task
            .await
            .map_err(|e| QuotaError::invalid(format!("usage flusher panicked: {e}")))?
    }
}

/// Counts API calls and writes them out in batches.
pub struct UsageRecorder {
    db: Db,
    pending: Mutex<HashMap<(Uuid, DateTime<Utc>), i64>>,
}

impl UsageRecorder {
    /// A recorder writing to `db`.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            pending: Mutex::new(HashMap::new()),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<(Uuid, DateTime<Utc>), i64>> {
        // Counts stay valid even if a thread panicked while holding the lock.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one call of `tenant` at `at`.
    pub fn record(&self, tenant: TenantId, at: DateTime<Utc>) {
        *self
            .pending()
            .entry((tenant.as_uuid(), Granularity::Minute.bucket(at)))
            .or_insert(0) += 1;
    }

    /// Writes every pending count, one transaction per tenant; returns the calls written.
    pub async fn flush(&self) -> Result<i64, QuotaError> {
        let batch = std::mem::take(&mut *self.pending());
        let mut by_tenant: HashMap<Uuid, Vec<(DateTime<Utc>, i64)>> = HashMap::new();
        for ((tenant, minute), n) in batch {
            by_tenant.entry(tenant).or_default().push((minute, n));
        }
        let mut written = 0;
        let mut first_error = None;
        for (tenant, minutes) in by_tenant {
            let total: i64 = minutes.iter().map(|(_, n)| n).sum();
            match self.write(TenantId::new(tenant), &minutes).await {
                Ok(()) => written += total,
                Err(e) => {
                    // Put the counts back so the next flush retries them.
                    let mut pending = self.pending();
                    for (minute, n) in minutes {
                        *pending.entry((tenant, minute)).or_insert(0) += n;
                    }
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(written),
        }
    }

    async fn write(
        &self,
        tenant: TenantId,
        minutes: &[(DateTime<Utc>, i64)],
    ) -> Result<(), QuotaError> {
        let mut rows: HashMap<(Granularity, DateTime<Utc>), i64> = HashMap::new();
        for &(minute, n) in minutes {
            for g in [Granularity::Minute, Granularity::Hour, Granularity::Day] {
                *rows.entry((g, g.bucket(minute))).or_insert(0) += n;
            }
        }
        // A fixed order: two replicas flushing one tenant lock the shared hour
        // and day rows in the same order and cannot deadlock.
        let mut rows: Vec<_> = rows.into_iter().collect();
        rows.sort_by_key(|((g, bucket), _)| (g.as_str(), *bucket));
        let values: Vec<_> = rows
            .into_iter()
            .map(|((g, bucket), calls)| {
                (
                    api_usage::tenant_id.eq(tenant.as_uuid()),
                    api_usage::granularity.eq(g.as_str()),
                    api_usage::bucket.eq(bucket),
                    api_usage::calls.eq(calls),
                )
            })
            .collect();
        let cutoff = Utc::now() - MINUTE_RETENTION;
        self.db
            .tenant_tx(tenant, |conn| {
                async move {
                    diesel::insert_into(api_usage::table)
                        .values(values)
                        .on_conflict((
                            api_usage::tenant_id,
                            api_usage::granularity,
                            api_usage::bucket,
                        ))
                        .do_update()
                        .set(api_usage::calls.eq(api_usage::calls + excluded(api_usage::calls)))
                        .execute(conn)
                        .await?;
                    diesel::delete(
                        api_usage::table
                            .filter(api_usage::tenant_id.eq(tenant.as_uuid()))
                            .filter(api_usage::granularity.eq("minute"))
                            .filter(api_usage::bucket.lt(cutoff)),
                    )
                    .execute(conn)
                    .await?;
                    Ok::<_, QuotaError>(())
                }
                .scope_boxed()
            })
            .await
    }

    /// Flushes every `every` until [`Flusher::stop`], which flushes once more.
    pub fn spawn_flusher(self: &Arc<Self>, every: Duration) -> Flusher {
        let me = Arc::clone(self);
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = stopped.notified() => break,
                }
                if let Err(e) = me.flush().await {
                    tracing::warn!(error = %e, "usage flush failed; counts kept for the next one");
                }
            }
            me.flush().await
        });
        Flusher { stop, task }
    }

    fn pending_since(&self, tenant: Uuid, since: DateTime<Utc>) -> i64 {
        self.pending()
            .iter()
            .filter(|((t, minute), _)| *t == tenant && *minute >= since)
            .map(|(_, n)| n)
            .sum()
    }

    /// Calls in the current minute, hour and day: what is stored plus what this
    /// process has not written yet.
    pub async fn current(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<CallCounts, QuotaError> {
        let buckets =
            [Granularity::Minute, Granularity::Hour, Granularity::Day].map(|g| (g, g.bucket(now)));
        let stored: Vec<(String, i64)> = self
            .db
            .tenant_tx(tenant, |conn| {
                async move {
                    let mut q = api_usage::table
                        .select((api_usage::granularity, api_usage::calls))
                        .filter(api_usage::tenant_id.eq(tenant.as_uuid()))
                        .into_boxed();
                    let mut any = Box::new(api_usage::granularity.eq("none"))
                        as Box<
                            dyn BoxableExpression<
                                    api_usage::table,
                                    diesel::pg::Pg,
                                    SqlType = diesel::sql_types::Bool,
                                >,
                        >;
                    for (g, b) in buckets {
                        any = Box::new(
                            any.or(api_usage::granularity
                                .eq(g.as_str())
                                .and(api_usage::bucket.eq(b))),
                        );
                    }
                    q = q.filter(any);
                    Ok::<_, QuotaError>(q.load(conn).await?)
                }
                .scope_boxed()
            })
            .await?;
        let of = |g: Granularity| {
            stored
                .iter()
                .filter(|(s, _)| s == g.as_str())
                .map(|(_, n)| n)
                .sum::<i64>()
        };
        let t = tenant.as_uuid();
        Ok(CallCounts {
            minute: of(Granularity::Minute) + self.pending_since(t, buckets[0].1),
            hour: of(Granularity::Hour) + self.pending_since(t, buckets[1].1),
            day: of(Granularity::Day) + self.pending_since(t, buckets[2].1),
        })
    }

    /// Stored buckets of `granularity` from `from` (inclusive) to `to` (exclusive).
    pub async fn history(
        &self,
        tenant: TenantId,
        granularity: Granularity,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<UsageBucket>, QuotaError> {
        // An empty range holds no bucket; a longer one than a request may
        // read is cut to its last MAX_HISTORY_BUCKETS buckets.
        if from >= to {
            return Ok(Vec::new());
        }
        let longest = TimeDelta::seconds(granularity.step().num_seconds() * MAX_HISTORY_BUCKETS);
        let earliest = to
            .checked_sub_signed(longest)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let from = granularity.bucket(from.max(earliest));
        self.db
            .tenant_tx(tenant, |conn| {
                async move {
                    Ok(api_usage::table
                        .select((api_usage::bucket, api_usage::calls))
                        .filter(api_usage::tenant_id.eq(tenant.as_uuid()))
                        .filter(api_usage::granularity.eq(granularity.as_str()))
                        .filter(api_usage::bucket.ge(from))
                        .filter(api_usage::bucket.lt(to))
                        .order(api_usage::bucket.asc())
                        .load(conn)
                        .await?)
                }
                .scope_boxed()
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn buckets_start_at_the_minute_hour_and_utc_day() {
        let t = Utc
            .with_ymd_and_hms(2026, 11, 26, 13, 47, 59)
            .single()
            .expect("valid time");
        assert_eq!(
            Granularity::Minute.bucket(t),
            Utc.with_ymd_and_hms(2026, 11, 26, 13, 47, 0)
                .single()
                .expect("valid")
        );
        assert_eq!(
            Granularity::Hour.bucket(t),
            Utc.with_ymd_and_hms(2026, 11, 26, 13, 0, 0)
                .single()
                .expect("valid")
        );
        assert_eq!(
            Granularity::Day.bucket(t),
            Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0)
                .single()
                .expect("valid")
        );
    }
}
