//! Rate limits, resource quotas and usage metering through the HTTP API.

use futures::future::join_all;
use serde_json::{Value, json};
use warden_commerce::Role;
use warden_quotas::limiter::FailMode;
use warden_tests::{As, TestApp, count_rows, generous_limits, test_config};

fn limits(per_minute: i64, per_hour: i64, per_user: Option<i64>) -> Value {
    let mut l = generous_limits();
    l["requests_per_minute"] = json!(per_minute);
    l["requests_per_hour"] = json!(per_hour);
    l["user_requests_per_minute"] = json!(per_user);
    l
}

fn header(r: &warden_tests::Reply, name: &str) -> String {
    r.headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_minute_limit_answers_429_with_headers_and_spares_other_tenants() {
    let app = TestApp::start().await;
    let a = app.tenant_with_limits("rl-a", limits(3, 100, None)).await;
    let b = app.tenant("rl-b").await;
    let admin_a = app.member(a, "admin", &[Role::TenantAdmin]);
    for expected_remaining in ["2", "1", "0"] {
        let r = app.get("/api/v1/users/me", &admin_a).await;
        r.assert_status(200);
        assert_eq!(header(&r, "x-ratelimit-limit-minute"), "3");
        assert_eq!(
            header(&r, "x-ratelimit-remaining-minute"),
            expected_remaining
        );
        assert_eq!(header(&r, "x-ratelimit-limit-hour"), "100");
        assert_eq!(header(&r, "x-ratelimit-limit-day"), "10000000");
        assert!(!header(&r, "x-ratelimit-reset-minute").is_empty());
        assert_eq!(
            header(&r, "ratelimit-policy"),
            "\"minute\";q=3;w=60, \"hour\";q=100;w=3600, \"day\";q=10000000;w=86400"
        );
        assert!(
            header(&r, "ratelimit").starts_with(&format!("\"minute\";r={expected_remaining};t="))
        );
    }
    let r = app.get("/api/v1/users/me", &admin_a).await;
    r.assert_problem(429, "rate_limited");
    assert_eq!(r.body["window"], "minute");
    let retry: u64 = header(&r, "retry-after").parse().unwrap();
    assert!((1..=20).contains(&retry), "Retry-After {retry}");
    assert_eq!(header(&r, "x-ratelimit-remaining-minute"), "0");
    // The refused request was not charged to the hour window.
    assert_eq!(header(&r, "x-ratelimit-remaining-hour"), "97");
    let again = app.get("/api/v1/users/me", &admin_a).await;
    again.assert_problem(429, "rate_limited");
    assert_eq!(header(&again, "x-ratelimit-remaining-hour"), "97");

    // Tenant B has its own budget.
    let r = app
        .get(
            "/api/v1/users/me",
            &app.member(b, "admin", &[Role::TenantAdmin]),
        )
        .await;
    r.assert_status(200);
    assert_eq!(header(&r, "x-ratelimit-remaining-minute"), "99999");
}

#[tokio::test]
async fn the_per_user_limit_stops_one_user_but_not_the_tenant() {
    let app = TestApp::start().await;
    let t = app
        .tenant_with_limits("rl-user", limits(100, 1000, Some(2)))
        .await;
    let noisy = app.member(t, "noisy", &[Role::Buyer]);
    let quiet = app.member(t, "quiet", &[Role::Buyer]);
    app.get("/api/v1/products", &noisy).await.assert_status(200);
    app.get("/api/v1/products", &noisy).await.assert_status(200);
    let r = app.get("/api/v1/products", &noisy).await;
    r.assert_problem(429, "rate_limited");
    assert_eq!(r.body["window"], "user-minute");
    assert!(header(&r, "ratelimit-policy").contains("\"user-minute\";q=2;w=60"));
    let ok = app.get("/api/v1/products", &quiet).await;
    ok.assert_status(200);
    // Two admitted for noisy, one for quiet; the refusal cost the tenant nothing.
    assert_eq!(header(&ok, "x-ratelimit-remaining-minute"), "97");
}

#[tokio::test]
async fn new_limits_set_through_one_replica_apply_on_another_within_seconds() {
    let one = TestApp::start().await;
    let two = TestApp::start().await;
    let t = one.tenant("rl-change").await;
    let admin = one.member(t, "admin", &[Role::TenantAdmin]);
    // Replica two has the generous limits cached now.
    let r = two.get("/api/v1/users/me", &admin).await;
    assert_eq!(header(&r, "x-ratelimit-limit-minute"), "100000");
    one.put(
        &format!("/api/v1/tenants/{t}/limits"),
        &one.platform_admin(),
        limits(7, 100, None),
    )
    .await
    .assert_status(200);
    let started = std::time::Instant::now();
    loop {
        let r = two.get("/api/v1/users/me", &admin).await;
        if header(&r, "x-ratelimit-limit-minute") == "7" {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 5,
            "limit not applied after 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_raised_limit_keeps_the_requests_already_used() {
    let app = TestApp::start().await;
    let mut l = limits(1_000, 5_000, None);
    l["requests_per_day"] = json!(1_000);
    let t = app.tenant_with_limits("rl-raise", l.clone()).await;
    let admin = app.member(t, "admin", &[Role::TenantAdmin]);
    let mut sent = 0_i64;
    for _ in 0..280 {
        app.get("/api/v1/users/me", &admin).await.assert_status(200);
        sent += 1;
    }
    l["requests_per_day"] = json!(10_000);
    app.put(
        &format!("/api/v1/tenants/{t}/limits"),
        &app.platform_admin(),
        l,
    )
    .await
    .assert_status(200);
    let r = loop {
        let r = app.get("/api/v1/users/me", &admin).await;
        sent += 1;
        if header(&r, "x-ratelimit-limit-day") == "10000" {
            break r;
        }
        assert!(sent < 400, "the raised limit was not applied");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let left: i64 = header(&r, "x-ratelimit-remaining-day").parse().unwrap();
    // At 10,000 a day a cell frees every 8.64 s: the test's own seconds may
    // give one back, never hundreds.
    assert!(
        (10_000 - sent..=10_000 - sent + 1).contains(&left),
        "{left} left after {sent} requests"
    );
}

#[tokio::test]
async fn twenty_parallel_creates_with_three_left_admit_exactly_three() {
    let app = TestApp::start().await;
    let w = warden_tests::World::new(&app, "quota-race").await;
    let existing = count_rows("products", w.tenant).await;
    let mut l = generous_limits();
    l["max_products"] = json!(existing + 3);
    app.put(
        &format!("/api/v1/tenants/{}/limits", w.tenant),
        &app.platform_admin(),
        l,
    )
    .await
    .assert_status(200);
    let creates = (0..20).map(|i| {
        app.post(
            "/api/v1/products",
            &w.seller,
            json!({"title": format!("race {i}"), "price_minor": 1, "currency": "USD"}),
        )
    });
    let replies = join_all(creates).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        created,
        3,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for r in replies.iter().filter(|r| r.status != 201) {
        r.assert_problem(403, "quota_exceeded");
        assert_eq!(r.body["quota"], "products");
        assert_eq!(r.body["usage"], existing + 3);
        assert_eq!(r.body["limit"], existing + 3);
    }
    assert_eq!(count_rows("products", w.tenant).await, existing + 3);
    // Deleting one frees a place.
    let id = replies.iter().find(|r| r.status == 201).unwrap().id();
    app.delete(&format!("/api/v1/products/{id}"), &w.seller)
        .await
        .assert_status(204);
    app.post(
        "/api/v1/products",
        &w.seller,
        json!({"title": "again", "price_minor": 1, "currency": "USD"}),
    )
    .await
    .assert_status(201);
}

#[tokio::test]
async fn storage_and_user_quotas_refuse_and_write_nothing() {
    let app = TestApp::start().await;
    let mut l = generous_limits();
    l["max_storage_bytes"] = json!(1000);
    l["max_users"] = json!(2);
    let t = app.tenant_with_limits("quota-bytes", l).await;
    let seller = app.member(t, "s", &[Role::Seller]);
    app.put("/api/v1/sellers/me", &seller, json!({"store_name": "S"}))
        .await
        .assert_status(201);
    app.post("/api/v1/products", &seller, json!({"title": "small", "description": "a".repeat(500), "price_minor": 1, "currency": "USD"}))
        .await
        .assert_status(201);
    let r = app
        .post("/api/v1/products", &seller, json!({"title": "big", "description": "b".repeat(600), "price_minor": 1, "currency": "USD"}))
        .await;
    r.assert_problem(403, "quota_exceeded");
    assert_eq!(r.body["quota"], "storage_bytes");
    assert_eq!(r.body["usage"], 505);
    assert_eq!(r.body["requested"], 603, "title + description bytes");
    assert_eq!(r.body["available"], 495);
    assert_eq!(r.body["limit"], 1000);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("needs 603 bytes of storage and 495 of 1000 are left"),
        "{detail}"
    );
    assert_eq!(count_rows("products", t).await, 1);

    // Two users fit (the seller is one); a third new subject is refused.
    app.get("/api/v1/users/me", &app.member(t, "second", &[Role::Buyer]))
        .await
        .assert_status(200);
    let r = app
        .get("/api/v1/users/me", &app.member(t, "third", &[Role::Buyer]))
        .await;
    r.assert_problem(403, "quota_exceeded");
    assert_eq!(r.body["quota"], "users");
    assert_eq!(count_rows("users", t).await, 2);
    // Known users keep working.
    app.get("/api/v1/users/me", &seller)
        .await
        .assert_status(200);
}

/// Waits out the last seconds of a minute, so a test's calls all fall in one
/// minute (and so one hour and one day) bucket.
async fn clear_of_a_minute_boundary() {
    use chrono::Timelike;
    let second = chrono::Utc::now().second();
    if second >= 55 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
}

#[tokio::test]
async fn usage_counts_equal_the_requests_sent() {
    clear_of_a_minute_boundary().await;
    let app = TestApp::start().await;
    let t = app.tenant("usage-count").await;
    let admin = app.member(t, "admin", &[Role::TenantAdmin]);
    let buyer = app.member(t, "buyer", &[Role::Buyer]);
    for _ in 0..5 {
        app.get("/api/v1/users/me", &admin).await.assert_status(200);
    }
    for _ in 0..6 {
        app.get("/api/v1/products", &buyer).await.assert_status(200);
    }
    // Requests refused before the limiter (bad tenant header) are not API calls of this tenant.
    app.get("/api/v1/products", &buyer.with_tenant_header("junk"))
        .await
        .assert_problem(400, "invalid_tenant_header");

    // Before any flush the report counts what this node holds in memory.
    let r = app.get("/api/v1/usage", &admin).await;
    r.assert_status(200);
    assert_eq!(r.body["api_calls"]["minute"]["usage"], 12, "{}", r.text);
    assert_eq!(
        count_rows("api_usage", t).await,
        0,
        "written per request instead of in batches"
    );

    let written = app.state.usage.flush().await.unwrap();
    assert!(written >= 12);
    assert_eq!(
        count_rows("api_usage", t).await,
        3,
        "one minute, one hour and one day bucket"
    );
    let r = app.get("/api/v1/usage", &admin).await;
    assert_eq!(r.body["api_calls"]["minute"]["usage"], 13);
    assert_eq!(r.body["api_calls"]["hour"]["usage"], 13);
    assert_eq!(r.body["api_calls"]["day"]["usage"], 13);
    assert_eq!(r.body["api_calls"]["minute"]["limit"], 100000);
    assert_eq!(r.body["users"]["usage"], 2);
    assert_eq!(r.body["products"]["limit"], 100000);

    app.state.usage.flush().await.unwrap();
    let h = app
        .get("/api/v1/usage/history?granularity=hour", &admin)
        .await;
    h.assert_status(200);
    let total: i64 = h.body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["calls"].as_i64().unwrap())
        .sum();
    // Stored: 13 calls; the history requests themselves are not flushed yet.
    assert_eq!(total, 13, "{}", h.text);
    let d = app
        .get("/api/v1/usage/history?granularity=day", &admin)
        .await;
    assert_eq!(d.body["buckets"][0]["calls"], 13);
}

#[tokio::test]
async fn usage_and_limits_are_guarded_and_validated() {
    let app = TestApp::start().await;
    let t = app.tenant("usage-guard").await;
    let seller = app.member(t, "s", &[Role::Seller]);
    let admin = app.member(t, "a", &[Role::TenantAdmin]);
    for path in ["/api/v1/usage", "/api/v1/usage/history"] {
        let r = app.get(path, &seller).await;
        r.assert_problem(403, "forbidden");
        assert_eq!(r.body["detail"], "usage is for tenant administrators");
    }
    app.get("/api/v1/usage/history?granularity=week", &admin)
        .await
        .assert_problem(400, "invalid_query_parameter");
    // An empty range, and a range of more buckets than a request reads (cut
    // to the last 2,000), are answered, not refused.
    for query in [
        "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "granularity=minute&from=2020-01-01T00:00:00Z",
    ] {
        let r = app
            .get(&format!("/api/v1/usage/history?{query}"), &admin)
            .await;
        r.assert_status(200);
        assert!(r.body["buckets"].is_array(), "{}", r.text);
    }

    let path = format!("/api/v1/tenants/{t}/limits");
    app.get(&path, &admin)
        .await
        .assert_problem(403, "forbidden");
    app.put(&path, &admin, generous_limits())
        .await
        .assert_problem(403, "forbidden");
    let mut bad = generous_limits();
    bad["requests_per_minute"] = json!(0);
    app.put(&path, &app.platform_admin(), bad)
        .await
        .assert_problem(400, "invalid_input");
    let mut partial = generous_limits();
    partial.as_object_mut().unwrap().remove("max_users");
    app.put(&path, &app.platform_admin(), partial)
        .await
        .assert_problem(400, "invalid_body");
    app.put(
        &format!("/api/v1/tenants/{}/limits", uuid::Uuid::now_v7()),
        &app.platform_admin(),
        generous_limits(),
    )
    .await
    .assert_problem(404, "tenant_not_found");

    // A tenant without overrides reports the defaults.
    let fresh = app
        .post(
            "/api/v1/tenants",
            &app.platform_admin(),
            json!({"name": "defaults"}),
        )
        .await
        .id();
    let d = app
        .get(
            &format!("/api/v1/tenants/{fresh}/limits"),
            &app.platform_admin(),
        )
        .await;
    d.assert_status(200);
    assert_eq!(d.body["requests_per_minute"], 60);
    assert_eq!(d.body["requests_per_hour"], 1000);
    assert_eq!(d.body["requests_per_day"], 10000);
    assert_eq!(d.body["max_products"], 1000);
    assert_eq!(d.body["max_users"], 100);
    assert_eq!(d.body["max_storage_bytes"], 1_073_741_824_i64);
    assert!(d.body["user_requests_per_minute"].is_null());
    assert!(d.body["updated_at"].is_null());
}

#[tokio::test]
async fn two_servers_on_one_redis_share_a_tenants_budget() {
    let mut config = test_config();
    config.rate_limit.redis_url =
        Some(std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()));
    config.rate_limit.fail_mode = FailMode::Closed;
    let one = TestApp::start_with(config.clone()).await;
    let two = TestApp::start_with(config).await;
    let t = one
        .tenant_with_limits("rl-redis", limits(4, 100, None))
        .await;
    let who: As = one.member(t, "admin", &[Role::TenantAdmin]);
    let mut admitted = 0;
    for i in 0..10 {
        let app = if i % 2 == 0 { &one } else { &two };
        if app.get("/api/v1/users/me", &who).await.status == 200 {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 4);
    let ready = one.get("/health/ready", &As::anonymous()).await;
    assert_eq!(ready.body["rate_limiter"]["backend"], "redis");
    assert_eq!(ready.body["rate_limiter"]["redis_errors"], 0);
}

/// What the tenant really stores, counted by the database (bypassing RLS as admin).
async fn recount(tenant: uuid::Uuid) -> (i64, i64) {
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct Truth {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        products: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        bytes: i64,
    }
    let mut conn = warden_tests::admin_conn().await;
    let t: Truth = diesel::sql_query(
        "SELECT (SELECT count(*) FROM products WHERE tenant_id = $1 AND status <> 'deleted') AS products,
                ((SELECT coalesce(sum(storage_bytes), 0) FROM products WHERE tenant_id = $1 AND status <> 'deleted')
                + (SELECT coalesce(sum(octet_length(subject)), 0) FROM conversations WHERE tenant_id = $1)
                + (SELECT coalesce(sum(octet_length(body)), 0) FROM messages WHERE tenant_id = $1)
                + (SELECT coalesce(sum(octet_length(body)), 0) FROM reviews WHERE tenant_id = $1))::bigint AS bytes",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .get_result(&mut conn)
    .await
    .unwrap();
    (t.products, t.bytes)
}

#[tokio::test]
async fn quota_counters_follow_every_write_including_concurrent_deletes() {
    let app = TestApp::start().await;
    // The world creates products, a conversation with a message, an order and a review.
    let w = warden_tests::World::new(&app, "counters").await;
    let usage = |r: &warden_tests::Reply| {
        (
            r.body["products"]["usage"].as_i64().unwrap(),
            r.body["storage_bytes"]["usage"].as_i64().unwrap(),
        )
    };
    let check = |label: &'static str| {
        let app = &app;
        let admin = w.admin.clone();
        let tenant = w.tenant;
        async move {
            let r = app.get("/api/v1/usage", &admin).await;
            assert_eq!(
                usage(&r),
                recount(tenant).await,
                "{label}: counters drifted from what is stored"
            );
        }
    };
    check("after setup").await;
    let path = format!("/api/v1/products/{}", w.product_id);
    app.patch(
        &path,
        &w.seller,
        json!({"description": "now with a much longer description"}),
    )
    .await
    .assert_status(200);
    check("after an edit").await;
    app.post(
        &format!("/api/v1/conversations/{}/messages", w.conversation_id),
        &w.seller,
        json!({"body": "Sure."}),
    )
    .await
    .assert_status(201);
    check("after a message").await;
    // Two deletes of one listing at once: exactly one frees its quota.
    let (a, b) = tokio::join!(app.delete(&path, &w.seller), app.delete(&path, &w.admin));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 404]);
    check("after concurrent deletes").await;
    // Concurrent edits of one listing charge their differences in turn.
    let other = format!("/api/v1/products/{}", w.other_product_id);
    let edits = (0..6).map(|i| {
        app.patch(
            &other,
            &w.other_seller,
            json!({"description": "x".repeat(10 + i * 7)}),
        )
    });
    for r in join_all(edits).await {
        r.assert_status(200);
    }
    check("after concurrent edits").await;
}

#[tokio::test]
async fn without_a_per_user_limit_one_buyer_gets_a_share_of_the_minute_and_staff_do_not() {
    let mut config = test_config();
    config.rate_limit.user_share_percent = 20;
    let app = TestApp::start_with(config).await;
    let t = app
        .tenant_with_limits("rl-share", limits(50, 1000, None))
        .await;
    let buyer = app.member(t, "flooding-buyer", &[Role::Buyer]);
    for _ in 0..10 {
        app.get("/api/v1/products", &buyer).await.assert_status(200);
    }
    let r = app.get("/api/v1/products", &buyer).await;
    r.assert_problem(429, "rate_limited");
    assert_eq!(r.body["window"], "user-minute");
    assert!(header(&r, "ratelimit-policy").contains("\"user-minute\";q=10;w=60"));
    // The tenant's staff, and its other buyers, still have the other 40.
    let admin = app.member(t, "admin", &[Role::TenantAdmin]);
    let ok = app.get("/api/v1/users/me", &admin).await;
    ok.assert_status(200);
    assert_eq!(header(&ok, "x-ratelimit-remaining-minute"), "39");
    assert!(!header(&ok, "ratelimit-policy").contains("user-minute"));
    app.get(
        "/api/v1/products",
        &app.member(t, "moderator", &[Role::Moderator]),
    )
    .await
    .assert_status(200);
    app.get(
        "/api/v1/products",
        &app.member(t, "quiet-buyer", &[Role::Buyer]),
    )
    .await
    .assert_status(200);
}
