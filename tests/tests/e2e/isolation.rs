//! The two-tenant matrix: tenant B's tokens never read, list, change or delete
//! tenant A's rows, nor create rows pointing at them; A's token with B's
//! `X-Tenant-ID` is refused; a junk header is a 400. The route list comes from
//! the OpenAPI spec, so a new tenant route without a case here fails the test.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_tests::{As, TestApp, World, count_rows};

/// Ids of tenant A's rows the matrix aims at.
struct Targets {
    user: Uuid,
    seller: Uuid,
    product: Uuid,
    order: Uuid,
    conversation: Uuid,
    review: Uuid,
    rule: Uuid,
    result: Uuid,
    review_item: Uuid,
    rescan: Uuid,
    pattern: Uuid,
    detection: Uuid,
    violation: Uuid,
    statement: Uuid,
    notification: Uuid,
    verification: Uuid,
    automation_rule: Uuid,
}

impl Targets {
    fn ids(&self) -> [Uuid; 17] {
        [
            self.user,
            self.seller,
            self.product,
            self.order,
            self.conversation,
            self.review,
            self.rule,
            self.result,
            self.review_item,
            self.rescan,
            self.pattern,
            self.detection,
            self.violation,
            self.statement,
            self.notification,
            self.verification,
            self.automation_rule,
        ]
    }
}

/// A concrete request for a route template, aimed at tenant A's rows.
fn request_for(method: &Method, template: &str, a: &Targets) -> (String, Option<Value>) {
    let path = template
        .replace(
            "/verifications/{id}/code",
            &format!("/verifications/{}/code", a.verification),
        )
        .replace("{vid}", &a.verification.to_string())
        .replace(
            "/automation-rules/{id}",
            &format!("/automation-rules/{}", a.automation_rule),
        )
        .replace(
            "/moderation/rules/{id}",
            &format!("/moderation/rules/{}", a.rule),
        )
        .replace(
            "/moderation/results/{id}",
            &format!("/moderation/results/{}", a.result),
        )
        .replace(
            "/moderation/reviews/{id}",
            &format!("/moderation/reviews/{}", a.review_item),
        )
        .replace(
            "/moderation/rescans/{id}",
            &format!("/moderation/rescans/{}", a.rescan),
        )
        .replace(
            "/behavior/patterns/{id}",
            &format!("/behavior/patterns/{}", a.pattern),
        )
        .replace(
            "/behavior/detections/{id}",
            &format!("/behavior/detections/{}", a.detection),
        )
        .replace("/violations/{id}", &format!("/violations/{}", a.violation))
        .replace("/statements/{id}", &format!("/statements/{}", a.statement))
        .replace(
            "/notifications/{id}",
            &format!("/notifications/{}", a.notification),
        )
        .replace("/users/{id}", &format!("/users/{}", a.user))
        .replace("/sellers/{id}", &format!("/sellers/{}", a.seller))
        .replace("/products/{id}", &format!("/products/{}", a.product))
        .replace("/orders/{id}", &format!("/orders/{}", a.order))
        .replace(
            "/conversations/{id}",
            &format!("/conversations/{}", a.conversation),
        )
        .replace("/reviews/{id}", &format!("/reviews/{}", a.review))
        .replace("{user_id}", &a.user.to_string());
    let body = match (method.as_str(), template) {
        ("PATCH", "/api/v1/users/{id}") => Some(json!({"status": "disabled"})),
        ("PUT", "/api/v1/sellers/me") => Some(json!({"store_name": "B store"})),
        ("PUT", "/api/v1/sellers/me/automation") => Some(json!({"auto_process_orders": false})),
        ("POST" | "PUT", t) if t.starts_with("/api/v1/sellers/me/automation-rules") => Some(
            json!({"name": "B rule", "on_status": "paid", "move_to": "shipped", "enabled": false}),
        ),
        ("POST", "/api/v1/products") => {
            Some(json!({"title": "B thing", "price_minor": 1, "currency": "USD"}))
        }
        ("PATCH", "/api/v1/products/{id}") => {
            Some(json!({"title": "stolen", "status": "archived"}))
        }
        // Creates that reference A's rows from B.
        ("POST", "/api/v1/orders") => {
            Some(json!({"items": [{"product_id": a.product, "quantity": 1}]}))
        }
        ("PATCH", "/api/v1/orders/{id}") => Some(json!({"status": "disputed"})),
        ("POST", "/api/v1/conversations") => {
            Some(json!({"seller_id": a.seller, "product_id": a.product, "message": "hi"}))
        }
        ("POST", "/api/v1/conversations/{id}/close") => Some(json!({})),
        ("POST", "/api/v1/conversations/{id}/messages") => Some(json!({"body": "hello from B"})),
        ("POST", "/api/v1/reviews") => {
            Some(json!({"order_id": a.order, "product_id": a.product, "rating": 1}))
        }
        ("PUT", "/api/v1/ai-config") => Some(json!({
            "enabled": true, "model": "m", "system_prompt": "", "temperature": 0.5,
            "max_reply_chars": 100, "auto_reply": false, "blocked_topics": []
        })),
        ("POST", "/api/v1/moderation/analyze") => Some(json!({"text": "hello"})),
        ("POST" | "PUT", "/api/v1/moderation/rules" | "/api/v1/moderation/rules/{id}") => Some(
            json!({"name": "B rule", "kind": "pattern", "pattern": {"keywords": ["x"]},
                        "content_types": ["product"], "action": "flag"}),
        ),
        ("POST", "/api/v1/moderation/reviews/{id}/claim") => Some(json!({})),
        ("POST", "/api/v1/moderation/reviews/{id}/decision") => {
            Some(json!({"decision": "approve"}))
        }
        ("POST", "/api/v1/moderation/rescans") => Some(json!({})),
        ("POST" | "PUT", "/api/v1/behavior/patterns" | "/api/v1/behavior/patterns/{id}") => Some(
            json!({"name": "B pattern", "condition": {"field": "status", "op": "eq", "value": 418},
                        "severity": "low"}),
        ),
        ("POST", "/api/v1/behavior/patterns/{id}/backtest") => {
            Some(json!({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}))
        }
        ("POST", "/api/v1/behavior/analyze") => Some(json!({"events": [{"action": "x"}]})),
        ("POST", "/api/v1/behavior/detections/{id}/review") => Some(json!({"status": "dismissed"})),
        // A violation of A's user, recorded from B.
        ("POST", "/api/v1/violations") => Some(
            json!({"user_id": a.user, "type": "content", "severity": "low", "reason": "from B"}),
        ),
        ("POST", "/api/v1/violations/{id}/resolve") => Some(json!({"notes": "from B"})),
        ("POST", "/api/v1/violations/{id}/appeal") => Some(json!({"text": "from B"})),
        ("POST", "/api/v1/violations/{id}/appeal/decision") => {
            Some(json!({"decision": "overturn"}))
        }
        ("POST", "/api/v1/notifications/{id}/read" | "/api/v1/notifications/{id}/unread")
        | ("POST", "/api/v1/notifications/read-all") => Some(json!({})),
        ("PUT", "/api/v1/notifications/preferences") => Some(json!({"language": "en"})),
        ("PUT", "/api/v1/sellers/{id}/trust/override") => {
            Some(json!({"level": 3, "reason": "from B"}))
        }
        ("POST", "/api/v1/sellers/me/verifications") => {
            Some(json!({"step": "business_basics", "evidence": {"name": "B"}}))
        }
        ("POST", "/api/v1/sellers/me/verifications/{id}/code") => Some(json!({"code": "123456"})),
        ("POST", "/api/v1/sellers/{id}/verifications/{vid}/review") => {
            Some(json!({"decision": "approve"}))
        }
        ("PUT", "/api/v1/notifications/templates") => {
            Some(json!({"kind": "ban", "language": "en", "template": null}))
        }
        ("POST", "/api/v1/notifications/templates/preview") => Some(json!({"kind": "ban"})),
        ("PUT", "/api/v1/notifications/routing") => Some(json!({
            "routing": {"urgent": ["in_app"], "high": ["in_app"], "medium": ["in_app"], "low": ["in_app"]},
            "email_per_hour": 10, "sms_per_hour": 10, "dedup_seconds": 60
        })),
        // A report of A's listing, filed from B.
        ("POST", "/api/v1/reports") => {
            Some(json!({"target_type": "listing", "target_id": a.product, "category": "spam"}))
        }
        ("PUT", "/api/v1/reports/settings") => {
            Some(json!({"categories": ["spam"], "reports_per_hour": 5}))
        }
        ("PUT", "/api/v1/enforcement/ladder") => Some(json!({
            "steps": [{"action": "warning"}], "window_days": 30, "appeal_days": 5,
            "auto_violation_confidence": 0.9
        })),
        _ => None,
    };
    (path, body)
}

fn tenant_routes(spec: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        // The live endpoint has its own isolation test (live.rs).
        if path.starts_with("/health")
            || path.starts_with("/api/v1/tenants")
            // Platform administrators' reports across tenants, not a tenant route.
            || path.starts_with("/api/v1/platform")
            || path == "/api/v1/ws"
            // Signed by the provider, not a tenant route (notifications.rs tests it).
            || path.starts_with("/api/v1/webhooks")
        {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

const TABLES: [&str; 38] = [
    "users",
    "seller_profiles",
    "products",
    "orders",
    "order_items",
    "conversations",
    "messages",
    "reviews",
    "ai_config",
    "automation_rules",
    "tenant_limits",
    "tenant_usage",
    "api_usage",
    "moderation_rules",
    "moderation_results",
    "moderation_reviews",
    "moderation_review_history",
    "moderation_rescans",
    "behavior_patterns",
    "behavior_detections",
    "enforcement_ladders",
    "violations",
    "violation_appeals",
    "decision_evidence",
    "statements_of_reasons",
    "notifications",
    "notification_deliveries",
    "notification_preferences",
    "notification_templates",
    "notification_settings",
    "notification_send_counts",
    "seller_trust",
    "trust_history",
    "seller_verifications",
    "trust_settings",
    "reports",
    "reporters",
    "report_settings",
];

async fn row_counts(tenant: Uuid) -> Vec<i64> {
    let mut counts = Vec::new();
    for t in TABLES {
        counts.push(count_rows(t, tenant).await);
    }
    counts
}

#[tokio::test]
async fn tenant_b_never_touches_tenant_a() {
    let app = TestApp::start().await;
    let a = World::new(&app, "iso-a").await;
    let b = World::new(&app, "iso-b").await;
    let a_buyer_user = app.get("/api/v1/users/me", &a.buyer).await.id();
    // A's moderation records: a rule, a held listing with its decision and
    // review item, and a rescan.
    let rule = app
        .post(
            "/api/v1/moderation/rules",
            &a.admin,
            json!({"name": "hold", "kind": "pattern", "pattern": {"keywords": ["samovar"]},
                   "content_types": ["product"], "action": "require_review"}),
        )
        .await
        .id();
    let held = app
        .post(
            "/api/v1/products",
            &a.seller,
            json!({"title": "Samovar", "price_minor": 1, "currency": "USD"}),
        )
        .await
        .id();
    let result = app
        .get(
            &format!("/api/v1/moderation/results?content_id={held}"),
            &a.moderator,
        )
        .await
        .item_ids()[0];
    let review_item = app
        .get("/api/v1/moderation/reviews", &a.moderator)
        .await
        .item_ids()[0];
    let rescan = app
        .post(
            "/api/v1/moderation/rescans",
            &a.admin,
            json!({"content_types": ["review"]}),
        )
        .await
        .id();
    // A's behavior and enforcement records: a pattern that fired once, and a
    // violation of A's buyer with an appeal.
    let pattern = app
        .post(
            "/api/v1/behavior/patterns",
            &a.admin,
            json!({"name": "profile reads", "severity": "low",
                   "condition": {"all": [{"field": "route", "op": "eq", "value": "/api/v1/users/me"},
                                         {"field": "status", "op": "eq", "value": 200}]}}),
        )
        .await
        .id();
    app.get("/api/v1/users/me", &a.moderator)
        .await
        .assert_status(200);
    app.state.detector.drain().await;
    let detection = app
        .get("/api/v1/behavior/detections", &a.moderator)
        .await
        .item_ids()[0];
    let violation = app
        .post(
            "/api/v1/violations",
            &a.moderator,
            json!({"user_id": a_buyer_user, "type": "content", "severity": "low", "reason": "spam"}),
        )
        .await
        .id();
    app.post(
        &format!("/api/v1/violations/{violation}/appeal"),
        &a.buyer,
        json!({"text": "not me"}),
    )
    .await
    .assert_status(201);
    let statement: Uuid = app
        .get(&format!("/api/v1/violations/{violation}"), &a.moderator)
        .await
        .body["statement"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let notification = app.get("/api/v1/notifications", &a.buyer).await.item_ids()[0];
    let verification = app
        .post(
            "/api/v1/sellers/me/verifications",
            &a.seller,
            json!({"step": "business_basics", "evidence": {"name": "A"}}),
        )
        .await
        .id();
    let automation_rule = app
        .post(
            "/api/v1/sellers/me/automation-rules",
            &a.seller,
            json!({"name": "A rule", "on_status": "disputed", "move_to": "refunded", "enabled": false}),
        )
        .await
        .id();
    let targets = Targets {
        user: a_buyer_user,
        seller: a.seller_id,
        product: a.product_id,
        order: a.order_id,
        conversation: a.conversation_id,
        review: a.review_id,
        rule,
        result,
        review_item,
        rescan,
        pattern,
        detection,
        violation,
        statement,
        notification,
        verification,
        automation_rule,
    };
    let a_product_before = app
        .get(&format!("/api/v1/products/{}", a.product_id), &a.seller)
        .await
        .body;
    let a_counts_before = row_counts(a.tenant).await;

    let spec = app.get("/api/v1/openapi.json", &As::anonymous()).await.body;
    let routes = tenant_routes(&spec);
    assert!(routes.len() >= 13, "{routes:?}");
    let a_ids: Vec<String> = [
        a.product_id,
        a.seller_id,
        a.other_product_id,
        a.other_seller_id,
        a_buyer_user,
    ]
    .iter()
    .map(Uuid::to_string)
    .collect();

    let b_cast = [&b.admin, &b.moderator, &b.seller, &b.buyer];
    for (method, template) in &routes {
        let method: Method = method.parse().unwrap();
        let (path, body) = request_for(&method, template, &targets);
        for who in b_cast {
            let r = app.call(method.clone(), &path, who, body.clone()).await;
            // An id may be echoed back only if the caller sent it. The audit
            // log is the exception: it shows B the paths of B's own earlier
            // requests, which named A's ids; every row in it must be B's.
            let sent = format!(
                "{path} {}",
                body.as_ref().map(Value::to_string).unwrap_or_default()
            );
            if template.as_str() == "/api/v1/audit" && r.status.is_success() {
                for item in r.body["items"].as_array().into_iter().flatten() {
                    assert_eq!(item["tenant_id"], b.tenant.to_string(), "{}", r.text);
                }
                continue;
            }
            for id in a_ids.iter().filter(|id| !sent.contains(id.as_str())) {
                assert!(
                    !r.text.contains(id.as_str()),
                    "{method} {path} leaked A's {id}: {}",
                    r.text
                );
            }
            let aims_at_a = targets.ids().iter().any(|id| {
                let id = id.to_string();
                path.contains(&id) || body.as_ref().is_some_and(|b| b.to_string().contains(&id))
            });
            assert!(!path.contains('{'), "no target for {template}");
            if aims_at_a {
                assert!(
                    matches!(r.status.as_u16(), 403 | 404),
                    "{method} {path} by B gave {}: {}",
                    r.status,
                    r.text
                );
            }
        }
        // A's own token aimed at B's tenant header: refused before any handler runs.
        let r = app
            .call(
                method.clone(),
                &path,
                &a.admin.with_tenant_header(&b.tenant.to_string()),
                body.clone(),
            )
            .await;
        r.assert_problem(403, "tenant_mismatch");
        for junk in [
            "not-a-uuid",
            "' OR 1=1 --",
            "00000000-0000-0000-0000-00000000000g",
        ] {
            let r = app
                .call(
                    method.clone(),
                    &path,
                    &a.admin.with_tenant_header(junk),
                    body.clone(),
                )
                .await;
            r.assert_problem(400, "invalid_tenant_header");
        }
        let r = app
            .call(
                method.clone(),
                &path,
                &As {
                    token: a.admin.token.clone(),
                    tenant: None,
                },
                body.clone(),
            )
            .await;
        r.assert_problem(400, "tenant_header_missing");
        let r = app
            .call(
                method.clone(),
                &path,
                &a.admin.with_tenant_header(&Uuid::now_v7().to_string()),
                body,
            )
            .await;
        r.assert_problem(404, "tenant_not_found");
    }

    // Nothing of A changed, and no row was added to A by anyone in B.
    app.state.detector.drain().await;
    assert_eq!(row_counts(a.tenant).await, a_counts_before);
    let a_product_after = app
        .get(&format!("/api/v1/products/{}", a.product_id), &a.seller)
        .await
        .body;
    assert_eq!(a_product_before, a_product_after);
    app.get("/api/v1/users/me", &a.buyer)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn lists_show_only_the_callers_tenant() {
    let app = TestApp::start().await;
    let a = World::new(&app, "list-a").await;
    let b = World::new(&app, "list-b").await;
    for path in [
        "/api/v1/products",
        "/api/v1/sellers",
        "/api/v1/users",
        "/api/v1/orders",
        "/api/v1/conversations",
        "/api/v1/reviews",
    ] {
        let ids = app.get(path, &b.admin).await.assert_status(200).item_ids();
        assert!(!ids.is_empty(), "{path} shows B its own rows");
        for id in [
            a.product_id,
            a.seller_id,
            a.other_product_id,
            a.order_id,
            a.conversation_id,
            a.review_id,
        ] {
            assert!(!ids.contains(&id), "{path} showed A's {id} to B");
        }
    }
}

#[tokio::test]
async fn a_platform_admin_may_act_in_any_tenant_but_a_suspended_tenant_is_closed() {
    let app = TestApp::start().await;
    let a = World::new(&app, "padmin").await;
    let platform = app
        .platform_admin()
        .with_tenant_header(&a.tenant.to_string());
    let r = app
        .get(&format!("/api/v1/products/{}", a.product_id), &platform)
        .await;
    r.assert_status(200);

    app.patch(
        &format!("/api/v1/tenants/{}", a.tenant),
        &app.platform_admin(),
        json!({"status": "suspended"}),
    )
    .await
    .assert_status(200);
    app.get("/api/v1/products", &a.buyer)
        .await
        .assert_problem(403, "tenant_suspended");
    app.patch(
        &format!("/api/v1/tenants/{}", a.tenant),
        &app.platform_admin(),
        json!({"status": "active"}),
    )
    .await
    .assert_status(200);
    app.get("/api/v1/products", &a.buyer)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_token_without_tenant_claim_is_refused_in_every_tenant() {
    let app = TestApp::start().await;
    let a = World::new(&app, "noclaim").await;
    let token = app.token(None, "drifter", &[Role::TenantAdmin]);
    let who = As {
        token: Some(token),
        tenant: Some(a.tenant.to_string()),
    };
    app.get("/api/v1/products", &who)
        .await
        .assert_problem(403, "tenant_mismatch");
}
