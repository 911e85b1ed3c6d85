//! Who may do what inside one tenant.

use serde_json::json;
use warden_commerce::Role;
use warden_tests::{TestApp, World, count_rows};

#[tokio::test]
async fn a_buyer_cannot_create_products() {
    let app = TestApp::start().await;
    let w = World::new(&app, "roles-buyer").await;
    let before = count_rows("products", w.tenant).await;
    app.post(
        "/api/v1/products",
        &w.buyer,
        json!({"title": "x", "price_minor": 1, "currency": "USD"}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.put(
        "/api/v1/sellers/me",
        &w.buyer,
        json!({"store_name": "sneaky"}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(count_rows("products", w.tenant).await, before);
}

#[tokio::test]
async fn a_seller_needs_a_profile_before_listing() {
    let app = TestApp::start().await;
    let w = World::new(&app, "roles-profile").await;
    let newcomer = app.member(w.tenant, "seller-new", &[Role::Seller]);
    app.post(
        "/api/v1/products",
        &newcomer,
        json!({"title": "x", "price_minor": 1, "currency": "USD"}),
    )
    .await
    .assert_problem(403, "seller_profile_required");
    app.get("/api/v1/sellers/me", &newcomer)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_seller_cannot_edit_or_delete_another_sellers_product() {
    let app = TestApp::start().await;
    let w = World::new(&app, "roles-edit").await;
    let path = format!("/api/v1/products/{}", w.other_product_id);
    app.patch(&path, &w.seller, json!({"title": "mine now"}))
        .await
        .assert_problem(403, "forbidden");
    app.delete(&path, &w.seller)
        .await
        .assert_problem(403, "forbidden");
    let p = app.get(&path, &w.other_seller).await;
    assert_eq!(p.body["title"], "Kettle");

    // The owner and a tenant admin may.
    app.patch(&path, &w.other_seller, json!({"title": "Kettle v2"}))
        .await
        .assert_status(200);
    app.patch(&path, &w.admin, json!({"price_minor": 100}))
        .await
        .assert_status(200);
    let p = app.get(&path, &w.buyer).await;
    assert_eq!(p.body["title"], "Kettle v2");
    assert_eq!(p.body["price_minor"], 100);
    // A moderator may read everything but not edit.
    app.patch(&path, &w.moderator, json!({"title": "x"}))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn drafts_are_private_and_deleted_products_disappear() {
    let app = TestApp::start().await;
    let w = World::new(&app, "roles-draft").await;
    let draft = app
        .post(
            "/api/v1/products",
            &w.seller,
            json!({"title": "Secret", "price_minor": 5, "currency": "EUR", "status": "draft"}),
        )
        .await
        .assert_status(201)
        .id();
    let path = format!("/api/v1/products/{draft}");
    app.get(&path, &w.buyer)
        .await
        .assert_problem(404, "not_found");
    app.get(&path, &w.other_seller)
        .await
        .assert_problem(404, "not_found");
    app.get(&path, &w.seller).await.assert_status(200);
    app.get(&path, &w.moderator).await.assert_status(200);
    assert!(
        !app.get("/api/v1/products", &w.buyer)
            .await
            .item_ids()
            .contains(&draft)
    );
    assert!(
        app.get("/api/v1/products", &w.seller)
            .await
            .item_ids()
            .contains(&draft)
    );

    app.delete(&path, &w.seller).await.assert_status(204);
    app.get(&path, &w.seller)
        .await
        .assert_problem(404, "not_found");
    app.get(&path, &w.admin)
        .await
        .assert_problem(404, "not_found");
    assert!(
        !app.get("/api/v1/products", &w.admin)
            .await
            .item_ids()
            .contains(&draft)
    );
    // Kept as evidence.
    assert_eq!(count_rows("products", w.tenant).await, 3);
}

#[tokio::test]
async fn tenant_admins_disable_users_and_disabled_users_are_refused() {
    let app = TestApp::start().await;
    let w = World::new(&app, "roles-disable").await;
    let buyer_id = app.get("/api/v1/users/me", &w.buyer).await.id();
    let path = format!("/api/v1/users/{buyer_id}");
    app.patch(&path, &w.moderator, json!({"status": "disabled"}))
        .await
        .assert_problem(403, "forbidden");
    app.patch(&path, &w.seller, json!({"status": "disabled"}))
        .await
        .assert_problem(403, "forbidden");
    // Roles come from the token and cannot be set through the API.
    app.patch(&path, &w.admin, json!({"roles": ["tenant_admin"]}))
        .await
        .assert_problem(400, "invalid_body");
    let r = app
        .patch(&path, &w.admin, json!({"status": "disabled"}))
        .await;
    r.assert_status(200);
    assert_eq!(r.body["status"], "disabled");
    app.get("/api/v1/products", &w.buyer)
        .await
        .assert_problem(403, "user_disabled");
    app.patch(&path, &w.admin, json!({"status": "active"}))
        .await
        .assert_status(200);
    app.get("/api/v1/products", &w.buyer)
        .await
        .assert_status(200);

    // Users see themselves; only staff see others and the list.
    let seller_id = app.get("/api/v1/users/me", &w.seller).await.id();
    app.get(&format!("/api/v1/users/{seller_id}"), &w.buyer)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/users/{seller_id}"), &w.moderator)
        .await
        .assert_status(200);
    app.get("/api/v1/users", &w.buyer)
        .await
        .assert_problem(403, "forbidden");
    let listed = app
        .get("/api/v1/users?status=active", &w.admin)
        .await
        .item_ids();
    assert!(listed.contains(&seller_id) && listed.contains(&buyer_id));
}

#[tokio::test]
async fn user_rows_follow_the_token() {
    let app = TestApp::start().await;
    let w = World::new(&app, "roles-sync").await;
    let me = app.get("/api/v1/users/me", &w.seller).await;
    assert_eq!(me.body["subject"], "seller-1");
    assert_eq!(me.body["email"], "seller-1@example.test");
    assert_eq!(me.body["roles"], json!(["seller"]));
    // The same subject with new roles: the row is updated, not duplicated.
    let promoted = app.member(w.tenant, "seller-1", &[Role::Seller, Role::Moderator]);
    let me2 = app.get("/api/v1/users/me", &promoted).await;
    assert_eq!(me2.id(), me.id());
    let mut roles: Vec<String> = serde_json::from_value(me2.body["roles"].clone()).unwrap();
    roles.sort();
    assert_eq!(roles, vec!["moderator", "seller"]);
}

#[tokio::test]
async fn list_pagination_walks_every_item_once() {
    let app = TestApp::start().await;
    let w = World::new(&app, "roles-page").await;
    // Six listings: more than level 0's five.
    let mut settings = app.get("/api/v1/trust/settings", &w.admin).await.body;
    settings["listing_limits"][0] = json!(10);
    app.put("/api/v1/trust/settings", &w.admin, settings)
        .await
        .assert_status(200);
    for i in 0..5 {
        app.post(
            "/api/v1/products",
            &w.seller,
            json!({"title": format!("p{i}"), "price_minor": i, "currency": "USD"}),
        )
        .await
        .assert_status(201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/products?limit=2&cursor={c}"),
            None => "/api/v1/products?limit=2".into(),
        };
        let page = app
            .get(&path, &w.buyer)
            .await
            .assert_status(200)
            .body
            .clone();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 7);
    let seller_filter = app
        .get(
            &format!("/api/v1/products?seller_id={}&limit=100", w.other_seller_id),
            &w.buyer,
        )
        .await
        .item_ids();
    assert_eq!(seller_filter, vec![w.other_product_id]);
}
