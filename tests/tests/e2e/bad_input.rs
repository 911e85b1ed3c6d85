//! Bad input gets a clear problem+json and writes nothing.

use reqwest::Method;
use serde_json::json;
use warden_tests::{As, TestApp, World, count_rows};

#[tokio::test]
async fn malformed_bodies_are_refused_and_write_nothing() {
    let app = TestApp::start().await;
    let w = World::new(&app, "bad-body").await;
    let before = count_rows("products", w.tenant).await;
    let raw = |body: &str| body.as_bytes().to_vec();

    // Malformed JSON → 400 malformed_json.
    app.call_raw(
        Method::POST,
        "/api/v1/products",
        &w.seller,
        "application/json",
        raw("{\"title\": \"x\","),
    )
    .await
    .assert_problem(400, "malformed_json");
    // Wrong type → 400 invalid_body, naming the field.
    let r = app
        .post(
            "/api/v1/products",
            &w.seller,
            json!({"title": "x", "price_minor": "ten", "currency": "USD"}),
        )
        .await;
    r.assert_problem(400, "invalid_body");
    assert!(
        r.body["detail"].as_str().unwrap().contains("invalid type"),
        "{}",
        r.text
    );
    // Missing field → 400 invalid_body naming it.
    let r = app
        .post(
            "/api/v1/products",
            &w.seller,
            json!({"title": "x", "currency": "USD"}),
        )
        .await;
    r.assert_problem(400, "invalid_body");
    assert!(
        r.body["detail"].as_str().unwrap().contains("price_minor"),
        "{}",
        r.text
    );
    // Unknown field → 400 invalid_body naming it.
    let r = app
        .post("/api/v1/products", &w.seller, json!({"title": "x", "price_minor": 1, "currency": "USD", "seller_id": w.other_seller_id}))
        .await;
    r.assert_problem(400, "invalid_body");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field `seller_id`"),
        "{}",
        r.text
    );
    // Not JSON → 415.
    app.call_raw(
        Method::POST,
        "/api/v1/products",
        &w.seller,
        "text/plain",
        raw("title=x"),
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    // Over MAX_BODY_BYTES (64 KiB in tests) → 413.
    let huge = json!({"title": "x", "price_minor": 1, "currency": "USD", "description": "a".repeat(70 * 1024)});
    app.post("/api/v1/products", &w.seller, huge)
        .await
        .assert_problem(413, "payload_too_large");
    // Domain rules → 400 invalid_input.
    for body in [
        json!({"title": "", "price_minor": 1, "currency": "USD"}),
        json!({"title": "x".repeat(201), "price_minor": 1, "currency": "USD"}),
        json!({"title": "x", "price_minor": -1, "currency": "USD"}),
        json!({"title": "x", "price_minor": 1, "currency": "usd"}),
        json!({"title": "x", "price_minor": 1, "currency": "USD", "status": "deleted"}),
    ] {
        let r = app.post("/api/v1/products", &w.seller, body.clone()).await;
        assert!(
            r.status == 400
                && matches!(
                    r.body["code"].as_str(),
                    Some("invalid_input" | "invalid_body")
                ),
            "{body} gave {} {}",
            r.status,
            r.text
        );
    }
    assert_eq!(count_rows("products", w.tenant).await, before);
}

#[tokio::test]
async fn malformed_paths_queries_and_headers_are_refused() {
    let app = TestApp::start().await;
    let w = World::new(&app, "bad-path").await;
    app.get("/api/v1/products/not-a-uuid", &w.buyer)
        .await
        .assert_problem(400, "invalid_path_parameter");
    app.get(
        "/api/v1/products/00000000-0000-0000-0000-000000000000",
        &w.buyer,
    )
    .await
    .assert_problem(404, "not_found");
    app.get("/api/v1/products?limit=0", &w.buyer)
        .await
        .assert_problem(400, "invalid_input");
    app.get("/api/v1/products?limit=101", &w.buyer)
        .await
        .assert_problem(400, "invalid_input");
    app.get("/api/v1/products?limit=abc", &w.buyer)
        .await
        .assert_problem(400, "invalid_query_parameter");
    app.get("/api/v1/products?cursor=%27%3B--", &w.buyer)
        .await
        .assert_problem(400, "invalid_input");
    app.get("/api/v1/products?status=deleted", &w.buyer)
        .await
        .assert_problem(400, "invalid_query_parameter");
    app.get("/api/v1/nothing-here", &w.buyer)
        .await
        .assert_problem(404, "not_found");
    app.get("/nothing-here", &As::anonymous())
        .await
        .assert_problem(404, "not_found");
    let before = count_rows("users", w.tenant).await;
    app.patch(
        &format!("/api/v1/users/{}", w.tenant),
        &w.admin,
        json!({"status": "gone"}),
    )
    .await
    .assert_problem(400, "invalid_body");
    assert_eq!(count_rows("users", w.tenant).await, before);
}

#[tokio::test]
async fn the_request_id_is_echoed_when_sane_and_replaced_when_not() {
    let app = TestApp::start().await;
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "trace-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-123");
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}
