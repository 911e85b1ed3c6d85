//! Behavior patterns over the live activity stream (windows and cooldowns in
//! real Redis), shadow and live mode, backtests against the stored log,
//! ad-hoc analysis, detection review, and tenant isolation.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_tenancy::TenantId;
use warden_tests::{As, TestApp, admin_conn, count_rows};

struct Staff {
    tenant: Uuid,
    admin: As,
    moderator: As,
}

async fn staff(app: &TestApp, name: &str) -> Staff {
    let tenant = app.tenant(name).await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let moderator = app.member(tenant, "mod", &[Role::Moderator]);
    app.get("/api/v1/users/me", &admin).await.assert_status(200);
    app.get("/api/v1/users/me", &moderator)
        .await
        .assert_status(200);
    Staff {
        tenant,
        admin,
        moderator,
    }
}

async fn pattern(app: &TestApp, admin: &As, body: Value) -> Uuid {
    let r = app.post("/api/v1/behavior/patterns", admin, body).await;
    r.assert_status(201);
    r.id()
}

/// Waits until every event served so far has been evaluated.
async fn settle(app: &TestApp) {
    app.state.audit.flush().await.unwrap();
    app.state.detector.drain().await;
}

async fn detections(app: &TestApp, who: &As, query: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/behavior/detections?{query}"), who)
        .await;
    r.assert_status(200);
    r.items()
}

fn failed_logins(mode: &str) -> Value {
    json!({
        "name": "credential stuffing",
        "condition": {"field": "action", "op": "eq", "value": "auth_failure"},
        "window": {"seconds": 60, "per": "ip", "aggregate": "count", "above": 5},
        "severity": "high",
        "cooldown_seconds": 300,
        "mode": mode
    })
}

#[tokio::test]
async fn more_than_five_failed_logins_in_a_minute_fire_once_per_cooldown() {
    let app = TestApp::start().await;
    let s = staff(&app, "failed-logins").await;
    let id = pattern(&app, &s.admin, failed_logins("shadow")).await;
    let intruder = As {
        token: Some("not-a-token".into()),
        tenant: Some(s.tenant.to_string()),
    };
    for _ in 0..5 {
        app.get("/api/v1/products", &intruder)
            .await
            .assert_problem(401, "invalid_token");
    }
    settle(&app).await;
    assert!(
        detections(&app, &s.moderator, "").await.is_empty(),
        "five is not more than five"
    );
    for _ in 0..7 {
        app.get("/api/v1/products", &intruder)
            .await
            .assert_problem(401, "invalid_token");
    }
    settle(&app).await;
    let found = detections(&app, &s.moderator, &format!("pattern_id={id}")).await;
    assert_eq!(found.len(), 1, "one detection per cooldown: {found:?}");
    let d = &found[0];
    assert_eq!(d["observed"], 6.0);
    assert_eq!(d["group_key"], "127.0.0.1");
    assert_eq!(d["mode"], "shadow");
    assert_eq!(d["severity"], "high");
    // Confidence: 0.5 + 0.5 × (6 − 5) / 5.
    assert!((d["confidence"].as_f64().unwrap() - 0.6).abs() < 1e-6);
    // The evidence: the events (readable in the log), metrics, history.
    let detail = app
        .get(
            &format!("/api/v1/behavior/detections/{}", d["id"].as_str().unwrap()),
            &s.moderator,
        )
        .await;
    detail.assert_status(200);
    // Failed authentications belong to no tenant's log (the platform log
    // holds them), so the evidence keeps their ids and the trigger itself.
    let evidence = &detail.body["evidence"];
    assert_eq!(
        evidence["event_ids"].as_array().unwrap().len(),
        6,
        "{}",
        detail.text
    );
    assert_eq!(evidence["trigger"]["action"], "auth_failure");
    assert_eq!(evidence["trigger"]["status"], 401);
    assert_eq!(evidence["window"]["observed"], 6.0);
    assert!(detail.body["evidence"]["metrics"]["audit_queue_depth"].is_number());
    assert_eq!(detail.body["evidence"]["history"]["detections"]["count"], 0);
    let metrics = app.get("/metrics", &As::anonymous()).await.text;
    let detected = metrics
        .lines()
        .find_map(|l| l.strip_prefix("warden_behavior_detections_total "))
        .unwrap();
    assert!(detected.parse::<u64>().unwrap() >= 1, "{metrics}");
    // Another tenant's patterns never see this tenant's events.
    let other = staff(&app, "failed-logins-other").await;
    pattern(&app, &other.admin, failed_logins("shadow")).await;
    settle(&app).await;
    assert!(detections(&app, &other.moderator, "").await.is_empty());
}

#[tokio::test]
async fn shadow_mode_records_and_enforces_nothing_live_mode_enforces_once() {
    let app = TestApp::start().await;
    let s = staff(&app, "shadow-live").await;
    let seller = app.member(s.tenant, "seller", &[Role::Seller]);
    let seller_id = app.get("/api/v1/users/me", &seller).await.id();
    let mut body = json!({
        "name": "store churn",
        "condition": {"all": [
            {"field": "method", "op": "eq", "value": "PUT"},
            {"field": "route", "op": "eq", "value": "/api/v1/sellers/me"}
        ]},
        "severity": "medium",
        "mode": "shadow"
    });
    let id = pattern(&app, &s.admin, body.clone()).await;
    app.put("/api/v1/sellers/me", &seller, json!({"store_name": "one"}))
        .await
        .assert_status(201);
    settle(&app).await;
    let shadow = detections(&app, &s.moderator, "").await;
    assert_eq!(shadow.len(), 1);
    assert_eq!(shadow[0]["mode"], "shadow");
    assert_eq!(shadow[0]["actor_id"], seller_id.to_string());
    assert_eq!(shadow[0]["confidence"], 1.0);
    let detail = app
        .get(
            &format!(
                "/api/v1/behavior/detections/{}",
                shadow[0]["id"].as_str().unwrap()
            ),
            &s.moderator,
        )
        .await;
    assert_eq!(
        detail.body["events"][0]["route"], "/api/v1/sellers/me",
        "{}",
        detail.text
    );
    let runner = app.state.job_runner();
    while runner
        .run_next("t", Some(TenantId::new(s.tenant)))
        .await
        .unwrap()
    {}
    assert_eq!(count_rows("violations", s.tenant).await, 0);
    // Confirming a shadow detection records agreement, not enforcement.
    let confirmed = app
        .post(
            &format!(
                "/api/v1/behavior/detections/{}/review",
                shadow[0]["id"].as_str().unwrap()
            ),
            &s.moderator,
            json!({"status": "confirmed", "note": "right"}),
        )
        .await;
    assert_eq!(confirmed.body["status"], "confirmed");
    while runner
        .run_next("t", Some(TenantId::new(s.tenant)))
        .await
        .unwrap()
    {}
    assert_eq!(count_rows("violations", s.tenant).await, 0);

    body["mode"] = json!("live");
    // A live pattern needs a cooldown, so that one burst makes one violation.
    app.put(
        &format!("/api/v1/behavior/patterns/{id}"),
        &s.admin,
        body.clone(),
    )
    .await
    .assert_problem(400, "invalid_input");
    body["cooldown_seconds"] = json!(600);
    app.put(&format!("/api/v1/behavior/patterns/{id}"), &s.admin, body)
        .await
        .assert_status(200);
    app.put("/api/v1/sellers/me", &seller, json!({"store_name": "two"}))
        .await
        .assert_status(200);
    settle(&app).await;
    let live = detections(&app, &s.moderator, "status=open").await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0]["mode"], "live");
    while runner
        .run_next("t", Some(TenantId::new(s.tenant)))
        .await
        .unwrap()
    {}
    let v = app
        .get(
            &format!("/api/v1/violations?user={seller_id}"),
            &s.moderator,
        )
        .await;
    let items = v.items();
    assert_eq!(items.len(), 1, "{}", v.text);
    assert_eq!(items[0]["type"], "behavior");
    assert_eq!(items[0]["source"]["kind"], "detection");
    assert_eq!(items[0]["source"]["id"], live[0]["id"]);
    // Decided on the detection's events, under the pattern, automatically.
    let detail = app
        .get(
            &format!("/api/v1/violations/{}", items[0]["id"].as_str().unwrap()),
            &seller,
        )
        .await;
    detail.assert_status(200);
    let evidence = &detail.body["evidence"];
    assert_eq!(
        evidence["rules"][0]["name"], "store churn",
        "{}",
        detail.text
    );
    assert!(evidence["decided_by"].is_null());
    assert!(!evidence["events"].is_null(), "{}", detail.text);
    let statement = &detail.body["statement"];
    assert_eq!(statement["ground"]["name"], "store churn");
    assert_eq!(statement["automated"], true);
    assert_eq!(statement["decision"], "warning");
    // Confirming it afterwards does not make a second violation.
    app.post(
        &format!(
            "/api/v1/behavior/detections/{}/review",
            live[0]["id"].as_str().unwrap()
        ),
        &s.moderator,
        json!({"status": "confirmed"}),
    )
    .await
    .assert_status(200);
    while runner
        .run_next("t", Some(TenantId::new(s.tenant)))
        .await
        .unwrap()
    {}
    assert_eq!(count_rows("violations", s.tenant).await, 1);
    // A reviewed detection cannot be reviewed again.
    app.post(
        &format!(
            "/api/v1/behavior/detections/{}/review",
            live[0]["id"].as_str().unwrap()
        ),
        &s.moderator,
        json!({"status": "dismissed"}),
    )
    .await
    .assert_problem(409, "conflict");
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[tokio::test]
async fn a_backtest_counts_what_a_direct_count_of_the_log_finds() {
    let app = TestApp::start().await;
    let s = staff(&app, "backtest").await;
    let from = chrono::Utc::now() - chrono::Duration::minutes(1);
    for n in 0..9 {
        let path = if n % 3 == 0 {
            "/api/v1/products".to_owned()
        } else {
            format!("/api/v1/products/{}", Uuid::now_v7())
        };
        app.get(&path, &s.moderator).await;
    }
    settle(&app).await;
    let to = chrono::Utc::now() + chrono::Duration::minutes(1);
    // A disabled pattern: backtests are how one decides to turn it on.
    let id = pattern(
        &app,
        &s.admin,
        json!({"name": "misses", "condition": {"field": "status", "op": "eq", "value": 404},
               "severity": "low", "enabled": false}),
    )
    .await;
    let mut conn = admin_conn().await;
    let direct: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM activity_log WHERE tenant_id = $1 AND status = 404
         AND occurred_at >= $2 AND occurred_at < $3",
    )
    .bind::<SqlUuid, _>(s.tenant)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(direct.n, 6);
    let body = json!({"from": from, "to": to});
    let report = app
        .post(
            &format!("/api/v1/behavior/patterns/{id}/backtest"),
            &s.moderator,
            body.clone(),
        )
        .await;
    report.assert_status(200);
    assert_eq!(
        report.body["detections"].as_i64().unwrap(),
        direct.n,
        "{}",
        report.text
    );
    assert_eq!(report.body["events_matched"].as_i64().unwrap(), direct.n);
    assert_eq!(report.body["created"], 0);
    assert_eq!(
        count_rows("behavior_detections", s.tenant).await,
        0,
        "a backtest changes nothing"
    );
    // A reversed range reads nothing; a range longer than 31 days reads the
    // last 31 days before `to` and says so.
    let reversed = app
        .post(
            &format!("/api/v1/behavior/patterns/{id}/backtest"),
            &s.moderator,
            json!({"from": to, "to": from}),
        )
        .await;
    reversed.assert_status(200);
    assert_eq!(reversed.body["events_scanned"], 0, "{}", reversed.text);
    let long = app
        .post(
            &format!("/api/v1/behavior/patterns/{id}/backtest"),
            &s.moderator,
            json!({"from": to - chrono::Duration::days(90), "to": to}),
        )
        .await;
    long.assert_status(200);
    assert_eq!(
        long.body["from"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        to - chrono::Duration::days(31),
        "{}",
        long.text
    );
    assert_eq!(long.body["detections"].as_i64().unwrap(), direct.n);
    // A windowed version: more than 2 misses per actor in a minute, cooldown an hour.
    app.put(
        &format!("/api/v1/behavior/patterns/{id}"),
        &s.admin,
        json!({"name": "misses", "condition": {"field": "status", "op": "eq", "value": 404},
               "window": {"minutes": 1, "per": "actor", "aggregate": "count", "above": 2},
               "cooldown_seconds": 3600, "severity": "low", "enabled": false}),
    )
    .await
    .assert_status(200);
    let windowed = app
        .post(
            &format!("/api/v1/behavior/patterns/{id}/backtest"),
            &s.moderator,
            body.clone(),
        )
        .await;
    assert_eq!(windowed.body["detections"], 1, "{}", windowed.text);
    // Retroactive run: records, once, and never enforces.
    let mut create = body.clone();
    create["create"] = json!(true);
    app.post(
        &format!("/api/v1/behavior/patterns/{id}/backtest"),
        &s.moderator,
        create.clone(),
    )
    .await
    .assert_problem(403, "forbidden");
    let created = app
        .post(
            &format!("/api/v1/behavior/patterns/{id}/backtest"),
            &s.admin,
            create.clone(),
        )
        .await;
    assert_eq!(created.body["created"], 1, "{}", created.text);
    let again = app
        .post(
            &format!("/api/v1/behavior/patterns/{id}/backtest"),
            &s.admin,
            create,
        )
        .await;
    assert_eq!(again.body["created"], 0);
    assert_eq!(count_rows("behavior_detections", s.tenant).await, 1);
    let d = detections(&app, &s.moderator, "").await;
    assert_eq!(d[0]["source"], "retroactive");
}

#[tokio::test]
async fn analyze_evaluates_given_events_without_storing_anything() {
    let app = TestApp::start().await;
    let s = staff(&app, "analyze").await;
    let events: Vec<Value> = (0..8)
        .map(|n| json!({"action": "auth_failure", "client_ip": if n < 7 { "10.0.0.1" } else { "10.0.0.2" }}))
        .collect();
    let r = app
        .post(
            "/api/v1/behavior/analyze",
            &s.moderator,
            json!({"events": events, "pattern": failed_logins("live")}),
        )
        .await;
    r.assert_status(200);
    let fired = r.body["detections"].as_array().unwrap();
    assert_eq!(fired.len(), 1, "{}", r.text);
    assert_eq!(fired[0]["event_index"], 5);
    assert_eq!(fired[0]["group_key"], "10.0.0.1");
    // Against the tenant's own patterns: none yet.
    let none = app
        .post(
            "/api/v1/behavior/analyze",
            &s.moderator,
            json!({"events": events}),
        )
        .await;
    assert_eq!(none.body["patterns"], 0);
    assert_eq!(count_rows("behavior_detections", s.tenant).await, 0);
    app.post(
        "/api/v1/behavior/analyze",
        &s.moderator,
        json!({"events": []}),
    )
    .await
    .assert_problem(400, "invalid_input");
    app.post(
        "/api/v1/behavior/analyze",
        &s.moderator,
        json!({"events": [{"action": "x", "metadata": [1]}]}),
    )
    .await
    .assert_problem(400, "invalid_input");
}

#[tokio::test]
async fn patterns_are_validated_on_save_with_the_path_of_the_problem() {
    let app = TestApp::start().await;
    let s = staff(&app, "pattern-validation").await;
    let base = failed_logins("shadow");
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!({"field": "action", "op": "eqq", "value": 1}),
            400,
            "invalid_input",
            "condition.op",
        ),
        (
            json!({"field": "stauts", "op": "eq", "value": 1}),
            400,
            "invalid_input",
            "condition.field",
        ),
        (
            json!({"all": [{"field": "status", "op": "gt", "value": "x"}]}),
            400,
            "invalid_input",
            "condition.all[0].value",
        ),
        (
            json!({"any": [{"field": "path", "op": "regex", "value": "("}]}),
            400,
            "invalid_input",
            "condition.any[0].value",
        ),
        (
            json!({"field": "status", "op": "in", "value": 5}),
            400,
            "invalid_input",
            "condition.value",
        ),
    ];
    for (condition, status, code, path) in cases {
        let mut body = base.clone();
        body["condition"] = condition;
        let r = app.post("/api/v1/behavior/patterns", &s.admin, body).await;
        r.assert_problem(status, code);
        assert!(
            r.body["detail"].as_str().unwrap().starts_with(path),
            "{path}: {}",
            r.text
        );
    }
    let mut two_units = base.clone();
    two_units["window"] = json!({"seconds": 60, "minutes": 1, "aggregate": "count", "above": 5});
    let r = app
        .post("/api/v1/behavior/patterns", &s.admin, two_units)
        .await;
    r.assert_problem(400, "invalid_input");
    assert!(
        r.body["detail"].as_str().unwrap().starts_with("window"),
        "{}",
        r.text
    );
    let mut nul = base.clone();
    nul["name"] = json!("bad\u{0}name");
    app.post("/api/v1/behavior/patterns", &s.admin, nul)
        .await
        .assert_problem(400, "invalid_input");
    let mut unknown = base.clone();
    unknown["colour"] = json!("red");
    app.post("/api/v1/behavior/patterns", &s.admin, unknown)
        .await
        .assert_problem(400, "invalid_body");
    let mut bad_mode = base.clone();
    bad_mode["mode"] = json!("loud");
    app.post("/api/v1/behavior/patterns", &s.admin, bad_mode)
        .await
        .assert_problem(400, "invalid_body");
    // Only administrators change patterns; sellers do not even read them.
    app.post("/api/v1/behavior/patterns", &s.moderator, base.clone())
        .await
        .assert_problem(403, "forbidden");
    let seller = app.member(s.tenant, "seller", &[Role::Seller]);
    app.get("/api/v1/behavior/patterns", &seller)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(count_rows("behavior_patterns", s.tenant).await, 0);
    // The schema is in the spec.
    let spec = app.get("/api/v1/openapi.json", &As::anonymous()).await;
    assert!(spec.body["components"]["schemas"]["PatternBody"].is_object());
    assert!(spec.body["components"]["schemas"]["Condition"].is_object());
}

#[tokio::test]
async fn patterns_and_detections_stay_inside_their_tenant() {
    let app = TestApp::start().await;
    let a = staff(&app, "behavior-iso-a").await;
    let b = staff(&app, "behavior-iso-b").await;
    let id = pattern(
        &app,
        &a.admin,
        json!({"name": "reads", "condition": {"field": "route", "op": "eq", "value": "/api/v1/users/me"}, "severity": "low"}),
    )
    .await;
    app.get("/api/v1/users/me", &a.moderator)
        .await
        .assert_status(200);
    app.get("/api/v1/users/me", &b.moderator)
        .await
        .assert_status(200);
    settle(&app).await;
    let found = detections(&app, &a.moderator, "").await;
    assert_eq!(found.len(), 1);
    let path = format!("/api/v1/behavior/patterns/{id}");
    app.get(&path, &b.admin)
        .await
        .assert_problem(404, "not_found");
    app.put(&path, &b.admin, failed_logins("shadow"))
        .await
        .assert_problem(404, "not_found");
    app.delete(&path, &b.admin)
        .await
        .assert_problem(404, "not_found");
    app.post(
        &format!("{path}/backtest"),
        &b.admin,
        json!({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}),
    )
    .await
    .assert_problem(404, "not_found");
    let detection = format!(
        "/api/v1/behavior/detections/{}",
        found[0]["id"].as_str().unwrap()
    );
    app.get(&detection, &b.moderator)
        .await
        .assert_problem(404, "not_found");
    app.post(
        &format!("{detection}/review"),
        &b.moderator,
        json!({"status": "dismissed"}),
    )
    .await
    .assert_problem(404, "not_found");
    assert!(detections(&app, &b.moderator, "").await.is_empty());
    assert!(
        app.get("/api/v1/behavior/patterns", &b.admin)
            .await
            .items()
            .is_empty()
    );
    // Deleting the pattern keeps its detections, by name.
    app.delete(&path, &a.admin).await.assert_status(204);
    let kept = detections(&app, &a.moderator, "").await;
    assert_eq!(kept.len(), 1);
    assert!(kept[0]["pattern_id"].is_null());
    assert_eq!(kept[0]["pattern_name"], "reads");
}

#[tokio::test]
async fn two_replicas_count_one_window_through_redis() {
    use std::sync::Arc;
    use warden_audit::{ActivityEvent, Kind};
    use warden_behavior::detector::Detector;
    use warden_behavior::operators::Operators;
    use warden_behavior::windows::RedisWindows;

    let app = TestApp::start().await;
    let s = staff(&app, "two-replicas").await;
    pattern(&app, &s.admin, failed_logins("shadow")).await;
    // Two detectors as two replicas would run them: own connections, one Redis.
    let url = app.config.behavior.redis_url.clone().unwrap();
    let prefix = format!("warden-test:replicas:{}", Uuid::now_v7());
    let replica = || {
        Detector::start(
            app.state.db.clone(),
            Arc::new(RedisWindows::new(&url, &prefix).unwrap()),
            Arc::new(Operators::builtin()),
            Arc::new(warden_server::wiring::CrossDomainEffects),
            Arc::new(|| json!({})),
            64,
        )
        .0
    };
    let (one, two) = (replica(), replica());
    let tenant = TenantId::new(s.tenant);
    let mut fired = 0;
    for n in 0..10 {
        let mut e = ActivityEvent::new(Kind::Security, "auth_failure");
        e.client_ip = Some("192.0.2.7".into());
        e.occurred_at = chrono::Utc::now() + chrono::Duration::milliseconds(n);
        let by = if n % 2 == 0 { &one } else { &two };
        fired += by.evaluate(tenant, &e).await.unwrap().len();
    }
    // Five events each: neither alone passes "more than five"; together they do, once.
    assert_eq!(fired, 1);
    let found = detections(&app, &s.moderator, "").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["observed"], 6.0);
}
