//! Twilio status callbacks: applied only forward (queued < sent <
//! delivered | failed), replays change nothing, and an unsigned callback (or
//! one to a server without SMS) is answered before its body is read.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;
use warden_commerce::Role;
use warden_notifications::model::{EventKind, Priority};
use warden_notifications::raise::{NotificationRequest, Recipients};
use warden_notifications::sms::TwilioConfig;
use warden_tenancy::{ScopedFutureExt, TenantId};
use warden_tests::{Reply, TestApp, admin_conn, test_config};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "AC0123456789abcdef";
const TOKEN: &str = "twilio-test-token";
const PUBLIC: &str = "https://warden.test";

async fn twilio(sids: &[&str]) -> MockServer {
    let server = MockServer::start().await;
    for sid in sids {
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(json!({"sid": sid, "status": "queued"})),
            )
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    server
}

fn config(twilio: Option<&MockServer>) -> warden_server::config::Config {
    let mut c = test_config();
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

#[derive(QueryableByName, Debug, Clone, PartialEq)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    provider_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    error_code: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    delivered_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

async fn sms_deliveries(tenant: Uuid) -> Vec<Row> {
    let mut conn = admin_conn().await;
    diesel::sql_query(
        "SELECT id, status, provider_id, error_code, delivered_at, updated_at
         FROM notification_deliveries WHERE tenant_id = $1 AND channel = 'sms' ORDER BY id",
    )
    .bind::<SqlUuid, _>(tenant)
    .load(&mut conn)
    .await
    .unwrap()
}

/// Two urgent notifications to one user with a phone, sent: two SMS
/// deliveries (`SMfirst`, `SMsecond`), `sent`.
async fn two_sent_sms(app: &TestApp, name: &str) -> (Uuid, Vec<Row>) {
    let tenant = app.tenant(name).await;
    let buyer = app.member(tenant, "buyer", &[Role::Buyer]);
    let user = app
        .get("/api/v1/users/me", &buyer)
        .await
        .assert_status(200)
        .id();
    app.put(
        "/api/v1/notifications/preferences",
        &buyer,
        json!({"phone": "+15005550001"}),
    )
    .await
    .assert_status(200);
    for n in 0..2 {
        let request = NotificationRequest {
            recipients: Recipients::User(user),
            kind: EventKind::Ban,
            priority: Priority::Urgent,
            category: "enforcement".into(),
            title: format!("Ban {n}"),
            body: "Banned".into(),
            data: json!({"reason": "spam"}),
            event_key: None,
            security: false,
            channels: None,
        };
        let t = TenantId::new(tenant);
        app.state
            .db
            .tenant_tx(t, |conn| {
                let request = request.clone();
                async move { warden_notifications::raise::raise(conn, t, &request).await }
                    .scope_boxed()
            })
            .await
            .unwrap();
        app.run_jobs(tenant).await;
    }
    let rows = sms_deliveries(tenant).await;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.status == "sent"), "{rows:?}");
    (tenant, rows)
}

/// Posts a signed status callback for `delivery` of `tenant`.
async fn callback(app: &TestApp, tenant: Uuid, delivery: &Row, status: &str) -> u16 {
    let url = format!(
        "{PUBLIC}/api/v1/webhooks/twilio/status?tenant={tenant}&delivery={}",
        delivery.id
    );
    let params = vec![
        (
            "MessageSid".to_owned(),
            delivery.provider_id.clone().unwrap(),
        ),
        ("MessageStatus".to_owned(), status.to_owned()),
        ("AccountSid".to_owned(), SID.to_owned()),
        (
            "ErrorCode".to_owned(),
            if status == "undelivered" {
                "30003".into()
            } else {
                String::new()
            },
        ),
    ];
    let signature = warden_notifications::twilio_signature::sign(TOKEN, &url, &params);
    let r = app
        .client
        .post(app.url(url.strip_prefix(PUBLIC).unwrap()))
        .header("X-Twilio-Signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(status, 204, "{}", r.text().await.unwrap());
    status
}

#[tokio::test]
async fn a_replayed_or_earlier_status_never_overwrites_a_later_one() {
    let stand_in = twilio(&["SMfirst", "SMsecond"]).await;
    let app = TestApp::start_with(config(Some(&stand_in))).await;
    let (tenant, rows) = two_sent_sms(&app, "twilio-monotonic").await;
    let (first, second) = (&rows[0], &rows[1]);

    callback(&app, tenant, first, "delivered").await;
    let delivered = sms_deliveries(tenant).await[0].clone();
    assert_eq!(delivered.status, "delivered");
    assert!(delivered.delivered_at.is_some());
    // The same callback again, then earlier ones late: accepted, nothing changes.
    for late in ["delivered", "sent", "queued", "sending", "delivered"] {
        callback(&app, tenant, first, late).await;
        assert_eq!(sms_deliveries(tenant).await[0], delivered, "after {late}");
    }
    // A final status stands against the other final one.
    callback(&app, tenant, first, "undelivered").await;
    assert_eq!(sms_deliveries(tenant).await[0], delivered);

    // sent → failed with Twilio's code; then delivered and sent change nothing.
    callback(&app, tenant, second, "sent").await;
    callback(&app, tenant, second, "undelivered").await;
    let failed = sms_deliveries(tenant).await[1].clone();
    assert_eq!(failed.status, "failed");
    assert_eq!(failed.error_code.as_deref(), Some("30003"));
    assert!(failed.delivered_at.is_none());
    for late in ["undelivered", "sent", "delivered", "queued"] {
        callback(&app, tenant, second, late).await;
        assert_eq!(sms_deliveries(tenant).await[1], failed, "after {late}");
    }
    // No row was added by any of it.
    assert_eq!(sms_deliveries(tenant).await.len(), 2);
    assert_eq!(warden_tests::count_rows("notifications", tenant).await, 2);
}

fn callback_path() -> String {
    format!(
        "/api/v1/webhooks/twilio/status?tenant={}&delivery={}",
        Uuid::now_v7(),
        Uuid::now_v7()
    )
}

#[tokio::test]
async fn an_unsigned_callback_is_refused_before_its_body_is_read() {
    let stand_in = twilio(&[]).await;
    let app = TestApp::start_with(config(Some(&stand_in))).await;
    // What the body would have caused (415, 413) is never reached.
    let wrong_type = Reply::read(
        app.client
            .post(app.url(&callback_path()))
            .header("content-type", "text/plain")
            .body("MessageStatus=delivered")
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    wrong_type.assert_problem(403, "forbidden");
    let too_large = Reply::read(
        app.client
            .post(app.url(&callback_path()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; app.config.max_body_bytes + 1])
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    too_large.assert_problem(403, "forbidden");

    // A body announced but never sent: the answer comes without it.
    let mut stream = tokio::net::TcpStream::connect(app.base.strip_prefix("http://").unwrap())
        .await
        .unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: warden.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\nMessageSid=SM",
        callback_path()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || String::from_utf8_lossy(&answer).contains("\"request_id\"") {
                break;
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    assert!(read.is_ok(), "no answer without the body: {text:?}");
    assert!(text.starts_with("HTTP/1.1 403"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
}

#[tokio::test]
async fn a_callback_to_a_server_without_sms_is_refused_before_its_body_is_read() {
    let app = TestApp::start_with(config(None)).await;
    let r = Reply::read(
        app.client
            .post(app.url(&callback_path()))
            .header("X-Twilio-Signature", "c2lnbmF0dXJl")
            .header("content-type", "text/plain")
            .body("MessageStatus=delivered")
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    r.assert_problem(404, "not_found");
}
