//! Violations, the escalation ladder, bans that end on time, appeals,
//! statistics and trends, against the real database with a clock the test moves.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_tenancy::clock::{Clock, ManualClock};
use warden_tenancy::{ScopedFutureExt, TenantId};
use warden_tests::{As, TestApp, admin_conn, count_rows, test_config};

/// A test server whose enforcement clock starts at a fixed past instant.
async fn app_with_clock() -> (TestApp, Arc<ManualClock>) {
    let start = DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let clock = Arc::new(ManualClock::new(start));
    let app = TestApp::start_with_clock(test_config(), clock.clone()).await;
    (app, clock)
}

async fn user_id(app: &TestApp, who: &As) -> Uuid {
    app.get("/api/v1/users/me", who)
        .await
        .assert_status(200)
        .id()
}

struct Cast {
    tenant: Uuid,
    admin: As,
    moderator: As,
    seller: As,
    seller_id: Uuid,
}

async fn cast(app: &TestApp, name: &str) -> Cast {
    let tenant = app.tenant(name).await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let moderator = app.member(tenant, "mod", &[Role::Moderator]);
    let seller = app.member(tenant, "seller", &[Role::Seller]);
    user_id(app, &admin).await;
    user_id(app, &moderator).await;
    let seller_id = user_id(app, &seller).await;
    Cast {
        tenant,
        admin,
        moderator,
        seller,
        seller_id,
    }
}

async fn violate(app: &TestApp, by: &As, user: Uuid, severity: &str) -> Value {
    let r = app
        .post(
            "/api/v1/violations",
            by,
            json!({"user_id": user, "type": "behavior", "severity": severity, "reason": "spam"}),
        )
        .await;
    r.assert_status(201);
    r.body
}

#[tokio::test]
async fn the_ladder_climbs_and_a_banned_user_is_refused_until_the_ban_ends() {
    let (app, clock) = app_with_clock().await;
    let c = cast(&app, "ladder").await;
    let first = violate(&app, &c.moderator, c.seller_id, "medium").await;
    assert_eq!(first["action"], "warning");
    assert_eq!(first["ladder_step"], 1);
    assert!(first["ban_until"].is_null());
    app.get("/api/v1/users/me", &c.seller)
        .await
        .assert_status(200);

    let second = violate(&app, &c.moderator, c.seller_id, "medium").await;
    assert_eq!(second["action"], "temporary_ban");
    let until: DateTime<Utc> = second["ban_until"].as_str().unwrap().parse().unwrap();
    assert_eq!(until, clock.now() + Duration::hours(24));
    let refused = app.get("/api/v1/users/me", &c.seller).await;
    refused.assert_problem(403, "user_banned");
    assert_eq!(
        refused.body["until"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        until
    );
    assert_eq!(refused.body["permanent"], false);
    // Every request, not only some.
    app.get("/api/v1/products", &c.seller)
        .await
        .assert_problem(403, "user_banned");
    // But the banned user reads the notices of their ban, and marks them read;
    // their settings stay out of reach.
    let inbox = app.get("/api/v1/notifications", &c.seller).await;
    inbox.assert_status(200);
    let ban_notice = inbox
        .items()
        .iter()
        .find(|n| n["kind"] == "ban")
        .cloned()
        .unwrap_or_else(|| panic!("no ban notice in {}", inbox.text));
    let id = ban_notice["id"].as_str().unwrap();
    app.get(&format!("/api/v1/notifications/{id}"), &c.seller)
        .await
        .assert_status(200);
    app.get("/api/v1/notifications/unread-count", &c.seller)
        .await
        .assert_status(200);
    app.post(
        &format!("/api/v1/notifications/{id}/read"),
        &c.seller,
        json!({}),
    )
    .await
    .assert_status(200);
    app.get("/api/v1/notifications/preferences", &c.seller)
        .await
        .assert_problem(403, "user_banned");
    app.delete(&format!("/api/v1/notifications/{id}"), &c.seller)
        .await
        .assert_problem(403, "user_banned");
    let account = app
        .get(&format!("/api/v1/users/{}", c.seller_id), &c.admin)
        .await;
    assert_eq!(account.body["status"], "banned");

    // One second before the end: still banned. At the end: let in, and the
    // expiry job restores the row and audits it.
    clock.advance(Duration::hours(24) - Duration::seconds(1));
    app.get("/api/v1/users/me", &c.seller)
        .await
        .assert_problem(403, "user_banned");
    clock.advance(Duration::seconds(1));
    app.get("/api/v1/users/me", &c.seller)
        .await
        .assert_status(200);
    let restored = warden_enforcement::accounts::expire_due(
        &app.state.db,
        TenantId::new(c.tenant),
        clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0].user_id, c.seller_id);
    let account = app
        .get(&format!("/api/v1/users/{}", c.seller_id), &c.admin)
        .await;
    assert_eq!(account.body["status"], "active");
    assert!(account.body["banned_until"].is_null());
    app.state.audit.flush().await.unwrap();
    let audit = app
        .get(
            &format!(
                "/api/v1/audit?resource_type=users&resource_id={}",
                c.seller_id
            ),
            &c.admin,
        )
        .await;
    let causes: Vec<String> = audit
        .items()
        .iter()
        .filter(|e| e["action"] == "account_sanction")
        .map(|e| e["metadata"]["cause"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(causes, ["ban_expired", "violation"], "{}", audit.text);

    let third = violate(&app, &c.moderator, c.seller_id, "low").await;
    assert_eq!(third["action"], "temporary_ban");
    let until: DateTime<Utc> = third["ban_until"].as_str().unwrap().parse().unwrap();
    assert_eq!(until, clock.now() + Duration::days(7));
    let fourth = violate(&app, &c.moderator, c.seller_id, "medium").await;
    assert_eq!(fourth["action"], "permanent_ban");
    assert!(fourth["ban_until"].is_null());
    let refused = app.get("/api/v1/users/me", &c.seller).await;
    refused.assert_problem(403, "user_banned");
    assert_eq!(refused.body["permanent"], true);
    assert!(refused.body["until"].is_null());
    // Permanent: the account is disabled, and time does not lift it.
    clock.advance(Duration::days(400));
    app.get("/api/v1/users/me", &c.seller)
        .await
        .assert_problem(403, "user_banned");
    let account = app
        .get(&format!("/api/v1/users/{}", c.seller_id), &c.admin)
        .await;
    assert_eq!(account.body["status"], "disabled");
}

#[tokio::test]
async fn old_violations_stop_counting_and_critical_ones_skip_steps() {
    let (app, clock) = app_with_clock().await;
    let c = cast(&app, "ladder-window").await;
    assert_eq!(
        violate(&app, &c.moderator, c.seller_id, "medium").await["action"],
        "warning"
    );
    // 91 days later the first no longer counts: a warning again.
    clock.advance(Duration::days(91));
    assert_eq!(
        violate(&app, &c.moderator, c.seller_id, "medium").await["ladder_step"],
        1
    );

    let buyer = app.member(c.tenant, "buyer", &[Role::Buyer]);
    let buyer_id = user_id(&app, &buyer).await;
    let critical = violate(&app, &c.moderator, buyer_id, "critical").await;
    assert_eq!(critical["ladder_step"], 3);
    let until: DateTime<Utc> = critical["ban_until"].as_str().unwrap().parse().unwrap();
    assert_eq!(until, clock.now() + Duration::days(7));

    // A tenant's own ladder: a one-step ladder bans for an hour at once.
    let ladder = json!({"steps": [{"action": "temporary_ban", "duration_seconds": 3600}],
                        "window_days": 30, "appeal_days": 5, "auto_violation_confidence": 0.95});
    app.put("/api/v1/enforcement/ladder", &c.admin, ladder.clone())
        .await
        .assert_status(200);
    assert_eq!(
        app.get("/api/v1/enforcement/ladder", &c.moderator)
            .await
            .body["steps"],
        ladder["steps"]
    );
    let other = app.member(c.tenant, "other", &[Role::Seller]);
    let other_id = user_id(&app, &other).await;
    let v = violate(&app, &c.moderator, other_id, "low").await;
    assert_eq!(v["action"], "temporary_ban");
    let until: DateTime<Utc> = v["ban_until"].as_str().unwrap().parse().unwrap();
    assert_eq!(until, clock.now() + Duration::hours(1));
}

#[tokio::test]
async fn an_overturned_appeal_lifts_the_ban_and_stops_counting() {
    let (app, clock) = app_with_clock().await;
    let c = cast(&app, "appeals").await;
    let first = violate(&app, &c.moderator, c.seller_id, "medium").await;
    let second = violate(&app, &c.moderator, c.seller_id, "medium").await;
    assert_eq!(second["action"], "temporary_ban");
    let path = format!("/api/v1/violations/{}", second["id"].as_str().unwrap());

    // Banned users can still read and appeal their own violations.
    let mine = app.get("/api/v1/violations", &c.seller).await;
    assert_eq!(mine.items().len(), 2);
    app.get(&path, &c.seller).await.assert_status(200);
    // Others cannot appeal it (nor learn of it); staff cannot appeal for the user.
    let stranger = app.member(c.tenant, "stranger", &[Role::Seller]);
    app.post(
        &format!("{path}/appeal"),
        &stranger,
        json!({"text": "mine"}),
    )
    .await
    .assert_problem(404, "not_found");
    app.post(
        &format!("{path}/appeal"),
        &c.moderator,
        json!({"text": "for them"}),
    )
    .await
    .assert_problem(403, "forbidden");
    // Bad appeals write nothing.
    app.post(&format!("{path}/appeal"), &c.seller, json!({"text": ""}))
        .await
        .assert_problem(400, "invalid_input");
    app.post(
        &format!("{path}/appeal"),
        &c.seller,
        json!({"text": "x".repeat(2001)}),
    )
    .await
    .assert_problem(400, "invalid_input");
    assert_eq!(count_rows("violation_appeals", c.tenant).await, 0);

    let appealed = app
        .post(
            &format!("{path}/appeal"),
            &c.seller,
            json!({"text": "That was not me."}),
        )
        .await;
    appealed.assert_status(201);
    assert_eq!(appealed.body["status"], "appealed");
    assert_eq!(appealed.body["appeal"]["status"], "pending");
    app.post(
        &format!("{path}/appeal"),
        &c.seller,
        json!({"text": "again"}),
    )
    .await
    .assert_problem(409, "conflict");
    // Beyond reading and appealing, the ban holds; a moderator decides.
    app.post(
        &format!("{path}/appeal/decision"),
        &c.seller,
        json!({"decision": "overturn"}),
    )
    .await
    .assert_problem(403, "user_banned");
    // Not other users, and not the moderator who recorded it: another staff member decides.
    app.post(
        &format!("{path}/appeal/decision"),
        &stranger,
        json!({"decision": "overturn"}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        &format!("{path}/appeal/decision"),
        &c.moderator,
        json!({"decision": "overturn"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let decided = app
        .post(
            &format!("{path}/appeal/decision"),
            &c.admin,
            json!({"decision": "overturn", "note": "wrong account"}),
        )
        .await;
    decided.assert_status(200);
    assert_eq!(decided.body["status"], "overturned");
    assert_eq!(decided.body["appeal"]["status"], "overturned");
    app.get("/api/v1/users/me", &c.seller)
        .await
        .assert_status(200);
    app.post(
        &format!("{path}/appeal/decision"),
        &c.admin,
        json!({"decision": "uphold"}),
    )
    .await
    .assert_problem(409, "conflict");

    // The overturned step no longer counts: the next violation is the second step again.
    let next = violate(&app, &c.moderator, c.seller_id, "medium").await;
    assert_eq!(next["ladder_step"], 2);
    assert_eq!(next["action"], "temporary_ban");

    // Upheld appeals keep the ban; appeals after the period are refused.
    let next_path = format!("/api/v1/violations/{}", next["id"].as_str().unwrap());
    app.post(
        &format!("{next_path}/appeal"),
        &c.seller,
        json!({"text": "please"}),
    )
    .await
    .assert_status(201);
    let upheld = app
        .post(
            &format!("{next_path}/appeal/decision"),
            &c.admin,
            json!({"decision": "uphold"}),
        )
        .await;
    assert_eq!(upheld.body["status"], "resolved");
    app.get("/api/v1/users/me", &c.seller)
        .await
        .assert_problem(403, "user_banned");
    clock.advance(Duration::days(21));
    app.post(
        &format!(
            "/api/v1/violations/{}/appeal",
            first["id"].as_str().unwrap()
        ),
        &c.seller,
        json!({"text": "late"}),
    )
    .await
    .assert_problem(409, "conflict");
}

#[tokio::test]
async fn a_moderation_rejection_becomes_one_violation_of_its_author() {
    let (app, _clock) = app_with_clock().await;
    let c = cast(&app, "from-moderation").await;
    app.put(
        "/api/v1/sellers/me",
        &c.seller,
        json!({"store_name": "shop"}),
    )
    .await
    .assert_status(201);
    app.post(
        "/api/v1/moderation/rules",
        &c.admin,
        json!({"name": "no scams", "kind": "pattern", "pattern": {"keywords": ["scam"]},
               "content_types": ["product"], "action": "reject"}),
    )
    .await
    .assert_status(201);
    app.post(
        "/api/v1/products",
        &c.seller,
        json!({"title": "A real scam", "price_minor": 100, "currency": "USD"}),
    )
    .await
    .assert_problem(422, "content_rejected");
    assert_eq!(count_rows("products", c.tenant).await, 0);
    // The violation job (and the trust recomputations the new store and the
    // violation queue).
    assert!(app.run_jobs(c.tenant).await >= 1);
    let list = app
        .get(
            &format!("/api/v1/violations?user={}", c.seller_id),
            &c.moderator,
        )
        .await;
    let items = list.items();
    assert_eq!(items.len(), 1, "{}", list.text);
    assert_eq!(items[0]["type"], "content");
    assert_eq!(items[0]["source"]["kind"], "moderation");
    assert_eq!(items[0]["action"], "warning");
    // The same source asked for again (a retried job) records nothing more.
    let source: Uuid = items[0]["source"]["id"].as_str().unwrap().parse().unwrap();
    let request = warden_enforcement::violations::ViolationRequest {
        user_id: c.seller_id,
        violation_type: warden_enforcement::ViolationType::Content,
        severity: warden_enforcement::Severity::Medium,
        source: warden_enforcement::model::Source {
            kind: warden_enforcement::SourceKind::Moderation,
            id: Some(source),
        },
        reason: "again".into(),
        evidence_id: None,
        ground: None,
        content: None,
        automated: true,
    };
    let tenant = TenantId::new(c.tenant);
    app.state
        .db
        .tenant_tx(tenant, |conn| {
            let request = request.clone();
            async move { warden_enforcement::jobs::enqueue_violation(conn, tenant, &request).await }
                .scope_boxed()
        })
        .await
        .unwrap();
    assert_eq!(app.run_jobs(c.tenant).await, 1);
    assert_eq!(count_rows("violations", c.tenant).await, 1);
}

#[derive(QueryableByName, Debug)]
struct Group {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName, Debug)]
struct Bucketed {
    #[diesel(sql_type = Timestamptz)]
    day: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[tokio::test]
async fn stats_and_trends_equal_direct_counts() {
    let (app, clock) = app_with_clock().await;
    let c = cast(&app, "stats").await;
    let start = clock.now();
    let mut users = Vec::new();
    for n in 0..4 {
        let who = app.member(c.tenant, &format!("u{n}"), &[Role::Buyer]);
        users.push(user_id(&app, &who).await);
    }
    // Violations on days 0, 0, 2, 5 and 5 (days 1, 3 and 4 stay empty).
    for (day, user, severity) in [
        (0, 0, "low"),
        (0, 1, "high"),
        (2, 0, "medium"),
        (5, 2, "critical"),
        (5, 0, "medium"),
    ] {
        let target = start + Duration::days(day) + Duration::hours(1);
        let now = clock.now();
        if target > now {
            clock.advance(target - now);
        }
        violate(&app, &c.moderator, users[user], severity).await;
    }
    let from = start - Duration::hours(2);
    let to = start + Duration::days(7);
    let q = format!(
        "from={}&to={}",
        urlencode(&from.to_rfc3339()),
        urlencode(&to.to_rfc3339())
    );
    let stats = app
        .get(&format!("/api/v1/violations/stats?{q}"), &c.moderator)
        .await;
    stats.assert_status(200);
    assert_eq!(stats.body["total"], 5);
    let mut conn = admin_conn().await;
    for (dimension, column) in [
        ("by_type", "type"),
        ("by_severity", "severity"),
        ("by_action", "action"),
        ("by_status", "status"),
    ] {
        let groups: Vec<Group> = diesel::sql_query(format!(
            "SELECT {column} AS key, count(*) AS n FROM violations
             WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1"
        ))
        .bind::<SqlUuid, _>(c.tenant)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load(&mut conn)
        .await
        .unwrap();
        let body = stats.body[dimension].as_object().unwrap();
        for (key, value) in body {
            let expected = groups.iter().find(|g| &g.key == key).map_or(0, |g| g.n);
            assert_eq!(value.as_i64().unwrap(), expected, "{dimension}.{key}");
        }
        assert!(groups.iter().all(|g| body.contains_key(&g.key)));
    }

    let trend = app
        .get(
            &format!("/api/v1/violations/trends?bucket=day&{q}"),
            &c.moderator,
        )
        .await;
    trend.assert_status(200);
    let points = trend.body["points"].as_array().unwrap();
    // The bucket holding `from` (day -1) through day 6.
    assert_eq!(points.len(), 8, "{}", trend.text);
    let direct: Vec<Bucketed> = diesel::sql_query(
        "SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, count(*) AS n
         FROM violations WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1",
    )
    .bind::<SqlUuid, _>(c.tenant)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(&mut conn)
    .await
    .unwrap();
    let mut zeros = 0;
    for p in points {
        let at: DateTime<Utc> = p["start"].as_str().unwrap().parse().unwrap();
        let expected = direct.iter().find(|d| d.day == at).map_or(0, |d| d.n);
        assert_eq!(p["count"].as_i64().unwrap(), expected, "{at}");
        zeros += usize::from(expected == 0);
    }
    assert_eq!(zeros, 5);
    // Filters apply to the series too.
    let high = app
        .get(
            &format!("/api/v1/violations/trends?bucket=week&severity=high&{q}"),
            &c.moderator,
        )
        .await;
    let total: i64 = high.body["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 1);
    // The user filter on the list.
    let list = app
        .get(
            &format!("/api/v1/violations?user={}&severity=medium", users[0]),
            &c.moderator,
        )
        .await;
    assert_eq!(list.items().len(), 2);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn bad_enforcement_input_is_refused_and_writes_nothing() {
    let (app, _clock) = app_with_clock().await;
    let c = cast(&app, "enforcement-bad").await;
    let cases = [
        (
            json!({"user_id": c.seller_id, "type": "spam", "severity": "low", "reason": "x"}),
            400,
            "invalid_body",
        ),
        (
            json!({"user_id": c.seller_id, "type": "content", "severity": "low", "reason": ""}),
            400,
            "invalid_input",
        ),
        (
            json!({"user_id": c.seller_id, "type": "content", "severity": "low", "reason": "x".repeat(2001)}),
            400,
            "invalid_input",
        ),
        (
            json!({"user_id": Uuid::now_v7(), "type": "content", "severity": "low", "reason": "x"}),
            404,
            "not_found",
        ),
        (
            json!({"user_id": c.seller_id, "type": "content", "severity": "low"}),
            400,
            "invalid_body",
        ),
    ];
    for (body, status, code) in cases {
        app.post("/api/v1/violations", &c.moderator, body.clone())
            .await
            .assert_problem(status, code);
    }
    // Only staff record violations; nobody records one against themself.
    app.post(
        "/api/v1/violations",
        &c.seller,
        json!({"user_id": c.seller_id, "type": "content", "severity": "low", "reason": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let mod_id = user_id(&app, &c.moderator).await;
    app.post(
        "/api/v1/violations",
        &c.moderator,
        json!({"user_id": mod_id, "type": "content", "severity": "low", "reason": "x"}),
    )
    .await
    .assert_problem(409, "conflict");
    app.post(
        "/api/v1/violations",
        &c.moderator,
        json!({"user_id": c.seller_id, "type": "content", "severity": "low", "reason": "nul\u{0}byte"}),
    )
    .await
    .assert_problem(400, "invalid_input");
    // Moderators do not sanction staff of their rank or above; administrators may.
    let admin_id = user_id(&app, &c.admin).await;
    app.post(
        "/api/v1/violations",
        &c.moderator,
        json!({"user_id": admin_id, "type": "content", "severity": "low", "reason": "x"}),
    )
    .await
    .assert_problem(403, "target_outranks_actor");
    assert_eq!(count_rows("violations", c.tenant).await, 0);
    let other_admin = app.member(c.tenant, "admin-2", &[Role::TenantAdmin]);
    app.post(
        "/api/v1/violations",
        &other_admin,
        json!({"user_id": mod_id, "type": "content", "severity": "low", "reason": "x"}),
    )
    .await
    .assert_status(201);
    // Stats, trends and the ladder.
    app.get("/api/v1/violations/stats", &c.seller)
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/violations/trends?bucket=month", &c.moderator)
        .await
        .assert_problem(400, "invalid_query_parameter");
    // Eleven months of hours are cut to the last 2,000 hours before `to`.
    let long = app
        .get(
            "/api/v1/violations/trends?bucket=hour&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z",
            &c.moderator,
        )
        .await;
    long.assert_status(200);
    assert_eq!(long.body["from"], "2026-09-08T16:00:00Z", "{}", long.text);
    assert_eq!(long.body["points"].as_array().unwrap().len(), 2000);
    // `from` after `to`: an empty range, every count 0, no bucket.
    let empty = app
        .get(
            "/api/v1/violations/stats?from=2099-02-01T00:00:00Z&to=2000-01-01T00:00:00Z",
            &c.moderator,
        )
        .await;
    empty.assert_status(200);
    assert_eq!(empty.body["total"], 0, "{}", empty.text);
    assert_eq!(empty.body["from"], empty.body["to"]);
    let none = app
        .get(
            "/api/v1/violations/trends?bucket=day&from=2099-02-01T00:00:00Z&to=2000-01-01T00:00:00Z",
            &c.moderator,
        )
        .await;
    none.assert_status(200);
    assert_eq!(none.body["points"], json!([]), "{}", none.text);
    app.put("/api/v1/enforcement/ladder", &c.moderator, json!({"steps": [{"action": "warning"}], "window_days": 90, "appeal_days": 20, "auto_violation_confidence": 0.9}))
        .await
        .assert_problem(403, "forbidden");
    app.put("/api/v1/enforcement/ladder", &c.admin, json!({"steps": [{"action": "temporary_ban"}], "window_days": 90, "appeal_days": 20, "auto_violation_confidence": 0.9}))
        .await
        .assert_problem(400, "invalid_input");
    assert_eq!(count_rows("enforcement_ladders", c.tenant).await, 0);
    app.post(
        &format!("/api/v1/violations/{}/resolve", Uuid::now_v7()),
        &c.moderator,
        json!({"notes": "x"}),
    )
    .await
    .assert_problem(404, "not_found");
    let buyer = app.member(c.tenant, "buyer", &[Role::Buyer]);
    let buyer_id = user_id(&app, &buyer).await;
    let v = violate(&app, &c.moderator, buyer_id, "low").await;
    let path = format!("/api/v1/violations/{}", v["id"].as_str().unwrap());
    app.post(
        &format!("{path}/resolve"),
        &c.moderator,
        json!({"notes": ""}),
    )
    .await
    .assert_problem(400, "invalid_input");
    let resolved = app
        .post(
            &format!("{path}/resolve"),
            &c.moderator,
            json!({"notes": "talked to them"}),
        )
        .await;
    assert_eq!(resolved.body["status"], "resolved");
    assert_eq!(resolved.body["resolution_note"], "talked to them");
    app.post(
        &format!("{path}/resolve"),
        &c.moderator,
        json!({"notes": "again"}),
    )
    .await
    .assert_problem(409, "conflict");
    // A ban is lifted by overturning its violation, not by an administrator's status change.
    violate(&app, &c.moderator, c.seller_id, "critical").await;
    let lift = app
        .patch(
            &format!("/api/v1/users/{}", c.seller_id),
            &c.admin,
            json!({"status": "active"}),
        )
        .await;
    lift.assert_problem(409, "conflict");
    app.patch(
        &format!("/api/v1/users/{}", c.seller_id),
        &c.admin,
        json!({"status": "banned"}),
    )
    .await
    .assert_problem(400, "invalid_body");
    // A banned moderator still reads violations, but only their own.
    app.post(
        "/api/v1/violations",
        &other_admin,
        json!({"user_id": mod_id, "type": "security", "severity": "critical", "reason": "abuse"}),
    )
    .await
    .assert_status(201);
    let own = app.get("/api/v1/violations", &c.moderator).await;
    own.assert_status(200);
    assert_eq!(own.items().len(), 2, "{}", own.text);
    assert!(
        own.items()
            .iter()
            .all(|v| v["user_id"] == mod_id.to_string())
    );
    app.get("/api/v1/violations/stats", &c.moderator)
        .await
        .assert_problem(403, "user_banned");
}

#[tokio::test]
async fn violations_stay_inside_their_tenant() {
    let (app, _clock) = app_with_clock().await;
    let a = cast(&app, "enf-iso-a").await;
    let b = cast(&app, "enf-iso-b").await;
    let v = violate(&app, &a.moderator, a.seller_id, "low").await;
    let path = format!("/api/v1/violations/{}", v["id"].as_str().unwrap());
    app.get(&path, &b.moderator)
        .await
        .assert_problem(404, "not_found");
    app.post(
        &format!("{path}/resolve"),
        &b.moderator,
        json!({"notes": "x"}),
    )
    .await
    .assert_problem(404, "not_found");
    assert!(
        app.get("/api/v1/violations", &b.moderator)
            .await
            .items()
            .is_empty()
    );
    assert_eq!(
        app.get("/api/v1/violations/stats", &b.moderator).await.body["total"],
        0
    );
    // B's moderator cannot reach A's user either.
    app.post(
        "/api/v1/violations",
        &b.moderator,
        json!({"user_id": a.seller_id, "type": "content", "severity": "low", "reason": "x"}),
    )
    .await
    .assert_problem(404, "not_found");
    assert_eq!(count_rows("violations", b.tenant).await, 0);
    let _ = (a.admin, b.admin, b.seller, b.seller_id);
}

#[tokio::test]
async fn a_temporary_ban_is_ended_by_the_background_job_on_the_real_clock() {
    let app = TestApp::start().await;
    let c = cast(&app, "ban-expiry-job").await;
    app.put(
        "/api/v1/enforcement/ladder",
        &c.admin,
        json!({"steps": [{"action": "temporary_ban", "duration_seconds": 1}],
               "window_days": 30, "appeal_days": 5, "auto_violation_confidence": 0.9}),
    )
    .await
    .assert_status(200);
    violate(&app, &c.moderator, c.seller_id, "low").await;
    app.get("/api/v1/users/me", &c.seller)
        .await
        .assert_problem(403, "user_banned");
    // The expiry job waits for the ban's end before it may be claimed (what
    // runs now is the ban's email notification).
    app.run_jobs(c.tenant).await;
    let account = app
        .get(&format!("/api/v1/users/{}", c.seller_id), &c.admin)
        .await;
    assert_eq!(account.body["status"], "banned");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // The expiry, then the "ban lifted" email it raised.
    assert_eq!(app.run_jobs(c.tenant).await, 2);
    let account = app
        .get(&format!("/api/v1/users/{}", c.seller_id), &c.admin)
        .await;
    assert_eq!(account.body["status"], "active", "{}", account.text);
    app.get("/api/v1/users/me", &c.seller)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_reviewers_rejection_becomes_a_violation_of_the_author() {
    let (app, _clock) = app_with_clock().await;
    let c = cast(&app, "from-review").await;
    app.put(
        "/api/v1/sellers/me",
        &c.seller,
        json!({"store_name": "shop"}),
    )
    .await
    .assert_status(201);
    app.post(
        "/api/v1/moderation/rules",
        &c.admin,
        json!({"name": "hold", "kind": "pattern", "pattern": {"keywords": ["replica"]},
               "content_types": ["product"], "action": "require_review"}),
    )
    .await
    .assert_status(201);
    app.post(
        "/api/v1/products",
        &c.seller,
        json!({"title": "Replica watch", "price_minor": 100, "currency": "USD"}),
    )
    .await
    .assert_status(201);
    let item = app
        .get("/api/v1/moderation/reviews", &c.moderator)
        .await
        .item_ids()[0];
    app.post(
        &format!("/api/v1/moderation/reviews/{item}/claim"),
        &c.moderator,
        json!({}),
    )
    .await
    .assert_status(200);
    app.post(
        &format!("/api/v1/moderation/reviews/{item}/decision"),
        &c.moderator,
        json!({"decision": "reject", "note": "counterfeit"}),
    )
    .await
    .assert_status(200);
    // The violation job (and the trust recomputation it queues for the store).
    assert!(app.run_jobs(c.tenant).await >= 1);
    let list = app
        .get(
            &format!("/api/v1/violations?user={}", c.seller_id),
            &c.moderator,
        )
        .await;
    let items = list.items();
    assert_eq!(items.len(), 1, "{}", list.text);
    assert_eq!(items[0]["source"]["kind"], "moderation");
    assert_eq!(items[0]["source"]["id"], item.to_string());
    assert!(items[0]["reason"].as_str().unwrap().contains("counterfeit"));
}

#[tokio::test]
async fn violations_name_their_user_as_staff_know_them() {
    let app = TestApp::start().await;
    let c = cast(&app, "names").await;
    // The seller's token carries only an e-mail: that is the name.
    let v = violate(&app, &c.moderator, c.seller_id, "low").await;
    assert_eq!(v["user_name"], "seller@example.test");
    // A token with a display name: the name wins, in the list and the detail.
    let named = app.token_with_name(Some(c.tenant), "seller", &[Role::Seller], "Sam Seller");
    app.get(
        "/api/v1/users/me",
        &As {
            token: Some(named),
            tenant: Some(c.tenant.to_string()),
        },
    )
    .await
    .assert_status(200);
    let list = app.get("/api/v1/violations", &c.moderator).await;
    assert_eq!(
        list.body["items"][0]["user_name"], "Sam Seller",
        "{}",
        list.text
    );
    let id = v["id"].as_str().unwrap();
    let one = app.get(&format!("/api/v1/violations/{id}"), &c.admin).await;
    assert_eq!(one.body["user_name"], "Sam Seller");
    assert_eq!(one.body["user_id"], json!(c.seller_id));
}
