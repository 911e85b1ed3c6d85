//! Content moderation: analysis, filter rules, decision history, the review
//! queue and rescans.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use warden_moderation::analysis::Analysis;
use warden_moderation::content::ContentType;
use warden_moderation::rescans::{self, Rescan, RescanBody};
use warden_moderation::results::{self, ModerationResult, ResultFilter};
use warden_moderation::reviews::{
    self, DecisionBody, QueueFilter, QueueSource, ReviewDetail, ReviewItem,
};
use warden_moderation::rules::{Decision, Rule, RuleBody, store as rules};
use warden_tenancy::Page;

use super::PageQuery;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::CrossDomainEffects;
use crate::wiring::content_store::CommerceContent;

/// Registers the moderation routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(analyze)
        .service(list_rules)
        .service(create_rule)
        .service(get_rule)
        .service(replace_rule)
        .service(delete_rule)
        .service(list_results)
        .service(get_result)
        .service(list_review_items)
        .service(get_review_item)
        .service(claim_review)
        .service(decide_review)
        .service(create_rescan)
        .service(get_rescan);
}

/// `POST /moderation/analyze`: one text or up to 64.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeBody {
    /// One text (give this or `texts`).
    #[serde(default)]
    pub text: Option<String>,
    /// Up to 64 texts, answered in order under `results`.
    #[serde(default)]
    pub texts: Option<Vec<String>>,
    /// Decide as this kind of content (default `message`).
    #[serde(default)]
    pub content_type: Option<ContentType>,
}

// The documented shape of `AnalyzeBody`: the handler reads `AnalyzeBody`,
// whose errors name the field at fault; this type only tells the spec that the
// two forms exclude each other.
/// `POST /moderation/analyze`: exactly one of `text` (one result) and
/// `texts` (a batch).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum TextAnalyzeRequest {
    /// One text, answered with one result.
    One(TextAnalyzeOne),
    /// A batch, answered in order under `results`.
    Many(TextAnalyzeMany),
}

/// `analyze` with one text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "documentation-only type: the handler deserializes AnalyzeBody, this only shapes the spec"
)]
pub struct TextAnalyzeOne {
    /// The text.
    text: String,
    /// Decide as this kind of content (default `message`).
    content_type: Option<ContentType>,
}

/// `analyze` with up to 64 texts.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "documentation-only type: the handler deserializes AnalyzeBody, this only shapes the spec"
)]
pub struct TextAnalyzeMany {
    /// The texts, answered in order.
    #[schema(min_items = 1, max_items = 64)]
    texts: Vec<String>,
    /// Decide as this kind of content (default `message`).
    content_type: Option<ContentType>,
}

/// The analysis of one text and the decision the tenant's rules make.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyzeResult {
    /// Scores, sentiment, language and entities.
    #[serde(flatten)]
    pub analysis: Analysis,
    /// What the rules decide.
    pub decision: Decision,
}

/// The answer to a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyzeBatch {
    /// One result per text, in order.
    pub results: Vec<AnalyzeResult>,
}

/// What `analyze` answers: one result for `text`, a batch for `texts`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AnalyzeAnswer {
    /// For `text`.
    One(Box<AnalyzeResult>),
    /// For `texts`.
    Batch(AnalyzeBatch),
}

/// Analyses text without storing anything: toxicity, offensive language,
/// sentiment, language, entities, and the decision the tenant's rules would make (staff).
#[utoipa::path(tag = "moderation", request_body = TextAnalyzeRequest, responses((status = 200, body = AnalyzeAnswer, description = "One text: an AnalyzeResult; `texts`: an AnalyzeBatch")))]
#[post("/moderation/analyze")]
pub async fn analyze(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<AnalyzeBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (texts, single) = warden_moderation::moderator::analyze_input(body.text, body.texts)?;
    let verdicts = state
        .moderator
        .judge_for(&state.db, &caller.actor, body.content_type, texts)
        .await?;
    let mut results: Vec<AnalyzeResult> = verdicts
        .into_iter()
        .map(|v| AnalyzeResult {
            analysis: v.analysis,
            decision: v.decision,
        })
        .collect();
    let answer = match (single, results.pop()) {
        (true, Some(one)) => AnalyzeAnswer::One(Box::new(one)),
        (_, last) => {
            results.extend(last);
            AnalyzeAnswer::Batch(AnalyzeBatch { results })
        }
    };
    Ok(HttpResponse::Ok().json(answer))
}

/// Lists the tenant's filter rules, newest first (staff).
#[utoipa::path(tag = "moderation", params(PageQuery), responses((status = 200, body = Page<Rule>)))]
#[get("/moderation/rules")]
pub async fn list_rules(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(rules::list(&state.db, &caller.actor, page.page()?).await?))
}

/// Creates a filter rule (tenant administrators).
#[utoipa::path(tag = "moderation", request_body = RuleBody, responses((status = 201, body = Rule)))]
#[post("/moderation/rules")]
pub async fn create_rule(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<RuleBody>,
) -> Result<HttpResponse, ApiError> {
    let rule = state
        .moderator
        .create_rule(&state.db, &caller.actor, body.into_inner())
        .await?;
    Ok(created(rule.id, HttpResponse::Created().json(rule)))
}

/// Reads a filter rule (staff).
#[utoipa::path(tag = "moderation", params(("id" = Uuid, Path, description = "Rule id")), responses((status = 200, body = Rule)))]
#[get("/moderation/rules/{id}")]
pub async fn get_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(rules::get(&state.db, &caller.actor, *id).await?))
}

/// Replaces a filter rule (tenant administrators).
#[utoipa::path(tag = "moderation", params(("id" = Uuid, Path, description = "Rule id")), request_body = RuleBody, responses((status = 200, body = Rule)))]
#[put("/moderation/rules/{id}")]
pub async fn replace_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<RuleBody>,
) -> Result<HttpResponse, ApiError> {
    let rule = state
        .moderator
        .replace_rule(&state.db, &caller.actor, *id, body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(rule))
}

/// Deletes a filter rule (tenant administrators); past decisions keep its name and explanation.
#[utoipa::path(tag = "moderation", params(("id" = Uuid, Path, description = "Rule id")), responses((status = 204)))]
#[delete("/moderation/rules/{id}")]
pub async fn delete_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .moderator
        .delete_rule(&state.db, &caller.actor, *id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Filters of `GET /moderation/results`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultQuery {
    /// Only this kind of content.
    pub content_type: Option<ContentType>,
    /// Only this piece of content.
    pub content_id: Option<Uuid>,
    /// Only this applied action (`allow`, `flag`, `require_review`, `reject`).
    pub decision: Option<String>,
    /// Not before (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// Lists recorded moderation decisions, newest first (staff).
#[utoipa::path(tag = "moderation", params(PageQuery, ResultQuery), responses((status = 200, body = Page<ModerationResult>)))]
#[get("/moderation/results")]
pub async fn list_results(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<ResultQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let filter = ResultFilter {
        content_type: q.content_type,
        content_id: q.content_id,
        applied_action: q.decision,
        from: q.from,
        to: q.to,
    };
    Ok(HttpResponse::Ok()
        .json(results::list(&state.db, &caller.actor, filter, page.page()?).await?))
}

/// Reads one recorded decision (staff).
#[utoipa::path(tag = "moderation", params(("id" = Uuid, Path, description = "Result id")), responses((status = 200, body = ModerationResult)))]
#[get("/moderation/results/{id}")]
pub async fn get_result(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(results::get(&state.db, &caller.actor, *id).await?))
}

/// Filters of `GET /moderation/reviews`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Only this status (`pending`, `escalated`, `approved`, `rejected`,
    /// `changes_requested`, `superseded`); open items when absent.
    #[param(pattern = "^(pending|escalated|approved|rejected|changes_requested|superseded)$")]
    pub status: Option<String>,
    /// Only this kind of content.
    pub content_type: Option<ContentType>,
    /// Only `automated` items (held by the rules), `report` items (reported
    /// by users) or `escalation` (escalated items of either source).
    #[param(inline)]
    pub source: Option<QueueSource>,
}

/// The review queue, higher priority first, then oldest first (moderators and
/// administrators). Report items rank by their distinct reporters' accuracy,
/// trusted flaggers' first (README, "User reports").
#[utoipa::path(tag = "moderation", params(PageQuery, ReviewQuery), responses((status = 200, body = Page<ReviewItem>)))]
#[get("/moderation/reviews")]
pub async fn list_review_items(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<ReviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let filter = QueueFilter {
        status: q.status,
        content_type: q.content_type,
        source: q.source,
    };
    Ok(HttpResponse::Ok()
        .json(reviews::list(&state.db, &caller.actor, filter, page.page()?).await?))
}

/// A review item with its history.
#[utoipa::path(tag = "moderation", params(("id" = Uuid, Path, description = "Review item id")), responses((status = 200, body = ReviewDetail)))]
#[get("/moderation/reviews/{id}")]
pub async fn get_review_item(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(reviews::get(&state.db, &caller.actor, *id).await?))
}

/// Claims a review item for 15 minutes; 409 when another reviewer holds it.
#[utoipa::path(tag = "moderation", params(("id" = Uuid, Path, description = "Review item id")), responses((status = 200, body = ReviewDetail)))]
#[post("/moderation/reviews/{id}/claim")]
pub async fn claim_review(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(reviews::claim(&state.db, &caller.actor, *id).await?))
}

/// Decides a claimed item: approve, reject, request_changes or escalate, with a note.
/// On a report item, approve dismisses the reports and leaves the content as
/// it is; reject removes the content (or records a violation of a reported
/// user) and upholds them; each reporter is told.
#[utoipa::path(tag = "moderation", params(("id" = Uuid, Path, description = "Review item id")), request_body = DecisionBody, responses((status = 200, body = ReviewDetail)))]
#[post("/moderation/reviews/{id}/decision")]
pub async fn decide_review(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<DecisionBody>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        reviews::decide(
            &state.db,
            &CommerceContent,
            &CrossDomainEffects,
            &caller.actor,
            *id,
            body.into_inner(),
        )
        .await?,
    ))
}

/// Starts a rescan of existing content as a background job (staff).
#[utoipa::path(tag = "moderation", request_body = RescanBody, responses((status = 202, body = Rescan)))]
#[post("/moderation/rescans")]
pub async fn create_rescan(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<RescanBody>,
) -> Result<HttpResponse, ApiError> {
    let rescan = rescans::create(
        &state.db,
        &CommerceContent,
        &caller.actor,
        body.into_inner(),
    )
    .await?;
    Ok(created(rescan.id, HttpResponse::Accepted().json(rescan)))
}

/// A rescan and its progress.
#[utoipa::path(tag = "moderation", params(("id" = Uuid, Path, description = "Rescan id")), responses((status = 200, body = Rescan)))]
#[get("/moderation/rescans/{id}")]
pub async fn get_rescan(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(rescans::get(&state.db, &caller.actor, *id).await?))
}
