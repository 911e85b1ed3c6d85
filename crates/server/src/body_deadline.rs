//! The request body deadline. actix bounds how long a request head may take
//! (`HEADER_READ_TIMEOUT_SECS`) but not its body: a client sending one byte a
//! second would hold a connection, and the handler waiting on it, for as long
//! as it likes. Here the whole body must arrive within `BODY_READ_TIMEOUT_SECS`
//! of the head; otherwise reading it fails, the request is answered 408
//! `request_timeout` (nothing was done with a body that never came) and the
//! connection is closed.
//!
//! WebSocket upgrades are left alone: their "body" is the connection itself.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, ResponseError};
use futures::Stream;
use tokio::time::{Instant, Sleep};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// A request body that fails once its deadline has passed with nothing to read.
struct Deadline {
    inner: Payload,
    deadline: Instant,
    /// Made at the first read that has to wait: bodies never waited on cost no timer.
    timer: Option<Pin<Box<Sleep>>>,
    expired: Rc<Cell<bool>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.expired.get() {
            return Poll::Ready(None);
        }
        // What has arrived is read even past the deadline; only waiting past it fails.
        if let ready @ Poll::Ready(_) = Pin::new(&mut this.inner).poll_next(cx) {
            return ready;
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.expired.set(true);
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the request body did not arrive in time",
        )))))
    }
}

/// Whether `req` opens the live WebSocket: only then is the connection itself
/// the "body". Upgrade headers alone do not exempt a request, or any client
/// could add them to a POST and trickle its body forever.
fn is_live_upgrade(req: &ServiceRequest) -> bool {
    req.method() == actix_web::http::Method::GET
        && req.path() == "/api/v1/ws"
        && req.head().upgrade()
}

/// Middleware putting the deadline on every request body.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let timeout = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.body_read_timeout);
    let Some(timeout) = timeout.filter(|_| !is_live_upgrade(&req)) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let expired = Rc::new(Cell::new(false));
    let body = Deadline {
        inner: req.take_payload(),
        deadline: Instant::now() + timeout,
        timer: None,
        expired: expired.clone(),
    };
    req.set_payload(Payload::from(
        Box::pin(body) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
    let res = next.call(req).await?;
    if !expired.get() {
        return Ok(res.map_into_boxed_body());
    }
    // Whatever the extractor made of the cut-off body, the answer is the timeout.
    let err = ApiError::new(
        ErrorCode::RequestTimeout,
        format!(
            "the request body did not arrive within {} s",
            whole_secs(timeout)
        ),
    );
    let mut res = res.into_response(err.error_response());
    res.response_mut()
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    Ok(res)
}

fn whole_secs(d: Duration) -> u64 {
    d.as_secs().max(1)
}
