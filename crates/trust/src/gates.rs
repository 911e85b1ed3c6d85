//! Feature gates: a store may use a feature once its level in force reaches
//! the level the tenant's settings give the feature. Every check reads the
//! level inside the transaction of the gated work, so a store that fell
//! below a level loses the feature from its next use on.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::DbConn;

use crate::TrustError;
use crate::schema::seller_profiles;
use crate::settings::{self, Feature};
use crate::standing;

/// The level `feature` needs and the level store `seller` holds.
async fn levels(conn: &mut DbConn, seller: Uuid, feature: Feature) -> Result<(u8, u8), TrustError> {
    let required = settings::load(conn).await?.required_level(feature);
    let level = standing::held(conn, seller).await?.in_force();
    Ok((required, level))
}

fn gated(feature: Feature, required: u8, level: u8) -> Result<(), TrustError> {
    if level < required {
        return Err(TrustError::FeatureGated {
            feature: feature.as_str(),
            required,
            level,
        });
    }
    Ok(())
}

/// Refuses `feature` to store `seller` below the level it needs, inside the
/// transaction of the gated work.
pub async fn require(conn: &mut DbConn, seller: Uuid, feature: Feature) -> Result<(), TrustError> {
    let (required, level) = levels(conn, seller, feature).await?;
    gated(feature, required, level)
}

/// Whether store `seller` may use `feature` now: for automations, which stop
/// applying (rather than failing the work they ride on) below the level.
pub async fn allows(conn: &mut DbConn, seller: Uuid, feature: Feature) -> Result<bool, TrustError> {
    let (required, level) = levels(conn, seller, feature).await?;
    Ok(level >= required)
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

/// Refuses `feature` to user `user` unless they own a store at its level; a
/// user without a store holds level 0 (for features of the user rather than
/// of a route about their store, such as API access).
pub async fn require_user(
    conn: &mut DbConn,
    user: Uuid,
    feature: Feature,
) -> Result<(), TrustError> {
    let store: Option<Uuid> = seller_profiles::table
        .filter(seller_profiles::user_id.eq(user))
        .select(seller_profiles::id)
        .first(conn)
        .await
        .optional()?;
    let (required, level) = match store {
        Some(seller) => levels(conn, seller, feature).await?,
        None => (settings::load(conn).await?.required_level(feature), 0),
    };
    gated(feature, required, level)
}
