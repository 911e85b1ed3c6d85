//! `GET /api/v1/ws`: live events of the caller's tenant over a WebSocket.
//! The message format is in the README ("Live events").

use std::time::Instant;

use actix_web::body::{BodyStream, MessageBody};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, get, web};
use actix_ws::{CloseCode, CloseReason, Message};
use serde::Deserialize;
use uuid::Uuid;
use warden_audit::hub::{Resubscribed, SubscriptionControl, Topic, Topics};
use warden_commerce::Role;
use warden_tenancy::TenantId;

use crate::auth::{AuthError, Principal};
use crate::error::{ApiError, ErrorCode};
use crate::extract::Query;
use crate::live_access::LiveViewer;
use crate::live_body::{LiveBody, LiveGate};
use crate::live_slots::Refused;
use crate::state::AppState;
use crate::tenant_context::{Purpose, admit};

/// Registers the live-events route.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(open_live);
}

/// Close code: too slow to keep up with the events (sent by [`LiveBody`]).
pub use crate::live_body::CLOSE_SLOW_CONSUMER;
/// Close code: no answer to pings within the timeout.
pub const CLOSE_HEARTBEAT_TIMEOUT: u16 = 4002;
/// Close code: the token expired; reconnect with a fresh one.
pub const CLOSE_TOKEN_EXPIRED: u16 = 4003;
/// Close code: access was withdrawn (user disabled, tenant suspended).
pub const CLOSE_ACCESS_REVOKED: u16 = 4004;
/// Longest a single frame may wait to be sent before the client counts as gone.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Who is watching, to re-check on every heartbeat.
struct Watcher {
    tenant: TenantId,
    /// The watcher's user in the tenant, the actor of its connect and disconnect rows.
    user: uuid::Uuid,
    /// Whether they are tenant staff; members may watch only their own notifications.
    staff: bool,
    principal: Principal,
}

/// Whether the token's life is over: a live connection does not outlive it
/// (the verifier's leeway does not apply to open connections).
fn expired(principal: &Principal) -> bool {
    principal
        .expires_at
        .is_some_and(|exp| exp <= chrono::Utc::now().timestamp())
}

/// Whether the watcher may still watch: token not expired, and admitted to
/// the tenant as on any tenant route ([`admit`]). Answers the close code otherwise.
async fn still_allowed(state: &AppState, w: &Watcher) -> Result<(), u16> {
    if expired(&w.principal) {
        return Err(CLOSE_TOKEN_EXPIRED);
    }
    match admit(state, &w.principal, w.tenant, Purpose::Recheck).await {
        Ok(_) => Ok(()),
        // A database hiccup is no reason to drop staff; the next beat checks again.
        Err(denied) if denied.error.status_code().is_server_error() => Ok(()),
        Err(_) => Err(CLOSE_ACCESS_REVOKED),
    }
}

/// Sends a frame, giving up on a client that stopped reading.
async fn send(session: &mut actix_ws::Session, text: String) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, session.text(text)).await,
        Ok(Ok(()))
    )
}

/// Query of `GET /ws`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    /// The JWT, for browsers (which cannot set headers on a WebSocket); otherwise
    /// send `Authorization: Bearer`.
    pub access_token: Option<String>,
    /// For platform administrators: the tenant to watch.
    pub tenant_id: Option<Uuid>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    Subscribe {
        topics: Vec<Topic>,
        #[serde(default)]
        last_event_id: Option<Uuid>,
    },
}

/// Opens a live connection: staff (tenant administrators, moderators,
/// platform administrators) watch the tenant's events and their own
/// notifications; every other signed-in user, their own notifications only.
/// Answers 101 and switches to the WebSocket protocol; see the
/// README section "Live events" for messages, heartbeats and close codes.
/// Over a cap of open connections (per user, per tenant) it answers 429
/// `too_many_live_connections` instead.
#[utoipa::path(tag = "live", params(LiveQuery), responses((status = 101, description = "Switching to WebSocket"), (status = 429, body = crate::error::Problem, content_type = "application/problem+json", description = "Too many live connections of this user or tenant, or too many requests or failed authentications from this client (see Retry-After)")))]
#[get("/ws")]
pub async fn open_live(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    q: Query<LiveQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = match (crate::auth::principal::bearer(&req), &q.access_token) {
        (Ok(t), _) => t,
        (Err(AuthError::Missing), Some(t)) => t.clone(),
        (Err(e), _) => return Err(e.into()),
    };
    let principal = state.verifier.verify(&token).await?;
    // The tenant asked for (`tenant_id`, or the header the tenant routes use),
    // else the token's own; `admit` refuses another tenant's (tenant_mismatch,
    // logged) unless the caller is a platform administrator.
    let asked = crate::tenant_context::tenant_header(&req)?.map(|t| t.as_uuid());
    let Some(tenant) = q.tenant_id.or(asked).or(principal.tenant) else {
        return Err(ApiError::new(
            ErrorCode::TenantHeaderMissing,
            "the token names no tenant; platform administrators pass tenant_id",
        ));
    };
    let tenant = TenantId::new(tenant);
    let mut viewer = LiveViewer {
        tenant,
        user_id: None,
        roles: principal.roles.clone(),
    };
    // Members watch their own notifications; staff, the tenant's events too.
    let staff = viewer.is_staff();
    if expired(&principal) {
        return Err(ApiError::new(
            ErrorCode::InvalidToken,
            "the token has expired",
        ));
    }
    let admission = admit(&state, &principal, tenant, Purpose::Ordinary)
        .await
        .map_err(|denied| denied.answer(&req))?;
    // Before switching protocols, so that a refused client gets a plain answer.
    let slot = state
        .live_slots
        .acquire(
            (principal.tenant, principal.subject.clone()),
            tenant.as_uuid(),
            staff,
        )
        .map_err(|refused| {
            let (cap, limit, whose) = match refused {
                Refused::PerUser(n) => ("per_user", n, "you have"),
                Refused::PerTenant(n) => ("per_tenant", n, "this tenant has"),
            };
            ApiError::new(
                ErrorCode::TooManyLiveConnections,
                format!("{whose} {limit} live connections open on this server, the most allowed; close one first"),
            )
            .with_member("cap", cap)
            .with_member("limit", limit)
        })?;
    req.extensions_mut().insert(crate::activity::SessionNote {
        tenant,
        user: admission.user.id,
        platform_admin: principal.has(Role::PlatformAdmin),
    });
    let (response, session, stream) = actix_ws::handle(&req, body).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidInput,
            "this is a WebSocket endpoint: send an upgrade request",
        )
    })?;
    viewer.user_id = Some(admission.user.id);
    let subscription = state.hub.subscribe_admitting(
        tenant,
        Topics::default(),
        state.config.live.connection_queue,
        viewer.admit(),
    );
    let control = subscription.control();
    let gate = std::sync::Arc::new(LiveGate::default());
    let body_gate = gate.clone();
    let response = response.map_body(|_, session_frames| {
        BodyStream::new(LiveBody::new(session_frames, subscription, body_gate, slot)).boxed()
    });
    let watcher = Watcher {
        tenant,
        user: admission.user.id,
        staff,
        principal,
    };
    actix_web::rt::spawn(run(
        session,
        stream,
        (control, gate),
        watcher,
        state.into_inner(),
    ));
    Ok(response)
}

fn close(code: u16, description: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code: CloseCode::Other(code),
        description: Some(description.to_owned()),
    })
}

async fn run(
    mut session: actix_ws::Session,
    mut stream: actix_ws::MessageStream,
    (sub, gate): (SubscriptionControl, std::sync::Arc<LiveGate>),
    watcher: Watcher,
    state: std::sync::Arc<AppState>,
) {
    let tenant = watcher.tenant;
    let settings = &state.config.live;
    let welcome = serde_json::json!({
        "type": "welcome",
        "tenant_id": tenant,
        "topics": allowed_topics(watcher.staff),
        "ping_interval_secs": settings.ping_interval.as_secs(),
        "timeout_secs": settings.timeout.as_secs(),
    });
    let opened = Instant::now();
    if !send(&mut session, welcome.to_string()).await {
        record_disconnect(&state, &watcher, None, opened).await;
        return;
    }
    let mut ping = tokio::time::interval(settings.ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let reason = loop {
        tokio::select! {
            msg = stream.recv() => {
                let Some(Ok(msg)) = msg else { break None };
                last_heard = Instant::now();
                let alive = match msg {
                    Message::Ping(p) => session.pong(&p).await.is_ok(),
                    Message::Text(text) => handle(&mut session, &sub, &gate, watcher.staff, &text).await,
                    Message::Close(_) => break None,
                    _ => true,
                };
                if !alive { break None; }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > settings.timeout {
                    break close(CLOSE_HEARTBEAT_TIMEOUT, "no answer to pings");
                }
                if let Err(code) = still_allowed(&state, &watcher).await {
                    break close(code, if code == CLOSE_TOKEN_EXPIRED { "token expired" } else { "access revoked" });
                }
                if !matches!(tokio::time::timeout(SEND_TIMEOUT, session.ping(b"")).await, Ok(Ok(()))) { break None; }
            }
        }
    };
    let code = reason.as_ref().map(|r| u16::from(r.code));
    let _ = tokio::time::timeout(SEND_TIMEOUT, session.close(reason)).await;
    record_disconnect(&state, &watcher, code, opened).await;
}

/// Records the end of a live connection in its tenant's log (`auth`,
/// `ws_disconnect`): who, for how long, and the close code when the server
/// closed it (`null`: the client left, or the server ended it for being slow
/// or shutting down, which its close frame says).
async fn record_disconnect(
    state: &AppState,
    watcher: &Watcher,
    code: Option<u16>,
    opened: Instant,
) {
    let mut event = warden_audit::ActivityEvent::new(warden_audit::Kind::Auth, "ws_disconnect");
    event.tenant = Some(watcher.tenant);
    event.actor_id = Some(watcher.user);
    event.actor_subject = Some(watcher.principal.subject.clone());
    event.actor_roles = watcher
        .principal
        .roles
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    event.route = Some("/api/v1/ws".into());
    event.metadata = serde_json::json!({
        "event": "ws_disconnect",
        "close_code": code,
        "connected_ms": u64::try_from(opened.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    if let Err(e) = state.audit.record(event).await {
        tracing::debug!(error = %e, "live disconnect not recorded (shutting down)");
    }
}

/// The topics a watcher may subscribe to: every topic for staff, their own
/// notifications for members.
fn allowed_topics(staff: bool) -> &'static [Topic] {
    if staff {
        &Topic::ALL
    } else {
        &[Topic::Notification]
    }
}

/// Handles a client message; false when the connection is gone.
async fn handle(
    session: &mut actix_ws::Session,
    sub: &SubscriptionControl,
    gate: &LiveGate,
    staff: bool,
    text: &str,
) -> bool {
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Subscribe {
            topics,
            last_event_id,
        }) => {
            // A member asking for more gets what they may have; the answer
            // (`subscribed`) lists the topics granted.
            let allowed = allowed_topics(staff);
            let topics: Vec<Topic> = topics.into_iter().filter(|t| allowed.contains(t)).collect();
            // Live events wait while the missed ones and the answer go out.
            gate.close();
            let sent = resubscribe(session, sub, topics, last_event_id).await;
            // A replay that did not go out ends the connection: live events
            // must not follow a partial replay, or the client's next resume
            // would skip what it never got.
            if sent {
                gate.open();
            }
            sent
        }
        Err(e) => {
            let reply = serde_json::json!({ "type": "error", "message": format!("unreadable message: {e}") });
            send(session, reply.to_string()).await
        }
    }
}

/// Switches topics, sends what was missed (or a gap notice), then `subscribed`.
async fn resubscribe(
    session: &mut actix_ws::Session,
    sub: &SubscriptionControl,
    topics: Vec<Topic>,
    last_event_id: Option<Uuid>,
) -> bool {
    match sub.resubscribe(Topics::from(&topics[..]), last_event_id) {
        Resubscribed::Live => {}
        Resubscribed::Replay(missed) => {
            for e in missed {
                if !send(session, e.frame.clone()).await {
                    return false;
                }
            }
        }
        Resubscribed::Gap => {
            let gap = serde_json::json!({ "type": "gap", "last_event_id": last_event_id });
            if !send(session, gap.to_string()).await {
                return false;
            }
        }
    }
    let reply = serde_json::json!({ "type": "subscribed", "topics": topics });
    send(session, reply.to_string()).await
}
