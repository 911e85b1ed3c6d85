//! User reports end to end: merging, grouping into one review item, the
//! priority order (distinct reporters, accuracy, trusted flaggers), outcomes
//! told to reporters, the per-reporter rate, bad input, the queue's source
//! filter.

use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_tests::{As, Reply, TestApp, World, admin_conn, count_rows};

const REPORTS: &str = "/api/v1/reports";

async fn report(app: &TestApp, who: &As, target_type: &str, target: Uuid, category: &str) -> Reply {
    app.post(
        REPORTS,
        who,
        json!({"target_type": target_type, "target_id": target, "category": category}),
    )
    .await
}

/// A member of the tenant whose user row exists; their user id.
async fn member(app: &TestApp, w: &World, sub: &str) -> (As, Uuid) {
    let who = app.member(w.tenant, sub, &[Role::Buyer]);
    let id = app
        .get("/api/v1/users/me", &who)
        .await
        .assert_status(200)
        .id();
    (who, id)
}

/// Claims and decides a review item.
async fn decide(app: &TestApp, moderator: &As, item: &str, decision: &str) -> Reply {
    let path = format!("/api/v1/moderation/reviews/{item}");
    app.post(&format!("{path}/claim"), moderator, json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("{path}/decision"),
        moderator,
        json!({"decision": decision, "note": "checked"}),
    )
    .await
}

fn review_of(r: &Reply) -> String {
    r.body["review_id"].as_str().unwrap().to_owned()
}

/// Every open item of the queue with this filter, following the cursors.
async fn queue(app: &TestApp, who: &As, filter: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!("/api/v1/moderation/reviews?limit={limit}{filter}&cursor={cursor}"),
                who,
            )
            .await;
        page.assert_status(200);
        items.extend(page.items());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return items,
        }
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn first_message(app: &TestApp, w: &World) -> Uuid {
    app.get(
        &format!("/api/v1/conversations/{}/messages", w.conversation_id),
        &w.buyer,
    )
    .await
    .item_ids()[0]
}

#[tokio::test]
async fn reports_merge_per_reporter_and_group_per_target() {
    let app = TestApp::start().await;
    let w = World::new(&app, "reports-merge").await;
    let message = first_message(&app, &w).await;
    let first = app
        .post(
            REPORTS,
            &w.buyer,
            json!({"target_type": "listing", "target_id": w.product_id, "category": "scam_fraud",
                   "text": "asks for payment by gift card", "message_ids": [message]}),
        )
        .await;
    first.assert_status(201);
    assert_eq!(first.body["merged"], false);
    assert_eq!(first.body["status"], "open");
    // The same reporter again: merged into the open report (latest category,
    // earlier text kept when the new one is empty, ids added).
    let again = report(&app, &w.buyer, "listing", w.product_id, "counterfeit").await;
    again.assert_status(200);
    assert_eq!(again.body["merged"], true);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["times_reported"], 2);
    assert_eq!(again.body["category"], "counterfeit");
    assert_eq!(again.body["text"], "asks for payment by gift card");
    assert_eq!(again.body["message_ids"], json!([message]));
    // Another reporter of the same target: a report of their own, the same item.
    let other = report(&app, &w.other_buyer, "listing", w.product_id, "spam").await;
    other.assert_status(201);
    assert_eq!(review_of(&other), review_of(&first));
    assert_eq!(count_rows("reports", w.tenant).await, 2);

    // One report item in the queue, ranked by two first-time reporters.
    let items = queue(&app, &w.moderator, "&source=report", 20).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"].as_str().unwrap(), review_of(&first));
    assert_eq!(items[0]["source"], "report");
    assert_eq!(items[0]["content_type"], "product");
    assert_eq!(items[0]["content_id"], w.product_id.to_string());
    assert_eq!(items[0]["result_id"], Value::Null);
    assert_eq!(items[0]["priority"], 100);
    // Staff read the item's reports; each reporter reads only their own.
    let grouped = app
        .get(
            &format!("{REPORTS}?review_id={}", review_of(&first)),
            &w.moderator,
        )
        .await;
    assert_eq!(grouped.items().len(), 2);
    app.get(REPORTS, &w.buyer)
        .await
        .assert_problem(403, "forbidden");
    let mine = app.get(&format!("{REPORTS}/mine"), &w.buyer).await;
    assert_eq!(mine.item_ids(), [first.id()]);
    // Audited in the transaction of the change.
    assert_eq!(audit_count(w.tenant, "report_created").await, 2);
    assert_eq!(audit_count(w.tenant, "report_merged").await, 1);
}

async fn audit_count(tenant: Uuid, action: &str) -> i64 {
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = admin_conn().await;
    diesel::sql_query("SELECT count(*) AS n FROM activity_log WHERE tenant_id = $1 AND action = $2")
        .bind::<diesel::sql_types::Uuid, _>(tenant)
        .bind::<diesel::sql_types::Text, _>(action)
        .get_result::<N>(&mut conn)
        .await
        .unwrap()
        .n
}

#[tokio::test]
async fn the_queue_ranks_reporters_by_number_and_accuracy_and_trusted_flaggers_first() {
    let app = TestApp::start().await;
    let w = World::new(&app, "reports-rank").await;
    let (accurate, _) = member(&app, &w, "accurate").await;
    let (dismissed, dismissed_id) = member(&app, &w, "dismissed").await;
    let (fresh1, _) = member(&app, &w, "fresh-1").await;
    let (fresh2, _) = member(&app, &w, "fresh-2").await;
    let (_, target_user) = member(&app, &w, "target").await;
    let (_, other_target) = member(&app, &w, "target-2").await;

    // The dismissed reporter has another open report meanwhile.
    let pending = report(&app, &dismissed, "user", other_target, "harassment").await;
    assert_eq!(priority_of(&app, &w, &review_of(&pending)).await, 50);
    // History: one report upheld, one dismissed.
    let upheld = report(&app, &accurate, "listing", w.product_id, "counterfeit").await;
    decide(&app, &w.moderator, &review_of(&upheld), "reject")
        .await
        .assert_status(200);
    let wrong = report(&app, &dismissed, "listing", w.other_product_id, "spam").await;
    decide(&app, &w.moderator, &review_of(&wrong), "approve")
        .await
        .assert_status(200);
    // A dismissal lowers the reporter's other open items at once.
    assert_eq!(priority_of(&app, &w, &review_of(&pending)).await, 33);

    let by_accurate = report(&app, &accurate, "review", w.review_id, "spam").await;
    let by_dismissed = report(&app, &dismissed, "store", w.other_seller_id, "scam_fraud").await;
    let by_two = report(&app, &fresh1, "user", target_user, "harassment").await;
    report(&app, &fresh2, "user", target_user, "harassment")
        .await
        .assert_status(201);
    let [two, acc, dis, msg] = [&by_two, &by_accurate, &by_dismissed, &pending].map(review_of);
    // Two first-time reporters (50 + 50) > one accurate (67) > one fresh
    // with a dismissal behind them (33), which ties with the older item.
    let order = ids(&queue(&app, &w.moderator, "&source=report", 20).await);
    assert_eq!(order, [two.clone(), acc.clone(), msg.clone(), dis.clone()]);
    // The same order page by page.
    assert_eq!(
        ids(&queue(&app, &w.moderator, "&source=report", 1).await),
        order
    );

    // A trusted flagger goes to the front, with every open item of theirs.
    app.put(
        &format!("{REPORTS}/trusted-flaggers/{dismissed_id}"),
        &w.buyer,
        json!({}),
    )
    .await
    .assert_problem(403, "forbidden");
    let marked = app
        .put(
            &format!("{REPORTS}/trusted-flaggers/{dismissed_id}"),
            &w.admin,
            json!({}),
        )
        .await;
    marked.assert_status(200);
    assert_eq!(marked.body["trusted"], true);
    assert_eq!(marked.body["dismissed"], 1);
    let order = ids(&queue(&app, &w.moderator, "&source=report", 2).await);
    assert_eq!(order, [msg.clone(), dis.clone(), two.clone(), acc.clone()]);
    let flaggers = app
        .get(&format!("{REPORTS}/trusted-flaggers"), &w.admin)
        .await;
    assert_eq!(flaggers.items().len(), 1);
    assert_eq!(flaggers.items()[0]["user_id"], dismissed_id.to_string());
    app.put(
        &format!("{REPORTS}/trusted-flaggers/{}", Uuid::now_v7()),
        &w.admin,
        json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    // Unmarked: back in line.
    app.delete(
        &format!("{REPORTS}/trusted-flaggers/{dismissed_id}"),
        &w.admin,
    )
    .await
    .assert_status(204);
    let order = ids(&queue(&app, &w.moderator, "&source=report", 20).await);
    assert_eq!(order, [two, acc, msg, dis]);
    assert!(
        app.get(&format!("{REPORTS}/trusted-flaggers"), &w.admin)
            .await
            .items()
            .is_empty()
    );
}

async fn priority_of(app: &TestApp, w: &World, item: &str) -> i64 {
    app.get(&format!("/api/v1/moderation/reviews/{item}"), &w.moderator)
        .await
        .assert_status(200)
        .body["priority"]
        .as_i64()
        .unwrap()
}

async fn notifications_of(app: &TestApp, who: &As) -> Vec<Value> {
    app.get("/api/v1/notifications", who)
        .await
        .items()
        .into_iter()
        .filter(|n| n["kind"] == "report_decided")
        .collect()
}

#[tokio::test]
async fn a_decision_closes_the_reports_and_tells_each_reporter() {
    let app = TestApp::start().await;
    let w = World::new(&app, "reports-decide").await;
    let a = report(&app, &w.buyer, "listing", w.product_id, "counterfeit").await;
    report(&app, &w.other_buyer, "listing", w.product_id, "counterfeit")
        .await
        .assert_status(201);
    let item = review_of(&a);
    let done = decide(&app, &w.moderator, &item, "reject").await;
    done.assert_status(200);
    assert_eq!(done.body["status"], "rejected");
    // The listing is removed as a rejected listing is.
    let listing = app
        .get(&format!("/api/v1/products/{}", w.product_id), &w.seller)
        .await;
    assert_eq!(listing.body["moderation_status"], "rejected");
    for who in [&w.buyer, &w.other_buyer] {
        let mine = app.get(&format!("{REPORTS}/mine"), who).await.items();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["status"], "closed");
        assert_eq!(mine[0]["outcome"], "upheld");
        assert!(mine[0]["decided_at"].is_string());
        let told = notifications_of(&app, who).await;
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0]["data"]["outcome"], "upheld");
        assert_eq!(told[0]["data"]["target_type"], "listing");
    }
    assert_eq!(audit_count(w.tenant, "report_decided").await, 1);
    // The listing is removed now: no longer there to report (staff still
    // may, which starts a new report and item).
    report(&app, &w.buyer, "listing", w.product_id, "counterfeit")
        .await
        .assert_problem(404, "not_found");
    let later = report(&app, &w.moderator, "listing", w.product_id, "counterfeit").await;
    later.assert_status(201);
    assert_ne!(review_of(&later), item);

    // Dismissed: no action on the content, the reporter is told.
    let r = report(&app, &w.buyer, "review", w.review_id, "spam").await;
    decide(&app, &w.moderator, &review_of(&r), "approve")
        .await
        .assert_status(200);
    let mine = app.get(&format!("{REPORTS}/mine"), &w.buyer).await.items();
    assert_eq!(mine[0]["id"], r.body["id"]);
    assert_eq!(mine[0]["outcome"], "dismissed");
    assert_eq!(notifications_of(&app, &w.buyer).await.len(), 2);

    // A reported user: no changes to ask for; rejecting records a violation.
    let (_, target) = member(&app, &w, "rude").await;
    let u = report(&app, &w.buyer, "user", target, "harassment").await;
    let path = format!("/api/v1/moderation/reviews/{}", review_of(&u));
    app.post(&format!("{path}/claim"), &w.moderator, json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("{path}/decision"),
        &w.moderator,
        json!({"decision": "request_changes"}),
    )
    .await
    .assert_problem(400, "invalid_input");
    app.post(
        &format!("{path}/decision"),
        &w.moderator,
        json!({"decision": "reject", "note": "threats"}),
    )
    .await
    .assert_status(200);
    app.run_jobs(w.tenant).await;
    let violations = app
        .get(&format!("/api/v1/violations?user={target}"), &w.moderator)
        .await;
    assert_eq!(violations.items().len(), 1, "{}", violations.text);
}

#[tokio::test]
async fn the_report_rate_is_per_reporter_and_refusals_write_nothing() {
    let app = TestApp::start().await;
    let w = World::new(&app, "reports-rate").await;
    app.put(
        &format!("{REPORTS}/settings"),
        &w.admin,
        json!({"categories": ["spam", "fake_reviews"], "reports_per_hour": 2}),
    )
    .await
    .assert_status(200);
    report(&app, &w.buyer, "listing", w.product_id, "spam")
        .await
        .assert_status(201);
    // A merge counts too.
    report(&app, &w.buyer, "listing", w.product_id, "fake_reviews")
        .await
        .assert_status(200);
    let before = app.get(&format!("{REPORTS}/mine"), &w.buyer).await.items();
    let refused = report(&app, &w.buyer, "review", w.review_id, "spam").await;
    refused.assert_problem(429, "report_rate_limited");
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(refused.body["limit"], 2);
    assert_eq!(count_rows("reports", w.tenant).await, 1);
    assert_eq!(
        app.get(&format!("{REPORTS}/mine"), &w.buyer).await.items(),
        before
    );
    // Another reporter has a budget of their own.
    report(&app, &w.other_buyer, "review", w.review_id, "spam")
        .await
        .assert_status(201);
}

#[tokio::test]
async fn bad_reports_are_refused_clearly_and_write_nothing() {
    let app = TestApp::start().await;
    let w = World::new(&app, "reports-bad").await;
    let other = World::new(&app, "reports-bad-other").await;
    let other_message = first_message(&app, &other).await;
    let items_before = count_rows("moderation_reviews", w.tenant).await;
    let cases = [
        (
            json!({"target_type": "listing", "target_id": w.product_id, "category": "gossip"}),
            400,
            "invalid_report",
            "category",
        ),
        (
            json!({"target_type": "listing", "target_id": w.product_id, "category": "spam",
                   "text": "x".repeat(2001)}),
            400,
            "invalid_report",
            "text",
        ),
        (
            json!({"target_type": "listing", "target_id": w.product_id, "category": "spam",
                   "message_ids": [other_message]}),
            400,
            "invalid_report",
            "message_ids",
        ),
        (
            json!({"target_type": "listing", "target_id": w.product_id, "category": "spam",
                   "message_ids": (0..21).map(|_| Uuid::now_v7()).collect::<Vec<_>>()}),
            400,
            "invalid_report",
            "message_ids",
        ),
        (
            json!({"target_type": "listing", "target_id": Uuid::now_v7(), "category": "spam"}),
            404,
            "not_found",
            "report target",
        ),
        (
            json!({"target_type": "listing", "target_id": other.product_id, "category": "spam"}),
            404,
            "not_found",
            "report target",
        ),
        (
            json!({"target_type": "store", "target_id": w.product_id, "category": "spam"}),
            404,
            "not_found",
            "report target",
        ),
        (
            json!({"target_type": "order", "target_id": w.order_id, "category": "spam"}),
            400,
            "invalid_body",
            "expected one of `listing`, `review`, `message`, `store`, `user`",
        ),
    ];
    for (body, status, code, names) in cases {
        let r = app.post(REPORTS, &w.buyer, body.clone()).await;
        r.assert_problem(status, code);
        assert!(
            r.body["detail"].as_str().unwrap().contains(names),
            "{body}: {}",
            r.text
        );
    }
    assert_eq!(count_rows("reports", w.tenant).await, 0);
    assert_eq!(count_rows("reports", other.tenant).await, 0);
    assert_eq!(
        count_rows("moderation_reviews", w.tenant).await,
        items_before
    );
    assert_eq!(audit_count(w.tenant, "report_created").await, 0);

    // The tenant's list replaces the defaults; only administrators change it.
    let defaults = app.get(&format!("{REPORTS}/settings"), &w.buyer).await;
    assert_eq!(defaults.body["categories"].as_array().unwrap().len(), 7);
    let custom = json!({"categories": ["spam", "fake_reviews"], "reports_per_hour": 5});
    app.put(&format!("{REPORTS}/settings"), &w.moderator, custom.clone())
        .await
        .assert_problem(403, "forbidden");
    app.put(
        &format!("{REPORTS}/settings"),
        &w.admin,
        json!({"categories": ["Spam"], "reports_per_hour": 5}),
    )
    .await
    .assert_problem(400, "invalid_input");
    app.put(&format!("{REPORTS}/settings"), &w.admin, custom)
        .await
        .assert_status(200);
    report(&app, &w.buyer, "listing", w.product_id, "scam_fraud")
        .await
        .assert_problem(400, "invalid_report");
    report(&app, &w.buyer, "listing", w.product_id, "fake_reviews")
        .await
        .assert_status(201);
}

#[tokio::test]
async fn the_queue_filters_by_source() {
    let app = TestApp::start().await;
    let w = World::new(&app, "reports-source").await;
    app.post(
        "/api/v1/moderation/rules",
        &w.admin,
        json!({"name": "hold", "kind": "pattern", "pattern": {"keywords": ["samovar"]},
               "content_types": ["product"], "action": "require_review"}),
    )
    .await
    .assert_status(201);
    let held = app
        .post(
            "/api/v1/products",
            &w.seller,
            json!({"title": "Samovar", "price_minor": 100, "currency": "USD"}),
        )
        .await
        .id();
    // A held listing is hidden from members; staff report it.
    let reported = report(&app, &w.moderator, "listing", held, "counterfeit").await;
    reported.assert_status(201);
    let escalated = report(&app, &w.buyer, "review", w.review_id, "spam").await;
    decide(&app, &w.moderator, &review_of(&escalated), "escalate")
        .await
        .assert_status(200);

    let automated = queue(&app, &w.moderator, "&source=automated", 20).await;
    assert_eq!(automated.len(), 1);
    assert_eq!(automated[0]["source"], "automated");
    assert_eq!(automated[0]["content_id"], held.to_string());
    assert_eq!(automated[0]["priority"], 100);
    let reports = ids(&queue(&app, &w.moderator, "&source=report", 20).await);
    assert_eq!(reports.len(), 2);
    assert!(reports.contains(&review_of(&reported)));
    let escalations = ids(&queue(&app, &w.moderator, "&source=escalation", 20).await);
    assert_eq!(escalations, [review_of(&escalated)]);
    // Unfiltered: all three, the automated item (100) before the reports (50).
    let all = queue(&app, &w.moderator, "", 20).await;
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["source"], "automated");
    app.get("/api/v1/moderation/reviews?source=robots", &w.moderator)
        .await
        .assert_problem(400, "invalid_query_parameter");

    // A new write of the held listing supersedes its automated item only:
    // the reports still wait.
    app.patch(
        &format!("/api/v1/products/{held}"),
        &w.seller,
        json!({"title": "Samovar, brass"}),
    )
    .await
    .assert_status(200);
    let reports_now = ids(&queue(&app, &w.moderator, "&source=report", 20).await);
    assert!(reports_now.contains(&review_of(&reported)));
}

/// Found by the outside probe: reporters point only at what they can see,
/// and a report of staff decided by a moderator who does not outrank them
/// sanctions no one.
#[tokio::test]
async fn reports_reach_only_what_the_reporter_sees_and_sanction_only_the_outranked() {
    let app = TestApp::start().await;
    let w = World::new(&app, "report-reach").await;
    // The world's conversation is the buyer's with the seller: another buyer
    // may not report its messages nor attach them.
    let message = first_message(&app, &w).await;
    report(&app, &w.other_buyer, "message", message, "spam")
        .await
        .assert_problem(404, "not_found");
    let attach = app
        .post(
            REPORTS,
            &w.other_buyer,
            json!({"target_type": "listing", "target_id": w.product_id,
                   "category": "spam", "message_ids": [message]}),
        )
        .await;
    attach.assert_problem(400, "invalid_report");
    report(&app, &w.buyer, "message", message, "spam")
        .await
        .assert_status(201);
    // A listing moderation holds is hidden: as unknown as one that never was.
    app.post(
        "/api/v1/moderation/rules",
        &w.admin,
        json!({"name": "hold", "kind": "pattern", "pattern": {"keywords": ["replica"]},
               "content_types": ["product"], "action": "require_review"}),
    )
    .await
    .assert_status(201);
    let held = app
        .post(
            "/api/v1/products",
            &w.other_seller,
            json!({"title": "replica watch", "price_minor": 100, "currency": "USD"}),
        )
        .await
        .assert_status(201)
        .id();
    report(&app, &w.buyer, "listing", held, "counterfeit")
        .await
        .assert_problem(404, "not_found");
    // Staff see it, and may report it.
    report(&app, &w.moderator, "listing", held, "counterfeit")
        .await
        .assert_status(201);

    // A report of the tenant administrator: the moderator cannot sanction them.
    let admin_id = app
        .get("/api/v1/users/me", &w.admin)
        .await
        .assert_status(200)
        .id();
    let item = review_of(
        report(&app, &w.buyer, "user", admin_id, "harassment")
            .await
            .assert_status(201),
    );
    let violations = count_rows("violations", w.tenant).await;
    decide(&app, &w.moderator, &item, "reject")
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(count_rows("violations", w.tenant).await, violations);
    // An administrator outranks a buyer: their rejection is their own violation.
    let buyer_id = app
        .get("/api/v1/users/me", &w.other_buyer)
        .await
        .assert_status(200)
        .id();
    let item = review_of(
        report(&app, &w.buyer, "user", buyer_id, "harassment")
            .await
            .assert_status(201),
    );
    decide(&app, &w.admin, &item, "reject")
        .await
        .assert_status(200);
    let v = app
        .get(&format!("/api/v1/violations?user={buyer_id}"), &w.admin)
        .await
        .items();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["created_by"], json!(admin_id));
}

#[tokio::test]
async fn a_banned_user_reads_their_statement_of_reasons() {
    let app = TestApp::start().await;
    let w = World::new(&app, "banned-reads").await;
    let buyer_id = app
        .get("/api/v1/users/me", &w.buyer)
        .await
        .assert_status(200)
        .id();
    let v = app
        .post(
            "/api/v1/violations",
            &w.moderator,
            json!({"user_id": buyer_id, "type": "behavior", "severity": "critical",
                   "reason": "threats"}),
        )
        .await
        .assert_status(201)
        .id();
    app.get("/api/v1/products", &w.buyer)
        .await
        .assert_problem(403, "user_banned");
    let detail = app
        .get(&format!("/api/v1/violations/{v}"), &w.buyer)
        .await
        .assert_status(200)
        .body
        .clone();
    let statement = detail["statement"]["id"].as_str().unwrap();
    let own = app
        .get(&format!("/api/v1/statements/{statement}"), &w.buyer)
        .await
        .assert_status(200)
        .body
        .clone();
    assert_eq!(own["decision"], "temporary_ban");
}
