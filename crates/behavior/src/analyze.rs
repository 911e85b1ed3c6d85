//! `POST /behavior/analyze`: evaluates events a caller sends against the
//! tenant's enabled patterns (or one pattern given inline), with fresh
//! windows holding only these events. Nothing is stored or enforced: it
//! answers "what would fire?" for a pattern being written or a seller's own
//! events.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, Db};

use crate::engine::Engine;
use crate::operators::Operators;
use crate::pattern::PatternBody;
use crate::windows::MemoryWindows;
use crate::{BehaviorError, store};

/// Most events per request.
pub const MAX_EVENTS: usize = 1000;

/// An event to evaluate; every field is optional except `action`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// When it happened (default: now, later events a microsecond apart).
    pub occurred_at: Option<DateTime<Utc>>,
    /// What happened, e.g. `auth_failure` or `POST /api/v1/products`.
    #[schema(min_length = 1, max_length = 200)]
    pub action: String,
    /// Kind: auth, resource_create, resource_update, resource_delete, api_call, system, security.
    pub kind: Option<Kind>,
    /// HTTP method.
    pub method: Option<String>,
    /// Route template.
    pub route: Option<String>,
    /// Path.
    pub path: Option<String>,
    /// Response status.
    pub status: Option<u16>,
    /// Latency, microseconds.
    pub latency_us: Option<i64>,
    /// Request bytes.
    pub bytes_in: Option<i64>,
    /// Response bytes.
    pub bytes_out: Option<i64>,
    /// Client address.
    pub client_ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Resource type.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Acting user.
    pub actor_id: Option<Uuid>,
    /// Token subject.
    pub actor_subject: Option<String>,
    /// Token roles.
    #[serde(default)]
    pub actor_roles: Vec<String>,
    /// Anything else (a JSON object).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

/// `POST /behavior/analyze`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    /// 1 to 1,000 events, in the order they happened.
    #[schema(min_items = 1, max_items = 1000)]
    pub events: Vec<EventInput>,
    /// Evaluate this pattern instead of the tenant's.
    pub pattern: Option<PatternBody>,
}

/// A pattern that would fire.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WouldFire {
    /// The event (index into the request's events).
    pub event_index: usize,
    /// The pattern (absent for an inline pattern).
    pub pattern_id: Option<Uuid>,
    /// Its name.
    pub pattern_name: String,
    /// Severity.
    pub severity: String,
    /// Mode.
    pub mode: String,
    /// The group.
    pub group_key: String,
    /// The aggregate.
    pub observed: f64,
    /// Confidence.
    pub confidence: f64,
}

/// The answer.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AnalyzeReport {
    /// Events evaluated.
    pub events: usize,
    /// Patterns evaluated.
    pub patterns: usize,
    /// Every firing, in event order.
    pub detections: Vec<WouldFire>,
}

/// Checks one request event and turns it into an activity event, at `at`
/// unless it gives its own `occurred_at`. The error names the field. Public so
/// the fuzz targets can drive the same conversion the endpoint uses.
pub fn to_event(i: EventInput, at: DateTime<Utc>) -> Result<ActivityEvent, String> {
    let metadata = match i.metadata {
        None => serde_json::json!({}),
        Some(m @ serde_json::Value::Object(_)) => m,
        Some(_) => return Err("metadata: must be a JSON object".into()),
    };
    if i.action.is_empty() || i.action.chars().count() > 200 {
        return Err("action: must be 1 to 200 characters".into());
    }
    let mut e = ActivityEvent::new(i.kind.unwrap_or(Kind::ApiCall), i.action);
    e.occurred_at = i.occurred_at.unwrap_or(at);
    e.method = i.method;
    e.route = i.route;
    e.path = i.path;
    e.status = i.status;
    e.latency_us = i.latency_us;
    e.bytes_in = i.bytes_in;
    e.bytes_out = i.bytes_out;
    e.client_ip = i.client_ip;
    e.user_agent = i.user_agent;
    e.resource_type = i.resource_type;
    e.resource_id = i.resource_id;
    e.actor_id = i.actor_id;
    e.actor_subject = i.actor_subject;
    e.actor_roles = i.actor_roles;
    e.metadata = metadata;
    Ok(e)
}

/// Evaluates the request's events (staff).
pub async fn analyze(
    db: &Db,
    actor: &Actor,
    operators: &Operators,
    request: AnalyzeRequest,
) -> Result<AnalyzeReport, BehaviorError> {
    if !actor.is_staff() {
        return Err(BehaviorError::forbidden(
            "only moderators and administrators may analyze events",
        ));
    }
    if request.events.is_empty() || request.events.len() > MAX_EVENTS {
        return Err(BehaviorError::invalid(format!(
            "events: give 1 to {MAX_EVENTS} events"
        )));
    }
    let base = Utc::now();
    let events = request
        .events
        .into_iter()
        .enumerate()
        .map(|(n, e)| {
            let at = base + chrono::Duration::microseconds(i64::try_from(n).unwrap_or(0));
            to_event(e, at).map_err(|m| BehaviorError::invalid(format!("events[{n}].{m}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (engine, inline) = match request.pattern {
        Some(mut body) => {
            body.enabled = true;
            let compiled = body.compile(operators).map_err(|e| match e {
                BehaviorError::Refused(warden_tenancy::Rejection::Invalid(m)) => {
                    BehaviorError::invalid(format!("pattern.{m}"))
                }
                other => other,
            })?;
            (Engine::new(vec![(Uuid::nil(), Arc::new(compiled))]), true)
        }
        None => (
            store::load_engine(db, actor.tenant, operators).await?,
            false,
        ),
    };
    let windows = MemoryWindows::new();
    let mut detections = Vec::new();
    for (n, event) in events.iter().enumerate() {
        for f in engine.evaluate(actor.tenant, event, &windows).await? {
            detections.push(WouldFire {
                event_index: n,
                pattern_id: (!inline).then_some(f.pattern_id),
                pattern_name: engine.name_of(f.pattern_id).to_owned(),
                severity: f.severity.as_str().to_owned(),
                mode: f.mode.as_str().to_owned(),
                group_key: f.group_key,
                observed: f.observed,
                confidence: f.confidence,
            });
        }
    }
    Ok(AnalyzeReport {
        events: events.len(),
        patterns: engine.len(),
        detections,
    })
}
