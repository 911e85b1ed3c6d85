//! Seller profiles: every member of the tenant may browse stores, but only
//! the owner and staff see the owner's user id and contact details.

use serde_json::{Value, json};
use warden_commerce::Role;
use warden_tests::{As, TestApp};

const PRIVATE: [&str; 3] = ["user_id", "contact_email", "contact_phone"];

/// The store `id` as `who` sees it, from `GET /sellers/{id}` and from `GET /sellers`.
async fn views(app: &TestApp, who: &As, id: &str) -> [Value; 2] {
    let one = app.get(&format!("/api/v1/sellers/{id}"), who).await;
    one.assert_status(200);
    let list = app.get("/api/v1/sellers?limit=100", who).await;
    list.assert_status(200);
    let listed = list
        .items()
        .into_iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("store {id} not listed: {}", list.text));
    [one.body, listed]
}

#[tokio::test]
async fn only_the_owner_and_staff_see_a_stores_contact_details_and_owner() {
    let app = TestApp::start().await;
    let t = app.tenant("seller-privacy").await;
    let owner = app.member(t, "owner", &[Role::Seller]);
    let owner_id = app.get("/api/v1/users/me", &owner).await.id();
    let store = app
        .put(
            "/api/v1/sellers/me",
            &owner,
            json!({"store_name": "Corner shop", "contact_email": "owner@example.com",
                   "contact_phone": "+15550100", "description": "Teapots"}),
        )
        .await;
    store.assert_status(201);
    let id = store.body["id"].as_str().unwrap().to_owned();
    let other_seller = app.member(t, "other-seller", &[Role::Seller]);
    app.put(
        "/api/v1/sellers/me",
        &other_seller,
        json!({"store_name": "Rival shop", "contact_email": "rival@example.com"}),
    )
    .await
    .assert_status(201);
    let buyer = app.member(t, "buyer", &[Role::Buyer]);
    let moderator = app.member(t, "mod", &[Role::Moderator]);
    let admin = app.member(t, "admin", &[Role::TenantAdmin]);
    let platform = As {
        token: Some(app.token(None, "platform", &[Role::PlatformAdmin])),
        tenant: Some(t.to_string()),
    };

    for (name, who) in [("buyer", &buyer), ("another seller", &other_seller)] {
        for view in views(&app, who, &id).await {
            for field in PRIVATE {
                assert!(view.get(field).is_none(), "{name} sees {field}: {view}");
            }
            // The public part is all there.
            assert_eq!(view["store_name"], "Corner shop", "{view}");
            assert_eq!(view["description"], "Teapots", "{view}");
            assert_eq!(view["status"], "active", "{view}");
        }
    }
    for (name, who) in [
        ("owner", &owner),
        ("moderator", &moderator),
        ("tenant admin", &admin),
        ("platform admin", &platform),
    ] {
        for view in views(&app, who, &id).await {
            assert_eq!(view["user_id"], owner_id.to_string(), "{name}: {view}");
            assert_eq!(view["contact_email"], "owner@example.com", "{name}: {view}");
            assert_eq!(view["contact_phone"], "+15550100", "{name}: {view}");
        }
    }
    // The owner's own store, read or written, is complete.
    let mine = app.get("/api/v1/sellers/me", &owner).await;
    assert_eq!(
        mine.body["contact_email"], "owner@example.com",
        "{}",
        mine.text
    );
    assert_eq!(mine.body["user_id"], owner_id.to_string());
    let updated = app
        .put(
            "/api/v1/sellers/me",
            &owner,
            json!({"store_name": "Corner shop", "contact_phone": "+15550199"}),
        )
        .await;
    updated.assert_status(200);
    assert_eq!(
        updated.body["contact_phone"], "+15550199",
        "{}",
        updated.text
    );
    assert_eq!(updated.body["user_id"], owner_id.to_string());
}
