//! Fan-out of live events: `CONNECTIONS` (default 10,000) WebSocket clients of
//! one tenant on one server; `EVENTS` (default 20) events published through
//! PostgreSQL NOTIFY, as any replica would; the time from publish to each
//! client's receipt, as p50 / p99 / max. Needs a migrated test database and
//! `ulimit -n` above twice the connections (`just bench` sets both).
//!
//! With `BASELINE=raw` the same clients measure a bare server instead (this
//! binary again, in a child process: see `warden_tests::raw_fanout`), which
//! writes each event to every socket and does nothing else: the machine's
//! floor for the same fan-out.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "bench code: a panic is the failure report and the results are printed"
)]

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use warden_audit::hub::Topic;
use warden_commerce::Role;
use warden_server::auth::{MintRequest, mint_hs256};
use warden_server::config::JwtConfig;
use warden_tenancy::TenantId;
use warden_tests::raw_fanout::{RawFanout, now_us};
use warden_tests::{TestApp, generous_limits, test_config};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let connections = env("CONNECTIONS", 10_000);
    let events = env("EVENTS", 20);
    let settle = Duration::from_secs(env("SETTLE_SECS", 3) as u64);
    if let Ok(port) = std::env::var("RAW_FANOUT_SERVE") {
        let listener = std::net::TcpListener::bind(format!("127.0.0.1:{port}")).unwrap();
        let plan = RawFanout {
            connections,
            events,
            settle,
            workers: env("HTTP_WORKERS", 0),
        };
        warden_tests::raw_fanout::serve(listener, plan).unwrap();
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(clients(connections, events, settle));
}

/// A bare server in a child process; its WebSocket URL.
fn start_raw_server() -> (String, std::process::Child) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .env("RAW_FANOUT_SERVE", port.to_string())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the bare server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (format!("ws://127.0.0.1:{port}/"), child)
}

async fn clients(connections: usize, events: usize, settle: Duration) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let raw = std::env::var("BASELINE").is_ok_and(|b| b == "raw");
    // Against a running server (WARDEN_URL, as `scripts/bench-http.sh` does, so
    // that server and clients each have their own file-descriptor limit), or an
    // in-process one for small runs.
    let raw_server = raw.then(start_raw_server);
    let (ws_url, tenant, token, db, _local) = match (&raw_server, std::env::var("WARDEN_URL")) {
        (Some((url, _)), _) => (url.clone(), uuid::Uuid::nil(), String::new(), None, None),
        (None, Ok(base)) => {
            let secret =
                std::env::var("JWT_HS256_SECRET").expect("JWT_HS256_SECRET of that server");
            let jwt = JwtConfig {
                hs256_secret: Some(secret),
                tenant_claim: "tenant_id".into(),
                roles_claim: "roles".into(),
                ..JwtConfig::default()
            };
            let mint = |tenant: Option<uuid::Uuid>, role: Role| {
                mint_hs256(
                    &jwt,
                    &MintRequest {
                        api_client: false,
                        subject: "fanout".into(),
                        tenant,
                        roles: vec![role],
                        email: None,
                        name: None,
                        ttl: Duration::from_secs(3600),
                    },
                )
                .unwrap()
            };
            let client = reqwest::Client::new();
            let admin = mint(None, Role::PlatformAdmin);
            let created: Value = client
                .post(format!("{base}/api/v1/tenants"))
                .bearer_auth(&admin)
                .json(&json!({"name": "fanout"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let tenant: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
            client
                .put(format!("{base}/api/v1/tenants/{tenant}/limits"))
                .bearer_auth(&admin)
                .json(&generous_limits())
                .send()
                .await
                .unwrap();
            let db = Some(
                warden_tenancy::Db::connect(&std::env::var("DATABASE_URL").unwrap(), 2).unwrap(),
            );
            (
                format!("{}/api/v1/ws", base.replace("http://", "ws://")),
                tenant,
                mint(Some(tenant), Role::TenantAdmin),
                db,
                None,
            )
        }
        (None, Err(_)) => {
            let mut config = test_config();
            config.database_pool_size = 8;
            // Every client is the same user of one tenant: no caps here.
            config.live.max_per_user = usize::MAX;
            config.live.max_per_tenant = usize::MAX;
            let app = TestApp::start_with(config).await;
            let tenant = app.tenant("fanout").await;
            let token = app.token(Some(tenant), "admin", &[Role::TenantAdmin]);
            (
                app.ws_url(),
                tenant,
                token,
                Some(app.state.db.clone()),
                Some(app),
            )
        }
    };
    let hub = warden_audit::hub::Hub::new(1);
    let mut clients = tokio::task::JoinSet::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let started = Instant::now();
    for chunk in 0..connections.div_ceil(250) {
        let mut handshakes = Vec::new();
        for _ in 0..250.min(connections - chunk * 250) {
            let mut req = ws_url.as_str().into_client_request().unwrap();
            req.headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            // Small read buffers: tungstenite zeroes its whole buffer (128 KiB by
            // default) on reads, which made the clients, not the server, the
            // bottleneck on a shared 2-core machine.
            let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
                .read_buffer_size(4096);
            handshakes.push(tokio_tungstenite::connect_async_with_config(
                req,
                Some(config),
                true,
            ));
        }
        for result in futures::future::join_all(handshakes).await {
            let (mut ws, _) = result.expect("connect");
            let ready_tx = ready_tx.clone();
            // Each client keeps its own latencies and hands them over at the
            // end, so measuring adds no cross-thread traffic per message.
            clients.spawn(async move {
                let mut seen = Vec::with_capacity(events);
                let sub = json!({"type": "subscribe", "topics": ["detection"]});
                ws.send(Message::text(sub.to_string())).await.unwrap();
                while let Some(Ok(msg)) = ws.next().await {
                    let Message::Text(text) = msg else { continue };
                    let received = now_us();
                    // Scan instead of parsing: the client's own work should not
                    // be what the benchmark measures.
                    if let Some(at) = text.find("\"sent_us\":") {
                        let digits: String = text[at + 10..]
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect();
                        let sent: u64 = digits.parse().unwrap_or(0);
                        seen.push((sent, received.saturating_sub(sent)));
                        if seen.len() == events {
                            break;
                        }
                    } else if text.contains("\"subscribed\"") {
                        let _ = ready_tx.send(());
                    }
                }
                // Keep the connection open: closes would land on the server
                // while others still wait for the last event.
                (seen, ws)
            });
        }
    }
    for _ in 0..connections {
        ready_rx.recv().await.unwrap();
    }
    println!(
        "{connections} connections subscribed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Let the server finish with the connection storm (10,000 connection
    // events go through the audit log) so the events measure steady state.
    // The bare server waits as long, then publishes by itself.
    tokio::time::sleep(settle).await;
    for _ in 0..events {
        if let Some(db) = &db {
            hub.publish(
                db,
                TenantId::new(tenant),
                Topic::Detection,
                json!({ "sent_us": now_us() }),
            )
            .await
            .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let expected = connections * events;
    let mut latencies = Vec::with_capacity(expected);
    let mut per_event = std::collections::BTreeMap::<u64, u64>::new();
    let mut open = Vec::with_capacity(connections);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while let Ok(Some(done)) = tokio::time::timeout_at(deadline, clients.join_next()).await {
        let (seen, ws) = done.unwrap();
        open.push(ws);
        for (sent, l) in seen {
            let worst = per_event.entry(sent).or_insert(0);
            *worst = (*worst).max(l);
            latencies.push(l);
        }
    }
    latencies.sort_unstable();
    let worst: Vec<String> = per_event
        .values()
        .map(|us| format!("{:.0}", *us as f64 / 1000.0))
        .collect();
    println!("slowest delivery of each event, ms: {}", worst.join(" "));
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)] as f64 / 1000.0
    };
    println!(
        "ws fan-out: {connections} connections, {} of {expected} deliveries; publish-to-receipt p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        pct(0.50),
        pct(0.99),
        pct(1.0),
    );
    // `scripts/bench-http.sh` runs this once per server setting and names each.
    let name = std::env::var("BENCH_NAME").unwrap_or_else(|_| "ws_fanout".into());
    if let Some((_, mut child)) = raw_server {
        child.wait().unwrap();
    }
    warden_tests::load::write_bench_json(
        &name,
        &json!({
            "connections": connections, "events": events,
            "deliveries": latencies.len(), "expected": expected,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": pct(1.0),
        }),
    );
}
