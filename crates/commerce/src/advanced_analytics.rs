//! Advanced sales analytics of a store over a period: a daily series, the
//! top products and repeat buyers. A trust-gated feature
//! (`advanced_analytics`); the figures of [`crate::analytics`] are
//! `basic_analytics`.
//!
//! A sale is an order that was paid and not called off: `paid`, `shipped`,
//! `delivered` or `disputed` (not `pending`, `cancelled` or `refunded`).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Date, Int8, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;
use warden_tenancy::{Db, ScopedFutureExt};

use crate::analytics::AnalyticsQuery;
use crate::seller_standing::{GatedFeature, SellerStanding};
use crate::{Actor, CommerceError};

/// Products in [`AdvancedAnalytics::top_products`].
pub const TOP_PRODUCTS: i64 = 10;

/// The statuses of a sale.
const SALE: &str = "('paid', 'shipped', 'delivered', 'disputed')";

/// One day (UTC) and currency of the series.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, QueryableByName)]
pub struct DailySales {
    /// The day (UTC).
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    /// ISO 4217 code.
    #[diesel(sql_type = Text)]
    pub currency: String,
    /// Orders placed that day (any status).
    #[diesel(sql_type = Int8)]
    pub orders: i64,
    /// Of those, sales.
    #[diesel(sql_type = Int8)]
    pub sales: i64,
    /// Their total, minor units.
    #[diesel(sql_type = Int8)]
    pub sales_minor: i64,
}

/// A product among the best sellers of the period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, QueryableByName)]
pub struct TopProduct {
    /// The product.
    #[diesel(sql_type = SqlUuid)]
    pub product_id: Uuid,
    /// Its title on its latest sale.
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Units sold.
    #[diesel(sql_type = Int8)]
    pub units: i64,
    /// Sales it was in.
    #[diesel(sql_type = Int8)]
    pub orders: i64,
}

/// Buyers of the period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, QueryableByName)]
pub struct Buyers {
    /// Buyers with at least one sale.
    #[diesel(sql_type = Int8)]
    pub buyers: i64,
    /// Of those, buyers with two or more.
    #[diesel(sql_type = Int8)]
    pub repeat_buyers: i64,
}

/// A store's advanced analytics.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AdvancedAnalytics {
    /// The store.
    pub seller_id: Uuid,
    /// Start of the period (orders created since).
    pub since: DateTime<Utc>,
    /// Per day (UTC) and currency, oldest first; days without orders are
    /// left out.
    pub daily: Vec<DailySales>,
    /// Up to 10 products by units sold, most first.
    pub top_products: Vec<TopProduct>,
    /// Buyers and repeat buyers.
    pub buyers: Buyers,
    /// Share of buyers who bought twice or more (none without buyers).
    pub repeat_rate: Option<f64>,
}

/// The caller's store's advanced analytics over the last `days` days at `now`.
pub async fn mine(
    db: &Db,
    seller_standing: &dyn SellerStanding,
    actor: &Actor,
    query: AnalyticsQuery,
    now: DateTime<Utc>,
) -> Result<AdvancedAnalytics, CommerceError> {
    let since = query.since(now)?;
    let actor = actor.clone();
    let tenant = actor.tenant.as_uuid();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = seller_standing
                .require_own(conn, actor.user_id, GatedFeature::AdvancedAnalytics)
                .await?;
            let daily: Vec<DailySales> = diesel::sql_query(format!(
                "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, currency,
                        count(*) AS orders,
                        count(*) FILTER (WHERE status IN {SALE}) AS sales,
                        COALESCE(sum(total_minor) FILTER (WHERE status IN {SALE}), 0)::int8 AS sales_minor
                   FROM orders
                  WHERE tenant_id = $1 AND seller_id = $2 AND created_at >= $3
                  GROUP BY 1, 2 ORDER BY 1, 2"
            ))
            .bind::<SqlUuid, _>(tenant)
            .bind::<SqlUuid, _>(seller)
            .bind::<Timestamptz, _>(since)
            .load(conn)
            .await?;
            let top_products: Vec<TopProduct> = diesel::sql_query(format!(
                "SELECT i.product_id, (array_agg(i.title ORDER BY i.id DESC))[1] AS title,
                        sum(i.quantity)::int8 AS units, count(DISTINCT i.order_id) AS orders
                   FROM order_items i
                   JOIN orders o ON o.tenant_id = i.tenant_id AND o.id = i.order_id
                  WHERE o.tenant_id = $1 AND o.seller_id = $2 AND o.created_at >= $3
                    AND o.status IN {SALE}
                  GROUP BY i.product_id ORDER BY units DESC, i.product_id LIMIT {TOP_PRODUCTS}"
            ))
            .bind::<SqlUuid, _>(tenant)
            .bind::<SqlUuid, _>(seller)
            .bind::<Timestamptz, _>(since)
            .load(conn)
            .await?;
            let buyers: Buyers = diesel::sql_query(format!(
                "SELECT count(*) AS buyers, count(*) FILTER (WHERE n >= 2) AS repeat_buyers
                   FROM (SELECT buyer_id, count(*) AS n FROM orders
                          WHERE tenant_id = $1 AND seller_id = $2 AND created_at >= $3
                            AND status IN {SALE}
                          GROUP BY buyer_id) b"
            ))
            .bind::<SqlUuid, _>(tenant)
            .bind::<SqlUuid, _>(seller)
            .bind::<Timestamptz, _>(since)
            .get_result(conn)
            .await?;
            #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
            let repeat_rate =
                (buyers.buyers > 0).then(|| buyers.repeat_buyers as f64 / buyers.buyers as f64);
            Ok(AdvancedAnalytics {
                seller_id: seller,
                since,
                daily,
                top_products,
                buyers,
                repeat_rate,
            })
        }
        .scope_boxed()
    })
    .await
}
