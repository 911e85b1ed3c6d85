//! How a store's trust level moves over time: recomputation on events and by
//! the daily pass, demotion after a warned grace period, immediate demotion
//! on a severe violation, high risk freezing promotion and lowering the
//! owner's rate limit, feature gates, and level 3 by staff approval.

use std::sync::Arc;

use chrono::{Duration, Utc};
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use uuid::Uuid;
use warden_tenancy::clock::{Clock, ManualClock};
use warden_tenancy::{ScopedFutureExt, TenantId, queue};
use warden_tests::{As, TestApp, World, admin_conn, count_rows, test_config};
use warden_trust::jobs as trust_jobs;
use warden_trust::standing::STEPS;

/// Records the level-1 and level-2 verification steps of `seller` as approved
/// (their own flow, codes and reviews, is tested in `trust.rs`).
async fn approve_documents(tenant: Uuid, seller: Uuid) {
    let mut conn = admin_conn().await;
    for step in STEPS[..2].iter().flat_map(|s| s.iter()) {
        diesel::sql_query(
            "INSERT INTO seller_verifications (tenant_id, id, seller_id, step, status, decided_at)
             VALUES ($1, gen_random_uuid(), $2, $3, 'approved', now())",
        )
        .bind::<SqlUuid, _>(tenant)
        .bind::<SqlUuid, _>(seller)
        .bind::<Text, _>(*step)
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

/// Runs the tenant's daily trust pass now (it is otherwise due a day later).
async fn run_daily(app: &TestApp, tenant: Uuid) {
    let t = TenantId::new(tenant);
    app.state
        .db
        .tenant_tx(t, |conn| {
            async move { queue::enqueue(conn, t, trust_jobs::DAILY, json!({}), None).await }
                .scope_boxed()
        })
        .await
        .unwrap();
    app.run_jobs(tenant).await;
    // Every job of the pass succeeded (a failed one would only be retried later).
    let mut conn = admin_conn().await;
    #[derive(diesel::QueryableByName)]
    struct Failed {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let failed: Failed = diesel::sql_query(
        "SELECT count(*) AS n FROM job_queue WHERE tenant_id = $1 AND last_error IS NOT NULL",
    )
    .bind::<SqlUuid, _>(tenant)
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(failed.n, 0, "a trust job failed");
}

/// The stored earned level and pending demotion of `seller`, as the jobs
/// left them (reading the standing through the API would re-evaluate it).
async fn stored(seller: Uuid) -> (i32, Option<chrono::DateTime<Utc>>) {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        level: i32,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
        demotion_due_at: Option<chrono::DateTime<Utc>>,
    }
    let mut conn = admin_conn().await;
    let row: Row =
        diesel::sql_query("SELECT level, demotion_due_at FROM seller_trust WHERE seller_id = $1")
            .bind::<SqlUuid, _>(seller)
            .get_result(&mut conn)
            .await
            .unwrap();
    (row.level, row.demotion_due_at)
}

async fn standing(app: &TestApp, w: &World) -> Value {
    let r = app
        .get(
            &format!("/api/v1/sellers/{}/trust", w.seller_id),
            &w.moderator,
        )
        .await;
    r.assert_status(200);
    r.body
}

async fn set_thresholds(app: &TestApp, admin: &As, thresholds: [f64; 3]) {
    let mut settings = app.get("/api/v1/trust/settings", admin).await.body;
    settings["score_thresholds"] = json!(thresholds);
    app.put("/api/v1/trust/settings", admin, settings)
        .await
        .assert_status(200);
}

/// The seller's trust notifications, newest first: (kind, data).
async fn trust_notices(app: &TestApp, seller: &As) -> Vec<(String, Value)> {
    app.get("/api/v1/notifications?category=trust", seller)
        .await
        .items()
        .into_iter()
        .map(|n| (n["kind"].as_str().unwrap().to_owned(), n["data"].clone()))
        .collect()
}

async fn history_kinds(app: &TestApp, w: &World) -> Vec<(String, String, String)> {
    app.get(
        &format!("/api/v1/sellers/{}/trust/history?limit=100", w.seller_id),
        &w.moderator,
    )
    .await
    .items()
    .iter()
    .filter(|e| e["kind"] != "score")
    .map(|e| {
        (
            e["kind"].as_str().unwrap().to_owned(),
            e["to_value"].as_str().unwrap().to_owned(),
            e["reason"].as_str().unwrap().to_owned(),
        )
    })
    .collect()
}

/// A store at level 2: documents approved and half a year of selling.
async fn trusted_store(name: &str) -> (TestApp, Arc<ManualClock>, World) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::start_with_clock(test_config(), clock.clone()).await;
    let w = World::new(&app, name).await;
    approve_documents(w.tenant, w.seller_id).await;
    clock.advance(Duration::days(180));
    let s = standing(&app, &w).await;
    assert_eq!(s["level"], 2, "{s}");
    (app, clock, w)
}

#[tokio::test]
async fn events_queue_one_recomputation_per_store_and_the_first_schedules_the_daily_pass() {
    let app = TestApp::start().await;
    let w = World::new(&app, "trust-events").await;
    let mut conn = admin_conn().await;
    #[derive(diesel::QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let waiting = |tenant: Uuid| {
        diesel::sql_query(
            "SELECT kind, count(*) AS n FROM job_queue WHERE tenant_id = $1 AND status = 'queued'
               AND kind LIKE 'trust.%' GROUP BY kind ORDER BY kind",
        )
        .bind::<SqlUuid, _>(tenant)
    };
    // Two new stores, an order moved three times, a review: one waiting
    // recomputation per store, nothing scheduled daily before a first run.
    let before: Vec<Waiting> = waiting(w.tenant).load(&mut conn).await.unwrap();
    let before: Vec<(String, i64)> = before.into_iter().map(|r| (r.kind, r.n)).collect();
    assert_eq!(before, [("trust.recompute".to_owned(), 2)]);
    assert_eq!(count_rows("seller_trust", w.tenant).await, 0);
    assert_eq!(app.run_jobs(w.tenant).await, 2);
    assert_eq!(count_rows("seller_trust", w.tenant).await, 2);
    let after: Vec<Waiting> = waiting(w.tenant).load(&mut conn).await.unwrap();
    let after: Vec<(String, i64)> = after.into_iter().map(|r| (r.kind, r.n)).collect();
    assert_eq!(after, [("trust.daily".to_owned(), 1)]);
    // The daily pass recomputes every store and leaves one pass scheduled.
    let mut conn2 = admin_conn().await;
    diesel::sql_query("UPDATE seller_trust SET score = 0 WHERE tenant_id = $1")
        .bind::<SqlUuid, _>(w.tenant)
        .execute(&mut conn2)
        .await
        .unwrap();
    run_daily(&app, w.tenant).await;
    #[derive(diesel::QueryableByName)]
    struct Score {
        #[diesel(sql_type = diesel::sql_types::Float)]
        score: f32,
    }
    let scores: Vec<Score> =
        diesel::sql_query("SELECT score FROM seller_trust WHERE tenant_id = $1")
            .bind::<SqlUuid, _>(w.tenant)
            .load(&mut conn2)
            .await
            .unwrap();
    assert!(scores.iter().all(|s| s.score > 0.0));
    let after: Vec<Waiting> = waiting(w.tenant).load(&mut conn).await.unwrap();
    let after: Vec<(String, i64)> = after.into_iter().map(|r| (r.kind, r.n)).collect();
    assert_eq!(after, [("trust.daily".to_owned(), 1)]);
}

#[tokio::test]
async fn a_store_below_its_threshold_is_warned_and_demoted_after_the_grace_period() {
    let (app, clock, w) = trusted_store("trust-grace").await;
    let score = standing(&app, &w).await["score"].as_f64().unwrap();
    // The tenant raises the bar of level 2 above the store's score.
    set_thresholds(&app, &w.admin, [0.0, score + 5.0, 99.0]).await;
    run_daily(&app, w.tenant).await;
    let (level, due) = stored(w.seller_id).await;
    assert_eq!(level, 2);
    assert!(due.is_some(), "the daily pass started the grace period");
    let warned = standing(&app, &w).await;
    assert_eq!(warned["level"], 2);
    let due: chrono::DateTime<Utc> =
        serde_json::from_value(warned["demotion_due_at"].clone()).unwrap();
    assert!(
        (due - (clock.now() + Duration::days(14)))
            .num_seconds()
            .abs()
            < 5
    );
    let notices = trust_notices(&app, &w.seller).await;
    assert_eq!(notices[0].0, "trust_demotion_warning");
    assert_eq!(notices[0].1["level"], "2");
    // Recovering before the date clears the warning.
    set_thresholds(&app, &w.admin, [0.0, 60.0, 80.0]).await;
    run_daily(&app, w.tenant).await;
    assert_eq!(stored(w.seller_id).await, (2, None));
    // Below again: a new warning, still level 2 a day before the date ...
    set_thresholds(&app, &w.admin, [0.0, score + 5.0, 99.0]).await;
    run_daily(&app, w.tenant).await;
    clock.advance(Duration::days(13));
    run_daily(&app, w.tenant).await;
    assert_eq!(stored(w.seller_id).await.0, 2);
    // ... and level 1 once it has passed.
    clock.advance(Duration::days(2));
    run_daily(&app, w.tenant).await;
    assert_eq!(stored(w.seller_id).await, (1, None));
    let demoted = standing(&app, &w).await;
    assert_eq!(demoted["level"], 1, "{demoted}");
    assert_eq!(demoted["listing_limit"], 50);
    assert!(demoted["demotion_due_at"].is_null());
    let notices = trust_notices(&app, &w.seller).await;
    assert_eq!(notices[0].0, "trust_level_changed");
    assert_eq!(notices[0].1["from"], "2");
    assert_eq!(notices[0].1["to"], "1");
    assert_eq!(notices[0].1["direction"], "down");
    // One statement of reasons for the demotion, automated, naming the new limit.
    let inbox = app.get("/api/v1/notifications", &w.seller).await.items();
    let statements: Vec<&Value> = inbox
        .iter()
        .filter(|n| n["kind"] == "statement_of_reasons")
        .collect();
    assert_eq!(statements.len(), 1, "{inbox:?}");
    assert_eq!(statements[0]["data"]["decision"], "demoted");
    assert_eq!(statements[0]["data"]["automated"], true);
    assert!(
        statements[0]["data"]["facts"]
            .as_str()
            .unwrap()
            .contains("allows at most 50 listings")
    );
    let history = history_kinds(&app, &w).await;
    let kinds: Vec<(&str, &str)> = history
        .iter()
        .map(|(k, to, _)| (k.as_str(), to.as_str()))
        .filter(|(k, _)| *k != "risk")
        .map(|(k, to)| {
            (
                k,
                if k == "warning" && to != "cleared" {
                    "due"
                } else {
                    to
                },
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("level", "1"),
            ("warning", "due"),
            ("warning", "cleared"),
            ("warning", "due"),
            ("level", "2"),
        ]
    );
    assert!(history[0].2.contains("grace period"), "{history:?}");
}

#[tokio::test]
async fn a_severe_violation_demotes_at_once_freezes_promotion_and_lowers_the_rate_limit() {
    let (app, _clock, w) = trusted_store("trust-severe").await;
    let mut settings = app.get("/api/v1/trust/settings", &w.admin).await.body;
    settings["high_risk_requests_per_minute"] = json!(5);
    app.put("/api/v1/trust/settings", &w.admin, settings)
        .await
        .assert_status(200);
    let seller_user = app.get("/api/v1/users/me", &w.seller).await.id();
    assert_eq!(standing(&app, &w).await["risk"], "low");
    // A high violation drops the level in the violation's own transaction.
    app.post(
        "/api/v1/violations",
        &w.moderator,
        json!({"user_id": seller_user, "type": "behavior", "severity": "high", "reason": "fake tracking numbers"}),
    )
    .await
    .assert_status(201);
    assert_eq!(stored(w.seller_id).await.0, 1);
    // Its steps and score would lift it back, but high risk freezes promotion.
    app.run_jobs(w.tenant).await;
    let after = standing(&app, &w).await;
    assert_eq!(after["level"], 1, "{after}");
    assert_eq!(after["risk"], "high");
    let risk = after["next_level"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == "risk")
        .unwrap()
        .clone();
    assert_eq!(risk["met"], false);
    let notices = trust_notices(&app, &w.seller).await;
    assert_eq!(notices[0].0, "trust_level_changed");
    assert_eq!(notices[0].1["direction"], "down");
    assert!(
        notices[0].1["reason"]
            .as_str()
            .unwrap()
            .starts_with("high violation"),
        "{notices:?}"
    );
    // The owner's requests are held to 5 a minute once the replica's user
    // cache (10 s) has let go of the old state; others are not.
    app.state.users.invalidate_all();
    for _ in 0..5 {
        app.get("/api/v1/users/me", &w.seller)
            .await
            .assert_status(200);
    }
    let limited = app.get("/api/v1/users/me", &w.seller).await;
    limited.assert_problem(429, "rate_limited");
    for _ in 0..8 {
        app.get("/api/v1/users/me", &w.other_seller)
            .await
            .assert_status(200);
    }
}

#[tokio::test]
async fn gated_features_need_their_level() {
    let app = TestApp::start().await;
    let w = World::new(&app, "trust-gates").await;
    let gated = app.get("/api/v1/sellers/me/analytics", &w.seller).await;
    gated.assert_problem(403, "trust_level_required");
    assert_eq!(gated.body["feature"], "basic_analytics");
    assert_eq!(gated.body["required_level"], 1);
    assert_eq!(gated.body["level"], 0);
    let bulk = json!({"product_ids": [w.product_id], "status": "archived"});
    app.post("/api/v1/products/bulk-status", &w.seller, bulk.clone())
        .await
        .assert_problem(403, "trust_level_required");
    let product = app
        .get(&format!("/api/v1/products/{}", w.product_id), &w.seller)
        .await;
    assert_eq!(product.body["status"], "active");
    // Buyers have no store to gate.
    app.get("/api/v1/sellers/me/analytics", &w.buyer)
        .await
        .assert_problem(404, "not_found");

    // At level 2 (held by an administrator here) both open.
    app.put(
        &format!("/api/v1/sellers/{}/trust/override", w.seller_id),
        &w.admin,
        json!({"level": 2, "reason": "pilot"}),
    )
    .await
    .assert_status(200);
    let stats = app.get("/api/v1/sellers/me/analytics", &w.seller).await;
    stats.assert_status(200);
    assert_eq!(stats.body["orders_by_status"], json!({"delivered": 1}));
    assert_eq!(
        stats.body["revenue"],
        json!([{"currency": "USD", "delivered_minor": 5000, "orders": 1}])
    );
    assert_eq!(stats.body["reviews"], 1);
    assert_eq!(stats.body["mean_rating"], 5.0);
    assert_eq!(stats.body["listings_by_status"], json!({"active": 1}));
    for days in ["0", "366", "x"] {
        let r = app
            .get(
                &format!("/api/v1/sellers/me/analytics?days={days}"),
                &w.seller,
            )
            .await;
        assert_eq!(r.status, 400, "days={days}: {}", r.text);
    }
    // Bulk changes are all or none, on the store's own listings only.
    let second = app
        .post(
            "/api/v1/products",
            &w.seller,
            json!({"title": "Cup", "price_minor": 500, "currency": "USD"}),
        )
        .await
        .id();
    for bad in [
        json!({"product_ids": [], "status": "archived"}),
        json!({"product_ids": [second], "status": "deleted"}),
    ] {
        app.post("/api/v1/products/bulk-status", &w.seller, bad)
            .await
            .assert_status(400);
    }
    app.post(
        "/api/v1/products/bulk-status",
        &w.seller,
        json!({"product_ids": [second, w.other_product_id], "status": "archived"}),
    )
    .await
    .assert_problem(404, "not_found");
    let untouched = app
        .get(&format!("/api/v1/products/{second}"), &w.seller)
        .await;
    assert_eq!(untouched.body["status"], "active");
    let done = app
        .post(
            "/api/v1/products/bulk-status",
            &w.seller,
            // A repeated id counts once.
            json!({"product_ids": [second, w.product_id, second], "status": "archived"}),
        )
        .await;
    done.assert_status(200);
    assert_eq!(done.body["updated"].as_array().unwrap().len(), 2);
    for id in [second, w.product_id] {
        let p = app.get(&format!("/api/v1/products/{id}"), &w.seller).await;
        assert_eq!(p.body["status"], "archived");
    }
    // The tenant may open a feature to every level.
    let mut settings = app.get("/api/v1/trust/settings", &w.admin).await.body;
    settings["features"]["basic_analytics"] = json!(0);
    app.put("/api/v1/trust/settings", &w.admin, settings)
        .await
        .assert_status(200);
    app.get("/api/v1/sellers/me/analytics", &w.other_seller)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn level_three_takes_a_staff_approval_each_time() {
    let (app, clock, w) = trusted_store("trust-premium").await;
    let score = standing(&app, &w).await["score"].as_f64().unwrap();
    let performance = json!({"step": "performance", "evidence": {"note": "a year of sales"}});
    // Below the level-3 score, performance cannot be submitted.
    app.post(
        "/api/v1/sellers/me/verifications",
        &w.seller,
        performance.clone(),
    )
    .await
    .assert_problem(409, "conflict");
    set_thresholds(&app, &w.admin, [0.0, score - 20.0, score - 10.0]).await;
    let submitted = app
        .post(
            "/api/v1/sellers/me/verifications",
            &w.seller,
            performance.clone(),
        )
        .await;
    submitted.assert_status(201);
    assert_eq!(submitted.body["evidence"]["note"], "a year of sales");
    assert!(
        submitted.body["evidence"]["standing"]["score"]
            .as_f64()
            .unwrap()
            >= score - 10.0
    );
    // Meeting the score is not enough: staff decide.
    assert_eq!(standing(&app, &w).await["level"], 2);
    let review = |id: Uuid| {
        let path = format!("/api/v1/sellers/{}/verifications/{id}/review", w.seller_id);
        let app = &app;
        let moderator = &w.moderator;
        async move {
            app.post(
                &path,
                moderator,
                json!({"decision": "approve", "notes": "strong"}),
            )
            .await
            .assert_status(200);
        }
    };
    review(submitted.id()).await;
    let premium = standing(&app, &w).await;
    assert_eq!(premium["level"], 3, "{premium}");
    assert!(premium["next_level"].is_null());
    assert_eq!(
        premium["features"].as_array().unwrap().len(),
        7,
        "every feature at level 3"
    );
    let notices = trust_notices(&app, &w.seller).await;
    assert_eq!(notices[0].1["to"], "3");
    assert_eq!(notices[0].1["direction"], "up");
    // Fallen from level 3 after a grace period, the old approval no longer counts.
    set_thresholds(&app, &w.admin, [0.0, score - 20.0, score + 10.0]).await;
    run_daily(&app, w.tenant).await;
    clock.advance(Duration::days(15));
    run_daily(&app, w.tenant).await;
    assert_eq!(stored(w.seller_id).await, (2, None));
    set_thresholds(&app, &w.admin, [0.0, score - 20.0, score - 10.0]).await;
    run_daily(&app, w.tenant).await;
    let back = standing(&app, &w).await;
    assert_eq!(back["level"], 2, "{back}");
    let performance_req = back["next_level"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == "performance")
        .unwrap()
        .clone();
    assert_eq!(performance_req["met"], false);
    let again = app
        .post("/api/v1/sellers/me/verifications", &w.seller, performance)
        .await;
    again.assert_status(201);
    review(again.id()).await;
    assert_eq!(standing(&app, &w).await["level"], 3);
}
