//! Live events over WebSocket: delivery, topics, tenant isolation, heartbeats,
//! resume, slow consumers, several replicas, shutdown, and the listener losing
//! its PostgreSQL connection.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use uuid::Uuid;
use warden_audit::hub::{Hub, HubEvent, Subscription, Topic, Topics};
use warden_commerce::Role;
use warden_tenancy::TenantId;
use warden_tests::{As, TestApp, test_config};

pub(super) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp, token: &str) -> Ws {
    let mut req = app.ws_url().into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let welcome = next_json(&mut ws).await.unwrap();
    assert_eq!(welcome["type"], "welcome");
    ws
}

/// The next JSON message, or the close frame's code as `Err`.
pub(super) async fn next_json(ws: &mut Ws) -> Result<Value, Option<u16>> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s");
        match msg {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Err(None),
        }
    }
}

/// Reads until the server closes, returning the close code (`None`: the
/// connection just ended).
pub(super) async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        if let Err(code) = next_json(ws).await {
            return code;
        }
    }
}

pub(super) async fn subscribe(
    ws: &mut Ws,
    topics: &[&str],
    last_event_id: Option<Uuid>,
) -> Vec<Value> {
    let msg = json!({ "type": "subscribe", "topics": topics, "last_event_id": last_event_id });
    ws.send(Message::text(msg.to_string())).await.unwrap();
    let mut before = Vec::new();
    loop {
        let m = next_json(ws).await.unwrap();
        if m["type"] == "subscribed" {
            return before;
        }
        before.push(m);
    }
}

/// Waits for the event whose `pred` holds, returning it and what came before.
pub(super) async fn until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
    let mut seen = Vec::new();
    loop {
        let m = next_json(ws).await.unwrap();
        if m["type"] == "event" && pred(&m["event"]) {
            return (m, seen);
        }
        seen.push(m);
    }
}

async fn traced_request(app: &TestApp, who: &As, marker: &str) {
    app.client
        .get(app.url("/api/v1/products"))
        .bearer_auth(who.token.clone().unwrap())
        .header("X-Tenant-ID", who.tenant.clone().unwrap())
        .header("x-request-id", marker)
        .send()
        .await
        .unwrap();
}

fn is_request(marker: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e: &Value| e["topic"] == "activity" && e["data"]["client_request_id"] == marker
}

pub(super) async fn publish(app: &TestApp, tenant: Uuid, topic: Topic, data: Value) -> Uuid {
    app.state
        .hub
        .publish(&app.state.db, TenantId::new(tenant), topic, data)
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_receive_their_tenants_events_on_the_topics_they_chose() {
    let app = TestApp::start().await;
    let t = app.tenant("live-topics").await;
    let admin = app.token(Some(t), "admin", &[Role::TenantAdmin]);
    let buyer = app.member(t, "buyer", &[Role::Buyer]);
    let mut ws = connect(&app, &admin).await;
    subscribe(&mut ws, &["detection"], None).await;
    traced_request(&app, &buyer, "live-topic-1").await;
    let id = publish(&app, t, Topic::Detection, json!({"rule": "burst"})).await;
    let (got, before) = until(&mut ws, |e| e["topic"] == "detection").await;
    assert_eq!(got["event"]["id"], id.to_string());
    assert_eq!(got["event"]["data"]["rule"], "burst");
    assert!(
        before.iter().all(|m| m["type"] != "event"),
        "activity leaked into a detection subscription: {before:?}"
    );

    subscribe(&mut ws, &["activity"], None).await;
    traced_request(&app, &buyer, "live-topic-2").await;
    let (got, _) = until(&mut ws, is_request("live-topic-2")).await;
    assert_eq!(got["event"]["tenant_id"], t.to_string());
    assert_eq!(got["event"]["data"]["route"], "/api/v1/products");

    // A large event travels by reference and arrives whole.
    let big = "x".repeat(20_000);
    publish(&app, t, Topic::Moderation, json!({"text": big})).await;
    subscribe(&mut ws, &["moderation"], None).await;
    publish(&app, t, Topic::Moderation, json!({"text": big})).await;
    let (got, _) = until(&mut ws, |e| e["topic"] == "moderation").await;
    assert_eq!(
        got["event"]["data"]["text"].as_str().map(str::len),
        Some(20_000)
    );

    // Opening the connection is itself in the tenant's audit log.
    app.state.audit.flush().await.unwrap();
    let staff = As {
        token: Some(admin.clone()),
        tenant: Some(t.to_string()),
    };
    let r = app.get("/api/v1/audit?kind=auth", &staff).await;
    assert_eq!(r.body["items"][0]["action"], "ws_connect", "{}", r.text);
    let me = app.get("/api/v1/users/me", &staff).await;
    assert_eq!(r.body["items"][0]["actor_id"], me.body["id"], "{}", r.text);
}

#[tokio::test]
async fn a_tenants_sockets_never_receive_another_tenants_events() {
    let app = TestApp::start().await;
    let a = app.tenant("live-a").await;
    let b = app.tenant("live-b").await;
    let mut ws = connect(&app, &app.token(Some(a), "admin", &[Role::TenantAdmin])).await;
    subscribe(
        &mut ws,
        &[
            "activity",
            "detection",
            "violation",
            "notification",
            "moderation",
        ],
        None,
    )
    .await;
    // B has a live socket too, so B's events really are fanned out on this replica.
    let mut b_ws = connect(&app, &app.token(Some(b), "admin", &[Role::TenantAdmin])).await;
    subscribe(&mut b_ws, &["activity", "violation"], None).await;
    let b_buyer = app.member(b, "buyer", &[Role::Buyer]);
    for i in 0..5 {
        traced_request(&app, &b_buyer, &format!("live-b-{i}")).await;
        publish(&app, b, Topic::Violation, json!({"n": i})).await;
    }
    app.state.audit.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fence = publish(&app, a, Topic::Detection, json!({"fence": true})).await;
    let (_, seen) = until(&mut ws, |e| e["id"] == fence.to_string()).await;
    for m in seen.iter().filter(|m| m["type"] == "event") {
        assert_eq!(
            m["event"]["tenant_id"],
            a.to_string(),
            "tenant B's event reached A: {m}"
        );
    }
}

#[tokio::test]
async fn members_watch_their_own_notifications_and_browsers_may_pass_the_token_as_a_query_parameter()
 {
    let app = TestApp::start().await;
    let t = app.tenant("live-auth").await;
    let status = |res: Result<_, tokio_tungstenite::tungstenite::Error>| match res {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
        Ok(_) => 101,
        Err(e) => panic!("{e}"),
    };
    let url = app.ws_url();
    assert_eq!(
        status(
            tokio_tungstenite::connect_async(url.clone())
                .await
                .map(|_| ())
        ),
        401
    );
    // A buyer connects, is offered only the notification topic, and asking
    // for more is granted only that.
    let buyer = app.token(Some(t), "b", &[Role::Buyer]);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}?access_token={buyer}"))
        .await
        .unwrap();
    let welcome = next_json(&mut ws).await.unwrap();
    assert_eq!(welcome["topics"], json!(["notification"]), "{welcome}");
    ws.send(Message::text(
        json!({"type": "subscribe", "topics": ["activity", "notification", "violation"]})
            .to_string(),
    ))
    .await
    .unwrap();
    let answer = next_json(&mut ws).await.unwrap();
    assert_eq!(answer["type"], "subscribed");
    assert_eq!(answer["topics"], json!(["notification"]));
    let moderator = app.token(Some(t), "m", &[Role::Moderator]);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}?access_token={moderator}"))
        .await
        .unwrap();
    let welcome = next_json(&mut ws).await.unwrap();
    assert_eq!(welcome["tenant_id"], t.to_string());
    assert_eq!(welcome["topics"].as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn a_client_that_stops_answering_pings_is_closed() {
    let mut config = test_config();
    config.live.ping_interval = Duration::from_secs(1);
    config.live.timeout = Duration::from_secs(2);
    let app = TestApp::start_with(config).await;
    let t = app.tenant("live-heartbeat").await;
    let admin = app.token(Some(t), "admin", &[Role::TenantAdmin]);
    let mut ws = connect(&app, &admin).await;
    assert_eq!(app.state.hub.subscriber_count(), 1);
    // Not reading means not answering pings: the server gives up after the timeout.
    let started = std::time::Instant::now();
    while app.state.hub.subscriber_count() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "silent connection still open"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        started.elapsed() >= Duration::from_millis(1900),
        "closed before the timeout"
    );
    // The close frame says why, unless the client's queued pongs hit the closed
    // socket first, in which case it sees the connection end.
    let code = close_code(&mut ws).await;
    assert!(matches!(code, Some(4002) | None), "{code:?}");

    // The end of the connection is in the tenant's log, with the server's code.
    app.state.audit.flush().await.unwrap();
    let staff = As {
        token: Some(admin),
        tenant: Some(t.to_string()),
    };
    let r = app.get("/api/v1/audit?kind=auth", &staff).await;
    let ended = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "ws_disconnect")
        .cloned()
        .unwrap_or_else(|| panic!("no ws_disconnect in {}", r.text));
    assert_eq!(ended["metadata"]["close_code"], 4002);
    assert_eq!(ended["actor_subject"], "admin");
    let me = app.get("/api/v1/users/me", &staff).await;
    assert_eq!(ended["actor_id"], me.body["id"], "the watcher is the actor");
    assert!(ended["metadata"]["connected_ms"].as_u64().unwrap() >= 1900);
}

#[tokio::test]
async fn a_reconnecting_client_resumes_after_its_last_event() {
    let app = TestApp::start().await;
    let t = app.tenant("live-resume").await;
    let admin = app.token(Some(t), "admin", &[Role::TenantAdmin]);
    let buyer = app.member(t, "buyer", &[Role::Buyer]);
    let mut ws = connect(&app, &admin).await;
    subscribe(&mut ws, &["activity"], None).await;
    traced_request(&app, &buyer, "resume-1").await;
    let (first, _) = until(&mut ws, is_request("resume-1")).await;
    let last: Uuid = first["event"]["id"].as_str().unwrap().parse().unwrap();
    drop(ws);
    for i in 2..=4 {
        traced_request(&app, &buyer, &format!("resume-{i}")).await;
    }
    app.state.audit.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut ws = connect(&app, &admin).await;
    let replayed = subscribe(&mut ws, &["activity"], Some(last)).await;
    let markers: Vec<&str> = replayed
        .iter()
        .filter_map(|m| m["event"]["data"]["client_request_id"].as_str())
        .filter(|r| r.starts_with("resume-"))
        .collect();
    assert_eq!(markers, vec!["resume-2", "resume-3", "resume-4"]);
    // An id no longer in the buffer is answered with a gap notice.
    let replayed = subscribe(&mut ws, &["activity"], Some(Uuid::now_v7())).await;
    assert_eq!(
        replayed.last().map(|m| m["type"].clone()),
        Some(json!("gap"))
    );
}

fn numbered(tenant: Uuid, seq: u32) -> HubEvent {
    HubEvent {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        topic: Topic::Detection,
        occurred_at: chrono::Utc::now(),
        data: json!({ "seq": seq }),
    }
}

#[tokio::test]
async fn a_resume_while_events_keep_coming_replays_in_order_without_repeats() {
    let app = TestApp::start().await;
    let t = app.tenant("live-resume-load").await;
    let admin = app.token(Some(t), "admin", &[Role::TenantAdmin]);
    let mut ws = connect(&app, &admin).await;
    subscribe(&mut ws, &["detection"], None).await;
    app.state.hub.deliver(numbered(t, 0));
    let (first, _) = until(&mut ws, |e| e["data"]["seq"] == 0).await;
    let last: Uuid = first["event"]["id"].as_str().unwrap().parse().unwrap();
    drop(ws);
    for seq in 1..=50 {
        app.state.hub.deliver(numbered(t, seq));
    }
    let mut ws = connect(&app, &admin).await;
    // More events arrive while the client resumes.
    let hub = app.state.hub.clone();
    let producer = tokio::spawn(async move {
        for seq in 51..=250 {
            hub.deliver(numbered(t, seq));
            tokio::task::yield_now().await;
        }
    });
    let msg = json!({ "type": "subscribe", "topics": ["detection"], "last_event_id": last });
    ws.send(Message::text(msg.to_string())).await.unwrap();
    let mut seen = Vec::new();
    while seen.last() != Some(&250) {
        let m = next_json(&mut ws).await.unwrap();
        if let Some(seq) = m["event"]["data"]["seq"].as_u64() {
            seen.push(seq);
        }
    }
    producer.await.unwrap();
    assert_eq!(seen, (1..=250).collect::<Vec<u64>>());
}

#[tokio::test]
async fn events_made_on_one_replica_reach_sockets_on_another() {
    let one = TestApp::start().await;
    let two = TestApp::start().await;
    let t = one.tenant("live-replicas").await;
    let mut ws = connect(&one, &one.token(Some(t), "admin", &[Role::TenantAdmin])).await;
    subscribe(&mut ws, &["activity", "detection"], None).await;
    let buyer = two.member(t, "buyer", &[Role::Buyer]);
    traced_request(&two, &buyer, "replica-two").await;
    let (got, _) = until(&mut ws, is_request("replica-two")).await;
    assert_eq!(got["event"]["tenant_id"], t.to_string());
    let id = publish(&two, t, Topic::Detection, json!({"from": "two"})).await;
    until(&mut ws, |e| e["id"] == id.to_string()).await;
}

#[tokio::test]
async fn a_slow_consumer_is_disconnected_and_shutdown_closes_the_rest() {
    let mut config = test_config();
    config.live.connection_queue = 1;
    let app = TestApp::start_with(config).await;
    let t = app.tenant("live-slow").await;
    let admin = app.token(Some(t), "admin", &[Role::TenantAdmin]);
    let mut slow = connect(&app, &admin).await;
    subscribe(&mut slow, &["detection"], None).await;
    for _ in 0..5_000 {
        app.state.hub.deliver(HubEvent {
            id: Uuid::now_v7(),
            tenant_id: t,
            topic: Topic::Detection,
            occurred_at: chrono::Utc::now(),
            data: json!({}),
        });
    }
    let code = close_code(&mut slow).await;
    assert_eq!(code, Some(4001));

    let mut other = connect(&app, &admin).await;
    app.stop().await;
    let code = close_code(&mut other).await;
    assert_eq!(code, Some(u16::from(CloseCode::Away)));
}

#[tokio::test]
async fn an_expired_token_or_a_disabled_user_loses_the_connection() {
    let mut config = test_config();
    config.live.ping_interval = Duration::from_secs(1);
    let app = TestApp::start_with(config).await;
    let t = app.tenant("live-revoke").await;
    // A token that expires in two seconds (leeway does not apply to open connections).
    let short = warden_server::auth::mint_hs256(
        &app.config.jwt,
        &warden_server::auth::MintRequest {
            api_client: false,
            subject: "short".into(),
            tenant: Some(t),
            roles: vec![Role::Moderator],
            email: None,
            name: None,
            ttl: Duration::from_secs(2),
        },
    )
    .unwrap();
    let mut ws = connect(&app, &short).await;
    let code = close_code(&mut ws).await;
    assert_eq!(code, Some(4003));

    let admin = app.member(t, "admin", &[Role::TenantAdmin]);
    let moderator = app.member(t, "mod", &[Role::Moderator]);
    let mod_id = app.get("/api/v1/users/me", &moderator).await.id();
    let mut ws = connect(&app, moderator.token.as_ref().unwrap()).await;
    app.patch(
        &format!("/api/v1/users/{mod_id}"),
        &admin,
        json!({"status": "disabled"}),
    )
    .await
    .assert_status(200);
    let code = close_code(&mut ws).await;
    assert_eq!(code, Some(4004));
    // And a disabled user cannot connect again.
    let mut req = app.ws_url().into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", moderator.token.unwrap())
            .parse()
            .unwrap(),
    );
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 403),
        other => panic!("disabled user connected: {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_live_notification_reaches_only_its_recipient() {
    let app = TestApp::start().await;
    let t = app.tenant("live-notifications").await;
    let first = app.member(t, "mod-1", &[Role::Moderator]);
    let second = app.member(t, "mod-2", &[Role::Moderator]);
    let first_id = app.get("/api/v1/users/me", &first).await.id();
    let second_id = app.get("/api/v1/users/me", &second).await.id();
    let mut ws_first = connect(&app, first.token.as_deref().unwrap()).await;
    let mut ws_second = connect(&app, second.token.as_deref().unwrap()).await;
    subscribe(&mut ws_first, &["notification"], None).await;
    subscribe(&mut ws_second, &["notification"], None).await;
    let notify = |user: Uuid, title: &'static str| notify_user(&app, t, user, title);
    notify(first_id, "for the first").await;
    notify(second_id, "for the second").await;
    let (got, _) = until(&mut ws_first, |e| e["topic"] == "notification").await;
    assert_eq!(got["event"]["data"]["title"], "for the first");
    // The second moderator's first notification is their own: the first's never came.
    let (got, _) = until(&mut ws_second, |e| e["topic"] == "notification").await;
    assert_eq!(got["event"]["data"]["title"], "for the second");
    assert_eq!(got["event"]["data"]["recipient_id"], second_id.to_string());
}

#[tokio::test]
async fn buyers_and_sellers_receive_their_own_notifications_live_and_nothing_else() {
    let app = TestApp::start().await;
    let t = app.tenant("live-members").await;
    let seller = app.member(t, "seller", &[Role::Seller]);
    let buyer = app.member(t, "buyer", &[Role::Buyer]);
    let seller_id = app.get("/api/v1/users/me", &seller).await.id();
    let buyer_id = app.get("/api/v1/users/me", &buyer).await.id();
    let mut ws_seller = connect(&app, seller.token.as_deref().unwrap()).await;
    let mut ws_buyer = connect(&app, buyer.token.as_deref().unwrap()).await;
    subscribe(&mut ws_seller, &["notification", "activity"], None).await;
    subscribe(&mut ws_buyer, &["notification", "activity"], None).await;
    let notify = |user: Uuid, title: &'static str| notify_user(&app, t, user, title);
    // Requests make activity events, which members never see.
    app.get("/api/v1/users/me", &seller)
        .await
        .assert_status(200);
    notify(seller_id, "for the seller").await;
    notify(buyer_id, "for the buyer").await;
    let (got, before) = until(&mut ws_seller, |e| e["topic"] == "notification").await;
    assert_eq!(got["event"]["data"]["title"], "for the seller");
    assert_eq!(got["event"]["data"]["recipient_id"], seller_id.to_string());
    assert!(before.iter().all(|m| m["type"] != "event"), "{before:?}");
    let (got, before) = until(&mut ws_buyer, |e| e["topic"] == "notification").await;
    assert_eq!(got["event"]["data"]["title"], "for the buyer");
    assert!(before.iter().all(|m| m["type"] != "event"), "{before:?}");
}

/// Raises a low-priority notification to `user` of `tenant`, as a domain would.
async fn notify_user(app: &TestApp, tenant: Uuid, user: Uuid, title: &'static str) -> Vec<Uuid> {
    use warden_notifications::model::{EventKind, Priority};
    use warden_notifications::raise::{NotificationRequest, Recipients, raise};
    use warden_tenancy::ScopedFutureExt;

    let tenant = TenantId::new(tenant);
    let request = NotificationRequest {
        recipients: Recipients::User(user),
        kind: EventKind::Detection,
        priority: Priority::Low,
        category: "behavior".into(),
        title: title.into(),
        body: String::new(),
        data: json!({}),
        event_key: None,
        security: false,
        channels: None,
    };
    app.state
        .db
        .tenant_tx(tenant, |conn| {
            async move { raise(conn, tenant, &request).await }.scope_boxed()
        })
        .await
        .unwrap()
}

/// Connects with `token`, adding `query` to the URL (e.g. `?tenant_id=…`).
pub(super) async fn connect_with(app: &TestApp, token: &str, query: &str) -> Ws {
    let mut req = format!("{}{query}", app.ws_url())
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(next_json(&mut ws).await.unwrap()["type"], "welcome");
    ws
}

const ALL_TOPICS: [&str; 5] = [
    "activity",
    "detection",
    "violation",
    "notification",
    "moderation",
];

fn hub_event(tenant: Uuid, topic: Topic, data: Value) -> HubEvent {
    HubEvent {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        topic,
        occurred_at: chrono::Utc::now(),
        data,
    }
}

/// Event ids among `messages`, of those in `cases`.
fn case_ids(messages: &[Value], cases: &[Uuid]) -> Vec<Uuid> {
    messages
        .iter()
        .filter(|m| m["type"] == "event")
        .filter_map(|m| m["event"]["id"].as_str()?.parse().ok())
        .filter(|id| cases.contains(id))
        .collect()
}

#[tokio::test]
async fn live_delivery_and_resume_send_each_watcher_the_same_events() {
    let app = TestApp::start().await;
    let t = app.tenant("live-same-filter").await;
    let u = app.tenant("live-same-filter-other").await;
    let first = app.member(t, "mod-1", &[Role::Moderator]);
    let first_id = app.get("/api/v1/users/me", &first).await.id();
    let second = app.member(t, "mod-2", &[Role::Moderator]);
    let buyer = app.member(t, "buyer", &[Role::Buyer]);
    let buyer_id = app.get("/api/v1/users/me", &buyer).await.id();
    let note = |to: Option<Uuid>, what: &str| {
        hub_event(
            t,
            Topic::Notification,
            json!({ "recipient_id": to, "title": what, "body": "private" }),
        )
    };
    let to_first = note(Some(first_id), "for the first moderator");
    let to_buyer = note(Some(buyer_id), "your account is banned: private reason");
    let to_no_one = note(None, "addressed to nobody");
    let detection = hub_event(t, Topic::Detection, json!({"rule": "burst"}));
    let other_tenants = hub_event(u, Topic::Detection, json!({"rule": "elsewhere"}));
    let cases = [&to_first, &to_buyer, &to_no_one, &detection, &other_tenants];
    let ids: Vec<Uuid> = cases.iter().map(|e| e.id).collect();
    // Each watcher (token, URL query, tenant) and what it may see, in order.
    let watchers = [
        (
            first.token.clone().unwrap(),
            String::new(),
            t,
            vec![to_first.id, detection.id],
        ),
        (
            second.token.clone().unwrap(),
            String::new(),
            t,
            vec![detection.id],
        ),
        (
            app.token(Some(t), "admin", &[Role::TenantAdmin]),
            String::new(),
            t,
            vec![detection.id],
        ),
        (
            app.token(None, "platform", &[Role::PlatformAdmin]),
            format!("?tenant_id={t}"),
            t,
            vec![detection.id],
        ),
        (
            app.token(Some(u), "other-admin", &[Role::TenantAdmin]),
            String::new(),
            u,
            vec![other_tenants.id],
        ),
    ];
    let mut sockets = Vec::new();
    for (token, query, _, _) in &watchers {
        let mut ws = connect_with(&app, token, query).await;
        subscribe(&mut ws, &ALL_TOPICS, None).await;
        sockets.push(ws);
    }
    let fences: Vec<HubEvent> = [t, u]
        .iter()
        .map(|&tenant| hub_event(tenant, Topic::Detection, json!({"fence": "before"})))
        .collect();
    let ends: Vec<HubEvent> = [t, u]
        .iter()
        .map(|&tenant| hub_event(tenant, Topic::Detection, json!({"fence": "after"})))
        .collect();
    for e in fences.iter().chain(cases).chain(&ends) {
        app.state.hub.deliver(e.clone());
    }
    for ((token, query, tenant, expected), mut ws) in watchers.iter().zip(sockets) {
        let fence = &fences[usize::from(*tenant == u)];
        let end = &ends[usize::from(*tenant == u)];
        // Live: what came between the two fences.
        until(&mut ws, |e| e["id"] == fence.id.to_string()).await;
        let (_, live) = until(&mut ws, |e| e["id"] == end.id.to_string()).await;
        assert_eq!(
            &case_ids(&live, &ids),
            expected,
            "live, watcher {query}{tenant}"
        );
        drop(ws);
        // Resume after the first fence on a new connection: the same events.
        let mut ws = connect_with(&app, token, query).await;
        let replayed = subscribe(&mut ws, &ALL_TOPICS, Some(fence.id)).await;
        assert!(
            replayed
                .iter()
                .any(|m| m["event"]["id"] == end.id.to_string()),
            "the replay did not reach the end fence: {replayed:?}"
        );
        assert_eq!(
            &case_ids(&replayed, &ids),
            expected,
            "replay, watcher {query}{tenant}"
        );
    }
}

#[tokio::test]
async fn a_moderator_resuming_does_not_receive_a_banned_users_ban_notice() {
    let app = TestApp::start().await;
    let t = app.tenant("live-ban-resume").await;
    let moderator = app.member(t, "mod", &[Role::Moderator]);
    app.get("/api/v1/users/me", &moderator)
        .await
        .assert_status(200);
    let buyer = app.member(t, "buyer", &[Role::Buyer]);
    let buyer_id = app.get("/api/v1/users/me", &buyer).await.id();
    let mod_token = moderator.token.clone().unwrap();
    // An in-process subscriber sees every notification: the ban notice is really published.
    let mut all_notices = app.state.hub.subscribe(
        Some(TenantId::new(t)),
        warden_audit::hub::Topics::from(&[Topic::Notification][..]),
        64,
    );
    // Someone else stays connected throughout, to know when the hub has the events.
    let mut watching = connect(&app, &app.token(Some(t), "admin", &[Role::TenantAdmin])).await;
    subscribe(&mut watching, &["violation"], None).await;
    let mut ws = connect(&app, &mod_token).await;
    subscribe(&mut ws, &["violation", "notification"], None).await;
    let fence = publish(&app, t, Topic::Violation, json!({"fence": "before"})).await;
    until(&mut ws, |e| e["id"] == fence.to_string()).await;
    drop(ws);

    let reason = "private reason: reported by a neighbour";
    app.post(
        "/api/v1/violations",
        &moderator,
        json!({"user_id": buyer_id, "type": "behavior", "severity": "critical", "reason": reason}),
    )
    .await
    .assert_status(201);
    let notice = tokio::time::timeout(Duration::from_secs(10), all_notices.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notice.data["recipient_id"], buyer_id.to_string());
    assert_eq!(notice.data["data"]["reason"], reason);
    let end = publish(&app, t, Topic::Violation, json!({"fence": "after"})).await;
    until(&mut watching, |e| e["id"] == end.to_string()).await;

    let mut ws = connect(&app, &mod_token).await;
    let replayed = subscribe(&mut ws, &["violation", "notification"], Some(fence)).await;
    assert!(
        replayed.iter().any(|m| m["event"]["topic"] == "violation"
            && m["event"]["data"]["violation"]["user_id"] == buyer_id.to_string()),
        "the replay should cover the ban: {replayed:?}"
    );
    assert!(
        replayed.iter().any(|m| m["event"]["id"] == end.to_string()),
        "{replayed:?}"
    );
    for m in &replayed {
        assert_ne!(
            m["event"]["topic"], "notification",
            "another user's notification was replayed: {m}"
        );
    }
}

/// `url` with `application_name` set, to find its connections on the server.
fn named(url: &str, name: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name={name}")
}

/// Terminates the server processes of the connections named `name`, as
/// PostgreSQL does to every one on shutdown; returns their pids.
async fn terminate(name: &str) -> Vec<i32> {
    use diesel_async::RunQueryDsl;
    let pids = connected(name).await;
    let mut admin = warden_tests::admin_conn().await;
    // One pid at a time: in a single query, nothing guarantees that the name
    // is checked before a row's backend is terminated.
    for &pid in &pids {
        diesel::sql_query("SELECT pg_terminate_backend($1)")
            .bind::<diesel::sql_types::Integer, _>(pid)
            .execute(&mut admin)
            .await
            .unwrap();
    }
    pids
}

/// Pids of the connections named `name`.
async fn connected(name: &str) -> Vec<i32> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    diesel::sql_query("SELECT pid FROM pg_stat_activity WHERE application_name = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .load::<Pid>(&mut warden_tests::admin_conn().await)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.pid)
        .collect()
}

/// Publishes on `tenant` until `sub` receives an event (the listener may be
/// still connecting, and events notified before it listens are lost), and
/// returns the id received.
async fn published_and_received(
    hub: &Hub,
    db: &warden_tenancy::Db,
    tenant: Uuid,
    sub: &mut Subscription,
) -> Uuid {
    let started = std::time::Instant::now();
    loop {
        hub.publish(db, TenantId::new(tenant), Topic::Detection, json!({}))
            .await
            .unwrap();
        if let Ok(got) = tokio::time::timeout(Duration::from_millis(300), sub.recv()).await {
            return got.expect("the subscription is open").id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no live event within 20 s"
        );
    }
}

/// The hub relies on this of diesel-async: a notification stream whose
/// connection is gone does not pend forever, it yields the error and ends.
#[tokio::test]
async fn a_lost_connection_ends_its_notification_stream_with_the_error() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let name = format!("live-stream-{}", Uuid::now_v7());
    let mut conn = AsyncPgConnection::establish(&named(&warden_tests::database_url(), &name))
        .await
        .unwrap();
    diesel::sql_query("LISTEN live_stream_test")
        .execute(&mut conn)
        .await
        .unwrap();
    let mut stream = std::pin::pin!(conn.notifications_stream());
    assert_eq!(terminate(&name).await.len(), 1);
    let next = Duration::from_secs(10);
    let first = tokio::time::timeout(next, stream.next())
        .await
        .expect("the stream answers within 10 s");
    let error = match first {
        Some(Err(e)) => e.to_string(),
        Some(Ok(n)) => panic!("a notification: {n:?}"),
        None => panic!("the stream ended without the error"),
    };
    assert!(error.contains("terminating connection"), "{error}");
    let then = tokio::time::timeout(next, stream.next())
        .await
        .expect("the stream ends within 10 s");
    assert!(then.is_none(), "{then:?}");
}

#[tokio::test]
async fn the_listener_reconnects_after_losing_its_connection_and_resumes_see_the_gap() {
    let app = TestApp::start().await;
    let t = app.tenant("live-listener-lost").await;
    let name = format!("live-listener-{}", Uuid::now_v7());
    let hub = Hub::new(16);
    let listener = hub.listen(
        named(&warden_tests::database_url(), &name),
        app.state.db.clone(),
    );
    let mut sub = hub.subscribe(Some(TenantId::new(t)), Topics::all(), 64);
    let before = published_and_received(&hub, &app.state.db, t, &mut sub).await;
    assert!(sub.replay_after(before).is_some());

    // Its own parameters reach the server with the listener's added.
    let killed = terminate(&name).await;
    assert_eq!(killed.len(), 1, "one listening connection named {name}");
    published_and_received(&hub, &app.state.db, t, &mut sub).await;
    let now = connected(&name).await;
    assert_eq!(now.len(), 1, "one listening connection again");
    assert_ne!(now, killed, "a new connection");
    // Events notified while it was disconnected are lost: a resume from
    // before the loss is told so instead of missing them silently.
    assert!(sub.replay_after(before).is_none());

    hub.close();
    listener.abort();
}
