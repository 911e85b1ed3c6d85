//! What is limited before authentication (per client IP, with the client named
//! by trusted proxies only), and request bodies that take too long to arrive.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{Nullable, SmallInt, Text};
use futures::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use warden_commerce::Role;
use warden_notifications::sms::TwilioConfig;
use warden_tests::{As, Reply, TestApp, admin_conn, count_rows, test_config};

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

#[derive(QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = Nullable<Text>)]
    request_id: Option<String>,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Nullable<SmallInt>)]
    status: Option<i16>,
    #[diesel(sql_type = Nullable<Text>)]
    client_ip: Option<String>,
}

/// Activity rows of both logs whose client request id (the `X-Request-Id` the
/// test sent) starts with `prefix`; `request_id` of a row is that client id.
async fn rows(app: &TestApp, prefix: &str) -> Vec<Row> {
    // Here only: its `load` would shadow the atomics' elsewhere.
    use diesel_async::RunQueryDsl;
    app.state.audit.flush().await.unwrap();
    let mut conn = admin_conn().await;
    diesel::sql_query(
        "SELECT client_request_id AS request_id, kind, action, status, client_ip FROM activity_log
         WHERE client_request_id LIKE $1
         UNION ALL
         SELECT client_request_id AS request_id, kind, action, status, client_ip FROM platform_activity_log
         WHERE client_request_id LIKE $1",
    )
    .bind::<Text, _>(format!("{prefix}%"))
    .load(&mut conn)
    .await
    .unwrap()
}

/// The `/metrics` page.
async fn metrics_text(app: &TestApp) -> String {
    app.client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A request with its own request id and, optionally, an `X-Forwarded-For`.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &As,
    request_id: &str,
    forwarded_for: Option<&str>,
) -> Reply {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("x-request-id", request_id);
    if let Some(t) = &who.token {
        req = req.bearer_auth(t);
    }
    if let Some(t) = &who.tenant {
        req = req.header("X-Tenant-ID", t);
    }
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    Reply::read(req.send().await.unwrap()).await.unwrap()
}

fn prefix(what: &str) -> String {
    format!("{what}-{}-", uuid::Uuid::now_v7().simple())
}

fn retry_after(r: &Reply) -> u64 {
    r.headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", r.headers))
}

#[tokio::test]
async fn a_client_over_its_request_quota_is_refused_before_authentication_with_one_row_a_minute() {
    let mut config = test_config();
    // Three a minute, one more every 20 s: the setup and one call use it up.
    config.rate_limit.pre_auth_per_minute = nz(3);
    let app = TestApp::start_with(config).await;
    let tenant = app.tenant("edge-requests").await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let p = prefix("pre-auth");
    send(
        &app,
        Method::GET,
        "/api/v1/users/me",
        &admin,
        &format!("{p}ok"),
        None,
    )
    .await
    .assert_status(200);

    let newcomer = app.member(tenant, "newcomer", &[Role::Buyer]);
    let bad_token = As {
        token: Some("junk".into()),
        tenant: Some(tenant.to_string()),
    };
    let callers = [&newcomer, &As::anonymous(), &bad_token, &admin];
    for (i, who) in callers.into_iter().enumerate() {
        let r = send(
            &app,
            Method::GET,
            "/api/v1/users/me",
            who,
            &format!("{p}refused-{i}"),
            None,
        )
        .await;
        r.assert_problem(429, "rate_limited");
        assert_eq!(r.body["window"], "client-minute");
        assert!((1..=20).contains(&retry_after(&r)), "{:?}", r.headers);
        assert_eq!(r.body["retry_after"], retry_after(&r));
    }
    // Not authenticated: the newcomer's token would have made a user.
    assert_eq!(count_rows("users", tenant).await, 1);
    // Probes and scrapes are not limited.
    app.get("/health/live", &As::anonymous())
        .await
        .assert_status(200);
    let metrics = metrics_text(&app).await;
    assert!(
        metrics.contains("\nwarden_pre_auth_refused_requests_total 4\n"),
        "{metrics}"
    );

    let found = rows(&app, &p).await;
    let admitted: Vec<&Row> = found
        .iter()
        .filter(|r| r.request_id.as_deref() == Some(&format!("{p}ok")))
        .collect();
    assert_eq!(admitted.len(), 1);
    assert_eq!(admitted[0].client_ip.as_deref(), Some("127.0.0.1"));
    // Four refusals, one row: the first refusal of the minute, no more.
    let refused: Vec<&Row> = found
        .iter()
        .filter(|r| r.request_id.as_deref() != Some(&format!("{p}ok")))
        .collect();
    assert_eq!(refused.len(), 1, "{found:?}");
    assert_eq!(
        refused[0].request_id.as_deref(),
        Some(&*format!("{p}refused-0"))
    );
    assert_eq!(
        (
            refused[0].kind.as_str(),
            refused[0].action.as_str(),
            refused[0].status
        ),
        ("security", "pre_auth_limited", Some(429))
    );
}

#[tokio::test]
async fn failed_authentications_use_up_a_stricter_quota_and_then_every_request_is_refused() {
    let mut config = test_config();
    config.rate_limit.pre_auth_per_minute = nz(1000);
    config.rate_limit.pre_auth_failures_per_minute = nz(3);
    let app = TestApp::start_with(config).await;
    let a = app.tenant("edge-fail-a").await;
    let b = app.tenant("edge-fail-b").await;
    let admin_a = app.member(a, "admin", &[Role::TenantAdmin]);
    let p = prefix("auth-fail");
    let bad_token = As {
        token: Some("junk".into()),
        tenant: Some(a.to_string()),
    };
    // Three failures: two bad tokens and one foreign tenant. Each is answered.
    for i in 0..2 {
        send(
            &app,
            Method::GET,
            "/api/v1/products",
            &bad_token,
            &format!("{p}fail-{i}"),
            None,
        )
        .await
        .assert_problem(401, "invalid_token");
    }
    send(
        &app,
        Method::GET,
        "/api/v1/products",
        &admin_a.with_tenant_header(&b.to_string()),
        &format!("{p}fail-2"),
        None,
    )
    .await
    .assert_problem(403, "tenant_mismatch");

    // Now even a valid caller from this client is refused, unauthenticated.
    let r = send(
        &app,
        Method::GET,
        "/api/v1/products",
        &admin_a,
        &format!("{p}refused-0"),
        None,
    )
    .await;
    r.assert_problem(429, "rate_limited");
    assert_eq!(r.body["window"], "client-auth-failures");
    assert!((1..=20).contains(&retry_after(&r)), "{:?}", r.headers);
    send(
        &app,
        Method::POST,
        "/api/v1/tenants",
        &app.platform_admin(),
        &format!("{p}refused-1"),
        None,
    )
    .await
    .assert_problem(429, "rate_limited");
    // A WebSocket upgrade too.
    let mut req = app.ws_url().into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", admin_a.token.as_deref().unwrap())
            .parse()
            .unwrap(),
    );
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 429);
        }
        other => panic!("the upgrade was not refused: {:?}", other.map(|(_, r)| r)),
    }
    let metrics = metrics_text(&app).await;
    assert!(
        metrics.contains("\nwarden_pre_auth_refused_failures_total 3\n"),
        "{metrics}"
    );

    let found = rows(&app, &p).await;
    let mut actions: Vec<(&str, &str)> = found
        .iter()
        .map(|r| (r.request_id.as_deref().unwrap(), r.action.as_str()))
        .collect();
    actions.sort_unstable();
    let ids: Vec<String> = (0..3)
        .map(|i| format!("{p}fail-{i}"))
        .chain([format!("{p}refused-0")])
        .collect();
    assert_eq!(
        actions,
        vec![
            (ids[0].as_str(), "auth_failure"),
            (ids[1].as_str(), "auth_failure"),
            (ids[2].as_str(), "tenant_mismatch"),
            (ids[3].as_str(), "pre_auth_limited"),
        ]
    );
}

#[tokio::test]
async fn x_forwarded_for_names_the_client_only_when_a_trusted_proxy_sends_it() {
    // Without trusted proxies a forged header changes nothing: one client.
    let mut config = test_config();
    config.rate_limit.pre_auth_per_minute = nz(2);
    let app = TestApp::start_with(config.clone()).await;
    let p = prefix("xff-untrusted");
    for (i, forged) in ["203.0.113.1", "203.0.113.2"].into_iter().enumerate() {
        send(
            &app,
            Method::GET,
            "/nothing",
            &As::anonymous(),
            &format!("{p}{i}"),
            Some(forged),
        )
        .await
        .assert_problem(404, "not_found");
    }
    send(
        &app,
        Method::GET,
        "/nothing",
        &As::anonymous(),
        &format!("{p}2"),
        Some("203.0.113.3"),
    )
    .await
    .assert_problem(429, "rate_limited");
    let recorded = rows(&app, &format!("{p}0")).await;
    assert_eq!(recorded[0].client_ip.as_deref(), Some("127.0.0.1"));

    // Behind a trusted proxy (the tests' loopback), the right-most address it
    // did not add itself is the client.
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let app = TestApp::start_with(config).await;
    let p = prefix("xff-trusted");
    anonymous(&app, format!("{p}a1"), Some("203.0.113.1"))
        .await
        .assert_problem(404, "not_found");
    anonymous(&app, format!("{p}a2"), Some("203.0.113.1"))
        .await
        .assert_problem(404, "not_found");
    anonymous(&app, format!("{p}a3"), Some("203.0.113.1"))
        .await
        .assert_problem(429, "rate_limited");
    // What the client wrote left of the proxy's entry does not make it another client.
    anonymous(&app, format!("{p}a4"), Some("198.51.100.9, 203.0.113.1"))
        .await
        .assert_problem(429, "rate_limited");
    anonymous(&app, format!("{p}b1"), Some("203.0.113.2"))
        .await
        .assert_problem(404, "not_found");
    // Without the header the proxy itself is the client.
    anonymous(&app, format!("{p}c1"), None)
        .await
        .assert_problem(404, "not_found");
    let recorded = rows(&app, &format!("{p}b1")).await;
    assert_eq!(recorded[0].client_ip.as_deref(), Some("203.0.113.2"));
}

/// An anonymous `GET /nothing` (404, and no authentication to fail).
async fn anonymous(app: &TestApp, request_id: String, forwarded_for: Option<&str>) -> Reply {
    send(
        app,
        Method::GET,
        "/nothing",
        &As::anonymous(),
        &request_id,
        forwarded_for,
    )
    .await
}

/// A raw HTTP/1.1 exchange: `head` at once, then `body` one byte a second.
/// Returns the whole answer (up to the server closing the connection) and how
/// many body bytes had gone out when it began to arrive.
async fn trickle(app: &TestApp, head: &str, body: &[u8]) -> (String, usize) {
    let stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let (mut rd, mut wr) = stream.into_split();
    wr.write_all(head.as_bytes()).await.unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicBool::new(false));
    let (dripped, stop) = (sent.clone(), answered.clone());
    let body = body.to_vec();
    let dripper = tokio::spawn(async move {
        for byte in body {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if stop.load(Ordering::SeqCst) || wr.write_all(&[byte]).await.is_err() {
                break;
            }
            dripped.fetch_add(1, Ordering::SeqCst);
        }
        wr
    });
    let mut answer = Vec::new();
    let mut sent_when_answered = None;
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        let mut buf = [0u8; 4096];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if sent_when_answered.is_none() {
                        answered.store(true, Ordering::SeqCst);
                        sent_when_answered = Some(sent.load(Ordering::SeqCst));
                    }
                    answer.extend_from_slice(&buf[..n]);
                }
            }
        }
    })
    .await;
    dripper.abort();
    assert!(
        read.is_ok(),
        "no answer and no close within 30 s; so far: {}",
        String::from_utf8_lossy(&answer)
    );
    (
        String::from_utf8_lossy(&answer).into_owned(),
        sent_when_answered.unwrap_or(usize::MAX),
    )
}

/// Asserts a 408 `request_timeout` problem that closes the connection.
fn assert_timed_out(answer: &str, sent: usize, body_len: usize) {
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{answer}"
    );
    let problem: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(problem["code"], "request_timeout", "{answer}");
    assert_eq!(problem["status"], 408);
    // Cut off, not waited out.
    assert!(sent < body_len, "answered after {sent} of {body_len} bytes");
}

fn slow_body_config() -> warden_server::config::Config {
    let mut config = test_config();
    config.body_read_timeout = Duration::from_secs(2);
    config
}

#[tokio::test]
async fn a_body_trickling_into_a_tenant_route_is_cut_off_with_408_and_nothing_is_written() {
    let app = TestApp::start_with(slow_body_config()).await;
    let w = warden_tests::World::new(&app, "edge-slow-body").await;
    let products = count_rows("products", w.tenant).await;
    let body = json!({"title": "Slow", "price_minor": 100, "currency": "USD"}).to_string();
    let request_id = prefix("slow-body");
    let head = format!(
        "POST /api/v1/products HTTP/1.1\r\nHost: warden.test\r\nAuthorization: Bearer {}\r\n\
         X-Tenant-ID: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         X-Request-Id: {request_id}\r\n\r\n",
        w.seller.token.as_deref().unwrap(),
        w.tenant,
        body.len()
    );
    let (answer, sent) = trickle(&app, &head, body.as_bytes()).await;
    assert_timed_out(&answer, sent, body.len());
    assert_eq!(count_rows("products", w.tenant).await, products);
    // The request is in the activity log with what it was answered.
    let recorded = rows(&app, &request_id).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].status, Some(408));
    // The server still serves, and bodies that come in time are taken.
    app.post(
        "/api/v1/products",
        &w.seller,
        serde_json::from_str(&body).unwrap(),
    )
    .await
    .assert_status(201);
}

#[tokio::test]
async fn a_body_trickling_into_the_twilio_webhook_is_cut_off_with_408() {
    let mut config = slow_body_config();
    config.notifications.twilio = Some(TwilioConfig {
        account_sid: "AC0123456789abcdef".into(),
        auth_token: "twilio-test-token".into(),
        from: Some("+15005550006".into()),
        messaging_service_sid: None,
        base_url: "http://127.0.0.1:9".into(),
        status_callback: None,
    });
    config.notifications.public_base_url = Some("https://warden.test".into());
    let app = TestApp::start_with(config).await;
    let tenant = app.tenant("edge-slow-webhook").await;
    let body = "MessageSid=SM0123&MessageStatus=delivered";
    // Upgrade headers on a POST do not make it a WebSocket: they must not
    // lift the deadline (an outside probe held bodies open this way).
    for extra in ["", "Connection: Upgrade\r\nUpgrade: websocket\r\n"] {
        let head = format!(
            "POST /api/v1/webhooks/twilio/status?tenant={tenant}&delivery={} HTTP/1.1\r\n\
             Host: warden.test\r\nX-Twilio-Signature: c2lnbmF0dXJl\r\n{extra}\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            uuid::Uuid::now_v7(),
            body.len()
        );
        let (answer, sent) = trickle(&app, &head, body.as_bytes()).await;
        assert_timed_out(&answer, sent, body.len());
    }
}

#[tokio::test]
async fn upgrade_headers_on_a_tenant_route_do_not_lift_the_body_deadline() {
    let app = TestApp::start_with(slow_body_config()).await;
    let w = warden_tests::World::new(&app, "edge-slow-upgrade").await;
    let products = count_rows("products", w.tenant).await;
    let body = json!({"title": "Slow", "price_minor": 100, "currency": "USD"}).to_string();
    let head = format!(
        "POST /api/v1/products HTTP/1.1\r\nHost: warden.test\r\nAuthorization: Bearer {}\r\n\
         X-Tenant-ID: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        w.seller.token.as_deref().unwrap(),
        w.tenant,
        body.len()
    );
    let (answer, sent) = trickle(&app, &head, body.as_bytes()).await;
    assert_timed_out(&answer, sent, body.len());
    assert_eq!(count_rows("products", w.tenant).await, products);
}

#[tokio::test]
async fn a_live_connection_outlives_the_body_deadline() {
    let mut config = test_config();
    config.body_read_timeout = Duration::from_secs(1);
    let app = TestApp::start_with(config).await;
    let tenant = app.tenant("edge-live").await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let mut req = app.ws_url().into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", admin.token.as_deref().unwrap())
            .parse()
            .unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let welcome = text(&mut ws).await;
    assert_eq!(welcome["type"], "welcome");
    // Past the deadline, the socket (the upgrade's "body") still carries messages.
    tokio::time::sleep(Duration::from_secs(2)).await;
    ws.send(Message::text(
        json!({"type": "subscribe", "topics": ["moderation"]}).to_string(),
    ))
    .await
    .unwrap();
    let reply = text(&mut ws).await;
    assert_eq!(reply["type"], "subscribed", "{reply}");
}

async fn text<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> Value
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).unwrap(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no message within 10 s: {other:?}"),
        }
    }
}
