//! Seller trust: the listing limit of level 0, a seller's standing (score
//! from real orders, reviews and conversations on a controllable clock), the
//! tenant's settings, and who may see what.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use warden_commerce::Role;
use warden_enforcement::ManualClock;
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
    assert_eq!(b["features"], json!([]));
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
    assert_eq!(requirements.len(), 5);
    // Level 1 needs a score of 0 (met) and four verification steps (not yet).
    assert!((next["progress"].as_f64().unwrap() - 0.2).abs() < 1e-9);

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
