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
