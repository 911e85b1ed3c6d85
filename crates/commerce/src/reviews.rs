//! Reviews: a buyer's rating of a delivered order, either of one product of
//! that order or (without a product) of the store. One review per order and
//! product, and one store review per order. Every member of the tenant reads them.

use crate::schema::{order_items, orders, reviews};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{Db, Page, PageRequest, ScopedFutureExt, is_unique_violation};

use warden_quotas::resources::{self, ResourceDelta};

use crate::content_screen::{ContentKind, ContentScreen, ModerationStatus};
use crate::orders::OrderStatus;
use crate::products::{PUBLIC, is_public};
use crate::seller_standing::SellerStanding;
use crate::{Actor, CommerceError, Role, validate};

/// Longest review text, in characters.
pub const MAX_BODY_CHARS: usize = 5000;

/// A review.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = reviews)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Review {
    /// Review id.
    pub id: Uuid,
    /// The buyer who wrote it.
    pub author_id: Uuid,
    /// The order reviewed.
    pub order_id: Uuid,
    /// The order's store.
    pub seller_id: Uuid,
    /// The product reviewed; null for a review of the store.
    pub product_id: Option<Uuid>,
    /// 1 (worst) to 5 (best).
    pub rating: i16,
    /// Text; empty when none was given.
    pub body: String,
    /// `approved`, `flagged`, `pending_review` (hidden from others until a
    /// reviewer approves), `rejected` or `changes_requested` (hidden).
    pub moderation_status: String,
    /// Written at.
    pub created_at: DateTime<Utc>,
}

/// A new review (`POST /reviews`).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    /// A delivered order of the caller's.
    pub order_id: Uuid,
    /// A product of that order; absent to review the store.
    #[serde(default)]
    pub product_id: Option<Uuid>,
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i16,
    /// Text, up to 5000 characters.
    #[serde(default)]
    #[schema(
        max_length = 5000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub body: Option<String>,
}

/// Filters for listing reviews.
#[derive(Clone, Debug, Default)]
pub struct ReviewFilter {
    /// Only reviews of this store's orders.
    pub seller_id: Option<Uuid>,
    /// Only reviews of this product.
    pub product_id: Option<Uuid>,
}

fn check_rating(rating: i16) -> Result<i16, CommerceError> {
    if (1..=5).contains(&rating) {
        Ok(rating)
    } else {
        Err(CommerceError::invalid("rating must be 1 to 5"))
    }
}

/// Reviews a delivered order of the caller's (buyers only), or one product of it.
/// Someone else's order is 404; an order not yet delivered (or no longer
/// delivered: disputed, refunded) is 409; a second review of the same order
/// and product (or of the same order's store) is 409.
/// A review's text is moderated first: a rejection writes nothing.
pub async fn create(
    db: &Db,
    screen: &dyn ContentScreen,
    seller_standing: &dyn SellerStanding,
    actor: &Actor,
    new: NewReview,
) -> Result<Review, CommerceError> {
    if !actor.has(Role::Buyer) {
        return Err(CommerceError::forbidden("only buyers may write reviews"));
    }
    let rating = check_rating(new.rating)?;
    let body = validate::opt_text("body", new.body.as_deref(), MAX_BODY_CHARS)?.unwrap_or_default();
    let (tenant, user_id) = (actor.tenant, actor.user_id);
    // A rating without text has nothing to moderate.
    let verdict = if body.is_empty() {
        None
    } else {
        Some(
            screen
                .screen(db, actor, ContentKind::Review, None, body.clone())
                .await?,
        )
    };
    db.tenant_tx(tenant, |conn| {
        async move {
            let (buyer_id, seller_id, status): (Uuid, Uuid, String) = orders::table
                .filter(orders::id.eq(new.order_id))
                .select((orders::buyer_id, orders::seller_id, orders::status))
                .first(conn)
                .await
                .optional()?
                .ok_or(CommerceError::not_found("order"))?;
            if buyer_id != user_id {
                return Err(CommerceError::not_found("order"));
            }
            if status != OrderStatus::Delivered.as_str() {
                return Err(CommerceError::conflict(
                    "you can review an order once it is delivered",
                ));
            }
            if let Some(product_id) = new.product_id {
                let in_order: i64 = order_items::table
                    .filter(order_items::order_id.eq(new.order_id))
                    .filter(order_items::product_id.eq(product_id))
                    .count()
                    .get_result(conn)
                    .await?;
                if in_order == 0 {
                    return Err(CommerceError::invalid(
                        "product_id must be a product of this order",
                    ));
                }
            }
            let bytes = validate::stored_bytes(&body);
            let id = Uuid::now_v7();
            let moderation = match &verdict {
                Some(v) => v.record(conn, tenant, id, Some(user_id)).await?,
                None => ModerationStatus::Approved,
            };
            let review = diesel::insert_into(reviews::table)
                .values((
                    reviews::tenant_id.eq(tenant.as_uuid()),
                    reviews::id.eq(id),
                    reviews::moderation_status.eq(moderation.as_str()),
                    reviews::author_id.eq(user_id),
                    reviews::order_id.eq(new.order_id),
                    reviews::seller_id.eq(seller_id),
                    reviews::product_id.eq(new.product_id),
                    reviews::rating.eq(rating),
                    reviews::body.eq(body),
                ))
                .returning(Review::as_returning())
                .get_result(conn)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        CommerceError::conflict(if new.product_id.is_some() {
                            "you have already reviewed this product of this order"
                        } else {
                            "you have already reviewed the store for this order"
                        })
                    } else {
                        e.into()
                    }
                })?;
            resources::charge(conn, tenant, ResourceDelta::bytes(bytes)).await?;
            // Ratings move the store's trust score.
            seller_standing
                .signals_changed(conn, tenant, seller_id)
                .await?;
            Ok(review)
        }
        .scope_boxed()
    })
    .await
}

/// Reads a review; every member of the tenant may, unless moderation holds
/// it back (then only its author and staff).
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Review, CommerceError> {
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let review = reviews::table
                .filter(reviews::id.eq(id))
                .select(Review::as_select())
                .first(conn)
                .await
                .optional()?
                .ok_or(CommerceError::not_found("review"))?;
            if is_public(&review.moderation_status)
                || actor.is_staff()
                || review.author_id == actor.user_id
            {
                Ok(review)
            } else {
                Err(CommerceError::not_found("review"))
            }
        }
        .scope_boxed()
    })
    .await
}

/// Lists reviews, newest first; every member of the tenant may. Reviews held
/// back by moderation are listed to their author and staff only.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: ReviewFilter,
    page: PageRequest,
) -> Result<Page<Review>, CommerceError> {
    let rows = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                let mut q = reviews::table
                    .select(Review::as_select())
                    .order(reviews::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(reviews::id.lt(after));
                }
                if !actor.is_staff() {
                    q = q.filter(
                        reviews::moderation_status
                            .eq_any(PUBLIC)
                            .or(reviews::author_id.eq(actor.user_id)),
                    );
                }
                if let Some(seller) = filter.seller_id {
                    q = q.filter(reviews::seller_id.eq(seller));
                }
                if let Some(product) = filter.product_id {
                    q = q.filter(reviews::product_id.eq(product));
                }
                Ok::<_, CommerceError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |r: &Review| r.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_bounds() {
        assert!(check_rating(0).is_err());
        assert!(check_rating(-1).is_err());
        assert!(check_rating(6).is_err());
        for r in 1..=5 {
            assert_eq!(check_rating(r).ok(), Some(r));
        }
    }

    #[test]
    fn new_review_input_is_strict() {
        let ok: Result<NewReview, _> =
            serde_json::from_value(serde_json::json!({"order_id": Uuid::nil(), "rating": 5}));
        assert!(ok.is_ok_and(|r| r.product_id.is_none() && r.body.is_none()));
        let bad: Result<NewReview, _> = serde_json::from_value(
            serde_json::json!({"order_id": Uuid::nil(), "rating": 5, "seller_id": Uuid::nil()}),
        );
        assert!(bad.is_err());
    }
}
