//! Every request leaves exactly one activity row, security events are marked,
//! audited changes are written with the change, and nothing acknowledged is
//! lost at shutdown.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, SmallInt, Text};
use diesel_async::RunQueryDsl;
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use warden_commerce::Role;
use warden_tests::{As, TestApp, World, admin_conn, generous_limits};

#[derive(QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = Nullable<Text>)]
    request_id: Option<String>,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Nullable<Text>)]
    route: Option<String>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    status: Option<i16>,
    #[diesel(sql_type = Nullable<Text>)]
    actor_subject: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    bytes_out: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    latency_us: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    user_agent: Option<String>,
    #[diesel(sql_type = Text)]
    log: String,
}

/// Rows of both logs whose client request id (the `X-Request-Id` the test
/// sent) starts with `prefix` (as admin, past RLS).
async fn rows(prefix: &str) -> Vec<Row> {
    let mut conn = admin_conn().await;
    diesel::sql_query(
        "SELECT client_request_id AS request_id, kind, action, route, status, actor_subject, bytes_out, latency_us, user_agent, 'tenant' AS log
           FROM activity_log WHERE client_request_id LIKE $1
         UNION ALL
         SELECT client_request_id AS request_id, kind, action, route, status, actor_subject, bytes_out, latency_us, user_agent, 'platform' AS log
           FROM platform_activity_log WHERE client_request_id LIKE $1",
    )
    .bind::<Text, _>(format!("{prefix}%"))
    .load(&mut conn)
    .await
    .unwrap()
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &As,
    body: Option<Value>,
    request_id: String,
) -> u16 {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("x-request-id", request_id)
        .header("user-agent", "warden-tests");
    if let Some(t) = &who.token {
        req = req.bearer_auth(t);
    }
    if let Some(t) = &who.tenant {
        req = req.header("X-Tenant-ID", t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn n_concurrent_requests_of_mixed_outcome_leave_exactly_n_rows() {
    let app = TestApp::start().await;
    let w = World::new(&app, "activity-n").await;
    let mut low = generous_limits();
    low["requests_per_minute"] = json!(2);
    let throttled_tenant = app.tenant_with_limits("activity-429", low).await;
    let throttled = app.member(throttled_tenant, "t", &[Role::Buyer]);
    let prefix = format!("n-{}-", uuid::Uuid::now_v7().simple());
    let bad_token = As {
        token: Some("junk".into()),
        tenant: Some(w.tenant.to_string()),
    };
    let product = format!("/api/v1/products/{}", w.product_id);
    let missing = format!("/api/v1/products/{}", uuid::Uuid::now_v7());
    let cases: Vec<(Method, String, As, Option<Value>, u16)> = vec![
        (
            Method::GET,
            "/api/v1/products".into(),
            w.buyer.clone(),
            None,
            200,
        ),
        (Method::GET, product.clone(), w.buyer.clone(), None, 200),
        (Method::GET, missing, w.buyer.clone(), None, 404),
        (
            Method::GET,
            "/api/v1/products/nope".into(),
            w.buyer.clone(),
            None,
            400,
        ),
        (
            Method::POST,
            "/api/v1/products".into(),
            w.buyer.clone(),
            Some(json!({"title": "x", "price_minor": 1, "currency": "USD"})),
            403,
        ),
        (Method::GET, "/api/v1/products".into(), bad_token, None, 401),
        (
            Method::GET,
            "/api/v1/products".into(),
            w.admin.with_tenant_header(&throttled_tenant.to_string()),
            None,
            403,
        ),
        (
            Method::POST,
            "/api/v1/products".into(),
            w.seller.clone(),
            Some(
                json!({"title": "y", "price_minor": 1, "currency": "USD", "description": "d".repeat(70 * 1024)}),
            ),
            413,
        ),
        (Method::GET, "/nothing".into(), As::anonymous(), None, 404),
    ];
    let mut futures = Vec::new();
    let mut n = 0;
    for round in 0..4 {
        for (i, (method, path, who, body, _)) in cases.iter().enumerate() {
            futures.push(send(
                &app,
                method.clone(),
                path,
                who,
                body.clone(),
                format!("{prefix}{round}-{i}"),
            ));
            n += 1;
        }
    }
    // Three to a tenant allowing two a minute: at least one 429.
    for i in 0..3 {
        futures.push(send(
            &app,
            Method::GET,
            "/api/v1/products",
            &throttled,
            None,
            format!("{prefix}rl-{i}"),
        ));
        n += 1;
    }
    let statuses = join_all(futures).await;
    for (round_status, expected) in statuses
        .iter()
        .zip(cases.iter().cycle().map(|c| c.4))
        .take(4 * cases.len())
    {
        assert_eq!(*round_status, expected);
    }
    assert!(statuses[statuses.len() - 3..].contains(&429));
    app.state.audit.flush().await.unwrap();

    let found = rows(&prefix).await;
    assert_eq!(found.len(), n, "one row per request");
    let mut ids: Vec<&str> = found
        .iter()
        .filter_map(|r| r.request_id.as_deref())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "no request recorded twice");

    let by_id = |id: String| {
        found
            .iter()
            .find(|r| r.request_id.as_deref() == Some(id.as_str()))
            .unwrap()
    };
    let ok = by_id(format!("{prefix}0-1"));
    assert_eq!(
        (ok.kind.as_str(), ok.status, ok.log.as_str()),
        ("api_call", Some(200), "tenant")
    );
    assert_eq!(ok.route.as_deref(), Some("/api/v1/products/{id}"));
    assert_eq!(ok.actor_subject.as_deref(), Some("buyer-1"));
    assert!(ok.bytes_out.unwrap_or(0) > 0 && ok.latency_us.unwrap_or(0) > 0);
    assert_eq!(ok.user_agent.as_deref(), Some("warden-tests"));
    let unauthenticated = by_id(format!("{prefix}0-5"));
    assert_eq!(
        (
            unauthenticated.kind.as_str(),
            unauthenticated.action.as_str(),
            unauthenticated.log.as_str()
        ),
        ("security", "auth_failure", "platform")
    );
    let mismatch = by_id(format!("{prefix}0-6"));
    assert_eq!(
        (
            mismatch.kind.as_str(),
            mismatch.action.as_str(),
            mismatch.log.as_str()
        ),
        ("security", "tenant_mismatch", "tenant")
    );
    assert_eq!(by_id(format!("{prefix}0-7")).status, Some(413));
    let limited = found.iter().find(|r| r.status == Some(429)).unwrap();
    assert_eq!(
        (limited.kind.as_str(), limited.action.as_str()),
        ("security", "rate_limited")
    );
    assert_eq!(by_id(format!("{prefix}0-8")).log, "platform");
}

#[tokio::test]
async fn audited_changes_are_written_with_the_change_and_queryable_by_staff() {
    let app = TestApp::start().await;
    let w = World::new(&app, "audit-query").await;
    let buyer_id = app.get("/api/v1/users/me", &w.buyer).await.id();
    // A status change is audited in its own transaction: visible with no flush.
    app.patch(
        &format!("/api/v1/users/{buyer_id}"),
        &w.admin,
        json!({"status": "disabled"}),
    )
    .await
    .assert_status(200);
    let r = app
        .get(
            &format!("/api/v1/audit?kind=security&resource_type=users&resource_id={buyer_id}"),
            &w.moderator,
        )
        .await;
    r.assert_status(200);
    let actions: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"status_change"), "{}", r.text);
    // A role change arrives with the next token of that subject.
    let promoted = app.member(w.tenant, "seller-1", &[Role::Seller, Role::Moderator]);
    app.get("/api/v1/users/me", &promoted)
        .await
        .assert_status(200);
    let r = app.get("/api/v1/audit?kind=security", &w.admin).await;
    let role_change = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "role_change")
        .cloned();
    let role_change = role_change.unwrap_or_else(|| panic!("no role_change in {}", r.text));
    assert_eq!(
        role_change["metadata"]["to"],
        json!(["moderator", "seller"])
    );
    // A limits change by the platform.
    app.put(
        &format!("/api/v1/tenants/{}/limits", w.tenant),
        &app.platform_admin(),
        generous_limits(),
    )
    .await
    .assert_status(200);
    let r = app
        .get("/api/v1/audit?resource_type=limits", &w.admin)
        .await;
    assert_eq!(r.body["items"][0]["action"], "limits_change");

    // Request activity shows after the writer's batch.
    app.get(
        &format!("/api/v1/products/{}", w.product_id),
        &w.other_buyer,
    )
    .await;
    app.state.audit.flush().await.unwrap();
    let r = app
        .get(
            &format!(
                "/api/v1/audit?resource_type=products&resource_id={}&status=200",
                w.product_id
            ),
            &w.admin,
        )
        .await;
    assert!(!r.items().is_empty(), "{}", r.text);
    // A platform administrator acting inside the tenant is a security event.
    app.get(
        "/api/v1/products",
        &app.platform_admin()
            .with_tenant_header(&w.tenant.to_string()),
    )
    .await
    .assert_status(200);
    app.state.audit.flush().await.unwrap();
    let r = app.get("/api/v1/audit?kind=security", &w.admin).await;
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["metadata"]["event"] == "platform_admin_in_tenant"),
        "{}",
        r.text
    );

    // Pagination and filters.
    let page = app.get("/api/v1/audit?limit=2", &w.admin).await;
    assert_eq!(page.items().len(), 2);
    let next = app
        .get(
            &format!(
                "/api/v1/audit?limit=2&cursor={}",
                page.body["next_cursor"].as_str().unwrap()
            ),
            &w.admin,
        )
        .await;
    assert!(
        next.item_ids()
            .iter()
            .all(|id| !page.item_ids().contains(id))
    );
    app.get("/api/v1/audit?kind=nonsense", &w.admin)
        .await
        .assert_problem(400, "invalid_query_parameter");
    // `from` after `to` is an empty range, not an error.
    let empty = app
        .get(
            "/api/v1/audit?from=2099-02-01T00:00:00Z&to=2000-01-01T00:00:00Z",
            &w.admin,
        )
        .await;
    empty.assert_status(200);
    assert_eq!(empty.body["items"], json!([]), "{}", empty.text);
    // Only staff; and another tenant's staff see nothing of this tenant.
    app.get("/api/v1/audit", &w.seller)
        .await
        .assert_problem(403, "forbidden");
    let other = World::new(&app, "audit-other").await;
    let theirs = app.get("/api/v1/audit?limit=100", &other.admin).await;
    assert!(
        theirs.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["tenant_id"] == other.tenant.to_string())
    );
}

#[tokio::test]
async fn shutdown_under_load_loses_nothing_that_was_answered() {
    let app = TestApp::start().await;
    let w = World::new(&app, "activity-stop").await;
    let prefix = format!("stop-{}-", uuid::Uuid::now_v7().simple());
    let load = (0..300).map(|i| {
        let app = &app;
        let who = w.buyer.clone();
        let id = format!("{prefix}{i}");
        async move {
            let res = app
                .client
                .get(app.url("/api/v1/products"))
                .bearer_auth(who.token.unwrap())
                .header("X-Tenant-ID", who.tenant.unwrap())
                .header("x-request-id", &id)
                .send()
                .await;
            res.ok().map(|r| (id, r.status().as_u16()))
        }
    });
    let stopper = async {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        app.stop().await;
    };
    let (answered, ()) = tokio::join!(join_all(load), stopper);
    let answered: Vec<String> = answered.into_iter().flatten().map(|(id, _)| id).collect();
    assert!(!answered.is_empty());
    let written = rows(&prefix).await;
    for id in &answered {
        assert!(
            written
                .iter()
                .any(|r| r.request_id.as_deref() == Some(id.as_str())),
            "answered request {id} has no activity row"
        );
    }
    assert_eq!(
        written.len(),
        answered.len(),
        "rows for requests that were never answered"
    );
}

#[tokio::test]
async fn maintenance_moves_stranded_rows_out_of_the_default_partition() {
    let app = TestApp::start().await;
    let t = app.tenant("partitions").await;
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(6);
    let at = day.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let id = uuid::Uuid::now_v7();
    let mut conn = admin_conn().await;
    // No partition exists six days ahead, so the row lands in the default one.
    diesel::sql_query("INSERT INTO activity_log (tenant_id, id, occurred_at, kind, action) VALUES ($1, $2, $3, 'system', 'stranded')")
        .bind::<diesel::sql_types::Uuid, _>(t)
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<diesel::sql_types::Timestamptz, _>(at)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(located(&mut conn, id).await, "activity_log_default");
    let created = warden_audit::store::maintain(&app.state.db, 7, 90)
        .await
        .unwrap();
    assert!(created >= 1);
    assert_eq!(
        located(&mut conn, id).await,
        format!("activity_log_{}", day.format("%Y%m%d"))
    );
}

/// The partition holding activity row `id`.
async fn located(conn: &mut diesel_async::AsyncPgConnection, id: uuid::Uuid) -> String {
    #[derive(QueryableByName)]
    struct Where {
        #[diesel(sql_type = Text)]
        part: String,
    }
    diesel::sql_query("SELECT tableoid::regclass::text AS part FROM activity_log WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(id)
        .get_result::<Where>(conn)
        .await
        .unwrap()
        .part
}

#[tokio::test]
async fn text_postgresql_cannot_hold_is_stored_with_a_replacement_character() {
    let app = TestApp::start().await;
    let t = app.tenant("nul-bytes").await;
    let mut event = warden_audit::ActivityEvent::new(warden_audit::Kind::ApiCall, "GET /x");
    event.tenant = Some(warden_tenancy::TenantId::new(t));
    event.client_request_id = Some(format!("nul-bytes-{t}"));
    event.user_agent = Some("agent\0with nul".into());
    app.state.audit.record(event).await.unwrap();
    app.state.audit.flush().await.unwrap();
    let stored = rows(&format!("nul-bytes-{t}")).await;
    assert_eq!(stored.len(), 1, "the event was not stored: {stored:?}");
    assert_eq!(
        stored[0].user_agent.as_deref(),
        Some("agent\u{FFFD}with nul")
    );
    assert_eq!(
        std::sync::atomic::AtomicU64::load(
            &app.state.audit.metrics().rejected,
            std::sync::atomic::Ordering::Relaxed
        ),
        0
    );
}

#[tokio::test]
async fn a_repeated_client_request_id_leaves_two_rows_with_their_own_server_ids() {
    let app = TestApp::start().await;
    let w = World::new(&app, "activity-client-id").await;
    let client_id = format!("client-{}", uuid::Uuid::now_v7().simple());
    let mut server_ids = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .get(app.url("/api/v1/products"))
            .bearer_auth(w.buyer.token.clone().unwrap())
            .header("X-Tenant-ID", w.buyer.tenant.clone().unwrap())
            .header("x-request-id", &client_id)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        server_ids.push(res.headers()["x-request-id"].to_str().unwrap().to_owned());
    }
    assert_ne!(server_ids[0], server_ids[1]);
    assert!(!server_ids.contains(&client_id), "{server_ids:?}");
    // No flush: each row committed before its response left.
    let page = app
        .get(
            &format!("/api/v1/audit?client_request_id={client_id}"),
            &w.admin,
        )
        .await;
    page.assert_status(200);
    let items = page.items();
    let mut logged: Vec<String> = items
        .iter()
        .map(|i| {
            assert_eq!(i["client_request_id"], client_id.as_str(), "{i}");
            i["request_id"].as_str().unwrap().to_owned()
        })
        .collect();
    logged.sort();
    server_ids.sort();
    assert_eq!(logged, server_ids);
}

#[tokio::test]
async fn a_malformed_client_request_id_is_not_kept() {
    let app = TestApp::start().await;
    let w = World::new(&app, "activity-bad-client-id").await;
    let res = app
        .client
        .get(app.url("/api/v1/products"))
        .bearer_auth(w.buyer.token.clone().unwrap())
        .header("X-Tenant-ID", w.buyer.tenant.clone().unwrap())
        .header("x-request-id", "two words")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let page = app.get("/api/v1/audit?kind=api_call", &w.admin).await;
    let row = page
        .items()
        .into_iter()
        .find(|i| i["request_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no row for {id}"));
    assert_eq!(row["client_request_id"], Value::Null, "{row}");
}

#[tokio::test]
async fn who_created_a_thing_is_found_by_its_id_and_people_by_name() {
    let app = TestApp::start().await;
    let w = World::new(&app, "audit-people").await;
    let seller_id = app.get("/api/v1/users/me", &w.seller).await.id();
    let product = app
        .post(
            "/api/v1/products",
            &w.seller,
            json!({"title": "Lamp", "price_minor": 500, "currency": "USD"}),
        )
        .await;
    product.assert_status(201);
    let product_id = product.id();
    // Computing an answer creates nothing: not a create.
    app.post(
        "/api/v1/behavior/analyze",
        &w.admin,
        json!({"events": [{"action": "auth_failure"}]}),
    )
    .await
    .assert_status(200);
    app.state.audit.flush().await.unwrap();

    let r = app
        .get(
            &format!("/api/v1/audit?kind=resource_create&resource_id={product_id}"),
            &w.admin,
        )
        .await;
    r.assert_status(200);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.text);
    assert_eq!(items[0]["actor_id"], json!(seller_id));
    assert_eq!(items[0]["route"], "/api/v1/products");
    let analyze = app
        .get("/api/v1/audit?resource_type=behavior", &w.admin)
        .await;
    let analyze = analyze.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["route"] == "/api/v1/behavior/analyze")
        .cloned()
        .unwrap_or_else(|| panic!("no analyze row in {}", analyze.text));
    assert_eq!(analyze["kind"], "api_call");

    // The same person by id, subject and e-mail (any case); nobody else's rows.
    for actor in [
        seller_id.to_string(),
        "seller-1".to_owned(),
        "SELLER-1@Example.TEST".to_owned(),
    ] {
        let r = app
            .get(
                &format!("/api/v1/audit?limit=100&actor={}", urlencoding(&actor)),
                &w.admin,
            )
            .await;
        r.assert_status(200);
        let items = r.body["items"].as_array().unwrap();
        assert!(
            items.iter().any(|e| e["resource_id"] == json!(product_id)),
            "{actor}: {}",
            r.text
        );
        assert!(
            items.iter().all(|e| e["actor_subject"] == "seller-1"),
            "{actor}: {}",
            r.text
        );
    }
    let r = app.get("/api/v1/audit?actor=nobody", &w.admin).await;
    assert_eq!(r.body["items"], json!([]), "{}", r.text);
    // Blank filters nothing; a control character is refused.
    app.get("/api/v1/audit?actor=%20", &w.admin)
        .await
        .assert_status(200);
    app.get("/api/v1/audit?actor=a%07b", &w.admin)
        .await
        .assert_problem(400, "invalid_query_parameter");

    // Users are found by subject, e-mail or name; wildcards are literal.
    let r = app
        .get("/api/v1/users?q=SELLER-1@example", &w.moderator)
        .await;
    r.assert_status(200);
    let found: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["subject"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["seller-1"], "{}", r.text);
    let r = app.get("/api/v1/users?q=%25", &w.moderator).await;
    assert_eq!(r.body["items"], json!([]), "{}", r.text);
    app.get("/api/v1/users?q=%20", &w.moderator)
        .await
        .assert_problem(400, "invalid_input");
    app.get("/api/v1/users?q=seller", &w.buyer)
        .await
        .assert_problem(403, "forbidden");
}

fn urlencoding(s: &str) -> String {
    s.replace('@', "%40")
}
