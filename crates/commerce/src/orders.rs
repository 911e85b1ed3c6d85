//! Orders: a buyer's purchase of active listings from one store, with the
//! title and unit price of every line kept as they were when the order was
//! placed. Its buyer, its store's seller and staff see an order; who may move
//! it from one status to the next is fixed by a transition table.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::schema::{order_items, orders, products};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{Db, DbConn, Page, PageRequest, ScopedFutureExt};

use crate::automation;
use crate::products::ProductStatus;
use crate::seller_standing::{GatedFeature, SellerStanding};
use crate::{Actor, CommerceError, Role, sellers};

/// Most lines an order may have.
pub const MAX_ITEMS: usize = 50;
/// Largest quantity of one line.
pub const MAX_QUANTITY: i32 = 10_000;

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, not yet paid.
    Pending,
    /// Paid, waiting to be shipped.
    Paid,
    /// On its way.
    Shipped,
    /// Received by the buyer.
    Delivered,
    /// Called off before shipping.
    Cancelled,
    /// The buyer contests it; the seller resolves it by refunding or by
    /// confirming delivery.
    Disputed,
    /// Money returned to the buyer.
    Refunded,
}

impl OrderStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [OrderStatus; 7] = [
        Self::Pending,
        Self::Paid,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Disputed,
        Self::Refunded,
    ];

    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Disputed => "disputed",
            Self::Refunded => "refunded",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the transition table has a move from `self` to `to` (for
    /// anyone; who may make it is a separate question).
    pub fn can_become(self, to: OrderStatus) -> bool {
        transition(self, to).is_some()
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for OrderStatus {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("unknown order status {s:?}"))
    }
}

/// Which parties of an order may make a transition (tenant administrators may
/// make every transition of the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Parties {
    buyer: bool,
    seller: bool,
}

const BUYER: Parties = Parties {
    buyer: true,
    seller: false,
};
const SELLER: Parties = Parties {
    buyer: false,
    seller: true,
};
const EITHER: Parties = Parties {
    buyer: true,
    seller: true,
};

/// The transition table: every allowed move and who may make it.
fn transition(from: OrderStatus, to: OrderStatus) -> Option<Parties> {
    use OrderStatus::*;
    match (from, to) {
        (Pending, Paid) => Some(BUYER),
        (Pending, Cancelled) => Some(EITHER),
        (Paid, Shipped) => Some(SELLER),
        (Paid, Cancelled) => Some(SELLER),
        (Paid, Refunded) => Some(SELLER),
        (Shipped, Delivered) => Some(EITHER),
        (Shipped, Disputed) => Some(BUYER),
        (Delivered, Disputed) => Some(BUYER),
        (Disputed, Refunded) => Some(SELLER),
        // The seller resolves the dispute in the buyer's favour of delivery.
        (Disputed, Delivered) => Some(SELLER),
        _ => None,
    }
}

/// How the actor stands to one order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Standing {
    buyer: bool,
    seller: bool,
    admin: bool,
}

/// Checks that the actor may move an order from `from` to `to`.
fn authorize_transition(
    standing: Standing,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<(), CommerceError> {
    let Some(parties) = transition(from, to) else {
        return Err(CommerceError::InvalidTransition {
            from: from.as_str().to_owned(),
            to: to.as_str().to_owned(),
        });
    };
    if standing.admin || (parties.buyer && standing.buyer) || (parties.seller && standing.seller) {
        return Ok(());
    }
    let who = match (parties.buyer, parties.seller) {
        (true, true) => "the buyer or the seller",
        (true, false) => "the buyer",
        _ => "the seller",
    };
    Err(CommerceError::forbidden(format!(
        "only {who} may move an order from {from} to {to}"
    )))
}

/// One line of an order, as it was when the order was placed.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = order_items)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct OrderItem {
    /// Line id.
    pub id: Uuid,
    /// The product bought.
    pub product_id: Uuid,
    /// The product's title when the order was placed.
    pub title: String,
    /// How many.
    pub quantity: i32,
    /// The product's price when the order was placed, in minor units of the order's currency.
    pub unit_price_minor: i64,
}

/// An order with its lines.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Order {
    /// Order id.
    pub id: Uuid,
    /// The buying user.
    pub buyer_id: Uuid,
    /// The selling store.
    pub seller_id: Uuid,
    /// Where the order is in its life.
    pub status: OrderStatus,
    /// ISO 4217 currency code of every amount of the order.
    pub currency: String,
    /// Sum of quantity times unit price over the lines, in minor units.
    pub total_minor: i64,
    /// The lines, in the order they were given.
    pub items: Vec<OrderItem>,
    /// Placed at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = orders)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct OrderRow {
    id: Uuid,
    buyer_id: Uuid,
    seller_id: Uuid,
    #[diesel(deserialize_as = String)]
    status: OrderStatus,
    currency: String,
    total_minor: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl OrderRow {
    fn with_items(self, items: Vec<OrderItem>) -> Order {
        Order {
            id: self.id,
            buyer_id: self.buyer_id,
            seller_id: self.seller_id,
            status: self.status,
            currency: self.currency,
            total_minor: self.total_minor,
            items,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// One line of a new order.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderItem {
    /// An active product; every line of an order must be from the same store
    /// and in the same currency.
    pub product_id: Uuid,
    /// How many, 1 to 10000.
    pub quantity: i32,
}

/// A new order (`POST /orders`).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// 1 to 50 lines, each for a different product.
    #[schema(min_items = 1, max_items = 50)]
    pub items: Vec<NewOrderItem>,
}

/// A status change asked for.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderStatusChange {
    /// The status to move to.
    pub status: OrderStatus,
}

/// Filters for listing orders.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// Only orders with this status.
    pub status: Option<OrderStatus>,
    /// Only orders from this store.
    pub seller_id: Option<Uuid>,
}

/// Checks the shape of a new order before any statement runs.
fn check_new(new: &NewOrder) -> Result<(), CommerceError> {
    if new.items.is_empty() || new.items.len() > MAX_ITEMS {
        return Err(CommerceError::invalid(format!(
            "an order must have 1 to {MAX_ITEMS} items"
        )));
    }
    let mut seen = HashSet::with_capacity(new.items.len());
    for item in &new.items {
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            return Err(CommerceError::invalid(format!(
                "quantity must be 1 to {MAX_QUANTITY}"
            )));
        }
        if !seen.insert(item.product_id) {
            return Err(CommerceError::invalid(format!(
                "product {} appears more than once; give each product once with its quantity",
                item.product_id
            )));
        }
    }
    Ok(())
}

/// The total of `(quantity, unit price)` lines, refusing overflow.
fn total_of(lines: impl IntoIterator<Item = (i32, i64)>) -> Result<i64, CommerceError> {
    lines
        .into_iter()
        .try_fold(0i64, |sum, (quantity, price)| {
            price
                .checked_mul(i64::from(quantity))
                .and_then(|line| sum.checked_add(line))
        })
        .ok_or_else(|| CommerceError::invalid("the order total is too large"))
}

/// What an order needs of an active listing.
#[derive(Queryable, Selectable)]
#[diesel(table_name = products)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct ForSale {
    id: Uuid,
    seller_id: Uuid,
    title: String,
    price_minor: i64,
    currency: String,
}

/// The one store and the one currency of an order's products.
fn one_store_and_currency<'p>(
    mut products: impl Iterator<Item = &'p ForSale>,
) -> Result<(Uuid, String), CommerceError> {
    let Some(first) = products.next() else {
        return Err(CommerceError::invalid(format!(
            "an order must have 1 to {MAX_ITEMS} items"
        )));
    };
    for p in products {
        if p.seller_id != first.seller_id {
            return Err(CommerceError::invalid(
                "all items of an order must be from the same store; place one order per store",
            ));
        }
        if p.currency != first.currency {
            return Err(CommerceError::invalid(
                "all items of an order must be priced in the same currency",
            ));
        }
    }
    Ok((first.seller_id, first.currency.clone()))
}

/// Places an order (buyers only). Every product must be an active listing
/// (a product that does not exist, is not visible to the caller or is not for
/// sale is refused with the same 400 message, so existence is not disclosed);
/// all must be from one store, not the caller's own, and in one currency.
/// Titles and prices are copied into the lines; the order starts `pending`.
pub async fn create(db: &Db, actor: &Actor, new: NewOrder) -> Result<Order, CommerceError> {
    if !actor.has(Role::Buyer) {
        return Err(CommerceError::forbidden("only buyers may place orders"));
    }
    check_new(&new)?;
    let (tenant, user_id) = (actor.tenant, actor.user_id);
    db.tenant_tx(tenant, |conn| {
        async move {
            let ids: Vec<Uuid> = new.items.iter().map(|i| i.product_id).collect();
            // Active listings are visible to every member of the tenant (see
            // `products::visible`), so one query finds all the lines' products.
            let found: HashMap<Uuid, ForSale> = products::table
                .filter(products::id.eq_any(&ids))
                .filter(products::status.eq(ProductStatus::Active.as_str()))
                .select(ForSale::as_select())
                .load::<ForSale>(conn)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
            let mut lines = Vec::with_capacity(new.items.len());
            for item in &new.items {
                // Not existing, not visible and not for sale look the same to
                // the buyer: ids are not authorisation.
                let product = found
                    .get(&item.product_id)
                    .ok_or(CommerceError::not_found("product for sale"))?;
                lines.push((item, product));
            }
            let (seller_id, currency) = one_store_and_currency(lines.iter().map(|l| l.1))?;
            let store = sellers::by_id(conn, seller_id).await?;
            if store.user_id == user_id {
                return Err(CommerceError::forbidden(
                    "you cannot order from your own store",
                ));
            }
            if store.status != "active" {
                return Err(CommerceError::forbidden(
                    "this store is suspended and cannot take orders",
                ));
            }
            let total = total_of(lines.iter().map(|(item, p)| (item.quantity, p.price_minor)))?;
            let order_id = Uuid::now_v7();
            let order: OrderRow = diesel::insert_into(orders::table)
                .values((
                    orders::tenant_id.eq(tenant.as_uuid()),
                    orders::id.eq(order_id),
                    orders::buyer_id.eq(user_id),
                    orders::seller_id.eq(seller_id),
                    orders::status.eq(OrderStatus::Pending.as_str()),
                    orders::currency.eq(currency),
                    orders::total_minor.eq(total),
                ))
                .returning(OrderRow::as_returning())
                .get_result(conn)
                .await?;
            let rows: Vec<_> = lines
                .iter()
                .map(|(item, product)| {
                    (
                        order_items::tenant_id.eq(tenant.as_uuid()),
                        order_items::id.eq(Uuid::now_v7()),
                        order_items::order_id.eq(order_id),
                        order_items::product_id.eq(item.product_id),
                        order_items::title.eq(product.title.as_str()),
                        order_items::quantity.eq(item.quantity),
                        order_items::unit_price_minor.eq(product.price_minor),
                    )
                })
                .collect();
            let mut items: Vec<OrderItem> = diesel::insert_into(order_items::table)
                .values(rows)
                .returning(OrderItem::as_returning())
                .get_results(conn)
                .await?;
            // Line ids are UUIDv7 made in the order given, so this is input order.
            items.sort_by_key(|i| i.id);
            Ok(order.with_items(items))
        }
        .scope_boxed()
    })
    .await
}

/// The actor's standing towards an order (inside a running tenant transaction).
async fn standing(
    conn: &mut DbConn,
    actor: &Actor,
    order: &OrderRow,
) -> Result<Standing, CommerceError> {
    let buyer = order.buyer_id == actor.user_id;
    let seller = sellers::of_user(conn, actor.user_id)
        .await?
        .is_some_and(|s| s.id == order.seller_id);
    Ok(Standing {
        buyer,
        seller,
        admin: actor.is_admin(),
    })
}

/// The lines of `order_ids`, grouped by order, each group in input order.
async fn items_of(
    conn: &mut DbConn,
    order_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<OrderItem>>, CommerceError> {
    let rows: Vec<(Uuid, OrderItem)> = order_items::table
        .filter(order_items::order_id.eq_any(order_ids))
        .order(order_items::id.asc())
        .select((order_items::order_id, OrderItem::as_select()))
        .load(conn)
        .await?;
    let mut by_order: HashMap<Uuid, Vec<OrderItem>> = HashMap::new();
    for (order_id, item) in rows {
        by_order.entry(order_id).or_default().push(item);
    }
    Ok(by_order)
}

/// Loads an order the actor may see: its buyer, its store's seller, or staff.
/// Others get 404, as if it did not exist. With `lock`, the row is locked
/// `FOR UPDATE` until the transaction ends.
async fn visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: Uuid,
    lock: bool,
) -> Result<(OrderRow, Standing), CommerceError> {
    let q = orders::table
        .filter(orders::id.eq(id))
        .select(OrderRow::as_select());
    let order = if lock {
        q.for_update().first(conn).await.optional()?
    } else {
        q.first(conn).await.optional()?
    }
    .ok_or(CommerceError::not_found("order"))?;
    let standing = standing(conn, actor, &order).await?;
    if standing.buyer || standing.seller || actor.is_staff() {
        Ok((order, standing))
    } else {
        Err(CommerceError::not_found("order"))
    }
}

/// Reads an order with its lines: its buyer, its store's seller, or staff.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Order, CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let (order, _) = visible(conn, &actor, id, false).await?;
            let items = items_of(conn, &[order.id])
                .await?
                .remove(&order.id)
                .unwrap_or_default();
            Ok(order.with_items(items))
        }
        .scope_boxed()
    })
    .await
}

/// Lists orders, newest first, with their lines: staff see every order of the
/// tenant; others see the orders they placed and the orders of their store.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: OrderFilter,
    page: PageRequest,
) -> Result<Page<Order>, CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let mut q = orders::table
                .select(OrderRow::as_select())
                .order(orders::id.desc())
                .limit(page.fetch())
                .into_boxed();
            if !actor.is_staff() {
                q = match sellers::of_user(conn, actor.user_id).await? {
                    Some(store) => q.filter(
                        orders::buyer_id
                            .eq(actor.user_id)
                            .or(orders::seller_id.eq(store.id)),
                    ),
                    None => q.filter(orders::buyer_id.eq(actor.user_id)),
                };
            }
            if let Some(after) = page.after {
                q = q.filter(orders::id.lt(after));
            }
            if let Some(s) = filter.status {
                q = q.filter(orders::status.eq(s.as_str()));
            }
            if let Some(seller) = filter.seller_id {
                q = q.filter(orders::seller_id.eq(seller));
            }
            let rows: Vec<OrderRow> = q.load(conn).await?;
            let page = page.page(rows, |r| r.id);
            let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
            let mut items = items_of(conn, &ids).await?;
            Ok(page.map(|r| {
                let lines = items.remove(&r.id).unwrap_or_default();
                r.with_items(lines)
            }))
        }
        .scope_boxed()
    })
    .await
}

/// Sets the status of order `id` (inside a running tenant transaction).
async fn set_status(
    conn: &mut DbConn,
    id: Uuid,
    status: OrderStatus,
) -> Result<OrderRow, CommerceError> {
    Ok(diesel::update(orders::table.filter(orders::id.eq(id)))
        .set((
            orders::status.eq(status.as_str()),
            orders::updated_at.eq(diesel::dsl::now),
        ))
        .returning(OrderRow::as_returning())
        .get_result(conn)
        .await?)
}

/// Moves an order to another status, following the transition table:
///
/// | from | to | who |
/// |---|---|---|
/// | pending | paid | buyer |
/// | pending | cancelled | buyer or seller |
/// | paid | shipped, cancelled, refunded | seller |
/// | shipped | delivered | buyer or seller |
/// | shipped, delivered | disputed | buyer |
/// | disputed | refunded, delivered | seller |
///
/// Tenant administrators may make every move of the table. A move not in the
/// table is 409 `invalid_transition`; a move in the table by someone else who
/// can see the order is 403. Moving to `paid` needs the store's level for
/// `payments` (403 `trust_level_required` below it, nothing changed). Once
/// the order reached `paid` or `disputed`, the store's automation
/// ([`automation`]) may move it on in the same transaction. The order row is locked for the check and the
/// change, so concurrent changes of one order take turns.
pub async fn update_status(
    db: &Db,
    seller_standing: &dyn SellerStanding,
    actor: &Actor,
    id: Uuid,
    change: OrderStatusChange,
) -> Result<Order, CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let (order, standing) = visible(conn, &actor, id, true).await?;
            let from = order.status;
            authorize_transition(standing, from, change.status)?;
            if change.status == OrderStatus::Paid {
                // Taking payments is trust-gated, whoever pays.
                seller_standing
                    .require(conn, order.seller_id, GatedFeature::Payments)
                    .await?;
            }
            let mut order = set_status(conn, id, change.status).await?;
            tracing::info!(order = %id, from = %from, to = %change.status, "order status changed");
            // The store's automation may move it on at once, in this transaction.
            let reached = automation::Reached {
                seller: order.seller_id,
                status: order.status,
                total_minor: order.total_minor,
                currency: &order.currency,
            };
            if let Some((to, cause)) =
                automation::next_move(conn, seller_standing, &reached).await?
            {
                let from = order.status;
                order = set_status(conn, id, to).await?;
                automation::record_move(conn, actor.tenant, id, (from, to), &cause).await?;
                tracing::info!(order = %id, from = %from, to = %to, cause = ?cause, "order moved by automation");
            }
            // Deliveries, disputes, refunds and cancellations move the store's trust score.
            seller_standing
                .signals_changed(conn, actor.tenant, order.seller_id)
                .await?;
            let items = items_of(conn, &[order.id])
                .await?
                .remove(&order.id)
                .unwrap_or_default();
            Ok(order.with_items(items))
        }
        .scope_boxed()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    const PARTY_BUYER: Standing = Standing {
        buyer: true,
        seller: false,
        admin: false,
    };
    const PARTY_SELLER: Standing = Standing {
        buyer: false,
        seller: true,
        admin: false,
    };
    const ADMIN: Standing = Standing {
        buyer: false,
        seller: false,
        admin: true,
    };
    const ONLOOKER: Standing = Standing {
        buyer: false,
        seller: false,
        admin: false,
    };

    #[test]
    fn status_names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
            assert_eq!(OrderStatus::try_from(s.as_str().to_owned()).ok(), Some(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
        assert_eq!(OrderStatus::parse("lost"), None);
    }

    #[test]
    fn transition_table_is_exactly_the_specified_one() {
        let expected = [
            (Pending, Paid, BUYER),
            (Pending, Cancelled, EITHER),
            (Paid, Shipped, SELLER),
            (Paid, Cancelled, SELLER),
            (Paid, Refunded, SELLER),
            (Shipped, Delivered, EITHER),
            (Shipped, Disputed, BUYER),
            (Delivered, Disputed, BUYER),
            (Disputed, Refunded, SELLER),
            (Disputed, Delivered, SELLER),
        ];
        let mut count = 0;
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let want = expected
                    .iter()
                    .find(|e| e.0 == from && e.1 == to)
                    .map(|e| e.2);
                assert_eq!(transition(from, to), want, "{from} -> {to}");
                count += usize::from(want.is_some());
            }
        }
        assert_eq!(count, expected.len());
        for terminal in [Cancelled, Refunded] {
            assert!(OrderStatus::ALL.iter().all(|to| !terminal.can_become(*to)));
        }
    }

    #[test]
    fn unlisted_moves_are_invalid_transitions_even_for_admins() {
        let err = authorize_transition(ADMIN, Delivered, Pending);
        assert!(
            matches!(&err, Err(CommerceError::InvalidTransition { from, to }) if from == "delivered" && to == "pending")
        );
        assert_eq!(
            err.err().map(|e| e.code().as_str()),
            Some("invalid_transition")
        );
        assert!(matches!(
            authorize_transition(PARTY_BUYER, Paid, Paid),
            Err(CommerceError::InvalidTransition { .. })
        ));
    }

    #[test]
    fn listed_moves_need_the_right_party() {
        assert!(authorize_transition(PARTY_BUYER, Pending, Paid).is_ok());
        assert!(matches!(
            authorize_transition(PARTY_SELLER, Pending, Paid),
            Err(CommerceError::Refused(
                warden_tenancy::Rejection::Forbidden(_)
            ))
        ));
        assert!(authorize_transition(PARTY_SELLER, Paid, Shipped).is_ok());
        assert!(matches!(
            authorize_transition(PARTY_BUYER, Paid, Shipped),
            Err(CommerceError::Refused(
                warden_tenancy::Rejection::Forbidden(_)
            ))
        ));
        assert!(authorize_transition(PARTY_BUYER, Shipped, Delivered).is_ok());
        assert!(authorize_transition(PARTY_SELLER, Shipped, Delivered).is_ok());
        assert!(matches!(
            authorize_transition(PARTY_SELLER, Delivered, Disputed),
            Err(CommerceError::Refused(
                warden_tenancy::Rejection::Forbidden(_)
            ))
        ));
        // Moderators see orders but are no party to them.
        assert!(matches!(
            authorize_transition(ONLOOKER, Pending, Cancelled),
            Err(CommerceError::Refused(
                warden_tenancy::Rejection::Forbidden(_)
            ))
        ));
        assert!(authorize_transition(ADMIN, Disputed, Refunded).is_ok());
        assert!(authorize_transition(ADMIN, Pending, Paid).is_ok());
    }

    fn order(items: Vec<(Uuid, i32)>) -> NewOrder {
        NewOrder {
            items: items
                .into_iter()
                .map(|(product_id, quantity)| NewOrderItem {
                    product_id,
                    quantity,
                })
                .collect(),
        }
    }

    #[test]
    fn new_order_shape_is_checked() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(check_new(&order(vec![(a, 1), (b, MAX_QUANTITY)])).is_ok());
        assert!(check_new(&order(vec![])).is_err());
        assert!(check_new(&order(vec![(a, 0)])).is_err());
        assert!(check_new(&order(vec![(a, -3)])).is_err());
        assert!(check_new(&order(vec![(a, MAX_QUANTITY + 1)])).is_err());
        assert!(check_new(&order(vec![(a, 1), (a, 2)])).is_err());
        let many: Vec<_> = (0..=MAX_ITEMS).map(|_| (Uuid::now_v7(), 1)).collect();
        assert!(check_new(&order(many[..MAX_ITEMS].to_vec())).is_ok());
        assert!(check_new(&order(many)).is_err());
    }

    #[test]
    fn totals_use_checked_arithmetic() {
        assert_eq!(total_of([(2, 150), (1, 0), (3, 1)]).ok(), Some(303));
        assert!(matches!(
            total_of([(MAX_QUANTITY, i64::MAX / 2)]),
            Err(CommerceError::Refused(warden_tenancy::Rejection::Invalid(
                _
            )))
        ));
        assert!(total_of([(1, i64::MAX), (1, 1)]).is_err());
    }

    fn for_sale(seller_id: Uuid, currency: &str) -> ForSale {
        ForSale {
            id: Uuid::now_v7(),
            seller_id,
            title: "t".into(),
            price_minor: 1,
            currency: currency.into(),
        }
    }

    #[test]
    fn an_order_is_from_one_store_in_one_currency() {
        let (s1, s2) = (Uuid::now_v7(), Uuid::now_v7());
        let same = [for_sale(s1, "USD"), for_sale(s1, "USD")];
        assert_eq!(
            one_store_and_currency(same.iter()).ok(),
            Some((s1, "USD".to_owned()))
        );
        let stores = [for_sale(s1, "USD"), for_sale(s2, "USD")];
        assert!(matches!(
            one_store_and_currency(stores.iter()),
            Err(CommerceError::Refused(warden_tenancy::Rejection::Invalid(m))) if m.contains("same store")
        ));
        let currencies = [for_sale(s1, "USD"), for_sale(s1, "EUR")];
        assert!(matches!(
            one_store_and_currency(currencies.iter()),
            Err(CommerceError::Refused(warden_tenancy::Rejection::Invalid(m))) if m.contains("same currency")
        ));
        assert!(one_store_and_currency([].iter()).is_err());
    }

    #[test]
    fn new_order_rejects_unknown_fields() {
        let ok: Result<NewOrder, _> = serde_json::from_value(
            serde_json::json!({"items": [{"product_id": Uuid::nil(), "quantity": 1}]}),
        );
        assert!(ok.is_ok());
        let bad: Result<NewOrder, _> = serde_json::from_value(
            serde_json::json!({"items": [{"product_id": Uuid::nil(), "quantity": 1, "unit_price_minor": 0}]}),
        );
        assert!(bad.is_err());
    }
}
