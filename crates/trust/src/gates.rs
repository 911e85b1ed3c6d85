//! Feature gates: a store may use a feature once its level in force reaches
//! the level the tenant's settings give the feature.

use uuid::Uuid;
use warden_tenancy::DbConn;

use crate::TrustError;
use crate::settings::{self, Feature};
use crate::standing;

/// Refuses `feature` to store `seller` below the level it needs, inside the
/// transaction of the gated work.
pub async fn require(conn: &mut DbConn, seller: Uuid, feature: Feature) -> Result<(), TrustError> {
    let required = settings::load(conn).await?.required_level(feature);
    let level = standing::held(conn, seller).await?.in_force();
    if level < required {
        return Err(TrustError::FeatureGated {
            feature: feature.as_str(),
            required,
            level,
        });
    }
    Ok(())
}

/// The store of user `user` when it may use `feature` (not found without a
/// store; gated below the level).
pub async fn require_own(
    conn: &mut DbConn,
    user: Uuid,
    feature: Feature,
) -> Result<Uuid, TrustError> {
    let seller = standing::own_store(conn, user).await?;
    require(conn, seller, feature).await?;
    Ok(seller)
}
