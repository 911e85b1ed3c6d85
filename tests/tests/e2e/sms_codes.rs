//! One-time verification codes against SMS toll fraud: codes per number per
//! hour and numbers per store per day (also under concurrency), the tenant's
//! hourly SMS cap, the delivery record and status callback of each code, the
//! tenant's email sender, and refusals that write nothing, send nothing and
//! leave a security event for staff.

use std::sync::Arc;

use chrono::{Duration, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Jsonb, Nullable, Text};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_notifications::sms::TwilioConfig;
use warden_tenancy::clock::ManualClock;
use warden_tests::{As, Reply, TestApp, admin_conn, count_rows, generous_limits, test_config};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PUBLIC: &str = "https://warden.test";

async fn twilio() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"sid": "SMcode", "status": "queued"})),
        )
        .mount(&server)
        .await;
    server
}

fn config(twilio: &MockServer) -> warden_server::config::Config {
    let mut c = test_config();
    c.notifications.twilio = Some(TwilioConfig {
        account_sid: "AC1".into(),
        auth_token: "twilio-token".into(),
        from: Some("+15005550006".into()),
        messaging_service_sid: None,
        base_url: twilio.uri(),
        status_callback: None,
    });
    c.notifications.public_base_url = Some(PUBLIC.into());
    c
}

/// A tenant with an admin and `stores` sellers, each with a store.
async fn stores(app: &TestApp, name: &str, stores: usize) -> (Uuid, As, Vec<(As, Uuid)>) {
    let tenant = app.tenant_with_limits(name, generous_limits()).await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    app.get("/api/v1/users/me", &admin).await.assert_status(200);
    let mut sellers = Vec::new();
    for n in 0..stores {
        let seller = app.member(tenant, &format!("seller-{n}"), &[Role::Seller]);
        let id = app
            .put(
                "/api/v1/sellers/me",
                &seller,
                json!({"store_name": format!("{name} store {n}")}),
            )
            .await
            .assert_status(201)
            .id();
        sellers.push((seller, id));
    }
    (tenant, admin, sellers)
}

async fn ask(app: &TestApp, seller: &As, phone: &str) -> Reply {
    app.post(
        "/api/v1/sellers/me/verifications",
        seller,
        json!({"step": "phone", "evidence": {"phone": phone}}),
    )
    .await
}

/// The numbers the Twilio stand-in was asked to text, in order.
async fn texted(twilio: &MockServer) -> Vec<String> {
    twilio
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            url::form_urlencoded::parse(&r.body)
                .find(|(k, _)| k == "To")
                .map(|(_, v)| v.into_owned())
                .unwrap()
        })
        .collect()
}

/// Asserts a throttled code: 429 with the reason, a usable Retry-After of at
/// most `max_secs`, nothing written or sent.
async fn assert_throttled(
    r: &Reply,
    reason: &str,
    max_secs: u64,
    tenant: Uuid,
    verifications_before: i64,
    twilio: &MockServer,
    sent_before: usize,
) {
    r.assert_problem(429, "verification_throttled");
    assert_eq!(r.body["reason"], reason, "{}", r.text);
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=max_secs).contains(&retry), "Retry-After {retry}");
    assert_eq!(r.body["retry_after"], retry);
    assert_eq!(
        count_rows("seller_verifications", tenant).await,
        verifications_before
    );
    assert_eq!(texted(twilio).await.len(), sent_before);
}

/// The tenant's `verification_throttled` security events, as staff read them.
async fn refusals(app: &TestApp, admin: &As, seller: Uuid) -> Vec<Value> {
    app.get(
        &format!("/api/v1/audit?kind=security&resource_type=sellers&resource_id={seller}"),
        admin,
    )
    .await
    .assert_status(200)
    .items()
    .into_iter()
    .filter(|e| e["action"] == "verification_throttled")
    .collect()
}

#[tokio::test]
async fn a_number_gets_three_codes_an_hour_whichever_stores_ask() {
    let twilio = twilio().await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::start_with_clock(config(&twilio), clock.clone()).await;
    let (tenant, admin, sellers) = stores(&app, "sms-per-number", 2).await;
    let (a, b) = (&sellers[0], &sellers[1]);
    let victim = "+882355512345";
    ask(&app, &a.0, victim).await.assert_status(201);
    ask(&app, &a.0, victim).await.assert_status(201);
    clock.advance(Duration::minutes(20));
    ask(&app, &b.0, victim).await.assert_status(201);
    assert_eq!(texted(&twilio).await, [victim; 3]);

    // The fourth within the hour, from either store, is refused.
    for (seller, _) in [a, b] {
        let r = ask(&app, seller, victim).await;
        assert_throttled(&r, "sms_per_number_per_hour", 2400, tenant, 3, &twilio, 3).await;
    }
    // Recorded for staff, with the number and the limit.
    let seen = refusals(&app, &admin, b.1).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["kind"], "security");
    assert_eq!(seen[0]["metadata"]["address"], victim);
    assert_eq!(seen[0]["metadata"]["reason"], "sms_per_number_per_hour");
    assert_eq!(refusals(&app, &admin, a.1).await.len(), 1);
    // Another number is not held up by this one.
    ask(&app, &a.0, "+34600000010").await.assert_status(201);

    // Once the first two codes are an hour old, two more may go.
    clock.advance(Duration::minutes(41));
    ask(&app, &b.0, victim).await.assert_status(201);
    ask(&app, &a.0, victim).await.assert_status(201);
    ask(&app, &a.0, victim)
        .await
        .assert_problem(429, "verification_throttled");
    assert_eq!(texted(&twilio).await.len(), 6);
}

#[tokio::test]
async fn a_store_sends_codes_to_five_numbers_a_day() {
    let twilio = twilio().await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::start_with_clock(config(&twilio), clock.clone()).await;
    let (tenant, admin, sellers) = stores(&app, "sms-per-store", 1).await;
    let (seller, seller_id) = &sellers[0];
    for n in 0..5 {
        ask(&app, seller, &format!("+4479460000{n:02}"))
            .await
            .assert_status(201);
        clock.advance(Duration::hours(2));
    }
    let r = ask(&app, seller, "+447946000099").await;
    // Free again a day after the first number's code, 14 hours from now.
    assert_throttled(
        &r,
        "sms_numbers_per_store_per_day",
        14 * 3600,
        tenant,
        5,
        &twilio,
        5,
    )
    .await;
    assert!(
        r.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 13 * 3600
    );
    assert_eq!(refusals(&app, &admin, *seller_id).await.len(), 1);
    // One of the five again is no new number.
    ask(&app, seller, "+447946000004").await.assert_status(201);
    clock.advance(Duration::hours(15));
    ask(&app, seller, "+447946000099").await.assert_status(201);
    assert_eq!(texted(&twilio).await.len(), 7);
}

#[tokio::test]
async fn concurrent_codes_to_one_number_cannot_both_take_the_last_slot() {
    let twilio = twilio().await;
    let app = TestApp::start_with(config(&twilio)).await;
    let (tenant, _, sellers) = stores(&app, "sms-race", 4).await;
    let victim = "+882355500001";
    ask(&app, &sellers[0].0, victim).await.assert_status(201);
    ask(&app, &sellers[0].0, victim).await.assert_status(201);
    // One slot left; four stores ask at once.
    let answers =
        futures::future::join_all(sellers.iter().map(|(s, _)| ask(&app, s, victim))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(count_rows("seller_verifications", tenant).await, 3);
    assert_eq!(texted(&twilio).await.len(), 3);
}

#[derive(QueryableByName, Debug)]
struct CodeDelivery {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    provider_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    address: Option<String>,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Jsonb)]
    data: Value,
}

async fn code_deliveries(tenant: Uuid) -> Vec<CodeDelivery> {
    let mut conn = admin_conn().await;
    diesel::sql_query(
        "SELECT d.status, d.provider_id, d.address, n.body, n.data
         FROM notification_deliveries d JOIN notifications n
           ON n.tenant_id = d.tenant_id AND n.id = d.notification_id
         WHERE d.tenant_id = $1 AND n.kind = 'verification_code' ORDER BY d.id",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .load(&mut conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn codes_count_against_the_tenants_sms_cap_and_are_delivered_like_any_sms() {
    let twilio = twilio().await;
    let app = TestApp::start_with(config(&twilio)).await;
    let (tenant, admin, sellers) = stores(&app, "sms-cap", 3).await;
    let mut routing = app.get("/api/v1/notifications/routing", &admin).await.body;
    routing["sms_per_hour"] = json!(2);
    app.put("/api/v1/notifications/routing", &admin, routing)
        .await
        .assert_status(200);
    ask(&app, &sellers[0].0, "+34600000021")
        .await
        .assert_status(201);
    ask(&app, &sellers[1].0, "+34600000022")
        .await
        .assert_status(201);
    // The third SMS this hour is over the cap: not sent, nothing written.
    let r = ask(&app, &sellers[2].0, "+34600000023").await;
    assert_throttled(&r, "sms_per_hour", 3600, tenant, 2, &twilio, 2).await;
    assert_eq!(refusals(&app, &admin, sellers[2].1).await.len(), 1);

    // Each code sent is a delivery, sent with Twilio's id, whose status
    // callback names it; the code itself is stored nowhere.
    let sent = code_deliveries(tenant).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    let requests = twilio.received_requests().await.unwrap();
    for (d, request) in sent.iter().zip(&requests) {
        assert_eq!(d.status, "sent");
        assert_eq!(d.provider_id.as_deref(), Some("SMcode"));
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let field = |n: &str| form.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(d.address.as_deref(), Some(field("To").as_str()));
        assert!(
            field("StatusCallback").starts_with(&format!(
                "{PUBLIC}/api/v1/webhooks/twilio/status?tenant={tenant}&delivery="
            )),
            "{form:?}"
        );
        let code: String = field("Body")
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap()
            .to_owned();
        assert!(!d.body.contains(&code), "{}", d.body);
        assert!(!d.data.to_string().contains(&code), "{}", d.data);
    }
}

#[tokio::test]
async fn an_email_code_comes_from_the_tenants_sender() {
    let (port, mailbox) = warden_tests::smtp::start();
    let twilio = twilio().await;
    let mut c = config(&twilio);
    c.notifications.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    let app = TestApp::start_with(c).await;
    let (_, admin, sellers) = stores(&app, "sms-email-from", 1).await;
    let mut routing = app.get("/api/v1/notifications/routing", &admin).await.body;
    routing["email_from"] = json!("Acme Trust <trust@acme.test>");
    app.put("/api/v1/notifications/routing", &admin, routing)
        .await
        .assert_status(200);
    app.post(
        "/api/v1/sellers/me/verifications",
        &sellers[0].0,
        json!({"step": "email"}),
    )
    .await
    .assert_status(201);
    let mail = mailbox.lock().unwrap().clone();
    assert_eq!(mail.len(), 1);
    let message = mail_parser::MessageParser::default()
        .parse(&mail[0].data)
        .unwrap();
    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("trust@acme.test"));
}

#[tokio::test]
async fn a_number_another_store_verified_is_refused() {
    let twilio = twilio().await;
    let app = TestApp::start_with(config(&twilio)).await;
    let (tenant, _, sellers) = stores(&app, "sms-taken", 2).await;
    let number = "+34600000031";
    let v = ask(&app, &sellers[0].0, number).await;
    v.assert_status(201);
    let body = {
        let requests = twilio.received_requests().await.unwrap();
        url::form_urlencoded::parse(&requests[0].body)
            .find(|(k, _)| k == "Body")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let code: String = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/sellers/me/verifications/{}/code", v.id()),
        &sellers[0].0,
        json!({"code": code}),
    )
    .await
    .assert_status(200);
    ask(&app, &sellers[1].0, number)
        .await
        .assert_problem(409, "conflict");
    assert_eq!(count_rows("seller_verifications", tenant).await, 1);
    assert_eq!(texted(&twilio).await.len(), 1);
}

#[tokio::test]
async fn a_code_that_cannot_be_sent_writes_nothing() {
    // No SMS provider: the phone step is refused before anything is written.
    let app = TestApp::start().await;
    let (tenant, _, sellers) = stores(&app, "sms-unconfigured", 1).await;
    ask(&app, &sellers[0].0, "+34600000041")
        .await
        .assert_problem(400, "invalid_input");
    // Not E.164.
    for bad in ["34600000041", "+0600", "+34 600 000 041", ""] {
        ask(&app, &sellers[0].0, bad)
            .await
            .assert_problem(400, "invalid_input");
    }
    assert_eq!(count_rows("seller_verifications", tenant).await, 0);
    assert_eq!(count_rows("notifications", tenant).await, 0);
    assert_eq!(count_rows("notification_preferences", tenant).await, 0);
}
