//! Sales analytics of a store over a period: orders by status, delivered
//! revenue per currency, ratings, listings by status. A trust-gated feature
//! (`basic_analytics`; more in [`crate::advanced_analytics`]).

use std::collections::BTreeMap;

use crate::schema::{orders, products};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{Db, ScopedFutureExt};

use crate::seller_standing::{GatedFeature, SellerStanding};
use crate::{Actor, CommerceError};

/// Longest period, days.
pub const MAX_DAYS: u32 = 365;

/// `GET /sellers/me/analytics` query.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsQuery {
    /// Days back from now, 1 to 365 (default 30).
    #[param(minimum = 1, maximum = 365)]
    pub days: Option<u32>,
}

impl AnalyticsQuery {
    /// The start of the period at `now`: `days` (default 30, 1 to
    /// [`MAX_DAYS`]) back.
    pub fn since(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, CommerceError> {
        let days = self.days.unwrap_or(30);
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(CommerceError::invalid(format!("days: 1 to {MAX_DAYS}")));
        }
        Ok(now - Duration::days(i64::from(days)))
    }
}

/// Delivered sales in one currency.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Revenue {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of delivered orders, minor units.
    pub delivered_minor: i64,
    /// Delivered orders.
    pub orders: u64,
}

/// A store's analytics.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SellerAnalytics {
    /// The store.
    pub seller_id: Uuid,
    /// Start of the period (orders and reviews created since).
    pub since: DateTime<Utc>,
    /// Orders created in the period, by current status.
    pub orders_by_status: BTreeMap<String, u64>,
    /// Delivered revenue per currency.
    pub revenue: Vec<Revenue>,
    /// Reviews of the store written in the period.
    pub reviews: u64,
    /// Their mean rating (none without reviews).
    pub mean_rating: Option<f64>,
    /// The store's listings now, by status (deleted ones left out).
    pub listings_by_status: BTreeMap<String, u64>,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The caller's store analytics over the last `days` days at `now`.
pub async fn mine(
    db: &Db,
    seller_standing: &dyn SellerStanding,
    actor: &Actor,
    query: AnalyticsQuery,
    now: DateTime<Utc>,
) -> Result<SellerAnalytics, CommerceError> {
    let since = query.since(now)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = seller_standing
                .require_own(conn, actor.user_id, GatedFeature::BasicAnalytics)
                .await?;
            let by_status: Vec<(String, i64)> = orders::table
                .filter(orders::seller_id.eq(seller))
                .filter(orders::created_at.ge(since))
                .group_by(orders::status)
                .select((orders::status, diesel::dsl::count_star()))
                .load(conn)
                .await?;
            let delivered: Vec<(String, i64, i64)> = diesel::sql_query(
                "SELECT currency, COALESCE(sum(total_minor), 0)::int8 AS total, count(*) AS n
                   FROM orders WHERE seller_id = $1 AND created_at >= $2 AND status = 'delivered'
                  GROUP BY currency ORDER BY currency",
            )
            .bind::<diesel::sql_types::Uuid, _>(seller)
            .bind::<diesel::sql_types::Timestamptz, _>(since)
            .load::<RevenueRow>(conn)
            .await?
            .into_iter()
            .map(|r| (r.currency, r.total, r.n))
            .collect();
            let (reviews_n, mean): (i64, Option<f64>) = diesel::sql_query(
                "SELECT count(*) AS n, avg(rating)::float8 AS mean
                   FROM reviews WHERE seller_id = $1 AND created_at >= $2",
            )
            .bind::<diesel::sql_types::Uuid, _>(seller)
            .bind::<diesel::sql_types::Timestamptz, _>(since)
            .get_result::<RatingRow>(conn)
            .await
            .map(|r| (r.n, r.mean))?;
            let listings: Vec<(String, i64)> = products::table
                .filter(products::seller_id.eq(seller))
                .filter(products::status.ne("deleted"))
                .group_by(products::status)
                .select((products::status, diesel::dsl::count_star()))
                .load(conn)
                .await?;
            Ok(SellerAnalytics {
                seller_id: seller,
                since,
                orders_by_status: by_status.into_iter().map(|(s, n)| (s, count(n))).collect(),
                revenue: delivered
                    .into_iter()
                    .map(|(currency, total, n)| Revenue {
                        currency,
                        delivered_minor: total,
                        orders: count(n),
                    })
                    .collect(),
                reviews: count(reviews_n),
                mean_rating: mean,
                listings_by_status: listings.into_iter().map(|(s, n)| (s, count(n))).collect(),
            })
        }
        .scope_boxed()
    })
    .await
}

#[derive(QueryableByName)]
struct RevenueRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    currency: String,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    total: i64,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    n: i64,
}

#[derive(QueryableByName)]
struct RatingRow {
    #[diesel(sql_type = diesel::sql_types::Int8)]
    n: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Float8>)]
    mean: Option<f64>,
}
