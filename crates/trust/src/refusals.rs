//! The statement of reasons of a listing the store's trust level refused:
//! what the level allows, and how the store reaches the next one. Issued
//! after the refusal (whose transaction rolled back), once a day at most per
//! store owner, so a seller retrying does not flood their inbox.

use chrono::{Duration, Utc};
use uuid::Uuid;
use warden_decisions::statements::{self, DecisionKind, NewStatement};
use warden_tenancy::{Db, ScopedFutureExt, TenantId};

use crate::TrustError;
use crate::{jobs, settings, standing};

/// Issues (at most daily) the statement of a listing refused to store owner
/// `user` by the level of their store.
pub async fn listing_refused(db: &Db, tenant: TenantId, user: Uuid) -> Result<(), TrustError> {
    db.tenant_tx(tenant, |conn| {
        async move {
            let now = Utc::now();
            if statements::issued_since(
                conn,
                tenant,
                user,
                DecisionKind::ListingLimited,
                now - Duration::days(1),
            )
            .await?
            {
                return Ok(());
            }
            let Some(seller) = jobs::stores_of(conn, user).await?.first().copied() else {
                return Ok(());
            };
            let level = standing::held(conn, seller).await?.in_force();
            let limit = settings::load(conn)
                .await?
                .listing_limit(level)
                .map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
            let statement = NewStatement {
                user_id: user,
                decision: DecisionKind::ListingLimited,
                content: None,
                violation_id: None,
                facts: format!(
                    "Your store is at trust level {level}, which allows {limit} listings; \
                     the new listing was not created. Reach the next level (GET \
                     /api/v1/sellers/me/trust lists what it needs) to list more."
                ),
                ground: crate::changes::trust_levels_ground(),
                automated: true,
                restricted_until: None,
                appeal: None,
                evidence_id: None,
                at: now,
            };
            let statement = statements::issue_in_tx(conn, tenant, statement).await?;
            statements::notify_in_tx(conn, tenant, &statement).await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
}
