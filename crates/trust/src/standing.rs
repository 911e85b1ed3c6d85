//! A seller's standing: level, score with its breakdown, listing limit,
//! enabled features, and what the next level needs. Reading it recomputes the
//! score from the current signals and keeps it (with a history row when it
//! moved by a point or more).

use crate::schema::{products, seller_profiles, seller_trust, seller_verifications, trust_history};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt, TenantId};

use crate::TrustError;
use crate::changes::{self, Change};
use crate::risk;
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
    &[PERFORMANCE_STEP],
];

/// The level-3 step: performance reviewed and approved by staff.
pub const PERFORMANCE_STEP: &str = "performance";

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
    /// low, medium or high (see [`crate::risk`]).
    pub risk: String,
    /// The level earned from verifications and score (the level in force
    /// differs while an administrator's override holds).
    pub earned_level: u8,
    /// When the earned level drops unless the score recovers (set when it
    /// fell below the level's threshold; the seller was warned).
    pub demotion_due_at: Option<DateTime<Utc>>,
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

/// The owner of seller profile `seller`.
pub(crate) async fn profile(conn: &mut DbConn, seller: Uuid) -> Result<Uuid, TrustError> {
    seller_profiles::table
        .filter(seller_profiles::id.eq(seller))
        .select(seller_profiles::user_id)
        .first(conn)
        .await
        .optional()?
        .ok_or(TrustError::not_found("seller"))
}

/// A seller's stored trust row: earned level, override, pending demotion.
#[derive(Clone, Debug, Default)]
pub(crate) struct Held {
    /// Earned level.
    pub earned: u8,
    /// Administrator's override.
    pub override_level: Option<u8>,
    /// Pending demotion.
    pub demotion_due_at: Option<DateTime<Utc>>,
}

impl Held {
    /// The level in force: the override, else the earned level.
    pub fn in_force(&self) -> u8 {
        self.override_level.unwrap_or(self.earned)
    }
}

type HeldRow = (i32, Option<i32>, Option<DateTime<Utc>>);

fn to_level(l: i32) -> u8 {
    u8::try_from(l.clamp(0, i32::from(MAX_LEVEL))).unwrap_or(0)
}

/// The stored trust row of `seller` (level 0 before the first computation).
pub(crate) async fn held(conn: &mut DbConn, seller: Uuid) -> Result<Held, TrustError> {
    let row: Option<HeldRow> = seller_trust::table
        .filter(seller_trust::seller_id.eq(seller))
        .select((
            seller_trust::level,
            seller_trust::override_level,
            seller_trust::demotion_due_at,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map_or_else(Held::default, |(l, o, due)| Held {
        earned: to_level(l),
        override_level: o.map(to_level),
        demotion_due_at: due,
    }))
}

/// The verification steps of `seller` that count as approved. A performance
/// step counts only when submitted after the store last fell from level 3:
/// returning to level 3 takes a new submission and staff approval.
pub(crate) async fn approved_steps(
    conn: &mut DbConn,
    seller: Uuid,
) -> Result<Vec<String>, TrustError> {
    let fell_from_top: Option<DateTime<Utc>> = trust_history::table
        .filter(trust_history::seller_id.eq(seller))
        .filter(trust_history::kind.eq("level"))
        .filter(trust_history::from_value.eq(MAX_LEVEL.to_string()))
        .select(diesel::dsl::max(trust_history::created_at))
        .first(conn)
        .await?;
    let rows: Vec<(String, DateTime<Utc>)> = seller_verifications::table
        .filter(seller_verifications::seller_id.eq(seller))
        .filter(seller_verifications::status.eq("approved"))
        .select((seller_verifications::step, seller_verifications::created_at))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(step, submitted)| {
            step != PERFORMANCE_STEP || fell_from_top.is_none_or(|fell| *submitted >= fell)
        })
        .map(|(step, _)| step)
        .collect())
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
    (score_now, risk): (f64, &str),
    settings: &TrustSettings,
) -> Result<Option<NextLevel>, TrustError> {
    if level >= MAX_LEVEL {
        return Ok(None);
    }
    let next = level + 1;
    let approved = approved_steps(conn, seller).await?;
    let mut requirements: Vec<Requirement> = STEPS[usize::from(level)]
        .iter()
        .map(|step| Requirement {
            requirement: (*step).to_owned(),
            met: approved.iter().any(|a| a == step),
            detail: step_detail(step),
        })
        .collect();
    let threshold = settings.score_thresholds[usize::from(level)];
    requirements.push(Requirement {
        requirement: "score".into(),
        met: score_now >= threshold,
        detail: format!("trust score of at least {threshold}"),
    });
    requirements.push(Requirement {
        requirement: "risk".into(),
        met: risk != risk::HIGH,
        detail: "risk below high (no severe or repeated violations in 90 days, no severe detection in 30)".into(),
    });
    #[expect(
        clippy::cast_precision_loss,
        reason = "a count far below 2^53, where f64 starts to round"
    )]
    let progress = requirements.iter().filter(|r| r.met).count() as f64 / requirements.len() as f64;
    Ok(Some(NextLevel {
        level: next,
        requirements,
        progress,
    }))
}

/// What one computation found: the score with its parts, the signals and the risk.
pub(crate) struct Computed {
    /// Score and components.
    pub breakdown: Breakdown,
    /// Signals behind them.
    pub signals: Signals,
    /// Risk level.
    pub risk: &'static str,
}

/// Recomputes the score and risk of `seller` at `now` and keeps them, with a
/// history row when the score moved by a point or more or the risk changed
/// (the risk change is audited too).
pub(crate) async fn compute_and_store(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    now: DateTime<Utc>,
    settings: &TrustSettings,
) -> Result<Computed, TrustError> {
    let owner = profile(conn, seller).await?;
    let signals = signals::read(conn, seller, owner, now).await?;
    let breakdown = score(&signals, &settings.weights);
    let risk = risk::counts(conn, owner, now).await?.level();
    let before: Option<(f32, String)> = seller_trust::table
        .filter(seller_trust::seller_id.eq(seller))
        .select((seller_trust::score, seller_trust::risk))
        .first(conn)
        .await
        .optional()?;
    #[expect(
        clippy::cast_possible_truncation,
        reason = "stored as REAL (f32): a bounded score that f32 holds precisely enough"
    )]
    let stored = breakdown.score as f32;
    let detail = serde_json::to_value(&breakdown).unwrap_or_default();
    diesel::insert_into(seller_trust::table)
        .values((
            seller_trust::tenant_id.eq(tenant.as_uuid()),
            seller_trust::seller_id.eq(seller),
            seller_trust::score.eq(stored),
            seller_trust::breakdown.eq(&detail),
            seller_trust::risk.eq(risk),
            seller_trust::computed_at.eq(now),
        ))
        .on_conflict((seller_trust::tenant_id, seller_trust::seller_id))
        .do_update()
        .set((
            seller_trust::score.eq(stored),
            seller_trust::breakdown.eq(&detail),
            seller_trust::risk.eq(risk),
            seller_trust::computed_at.eq(now),
            seller_trust::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    if before.is_none() {
        // The first computation of a store: from now on the daily pass keeps it fresh.
        crate::jobs::ensure_daily(conn, tenant, now).await?;
    }
    let score_before = before.as_ref().map(|b| b.0);
    if score_before.is_none_or(|b| (f64::from(b) - breakdown.score).abs() >= 1.0) {
        let change = Change {
            kind: "score",
            from: score_before.map(|b| format!("{b:.2}")),
            to: format!("{:.2}", breakdown.score),
            reason: "",
            actor: None,
        };
        changes::history(conn, tenant, seller, now, change).await?;
    }
    let risk_before = before.map_or(risk::LOW, |b| risk::named(&b.1));
    if risk_before != risk {
        let change = Change {
            kind: "risk",
            from: Some(risk_before.to_owned()),
            to: risk.to_owned(),
            reason: "violations and detections of the last 90 and 30 days",
            actor: None,
        };
        changes::history(conn, tenant, seller, now, change).await?;
        let metadata =
            serde_json::json!({ "event": "trust_risk_change", "from": risk_before, "to": risk });
        changes::audit(conn, tenant, seller, None, "trust_risk_change", metadata).await?;
    }
    Ok(Computed {
        breakdown,
        signals,
        risk,
    })
}

/// The standing of `seller` from a fresh computation and its stored row.
pub(crate) async fn assemble(
    conn: &mut DbConn,
    seller: Uuid,
    computed: Computed,
    settings: &TrustSettings,
    now: DateTime<Utc>,
) -> Result<Standing, TrustError> {
    let held = held(conn, seller).await?;
    let level = held.in_force();
    let features = Feature::ALL
        .into_iter()
        .filter(|f| settings.required_level(*f) <= level)
        .collect();
    let score = computed.breakdown.score;
    let next_level = next_level(conn, seller, level, (score, computed.risk), settings).await?;
    Ok(Standing {
        seller_id: seller,
        level,
        score,
        breakdown: computed.breakdown,
        signals: computed.signals,
        risk: computed.risk.to_owned(),
        earned_level: held.earned,
        demotion_due_at: held.demotion_due_at,
        listing_limit: settings.listing_limit(level),
        listings: listings(conn, seller).await?,
        features,
        next_level,
        computed_at: now,
    })
}

/// Recomputes and keeps the standing of `seller` at `now`, inside a running
/// transaction, without changing its level (see [`crate::lifecycle::evaluate`]).
pub async fn refresh_in_tx(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    now: DateTime<Utc>,
) -> Result<Standing, TrustError> {
    let settings = settings::load(conn).await?;
    let computed = compute_and_store(conn, tenant, seller, now, &settings).await?;
    assemble(conn, seller, computed, &settings, now).await
}

/// A step's requirement in words.
pub(crate) fn step_detail(step: &str) -> String {
    if step == PERFORMANCE_STEP {
        "performance reviewed and approved by staff (submitted at level 2 with the level-3 score)"
            .to_owned()
    } else {
        format!("verification step {step} approved")
    }
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
                None => own_store(conn, actor.user_id).await?,
            };
            require_owner_or_staff(conn, &actor, seller).await?;
            // Reading the standing re-evaluates it: a score that reached the
            // next threshold (time passing, orders) promotes here.
            crate::lifecycle::evaluate(conn, actor.tenant, seller, now).await
        }
        .scope_boxed()
    })
    .await
}

/// The store user `user` owns (not found without one).
pub(crate) async fn own_store(conn: &mut DbConn, user: Uuid) -> Result<Uuid, TrustError> {
    seller_profiles::table
        .filter(seller_profiles::user_id.eq(user))
        .select(seller_profiles::id)
        .first(conn)
        .await
        .optional()?
        .ok_or(TrustError::not_found("seller profile"))
}

/// Refuses (as not found: others learn nothing of a store's trust) anyone
/// but staff and the store's owner.
pub(crate) async fn require_owner_or_staff(
    conn: &mut DbConn,
    actor: &Actor,
    seller: Uuid,
) -> Result<(), TrustError> {
    if profile(conn, seller).await? != actor.user_id && !actor.is_staff() {
        return Err(TrustError::not_found("seller"));
    }
    Ok(())
}

/// Refuses a new listing of `seller` beyond its level's limit, inside the
/// transaction that would create it.
pub async fn check_listing(conn: &mut DbConn, seller: Uuid) -> Result<(), TrustError> {
    let settings = settings::load(conn).await?;
    let level = held(conn, seller).await?.in_force();
    let Some(limit) = settings.listing_limit(level) else {
        return Ok(());
    };
    if listings(conn, seller).await? < limit {
        return Ok(());
    }
    let next = if level < MAX_LEVEL {
        let mut needs: Vec<String> = STEPS[usize::from(level)]
            .iter()
            .map(|s| step_detail(s))
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
