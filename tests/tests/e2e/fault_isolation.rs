//! One tenant's input never fails another's request: text the models cannot
//! run is refused at the door with a 400 naming it, and texts of different
//! tenants that share an inference batch are answered each on their own.

use futures::future::join_all;
use serde_json::{Value, json};
use warden_commerce::Role;
use warden_tests::{As, TestApp, World, count_rows};

/// A batch of eight texts whose fourth holds `poison`.
fn poisoned_batch(i: usize, poison: char) -> Value {
    let mut texts: Vec<String> = (0..8).map(|j| format!("ordinary text {i}.{j}")).collect();
    texts[3] = format!("poisoned {poison} text {i}");
    json!({ "texts": texts })
}

#[tokio::test]
async fn poisoned_analyze_requests_fail_none_of_another_tenants_writes() {
    let app = TestApp::start().await;
    let victim = World::new(&app, "poison-victim").await;
    let attacker_tenant = app.tenant("poison-attacker").await;
    let attacker = app.member(attacker_tenant, "attacker", &[Role::Seller]);
    let msgs = format!("/api/v1/conversations/{}/messages", victim.conversation_id);
    let messages = count_rows("messages", victim.tenant).await;

    // The writes and the poisoned requests are in flight together, so the
    // single inference worker of the test server batches them together.
    let writes = (0..50).map(|i| {
        app.post(
            &msgs,
            &victim.buyer,
            json!({"body": format!("Is colour number {i} still in stock?")}),
        )
    });
    let poison = (0..50).map(|i| {
        let body = match i % 3 {
            0 => json!({"text": format!("a\u{0}b {i}")}),
            1 => poisoned_batch(i, '\u{0}'),
            _ => poisoned_batch(i, '\u{1b}'),
        };
        app.post("/api/v1/moderation/analyze", &attacker, body)
    });
    let (writes, poisoned) = tokio::join!(join_all(writes), join_all(poison));

    let failed: Vec<&str> = writes
        .iter()
        .filter(|r| r.status != 201)
        .map(|r| r.text.as_str())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of 50 writes failed, the first with {}",
        failed.len(),
        failed[0]
    );
    assert_eq!(count_rows("messages", victim.tenant).await, messages + 50);
    for (i, r) in poisoned.iter().enumerate() {
        r.assert_problem(400, "invalid_input");
        let field = if i % 3 == 0 { "text " } else { "texts[3] " };
        let detail = r.body["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(field) && detail.contains("control characters"),
            "{}",
            r.text
        );
    }
    // The clean texts of the same batches are analysed as always.
    app.post(
        "/api/v1/moderation/analyze",
        &attacker,
        json!({"texts": ["ordinary text", "another one"]}),
    )
    .await
    .assert_status(200);
}

/// Each write whose text is moderated, as (method, path, author, body with
/// `{}` where the bad text goes, the field named in the refusal).
fn moderated_writes(w: &World) -> Vec<(&'static str, String, &As, Value, &'static str)> {
    let product = format!("/api/v1/products/{}", w.product_id);
    let msgs = format!("/api/v1/conversations/{}/messages", w.conversation_id);
    vec![
        (
            "POST",
            "/api/v1/products".into(),
            &w.seller,
            json!({"title": "{}", "price_minor": 1, "currency": "USD"}),
            "title",
        ),
        (
            "POST",
            "/api/v1/products".into(),
            &w.seller,
            json!({"title": "Mug", "description": "{}", "price_minor": 1, "currency": "USD"}),
            "description",
        ),
        (
            "PATCH",
            product.clone(),
            &w.seller,
            json!({"title": "{}"}),
            "title",
        ),
        (
            "PATCH",
            product,
            &w.seller,
            json!({"description": "{}"}),
            "description",
        ),
        ("POST", msgs, &w.buyer, json!({"body": "{}"}), "body"),
        (
            "POST",
            "/api/v1/conversations".into(),
            &w.other_buyer,
            json!({"seller_id": w.seller_id, "subject": "{}", "message": "hello"}),
            "subject",
        ),
        (
            "POST",
            "/api/v1/conversations".into(),
            &w.other_buyer,
            json!({"seller_id": w.seller_id, "subject": "Mugs", "message": "{}"}),
            "message",
        ),
        (
            "POST",
            "/api/v1/reviews".into(),
            &w.buyer,
            json!({"order_id": w.order_id, "product_id": w.product_id, "rating": 4, "body": "{}"}),
            "body",
        ),
        (
            "PUT",
            "/api/v1/sellers/me".into(),
            &w.seller,
            json!({"store_name": "{}"}),
            "store_name",
        ),
        (
            "PUT",
            "/api/v1/sellers/me".into(),
            &w.seller,
            json!({"store_name": "Shop", "description": "{}"}),
            "description",
        ),
    ]
}

/// Puts `text` where the body has `{}`.
fn with_text(body: &Value, text: &str) -> Value {
    let mut body = body.clone();
    for v in body.as_object_mut().unwrap().values_mut() {
        if v == "{}" {
            *v = Value::String(text.to_owned());
        }
    }
    body
}

#[tokio::test]
async fn every_moderated_write_refuses_control_characters_and_writes_nothing() {
    let app = TestApp::start().await;
    let w = World::new(&app, "control-writes").await;
    let tables = [
        "products",
        "messages",
        "conversations",
        "reviews",
        "seller_profiles",
        "moderation_results",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(count_rows(t, w.tenant).await);
    }
    let product = app
        .get(&format!("/api/v1/products/{}", w.product_id), &w.seller)
        .await
        .body;
    let store = app.get("/api/v1/sellers/me", &w.seller).await.body;
    for (method, path, who, body, field) in moderated_writes(&w) {
        for bad in ["nul \u{0} inside", "escape \u{1b}[31m red", "del \u{7f}"] {
            let body = with_text(&body, bad);
            let r = app
                .call(method.parse().unwrap(), &path, who, Some(body.clone()))
                .await;
            r.assert_problem(400, "invalid_input");
            assert_eq!(
                r.body["detail"],
                format!("{field} must not contain control characters"),
                "{method} {path} {body}"
            );
        }
    }
    for (t, n) in tables.iter().zip(before) {
        assert_eq!(count_rows(t, w.tenant).await, n, "{t}");
    }
    // Nothing changed either.
    let after = app
        .get(&format!("/api/v1/products/{}", w.product_id), &w.seller)
        .await
        .body;
    assert_eq!(after["title"], product["title"]);
    assert_eq!(after["updated_at"], product["updated_at"]);
    let store_after = app.get("/api/v1/sellers/me", &w.seller).await.body;
    assert_eq!(store_after, store);
}
