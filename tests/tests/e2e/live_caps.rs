//! Caps on open live connections, per user and per tenant: over a cap the
//! upgrade is refused with 429 before switching protocols, and a connection's
//! slot frees however it ends.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use uuid::Uuid;
use warden_audit::hub::{HubEvent, Topic};
use warden_commerce::Role;
use warden_tests::{TestApp, test_config};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A refused upgrade: status, content type and problem body.
#[derive(Debug)]
struct Refusal {
    status: u16,
    content_type: Option<String>,
    body: Value,
}

async fn open(app: &TestApp, token: &str) -> Result<Ws, Refusal> {
    let mut req = app.ws_url().into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((mut ws, _)) => {
            // The welcome: the connection is fully set up.
            let first = tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .unwrap();
            assert!(matches!(first, Some(Ok(Message::Text(_)))), "{first:?}");
            Ok(ws)
        }
        Err(tungstenite::Error::Http(r)) => Err(Refusal {
            status: r.status().as_u16(),
            content_type: r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: r
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null),
        }),
        Err(e) => panic!("{e}"),
    }
}

fn assert_refused(r: Result<Ws, Refusal>, cap: &str, limit: u64) {
    let Err(r) = r else {
        panic!("connected over the {cap} cap");
    };
    assert_eq!(r.status, 429, "{r:?}");
    assert_eq!(
        r.content_type.as_deref(),
        Some("application/problem+json"),
        "{r:?}"
    );
    assert_eq!(r.body["code"], "too_many_live_connections", "{r:?}");
    assert_eq!(r.body["cap"], cap, "{r:?}");
    assert_eq!(r.body["limit"], limit, "{r:?}");
}

/// Waits until `tenant` holds `n` connections on `app` (a slot is freed
/// once the server has seen the socket end).
async fn wait_for_count(app: &TestApp, tenant: Uuid, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.state.live_slots.tenant_count(tenant) != n {
        assert!(
            Instant::now() < deadline,
            "{} connections held, expected {n}",
            app.state.live_slots.tenant_count(tenant)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_user_over_the_per_user_cap_is_refused_until_a_connection_ends() {
    let mut config = test_config();
    config.live.max_per_user = 2;
    let app = TestApp::start_with(config).await;
    let t = app.tenant("live-cap-user").await;
    let moderator = app.token(Some(t), "mod", &[Role::Moderator]);
    let mut first = open(&app, &moderator).await.unwrap();
    let second = open(&app, &moderator).await.unwrap();
    assert_refused(open(&app, &moderator).await, "per_user", 2);
    // The cap is the user's: a colleague still connects.
    let colleague = open(&app, &app.token(Some(t), "admin", &[Role::TenantAdmin]))
        .await
        .unwrap();
    wait_for_count(&app, t, 3).await;

    // A client that closes frees its slot.
    first.close(None).await.unwrap();
    wait_for_count(&app, t, 2).await;
    let third = open(&app, &moderator).await.unwrap();
    assert_refused(open(&app, &moderator).await, "per_user", 2);
    // So does one that just drops the connection.
    drop(second);
    wait_for_count(&app, t, 2).await;
    let _fourth = open(&app, &moderator).await.unwrap();
    // Platform administrators are counted too, under their own subject.
    let platform = app.token(None, "platform", &[Role::PlatformAdmin]);
    let url = format!("{}?tenant_id={t}&access_token={platform}", app.ws_url());
    let (_p1, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
    let (_p2, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
    match tokio_tungstenite::connect_async(url).await {
        Err(tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 429),
        other => panic!("a third platform connection: {:?}", other.map(|_| ())),
    }
    drop((third, colleague));
}

#[tokio::test]
async fn a_tenant_over_its_cap_is_refused_until_a_connection_ends() {
    let mut config = test_config();
    config.live.max_per_tenant = 3;
    // One queued event too many makes a slow consumer, which the server drops.
    config.live.connection_queue = 1;
    let app = TestApp::start_with(config).await;
    let t = app.tenant("live-cap-tenant").await;
    let other = app.tenant("live-cap-tenant-other").await;
    // Members are held to the tenant's cap; staff count toward it but pass it.
    let token = |tenant: Uuid, sub: &str| app.token(Some(tenant), sub, &[Role::Buyer]);
    let staff = |sub: &str| app.token(Some(t), sub, &[Role::TenantAdmin]);
    let mut slow = open(&app, &staff("a")).await.unwrap();
    let mut b = open(&app, &token(t, "b")).await.unwrap();
    let _c = open(&app, &token(t, "c")).await.unwrap();
    assert_refused(open(&app, &token(t, "d")).await, "per_tenant", 3);
    let late_staff = open(&app, &staff("m")).await.unwrap();
    wait_for_count(&app, t, 4).await;
    drop(late_staff);
    wait_for_count(&app, t, 3).await;
    // Another tenant has its own count.
    let _elsewhere = open(&app, &token(other, "a")).await.unwrap();

    // A connection the server ends (here: a slow consumer) frees its slot.
    let sub = json!({"type": "subscribe", "topics": ["detection"]});
    slow.send(Message::text(sub.to_string())).await.unwrap();
    loop {
        let m = slow.next().await.unwrap().unwrap();
        if m.to_text().unwrap_or_default().contains("subscribed") {
            break;
        }
    }
    for _ in 0..5_000 {
        app.state.hub.deliver(HubEvent {
            id: Uuid::now_v7(),
            tenant_id: t,
            topic: Topic::Detection,
            occurred_at: chrono::Utc::now(),
            data: json!({}),
        });
    }
    // It is closed with 4001 (read to the end, so the close frame can go out).
    let mut code = None;
    while let Some(Ok(m)) = slow.next().await {
        if let Message::Close(frame) = m {
            code = frame.map(|f| u16::from(f.code));
        }
    }
    assert_eq!(code, Some(4001));
    wait_for_count(&app, t, 2).await;
    let _d = open(&app, &token(t, "d")).await.unwrap();
    assert_refused(open(&app, &token(t, "e")).await, "per_tenant", 3);
    // And so does one the client closes.
    b.close(None).await.unwrap();
    wait_for_count(&app, t, 2).await;
    let _e = open(&app, &token(t, "e")).await.unwrap();
}
