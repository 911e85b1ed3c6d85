//! Request ids and request logging: every request gets the server's own id (a
//! new UUIDv7, unique, the key of its activity row), every log line written
//! while handling it carries the id, and every response returns it in
//! `X-Request-Id`. A client's own `X-Request-Id` never replaces it (clients
//! may repeat theirs): when well-formed it is kept beside it, in the activity
//! row's `client_request_id` and the log lines; otherwise it is ignored.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

/// The response and request header carrying the id.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The ids of the request being handled.
#[derive(Clone, Debug)]
struct Ids {
    server: String,
    client: Option<String>,
}

tokio::task_local! {
    static REQUEST_ID: Ids;
}

/// The server's id of the request being handled, or `unknown` outside one.
pub fn current() -> String {
    REQUEST_ID
        .try_with(|ids| ids.server.clone())
        .unwrap_or_else(|_| "unknown".into())
}

/// The well-formed `X-Request-Id` the client sent with the request being
/// handled, if any.
pub fn client() -> Option<String> {
    REQUEST_ID.try_with(|ids| ids.client.clone()).ok().flatten()
}

/// The client's `X-Request-Id` when well-formed: 1 to 128 characters of
/// letters, digits and `-_.:` (UUIDs, trace ids, ULIDs), safe in logs and
/// headers. Anything else is ignored rather than refused: proxies add these
/// headers, and a request should not fail over a tracing hint.
fn client_id(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get(&HEADER)?.to_str().ok()?;
    let sane = (1..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    sane.then(|| v.to_owned())
}

/// Outermost middleware: assigns the id, opens the request span, logs the outcome.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = uuid::Uuid::now_v7().to_string();
    let client = client_id(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        client_request_id = client.as_deref(),
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    // Handlers and the tenant middleware turn their errors into responses
    // inside this scope, so problem bodies carry the id.
    let ids = Ids {
        server: id.clone(),
        client,
    };
    let mut res = REQUEST_ID
        .scope(ids, next.call(req))
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, v);
    }
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, elapsed_ms, "request finished");
        } else {
            tracing::info!(status, elapsed_ms, "request finished");
        }
    });
    Ok(res)
}
