//! A seller's standing: level, score with its breakdown, listing limit,
//! enabled features, and what the next level needs. Reading it recomputes the
//! score from the current signals and keeps it (with a history row when it
//! moved by a point or more).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;
use warden_tenancy::schema::{
    products, seller_profiles, seller_trust, seller_verifications, trust_history,
};
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt, TenantId};

use crate::TrustError;
use crate::score::{Breakdown, Signals, score};
use crate::settings::{self, Feature, MAX_LEVEL, TrustSettings};
use crate::signals;

/// Verification steps each level needs (level 1, 2; level 3 needs performance and staff approval).
pub const STEPS: [&[&str]; 3] = [
    &["email", "phone", "business_basics", "store_setup"],
    &[
        "business_registration",
        "tax_id",
        "business_address",
        "bank_account",
    ],
    &["performance"],
];

/// One requirement of the next level.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Requirement {
    /// What: a verification step, or `score`.
    pub requirement: String,
    /// Whether it is met.
    pub met: bool,
    /// In words.
    pub detail: String,
}

/// The next level and its requirements.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NextLevel {
    /// The level.
    pub level: u8,
    /// Its requirements, with progress.
    pub requirements: Vec<Requirement>,
    /// Share of the requirements met, 0..1.
    pub progress: f64,
}

/// A seller's standing.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Standing {
    /// Seller profile id.
    pub seller_id: Uuid,
    /// Level in force (0 unverified, 1 verified, 2 trusted, 3 premium).
    pub level: u8,
    /// Score, 0–100.
    pub score: f64,
    /// The components of the score.
    pub breakdown: Breakdown,
    /// The signals behind them.
    pub signals: Signals,
    /// low, medium or high.
    pub risk: String,
    /// Listings the level allows (`null`: no trust limit).
    pub listing_limit: Option<u64>,
    /// Listings the seller has.
    pub listings: u64,
    /// Features the level enables.
    pub features: Vec<Feature>,
    /// The next level (absent at the top).
    pub next_level: Option<NextLevel>,
    /// When the score was computed.
    pub computed_at: DateTime<Utc>,
}

/// The seller profile `seller` and its owner.
async fn profile(conn: &mut DbConn, seller: Uuid) -> Result<Uuid, TrustError> {
    seller_profiles::table
        .filter(seller_profiles::id.eq(seller))
        .select(seller_profiles::user_id)
        .first(conn)
        .await
        .optional()?
        .ok_or(TrustError::NotFound("seller"))
}

/// The level in force: an administrator's override, else the earned level.
async fn level(conn: &mut DbConn, seller: Uuid) -> Result<(u8, String), TrustError> {
    let row: Option<(i32, Option<i32>, String)> = seller_trust::table
        .filter(seller_trust::seller_id.eq(seller))
        .select((
            seller_trust::level,
            seller_trust::override_level,
            seller_trust::risk,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map_or((0, "low".to_owned()), |(l, o, risk)| {
        (u8::try_from(o.unwrap_or(l).clamp(0, 3)).unwrap_or(0), risk)
    }))
}

async fn listings(conn: &mut DbConn, seller: Uuid) -> Result<u64, TrustError> {
    let n: i64 = products::table
        .filter(products::seller_id.eq(seller))
        .count()
        .get_result(conn)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

async fn next_level(
    conn: &mut DbConn,
    seller: Uuid,
    level: u8,
    score_now: f64,
    settings: &TrustSettings,
) -> Result<Option<NextLevel>, TrustError> {
    if level >= MAX_LEVEL {
        return Ok(None);
    }
    let next = level + 1;
    let approved: Vec<String> = seller_verifications::table
        .filter(seller_verifications::seller_id.eq(seller))
        .filter(seller_verifications::status.eq("approved"))
        .select(seller_verifications::step)
        .load(conn)
        .await?;
    let mut requirements: Vec<Requirement> = STEPS[usize::from(level)]
        .iter()
        .map(|step| Requirement {
            requirement: (*step).to_owned(),
            met: approved.iter().any(|a| a == step),
            detail: format!("verification step {step} approved"),
        })
        .collect();
    let threshold = settings.score_thresholds[usize::from(level)];
    requirements.push(Requirement {
        requirement: "score".into(),
        met: score_now >= threshold,
        detail: format!("trust score of at least {threshold}"),
    });
    if next == MAX_LEVEL {
        requirements.push(Requirement {
            requirement: "staff_approval".into(),
            met: false,
            detail: "a staff member approves the promotion".into(),
        });
    }
    #[allow(clippy::cast_precision_loss)]
    let progress = requirements.iter().filter(|r| r.met).count() as f64 / requirements.len() as f64;
    Ok(Some(NextLevel {
        level: next,
        requirements,
        progress,
    }))
}

/// Recomputes and keeps the standing of `seller` at `now`, inside a running transaction.
pub async fn refresh_in_tx(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    now: DateTime<Utc>,
) -> Result<Standing, TrustError> {
    let owner = profile(conn, seller).await?;
    let settings = settings::load(conn).await?;
    let signals = signals::read(conn, seller, owner, now).await?;
    let breakdown = score(&signals, &settings.weights);
    let before: Option<f32> = seller_trust::table
        .filter(seller_trust::seller_id.eq(seller))
        .select(seller_trust::score)
        .first(conn)
        .await
        .optional()?;
    #[allow(clippy::cast_possible_truncation)]
    let stored = breakdown.score as f32;
    let detail = serde_json::to_value(&breakdown).unwrap_or_default();
    diesel::insert_into(seller_trust::table)
        .values((
            seller_trust::tenant_id.eq(tenant.as_uuid()),
            seller_trust::seller_id.eq(seller),
            seller_trust::score.eq(stored),
            seller_trust::breakdown.eq(&detail),
            seller_trust::computed_at.eq(now),
        ))
        .on_conflict((seller_trust::tenant_id, seller_trust::seller_id))
        .do_update()
        .set((
            seller_trust::score.eq(stored),
            seller_trust::breakdown.eq(&detail),
            seller_trust::computed_at.eq(now),
            seller_trust::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    if before.is_none_or(|b| (f64::from(b) - breakdown.score).abs() >= 1.0) {
        diesel::insert_into(trust_history::table)
            .values((
                trust_history::tenant_id.eq(tenant.as_uuid()),
                trust_history::id.eq(Uuid::now_v7()),
                trust_history::seller_id.eq(seller),
                trust_history::kind.eq("score"),
                trust_history::from_value.eq(before.map(|b| format!("{b:.2}"))),
                trust_history::to_value.eq(format!("{:.2}", breakdown.score)),
                trust_history::created_at.eq(now),
            ))
            .execute(conn)
            .await?;
    }
    let (level, risk) = level(conn, seller).await?;
    let features = Feature::ALL
        .into_iter()
        .filter(|f| settings.required_level(*f) <= level)
        .collect();
    let next_level = next_level(conn, seller, level, breakdown.score, &settings).await?;
    Ok(Standing {
        seller_id: seller,
        level,
        score: breakdown.score,
        breakdown,
        signals,
        risk,
        listing_limit: settings.listing_limit(level),
        listings: listings(conn, seller).await?,
        features,
        next_level,
        computed_at: now,
    })
}

/// The standing of seller `seller` (`None`: the caller's own store), for
/// staff or the seller; others learn nothing of it.
pub async fn get(
    db: &Db,
    actor: &Actor,
    seller: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Standing, TrustError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = match seller {
                Some(s) => s,
                None => seller_profiles::table
                    .filter(seller_profiles::user_id.eq(actor.user_id))
                    .select(seller_profiles::id)
                    .first(conn)
                    .await
                    .optional()?
                    .ok_or(TrustError::NotFound("seller profile"))?,
            };
            require_owner_or_staff(conn, &actor, seller).await?;
            // Reading the standing re-evaluates it: a score that reached the
            // next threshold (time passing, orders) promotes here.
            crate::verifications::promote_if_ready(conn, actor.tenant, seller, now).await
        }
        .scope_boxed()
    })
    .await
}

/// Refuses (as not found: others learn nothing of a store's trust) anyone
/// but staff and the store's owner.
pub(crate) async fn require_owner_or_staff(
    conn: &mut DbConn,
    actor: &Actor,
    seller: Uuid,
) -> Result<(), TrustError> {
    if profile(conn, seller).await? != actor.user_id && !actor.is_staff() {
        return Err(TrustError::NotFound("seller"));
    }
    Ok(())
}

/// Refuses a new listing of `seller` beyond its level's limit, inside the
/// transaction that would create it.
pub async fn check_listing(conn: &mut DbConn, seller: Uuid) -> Result<(), TrustError> {
    let settings = settings::load(conn).await?;
    let (level, _) = level(conn, seller).await?;
    let Some(limit) = settings.listing_limit(level) else {
        return Ok(());
    };
    if listings(conn, seller).await? < limit {
        return Ok(());
    }
    let next = if level < MAX_LEVEL {
        let mut needs: Vec<String> = STEPS[usize::from(level)]
            .iter()
            .map(|s| format!("verification step {s} approved"))
            .collect();
        needs.push(format!(
            "trust score of at least {}",
            settings.score_thresholds[usize::from(level)]
        ));
        needs
    } else {
        Vec::new()
    };
    Err(TrustError::LevelLimit { level, limit, next })
}
