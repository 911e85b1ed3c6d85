//! Who may sanction whom: only a strictly higher role disables, bans or
//! records a violation of a user; platform administrators are never refused
//! by a tenant's user status; automatic enforcement bans no staff.

use serde_json::json;
use uuid::Uuid;
use warden_commerce::Role;
use warden_enforcement::model::Source;
use warden_enforcement::violations::ViolationRequest;
use warden_enforcement::{Severity, SourceKind, ViolationType};
use warden_tenancy::{ScopedFutureExt, TenantId};
use warden_tests::{As, TestApp, count_rows};

async fn user_id(app: &TestApp, who: &As) -> Uuid {
    app.get("/api/v1/users/me", who)
        .await
        .assert_status(200)
        .id()
}

/// A critical violation: on the default ladder it bans at once.
async fn ban(app: &TestApp, by: &As, user: Uuid) -> warden_tests::Reply {
    app.post(
        "/api/v1/violations",
        by,
        json!({"user_id": user, "type": "behavior", "severity": "critical", "reason": "abuse"}),
    )
    .await
}

#[tokio::test]
async fn a_tenant_admin_cannot_sanction_a_platform_admin_who_is_never_refused_by_user_status() {
    let app = TestApp::start().await;
    let tenant = app.tenant("sanction-pa").await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let buyer = app.member(tenant, "buyer", &[Role::Buyer]);
    let platform = app.platform_admin().with_tenant_header(&tenant.to_string());
    user_id(&app, &admin).await;
    let buyer_id = user_id(&app, &buyer).await;
    let pa_id = user_id(&app, &platform).await;

    let path = format!("/api/v1/users/{pa_id}");
    let r = app
        .patch(&path, &admin, json!({"status": "disabled"}))
        .await;
    r.assert_problem(403, "target_outranks_actor");
    assert!(r.text.contains("platform_admin"), "{}", r.text);
    ban(&app, &admin, pa_id)
        .await
        .assert_problem(403, "target_outranks_actor");
    // Nothing changed.
    let row = app.get(&path, &admin).await;
    row.assert_status(200);
    assert_eq!(row.body["status"], "active");
    assert_eq!(count_rows("violations", tenant).await, 0);

    // Even a row disabled or banned directly in the database does not lock a
    // platform administrator out; it does lock out anyone else.
    for status in ["disabled", "banned"] {
        app.set_user_status_in_db(tenant, pa_id, status).await;
        app.get("/api/v1/products", &platform)
            .await
            .assert_status(200);
        app.set_user_status_in_db(tenant, buyer_id, status).await;
        let code = if status == "disabled" {
            "user_disabled"
        } else {
            "user_banned"
        };
        app.get("/api/v1/products", &buyer)
            .await
            .assert_problem(403, code);
    }
    // A platform administrator keeps their roles there too.
    app.get("/api/v1/users", &platform).await.assert_status(200);
}

#[tokio::test]
async fn sanctions_on_staff_need_a_strictly_higher_role() {
    let app = TestApp::start().await;
    let tenant = app.tenant("sanction-rank").await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let other_admin = app.member(tenant, "admin-2", &[Role::TenantAdmin]);
    let moderator = app.member(tenant, "mod", &[Role::Moderator]);
    let other_mod = app.member(tenant, "mod-2", &[Role::Moderator]);
    let buyer = app.member(tenant, "buyer", &[Role::Buyer]);
    let admin_id = user_id(&app, &admin).await;
    let other_admin_id = user_id(&app, &other_admin).await;
    let mod_id = user_id(&app, &moderator).await;
    let other_mod_id = user_id(&app, &other_mod).await;
    let buyer_id = user_id(&app, &buyer).await;

    // A moderator bans neither an administrator nor a fellow moderator.
    ban(&app, &moderator, admin_id)
        .await
        .assert_problem(403, "target_outranks_actor");
    ban(&app, &moderator, other_mod_id)
        .await
        .assert_problem(403, "target_outranks_actor");
    // A tenant administrator neither bans nor disables nor re-enables a peer.
    ban(&app, &admin, other_admin_id)
        .await
        .assert_problem(403, "target_outranks_actor");
    for status in ["disabled", "active"] {
        app.patch(
            &format!("/api/v1/users/{other_admin_id}"),
            &admin,
            json!({"status": status}),
        )
        .await
        .assert_problem(403, "target_outranks_actor");
    }
    assert_eq!(count_rows("violations", tenant).await, 0);
    for who in [&admin, &other_admin, &other_mod] {
        app.get("/api/v1/products", who).await.assert_status(200);
    }

    // A moderator bans a buyer.
    ban(&app, &moderator, buyer_id).await.assert_status(201);
    app.get("/api/v1/products", &buyer)
        .await
        .assert_problem(403, "user_banned");
    // An administrator bans a moderator and disables another.
    ban(&app, &admin, mod_id).await.assert_status(201);
    app.get("/api/v1/products", &moderator)
        .await
        .assert_problem(403, "user_banned");
    app.patch(
        &format!("/api/v1/users/{other_mod_id}"),
        &admin,
        json!({"status": "disabled"}),
    )
    .await
    .assert_status(200);
    app.get("/api/v1/products", &other_mod)
        .await
        .assert_problem(403, "user_disabled");
    // A platform administrator outranks a tenant administrator.
    let platform = app.platform_admin().with_tenant_header(&tenant.to_string());
    app.patch(
        &format!("/api/v1/users/{other_admin_id}"),
        &platform,
        json!({"status": "disabled"}),
    )
    .await
    .assert_status(200);
    app.get("/api/v1/products", &other_admin)
        .await
        .assert_problem(403, "user_disabled");
    // ... and a tenant administrator does not undo it.
    app.patch(
        &format!("/api/v1/users/{other_admin_id}"),
        &admin,
        json!({"status": "active"}),
    )
    .await
    .assert_problem(403, "target_outranks_actor");
}

#[tokio::test]
async fn automatic_enforcement_records_violations_of_staff_but_bans_no_staff() {
    let app = TestApp::start().await;
    let tenant = app.tenant("sanction-auto").await;
    let moderator = app.member(tenant, "mod", &[Role::Moderator]);
    let buyer = app.member(tenant, "buyer", &[Role::Buyer]);
    let mod_id = user_id(&app, &moderator).await;
    let buyer_id = user_id(&app, &buyer).await;
    let t = TenantId::new(tenant);
    for user in [mod_id, buyer_id] {
        let request = ViolationRequest {
            user_id: user,
            violation_type: ViolationType::Behavior,
            severity: Severity::Critical,
            source: Source {
                kind: SourceKind::Detection,
                id: Some(Uuid::now_v7()),
            },
            reason: "detected".into(),
            evidence_id: None,
            ground: None,
            content: None,
            automated: true,
        };
        app.state
            .db
            .tenant_tx(t, |conn| {
                async move { warden_enforcement::jobs::enqueue_violation(conn, t, &request).await }
                    .scope_boxed()
            })
            .await
            .unwrap();
    }
    assert!(app.run_jobs(tenant).await >= 2);
    assert_eq!(count_rows("violations", tenant).await, 2);
    let list = app.get("/api/v1/violations", &moderator).await;
    list.assert_status(200);
    let items: Vec<_> = list
        .items()
        .into_iter()
        .filter(|v| v["user_id"] == mod_id.to_string())
        .collect();
    assert_eq!(items.len(), 1, "{}", list.text);
    // Recorded and counted on the ladder (step 3 of a critical), but a warning.
    assert_eq!(items[0]["action"], "warning");
    assert_eq!(items[0]["ladder_step"], 3);
    app.get("/api/v1/products", &moderator)
        .await
        .assert_status(200);
    // The buyer's is enforced as the ladder says.
    app.get("/api/v1/products", &buyer)
        .await
        .assert_problem(403, "user_banned");
}
