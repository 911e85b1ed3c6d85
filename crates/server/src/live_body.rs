//! The response body of a live WebSocket connection.
//!
//! Two sources feed it: the frames of the connection's session task (welcome,
//! replies, replays, pings, close), already encoded by actix-ws, and the hub
//! events of its subscription, which it encodes itself. Events go straight
//! from the hub's queue onto the socket: the connection's writer is the only
//! task woken per event, which is what keeps fan-out to thousands of
//! connections fast. When the subscription ends (slow consumer, shutdown) the
//! body sends the close frame itself.
//!
//! While the session task sends a replay, it closes the [`LiveGate`]: live
//! events wait, so that a resuming client gets what it missed first, in order.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use actix_http::ws::{CloseCode, CloseReason, OpCode, Parser};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::web::{Bytes, BytesMut};
use futures::Stream;
use futures::task::AtomicWaker;
use warden_audit::hub::{Ended, Subscription};

use crate::live_slots::LiveSlot;

/// Close code for a client too slow to keep up with its events.
pub const CLOSE_SLOW_CONSUMER: u16 = 4001;

/// Most bytes of events written in one piece.
const CHUNK: usize = 64 * 1024;

/// Holds live events back while the session task sends a replay.
#[derive(Default)]
pub struct LiveGate {
    closed: AtomicBool,
    waker: AtomicWaker,
}

impl LiveGate {
    /// Live events wait until [`Self::open`].
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// Live events flow again.
    pub fn open(&self) {
        self.closed.store(false, Ordering::SeqCst);
        self.waker.wake();
    }

    /// Whether events may be written now; if not, `cx` is woken on `open`.
    fn is_open(&self, cx: &Context<'_>) -> bool {
        if !self.closed.load(Ordering::SeqCst) {
            return true;
        }
        self.waker.register(cx.waker());
        // Opened between the check and the registration: go on.
        !self.closed.load(Ordering::SeqCst)
    }
}

/// See the module documentation.
pub struct LiveBody {
    session: BoxBody,
    events: Option<Subscription>,
    gate: Arc<LiveGate>,
    /// The session's first frame (the welcome) went out: events may follow.
    started: bool,
    /// A close frame went out: end once it is written.
    closing: bool,
    buf: BytesMut,
    /// The connection's place under the live-connection caps: the body lives
    /// exactly as long as the socket (whether the client or the server ended
    /// it, for whatever reason), so dropping it with the body frees the slot.
    _slot: LiveSlot,
}

impl LiveBody {
    /// `session` is the body actix-ws made for the connection's session;
    /// `events` already holds back what the viewer may not see.
    pub fn new(
        session: BoxBody,
        events: Subscription,
        gate: Arc<LiveGate>,
        slot: LiveSlot,
    ) -> Self {
        Self {
            session,
            events: Some(events),
            gate,
            started: false,
            closing: false,
            buf: BytesMut::new(),
            _slot: slot,
        }
    }

    /// Encodes waiting events (or the close frame once the subscription has
    /// ended) into `buf`.
    fn write_events(&mut self, cx: &mut Context<'_>) {
        let Some(events) = self.events.as_mut() else {
            return;
        };
        while self.buf.len() < CHUNK {
            match events.poll_recv(cx) {
                Poll::Ready(Some(delivery)) => {
                    Parser::write_message(
                        &mut self.buf,
                        delivery.frame.as_bytes(),
                        OpCode::Text,
                        true,
                        false,
                    );
                }
                Poll::Ready(None) => {
                    let reason = match events.ended() {
                        Some(Ended::SlowConsumer) => CloseReason {
                            code: CloseCode::Other(CLOSE_SLOW_CONSUMER),
                            description: Some("slow consumer".into()),
                        },
                        _ => CloseReason {
                            code: CloseCode::Away,
                            description: Some("server shutting down".into()),
                        },
                    };
                    Parser::write_close(&mut self.buf, Some(reason), false);
                    self.events = None;
                    self.closing = true;
                    return;
                }
                Poll::Pending => return,
            }
        }
    }
}

impl Stream for LiveBody {
    type Item = Result<Bytes, actix_web::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if !this.closing {
            match Pin::new(&mut this.session).poll_next(cx) {
                Poll::Ready(Some(Ok(frames))) => {
                    this.started = true;
                    return Poll::Ready(Some(Ok(frames)));
                }
                Poll::Ready(Some(Err(e))) => {
                    return Poll::Ready(Some(Err(actix_web::error::ErrorInternalServerError(
                        e.to_string(),
                    ))));
                }
                // The session closed the connection (its close frame went out).
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {}
            }
            if this.started && this.gate.is_open(cx) {
                this.write_events(cx);
            }
        }
        if !this.buf.is_empty() {
            return Poll::Ready(Some(Ok(this.buf.split().freeze())));
        }
        if this.closing {
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}
