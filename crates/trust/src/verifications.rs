//! Verification steps of a seller: submitted, then approved or rejected.
//!
//! `email` and `phone` are proven with a one-time code (six digits, valid 10
//! minutes, 5 attempts, only its SHA-256 kept); the other steps carry evidence
//! metadata (document references, ids) that staff review with notes. Every
//! step is audited, and an approval promotes the seller when its level's steps
//! and score threshold are met. `performance` (level 3) may be submitted at
//! level 2 with the level-3 score; its evidence is the standing at that
//! moment, and staff approval of it is the promotion to level 3.
//!
//! Codes cost money to send and can be aimed at any number (toll fraud), so a
//! `phone` code is throttled per number (across the tenant's stores, per hour)
//! and per store (different numbers per day), a number another store verified
//! is refused, and every code goes through the notification delivery path,
//! where the tenant's hourly cap of the channel applies. A refused code writes
//! no verification, sends nothing, and is recorded as a `verification_throttled`
//! security event in the activity log.

use std::collections::HashMap;

use crate::schema::{seller_verifications, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_notifications::codes::{self, CapReached};
use warden_notifications::delivery::Providers;
use warden_notifications::model::Channel;
use warden_notifications::preferences;
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt, TenantId};

use crate::TrustError;
use crate::lifecycle;
use crate::settings;
use crate::standing::{self, PERFORMANCE_STEP, STEPS};

/// Minutes a code is valid.
pub const CODE_MINUTES: u32 = 10;
/// Wrong codes allowed before the step must be submitted again.
pub const MAX_CODE_ATTEMPTS: i32 = 5;
/// Largest evidence object, bytes of JSON.
pub const MAX_EVIDENCE_BYTES: usize = 16 * 1024;

/// Throttles of `phone` codes, against SMS toll fraud.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeLimits {
    /// Codes sent to one number per hour, by all the tenant's stores together.
    pub sms_per_number_per_hour: u32,
    /// Different numbers one store may send codes to per day.
    pub sms_numbers_per_store_per_day: u32,
}

impl Default for CodeLimits {
    fn default() -> Self {
        Self {
            sms_per_number_per_hour: 3,
            sms_numbers_per_store_per_day: 5,
        }
    }
}

/// A step to submit.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVerification {
    /// `email`, `phone`, `business_basics`, `store_setup`,
    /// `business_registration`, `tax_id`, `business_address`, `bank_account`
    /// or `performance`.
    #[schema(
        pattern = "^(email|phone|business_basics|store_setup|business_registration|tax_id|business_address|bank_account|performance)$"
    )]
    pub step: String,
    /// Evidence metadata (for `phone`: `{"phone": "+15551234567"}`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub evidence: Option<serde_json::Value>,
}

/// A verification step as the API shows it (never the code).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = seller_verifications)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Verification {
    /// Id.
    pub id: Uuid,
    /// Seller.
    pub seller_id: Uuid,
    /// Step.
    pub step: String,
    /// submitted, approved or rejected.
    pub status: String,
    /// Evidence metadata.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    /// When the code expires (code steps).
    pub code_expires_at: Option<DateTime<Utc>>,
    /// Wrong codes so far.
    pub code_attempts: i32,
    /// Staff who reviewed it.
    pub reviewer_id: Option<Uuid>,
    /// Review notes.
    pub notes: Option<String>,
    /// Submitted at.
    pub created_at: DateTime<Utc>,
    /// Decided at.
    pub decided_at: Option<DateTime<Utc>>,
}

/// A staff review.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationReview {
    /// `approve` or `reject`.
    pub decision: VerificationDecision,
    /// Notes, up to 2,000 characters.
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub notes: String,
}

/// A staff decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationDecision {
    /// The step is verified.
    Approve,
    /// It is not.
    Reject,
}

/// `POST /sellers/me/verifications/{id}/code`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// The six digits received.
    #[schema(pattern = "^\\s*[0-9]{6}\\s*$")]
    pub code: String,
}

/// Id, status, code hash, expiry and attempts of a code step.
type CodeState = (Uuid, String, Option<String>, Option<DateTime<Utc>>, i32);

fn hash(id: Uuid, code: &str) -> String {
    let digest = Sha256::digest(format!("{id}:{code}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_code() -> String {
    let n = u32::from_le_bytes(Uuid::new_v4().as_bytes()[..4].try_into().unwrap_or([0; 4]));
    format!("{:06}", n % 1_000_000)
}

async fn audit(
    conn: &mut DbConn,
    tenant: TenantId,
    actor: Option<&Actor>,
    action: &str,
    v: &Verification,
) -> Result<(), TrustError> {
    let mut event = ActivityEvent::new(Kind::Security, action);
    event.actor_id = actor.map(|a| a.user_id);
    event.resource_type = Some("verifications".into());
    event.resource_id = Some(v.id.to_string());
    event.metadata = serde_json::json!({ "event": action, "seller_id": v.seller_id, "step": v.step, "status": v.status });
    warden_audit::store::record_in_tx(conn, tenant, event).await?;
    Ok(())
}

async fn load(conn: &mut DbConn, id: Uuid) -> Result<Verification, TrustError> {
    seller_verifications::table
        .filter(seller_verifications::id.eq(id))
        .select(Verification::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(TrustError::not_found("verification"))
}

/// Submits a step of the caller's store; code steps send their code at once.
pub async fn submit(
    db: &Db,
    actor: &Actor,
    providers: &Providers,
    limits: &CodeLimits,
    now: DateTime<Utc>,
    body: NewVerification,
) -> Result<Verification, TrustError> {
    let known = STEPS.iter().flat_map(|s| s.iter()).any(|s| *s == body.step);
    if !known {
        return Err(TrustError::invalid(format!(
            "step: one of {}",
            STEPS
                .iter()
                .flat_map(|s| s.iter())
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let evidence = body.evidence.unwrap_or_else(|| serde_json::json!({}));
    let text = evidence.to_string();
    if !evidence.is_object() || text.len() > MAX_EVIDENCE_BYTES || text.contains("\\u0000") {
        return Err(TrustError::invalid(format!(
            "evidence: a JSON object of at most {MAX_EVIDENCE_BYTES} bytes"
        )));
    }
    let phone = if body.step == "phone" {
        let p = evidence
            .get("phone")
            .and_then(|p| p.as_str())
            .unwrap_or_default()
            .to_owned();
        if !warden_notifications::sms::is_e164(&p) {
            return Err(TrustError::invalid("evidence.phone: an E.164 number"));
        }
        Some(p)
    } else {
        None
    };
    let code_step = code_step_named(&body.step);
    let code = code_step.then(new_code);
    let actor = actor.clone();
    let step = body.step.clone();
    let limits = *limits;
    // A refused code is an answer, not a failure: its record is committed.
    let (v, pending) = db
        .tenant_tx(actor.tenant, |conn| {
            let (evidence, code, phone) = (evidence.clone(), code.clone(), phone.clone());
            async move {
                let seller = standing::own_store(conn, actor.user_id).await?;
                // (A performance approval from before a fall from level 3 no
                // longer counts, so performance may be submitted again.)
                if !code_step_named(&step) {
                    let pending: i64 = seller_verifications::table
                        .filter(seller_verifications::seller_id.eq(seller))
                        .filter(seller_verifications::step.eq(&step))
                        .filter(seller_verifications::status.eq("submitted"))
                        .count()
                        .get_result(conn)
                        .await?;
                    if pending > 0 {
                        return Err(TrustError::conflict(format!(
                            "step {step} already awaits review"
                        )));
                    }
                }
                if standing::approved_steps(conn, seller)
                    .await?
                    .contains(&step)
                {
                    return Err(TrustError::conflict(format!(
                        "step {step} is already verified"
                    )));
                }
                if let Some(p) = &phone
                    && let Err(refused) =
                        phone_throttle(conn, actor.tenant, seller, p, now, &limits).await?
                {
                    refusal(conn, &actor, seller, &step, p, &refused).await?;
                    return Ok(Err(refused));
                }
                let evidence = if step == PERFORMANCE_STEP {
                    performance_evidence(conn, actor.tenant, seller, now, evidence).await?
                } else {
                    evidence
                };
                let email: Option<String> = users::table
                    .filter(users::id.eq(actor.user_id))
                    .select(users::email)
                    .first(conn)
                    .await?;
                let address = match step.as_str() {
                    "email" => Some(email.ok_or_else(|| {
                        TrustError::invalid("your account has no e-mail address to verify")
                    })?),
                    "phone" => phone.clone(),
                    _ => None,
                };
                let pending = match (&code, &address) {
                    (Some(code), Some(address)) => {
                        let channel = if step == "email" {
                            Channel::Email
                        } else {
                            Channel::Sms
                        };
                        match codes::queue_code(
                            conn,
                            actor.tenant,
                            providers,
                            actor.user_id,
                            channel,
                            address,
                            code,
                            CODE_MINUTES,
                        )
                        .await?
                        {
                            Ok(pending) => Some(pending),
                            Err(cap) => {
                                let refused = cap_refusal(cap);
                                refusal(conn, &actor, seller, &step, address, &refused).await?;
                                return Ok(Err(refused));
                            }
                        }
                    }
                    _ => None,
                };
                if let Some(p) = &phone {
                    // The number verified is where SMS notifications go.
                    preferences::set_phone(conn, actor.tenant, actor.user_id, p).await?;
                }
                let id = Uuid::now_v7();
                diesel::insert_into(seller_verifications::table)
                    .values((
                        seller_verifications::tenant_id.eq(actor.tenant.as_uuid()),
                        seller_verifications::id.eq(id),
                        seller_verifications::seller_id.eq(seller),
                        seller_verifications::step.eq(&step),
                        seller_verifications::evidence.eq(&evidence),
                        seller_verifications::code_hash.eq(code.as_deref().map(|c| hash(id, c))),
                        seller_verifications::code_expires_at.eq(code
                            .as_ref()
                            .map(|_| now + chrono::Duration::minutes(i64::from(CODE_MINUTES)))),
                        seller_verifications::created_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                let v = load(conn, id).await?;
                audit(
                    conn,
                    actor.tenant,
                    Some(&actor),
                    "verification_submitted",
                    &v,
                )
                .await?;
                Ok(Ok((v, pending)))
            }
            .scope_boxed()
        })
        .await??;
    if let Some(pending) = pending {
        codes::send_code(db, providers, pending)
            .await
            .map_err(|e| TrustError::invalid(format!("the code could not be sent: {e}")))?;
    }
    Ok(v)
}

/// The refusal of a code over the tenant's hourly cap of its channel.
fn cap_refusal(cap: CapReached) -> TrustError {
    let (reason, what) = if cap.channel == Channel::Sms {
        ("sms_per_hour", "SMS")
    } else {
        ("email_per_hour", "emails")
    };
    TrustError::Throttled {
        reason,
        retry_after_secs: cap.retry_after_secs,
        detail: format!(
            "this marketplace sends at most {} {what} an hour and has reached it; \
             ask for a code again later",
            cap.cap
        ),
    }
}

/// Records a refused code as a security event, for staff.
async fn refusal(
    conn: &mut DbConn,
    actor: &Actor,
    seller: Uuid,
    step: &str,
    address: &str,
    refused: &TrustError,
) -> Result<(), TrustError> {
    let TrustError::Throttled {
        reason,
        retry_after_secs,
        ..
    } = refused
    else {
        return Ok(());
    };
    let mut event = ActivityEvent::new(Kind::Security, "verification_throttled");
    event.actor_id = Some(actor.user_id);
    event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
    event.resource_type = Some("sellers".into());
    event.resource_id = Some(seller.to_string());
    event.metadata = serde_json::json!({
        "event": "verification_throttled",
        "seller_id": seller,
        "step": step,
        "address": address,
        "reason": reason,
        "retry_after_secs": retry_after_secs,
    });
    warden_audit::store::record_in_tx(conn, actor.tenant, event).await?;
    Ok(())
}

/// Seconds from `now` until `at` (at least one).
fn seconds_until(at: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    u64::try_from((at - now).num_seconds()).unwrap_or(0).max(1)
}

/// Checks the throttles of a `phone` code to `phone` from `seller`, and that
/// no other store verified the number. Takes transaction locks on the store
/// and then the number first, so concurrent requests count one after the
/// other and cannot both take the last slot.
async fn phone_throttle(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    phone: &str,
    now: DateTime<Utc>,
    limits: &CodeLimits,
) -> Result<Result<(), TrustError>, TrustError> {
    // Always the store first, then the number: no two requests wait on each other in a cycle.
    for key in [
        format!("warden:verify-sms:store:{tenant}:{seller}"),
        format!("warden:verify-sms:number:{tenant}:{phone}"),
    ] {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<Text, _>(key)
            .execute(conn)
            .await?;
    }
    let same_number =
        || diesel::dsl::sql::<Bool>("(evidence ->> 'phone') = ").bind::<Text, _>(phone.to_owned());
    let taken: i64 = seller_verifications::table
        .filter(seller_verifications::step.eq("phone"))
        .filter(seller_verifications::status.eq("approved"))
        .filter(seller_verifications::seller_id.ne(seller))
        .filter(same_number())
        .count()
        .get_result(conn)
        .await?;
    if taken > 0 {
        return Err(TrustError::conflict(
            "this number is verified by another store",
        ));
    }
    let hour = chrono::Duration::hours(1);
    let to_number: Vec<DateTime<Utc>> = seller_verifications::table
        .filter(seller_verifications::step.eq("phone"))
        .filter(same_number())
        .filter(seller_verifications::created_at.gt(now - hour))
        .select(seller_verifications::created_at)
        .order(seller_verifications::created_at.asc())
        .load(conn)
        .await?;
    let per_number = usize::try_from(limits.sms_per_number_per_hour).unwrap_or(usize::MAX);
    if to_number.len() >= per_number {
        // Free again when enough of the codes in the window have left it.
        let frees = to_number
            .get(to_number.len() - per_number)
            .map_or(now + hour, |t| *t + hour);
        return Ok(Err(TrustError::Throttled {
            reason: "sms_per_number_per_hour",
            retry_after_secs: seconds_until(frees, now),
            detail: format!(
                "at most {} codes an hour go to one number; ask again later",
                limits.sms_per_number_per_hour
            ),
        }));
    }
    let day = chrono::Duration::days(1);
    let by_store: Vec<(serde_json::Value, DateTime<Utc>)> = seller_verifications::table
        .filter(seller_verifications::seller_id.eq(seller))
        .filter(seller_verifications::step.eq("phone"))
        .filter(seller_verifications::created_at.gt(now - day))
        .select((
            seller_verifications::evidence,
            seller_verifications::created_at,
        ))
        .load(conn)
        .await?;
    let mut latest: HashMap<String, DateTime<Utc>> = HashMap::new();
    for (evidence, at) in by_store {
        let number = evidence
            .get("phone")
            .and_then(|p| p.as_str())
            .unwrap_or_default()
            .to_owned();
        let last = latest.entry(number).or_insert(at);
        *last = (*last).max(at);
    }
    let per_store = usize::try_from(limits.sms_numbers_per_store_per_day).unwrap_or(usize::MAX);
    if !latest.contains_key(phone) && latest.len() >= per_store {
        // Free again when enough numbers have had no code for a day.
        let mut lasts: Vec<DateTime<Utc>> = latest.into_values().collect();
        lasts.sort_unstable();
        let frees = lasts
            .get(lasts.len() - per_store)
            .map_or(now + day, |t| *t + day);
        return Ok(Err(TrustError::Throttled {
            reason: "sms_numbers_per_store_per_day",
            retry_after_secs: seconds_until(frees, now),
            detail: format!(
                "a store may send codes to at most {} different numbers a day; ask again later",
                limits.sms_numbers_per_store_per_day
            ),
        }));
    }
    Ok(Ok(()))
}

/// Confirms the code of a code step of the caller's store.
pub async fn confirm_code(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    id: Uuid,
    body: CodeBody,
) -> Result<Verification, TrustError> {
    let actor = actor.clone();
    // A wrong code is an answer, not a failure: its attempt is committed.
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = standing::own_store(conn, actor.user_id).await?;
            let row: Option<CodeState> = seller_verifications::table
                .filter(seller_verifications::id.eq(id))
                .filter(seller_verifications::seller_id.eq(seller))
                .select((
                    seller_verifications::id,
                    seller_verifications::status,
                    seller_verifications::code_hash,
                    seller_verifications::code_expires_at,
                    seller_verifications::code_attempts,
                ))
                .for_no_key_update()
                .first(conn)
                .await
                .optional()?;
            let (id, status, code_hash, expires, attempts) =
                row.ok_or(TrustError::not_found("verification"))?;
            let Some(code_hash) = code_hash else {
                return Err(TrustError::conflict("this step is not verified by a code"));
            };
            if status != "submitted" {
                return Err(TrustError::conflict(format!(
                    "the step is already {status}"
                )));
            }
            if attempts >= MAX_CODE_ATTEMPTS {
                return Err(TrustError::conflict(
                    "too many wrong codes; submit the step again",
                ));
            }
            if expires.is_none_or(|e| e <= now) {
                return Err(TrustError::conflict(
                    "the code has expired; submit the step again",
                ));
            }
            if hash(id, body.code.trim()) != code_hash {
                diesel::update(seller_verifications::table.filter(seller_verifications::id.eq(id)))
                    .set(seller_verifications::code_attempts.eq(attempts + 1))
                    .execute(conn)
                    .await?;
                return Ok(Err(TrustError::invalid(format!(
                    "code: wrong code ({} attempts left)",
                    MAX_CODE_ATTEMPTS - attempts - 1
                ))));
            }
            diesel::update(seller_verifications::table.filter(seller_verifications::id.eq(id)))
                .set((
                    seller_verifications::status.eq("approved"),
                    seller_verifications::decided_at.eq(now),
                ))
                .execute(conn)
                .await?;
            let v = load(conn, id).await?;
            audit(
                conn,
                actor.tenant,
                Some(&actor),
                "verification_approved",
                &v,
            )
            .await?;
            lifecycle::evaluate(conn, actor.tenant, seller, now).await?;
            Ok(Ok(v))
        }
        .scope_boxed()
    })
    .await?
}

/// The verification steps of a store (staff, or its owner), newest first.
pub async fn list(db: &Db, actor: &Actor, seller: Uuid) -> Result<Vec<Verification>, TrustError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            standing::require_owner_or_staff(conn, &actor, seller).await?;
            Ok(seller_verifications::table
                .filter(seller_verifications::seller_id.eq(seller))
                .select(Verification::as_select())
                .order(seller_verifications::id.desc())
                .limit(200)
                .load(conn)
                .await?)
        }
        .scope_boxed()
    })
    .await
}

/// Staff decide a submitted step.
pub async fn review(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    seller: Uuid,
    id: Uuid,
    body: VerificationReview,
) -> Result<Verification, TrustError> {
    if !actor.is_staff() {
        return Err(TrustError::forbidden("only staff review verifications"));
    }
    if body.notes.chars().count() > 2000 || body.notes.contains('\0') {
        return Err(TrustError::invalid("notes: at most 2000 characters"));
    }
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let v = load(conn, id).await?;
            if v.seller_id != seller {
                return Err(TrustError::not_found("verification"));
            }
            if v.status != "submitted" {
                return Err(TrustError::conflict(format!(
                    "the step is already {}",
                    v.status
                )));
            }
            let status = match body.decision {
                VerificationDecision::Approve => "approved",
                VerificationDecision::Reject => "rejected",
            };
            diesel::update(seller_verifications::table.filter(seller_verifications::id.eq(id)))
                .set((
                    seller_verifications::status.eq(status),
                    seller_verifications::reviewer_id.eq(actor.user_id),
                    seller_verifications::notes.eq(body.notes.trim()),
                    seller_verifications::decided_at.eq(now),
                ))
                .execute(conn)
                .await?;
            let v = load(conn, id).await?;
            audit(
                conn,
                actor.tenant,
                Some(&actor),
                &format!("verification_{status}"),
                &v,
            )
            .await?;
            if status == "approved" {
                lifecycle::evaluate(conn, actor.tenant, seller, now).await?;
            }
            Ok(v)
        }
        .scope_boxed()
    })
    .await
}

/// Steps proven by a one-time code (submitting again sends a new code).
fn code_step_named(step: &str) -> bool {
    matches!(step, "email" | "phone")
}

/// A `performance` step may be submitted at level 2 with the score level 3
/// needs and risk below high; its evidence records the standing then (next to
/// what the seller added), for the reviewing staff.
async fn performance_evidence(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
    now: DateTime<Utc>,
    mut evidence: serde_json::Value,
) -> Result<serde_json::Value, TrustError> {
    let standing = lifecycle::evaluate(conn, tenant, seller, now).await?;
    let settings = settings::load(conn).await?;
    let needed = settings.score_thresholds[2];
    if standing.earned_level != 2 || standing.score < needed || standing.risk == crate::risk::HIGH {
        return Err(TrustError::conflict(format!(
            "performance is reviewed for stores at level 2 with a trust score of at least {needed} \
             and risk below high (this store: earned level {}, score {:.1}, risk {})",
            standing.earned_level, standing.score, standing.risk
        )));
    }
    if let Some(map) = evidence.as_object_mut() {
        map.insert(
            "standing".into(),
            serde_json::json!({
                "score": standing.score,
                "risk": standing.risk,
                "signals": standing.signals,
                "computed_at": now,
            }),
        );
    }
    Ok(evidence)
}
