//! Content moderation end to end: analysis with the real models, filter
//! rules, decisions on writes, the review queue and rescans.

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_tests::{As, TestApp, World, count_rows};

async fn rule(app: &TestApp, admin: &As, body: Value) -> Uuid {
    app.post("/api/v1/moderation/rules", admin, body)
        .await
        .assert_status(201)
        .id()
}

fn reject_keywords(words: &[&str]) -> Value {
    json!({
        "name": "no scams",
        "kind": "pattern",
        "pattern": {"keywords": words},
        "content_types": ["product", "review", "message", "seller_profile"],
        "action": "reject",
    })
}

/// A ladder of warnings only: a test that sends refused content again and
/// again is not banned by its own refusals (each is a violation at once).
async fn warnings_only(app: &TestApp, admin: &As) {
    app.put(
        "/api/v1/enforcement/ladder",
        admin,
        json!({"steps": [{"action": "warning"}], "window_days": 30,
               "appeal_days": 20, "auto_violation_confidence": 0.9}),
    )
    .await
    .assert_status(200);
}

#[tokio::test]
async fn analyze_scores_texts_with_the_models_and_keeps_batch_order() {
    let app = TestApp::start().await;
    let w = World::new(&app, "analyze").await;
    let clean = app
        .post(
            "/api/v1/moderation/analyze",
            &w.seller,
            json!({"text": "Lovely teapot, arrived quickly and works great. Thank you!"}),
        )
        .await;
    clean.assert_status(200);
    let b = &clean.body;
    for label in [
        "toxic",
        "severe_toxic",
        "obscene",
        "threat",
        "insult",
        "identity_hate",
    ] {
        let v = b["toxicity"][label].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{label} = {v}");
    }
    assert!(b["toxicity"]["toxic"].as_f64().unwrap() < 0.2, "{b}");
    assert!(b["sentiment"]["polarity"].as_f64().unwrap() > 0.3, "{b}");
    assert_eq!(b["sentiment"]["label"], "positive");
    assert_eq!(b["language"]["code"], "en");
    assert_eq!(b["decision"]["applied_action"], "allow");
    assert!(b["decision"]["model_versions"]["toxicity"].is_string());

    let texts = [
        "You are a stupid idiot and I hate you",
        "Call me on +1 (415) 555-0132 or mail bob@example.com",
        "Ce produit est vraiment excellent, je le recommande à tous mes amis.",
        "Terrible, broken on arrival, the seller never answered. Awful.",
    ];
    let batch = app
        .post(
            "/api/v1/moderation/analyze",
            &w.seller,
            json!({"texts": texts}),
        )
        .await;
    batch.assert_status(200);
    let results = batch.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert!(
        results[0]["toxicity"]["insult"].as_f64().unwrap() > 0.5,
        "{}",
        results[0]
    );
    assert!(results[0]["offensive"].as_f64().unwrap() > 0.5);
    let kinds: Vec<&str> = results[1]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"phone") && kinds.contains(&"email"),
        "{kinds:?}"
    );
    assert_eq!(results[2]["language"]["code"], "fr");
    assert_eq!(results[3]["sentiment"]["label"], "negative");
    // The same text alone scores as it does in the batch.
    let alone = app
        .post(
            "/api/v1/moderation/analyze",
            &w.seller,
            json!({"text": texts[0]}),
        )
        .await;
    assert_eq!(alone.body["toxicity"], results[0]["toxicity"]);
    assert_eq!(alone.body["sentiment"], results[0]["sentiment"]);
}

#[tokio::test]
async fn analyze_refuses_bad_input_clearly() {
    let app = TestApp::start().await;
    let w = World::new(&app, "analyze-bad").await;
    let path = "/api/v1/moderation/analyze";
    // Both, neither, an empty batch, 65 texts, a text over 10,000 characters.
    app.post(path, &w.seller, json!({"text": "a", "texts": ["b"]}))
        .await
        .assert_problem(400, "invalid_input");
    app.post(path, &w.seller, json!({}))
        .await
        .assert_problem(400, "invalid_input");
    app.post(path, &w.seller, json!({"texts": []}))
        .await
        .assert_problem(400, "invalid_input");
    let many: Vec<String> = (0..65).map(|i| format!("text {i}")).collect();
    let r = app.post(path, &w.seller, json!({"texts": many})).await;
    r.assert_problem(400, "invalid_input");
    assert!(r.body["detail"].as_str().unwrap().contains("64"));
    app.post(path, &w.seller, json!({"text": "x".repeat(10_001)}))
        .await
        .assert_problem(400, "invalid_input");
    app.post(
        path,
        &w.seller,
        json!({"text": "hi", "content_type": "email"}),
    )
    .await
    .assert_problem(400, "invalid_body");
    app.post(path, &As::anonymous(), json!({"text": "hi"}))
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn rules_are_managed_by_admins_and_bad_rules_write_nothing() {
    let app = TestApp::start().await;
    let w = World::new(&app, "rules").await;
    let path = "/api/v1/moderation/rules";
    // Each bad body gets a 400 naming the problem, and no row.
    let bad = [
        (
            json!({"name": "r", "kind": "pattern", "pattern": {"regex": ["(unclosed"]}, "content_types": ["product"], "action": "reject"}),
            "invalid_input",
            "0",
        ),
        (
            json!({"name": "r", "kind": "pattern", "pattern": {"regex": ["ok", "(a{1000}){1000}"]}, "content_types": ["product"], "action": "reject"}),
            "invalid_input",
            "1",
        ),
        (
            json!({"name": "r", "kind": "pattern", "toxicity": {"category": "insult", "threshold": 0.5}, "content_types": ["product"], "action": "reject"}),
            "invalid_input",
            "toxicity",
        ),
        (
            json!({"name": "r", "kind": "toxicity", "content_types": ["product"], "action": "reject"}),
            "invalid_input",
            "toxicity",
        ),
        (
            json!({"name": "r", "kind": "toxicity", "toxicity": {"category": "insult", "threshold": 1.5}, "content_types": ["product"], "action": "reject"}),
            "invalid_input",
            "threshold",
        ),
        (
            json!({"name": "r", "kind": "sentiment", "sentiment": {}, "content_types": ["product"], "action": "flag"}),
            "invalid_input",
            "polarity",
        ),
        (
            json!({"name": "r", "kind": "language", "language": {"allowed": ["english"]}, "content_types": ["product"], "action": "flag"}),
            "invalid_input",
            "639",
        ),
        (
            json!({"name": "r", "kind": "entities", "entities": {"kinds": []}, "content_types": ["product"], "action": "flag"}),
            "invalid_input",
            "kinds",
        ),
        (
            json!({"name": "r", "kind": "pattern", "pattern": {"keywords": ["x"]}, "content_types": [], "action": "flag"}),
            "invalid_input",
            "content_types",
        ),
        (
            json!({"name": "r", "kind": "pattern", "pattern": {"keywords": ["x"]}, "content_types": ["product"], "action": "Delete Everything"}),
            "invalid_input",
            "action",
        ),
        (
            json!({"name": "", "kind": "pattern", "pattern": {"keywords": ["x"]}, "content_types": ["product"], "action": "flag"}),
            "invalid_input",
            "name",
        ),
        // A NUL reached PostgreSQL and answered 500 (outside probe).
        (
            json!({"name": "a\u{0}b", "kind": "pattern", "pattern": {"keywords": ["x"]}, "content_types": ["product"], "action": "flag"}),
            "invalid_input",
            "name must not contain control characters",
        ),
        (
            json!({"name": "r", "kind": "pattern", "pattern": {"regex": ["ok", "a\u{0}b"]}, "content_types": ["product"], "action": "flag"}),
            "invalid_input",
            "pattern.regex[1]",
        ),
        (
            json!({"name": "r", "kind": "pattern", "pattern": {"keywords": ["a\u{1b}b"]}, "content_types": ["product"], "action": "flag"}),
            "invalid_input",
            "pattern.keywords[0]",
        ),
        (
            json!({"name": "r", "kind": "pattern", "pattern": {"keywords": ["x"]}, "content_types": ["tweet"], "action": "flag"}),
            "invalid_body",
            "tweet",
        ),
        (
            json!({"name": "r", "kind": "weather", "content_types": ["product"], "action": "flag"}),
            "invalid_body",
            "weather",
        ),
    ];
    for (body, code, mention) in bad {
        let r = app.post(path, &w.admin, body.clone()).await;
        r.assert_problem(400, code);
        assert!(
            r.body["detail"].as_str().unwrap().contains(mention),
            "{body} → {}",
            r.text
        );
    }
    assert_eq!(count_rows("moderation_rules", w.tenant).await, 0);

    // Moderators read rules but do not change them; sellers do neither.
    app.post(path, &w.moderator, reject_keywords(&["scam"]))
        .await
        .assert_problem(403, "forbidden");
    app.get(path, &w.seller)
        .await
        .assert_problem(403, "forbidden");
    let id = rule(&app, &w.admin, reject_keywords(&["scam"])).await;
    let got = app.get(&format!("{path}/{id}"), &w.moderator).await;
    got.assert_status(200);
    assert_eq!(got.body["pattern"]["keywords"], json!(["scam"]));
    assert_eq!(got.body["enabled"], true);
    assert_eq!(app.get(path, &w.moderator).await.item_ids(), vec![id]);

    let mut changed = reject_keywords(&["fraud"]);
    changed["action"] = json!("notify_legal");
    changed["priority"] = json!(5);
    let put = app.put(&format!("{path}/{id}"), &w.admin, changed).await;
    put.assert_status(200);
    assert_eq!(put.body["action"], "notify_legal");
    assert_eq!(put.body["pattern"]["keywords"], json!(["fraud"]));
    app.delete(&format!("{path}/{id}"), &w.admin)
        .await
        .assert_status(204);
    app.get(&format!("{path}/{id}"), &w.admin)
        .await
        .assert_problem(404, "not_found");
    // Every change is in the audit log.
    let mut conn = warden_tests::admin_conn().await;
    let audited = audit_actions(&mut conn, w.tenant).await;
    for action in [
        "moderation_rule_created",
        "moderation_rule_updated",
        "moderation_rule_deleted",
    ] {
        assert!(
            audited.contains(&action.to_owned()),
            "{action} not in {audited:?}"
        );
    }
}

async fn audit_actions(conn: &mut diesel_async::AsyncPgConnection, tenant: Uuid) -> Vec<String> {
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct A {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
    }
    diesel::sql_query("SELECT action FROM activity_log WHERE tenant_id = $1")
        .bind::<diesel::sql_types::Uuid, _>(tenant)
        .load::<A>(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}

#[tokio::test]
async fn a_rejection_writes_nothing_and_evasions_are_caught() {
    let app = TestApp::start().await;
    let w = World::new(&app, "reject").await;
    warnings_only(&app, &w.admin).await;
    rule(&app, &w.admin, reject_keywords(&["scam", "wire transfer"])).await;
    let products = count_rows("products", w.tenant).await;
    let messages = count_rows("messages", w.tenant).await;
    let results = count_rows("moderation_results", w.tenant).await;
    let cases = [
        "Totally not a s.c.a.m",
        "Best 5C4M deal in town",
        "pay by wire-transfer only",
        "ѕсаm (Cyrillic letters)",
        "ʂcam with a hooked s",
        "SCAAAAM",
    ];
    // Zero-width characters in titles are refused before moderation (see
    // bad_input); in bodies they are stripped, see the next test.
    for text in cases {
        let r = app
            .post(
                "/api/v1/products",
                &w.seller,
                json!({"title": text, "price_minor": 100, "currency": "USD"}),
            )
            .await;
        r.assert_problem(422, "content_rejected");
        let reasons = r.body["reasons"].as_array().unwrap();
        assert!(
            reasons[0].as_str().unwrap().contains("no scams"),
            "{}",
            r.text
        );
        let span = &r.body["decision"]["matched_rules"][0]["spans"][0];
        let (start, end) = (
            span["start"].as_u64().unwrap() as usize,
            span["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[start..end], span["text"].as_str().unwrap(), "{text}");
    }
    let r = app
        .post(
            &format!("/api/v1/conversations/{}/messages", w.conversation_id),
            &w.buyer,
            json!({"body": "this is a scam"}),
        )
        .await;
    r.assert_problem(422, "content_rejected");
    // Words that merely contain the keyword pass.
    app.post(
        "/api/v1/products",
        &w.seller,
        json!({"title": "Scampi fork, mascot edition", "price_minor": 100, "currency": "USD"}),
    )
    .await
    .assert_status(201);
    assert_eq!(count_rows("products", w.tenant).await, products + 1);
    assert_eq!(count_rows("messages", w.tenant).await, messages);
    // Each rejection is recorded (for the violation it leads to), the
    // accepted listing too; the rejected content itself is not.
    assert_eq!(
        count_rows("moderation_results", w.tenant).await,
        results + cases.len() as i64 + 2
    );
}

#[tokio::test]
async fn invisible_reordered_and_lookalike_words_in_bodies_are_caught() {
    let app = TestApp::start().await;
    let w = World::new(&app, "invisible-bodies").await;
    warnings_only(&app, &w.admin).await;
    rule(&app, &w.admin, reject_keywords(&["scam"])).await;
    let mut regex = reject_keywords(&[]);
    regex["name"] = json!("no free money");
    regex["pattern"] = json!({"regex": [r"\bfree money\b"]});
    rule(&app, &w.admin, regex).await;
    let messages = count_rows("messages", w.tenant).await;
    let path = format!("/api/v1/conversations/{}/messages", w.conversation_id);
    for (body, matched) in [
        ("this is a s\u{200B}ca\u{200D}m", "s\u{200B}ca\u{200D}m"),
        ("this is a ʂcam", "ʂcam"),
        // Shown as "a scam!" by the right-to-left override.
        ("a \u{202E}macs\u{202C}!", "macs"),
        (
            "get fr\u{2060}ee mo\u{FEFF}ney today",
            "fr\u{2060}ee mo\u{FEFF}ney",
        ),
    ] {
        let r = app.post(&path, &w.buyer, json!({"body": body})).await;
        r.assert_problem(422, "content_rejected");
        // The span points at the text as sent.
        let span = &r.body["decision"]["matched_rules"][0]["spans"][0];
        let (start, end) = (
            span["start"].as_u64().unwrap() as usize,
            span["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&body[start..end], matched, "{body:?}");
        assert_eq!(span["text"], matched, "{body:?}");
    }
    assert_eq!(count_rows("messages", w.tenant).await, messages);
    // Joiners that belong (emoji, Persian) are kept in what is stored.
    let kept = "family 👨\u{200D}👩\u{200D}👧 می\u{200C}خواهم";
    let r = app.post(&path, &w.buyer, json!({"body": kept})).await;
    r.assert_status(201);
    assert_eq!(r.body["body"], kept);

    // The models read the same stripped, folded text: scores of a text laced
    // with invisible characters and look-alikes are those of the plain one.
    let plain = "You are a stupid idiot and I hate you";
    let laced = "You are a ʂtu\u{200B}pid id\u{00AD}iot and I h\u{2060}ate you";
    let batch = app
        .post(
            "/api/v1/moderation/analyze",
            &w.seller,
            json!({"texts": [plain, laced]}),
        )
        .await;
    batch.assert_status(200);
    let results = &batch.body["results"];
    assert_eq!(
        results[0]["toxicity"], results[1]["toxicity"],
        "{}",
        batch.text
    );
    assert_eq!(results[0]["offensive"], results[1]["offensive"]);
    assert_eq!(results[0]["sentiment"], results[1]["sentiment"]);
}

#[tokio::test]
async fn the_highest_priority_rule_decides_and_custom_actions_are_recorded() {
    let app = TestApp::start().await;
    let w = World::new(&app, "priority").await;
    rule(&app, &w.admin, reject_keywords(&["replica"])).await;
    let mut allow = reject_keywords(&["replica parts"]);
    allow["name"] = json!("spare parts are fine");
    allow["action"] = json!("allow");
    allow["priority"] = json!(10);
    rule(&app, &w.admin, allow).await;
    let mut custom = reject_keywords(&["replica"]);
    custom["name"] = json!("tell brand protection");
    custom["action"] = json!("notify_brand_team");
    rule(&app, &w.admin, custom).await;

    let r = app
        .post(
            "/api/v1/moderation/analyze",
            &w.seller,
            json!({"text": "Replica parts for vintage cameras", "content_type": "product"}),
        )
        .await;
    r.assert_status(200);
    let d = &r.body["decision"];
    assert_eq!(d["applied_action"], "allow", "{d}");
    assert_eq!(d["recommended_action"], "reject");
    assert_eq!(d["matched_rules"][0]["name"], "spare parts are fine");
    assert_eq!(d["custom_actions"], json!(["notify_brand_team"]));
    // Without the allow-listed phrase, the reject rule decides.
    let r = app
        .post(
            "/api/v1/moderation/analyze",
            &w.seller,
            json!({"text": "Replica watch, looks real", "content_type": "product"}),
        )
        .await;
    assert_eq!(r.body["decision"]["applied_action"], "reject");
    // Rules only apply to their content types.
    let r = app
        .post(
            "/api/v1/moderation/analyze",
            &w.seller,
            json!({"text": "Replica watch", "content_type": "message"}),
        )
        .await;
    assert_eq!(r.body["decision"]["applied_action"], "reject");
    let mut products_only = reject_keywords(&["teapot"]);
    products_only["content_types"] = json!(["product"]);
    rule(&app, &w.admin, products_only).await;
    let r = app
        .post(
            "/api/v1/moderation/analyze",
            &w.seller,
            json!({"text": "my teapot", "content_type": "review"}),
        )
        .await;
    assert_eq!(r.body["decision"]["applied_action"], "allow");
}

#[tokio::test]
async fn model_and_entity_rules_flag_and_hold_content_for_review() {
    let app = TestApp::start().await;
    let w = World::new(&app, "review").await;
    rule(
        &app,
        &w.admin,
        json!({"name": "insults", "kind": "toxicity", "toxicity": {"category": "insult", "threshold": 0.5},
               "content_types": ["review", "message"], "action": "require_review", "priority": 1}),
    )
    .await;
    rule(
        &app,
        &w.admin,
        json!({"name": "off-platform contact", "kind": "entities", "entities": {"kinds": ["phone", "email", "contact_handle"]},
               "content_types": ["message"], "action": "flag"}),
    )
    .await;
    // Flagged: saved and shown, marked for staff.
    let m = app
        .post(
            &format!("/api/v1/conversations/{}/messages", w.conversation_id),
            &w.buyer,
            json!({"body": "text me at +1 415 555 0132 instead"}),
        )
        .await;
    m.assert_status(201);
    assert_eq!(m.body["moderation_status"], "flagged");
    // Held for review: saved, hidden from others until approved.
    let m = app
        .post(
            &format!("/api/v1/conversations/{}/messages", w.conversation_id),
            &w.buyer,
            json!({"body": "you are a stupid idiot"}),
        )
        .await;
    m.assert_status(201);
    assert_eq!(m.body["moderation_status"], "pending_review");
    let held = m.id();
    let messages_path = format!("/api/v1/conversations/{}/messages", w.conversation_id);
    assert!(
        !app.get(&messages_path, &w.seller)
            .await
            .item_ids()
            .contains(&held)
    );
    assert!(
        app.get(&messages_path, &w.buyer)
            .await
            .item_ids()
            .contains(&held)
    );
    assert!(
        app.get(&messages_path, &w.moderator)
            .await
            .item_ids()
            .contains(&held)
    );

    // The decision is in the history, with its scores and the rule.
    let results = app
        .get(
            &format!("/api/v1/moderation/results?content_id={held}"),
            &w.moderator,
        )
        .await;
    let items = results.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["applied_action"], "require_review");
    assert_eq!(items[0]["matches"][0]["name"], "insults");
    assert!(items[0]["scores"]["toxicity"]["insult"].as_f64().unwrap() >= 0.5);
    let one = app
        .get(
            &format!(
                "/api/v1/moderation/results/{}",
                items[0]["id"].as_str().unwrap()
            ),
            &w.moderator,
        )
        .await;
    one.assert_status(200);
    app.get(
        &format!(
            "/api/v1/moderation/results/{}",
            items[0]["id"].as_str().unwrap()
        ),
        &w.seller,
    )
    .await
    .assert_problem(403, "forbidden");

    // The queue: two moderators claim at once, exactly one wins.
    let queue = app
        .get("/api/v1/moderation/reviews", &w.moderator)
        .await
        .items();
    let item = queue
        .iter()
        .find(|i| i["content_id"] == held.to_string())
        .unwrap();
    let review = format!(
        "/api/v1/moderation/reviews/{}",
        item["id"].as_str().unwrap()
    );
    let other = app.member(w.tenant, "mod-2", &[Role::Moderator]);
    app.get("/api/v1/users/me", &other).await.assert_status(200);
    let claim = format!("{review}/claim");
    let (a, b) = tokio::join!(
        app.post(&claim, &w.moderator, json!({})),
        app.post(&claim, &other, json!({})),
    );
    let codes = [a.status.as_u16(), b.status.as_u16()];
    assert!(codes.contains(&200) && codes.contains(&409), "{codes:?}");
    let (winner, loser) = if a.status.as_u16() == 200 {
        (&w.moderator, &other)
    } else {
        (&other, &w.moderator)
    };
    // Only the claimer decides; a bad decision is refused.
    app.post(
        &format!("{review}/decision"),
        loser,
        json!({"decision": "approve"}),
    )
    .await
    .assert_problem(409, "conflict");
    app.post(
        &format!("{review}/decision"),
        winner,
        json!({"decision": "delete"}),
    )
    .await
    .assert_problem(400, "invalid_body");
    let done = app
        .post(
            &format!("{review}/decision"),
            winner,
            json!({"decision": "approve", "note": "banter between friends"}),
        )
        .await;
    done.assert_status(200);
    assert_eq!(done.body["status"], "approved");
    let steps: Vec<&str> = done.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["created", "claimed", "approve"]);
    assert_eq!(done.body["history"][2]["note"], "banter between friends");
    // Approved: the seller sees the message now; the item is closed.
    assert!(
        app.get(&messages_path, &w.seller)
            .await
            .item_ids()
            .contains(&held)
    );
    app.post(&format!("{review}/claim"), &w.moderator, json!({}))
        .await
        .assert_problem(409, "conflict");
}

#[tokio::test]
async fn escalated_items_go_to_admins_and_rejected_content_stays_hidden() {
    let app = TestApp::start().await;
    let w = World::new(&app, "escalate").await;
    let mut hold = reject_keywords(&["antique"]);
    hold["action"] = json!("require_review");
    rule(&app, &w.admin, hold).await;
    let p = app
        .post(
            "/api/v1/products",
            &w.seller,
            json!({"title": "Antique clock", "price_minor": 100, "currency": "USD"}),
        )
        .await;
    p.assert_status(201);
    assert_eq!(p.body["moderation_status"], "pending_review");
    let product = format!("/api/v1/products/{}", p.id());
    app.get(&product, &w.buyer)
        .await
        .assert_problem(404, "not_found");
    app.get(&product, &w.seller).await.assert_status(200);
    assert!(
        !app.get("/api/v1/products", &w.buyer)
            .await
            .item_ids()
            .contains(&p.id())
    );

    let item = app
        .get("/api/v1/moderation/reviews", &w.moderator)
        .await
        .items()[0]
        .clone();
    let review = format!(
        "/api/v1/moderation/reviews/{}",
        item["id"].as_str().unwrap()
    );
    app.post(&format!("{review}/claim"), &w.moderator, json!({}))
        .await
        .assert_status(200);
    let e = app
        .post(
            &format!("{review}/decision"),
            &w.moderator,
            json!({"decision": "escalate", "note": "possible stolen goods"}),
        )
        .await;
    assert_eq!(e.body["status"], "escalated");
    // Moderators cannot take escalated items; admins can.
    app.post(&format!("{review}/claim"), &w.moderator, json!({}))
        .await
        .assert_problem(409, "conflict");
    app.post(&format!("{review}/claim"), &w.admin, json!({}))
        .await
        .assert_status(200);
    let r = app
        .post(
            &format!("{review}/decision"),
            &w.admin,
            json!({"decision": "reject", "note": "confirmed"}),
        )
        .await;
    assert_eq!(r.body["status"], "rejected");
    let steps: Vec<&str> = r.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["created", "claimed", "escalate", "claimed", "reject"]
    );
    let seen = app.get(&product, &w.seller).await;
    assert_eq!(seen.body["moderation_status"], "rejected");
    app.get(&product, &w.buyer)
        .await
        .assert_problem(404, "not_found");
}

async fn wait_rescan(app: &TestApp, who: &As, id: Uuid) -> Value {
    for _ in 0..200 {
        let r = app
            .get(&format!("/api/v1/moderation/rescans/{id}"), who)
            .await;
        if r.body["status"] == "completed" || r.body["status"] == "failed" {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("rescan {id} did not finish");
}

#[tokio::test]
async fn a_rescan_applies_new_rules_once_and_is_idempotent() {
    let app = TestApp::start().await;
    let w = World::new(&app, "rescan").await;
    // The background worker, as `serve` runs it, for this test's tenant.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(warden_server::jobs::run(
        app.state.job_runner(),
        stopped,
        Some(warden_tenancy::TenantId::new(w.tenant)),
    ));
    // Content written before the rule exists.
    let p = app
        .post(
            "/api/v1/products",
            &w.seller,
            json!({"title": "Counterfeit handbag", "price_minor": 100, "currency": "USD"}),
        )
        .await
        .id();
    let mut flag = reject_keywords(&["counterfeit"]);
    flag["action"] = json!("require_review");
    rule(&app, &w.admin, flag).await;
    let r = app
        .post("/api/v1/moderation/rescans", &w.admin, json!({}))
        .await;
    r.assert_status(202);
    let first = wait_rescan(&app, &w.admin, r.id()).await;
    assert_eq!(first["status"], "completed", "{first}");
    assert_eq!(first["processed"], first["total"]);
    assert_eq!(first["changed"], 1);
    let seen = app.get(&format!("/api/v1/products/{p}"), &w.seller).await;
    assert_eq!(seen.body["moderation_status"], "pending_review");
    let open = app
        .get("/api/v1/moderation/reviews", &w.moderator)
        .await
        .items();
    assert_eq!(open.len(), 1);

    // Again: the same decisions, nothing changes, no second review item.
    let again = app
        .post(
            "/api/v1/moderation/rescans",
            &w.admin,
            json!({"content_types": ["product"]}),
        )
        .await
        .id();
    let second = wait_rescan(&app, &w.admin, again).await;
    assert_eq!(second["changed"], 0, "{second}");
    assert_eq!(second["processed"], second["total"]);
    assert_eq!(
        app.get("/api/v1/moderation/reviews", &w.moderator)
            .await
            .items()
            .len(),
        1
    );
    app.post("/api/v1/moderation/rescans", &w.seller, json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.post(
        "/api/v1/moderation/rescans",
        &w.admin,
        json!({"content_types": []}),
    )
    .await
    .assert_problem(400, "invalid_input");
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[tokio::test]
async fn a_rescan_resumes_where_a_dead_worker_stopped() {
    let app = TestApp::start().await;
    let w = World::new(&app, "resume").await;
    let id = app
        .post("/api/v1/moderation/rescans", &w.admin, json!({}))
        .await
        .assert_status(202)
        .id();
    let total = app
        .get(&format!("/api/v1/moderation/rescans/{id}"), &w.admin)
        .await
        .body["total"]
        .as_i64()
        .unwrap();
    assert!(
        total >= 5,
        "products, stores, a review and a message: {total}"
    );
    let db = &app.state.db;
    let moderator = &app.state.moderator;
    let tenant = warden_tenancy::TenantId::new(w.tenant);
    // Commerce's content, as the server's job runner hands it to a rescan.
    let content = &warden_server::wiring::content_store::CommerceContent;
    // A worker does one page (the products) and dies.
    let progress = warden_moderation::rescans::run_page(db, content, moderator, tenant, id)
        .await
        .unwrap();
    assert_eq!(progress, warden_moderation::rescans::Progress::More);
    let midway = app
        .get(&format!("/api/v1/moderation/rescans/{id}"), &w.admin)
        .await
        .body;
    assert_eq!(midway["status"], "running");
    let done_before = midway["processed"].as_i64().unwrap();
    assert!(done_before > 0 && done_before < total, "{midway}");
    // Another worker claims the job from the queue and finishes it.
    let job = warden_tenancy::queue::claim(
        db,
        "second",
        &[warden_moderation::rescans::JOB_KIND],
        Some(tenant),
        Duration::from_secs(30),
    )
    .await
    .unwrap()
    .expect("the job is ready");
    warden_moderation::rescans::run_job(db, content, moderator, &job)
        .await
        .unwrap();
    assert!(warden_tenancy::queue::complete(db, &job).await.unwrap());
    let end = app
        .get(&format!("/api/v1/moderation/rescans/{id}"), &w.admin)
        .await
        .body;
    assert_eq!(end["status"], "completed");
    assert_eq!(end["processed"].as_i64().unwrap(), total);
    // Each piece of content was recorded once, however the pages fell.
    assert_eq!(rescan_results(w.tenant, id).await, total);
    // Running it again does nothing.
    let again = warden_moderation::rescans::run_page(db, content, moderator, tenant, id)
        .await
        .unwrap();
    assert_eq!(again, warden_moderation::rescans::Progress::Done);
    assert_eq!(rescan_results(w.tenant, id).await, total);
}

async fn rescan_results(tenant: Uuid, rescan: Uuid) -> i64 {
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = warden_tests::admin_conn().await;
    diesel::sql_query(
        "SELECT count(*) AS n FROM moderation_results WHERE tenant_id = $1 AND rescan_id = $2",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .bind::<diesel::sql_types::Uuid, _>(rescan)
    .get_result::<N>(&mut conn)
    .await
    .unwrap()
    .n
}

#[tokio::test]
async fn rules_results_and_reviews_stay_in_their_tenant() {
    let app = TestApp::start().await;
    let a = World::new(&app, "mod-iso-a").await;
    let b = World::new(&app, "mod-iso-b").await;
    let mut hold = reject_keywords(&["vintage"]);
    hold["action"] = json!("require_review");
    let rule_a = rule(&app, &a.admin, hold).await;
    let held = app
        .post(
            "/api/v1/products",
            &a.seller,
            json!({"title": "Vintage lamp", "price_minor": 100, "currency": "USD"}),
        )
        .await;
    assert_eq!(held.body["moderation_status"], "pending_review");
    // A's rule does not touch B's content.
    let free = app
        .post(
            "/api/v1/products",
            &b.seller,
            json!({"title": "Vintage lamp", "price_minor": 100, "currency": "USD"}),
        )
        .await;
    assert_eq!(free.body["moderation_status"], "approved");
    // B's staff see none of A's rules, results or review items.
    app.get(&format!("/api/v1/moderation/rules/{rule_a}"), &b.admin)
        .await
        .assert_problem(404, "not_found");
    assert!(
        app.get("/api/v1/moderation/rules", &b.admin)
            .await
            .items()
            .is_empty()
    );
    let b_results = app
        .get("/api/v1/moderation/results", &b.moderator)
        .await
        .items();
    assert!(
        b_results
            .iter()
            .all(|r| r["content_id"] != held.id().to_string())
    );
    assert!(
        app.get("/api/v1/moderation/reviews", &b.moderator)
            .await
            .items()
            .is_empty()
    );
    let a_item = app
        .get("/api/v1/moderation/reviews", &a.moderator)
        .await
        .items()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/moderation/reviews/{a_item}/claim"),
        &b.moderator,
        json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    // A's token with B's tenant header is refused before anything runs.
    app.get(
        "/api/v1/moderation/rules",
        &a.admin.with_tenant_header(&b.tenant.to_string()),
    )
    .await
    .assert_problem(403, "tenant_mismatch");
}

#[tokio::test]
async fn a_lapsed_claim_can_be_taken_over() {
    let app = TestApp::start().await;
    let w = World::new(&app, "claim-lapse").await;
    let mut hold = reject_keywords(&["gramophone"]);
    hold["action"] = json!("require_review");
    rule(&app, &w.admin, hold).await;
    app.post(
        "/api/v1/products",
        &w.seller,
        json!({"title": "Gramophone", "price_minor": 100, "currency": "USD"}),
    )
    .await
    .assert_status(201);
    let item = app
        .get("/api/v1/moderation/reviews", &w.moderator)
        .await
        .item_ids()[0];
    let review = format!("/api/v1/moderation/reviews/{item}");
    let claimed = app
        .post(&format!("{review}/claim"), &w.moderator, json!({}))
        .await;
    claimed.assert_status(200);
    assert!(claimed.body["claim_expires_at"].is_string());
    let other = app.member(w.tenant, "mod-2", &[Role::Moderator]);
    app.get("/api/v1/users/me", &other).await.assert_status(200);
    app.post(&format!("{review}/claim"), &other, json!({}))
        .await
        .assert_problem(409, "conflict");
    // Fifteen minutes pass (moved back in the database, not waited for).
    {
        use diesel_async::RunQueryDsl;
        let mut conn = warden_tests::admin_conn().await;
        diesel::sql_query(
            "UPDATE moderation_reviews SET claim_expires_at = now() - interval '1 second' WHERE id = $1",
        )
        .bind::<diesel::sql_types::Uuid, _>(item)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    // The first reviewer's lapsed claim no longer lets them decide; the
    // second takes the item over.
    app.post(
        &format!("{review}/decision"),
        &w.moderator,
        json!({"decision": "approve"}),
    )
    .await
    .assert_problem(409, "conflict");
    app.post(&format!("{review}/claim"), &other, json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("{review}/decision"),
        &other,
        json!({"decision": "request_changes", "note": "add photos"}),
    )
    .await
    .assert_status(200);
}

#[tokio::test]
async fn the_server_refuses_to_start_without_its_models() {
    let dir = std::env::temp_dir().join(format!("warden-no-models-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = warden_tests::test_config();
    config.moderation.paths.models_dir = dir.clone();
    let err = warden_server::AppState::new(config.clone())
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(
        msg.contains(&dir.display().to_string()) && msg.contains("just models"),
        "{msg}"
    );
    // A file that is there but is not the recorded model is refused too.
    let real = warden_server::config::ModerationConfig::repo_models_dir();
    for sub in ["", "reference"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for entry in std::fs::read_dir(real.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, dir.join(sub).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    std::fs::write(dir.join("profanity.onnx"), b"not a model").unwrap();
    let err = warden_server::AppState::new(config).err().expect("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("profanity.onnx") && msg.contains("sha256"),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_scheduled_rescan_waits_for_its_time() {
    let app = TestApp::start().await;
    let w = World::new(&app, "scheduled").await;
    let tenant = warden_tenancy::TenantId::new(w.tenant);
    let later = chrono::Utc::now() + chrono::Duration::hours(6);
    let r = app
        .post(
            "/api/v1/moderation/rescans",
            &w.admin,
            json!({"run_at": later.to_rfc3339()}),
        )
        .await;
    r.assert_status(202);
    assert_eq!(r.body["status"], "queued");
    let scheduled: chrono::DateTime<chrono::Utc> =
        r.body["run_at"].as_str().unwrap().parse().unwrap();
    assert!((scheduled - later).num_seconds().abs() < 2);
    // Not ready yet: no worker can claim it.
    let claimed = warden_tenancy::queue::claim(
        &app.state.db,
        "early",
        &[warden_moderation::rescans::JOB_KIND],
        Some(tenant),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert!(claimed.is_none());
    let too_late = chrono::Utc::now() + chrono::Duration::days(400);
    app.post(
        "/api/v1/moderation/rescans",
        &w.admin,
        json!({"run_at": too_late.to_rfc3339()}),
    )
    .await
    .assert_problem(400, "invalid_input");
    app.post(
        "/api/v1/moderation/rescans",
        &w.admin,
        json!({"run_at": "tomorrow"}),
    )
    .await
    .assert_problem(400, "invalid_body");
}
