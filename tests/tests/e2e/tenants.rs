//! Tenant administration by platform administrators.

use serde_json::json;
use warden_commerce::Role;
use warden_tests::{As, TestApp};

#[tokio::test]
async fn platform_admins_create_list_read_and_update_tenants() {
    let app = TestApp::start().await;
    let admin = app.platform_admin();
    let r = app
        .post(
            "/api/v1/tenants",
            &admin,
            json!({"name": "  Shop One  ", "settings": {"locale": "en"}}),
        )
        .await;
    r.assert_status(201);
    assert_eq!(r.body["name"], "Shop One");
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["settings"]["locale"], "en");
    let id = r.id();

    let got = app.get(&format!("/api/v1/tenants/{id}"), &admin).await;
    assert_eq!(got.body, r.body);
    let listed = app
        .get("/api/v1/tenants?limit=100", &admin)
        .await
        .item_ids();
    assert!(listed.contains(&id));

    let upd = app
        .patch(
            &format!("/api/v1/tenants/{id}"),
            &admin,
            json!({"name": "Shop 1", "status": "suspended"}),
        )
        .await;
    upd.assert_status(200);
    assert_eq!(upd.body["name"], "Shop 1");
    assert_eq!(upd.body["status"], "suspended");
}

#[tokio::test]
async fn tenant_routes_refuse_everyone_but_platform_admins_and_bad_input() {
    let app = TestApp::start().await;
    let id = app.tenant("guarded").await;
    let tenant_admin = app.member(id, "ta", &[Role::TenantAdmin]);
    app.get("/api/v1/tenants", &tenant_admin)
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/tenants", &tenant_admin, json!({"name": "x"}))
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/tenants", &As::anonymous())
        .await
        .assert_problem(401, "unauthenticated");
    let admin = app.platform_admin();
    app.post("/api/v1/tenants", &admin, json!({"name": ""}))
        .await
        .assert_problem(400, "invalid_input");
    // A NUL reached PostgreSQL and answered 500 (outside probe); any control
    // character is refused, on create and on rename, and nothing changes.
    for name in ["ab\u{0}cd", "ab\u{1b}cd"] {
        let r = app
            .post("/api/v1/tenants", &admin, json!({"name": name}))
            .await;
        r.assert_problem(400, "invalid_input");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("control characters")
        );
        app.patch(
            &format!("/api/v1/tenants/{id}"),
            &admin,
            json!({"name": name}),
        )
        .await
        .assert_problem(400, "invalid_input");
    }
    app.get(&format!("/api/v1/tenants/{id}"), &admin)
        .await
        .assert_status(200);
    app.post(
        "/api/v1/tenants",
        &admin,
        json!({"name": "x", "settings": [1]}),
    )
    .await
    .assert_problem(400, "invalid_input");
    app.post(
        "/api/v1/tenants",
        &admin,
        json!({"name": "x", "plan": "gold"}),
    )
    .await
    .assert_problem(400, "invalid_body");
    app.patch(
        &format!("/api/v1/tenants/{id}"),
        &admin,
        json!({"status": "deleted"}),
    )
    .await
    .assert_problem(400, "invalid_body");
    app.get("/api/v1/tenants/not-a-uuid", &admin)
        .await
        .assert_problem(400, "invalid_path_parameter");
    app.get(&format!("/api/v1/tenants/{}", uuid::Uuid::now_v7()), &admin)
        .await
        .assert_problem(404, "tenant_not_found");
}

/// The tenant's audit rows of `action`, read as the admin (no flush needed:
/// tenant changes are recorded in their own transaction).
async fn audit_rows(tenant: uuid::Uuid, action: &str) -> Vec<serde_json::Value> {
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        row: serde_json::Value,
    }
    let mut conn = warden_tests::admin_conn().await;
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT to_jsonb(a) AS row FROM activity_log a
         WHERE tenant_id = $1 AND action = $2 ORDER BY id",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .bind::<diesel::sql_types::Text, _>(action)
    .load(&mut conn)
    .await
    .unwrap();
    rows.into_iter().map(|r| r.row).collect()
}

#[tokio::test]
async fn tenant_changes_are_audited_in_the_tenants_log_with_the_change() {
    let app = TestApp::start().await;
    let admin = app.platform_admin();
    let t = app.tenant("audited-tenant").await;
    let path = format!("/api/v1/tenants/{t}");

    app.patch(&path, &admin, json!({"status": "suspended"}))
        .await
        .assert_status(200);
    let suspended = audit_rows(t, "status_change").await;
    assert_eq!(suspended.len(), 1, "{suspended:?}");
    assert_eq!(suspended[0]["kind"], "security");
    assert_eq!(suspended[0]["resource_id"], t.to_string());
    assert_eq!(suspended[0]["metadata"]["from"]["status"], "active");
    assert_eq!(suspended[0]["metadata"]["to"]["status"], "suspended");
    assert!(suspended[0]["actor_subject"].is_string());

    app.patch(&path, &admin, json!({"name": "Renamed shop"}))
        .await
        .assert_status(200);
    let renamed = audit_rows(t, "tenant_change").await;
    assert_eq!(renamed.len(), 1, "{renamed:?}");
    assert_eq!(renamed[0]["kind"], "resource_update");
    assert_eq!(renamed[0]["metadata"]["to"]["name"], "Renamed shop");

    // A refused change writes neither the change nor a record of it.
    app.patch(&path, &admin, json!({"name": ""}))
        .await
        .assert_problem(400, "invalid_input");
    app.patch(
        "/api/v1/tenants/00000000-0000-7000-8000-000000000404",
        &admin,
        json!({"status": "active"}),
    )
    .await
    .assert_problem(404, "tenant_not_found");
    assert_eq!(audit_rows(t, "tenant_change").await.len(), 1);
    assert_eq!(audit_rows(t, "status_change").await.len(), 1);
}
