//! Commerce flows end to end: orders and their lifecycle, conversations,
//! reviews and the AI assistant settings.

use serde_json::json;
use warden_commerce::Role;
use warden_tests::{TestApp, World, count_rows};

#[tokio::test]
async fn orders_follow_their_lifecycle_and_only_the_right_party_moves_them() {
    let app = TestApp::start().await;
    let w = World::new(&app, "orders").await;
    let r = app
        .post(
            "/api/v1/orders",
            &w.buyer,
            json!({"items": [{"product_id": w.product_id, "quantity": 3}]}),
        )
        .await;
    r.assert_status(201);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["total_minor"], 7500);
    assert_eq!(r.body["seller_id"], w.seller_id.to_string());
    assert_eq!(r.body["items"][0]["title"], "Teapot");
    let path = format!("/api/v1/orders/{}", r.id());

    // The seller cannot pay for the buyer; the buyer cannot ship.
    app.patch(&path, &w.seller, json!({"status": "paid"}))
        .await
        .assert_problem(403, "forbidden");
    app.patch(&path, &w.buyer, json!({"status": "paid"}))
        .await
        .assert_status(200);
    app.patch(&path, &w.buyer, json!({"status": "shipped"}))
        .await
        .assert_problem(403, "forbidden");
    // Not in the lifecycle at all: 409, even for an admin.
    app.patch(&path, &w.admin, json!({"status": "delivered"}))
        .await
        .assert_problem(409, "invalid_transition");
    app.patch(&path, &w.seller, json!({"status": "shipped"}))
        .await
        .assert_status(200);
    app.patch(&path, &w.buyer, json!({"status": "disputed"}))
        .await
        .assert_status(200);
    let r = app
        .patch(&path, &w.seller, json!({"status": "refunded"}))
        .await;
    r.assert_status(200);
    assert_eq!(r.body["status"], "refunded");
    app.patch(&path, &w.buyer, json!({"status": "paid"}))
        .await
        .assert_problem(409, "invalid_transition");
    app.patch(&path, &w.buyer, json!({"status": "lost"}))
        .await
        .assert_problem(400, "invalid_body");

    // Parties and staff read it; another buyer and another seller do not.
    app.get(&path, &w.seller).await.assert_status(200);
    app.get(&path, &w.moderator).await.assert_status(200);
    app.get(&path, &w.other_buyer)
        .await
        .assert_problem(404, "not_found");
    app.get(&path, &w.other_seller)
        .await
        .assert_problem(404, "not_found");
    assert!(
        !app.get("/api/v1/orders", &w.other_buyer)
            .await
            .item_ids()
            .contains(&r.id())
    );
    assert!(
        app.get("/api/v1/orders?status=refunded", &w.seller)
            .await
            .item_ids()
            .contains(&r.id())
    );
}

#[tokio::test]
async fn bad_orders_are_refused_and_write_nothing() {
    let app = TestApp::start().await;
    let w = World::new(&app, "orders-bad").await;
    let before = (
        count_rows("orders", w.tenant).await,
        count_rows("order_items", w.tenant).await,
    );
    let mixed = json!({"items": [{"product_id": w.product_id, "quantity": 1}, {"product_id": w.other_product_id, "quantity": 1}]});
    app.post("/api/v1/orders", &w.buyer, mixed)
        .await
        .assert_problem(400, "invalid_input");
    app.post("/api/v1/orders", &w.buyer, json!({"items": []}))
        .await
        .assert_problem(400, "invalid_input");
    app.post(
        "/api/v1/orders",
        &w.buyer,
        json!({"items": [{"product_id": w.product_id, "quantity": 0}]}),
    )
    .await
    .assert_problem(400, "invalid_input");
    app.post(
        "/api/v1/orders",
        &w.buyer,
        json!({"items": [{"product_id": uuid::Uuid::now_v7(), "quantity": 1}]}),
    )
    .await
    .assert_problem(404, "not_found");
    app.post(
        "/api/v1/orders",
        &w.seller,
        json!({"items": [{"product_id": w.product_id, "quantity": 1}]}),
    )
    .await
    .assert_problem(403, "forbidden");
    // A seller who also buys cannot buy from their own store.
    let both = app.member(w.tenant, "seller-1", &[Role::Seller, Role::Buyer]);
    app.post(
        "/api/v1/orders",
        &both,
        json!({"items": [{"product_id": w.product_id, "quantity": 1}]}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(
        (
            count_rows("orders", w.tenant).await,
            count_rows("order_items", w.tenant).await
        ),
        before
    );
}

#[tokio::test]
async fn only_participants_read_a_conversation_and_message_kinds_are_guarded() {
    let app = TestApp::start().await;
    let w = World::new(&app, "chat").await;
    let conv = format!("/api/v1/conversations/{}", w.conversation_id);
    let msgs = format!("{conv}/messages");
    app.get(&conv, &w.buyer).await.assert_status(200);
    app.get(&conv, &w.seller).await.assert_status(200);
    app.get(&conv, &w.moderator).await.assert_status(200);
    app.get(&conv, &w.other_buyer)
        .await
        .assert_problem(404, "not_found");
    app.get(&conv, &w.other_seller)
        .await
        .assert_problem(404, "not_found");
    app.get(&msgs, &w.other_buyer)
        .await
        .assert_problem(404, "not_found");
    app.post(&msgs, &w.other_buyer, json!({"body": "let me in"}))
        .await
        .assert_problem(404, "not_found");
    assert!(
        !app.get("/api/v1/conversations", &w.other_buyer)
            .await
            .item_ids()
            .contains(&w.conversation_id)
    );

    app.post(&msgs, &w.seller, json!({"body": "Yes, blue."}))
        .await
        .assert_status(201);
    let ai = app
        .post(
            &msgs,
            &w.seller,
            json!({"body": "I can also offer a cup.", "author_kind": "assistant"}),
        )
        .await;
    ai.assert_status(201);
    assert_eq!(ai.body["author_kind"], "assistant");
    app.post(
        &msgs,
        &w.buyer,
        json!({"body": "pretend", "author_kind": "assistant"}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        &msgs,
        &w.buyer,
        json!({"body": "pretend", "author_kind": "system"}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        &msgs,
        &w.admin,
        json!({"body": "Be kind.", "author_kind": "system"}),
    )
    .await
    .assert_status(201);
    app.post(&msgs, &w.moderator, json!({"body": "hello"}))
        .await
        .assert_problem(403, "forbidden");
    app.post(&msgs, &w.buyer, json!({"body": ""}))
        .await
        .assert_problem(400, "invalid_input");

    let listed = app.get(&msgs, &w.buyer).await;
    let bodies: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        vec![
            "Be kind.",
            "I can also offer a cup.",
            "Yes, blue.",
            "Is it blue?"
        ]
    );

    app.post(&format!("{conv}/close"), &w.buyer, json!({}))
        .await
        .assert_status(200);
    app.post(&msgs, &w.seller, json!({"body": "wait"}))
        .await
        .assert_problem(409, "conflict");
    assert_eq!(count_rows("messages", w.tenant).await, 4);
}

#[tokio::test]
async fn reviews_need_a_delivered_order_of_ones_own_and_come_once() {
    let app = TestApp::start().await;
    let w = World::new(&app, "reviews").await;
    // The world's buyer already reviewed the product; a store review is separate.
    app.post(
        "/api/v1/reviews",
        &w.buyer,
        json!({"order_id": w.order_id, "product_id": w.product_id, "rating": 4}),
    )
    .await
    .assert_problem(409, "conflict");
    let store = app
        .post(
            "/api/v1/reviews",
            &w.buyer,
            json!({"order_id": w.order_id, "rating": 3, "body": "ok"}),
        )
        .await;
    store.assert_status(201);
    assert!(store.body["product_id"].is_null());
    app.post(
        "/api/v1/reviews",
        &w.other_buyer,
        json!({"order_id": w.order_id, "rating": 1}),
    )
    .await
    .assert_problem(404, "not_found");
    app.post(
        "/api/v1/reviews",
        &w.buyer,
        json!({"order_id": w.order_id, "product_id": w.other_product_id, "rating": 1}),
    )
    .await
    .assert_problem(400, "invalid_input");
    app.post(
        "/api/v1/reviews",
        &w.buyer,
        json!({"order_id": w.order_id, "rating": 6}),
    )
    .await
    .assert_problem(400, "invalid_input");
    let pending = app
        .post(
            "/api/v1/orders",
            &w.buyer,
            json!({"items": [{"product_id": w.product_id, "quantity": 1}]}),
        )
        .await
        .id();
    app.post(
        "/api/v1/reviews",
        &w.buyer,
        json!({"order_id": pending, "rating": 5}),
    )
    .await
    .assert_problem(409, "conflict");
    let listed = app
        .get(
            &format!("/api/v1/reviews?product_id={}", w.product_id),
            &w.other_buyer,
        )
        .await
        .item_ids();
    assert_eq!(listed, vec![w.review_id]);
    assert_eq!(count_rows("reviews", w.tenant).await, 2);
}

#[tokio::test]
async fn ai_config_is_read_by_staff_and_replaced_by_admins() {
    let app = TestApp::start().await;
    let w = World::new(&app, "ai").await;
    let r = app.get("/api/v1/ai-config", &w.moderator).await;
    r.assert_status(200);
    assert_eq!(r.body["enabled"], false);
    assert!(r.body["updated_at"].is_null());
    app.get("/api/v1/ai-config", &w.seller)
        .await
        .assert_problem(403, "forbidden");
    let config = json!({
        "enabled": true, "model": "small", "system_prompt": "Be helpful.", "temperature": 0.3,
        "max_reply_chars": 500, "auto_reply": true, "blocked_topics": ["medical advice"]
    });
    app.put("/api/v1/ai-config", &w.moderator, config.clone())
        .await
        .assert_problem(403, "forbidden");
    let saved = app.put("/api/v1/ai-config", &w.admin, config).await;
    saved.assert_status(200);
    assert_eq!(saved.body["model"], "small");
    assert_eq!(
        app.get("/api/v1/ai-config", &w.admin).await.body["blocked_topics"],
        json!(["medical advice"])
    );
    let bad = json!({
        "enabled": true, "model": "small", "system_prompt": "", "temperature": 9.0,
        "max_reply_chars": 500, "auto_reply": true, "blocked_topics": []
    });
    app.put("/api/v1/ai-config", &w.admin, bad)
        .await
        .assert_problem(400, "invalid_input");
    app.put("/api/v1/ai-config", &w.admin, json!({"enabled": true}))
        .await
        .assert_problem(400, "invalid_body");
    assert_eq!(
        app.get("/api/v1/ai-config", &w.admin).await.body["temperature"],
        0.3
    );
}
