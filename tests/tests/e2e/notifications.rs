//! Notifications end to end: in-app through the outbox, email received by a
//! real SMTP server on loopback, SMS received by a local Twilio stand-in,
//! signed status callbacks, retries through a provider outage, de-duplication,
//! preferences, caps, routing, templates, and who may see what.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use base64::Engine;
use diesel::QueryableByName;
use diesel::sql_types::{Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_notifications::model::{EventKind, Priority};
use warden_notifications::raise::{NotificationRequest, Recipients};
use warden_notifications::sms::TwilioConfig;
use warden_tenancy::{ScopedFutureExt, TenantId};
use warden_tests::{As, TestApp, admin_conn, smtp, test_config};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "AC0123456789abcdef";
const TOKEN: &str = "twilio-test-token";
const PUBLIC: &str = "https://warden.test";

async fn twilio(status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{SID}/Messages.json")))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn config(smtp_port: Option<u16>, twilio: Option<&MockServer>) -> warden_server::config::Config {
    let mut c = test_config();
    c.notifications.smtp_url = smtp_port.map(|p| format!("smtp://127.0.0.1:{p}"));
    c.notifications.twilio = twilio.map(|t| TwilioConfig {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
        from: Some("+15005550006".into()),
        messaging_service_sid: None,
        base_url: t.uri(),
        status_callback: None,
    });
    c.notifications.public_base_url = Some(PUBLIC.into());
    c
}

async fn user_id(app: &TestApp, who: &As) -> Uuid {
    app.get("/api/v1/users/me", who)
        .await
        .assert_status(200)
        .id()
}

async fn raise(app: &TestApp, tenant: Uuid, request: NotificationRequest) -> Vec<Uuid> {
    let t = TenantId::new(tenant);
    app.state
        .db
        .tenant_tx(t, |conn| {
            async move { warden_notifications::raise::raise(conn, t, &request).await }.scope_boxed()
        })
        .await
        .unwrap()
}

fn request(user: Uuid, priority: Priority, key: Option<&str>) -> NotificationRequest {
    NotificationRequest {
        recipients: Recipients::User(user),
        kind: EventKind::ViolationCreated,
        priority,
        category: "enforcement".into(),
        title: "A warning".into(),
        body: "Please keep to the rules".into(),
        data: json!({"reason": "spam", "action": "warning"}),
        event_key: key.map(str::to_owned),
        security: false,
        channels: None,
    }
}

#[derive(QueryableByName, Debug, Clone)]
struct Delivery {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    error_code: Option<String>,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

async fn deliveries(tenant: Uuid) -> Vec<Delivery> {
    let mut conn = admin_conn().await;
    diesel::sql_query(
        "SELECT id, channel, status, error_code, attempts FROM notification_deliveries
         WHERE tenant_id = $1 ORDER BY id",
    )
    .bind::<SqlUuid, _>(tenant)
    .load(&mut conn)
    .await
    .unwrap()
}

fn channels(ds: &[Delivery]) -> Vec<&str> {
    let mut c: Vec<&str> = ds.iter().map(|d| d.channel.as_str()).collect();
    c.sort_unstable();
    c
}

#[tokio::test]
async fn a_violation_reaches_the_inbox_the_mailbox_and_the_phone() {
    let (port, mailbox) = smtp::start();
    let stand_in = twilio(201, json!({"sid": "SM0001", "status": "queued"})).await;
    let app = TestApp::start_with(config(Some(port), Some(&stand_in))).await;
    let tenant = app.tenant("notify-all").await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let moderator = app.member(tenant, "mod", &[Role::Moderator]);
    let seller = app.member(tenant, "seller", &[Role::Seller]);
    let seller_id = user_id(&app, &seller).await;
    user_id(&app, &moderator).await;
    app.put(
        "/api/v1/notifications/preferences",
        &seller,
        json!({"language": "es", "phone": "+34600000001"}),
    )
    .await
    .assert_status(200);
    let mut routing = app.get("/api/v1/notifications/routing", &admin).await.body;
    assert_eq!(routing["routing"]["medium"], json!(["in_app"]));
    routing["routing"]["medium"] = json!(["in_app", "email", "sms"]);
    routing["email_from"] = json!("Acme Alerts <alerts@acme.test>");
    app.put("/api/v1/notifications/routing", &admin, routing)
        .await
        .assert_status(200);
    app.post(
        "/api/v1/violations",
        &moderator,
        json!({"user_id": seller_id, "type": "content", "severity": "low", "reason": "Listing <b>spam</b>"}),
    )
    .await
    .assert_status(201);

    // In-app at once, with the transaction of the violation.
    let inbox = app.get("/api/v1/notifications", &seller).await;
    let items = inbox.items();
    assert_eq!(items.len(), 1, "{}", inbox.text);
    assert_eq!(items[0]["kind"], "violation_created");
    assert_eq!(items[0]["priority"], "medium");
    assert_eq!(
        app.get("/api/v1/notifications/unread-count", &seller)
            .await
            .body["unread"],
        1
    );
    // Email and SMS through the worker.
    assert_eq!(app.run_jobs(tenant).await, 2);
    let mail = mailbox.lock().unwrap().clone();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["seller@example.test"]);
    let message = mail_parser::MessageParser::default()
        .parse(&mail[0].data)
        .unwrap();
    let subject = message.subject().unwrap().to_owned();
    assert!(!subject.starts_with('['), "medium has no prefix: {subject}");
    let text = message.body_text(0).unwrap().to_string();
    let html = message.body_html(0).unwrap().to_string();
    assert!(text.contains("Listing <b>spam</b>"), "{text}");
    assert!(html.contains("Listing &lt;b&gt;spam&lt;"), "{html}");
    assert!(!html.contains("<b>spam"), "{html}");
    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("alerts@acme.test"));
    let raw = String::from_utf8_lossy(&mail[0].data);
    assert!(raw.contains("Content-Language: es"), "{raw}");
    let sms = stand_in.received_requests().await.unwrap();
    assert_eq!(sms.len(), 1);
    let auth = sms[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"));
    assert_eq!(auth, format!("Basic {expected}"));
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&sms[0].body)
        .into_owned()
        .collect();
    let field = |n: &str| {
        form.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(field("To"), "+34600000001");
    assert_eq!(field("From"), "+15005550006");
    assert!(!field("Body").is_empty());
    let callback = field("StatusCallback");
    assert!(callback.starts_with(&format!(
        "{PUBLIC}/api/v1/webhooks/twilio/status?tenant={tenant}&delivery="
    )));
    let all = deliveries(tenant).await;
    assert_eq!(channels(&all), ["email", "in_app", "sms"]);
    assert!(all.iter().all(|d| d.status
        == if d.channel == "in_app" {
            "delivered"
        } else {
            "sent"
        }));

    // Twilio reports delivery: signed, it is recorded; unsigned, refused.
    let path_and_query = callback.strip_prefix(PUBLIC).unwrap().to_owned();
    let params = vec![
        ("MessageSid".to_owned(), "SM0001".to_owned()),
        ("MessageStatus".to_owned(), "delivered".to_owned()),
        ("AccountSid".to_owned(), SID.to_owned()),
    ];
    let post = |signature: String| {
        app.client
            .post(app.url(&path_and_query))
            .header("X-Twilio-Signature", signature)
            .form(&params)
            .send()
    };
    let forged = post("bm90IGEgc2lnbmF0dXJl".into()).await.unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let signature = warden_notifications::twilio_signature::sign(TOKEN, &callback, &params);
    let ok = post(signature).await.unwrap();
    assert_eq!(ok.status().as_u16(), 204, "{}", ok.text().await.unwrap());
    let sms_delivery = deliveries(tenant)
        .await
        .into_iter()
        .find(|d| d.channel == "sms")
        .unwrap();
    assert_eq!(sms_delivery.status, "delivered");

    // The mail is signed with the tenant's name and tells the reason once;
    // the SMS carries no e-mail signature.
    let unix = text.replace("\r\n", "\n");
    assert!(unix.trim_end().ends_with("-- \nnotify-all"), "{text}");
    assert_eq!(text.matches("Listing <b>spam</b>").count(), 1, "{text}");
    assert!(html.contains("notify-all"), "{html}");
    assert!(!field("Body").contains("-- "), "{}", field("Body"));
    assert!(!field("Body").contains("notify-all"), "{}", field("Body"));

    // The recipient follows each channel's delivery; nobody else sees it.
    let id = items[0]["id"].as_str().unwrap();
    let detail = app
        .get(&format!("/api/v1/notifications/{id}"), &seller)
        .await;
    detail.assert_status(200);
    assert_eq!(detail.body["kind"], "violation_created");
    let ds = detail.body["deliveries"].as_array().unwrap();
    let by = |c: &str| ds.iter().find(|d| d["channel"] == c).cloned().unwrap();
    assert_eq!(
        ds.iter()
            .map(|d| d["channel"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["in_app", "email", "sms"]
    );
    assert_eq!(by("in_app")["status"], "delivered");
    assert_eq!(by("email")["status"], "sent");
    assert_eq!(by("email")["attempts"], 1);
    assert!(
        by("email")["provider_id"]
            .as_str()
            .is_some_and(|p| !p.is_empty())
    );
    assert_eq!(by("email")["address"], "seller@example.test");
    assert_eq!(by("sms")["status"], "delivered");
    assert_eq!(by("sms")["provider_id"], "SM0001");
    assert!(by("sms")["delivered_at"].is_string());
    assert!(by("sms")["last_error"].is_null());
    app.get(&format!("/api/v1/notifications/{id}"), &moderator)
        .await
        .assert_problem(404, "not_found");
    app.get(
        &format!("/api/v1/notifications/{}", Uuid::now_v7()),
        &seller,
    )
    .await
    .assert_problem(404, "not_found");
    // A signed callback for a delivery that does not exist is a 404.
    let unknown = format!(
        "{PUBLIC}/api/v1/webhooks/twilio/status?tenant={tenant}&delivery={}",
        Uuid::now_v7()
    );
    let r = app
        .client
        .post(app.url(unknown.strip_prefix(PUBLIC).unwrap()))
        .header(
            "X-Twilio-Signature",
            warden_notifications::twilio_signature::sign(TOKEN, &unknown, &params),
        )
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // Read state and deletion, by the recipient.
    let id = items[0]["id"].as_str().unwrap();
    let read = app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &seller,
            json!({}),
        )
        .await;
    assert!(read.body["read_at"].is_string());
    assert_eq!(
        app.get("/api/v1/notifications/unread-count", &seller)
            .await
            .body["unread"],
        0
    );
    assert_eq!(
        app.get("/api/v1/notifications?read=true", &seller)
            .await
            .items()
            .len(),
        1
    );
    app.post(
        &format!("/api/v1/notifications/{id}/unread"),
        &seller,
        json!({}),
    )
    .await
    .assert_status(200);
    assert_eq!(
        app.post("/api/v1/notifications/read-all", &seller, json!({}))
            .await
            .body["marked"],
        1
    );
    assert_eq!(
        app.get("/api/v1/notifications?q=warning", &seller)
            .await
            .items()
            .len(),
        usize::from(items[0]["title"].as_str().unwrap().contains("warning"))
    );
    assert!(
        app.get("/api/v1/notifications?q=zeppelin", &seller)
            .await
            .items()
            .is_empty()
    );
    app.delete(&format!("/api/v1/notifications/{id}"), &seller)
        .await
        .assert_status(204);
    assert!(
        app.get("/api/v1/notifications", &seller)
            .await
            .items()
            .is_empty()
    );
    app.delete(&format!("/api/v1/notifications/{id}"), &seller)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_provider_outage_delays_email_but_loses_nothing() {
    // A port with nothing listening: the SMTP server is "down".
    let reserved = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = reserved.local_addr().unwrap().port();
    drop(reserved);
    let app = TestApp::start_with(config(Some(port), None)).await;
    let tenant = app.tenant("notify-outage").await;
    let user = app.member(tenant, "buyer", &[Role::Buyer]);
    let user = user_id(&app, &user).await;
    for n in 0..3 {
        let key = format!("outage-{n}");
        assert_eq!(
            raise(&app, tenant, request(user, Priority::High, Some(&key)))
                .await
                .len(),
            1
        );
    }
    // Each fails and is rescheduled (with a 50 ms first backoff a quick
    // worker may already try one again).
    assert!(app.run_jobs(tenant).await >= 3);
    let down = deliveries(tenant).await;
    let emails: Vec<&Delivery> = down.iter().filter(|d| d.channel == "email").collect();
    assert_eq!(emails.len(), 3);
    assert!(
        emails
            .iter()
            .all(|d| d.status == "queued" && d.attempts >= 1 && d.error_code.is_some()),
        "{down:?}"
    );
    // The server comes back; the retries (backing off) deliver everything.
    let mailbox = smtp::serve_on(TcpListener::bind(("127.0.0.1", port)).unwrap());
    let started = Instant::now();
    while mailbox.lock().unwrap().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not delivered after the outage"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.run_jobs(tenant).await;
    }
    let after = deliveries(tenant).await;
    assert!(
        after
            .iter()
            .filter(|d| d.channel == "email")
            .all(|d| d.status == "sent")
    );
    // In-app exactly once per notification, outage or not.
    assert_eq!(after.iter().filter(|d| d.channel == "in_app").count(), 3);
    assert_eq!(warden_tests::count_rows("notifications", tenant).await, 3);
    assert_eq!(mailbox.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn deduplication_preferences_caps_and_routing() {
    let (port, mailbox) = smtp::start();
    let app = TestApp::start_with(config(Some(port), None)).await;
    let tenant = app.tenant("notify-rules").await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let buyer = app.member(tenant, "buyer", &[Role::Buyer]);
    let buyer_id = user_id(&app, &buyer).await;

    // The same event key within the window: once.
    assert_eq!(
        raise(&app, tenant, request(buyer_id, Priority::Low, Some("same")))
            .await
            .len(),
        1
    );
    assert!(
        raise(&app, tenant, request(buyer_id, Priority::Low, Some("same")))
            .await
            .is_empty()
    );
    // Routing by priority: low is in-app only, high adds email.
    assert_eq!(channels(&deliveries(tenant).await), ["in_app"]);
    raise(&app, tenant, request(buyer_id, Priority::High, None)).await;
    assert_eq!(
        channels(&deliveries(tenant).await),
        ["email", "in_app", "in_app"]
    );

    // Opt-outs: no email, no behavior category; security notices ignore both.
    app.put(
        "/api/v1/notifications/preferences",
        &buyer,
        json!({"channels_off": ["email"], "categories_off": ["behavior"]}),
    )
    .await
    .assert_status(200);
    let before = deliveries(tenant).await.len();
    raise(&app, tenant, request(buyer_id, Priority::High, None)).await;
    assert_eq!(deliveries(tenant).await.len(), before + 1, "in-app only");
    let mut behavior = request(buyer_id, Priority::High, None);
    behavior.category = "behavior".into();
    assert!(raise(&app, tenant, behavior.clone()).await.is_empty());
    behavior.security = true;
    assert_eq!(raise(&app, tenant, behavior).await.len(), 1);
    let emails = deliveries(tenant)
        .await
        .into_iter()
        .filter(|d| d.channel == "email")
        .count();
    assert_eq!(emails, 2);

    // Caps: one email an hour. The first queued email goes out, the second is refused.
    let mut routing = app.get("/api/v1/notifications/routing", &admin).await.body;
    routing["email_per_hour"] = json!(1);
    app.put("/api/v1/notifications/routing", &admin, routing)
        .await
        .assert_status(200);
    app.run_jobs(tenant).await;
    let emails: Vec<Delivery> = deliveries(tenant)
        .await
        .into_iter()
        .filter(|d| d.channel == "email")
        .collect();
    assert_eq!(
        emails.iter().filter(|d| d.status == "sent").count(),
        1,
        "{emails:?}"
    );
    let capped: Vec<&Delivery> = emails.iter().filter(|d| d.status == "failed").collect();
    assert_eq!(capped.len(), 1);
    assert_eq!(capped[0].error_code.as_deref(), Some("cap_exceeded"));
    assert_eq!(mailbox.lock().unwrap().len(), 1);
    let _ = capped[0].id;
}

#[tokio::test]
async fn a_twilio_error_code_is_recorded_and_not_retried() {
    let stand_in = twilio(
        400,
        json!({"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}),
    )
    .await;
    let app = TestApp::start_with(config(None, Some(&stand_in))).await;
    let tenant = app.tenant("notify-sms-error").await;
    let buyer = app.member(tenant, "buyer", &[Role::Buyer]);
    let buyer_id = user_id(&app, &buyer).await;
    app.put(
        "/api/v1/notifications/preferences",
        &buyer,
        json!({"phone": "+15005550001"}),
    )
    .await
    .assert_status(200);
    raise(&app, tenant, request(buyer_id, Priority::Urgent, None)).await;
    app.run_jobs(tenant).await;
    let all = deliveries(tenant).await;
    let sms = all.iter().find(|d| d.channel == "sms").unwrap();
    assert_eq!(sms.status, "failed");
    assert_eq!(sms.error_code.as_deref(), Some("21211"));
    assert_eq!(sms.attempts, 1);
    // No SMTP server configured: email fails as not configured instead of waiting forever.
    let email = all.iter().find(|d| d.channel == "email").unwrap();
    assert_eq!(email.error_code.as_deref(), Some("not_configured"));
    assert_eq!(stand_in.received_requests().await.unwrap().len(), 1);
    // The recipient reads why, in Warden's words: Twilio's own text stays out.
    let inbox = app.get("/api/v1/notifications", &buyer).await;
    let id = inbox.items()[0]["id"].as_str().unwrap().to_owned();
    let detail = app
        .get(&format!("/api/v1/notifications/{id}"), &buyer)
        .await;
    let ds = detail.body["deliveries"].as_array().unwrap();
    let sms = ds.iter().find(|d| d["channel"] == "sms").unwrap();
    assert_eq!(sms["status"], "failed");
    assert_eq!(sms["attempts"], 1);
    assert_eq!(sms["last_error"]["code"], "21211");
    assert_eq!(
        sms["last_error"]["message"],
        "Twilio refused the message (error 21211)"
    );
    assert!(!detail.text.contains("Invalid 'To'"), "{}", detail.text);
    let email = ds.iter().find(|d| d["channel"] == "email").unwrap();
    assert_eq!(
        email["last_error"]["message"],
        "no provider is configured for this channel"
    );
}

#[tokio::test]
async fn templates_routing_and_preferences_are_validated_and_per_tenant() {
    let app = TestApp::start().await;
    let a = app.tenant("notify-tpl-a").await;
    let b = app.tenant("notify-tpl-b").await;
    let admin_a = app.member(a, "admin", &[Role::TenantAdmin]);
    let admin_b = app.member(b, "admin", &[Role::TenantAdmin]);
    let seller = app.member(a, "seller", &[Role::Seller]);
    let listed = app.get("/api/v1/notifications/templates", &admin_a).await;
    listed.assert_status(200);
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        warden_notifications::model::EventKind::ALL.len() * 2
    );
    let template = json!({"subject": "Banned: {{ reason }}", "text": "Until {{ until }}", "html": "<p>{{ reason }}</p>"});
    app.put(
        "/api/v1/notifications/templates",
        &admin_a,
        json!({"kind": "ban", "language": "en", "template": template}),
    )
    .await
    .assert_status(200);
    let preview = app
        .post("/api/v1/notifications/templates/preview", &admin_a, json!({"kind": "ban", "language": "en", "data": {"reason": "<script>", "until": "tomorrow"}}))
        .await;
    preview.assert_status(200);
    assert_eq!(preview.body["subject"], "Banned: <script>");
    assert_eq!(preview.body["html"], "<p>&lt;script&gt;</p>");
    // Spanish falls back to its built-in; B keeps the built-in English one.
    let es = app
        .post(
            "/api/v1/notifications/templates/preview",
            &admin_a,
            json!({"kind": "ban", "language": "es"}),
        )
        .await;
    assert_eq!(es.body["language"], "es");
    let other = app
        .post(
            "/api/v1/notifications/templates/preview",
            &admin_b,
            json!({"kind": "ban", "language": "en", "data": {"reason": "x"}}),
        )
        .await;
    assert_ne!(other.body["subject"], "Banned: x");
    // Bad templates and inputs write nothing.
    let cases = [
        (
            json!({"kind": "ban", "language": "en", "template": {"subject": "{{ unclosed", "text": "t", "html": "h"}}),
            400,
            "invalid_input",
        ),
        (
            json!({"kind": "ban", "language": "fr", "template": template}),
            400,
            "invalid_input",
        ),
        (
            json!({"kind": "nope", "language": "en", "template": template}),
            400,
            "invalid_body",
        ),
    ];
    for (body, status, code) in cases {
        app.put("/api/v1/notifications/templates", &admin_a, body)
            .await
            .assert_problem(status, code);
    }
    assert_eq!(
        warden_tests::count_rows("notification_templates", a).await,
        1
    );
    app.put(
        "/api/v1/notifications/templates",
        &seller,
        json!({"kind": "ban", "language": "en", "template": null}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.get("/api/v1/notifications/routing", &seller)
        .await
        .assert_problem(403, "forbidden");
    // Reset.
    app.put(
        "/api/v1/notifications/templates",
        &admin_a,
        json!({"kind": "ban", "language": "en", "template": null}),
    )
    .await
    .assert_status(200);
    assert_eq!(
        warden_tests::count_rows("notification_templates", a).await,
        0
    );
    let mut routing = app
        .get("/api/v1/notifications/routing", &admin_a)
        .await
        .body;
    routing["routing"]["low"] = json!([]);
    app.put("/api/v1/notifications/routing", &admin_a, routing)
        .await
        .assert_problem(400, "invalid_input");
    for prefs in [
        json!({"phone": "0600"}),
        json!({"language": "xx"}),
        json!({"channels_off": ["fax"]}),
    ] {
        let r = app
            .put("/api/v1/notifications/preferences", &seller, prefs)
            .await;
        assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    }
    assert_eq!(
        warden_tests::count_rows("notification_preferences", a).await,
        0
    );
}

#[tokio::test]
async fn a_notification_is_seen_only_by_its_recipient() {
    let app = TestApp::start().await;
    let a = app.tenant("notify-iso-a").await;
    let b = app.tenant("notify-iso-b").await;
    let owner = app.member(a, "owner", &[Role::Buyer]);
    let neighbour = app.member(a, "neighbour", &[Role::TenantAdmin]);
    let stranger = app.member(b, "stranger", &[Role::TenantAdmin]);
    let owner_id = user_id(&app, &owner).await;
    let id = raise(&app, a, request(owner_id, Priority::Low, None)).await[0];
    for who in [&neighbour, &stranger] {
        app.post(&format!("/api/v1/notifications/{id}/read"), who, json!({}))
            .await
            .assert_problem(404, "not_found");
        app.delete(&format!("/api/v1/notifications/{id}"), who)
            .await
            .assert_problem(404, "not_found");
        assert!(
            app.get("/api/v1/notifications", who)
                .await
                .items()
                .is_empty()
        );
    }
    assert_eq!(
        app.get("/api/v1/notifications", &owner).await.items().len(),
        1
    );
}

#[tokio::test]
async fn reviews_detections_and_rate_limit_abuse_notify_staff() {
    let app = TestApp::start().await;
    let tenant = app
        .tenant_with_limits(
            "notify-wiring",
            json!({"requests_per_minute": 100000, "requests_per_hour": 1000000, "requests_per_day": 10000000,
                   "user_requests_per_minute": 20, "max_products": 1000, "max_users": 1000,
                   "max_storage_bytes": 1073741824}),
        )
        .await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let moderator = app.member(tenant, "mod", &[Role::Moderator]);
    let seller = app.member(tenant, "seller", &[Role::Seller]);
    let admin_id = user_id(&app, &admin).await;
    user_id(&app, &moderator).await;
    user_id(&app, &seller).await;
    app.put("/api/v1/sellers/me", &seller, json!({"store_name": "shop"}))
        .await
        .assert_status(201);
    app.post(
        "/api/v1/moderation/rules",
        &admin,
        json!({"name": "hold", "kind": "pattern", "pattern": {"keywords": ["replica"]},
               "content_types": ["product"], "action": "require_review"}),
    )
    .await
    .assert_status(201);
    app.post(
        "/api/v1/products",
        &seller,
        json!({"title": "Replica bag", "price_minor": 1, "currency": "USD"}),
    )
    .await
    .assert_status(201);
    let kinds = |items: Vec<Value>| {
        items
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(app.get("/api/v1/notifications", &moderator).await.items()),
        ["review_requested"]
    );
    // A live detection tells staff.
    app.post(
        "/api/v1/behavior/patterns",
        &admin,
        json!({"name": "listings", "severity": "high", "mode": "live", "cooldown_seconds": 600,
               "condition": {"field": "route", "op": "eq", "value": "/api/v1/products"},
               "window": {"seconds": 60, "per": "actor", "aggregate": "count", "above": 0}}),
    )
    .await
    .assert_status(201);
    app.get("/api/v1/products", &seller)
        .await
        .assert_status(200);
    app.state.audit.flush().await.unwrap();
    app.state.detector.drain().await;
    let mod_kinds = kinds(app.get("/api/v1/notifications", &moderator).await.items());
    assert!(mod_kinds.contains(&"detection".to_owned()), "{mod_kinds:?}");
    // Exhausting a limit tells the tenant's administrators, once, and the
    // notice is in their inbox by the time the 429 answers.
    #[derive(QueryableByName)]
    struct Raised {
        #[diesel(sql_type = SqlUuid)]
        recipient_id: Uuid,
    }
    let mut conn = admin_conn().await;
    let refused = async {
        for _ in 0..45 {
            let r = app.get("/api/v1/products", &seller).await;
            if r.status.as_u16() == 429 {
                return r;
            }
        }
        panic!("the seller's limit of 20 a minute never ran out");
    }
    .await;
    // Read at once, straight from the outbox: nothing raises it afterwards.
    let raised: Vec<Raised> = diesel::sql_query(
        "SELECT recipient_id FROM notifications WHERE tenant_id = $1 AND kind = 'rate_limit_abuse'",
    )
    .bind::<SqlUuid, _>(tenant)
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        raised.iter().map(|r| r.recipient_id).collect::<Vec<_>>(),
        [admin_id]
    );
    refused.assert_problem(429, "rate_limited");
    let abuse = |items: Vec<Value>| {
        items
            .into_iter()
            .filter(|n| n["kind"] == "rate_limit_abuse")
            .collect::<Vec<_>>()
    };
    let notices = abuse(
        app.get("/api/v1/notifications?category=security", &admin)
            .await
            .items(),
    );
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(
        notices[0]["title"],
        "The user-minute rate limit was exhausted"
    );
    // More refusals raise nothing more, and staff who are not administrators
    // are not told.
    for _ in 0..3 {
        app.get("/api/v1/products", &seller)
            .await
            .assert_status(429);
    }
    assert_eq!(
        abuse(
            app.get("/api/v1/notifications?category=security", &admin)
                .await
                .items()
        )
        .len(),
        1
    );
    assert!(abuse(app.get("/api/v1/notifications", &moderator).await.items()).is_empty());
}

#[tokio::test]
async fn a_detection_mail_names_the_user_it_is_about() {
    let (port, mailbox) = smtp::start();
    let app = TestApp::start_with(config(Some(port), None)).await;
    let tenant = app.tenant("notify-names").await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let admin_id = user_id(&app, &admin).await;
    let named = app.token_with_name(Some(tenant), "seller", &[Role::Seller], "Sam Seller");
    let seller_id = user_id(
        &app,
        &As {
            token: Some(named),
            tenant: Some(tenant.to_string()),
        },
    )
    .await;
    let mut detection = request(admin_id, Priority::High, None);
    detection.kind = EventKind::Detection;
    detection.data = json!({"pattern": "listing flood", "target_user": seller_id});
    raise(&app, tenant, detection).await;
    app.run_jobs(tenant).await;
    let mail = mailbox.lock().unwrap().clone();
    assert_eq!(mail.len(), 1);
    let message = mail_parser::MessageParser::default()
        .parse(&mail[0].data)
        .unwrap();
    let text = message.body_text(0).unwrap().to_string();
    assert!(text.contains("for user Sam Seller"), "{text}");
    assert!(!text.contains(&seller_id.to_string()), "{text}");
}
