//! Product listings. Sellers with a store create them; everyone in the tenant
//! sees active listings; drafts and archived listings only their seller and
//! staff see. Deleting is soft: the row stays as evidence, the API shows 404.

use crate::schema::products;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::text::title_and_description;
use warden_tenancy::{Db, DbConn, ErrorCode, Page, PageRequest, ScopedFutureExt};

use warden_quotas::resources::{self, ResourceDelta};

use crate::content_screen::{ContentKind, ContentScreen};
use crate::seller_standing::SellerStanding;
use crate::{Actor, CommerceError, sellers, validate};

/// Moderation states buyers may see.
pub(crate) const PUBLIC: [&str; 2] = ["approved", "flagged"];

/// Whether content in this moderation state is shown to everyone.
pub(crate) fn is_public(moderation_status: &str) -> bool {
    PUBLIC.contains(&moderation_status)
}

/// Listing status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// Not yet visible to buyers.
    Draft,
    /// For sale.
    Active,
    /// No longer for sale, kept visible to its seller.
    Archived,
}

impl ProductStatus {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Archived => "archived",
        }
    }
}

const DELETED: &str = "deleted";

/// A product listing.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = products)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Product {
    /// Product id.
    pub id: Uuid,
    /// The selling store.
    pub seller_id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Price in minor units of `currency` (cents for USD).
    pub price_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// `draft`, `active` or `archived`.
    pub status: String,
    /// Bytes this listing stores, counted against the tenant's storage quota.
    pub storage_bytes: i64,
    /// `approved`, `flagged`, `pending_review` (hidden from buyers until a
    /// reviewer approves), `rejected` or `changes_requested` (hidden).
    pub moderation_status: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// A new listing.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// Title, 1 to 200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub title: String,
    /// Description, up to 10000 characters.
    #[serde(default)]
    #[schema(
        max_length = 10000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub description: String,
    /// Price in minor units, 0 or more.
    #[schema(minimum = 0, maximum = 999999999999_i64)]
    pub price_minor: i64,
    /// ISO 4217 code, e.g. `USD`.
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// Initial status; `active` when absent.
    #[serde(default)]
    pub status: Option<ProductStatus>,
}

/// A change to a listing; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    /// New title.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub title: Option<String>,
    /// New description.
    #[schema(
        max_length = 10000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub description: Option<String>,
    /// New price.
    #[schema(minimum = 0, maximum = 999999999999_i64)]
    pub price_minor: Option<i64>,
    /// New currency.
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// New status.
    pub status: Option<ProductStatus>,
}

/// Filters for listing products.
#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    /// Only this status.
    pub status: Option<ProductStatus>,
    /// Only this store's listings.
    pub seller_id: Option<Uuid>,
}

fn storage_bytes(title: &str, description: &str) -> i64 {
    i64::try_from(title.len() + description.len()).unwrap_or(i64::MAX)
}

/// Creates a listing in the caller's store. Its title and description are
/// moderated first: a rejection writes nothing. The store's standing must
/// allow another listing.
pub async fn create(
    db: &Db,
    screen: &dyn ContentScreen,
    seller_standing: &dyn SellerStanding,
    actor: &Actor,
    new: NewProduct,
) -> Result<Product, CommerceError> {
    if !actor.has(crate::Role::Seller) {
        return Err(CommerceError::forbidden("only sellers may create products"));
    }
    let title = validate::title("title", &new.title, 1, 200)?;
    let description = validate::text("description", &new.description, 0, 10_000)?;
    let price = validate::price_minor(new.price_minor)?;
    let currency = validate::currency(&new.currency)?;
    let status = new.status.unwrap_or(ProductStatus::Active);
    let (tenant, user_id) = (actor.tenant, actor.user_id);
    let verdict = screen
        .screen(
            db,
            actor,
            ContentKind::Product,
            None,
            title_and_description(&title, &description),
        )
        .await?;
    let created = db
        .tenant_tx(tenant, |conn| {
            async move {
                let seller = sellers::of_user(conn, user_id)
                    .await?
                    .ok_or(CommerceError::SellerProfileRequired)?;
                if seller.status != "active" {
                    return Err(CommerceError::forbidden("your store is suspended"));
                }
                seller_standing.check_listing(conn, seller.id).await?;
                let bytes = storage_bytes(&title, &description);
                let id = Uuid::now_v7();
                let moderation = verdict.record(conn, tenant, id, Some(user_id)).await?;
                let product = diesel::insert_into(products::table)
                    .values((
                        products::tenant_id.eq(tenant.as_uuid()),
                        products::id.eq(id),
                        products::moderation_status.eq(moderation.as_str()),
                        products::seller_id.eq(seller.id),
                        products::title.eq(title),
                        products::description.eq(description),
                        products::price_minor.eq(price),
                        products::currency.eq(currency),
                        products::status.eq(status.as_str()),
                        products::storage_bytes.eq(bytes),
                    ))
                    .returning(Product::as_returning())
                    .get_result(conn)
                    .await?;
                resources::charge(conn, tenant, ResourceDelta::product(bytes)).await?;
                Ok(product)
            }
            .scope_boxed()
        })
        .await;
    if let Err(e) = &created
        && e.code() == ErrorCode::TrustLevelLimit
        && let Err(notice) = seller_standing.listing_refused(db, tenant, user_id).await
    {
        // The seller still gets the refusal; the statement is what is lost.
        tracing::error!(error = %notice, "the statement of a refused listing could not be issued");
    }
    created
}

/// Loads a listing the actor may see (inside a running tenant transaction).
pub(crate) async fn visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: Uuid,
) -> Result<Product, CommerceError> {
    let product = products::table
        .filter(products::id.eq(id))
        .filter(products::status.ne(DELETED))
        .select(Product::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(CommerceError::not_found("product"))?;
    let public = product.status == "active" && is_public(&product.moderation_status);
    if public || actor.is_staff() || owns(conn, actor, &product).await? {
        Ok(product)
    } else {
        Err(CommerceError::not_found("product"))
    }
}

async fn owns(conn: &mut DbConn, actor: &Actor, product: &Product) -> Result<bool, CommerceError> {
    Ok(sellers::of_user(conn, actor.user_id)
        .await?
        .is_some_and(|s| s.id == product.seller_id))
}

/// Reads a listing.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Product, CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move { visible(conn, &actor, id).await }.scope_boxed()
    })
    .await
}

/// Lists listings the actor may see, newest first: active ones, plus the
/// actor's own of any status, plus everything for staff.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: ProductFilter,
    page: PageRequest,
) -> Result<Page<Product>, CommerceError> {
    let actor = actor.clone();
    let rows = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                let own_store = if actor.is_staff() {
                    None
                } else {
                    sellers::of_user(conn, actor.user_id).await?.map(|s| s.id)
                };
                let mut q = products::table
                    .select(Product::as_select())
                    .filter(products::status.ne(DELETED))
                    .order(products::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if !actor.is_staff() {
                    let public = products::status
                        .eq("active")
                        .and(products::moderation_status.eq_any(PUBLIC));
                    q = match own_store {
                        Some(store) => q.filter(public.or(products::seller_id.eq(store))),
                        None => q.filter(public),
                    };
                }
                if let Some(after) = page.after {
                    q = q.filter(products::id.lt(after));
                }
                if let Some(s) = filter.status {
                    q = q.filter(products::status.eq(s.as_str()));
                }
                if let Some(seller) = filter.seller_id {
                    q = q.filter(products::seller_id.eq(seller));
                }
                Ok::<_, CommerceError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |p: &Product| p.id))
}

/// Loads a listing the actor may change: its seller's, or any for tenant administrators.
async fn editable(conn: &mut DbConn, actor: &Actor, id: Uuid) -> Result<Product, CommerceError> {
    // Lock the row so that concurrent changes of one listing queue up: two
    // deletes must not both free its quota, two edits must not both charge
    // their difference against the same old size. (NO KEY UPDATE: inserts of
    // rows that reference the product are not blocked.)
    products::table
        .filter(products::id.eq(id))
        .select(products::id)
        .for_no_key_update()
        .first::<Uuid>(conn)
        .await
        .optional()?;
    let product = visible(conn, actor, id).await?;
    if actor.is_admin() || owns(conn, actor, &product).await? {
        Ok(product)
    } else {
        Err(CommerceError::forbidden(
            "only the product's seller or a tenant administrator may change it",
        ))
    }
}

/// Changes a listing. A new title or description is moderated first: a
/// rejection writes nothing, and the listing takes the new decision's state.
pub async fn update(
    db: &Db,
    screen: &dyn ContentScreen,
    actor: &Actor,
    id: Uuid,
    patch: ProductPatch,
) -> Result<Product, CommerceError> {
    let title = patch
        .title
        .as_deref()
        .map(|t| validate::title("title", t, 1, 200))
        .transpose()?;
    let description = patch
        .description
        .as_deref()
        .map(|d| validate::text("description", d, 0, 10_000))
        .transpose()?;
    let price = patch.price_minor.map(validate::price_minor).transpose()?;
    let currency = patch
        .currency
        .as_deref()
        .map(validate::currency)
        .transpose()?;
    let status = patch.status.map(ProductStatus::as_str);
    let actor = actor.clone();
    // Judge the text the listing will have, outside the write transaction
    // (inference must not hold a connection); the write then checks that the
    // text it replaces is still the one the new text was composed from.
    let verdict = if title.is_some() || description.is_some() {
        let before = get(db, &actor, id).await?;
        let text = title_and_description(
            title.as_deref().unwrap_or(&before.title),
            description.as_deref().unwrap_or(&before.description),
        );
        let verdict = screen
            .screen(db, &actor, ContentKind::Product, Some(id), text)
            .await?;
        Some((verdict, before.title, before.description))
    } else {
        None
    };
    let rules = screen.rules(db, actor.tenant).await?;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let current = editable(conn, &actor, id).await?;
            let bytes = storage_bytes(
                title.as_deref().unwrap_or(&current.title),
                description.as_deref().unwrap_or(&current.description),
            );
            let verdict = match verdict {
                Some((v, t, d)) if t == current.title && d == current.description => Some(v),
                // Someone changed the listing while its new text was being
                // judged: judge the text it will really have, now that the
                // row is locked (rare, so holding the connection is fine).
                Some(_) => Some(
                    rules
                        .screen(
                            ContentKind::Product,
                            title_and_description(
                                title.as_deref().unwrap_or(&current.title),
                                description.as_deref().unwrap_or(&current.description),
                            ),
                        )
                        .await?,
                ),
                None => None,
            };
            let moderation = match &verdict {
                Some(v) => Some(
                    v.record(conn, actor.tenant, id, Some(actor.user_id))
                        .await?
                        .as_str(),
                ),
                None => None,
            };
            let updated = diesel::update(products::table.filter(products::id.eq(id)))
                .set((
                    moderation.map(|m| products::moderation_status.eq(m)),
                    title.map(|t| products::title.eq(t)),
                    description.map(|d| products::description.eq(d)),
                    price.map(|p| products::price_minor.eq(p)),
                    currency.map(|c| products::currency.eq(c)),
                    status.map(|s| products::status.eq(s)),
                    products::storage_bytes.eq(bytes),
                    products::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Product::as_returning())
                .get_result(conn)
                .await?;
            let delta = ResourceDelta::bytes(bytes - current.storage_bytes);
            resources::charge(conn, actor.tenant, delta).await?;
            Ok(updated)
        }
        .scope_boxed()
    })
    .await
}

/// Deletes a listing (soft: kept as evidence, answered 404 from then on).
pub async fn delete(db: &Db, actor: &Actor, id: Uuid) -> Result<(), CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let product = editable(conn, &actor, id).await?;
            diesel::update(products::table.filter(products::id.eq(id)))
                .set((
                    products::status.eq(DELETED),
                    products::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let freed = ResourceDelta {
                products: -1,
                storage_bytes: -product.storage_bytes,
                ..ResourceDelta::default()
            };
            resources::charge(conn, actor.tenant, freed).await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
}
