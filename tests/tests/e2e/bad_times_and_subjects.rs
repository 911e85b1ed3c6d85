//! Found by the outside probe of the release build: times chrono reads but
//! PostgreSQL cannot store (a panic or a 500 before), a token subject with a
//! NUL (written, then refused by the audit log), and another tenant asked for
//! on a live connection (ignored before, refused now as on tenant routes).

use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use serde_json::json;
use warden_commerce::Role;
use warden_tests::{As, TestApp, World, admin_conn, count_rows};

#[tokio::test]
async fn times_outside_the_years_1_to_9999_are_refused_where_they_arrive() {
    let app = TestApp::start().await;
    let w = World::new(&app, "bad-times").await;
    for (path, who) in [
        ("/api/v1/violations?to=-4713-01-01T00:00:00Z", &w.buyer),
        ("/api/v1/usage/history?to=-262143-01-01T00:00:00Z", &w.admin),
        (
            "/api/v1/violations/stats?to=-262143-01-01T00:00:00Z",
            &w.moderator,
        ),
        (
            "/api/v1/violations/trends?bucket=day&from=-4713-01-01T00:00:00Z",
            &w.moderator,
        ),
        ("/api/v1/audit?from=-4713-01-01T00:00:00Z", &w.admin),
    ] {
        let r = app.get(path, who).await;
        r.assert_problem(400, "invalid_query_parameter");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("between the years 1 and 9999"),
            "{path}: {}",
            r.text
        );
    }
    // The last year and an ordinary range still answer.
    app.get("/api/v1/violations?to=9999-12-31T00:00:00Z", &w.buyer)
        .await
        .assert_status(200);
    app.get(
        "/api/v1/usage/history?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z",
        &w.admin,
    )
    .await
    .assert_status(200);

    // In a body, naming the field, and nothing is written.
    let before = count_rows("moderation_rescans", w.tenant).await;
    let r = app
        .post(
            "/api/v1/moderation/rescans",
            &w.moderator,
            json!({"content_types": ["product"], "run_at": "-4713-01-01T00:00:00Z"}),
        )
        .await;
    r.assert_problem(400, "invalid_body");
    assert!(
        r.body["detail"].as_str().unwrap().contains("run_at"),
        "{}",
        r.text
    );
    // More than a year in the past is refused like more than a year ahead.
    app.post(
        "/api/v1/moderation/rescans",
        &w.moderator,
        json!({"content_types": ["product"], "run_at": "2001-01-01T00:00:00Z"}),
    )
    .await
    .assert_status(400);
    assert_eq!(count_rows("moderation_rescans", w.tenant).await, before);
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn tenants_named(name: &str) -> i64 {
    let mut conn = admin_conn().await;
    diesel::sql_query("SELECT count(*) AS n FROM tenants WHERE name = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<N>(&mut conn)
        .await
        .unwrap()
        .n
}

#[tokio::test]
async fn a_subject_with_a_control_character_is_an_invalid_token_and_writes_nothing() {
    let app = TestApp::start().await;
    let name = format!("nul-sub-{}", uuid::Uuid::now_v7());
    for sub in ["a\u{0}b", "a\nb"] {
        let admin = As {
            token: Some(app.token(None, sub, &[Role::PlatformAdmin])),
            tenant: None,
        };
        app.post("/api/v1/tenants", &admin, json!({"name": name}))
            .await
            .assert_problem(401, "invalid_token");
    }
    assert_eq!(tenants_named(&name).await, 0);
    let t = app.tenant("nul-sub-member").await;
    let member = app.member(t, "a\u{0}b", &[Role::Seller]);
    app.get("/api/v1/users/me", &member)
        .await
        .assert_problem(401, "invalid_token");
    assert_eq!(count_rows("users", t).await, 0);
}

#[tokio::test]
async fn a_live_connection_to_another_tenant_is_refused_as_a_tenant_route_is() {
    let app = TestApp::start().await;
    let a = app.tenant("live-mismatch-a").await;
    let b = app.tenant("live-mismatch-b").await;
    let moderator = app.member(a, "mod", &[Role::Moderator]);
    // By query parameter and by header, as on tenant routes.
    let by_query = app
        .get(&format!("/api/v1/ws?tenant_id={b}"), &moderator)
        .await;
    by_query.assert_problem(403, "tenant_mismatch");
    let by_header = As {
        token: moderator.token.clone(),
        tenant: Some(b.to_string()),
    };
    app.get("/api/v1/ws", &by_header)
        .await
        .assert_problem(403, "tenant_mismatch");
    // Its own tenant still admits it (a plain GET is refused only at the upgrade).
    app.get("/api/v1/ws", &moderator)
        .await
        .assert_problem(400, "invalid_input");
}
