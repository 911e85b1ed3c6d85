//! Every trust-gated feature where it runs: payments, automated order
//! processing, custom automation rules, API access, basic and advanced
//! analytics. Below its level each is 403 `trust_level_required` naming the
//! feature and both levels, and writes nothing; at its level it works.
//! Also the trust history's pages and `PUT /sellers/me` keeping fields.

use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_tests::{As, Reply, TestApp, World, count_rows};

/// A tenant (trust settings untouched) with a level-0 store selling a 25.00
/// USD teapot, its admin and a buyer.
struct Shop {
    tenant: Uuid,
    admin: As,
    seller: As,
    seller_id: Uuid,
    product_id: Uuid,
    buyer: As,
}

async fn shop(app: &TestApp, name: &str) -> Shop {
    let tenant = app.tenant(name).await;
    let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
    let seller = app.member(tenant, "seller", &[Role::Seller]);
    let buyer = app.member(tenant, "buyer", &[Role::Buyer]);
    let seller_id = app
        .put(
            "/api/v1/sellers/me",
            &seller,
            json!({"store_name": "Teapots"}),
        )
        .await
        .assert_status(201)
        .id();
    let product_id = app
        .post(
            "/api/v1/products",
            &seller,
            json!({"title": "Teapot", "price_minor": 2500, "currency": "USD"}),
        )
        .await
        .assert_status(201)
        .id();
    app.get("/api/v1/users/me", &admin).await.assert_status(200);
    Shop {
        tenant,
        admin,
        seller,
        seller_id,
        product_id,
        buyer,
    }
}

impl Shop {
    async fn hold_at(&self, app: &TestApp, level: u8) {
        app.put(
            &format!("/api/v1/sellers/{}/trust/override", self.seller_id),
            &self.admin,
            json!({"level": level, "reason": "test"}),
        )
        .await
        .assert_status(200);
    }

    async fn order(&self, app: &TestApp, quantity: i32) -> String {
        let id = app
            .post(
                "/api/v1/orders",
                &self.buyer,
                json!({"items": [{"product_id": self.product_id, "quantity": quantity}]}),
            )
            .await
            .assert_status(201)
            .id();
        format!("/api/v1/orders/{id}")
    }

    async fn set_feature_level(&self, app: &TestApp, feature: &str, level: u8) {
        let mut settings = app.get("/api/v1/trust/settings", &self.admin).await.body;
        settings["features"][feature] = json!(level);
        app.put("/api/v1/trust/settings", &self.admin, settings)
            .await
            .assert_status(200);
    }
}

/// Asserts the gate's refusal.
fn assert_gated(r: &Reply, feature: &str, required: u8, level: u8) {
    r.assert_problem(403, "trust_level_required");
    assert_eq!(r.body["feature"], feature, "{}", r.text);
    assert_eq!(r.body["required_level"], required, "{}", r.text);
    assert_eq!(r.body["level"], level, "{}", r.text);
}

async fn status_of(app: &TestApp, path: &str, who: &As) -> Value {
    app.get(path, who).await.body["status"].clone()
}

#[tokio::test]
async fn an_order_of_a_store_below_the_payments_level_is_not_paid() {
    let app = TestApp::start().await;
    let s = shop(&app, "gate-payments").await;
    let order = s.order(&app, 1).await;
    let refused = app.patch(&order, &s.buyer, json!({"status": "paid"})).await;
    assert_gated(&refused, "payments", 1, 0);
    // Administrators may make every move of the table, but not this one.
    let by_admin = app.patch(&order, &s.admin, json!({"status": "paid"})).await;
    assert_gated(&by_admin, "payments", 1, 0);
    assert_eq!(status_of(&app, &order, &s.buyer).await, "pending");
    // Calling it off needs no level.
    let other = s.order(&app, 1).await;
    app.patch(&other, &s.buyer, json!({"status": "cancelled"}))
        .await
        .assert_status(200);

    s.hold_at(&app, 1).await;
    let paid = app.patch(&order, &s.buyer, json!({"status": "paid"})).await;
    paid.assert_status(200);
    assert_eq!(paid.body["status"], "paid");
}

#[tokio::test]
async fn automated_order_processing_is_gated_when_turned_on_and_when_it_runs() {
    let app = TestApp::start().await;
    let s = shop(&app, "gate-auto").await;
    let on = json!({"auto_process_orders": true});
    let refused = app
        .put("/api/v1/sellers/me/automation", &s.seller, on.clone())
        .await;
    assert_gated(&refused, "automated_order_processing", 1, 0);
    let settings = app.get("/api/v1/sellers/me/automation", &s.seller).await;
    assert_eq!(settings.body, json!({"auto_process_orders": false}));
    // Turning it off needs no level; buyers have no store.
    app.put(
        "/api/v1/sellers/me/automation",
        &s.seller,
        json!({"auto_process_orders": false}),
    )
    .await
    .assert_status(200);
    app.put("/api/v1/sellers/me/automation", &s.buyer, on.clone())
        .await
        .assert_problem(403, "forbidden");
    app.put(
        "/api/v1/sellers/me/automation",
        &s.seller,
        json!({"auto_process_orders": "yes"}),
    )
    .await
    .assert_problem(400, "invalid_body");

    s.hold_at(&app, 1).await;
    app.put("/api/v1/sellers/me/automation", &s.seller, on.clone())
        .await
        .assert_status(200);
    let order = s.order(&app, 1).await;
    let paid = app.patch(&order, &s.buyer, json!({"status": "paid"})).await;
    paid.assert_status(200);
    assert_eq!(paid.body["status"], "shipped", "{}", paid.text);

    // The tenant raises the gate above the store: the setting stays, but
    // Warden no longer ships by itself.
    s.set_feature_level(&app, "automated_order_processing", 2)
        .await;
    let order = s.order(&app, 1).await;
    let paid = app.patch(&order, &s.buyer, json!({"status": "paid"})).await;
    assert_eq!(paid.body["status"], "paid", "{}", paid.text);
    let settings = app.get("/api/v1/sellers/me/automation", &s.seller).await;
    assert_eq!(settings.body["auto_process_orders"], true);
}

#[tokio::test]
async fn custom_automation_rules_need_their_level_to_be_enabled_and_to_run() {
    let app = TestApp::start().await;
    let s = shop(&app, "gate-rules").await;
    s.hold_at(&app, 1).await;
    let rules = "/api/v1/sellers/me/automation-rules";
    let refund_small = json!({"name": "refund small disputes", "on_status": "disputed",
                              "move_to": "refunded", "max_total_minor": 3000, "currency": "USD"});
    let refused = app.post(rules, &s.seller, refund_small.clone()).await;
    assert_gated(&refused, "custom_automation_rules", 3, 1);
    assert_eq!(count_rows("automation_rules", s.tenant).await, 0);
    // A disabled rule may be kept at any level, not enabled.
    let mut disabled = refund_small.clone();
    disabled["enabled"] = json!(false);
    let rule = app.post(rules, &s.seller, disabled).await;
    rule.assert_status(201);
    let rule_path = format!("{rules}/{}", rule.id());
    let enable = app.put(&rule_path, &s.seller, refund_small.clone()).await;
    assert_gated(&enable, "custom_automation_rules", 3, 1);
    assert_eq!(app.get(rules, &s.seller).await.body[0]["enabled"], false);
    // Bad rules are 400 and write nothing.
    for bad in [
        json!({"name": "x", "on_status": "paid", "move_to": "delivered", "enabled": false}),
        json!({"name": "x", "on_status": "shipped", "move_to": "delivered", "enabled": false}),
        json!({"name": " ", "on_status": "paid", "move_to": "shipped", "enabled": false}),
        json!({"name": "x", "on_status": "paid", "move_to": "shipped", "currency": "usd", "enabled": false}),
        json!({"name": "x", "on_status": "paid", "move_to": "shipped", "max_total_minor": -1, "enabled": false}),
    ] {
        let r = app.post(rules, &s.seller, bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    assert_eq!(count_rows("automation_rules", s.tenant).await, 1);

    // At level 3 the rule is enabled and refunds a small dispute at once.
    s.hold_at(&app, 3).await;
    app.put(&rule_path, &s.seller, refund_small.clone())
        .await
        .assert_status(200);
    let dispute = |order: String| {
        let (app, s) = (&app, &s);
        async move {
            app.patch(&order, &s.buyer, json!({"status": "paid"}))
                .await
                .assert_status(200);
            app.patch(&order, &s.seller, json!({"status": "shipped"}))
                .await
                .assert_status(200);
            app.patch(&order, &s.buyer, json!({"status": "disputed"}))
                .await
        }
    };
    let small = dispute(s.order(&app, 1).await).await;
    assert_eq!(small.body["status"], "refunded", "{}", small.text);
    // Above its limit the rule does not apply.
    let large = dispute(s.order(&app, 2).await).await;
    assert_eq!(large.body["status"], "disputed", "{}", large.text);
    // Fallen below the level, the enabled rule no longer runs.
    s.hold_at(&app, 2).await;
    let after = dispute(s.order(&app, 1).await).await;
    assert_eq!(after.body["status"], "disputed", "{}", after.text);
    // It can still be read and deleted.
    assert_eq!(app.get(rules, &s.seller).await.body[0]["enabled"], true);
    app.delete(&rule_path, &s.seller).await.assert_status(204);
    app.delete(&rule_path, &s.seller)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_store_has_at_most_twenty_rules_and_others_cannot_touch_them() {
    let app = TestApp::start().await;
    let s = shop(&app, "gate-rules-limit").await;
    let rules = "/api/v1/sellers/me/automation-rules";
    let rule = |n: usize| json!({"name": format!("rule {n}"), "on_status": "paid", "move_to": "shipped", "enabled": false});
    let mut first = None;
    for n in 0..20 {
        let r = app.post(rules, &s.seller, rule(n)).await;
        r.assert_status(201);
        first.get_or_insert(r.id());
    }
    app.post(rules, &s.seller, rule(20))
        .await
        .assert_problem(400, "invalid_input");
    assert_eq!(count_rows("automation_rules", s.tenant).await, 20);
    let other = app.member(s.tenant, "other-seller", &[Role::Seller]);
    app.put("/api/v1/sellers/me", &other, json!({"store_name": "Other"}))
        .await
        .assert_status(201);
    let path = format!("{rules}/{}", first.unwrap());
    app.put(&path, &other, rule(1))
        .await
        .assert_problem(404, "not_found");
    app.delete(&path, &other)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.get(rules, &other).await.body, json!([]));
}

#[tokio::test]
async fn api_clients_need_the_api_access_level() {
    let app = TestApp::start().await;
    let s = shop(&app, "gate-api").await;
    let machine = app.api_client(s.tenant, "seller", &[Role::Seller]);
    let refused = app.get("/api/v1/sellers/me", &machine).await;
    assert_gated(&refused, "api_access", 3, 0);
    // Refused before any work: a write changes nothing.
    let write = app
        .put(
            "/api/v1/sellers/me",
            &machine,
            json!({"store_name": "Renamed"}),
        )
        .await;
    assert_gated(&write, "api_access", 3, 0);
    let mine = app.get("/api/v1/sellers/me", &s.seller).await;
    assert_eq!(mine.body["store_name"], "Teapots");
    // The same user in a browser is not an API client.
    mine.assert_status(200);
    // A buyer's API client holds no store: level 0.
    let buyer_machine = app.api_client(s.tenant, "buyer", &[Role::Buyer]);
    assert_gated(
        &app.get("/api/v1/users/me", &buyer_machine).await,
        "api_access",
        3,
        0,
    );
    // Staff integrations are the tenant's own, not gated by seller trust.
    let moderation_bot = app.api_client(s.tenant, "mod-bot", &[Role::Moderator]);
    app.get("/api/v1/users/me", &moderation_bot)
        .await
        .assert_status(200);

    s.hold_at(&app, 3).await;
    app.get("/api/v1/sellers/me", &machine)
        .await
        .assert_status(200);
    app.put(
        "/api/v1/sellers/me",
        &machine,
        json!({"store_name": "Renamed"}),
    )
    .await
    .assert_status(200);
    // Back below: refused from the next request on.
    s.hold_at(&app, 2).await;
    assert_gated(
        &app.get("/api/v1/sellers/me", &machine).await,
        "api_access",
        3,
        2,
    );
}

#[tokio::test]
async fn basic_analytics_at_level_one_and_advanced_at_level_two() {
    let app = TestApp::start().await;
    let w = World::new(&app, "gate-analytics").await;
    let hold = |level: u8| {
        let (app, w) = (&app, &w);
        async move {
            app.put(
                &format!("/api/v1/sellers/{}/trust/override", w.seller_id),
                &w.admin,
                json!({"level": level, "reason": "test"}),
            )
            .await
            .assert_status(200);
        }
    };
    let basic = "/api/v1/sellers/me/analytics";
    let advanced = "/api/v1/sellers/me/analytics/advanced";
    assert_gated(&app.get(basic, &w.seller).await, "basic_analytics", 1, 0);
    assert_gated(
        &app.get(advanced, &w.seller).await,
        "advanced_analytics",
        2,
        0,
    );
    hold(1).await;
    let figures = app.get(basic, &w.seller).await;
    figures.assert_status(200);
    assert_eq!(figures.body["orders_by_status"], json!({"delivered": 1}));
    assert_gated(
        &app.get(advanced, &w.seller).await,
        "advanced_analytics",
        2,
        1,
    );

    // The world's buyer orders again (1 teapot), and another buyer once.
    for (who, quantity) in [(&w.buyer, 1), (&w.other_buyer, 4)] {
        let id = app
            .post(
                "/api/v1/orders",
                who,
                json!({"items": [{"product_id": w.product_id, "quantity": quantity}]}),
            )
            .await
            .id();
        app.patch(
            &format!("/api/v1/orders/{id}"),
            who,
            json!({"status": "paid"}),
        )
        .await
        .assert_status(200);
    }
    // A pending order is no sale.
    app.post(
        "/api/v1/orders",
        &w.other_buyer,
        json!({"items": [{"product_id": w.product_id, "quantity": 9}]}),
    )
    .await
    .assert_status(201);
    hold(2).await;
    let r = app.get(advanced, &w.seller).await;
    r.assert_status(200);
    // Summed over the days (a run across midnight UTC spans two).
    let daily = r.body["daily"].as_array().unwrap();
    assert!(daily.iter().all(|d| d["currency"] == "USD"), "{}", r.text);
    let sum = |field: &str| {
        daily
            .iter()
            .map(|d| d[field].as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!(sum("orders"), 4);
    assert_eq!(sum("sales"), 3);
    assert_eq!(sum("sales_minor"), 2500 * (2 + 1 + 4));
    let top = r.body["top_products"].as_array().unwrap();
    assert_eq!(top.len(), 1);
    assert_eq!(top[0]["product_id"], w.product_id.to_string());
    assert_eq!(top[0]["units"], 7);
    assert_eq!(top[0]["orders"], 3);
    assert_eq!(r.body["buyers"], json!({"buyers": 2, "repeat_buyers": 1}));
    assert_eq!(r.body["repeat_rate"], 0.5);
    app.get(&format!("{advanced}?days=0"), &w.seller)
        .await
        .assert_status(400);
    // Another store's figures are its own.
    app.put(
        &format!("/api/v1/sellers/{}/trust/override", w.other_seller_id),
        &w.admin,
        json!({"level": 2, "reason": "test"}),
    )
    .await
    .assert_status(200);
    let theirs = app.get(advanced, &w.other_seller).await;
    assert_eq!(theirs.body["daily"], json!([]));
    assert_eq!(theirs.body["repeat_rate"], Value::Null);
}

#[tokio::test]
async fn the_trust_history_comes_in_pages() {
    let app = TestApp::start().await;
    let w = World::new(&app, "gate-history").await;
    let override_path = format!("/api/v1/sellers/{}/trust/override", w.seller_id);
    for level in [1, 2, 3, 1, 0] {
        app.put(
            &override_path,
            &w.admin,
            json!({"level": level, "reason": format!("step {level}")}),
        )
        .await
        .assert_status(200);
    }
    let history = format!("/api/v1/sellers/{}/trust/history", w.seller_id);
    let all = app
        .get(&format!("{history}?limit=100"), &w.moderator)
        .await
        .item_ids();
    assert!(all.len() >= 5, "{all:?}");
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{history}?limit=2&cursor={c}"),
            None => format!("{history}?limit=2"),
        };
        let page = app.get(&path, &w.seller).await;
        page.assert_status(200);
        let ids = page.item_ids();
        assert!(ids.len() <= 2);
        paged.extend(ids);
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, all, "pages, newest first, cover the history once");
    for bad in ["limit=0", "limit=101", "cursor=nonsense"] {
        app.get(&format!("{history}?{bad}"), &w.moderator)
            .await
            .assert_status(400);
    }
}

#[tokio::test]
async fn updating_a_store_keeps_the_fields_left_out_and_null_clears_one() {
    let app = TestApp::start().await;
    let t = app.tenant("seller-keep").await;
    let seller = app.member(t, "seller", &[Role::Seller]);
    app.put(
        "/api/v1/sellers/me",
        &seller,
        json!({"store_name": "Shop", "contact_email": "shop@example.test",
               "contact_phone": "+15550100", "description": "Teapots"}),
    )
    .await
    .assert_status(201);
    let renamed = app
        .put(
            "/api/v1/sellers/me",
            &seller,
            json!({"store_name": "New name"}),
        )
        .await;
    renamed.assert_status(200);
    assert_eq!(renamed.body["store_name"], "New name");
    assert_eq!(renamed.body["contact_email"], "shop@example.test");
    assert_eq!(renamed.body["contact_phone"], "+15550100");
    assert_eq!(renamed.body["description"], "Teapots");
    let cleared = app
        .put(
            "/api/v1/sellers/me",
            &seller,
            json!({"store_name": "New name", "contact_phone": null}),
        )
        .await;
    cleared.assert_status(200);
    assert_eq!(cleared.body.get("contact_phone"), None, "{}", cleared.text);
    assert_eq!(cleared.body["contact_email"], "shop@example.test");
    let stored = app.get("/api/v1/sellers/me", &seller).await;
    assert_eq!(stored.body.get("contact_phone"), None);
    assert_eq!(stored.body["description"], "Teapots");
    // A bad value is still refused, and changes nothing.
    app.put(
        "/api/v1/sellers/me",
        &seller,
        json!({"store_name": "New name", "contact_email": "not an address"}),
    )
    .await
    .assert_problem(400, "invalid_input");
    let stored = app.get("/api/v1/sellers/me", &seller).await;
    assert_eq!(stored.body["contact_email"], "shop@example.test");
}
