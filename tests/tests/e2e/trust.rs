//! Seller trust: the listing limit of level 0, a seller's standing (score
//! from real orders, reviews and conversations on a controllable clock), the
//! tenant's settings, and who may see what.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use warden_commerce::Role;
use warden_tenancy::clock::ManualClock;
use warden_tests::{TestApp, World, count_rows, test_config};
use warden_trust::score::{Signals, Weights, score};

fn listing(n: usize) -> serde_json::Value {
    json!({"title": format!("Item {n}"), "price_minor": 100, "currency": "USD"})
}

#[tokio::test]
async fn the_sixth_listing_at_level_zero_is_refused_until_the_limit_allows_it() {
    let app = TestApp::start().await;
    let t = app.tenant("trust-limit").await;
    let admin = app.member(t, "admin", &[Role::TenantAdmin]);
    let seller = app.member(t, "seller", &[Role::Seller]);
    app.put("/api/v1/sellers/me", &seller, json!({"store_name": "shop"}))
        .await
        .assert_status(201);
    for n in 0..5 {
        app.post("/api/v1/products", &seller, listing(n))
            .await
            .assert_status(201);
    }
    let refused = app.post("/api/v1/products", &seller, listing(5)).await;
    refused.assert_problem(403, "trust_level_limit");
    assert_eq!(refused.body["level"], 0);
    assert_eq!(refused.body["limit"], 5);
    let needs = refused.body["next_level_requirements"].as_array().unwrap();
    assert!(
        needs.iter().any(|n| n.as_str().unwrap().contains("email")),
        "{}",
        refused.text
    );
    assert_eq!(count_rows("products", t).await, 5);
    // The tenant decides its limits.
    let mut settings = app.get("/api/v1/trust/settings", &admin).await.body;
    assert_eq!(settings["listing_limits"], json!([5, 50, null, null]));
    settings["listing_limits"] = json!([6, 50, null, null]);
    app.put("/api/v1/trust/settings", &admin, settings)
        .await
        .assert_status(200);
    app.post("/api/v1/products", &seller, listing(5))
        .await
        .assert_status(201);
    app.post("/api/v1/products", &seller, listing(6))
        .await
        .assert_problem(403, "trust_level_limit");
    let standing = app.get("/api/v1/sellers/me/trust", &seller).await;
    assert_eq!(standing.body["listings"], 6);
    assert_eq!(standing.body["listing_limit"], 6);
    // The refusals of the day got one statement of reasons, in the inbox.
    assert_eq!(count_rows("statements_of_reasons", t).await, 1);
    let inbox = app.get("/api/v1/notifications", &seller).await.items();
    let notice = inbox
        .iter()
        .find(|n| n["kind"] == "statement_of_reasons")
        .expect("the refusal's statement");
    assert_eq!(notice["data"]["decision"], "listing_limited");
    assert_eq!(notice["data"]["ground_name"], "Seller trust levels");
    assert!(
        notice["data"]["facts"]
            .as_str()
            .unwrap()
            .contains("allows 5 listings")
    );
}

#[tokio::test]
async fn a_sellers_standing_is_scored_from_their_commerce_on_the_clock() {
    let start: DateTime<Utc> = Utc::now();
    let clock = Arc::new(ManualClock::new(start));
    let app = TestApp::start_with_clock(test_config(), clock.clone()).await;
    let w = World::new(&app, "trust-standing").await;
    // The store is 90 days old by the clock.
    clock.advance(Duration::days(90));
    let mine = app.get("/api/v1/sellers/me/trust", &w.seller).await;
    mine.assert_status(200);
    let b = &mine.body;
    assert_eq!(b["level"], 0);
    assert_eq!(b["listing_limit"], 5);
    assert_eq!(b["listings"], 1);
    // The world's tenant opened payments to every level (`World`).
    assert_eq!(b["features"], json!(["payments"]));
    let signals: Signals = serde_json::from_value(b["signals"].clone()).unwrap();
    assert!(
        (signals.account_age_days - 90.0).abs() < 0.01,
        "{signals:?}"
    );
    assert_eq!(signals.orders, 1);
    assert_eq!(signals.delivered_orders, 1);
    assert_eq!(signals.ratings, 1);
    assert_eq!(signals.mean_rating, Some(5.0));
    assert_eq!(signals.violation_weight, 0.0);
    // The score is the documented formula of those signals.
    let expected = score(&signals, &Weights::default());
    assert!((b["score"].as_f64().unwrap() - expected.score).abs() < 1e-6);
    assert!((b["breakdown"]["account_age"].as_f64().unwrap() - 0.5).abs() < 1e-3);
    let next = &b["next_level"];
    assert_eq!(next["level"], 1);
    let requirements = next["requirements"].as_array().unwrap();
    assert_eq!(requirements.len(), 6);
    // Level 1 needs four verification steps (not yet), a score of 0 and risk
    // below high (both met).
    assert!((next["progress"].as_f64().unwrap() - 2.0 / 6.0).abs() < 1e-9);
    assert_eq!(b["risk"], "low");

    // A violation lowers compliance and so the score.
    let seller_user = app.get("/api/v1/users/me", &w.seller).await.id();
    app.post(
        "/api/v1/violations",
        &w.moderator,
        json!({"user_id": seller_user, "type": "content", "severity": "medium", "reason": "spam"}),
    )
    .await
    .assert_status(201);
    let after = app
        .get(
            &format!("/api/v1/sellers/{}/trust", w.seller_id),
            &w.moderator,
        )
        .await;
    after.assert_status(200);
    assert!((after.body["breakdown"]["compliance"].as_f64().unwrap() - 0.75).abs() < 1e-9);
    // One medium violation makes the risk medium, which does not hold promotion back.
    assert_eq!(after.body["risk"], "medium");
    assert!(after.body["score"].as_f64().unwrap() < b["score"].as_f64().unwrap());

    // Buyers, other sellers and other tenants learn nothing of it.
    for who in [&w.buyer, &w.other_seller] {
        app.get(&format!("/api/v1/sellers/{}/trust", w.seller_id), who)
            .await
            .assert_problem(404, "not_found");
    }
    let other = World::new(&app, "trust-standing-other").await;
    app.get(
        &format!("/api/v1/sellers/{}/trust", w.seller_id),
        &other.moderator,
    )
    .await
    .assert_problem(404, "not_found");
    app.get("/api/v1/sellers/me/trust", &w.buyer)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn trust_settings_are_validated_and_for_administrators() {
    let app = TestApp::start().await;
    let t = app.tenant("trust-settings").await;
    let admin = app.member(t, "admin", &[Role::TenantAdmin]);
    let moderator = app.member(t, "mod", &[Role::Moderator]);
    let seller = app.member(t, "seller", &[Role::Seller]);
    let settings = app.get("/api/v1/trust/settings", &moderator).await;
    settings.assert_status(200);
    assert_eq!(settings.body["features"]["api_access"], 3);
    app.get("/api/v1/trust/settings", &seller)
        .await
        .assert_problem(403, "forbidden");
    app.put("/api/v1/trust/settings", &moderator, settings.body.clone())
        .await
        .assert_problem(403, "forbidden");
    let mut bad = settings.body.clone();
    bad["listing_limits"] = json!([10, 5, null, null]);
    app.put("/api/v1/trust/settings", &admin, bad)
        .await
        .assert_problem(400, "invalid_input");
    let mut bad = settings.body.clone();
    bad["weights"]["ratings"] = json!(-1);
    app.put("/api/v1/trust/settings", &admin, bad)
        .await
        .assert_problem(400, "invalid_input");
    let mut bad = settings.body.clone();
    bad["features"]["payments"] = json!(9);
    app.put("/api/v1/trust/settings", &admin, bad)
        .await
        .assert_problem(400, "invalid_input");
    let mut unknown = settings.body.clone();
    unknown["colour"] = json!("red");
    app.put("/api/v1/trust/settings", &admin, unknown)
        .await
        .assert_problem(400, "invalid_body");
    assert_eq!(count_rows("trust_settings", t).await, 0);
}

/// The six-digit code in a message.
fn code_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}

#[tokio::test]
async fn a_seller_climbs_from_level_zero_to_two_by_verifying_and_selling_over_time() {
    use warden_tests::smtp;
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let (port, mailbox) = smtp::start();
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"sid": "SM1", "status": "queued"})),
        )
        .mount(&twilio)
        .await;
    let mut config = test_config();
    config.notifications.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    config.notifications.twilio = Some(warden_notifications::sms::TwilioConfig {
        account_sid: "AC1".into(),
        auth_token: "token".into(),
        from: Some("+15005550006".into()),
        messaging_service_sid: None,
        base_url: twilio.uri(),
        status_callback: None,
    });
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::start_with_clock(config, clock.clone()).await;
    let w = World::new(&app, "trust-climb").await;

    // E-mail: a code by mail; a wrong code counts, the right one verifies.
    let email = app
        .post(
            "/api/v1/sellers/me/verifications",
            &w.seller,
            json!({"step": "email"}),
        )
        .await;
    email.assert_status(201);
    assert_eq!(email.body["status"], "submitted");
    assert!(email.body.get("code_hash").is_none());
    let mail = mailbox.lock().unwrap().clone();
    assert_eq!(mail.len(), 1);
    let message = mail_parser::MessageParser::default()
        .parse(&mail[0].data)
        .unwrap();
    let code = code_in(&message.body_text(0).unwrap());
    let confirm = format!("/api/v1/sellers/me/verifications/{}/code", email.id());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    app.post(&confirm, &w.seller, json!({"code": wrong}))
        .await
        .assert_problem(400, "invalid_input");
    let ok = app.post(&confirm, &w.seller, json!({"code": code})).await;
    ok.assert_status(200);
    assert_eq!(ok.body["status"], "approved");
    assert_eq!(ok.body["code_attempts"], 1);
    app.post(&confirm, &w.seller, json!({"code": code}))
        .await
        .assert_problem(409, "conflict");

    // Phone: a code by SMS, expired after ten minutes.
    let phone = app
        .post(
            "/api/v1/sellers/me/verifications",
            &w.seller,
            json!({"step": "phone", "evidence": {"phone": "+34600000002"}}),
        )
        .await;
    phone.assert_status(201);
    let sms = twilio.received_requests().await.unwrap();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&sms[0].body)
        .into_owned()
        .collect();
    let body = form.iter().find(|(k, _)| k == "Body").unwrap().1.clone();
    assert_eq!(
        form.iter().find(|(k, _)| k == "To").unwrap().1,
        "+34600000002"
    );
    clock.advance(Duration::minutes(11));
    let phone_confirm = format!("/api/v1/sellers/me/verifications/{}/code", phone.id());
    app.post(&phone_confirm, &w.seller, json!({"code": code_in(&body)}))
        .await
        .assert_problem(409, "conflict");
    let phone = app
        .post(
            "/api/v1/sellers/me/verifications",
            &w.seller,
            json!({"step": "phone", "evidence": {"phone": "+34600000002"}}),
        )
        .await;
    let sms = twilio.received_requests().await.unwrap();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&sms[1].body)
        .into_owned()
        .collect();
    let body = form.iter().find(|(k, _)| k == "Body").unwrap().1.clone();
    app.post(
        &format!("/api/v1/sellers/me/verifications/{}/code", phone.id()),
        &w.seller,
        json!({"code": code_in(&body)}),
    )
    .await
    .assert_status(200);

    // Documents are reviewed by staff.
    let review = |vid: uuid::Uuid, decision: &'static str| {
        let path = format!("/api/v1/sellers/{}/verifications/{vid}/review", w.seller_id);
        let app = &app;
        let moderator = &w.moderator;
        async move {
            app.post(
                &path,
                moderator,
                json!({"decision": decision, "notes": "checked"}),
            )
            .await
        }
    };
    let submit = |step: &'static str| {
        let app = &app;
        let seller = &w.seller;
        async move {
            app.post(
                "/api/v1/sellers/me/verifications",
                seller,
                json!({"step": step, "evidence": {"document": format!("{step}.pdf")}}),
            )
            .await
            .id()
        }
    };
    let basics = submit("business_basics").await;
    review(basics, "reject").await.assert_status(200);
    assert_eq!(
        app.get("/api/v1/sellers/me/trust", &w.seller).await.body["level"],
        0
    );
    review(basics, "approve")
        .await
        .assert_problem(409, "conflict");
    let basics = submit("business_basics").await;
    // Sellers do not review their own documents.
    app.post(
        &format!(
            "/api/v1/sellers/{}/verifications/{basics}/review",
            w.seller_id
        ),
        &w.seller,
        json!({"decision": "approve"}),
    )
    .await
    .assert_problem(403, "forbidden");
    review(basics, "approve").await.assert_status(200);
    let setup = submit("store_setup").await;
    review(setup, "approve").await.assert_status(200);
    let one = app.get("/api/v1/sellers/me/trust", &w.seller).await;
    assert_eq!(one.body["level"], 1, "{}", one.text);
    assert_eq!(one.body["listing_limit"], 50);
    assert_eq!(
        one.body["features"],
        json!(["automated_order_processing", "payments", "basic_analytics"])
    );

    // Level 2: every document, and a score of 60. A new store's score is just under.
    for step in [
        "business_registration",
        "tax_id",
        "business_address",
        "bank_account",
    ] {
        let id = submit(step).await;
        review(id, "approve").await.assert_status(200);
    }
    let still = app.get("/api/v1/sellers/me/trust", &w.seller).await;
    assert_eq!(still.body["level"], 1);
    assert!(
        still.body["score"].as_f64().unwrap() < 60.0,
        "{}",
        still.text
    );
    // Half a year of selling later, the store's age lifts it over the threshold.
    clock.advance(Duration::days(180));
    let two = app.get("/api/v1/sellers/me/trust", &w.seller).await;
    assert_eq!(two.body["level"], 2, "{}", two.text);
    assert!(two.body["listing_limit"].is_null());
    let history = app
        .get(
            &format!("/api/v1/sellers/{}/verifications", w.seller_id),
            &w.moderator,
        )
        .await;
    assert_eq!(history.body.as_array().unwrap().len(), 10);
    app.get(
        &format!("/api/v1/sellers/{}/verifications", w.seller_id),
        &w.buyer,
    )
    .await
    .assert_problem(404, "not_found");
    // Every level change is kept.
    let mut conn = warden_tests::admin_conn().await;
    #[derive(diesel::QueryableByName)]
    struct Change {
        #[diesel(sql_type = diesel::sql_types::Text)]
        to_value: String,
    }
    let changes: Vec<Change> = diesel_async::RunQueryDsl::load(
        diesel::sql_query("SELECT to_value FROM trust_history WHERE tenant_id = $1 AND kind = 'level' ORDER BY id")
            .bind::<diesel::sql_types::Uuid, _>(w.tenant),
        &mut conn,
    )
    .await
    .unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|c| c.to_value.as_str())
            .collect::<Vec<_>>(),
        ["1", "2"]
    );
}

#[tokio::test]
async fn an_administrator_holds_a_store_at_a_level_and_the_history_keeps_why() {
    let app = TestApp::start().await;
    let w = World::new(&app, "trust-override").await;
    let path = format!("/api/v1/sellers/{}/trust/override", w.seller_id);
    app.put(
        &path,
        &w.moderator,
        json!({"level": 2, "reason": "partner"}),
    )
    .await
    .assert_problem(403, "forbidden");
    for bad in [
        json!({"level": 5, "reason": "x"}),
        json!({"level": 2, "reason": " "}),
    ] {
        app.put(&path, &w.admin, bad)
            .await
            .assert_problem(400, "invalid_input");
    }
    let held = app
        .put(
            &path,
            &w.admin,
            json!({"level": 2, "reason": "long-standing partner"}),
        )
        .await;
    held.assert_status(200);
    assert_eq!(held.body["level"], 2);
    assert!(held.body["listing_limit"].is_null());
    for n in 0..5 {
        app.post("/api/v1/products", &w.seller, listing(n))
            .await
            .assert_status(201);
    }
    let released = app
        .put(
            &path,
            &w.admin,
            json!({"level": null, "reason": "review ended"}),
        )
        .await;
    assert_eq!(released.body["level"], 0);
    app.post("/api/v1/products", &w.seller, listing(9))
        .await
        .assert_problem(403, "trust_level_limit");
    let history = app
        .get(
            &format!("/api/v1/sellers/{}/trust/history?limit=100", w.seller_id),
            &w.moderator,
        )
        .await;
    history.assert_status(200);
    let overrides: Vec<(String, String)> = history
        .items()
        .iter()
        .filter(|e| e["kind"] == "override")
        .map(|e| {
            (
                e["to_value"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        overrides,
        [
            ("earned".to_owned(), "review ended".to_owned()),
            ("2".to_owned(), "long-standing partner".to_owned())
        ]
    );
    app.get(
        &format!("/api/v1/sellers/{}/trust/history", w.seller_id),
        &w.buyer,
    )
    .await
    .assert_problem(404, "not_found");
}
