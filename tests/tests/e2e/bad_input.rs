//! Bad input gets a clear problem+json and writes nothing.

use reqwest::Method;
use serde_json::json;
use warden_tests::{As, Reply, TestApp, World, count_rows, test_config};

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
async fn the_request_id_is_always_the_servers_own_whatever_the_client_sends() {
    let app = TestApp::start().await;
    let mut seen = std::collections::BTreeSet::new();
    for sent in ["trace-123", "trace-123", "bad id with spaces"] {
        let res = app
            .client
            .get(app.url("/health/live"))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap();
        let id = uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(id.get_version_num(), 7, "{id}");
        assert!(seen.insert(id), "{id} given twice");
    }
}

#[tokio::test]
async fn a_known_path_with_a_method_it_does_not_take_is_405_naming_the_methods() {
    let app = TestApp::start().await;
    let w = World::new(&app, "method-not-allowed").await;
    let trace = app
        .call(Method::TRACE, "/health/live", &As::anonymous(), None)
        .await;
    trace.assert_problem(405, "method_not_allowed");
    assert_eq!(trace.headers["allow"], "GET");
    // The literal path wins over a template (`/sellers/me` over `/sellers/{id}`).
    let delete = app.delete("/api/v1/sellers/me", &w.seller).await;
    delete.assert_problem(405, "method_not_allowed");
    assert_eq!(delete.headers["allow"], "GET, PUT");
    let put = app
        .put(
            &format!("/api/v1/products/{}", w.product_id),
            &w.seller,
            json!({}),
        )
        .await;
    put.assert_problem(405, "method_not_allowed");
    assert_eq!(put.headers["allow"], "GET, DELETE, PATCH");
    // Unknown paths stay 404.
    app.get("/api/v1/nothing-here", &w.admin)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(count_rows("products", w.tenant).await, 2);
}

#[tokio::test]
async fn an_empty_cursor_is_no_cursor_and_a_forged_one_is_refused() {
    let app = TestApp::start().await;
    let w = World::new(&app, "empty-cursor").await;
    let first = app.get("/api/v1/products?cursor=", &w.seller).await;
    first.assert_status(200);
    assert!(!first.items().is_empty());
    app.get("/api/v1/products?cursor=not-a-cursor", &w.seller)
        .await
        .assert_problem(400, "invalid_input");
}

#[tokio::test]
async fn a_webhook_form_of_the_wrong_type_is_a_problem_not_plain_text() {
    // SMS configured and the signature header present, so the body is read.
    let mut config = test_config();
    config.notifications.twilio = Some(warden_notifications::sms::TwilioConfig::new(
        "AC1",
        "twilio-token",
        "+15005550006",
    ));
    config.notifications.public_base_url = Some("https://warden.test".into());
    let app = TestApp::start_with(config).await;
    let r = Reply::read(
        app.client
            .post(app.url("/api/v1/webhooks/twilio/status?tenant=0195f3a2-1b2c-7d3e-8f40-123456789abc&delivery=0195f3a2-1b2c-7d3e-8f40-123456789abd"))
            .header("X-Twilio-Signature", "c2lnbmF0dXJl")
            .header("content-type", "text/plain")
            .body("MessageStatus=delivered")
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    r.assert_problem(415, "unsupported_media_type");
    assert_eq!(r.headers["content-type"], "application/problem+json");
}

#[tokio::test]
async fn titles_and_names_refuse_bidi_and_zero_width_characters_and_write_nothing() {
    let app = TestApp::start().await;
    let w = World::new(&app, "invisible-titles").await;
    let products = count_rows("products", w.tenant).await;
    let conversations = count_rows("conversations", w.tenant).await;
    let refused = "contains invisible or bidirectional control characters";
    let product = |title: &str| json!({"title": title, "price_minor": 100, "currency": "USD"});

    // "\u{202E}macs" shows as "scam"; the others hide a character in a word.
    for title in [
        "\u{202E}macs",
        "Nice \u{2067}teapot\u{2069}",
        "Tea\u{200B}pot",
        "Tea\u{200D}pot",
        "\u{FEFF}Teapot",
        "Tea\u{2060}pot",
        "Tea\u{00AD}pot",
    ] {
        let r = app
            .post("/api/v1/products", &w.seller, product(title))
            .await;
        r.assert_problem(400, "invalid_input");
        assert_eq!(r.body["detail"], format!("title {refused}"), "{title:?}");
    }
    // Nothing visible: Hangul fillers and a variation selector.
    let r = app
        .post(
            "/api/v1/products",
            &w.seller,
            product("\u{3164}\u{FE0F} \u{3164}"),
        )
        .await;
    r.assert_problem(400, "invalid_input");
    assert_eq!(r.body["detail"], "title has no visible characters");
    // Updates are checked the same way.
    let r = app
        .patch(
            &format!("/api/v1/products/{}", w.product_id),
            &w.seller,
            json!({"title": "Tea\u{202E}pot"}),
        )
        .await;
    r.assert_problem(400, "invalid_input");
    assert_eq!(r.body["detail"], format!("title {refused}"));
    // Store names and conversation subjects too.
    let r = app
        .put(
            "/api/v1/sellers/me",
            &w.seller,
            json!({"store_name": "Acme\u{200B}Store"}),
        )
        .await;
    r.assert_problem(400, "invalid_input");
    assert_eq!(r.body["detail"], format!("store_name {refused}"));
    let r = app
        .post(
            "/api/v1/conversations",
            &w.buyer,
            json!({"seller_id": w.seller_id, "subject": "\u{202E}gnippihs", "message": "hello"}),
        )
        .await;
    r.assert_problem(400, "invalid_input");
    assert_eq!(r.body["detail"], format!("subject {refused}"));
    assert_eq!(count_rows("products", w.tenant).await, products);
    assert_eq!(count_rows("conversations", w.tenant).await, conversations);
    let product_now = app
        .get(&format!("/api/v1/products/{}", w.product_id), &w.seller)
        .await;
    assert!(!product_now.text.contains('\u{202E}'));

    // A joiner inside an emoji sequence and a variation selector are fine.
    app.post(
        "/api/v1/products",
        &w.seller,
        product("Family mug 👨\u{200D}👩\u{200D}👧 ❤\u{FE0F}"),
    )
    .await
    .assert_status(201);
}

#[tokio::test]
async fn a_display_name_with_bidi_controls_from_a_token_is_dropped() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    let app = TestApp::start().await;
    let tenant = app.tenant("invisible-names").await;
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let who = |sub: &str, name: &str| {
        let claims =
            json!({"sub": sub, "tenant_id": tenant, "roles": ["buyer"], "name": name, "exp": exp});
        As {
            token: Some(
                jsonwebtoken::encode(
                    &Header::new(Algorithm::HS256),
                    &claims,
                    &EncodingKey::from_secret(warden_tests::SECRET.as_bytes()),
                )
                .unwrap(),
            ),
            tenant: Some(tenant.to_string()),
        }
    };
    let me = app.get("/api/v1/users/me", &who("ada", "Ada")).await;
    me.assert_status(200);
    assert_eq!(me.body["display_name"], "Ada");
    // Token details are the identity provider's: an odd name is not stored,
    // and the request still succeeds.
    let me = app
        .get("/api/v1/users/me", &who("eve", "Eve \u{202E}nimda"))
        .await;
    me.assert_status(200);
    assert!(me.body["display_name"].is_null(), "{}", me.text);
}
