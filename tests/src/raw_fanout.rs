//! The floor under the WebSocket fan-out benchmark: a bare server that does
//! only what delivery cannot avoid.
//!
//! It accepts WebSocket clients (the tungstenite handshake, so the benchmark's
//! clients are the same), answers their subscribe message, and then, for each
//! event, writes one pre-encoded text frame to every socket in turn from one
//! loop per worker thread: no hub, no per-connection task, no HTTP stack, no
//! database. Its workers mirror actix's (one single-threaded runtime per
//! core), so the gap between this and `warden serve` is Warden's own cost per
//! delivery, and what is left is the machine's (the kernel's TCP path).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::SinkExt;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// What the bare server is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct RawFanout {
    /// Clients to wait for before publishing.
    pub connections: usize,
    /// Events to publish, 250 ms apart.
    pub events: usize,
    /// Pause after the last client subscribed, before the first event.
    pub settle: Duration,
    /// Worker threads (0: one per core).
    pub workers: usize,
}

/// Microseconds since the Unix epoch: the publish time events carry, which
/// clients in another process subtract from their receipt time.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// An event as large as the hub's frame for the same event (id, tenant,
/// topic, time, data), so both servers write the same bytes.
fn event_frame() -> Vec<u8> {
    let payload = serde_json::json!({
        "type": "event",
        "event": {
            "id": uuid::Uuid::new_v4(), "tenant_id": uuid::Uuid::new_v4(),
            "topic": "detection", "at": chrono::Utc::now(),
            "data": {"sent_us": now_us()},
        }
    });
    let mut frame = Vec::new();
    // Unmasked, as a server sends it.
    Frame::message(payload.to_string(), OpCode::Data(Data::Text), true)
        .format(&mut frame)
        .map_or_else(|_| Vec::new(), |()| frame)
}

/// Handshake, subscribe, subscribed; then the raw socket.
async fn admit(stream: TcpStream) -> Option<TcpStream> {
    stream.set_nodelay(true).ok()?;
    let mut ws: WebSocketStream<TcpStream> = tokio_tungstenite::accept_async(stream).await.ok()?;
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) if text.contains("subscribe") => break,
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    ws.send(Message::text(r#"{"type":"subscribed"}"#))
        .await
        .ok()?;
    Some(ws.into_inner())
}

/// Runs the bare server on `listener` until every event is written.
pub fn serve(listener: std::net::TcpListener, plan: RawFanout) -> std::io::Result<()> {
    let workers = if plan.workers == 0 {
        std::thread::available_parallelism().map_or(2, usize::from)
    } else {
        plan.workers
    };
    let subscribed = Arc::new(AtomicUsize::new(0));
    let (events_tx, _) = broadcast::channel::<Arc<Vec<u8>>>(plan.events.max(1));
    let mut inboxes = Vec::new();
    let mut threads = Vec::new();
    for _ in 0..workers {
        let (tx, mut rx) = mpsc::unbounded_channel::<TcpStream>();
        inboxes.push(tx);
        let mut events = events_tx.subscribe();
        let subscribed = subscribed.clone();
        let total = plan.events;
        threads.push(std::thread::spawn(move || -> std::io::Result<()> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, async move {
                let sockets = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
                let admitted = sockets.clone();
                tokio::task::spawn_local(async move {
                    while let Some(stream) = rx.recv().await {
                        let (admitted, subscribed) = (admitted.clone(), subscribed.clone());
                        tokio::task::spawn_local(async move {
                            if let Some(socket) = admit(stream).await {
                                admitted.borrow_mut().push(socket);
                                subscribed.fetch_add(1, Ordering::SeqCst);
                            }
                        });
                    }
                });
                for _ in 0..total {
                    let Ok(frame) = events.recv().await else {
                        break;
                    };
                    let mut all = std::mem::take(&mut *sockets.borrow_mut());
                    for socket in &mut all {
                        // Frames are small and the socket buffers empty: a write
                        // completes at once, as in the real server.
                        let _ = socket.write_all(&frame).await;
                    }
                    sockets.borrow_mut().extend(all);
                }
                // Keep the sockets open until the clients have read everything.
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
            Ok(())
        }));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let mut next = 0;
        while subscribed.load(Ordering::SeqCst) < plan.connections {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, _) = accepted?;
                    let _ = inboxes[next % workers].send(stream);
                    next += 1;
                }
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
        tokio::time::sleep(plan.settle).await;
        for _ in 0..plan.events {
            let _ = events_tx.send(Arc::new(event_frame()));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Ok::<(), std::io::Error>(())
    })?;
    for t in threads {
        t.join()
            .map_err(|_| std::io::Error::other("a worker panicked"))??;
    }
    Ok(())
}
