//! What commerce asks of seller trust, declared here so that commerce does
//! not depend on it: whether a store may add a listing or use a gated
//! feature, and word that a store's signals changed. The server implements
//! [`SellerStanding`] around trust and passes it in. Every method runs inside
//! the caller's tenant transaction, so its check or note commits or rolls
//! back with the work.

use async_trait::async_trait;
use uuid::Uuid;
use warden_tenancy::{Db, DbConn, TenantId};

use crate::CommerceError;

/// Commerce features a store may use only from some standing on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatedFeature {
    /// The store's sales figures.
    BasicAnalytics,
    /// Daily series, top products and repeat buyers.
    AdvancedAnalytics,
    /// Bulk listing operations.
    BulkOperations,
    /// Taking payments: an order of the store moving to `paid`.
    Payments,
    /// Warden shipping the store's paid orders by itself.
    AutomatedOrderProcessing,
    /// The store's own automation rules.
    CustomAutomationRules,
}

/// A store's standing, as commerce needs it.
#[async_trait]
pub trait SellerStanding: Send + Sync {
    /// Refuses a new listing of store `seller` beyond what its standing
    /// allows, inside the transaction that would create it.
    async fn check_listing(&self, conn: &mut DbConn, seller: Uuid) -> Result<(), CommerceError>;

    /// Tells store owner `user` why a listing was refused by the store's
    /// standing (a statement of reasons), after the refusing transaction
    /// rolled back, in a transaction of its own.
    async fn listing_refused(
        &self,
        db: &Db,
        tenant: TenantId,
        user: Uuid,
    ) -> Result<(), CommerceError>;

    /// The store of user `user` when it may use `feature`: not found without
    /// a store, refused below the standing the feature needs.
    async fn require_own(
        &self,
        conn: &mut DbConn,
        user: Uuid,
        feature: GatedFeature,
    ) -> Result<Uuid, CommerceError>;

    /// Refuses `feature` to store `seller` below the standing it needs.
    async fn require(
        &self,
        conn: &mut DbConn,
        seller: Uuid,
        feature: GatedFeature,
    ) -> Result<(), CommerceError>;

    /// Whether store `seller` may use `feature` now (automations check it
    /// each time they would run, and do not run when it may not).
    async fn allows(
        &self,
        conn: &mut DbConn,
        seller: Uuid,
        feature: GatedFeature,
    ) -> Result<bool, CommerceError>;

    /// Notes that what store `seller` is judged by changed (it was created,
    /// an order moved, a review was written), so its standing is evaluated
    /// again.
    async fn signals_changed(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        seller: Uuid,
    ) -> Result<(), CommerceError>;
}
