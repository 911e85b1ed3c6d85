//! Bulk listing operations: one status for up to [`MAX_BULK`] of a store's
//! listings in one transaction. A trust-gated feature (`bulk_operations`).

use crate::schema::products;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{Db, ScopedFutureExt};

use crate::products::ProductStatus;
use crate::seller_standing::{GatedFeature, SellerStanding};
use crate::{Actor, CommerceError};

/// Most listings one bulk request changes.
pub const MAX_BULK: usize = 100;

/// `POST /products/bulk-status`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkStatus {
    /// The store's listings, 1 to 100 ids (a repeated id counts once).
    #[schema(min_items = 1, max_items = 100)]
    pub product_ids: Vec<Uuid>,
    /// The status they all take.
    pub status: ProductStatus,
}

/// What a bulk change did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    /// The listings changed (all of those asked for).
    pub updated: Vec<Uuid>,
    /// The status they now have.
    pub status: ProductStatus,
}

/// Gives the caller's listings `body.status`, all or none: an id that is not
/// one of the store's live listings changes nothing and answers not found.
pub async fn set_status(
    db: &Db,
    seller_standing: &dyn SellerStanding,
    actor: &Actor,
    body: BulkStatus,
) -> Result<BulkResult, CommerceError> {
    if body.product_ids.is_empty() || body.product_ids.len() > MAX_BULK {
        return Err(CommerceError::invalid(format!(
            "product_ids: 1 to {MAX_BULK} listing ids"
        )));
    }
    let mut ids = body.product_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let actor = actor.clone();
    let status = body.status;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = seller_standing
                .require_own(conn, actor.user_id, GatedFeature::BulkOperations)
                .await?;
            let updated: Vec<Uuid> = diesel::update(
                products::table
                    .filter(products::id.eq_any(&ids))
                    .filter(products::seller_id.eq(seller))
                    .filter(products::status.ne("deleted")),
            )
            .set((
                products::status.eq(status.as_str()),
                products::updated_at.eq(diesel::dsl::now),
            ))
            .returning(products::id)
            .get_results(conn)
            .await?;
            if updated.len() != ids.len() {
                // Rolls the transaction back: all or none.
                return Err(CommerceError::not_found("product"));
            }
            Ok(BulkResult {
                updated: ids,
                status,
            })
        }
        .scope_boxed()
    })
    .await
}
