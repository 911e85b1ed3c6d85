//! The commerce signals of one seller, read inside a tenant transaction.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Double, Nullable, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::DbConn;

use crate::TrustError;
use crate::score::Signals;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Double)]
    account_age_days: f64,
    #[diesel(sql_type = BigInt)]
    orders: i64,
    #[diesel(sql_type = BigInt)]
    delivered: i64,
    #[diesel(sql_type = BigInt)]
    disputed: i64,
    #[diesel(sql_type = BigInt)]
    cancelled: i64,
    #[diesel(sql_type = BigInt)]
    ratings: i64,
    #[diesel(sql_type = Nullable<Double>)]
    mean_rating: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    median_response_hours: Option<f64>,
    #[diesel(sql_type = Double)]
    violation_weight: f64,
}

/// The signals of seller profile `seller` (owned by user `owner`) at `now`.
pub async fn read(
    conn: &mut DbConn,
    seller: Uuid,
    owner: Uuid,
    now: DateTime<Utc>,
) -> Result<Signals, TrustError> {
    let row: Row = diesel::sql_query(
        "SELECT
           GREATEST(0, EXTRACT(EPOCH FROM ($3 - sp.created_at)) / 86400)::float8 AS account_age_days,
           (SELECT count(*) FROM orders o WHERE o.seller_id = $1) AS orders,
           (SELECT count(*) FROM orders o WHERE o.seller_id = $1 AND o.status = 'delivered') AS delivered,
           (SELECT count(*) FROM orders o WHERE o.seller_id = $1 AND o.status IN ('disputed', 'refunded')) AS disputed,
           (SELECT count(*) FROM orders o WHERE o.seller_id = $1 AND o.status = 'cancelled') AS cancelled,
           (SELECT count(*) FROM reviews r WHERE r.seller_id = $1) AS ratings,
           (SELECT avg(r.rating)::float8 FROM reviews r WHERE r.seller_id = $1) AS mean_rating,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x.hours)
              FROM (SELECT EXTRACT(EPOCH FROM (
                              (SELECT min(m2.created_at) FROM messages m2
                                WHERE m2.conversation_id = c.id AND m2.author_id = $2
                                  AND m2.created_at > fb.first_at) - fb.first_at)) / 3600 AS hours
                      FROM conversations c
                      JOIN LATERAL (SELECT min(m.created_at) AS first_at FROM messages m
                                     WHERE m.conversation_id = c.id
                                       AND m.author_id IS DISTINCT FROM $2) fb ON fb.first_at IS NOT NULL
                     WHERE c.seller_id = $1) x
             WHERE x.hours IS NOT NULL)::float8 AS median_response_hours,
           COALESCE((SELECT sum(CASE v.severity WHEN 'low' THEN 0.1 WHEN 'medium' THEN 0.25
                                                WHEN 'high' THEN 0.5 ELSE 1.0 END)
                       FROM violations v
                      WHERE v.user_id = $2 AND v.status <> 'overturned'
                        AND v.created_at > $3 - interval '90 days'), 0)::float8 AS violation_weight
         FROM seller_profiles sp WHERE sp.id = $1",
    )
    .bind::<SqlUuid, _>(seller)
    .bind::<SqlUuid, _>(owner)
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
    .await
    .map_err(|e| match e {
        diesel::result::Error::NotFound => TrustError::not_found("seller"),
        other => other.into(),
    })?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(Signals {
        account_age_days: row.account_age_days,
        delivered_orders: count(row.delivered),
        orders: count(row.orders),
        disputed_orders: count(row.disputed),
        unpaid_cancellations: count(row.cancelled),
        ratings: count(row.ratings),
        mean_rating: row.mean_rating,
        median_response_hours: row.median_response_hours,
        violation_weight: row.violation_weight,
    })
}
