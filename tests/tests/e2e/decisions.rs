//! Decisions with evidence and statements of reasons (issue 22): a refused
//! write keeps the exact text and spans and its violation is in force before
//! the answer; holds, reviewer rejections, manual bans and demotions each
//! produce one statement; evidence is deleted after its retention.

use std::sync::Arc;

use chrono::{Duration, Utc};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use uuid::Uuid;
use warden_tenancy::clock::ManualClock;
use warden_tests::{As, TestApp, World, admin_conn, count_rows, test_config};

async fn rule(app: &TestApp, admin: &As, name: &str, action: &str, words: &[&str]) -> Uuid {
    app.post(
        "/api/v1/moderation/rules",
        admin,
        json!({
            "name": name,
            "kind": "pattern",
            "pattern": {"keywords": words},
            "content_types": ["product", "review", "message", "seller_profile"],
            "action": action,
        }),
    )
    .await
    .assert_status(201)
    .id()
}

async fn user_id(app: &TestApp, who: &As) -> Uuid {
    app.get("/api/v1/users/me", who)
        .await
        .assert_status(200)
        .id()
}

/// The statements of reasons about `user` in the tenant, oldest first.
async fn statements_of(tenant: Uuid, user: Uuid) -> Vec<(String, Option<Uuid>)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        decision: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
        violation_id: Option<Uuid>,
    }
    let mut conn = admin_conn().await;
    diesel::sql_query(
        "SELECT decision, violation_id FROM statements_of_reasons
          WHERE tenant_id = $1 AND user_id = $2 ORDER BY id",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .bind::<diesel::sql_types::Uuid, _>(user)
    .load::<Row>(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.decision, r.violation_id))
    .collect()
}

/// The only violation of `user`, as staff see it in the list.
async fn only_violation(app: &TestApp, staff: &As, user: Uuid) -> Value {
    let list = app
        .get(&format!("/api/v1/violations?user={user}"), staff)
        .await
        .assert_status(200)
        .items();
    assert_eq!(list.len(), 1, "{list:?}");
    list[0].clone()
}

fn assert_full_statement(s: &Value) {
    for field in ["id", "user_id", "decision", "facts", "created_at"] {
        assert!(!s[field].is_null(), "{field} missing in {s}");
    }
    assert!(!s["ground"]["name"].as_str().unwrap().is_empty(), "{s}");
    assert!(!s["ground"]["text"].as_str().unwrap().is_empty(), "{s}");
    assert!(s["automated"].is_boolean(), "{s}");
}

#[tokio::test]
async fn a_refused_message_keeps_its_text_and_spans_and_the_appeal_reviewer_sees_them() {
    let app = TestApp::start().await;
    let w = World::new(&app, "evidence").await;
    rule(&app, &w.admin, "threats", "reject", &["kill you"]).await;
    let buyer_id = user_id(&app, &w.buyer).await;
    let text = "Pay now or I will kill you, seller";
    app.post(
        &format!("/api/v1/conversations/{}/messages", w.conversation_id),
        &w.buyer,
        json!({"body": text}),
    )
    .await
    .assert_problem(422, "content_rejected");

    // The violation exists before any job runs.
    let listed = only_violation(&app, &w.moderator, buyer_id).await;
    let id = listed["id"].as_str().unwrap();
    assert_eq!(listed["action"], "warning");
    let detail = app
        .get(&format!("/api/v1/violations/{id}"), &w.moderator)
        .await
        .assert_status(200)
        .body
        .clone();
    let evidence = &detail["evidence"];
    assert_eq!(evidence["text"], text);
    assert_eq!(evidence["content_type"], "message");
    assert!(evidence["content_id"].is_null(), "never stored: {evidence}");
    assert_eq!(evidence["decision"], "reject");
    assert!(evidence["decided_by"].is_null(), "automated: {evidence}");
    assert_eq!(
        evidence["sha256"],
        warden_decisions::evidence::sha256_hex(text)
    );
    assert!(
        evidence["model_versions"]
            .as_object()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(evidence["scores"]["toxicity"].is_object(), "{evidence}");
    let rules = evidence["rules"].as_array().unwrap();
    assert_eq!(rules[0]["name"], "threats");
    let span = &rules[0]["spans"][0];
    let (start, end) = (
        span["start"].as_u64().unwrap() as usize,
        span["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], "kill you");
    assert_eq!(span["text"], "kill you");

    // Its statement: a warning, automated, on the rule, appealable.
    let statement = &detail["statement"];
    assert_full_statement(statement);
    assert_eq!(statement["decision"], "warning");
    assert_eq!(statement["automated"], true);
    assert_eq!(statement["ground"]["name"], "threats");
    assert_eq!(statement["content_type"], "message");
    assert_eq!(statement["evidence_id"], evidence["id"]);
    assert_eq!(
        statement["appeal"]["url"],
        format!("/api/v1/violations/{id}/appeal")
    );
    let created: chrono::DateTime<Utc> = listed["created_at"].as_str().unwrap().parse().unwrap();
    let deadline: chrono::DateTime<Utc> = statement["appeal"]["deadline"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(deadline - created, Duration::days(20));
    assert!(
        statement["facts"]
            .as_str()
            .unwrap()
            .contains("message was refused and not published")
    );
    // Exactly one statement: the violation's.
    assert_eq!(
        statements_of(w.tenant, buyer_id).await,
        vec![("warning".to_owned(), Some(id.parse().unwrap()))]
    );

    // The user reads their own violation and statement; others cannot.
    let sid = statement["id"].as_str().unwrap();
    let own = app
        .get(&format!("/api/v1/statements/{sid}"), &w.buyer)
        .await
        .assert_status(200)
        .body
        .clone();
    assert_eq!(own["violation_id"], listed["id"]);
    app.get(&format!("/api/v1/statements/{sid}"), &w.other_buyer)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/violations/{id}"), &w.buyer)
        .await
        .assert_status(200);
    // The statement reached the user in the violation's own notice.
    let inbox = app
        .get("/api/v1/notifications", &w.buyer)
        .await
        .assert_status(200)
        .items();
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0]["kind"], "violation_created");
    assert_eq!(inbox[0]["data"]["statement_id"], statement["id"]);
    assert_eq!(inbox[0]["data"]["ground_name"], "threats");
    assert_eq!(inbox[0]["data"]["appeal_url"], statement["appeal"]["url"]);

    // The appeal's reviewer decides with the text and spans in front of them.
    app.post(
        &format!("/api/v1/violations/{id}/appeal"),
        &w.buyer,
        json!({"text": "It was a joke"}),
    )
    .await
    .assert_status(201);
    let decided = app
        .post(
            &format!("/api/v1/violations/{id}/appeal/decision"),
            &w.moderator,
            json!({"decision": "uphold", "note": "a threat is a threat"}),
        )
        .await
        .assert_status(200)
        .body
        .clone();
    assert_eq!(decided["evidence"]["text"], text);
    assert_eq!(
        decided["evidence"]["rules"][0]["spans"][0]["text"],
        "kill you"
    );
    assert_eq!(decided["appeal"]["status"], "upheld");
}

#[tokio::test]
async fn a_refusal_that_earns_a_ban_refuses_the_very_next_request() {
    let app = TestApp::start().await;
    let w = World::new(&app, "ban-at-once").await;
    app.put(
        "/api/v1/enforcement/ladder",
        &w.admin,
        json!({"steps": [{"action": "temporary_ban", "duration_seconds": 3600}],
               "window_days": 30, "appeal_days": 5, "auto_violation_confidence": 0.95}),
    )
    .await
    .assert_status(200);
    rule(&app, &w.admin, "scams", "reject", &["scam"]).await;
    let seller = user_id(&app, &w.seller).await;
    app.patch(
        &format!("/api/v1/products/{}", w.product_id),
        &w.seller,
        json!({"title": "the best scam"}),
    )
    .await
    .assert_problem(422, "content_rejected");
    // No job has run: the ban is already in force.
    app.patch(
        &format!("/api/v1/products/{}", w.product_id),
        &w.seller,
        json!({"title": "an honest lamp"}),
    )
    .await
    .assert_problem(403, "user_banned");
    let statements: Vec<String> = statements_of(w.tenant, seller)
        .await
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    assert_eq!(statements, vec!["temporary_ban".to_owned()]);
}

#[tokio::test]
async fn a_hold_and_a_reviewer_rejection_each_produce_one_statement_with_evidence() {
    let app = TestApp::start().await;
    let w = World::new(&app, "hold").await;
    rule(&app, &w.admin, "links", "require_review", &["telegram"]).await;
    let text = "Write me on telegram for a discount";
    app.post(
        &format!("/api/v1/conversations/{}/messages", w.conversation_id),
        &w.buyer,
        json!({"body": text}),
    )
    .await
    .assert_status(201);
    let buyer_id = user_id(&app, &w.buyer).await;
    let held = statements_of(w.tenant, buyer_id).await;
    assert_eq!(held, vec![("content_held".to_owned(), None)]);
    let inbox = app
        .get("/api/v1/notifications", &w.buyer)
        .await
        .assert_status(200)
        .items();
    let notice = inbox
        .iter()
        .find(|n| n["kind"] == "statement_of_reasons")
        .expect("the hold's statement in the inbox");
    assert_eq!(notice["data"]["decision"], "content_held");
    assert_eq!(notice["data"]["ground_name"], "links");
    assert!(notice["data"]["appeal_url"].is_null());

    // The queue item shows the text as judged and the span.
    let queue = app
        .get("/api/v1/moderation/reviews", &w.moderator)
        .await
        .assert_status(200)
        .items();
    let item = queue
        .iter()
        .find(|i| i["reason"].as_str().unwrap_or("").contains("links"))
        .expect("a review item");
    let item_id = item["id"].as_str().unwrap();
    let claimed = app
        .post(
            &format!("/api/v1/moderation/reviews/{item_id}/claim"),
            &w.moderator,
            json!({}),
        )
        .await
        .assert_status(200)
        .body
        .clone();
    assert_eq!(claimed["evidence"]["text"], text);
    assert_eq!(
        claimed["evidence"]["rules"][0]["spans"][0]["text"],
        "telegram"
    );

    // A person rejects it: the violation (through the job) carries evidence
    // decided by that person, and its statement says so.
    app.post(
        &format!("/api/v1/moderation/reviews/{item_id}/decision"),
        &w.moderator,
        json!({"decision": "reject", "note": "off-platform contact"}),
    )
    .await
    .assert_status(200);
    app.run_jobs(w.tenant).await;
    let v = only_violation(&app, &w.moderator, buyer_id).await;
    let detail = app
        .get(
            &format!("/api/v1/violations/{}", v["id"].as_str().unwrap()),
            &w.moderator,
        )
        .await
        .assert_status(200)
        .body
        .clone();
    let moderator_id = user_id(&app, &w.moderator).await;
    assert_eq!(detail["evidence"]["decided_by"], json!(moderator_id));
    assert_eq!(detail["evidence"]["text"], text);
    assert_eq!(detail["statement"]["automated"], false);
    assert_eq!(
        detail["statement"]["ground"]["text"],
        "off-platform contact"
    );
    assert_full_statement(&detail["statement"]);
    let all = statements_of(w.tenant, buyer_id).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[1].0, "warning");
}

#[tokio::test]
async fn a_manual_ban_has_its_evidence_and_one_statement() {
    let app = TestApp::start().await;
    let w = World::new(&app, "manual").await;
    let buyer_id = user_id(&app, &w.buyer).await;
    let moderator_id = user_id(&app, &w.moderator).await;
    let v = app
        .post(
            "/api/v1/violations",
            &w.moderator,
            json!({"user_id": buyer_id, "type": "behavior", "severity": "critical",
                   "reason": "threatened a seller by phone"}),
        )
        .await
        .assert_status(201)
        .body
        .clone();
    assert_eq!(v["action"], "temporary_ban");
    let detail = app
        .get(
            &format!("/api/v1/violations/{}", v["id"].as_str().unwrap()),
            &w.moderator,
        )
        .await
        .assert_status(200)
        .body
        .clone();
    assert_eq!(detail["evidence"]["decided_by"], json!(moderator_id));
    assert!(detail["evidence"]["text"].is_null());
    assert_eq!(detail["statement"]["decision"], "temporary_ban");
    assert_eq!(detail["statement"]["automated"], false);
    assert_eq!(detail["statement"]["ground"]["name"], "Conduct rules");
    assert_eq!(detail["statement"]["restricted_until"], detail["ban_until"]);
    assert_eq!(statements_of(w.tenant, buyer_id).await.len(), 1);
}

#[tokio::test]
async fn evidence_is_deleted_by_the_retention_job_after_its_period() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::start_with_clock(test_config(), clock.clone()).await;
    let w = World::new(&app, "retention").await;
    rule(&app, &w.admin, "scams", "reject", &["scam"]).await;
    app.post(
        &format!("/api/v1/conversations/{}/messages", w.conversation_id),
        &w.buyer,
        json!({"body": "a scam"}),
    )
    .await
    .assert_problem(422, "content_rejected");
    let buyer_id = user_id(&app, &w.buyer).await;
    let v = only_violation(&app, &w.moderator, buyer_id).await;
    let path = format!("/api/v1/violations/{}", v["id"].as_str().unwrap());
    assert_eq!(count_rows("decision_evidence", w.tenant).await, 1);

    // The daily job is scheduled; made due now, it keeps evidence within the period.
    let mut conn = admin_conn().await;
    let due = "UPDATE job_queue SET run_at = now() WHERE kind = 'decisions.retention' AND tenant_id = $1 AND status = 'queued'";
    let made_due = diesel::sql_query(due)
        .bind::<diesel::sql_types::Uuid, _>(w.tenant)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(made_due, 1, "one retention job waits per tenant");
    app.run_jobs(w.tenant).await;
    assert_eq!(count_rows("decision_evidence", w.tenant).await, 1);

    // A year and a day later, the next run deletes it; the violation and its
    // statement stay, without evidence.
    clock.advance(Duration::days(366));
    diesel::sql_query(due)
        .bind::<diesel::sql_types::Uuid, _>(w.tenant)
        .execute(&mut conn)
        .await
        .unwrap();
    app.run_jobs(w.tenant).await;
    assert_eq!(count_rows("decision_evidence", w.tenant).await, 0);
    let detail = app
        .get(&path, &w.moderator)
        .await
        .assert_status(200)
        .body
        .clone();
    assert!(detail["evidence"].is_null(), "{detail}");
    assert!(!detail["statement"].is_null());
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::Text)]
    key: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `SELECT key, count(*)` rows of one SQL statement over the tenant and period.
async fn counted(sql: &str, tenant: Uuid, from: &str, to: &str) -> Vec<(String, i64)> {
    let mut conn = admin_conn().await;
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::Uuid, _>(tenant)
        .bind::<diesel::sql_types::Timestamptz, _>(from.parse::<chrono::DateTime<Utc>>().unwrap())
        .bind::<diesel::sql_types::Timestamptz, _>(to.parse::<chrono::DateTime<Utc>>().unwrap())
        .load::<Count>(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.key, c.n))
        .collect()
}

#[tokio::test]
async fn the_transparency_report_counts_what_sql_counts() {
    let app = TestApp::start().await;
    let w = World::new(&app, "transparency").await;
    let from = (Utc::now() - Duration::minutes(5)).to_rfc3339();
    rule(&app, &w.admin, "threats", "reject", &["kill you"]).await;
    rule(&app, &w.admin, "links", "require_review", &["telegram"]).await;
    let messages = format!("/api/v1/conversations/{}/messages", w.conversation_id);
    app.post(&messages, &w.buyer, json!({"body": "I will kill you"}))
        .await
        .assert_problem(422, "content_rejected");
    app.post(&messages, &w.buyer, json!({"body": "telegram me"}))
        .await
        .assert_status(201);
    let seller = user_id(&app, &w.other_seller).await;
    let manual = app
        .post(
            "/api/v1/violations",
            &w.moderator,
            json!({"user_id": seller, "type": "content", "severity": "low", "reason": "fake reviews"}),
        )
        .await
        .assert_status(201)
        .id();
    let buyer = user_id(&app, &w.buyer).await;
    let automatic = only_violation(&app, &w.moderator, buyer).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (id, who, decision) in [
        (manual.to_string(), &w.other_seller, "overturn"),
        (automatic, &w.buyer, "uphold"),
    ] {
        app.post(
            &format!("/api/v1/violations/{id}/appeal"),
            who,
            json!({"text": "please look again"}),
        )
        .await
        .assert_status(201);
        app.post(
            &format!("/api/v1/violations/{id}/appeal/decision"),
            &w.admin,
            json!({"decision": decision}),
        )
        .await
        .assert_status(200);
    }
    // Two notices of the listing, one of the store.
    for (who, target_type, target, category) in [
        (&w.buyer, "listing", w.product_id, "counterfeit"),
        (&w.other_buyer, "listing", w.product_id, "counterfeit"),
        (&w.other_buyer, "store", w.seller_id, "scam_fraud"),
    ] {
        app.post(
            "/api/v1/reports",
            who,
            json!({"target_type": target_type, "target_id": target, "category": category}),
        )
        .await
        .assert_status(201);
    }
    let to = (Utc::now() + Duration::minutes(5)).to_rfc3339();
    let q = format!("from={}&to={}", urlencoding(&from), urlencoding(&to));
    let report = app
        .get(&format!("/api/v1/transparency?{q}"), &w.admin)
        .await
        .assert_status(200)
        .body
        .clone();

    let by_category = counted(
        "SELECT category AS key, count(*) AS n FROM reports
          WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1",
        w.tenant,
        &from,
        &to,
    )
    .await;
    assert_eq!(by_category.len(), 2, "{by_category:?}");
    for (category, n) in &by_category {
        assert_eq!(report["reports"]["by_category"][category], *n, "{report}");
    }
    assert_eq!(report["reports"]["received"], 3);
    assert_eq!(report["reports"]["by_target"]["listing"], 2);
    let by_decision = counted(
        "SELECT decision AS key, count(*) AS n FROM statements_of_reasons
          WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1",
        w.tenant,
        &from,
        &to,
    )
    .await;
    assert!(!by_decision.is_empty());
    let mut total = 0;
    for (decision, n) in &by_decision {
        assert_eq!(
            report["decisions"]["by_decision"][decision], *n,
            "{decision}: {report}"
        );
        total += n;
    }
    assert_eq!(report["decisions"]["total"], total);
    for (ground, n) in counted(
        "SELECT ground_name AS key, count(*) AS n FROM statements_of_reasons
          WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1",
        w.tenant,
        &from,
        &to,
    )
    .await
    {
        assert_eq!(
            report["decisions"]["by_ground"][&ground], n,
            "{ground}: {report}"
        );
    }
    for (automated, n) in counted(
        "SELECT automated::text AS key, count(*) AS n FROM statements_of_reasons
          WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1",
        w.tenant,
        &from,
        &to,
    )
    .await
    {
        let key = if automated == "true" {
            "automated"
        } else {
            "manual"
        };
        assert_eq!(report["decisions"][key], n, "{report}");
    }
    let appeals = counted(
        "SELECT status AS key, count(*) AS n FROM violation_appeals
          WHERE tenant_id = $1 AND decided_at >= $2 AND decided_at < $3 GROUP BY 1",
        w.tenant,
        &from,
        &to,
    )
    .await;
    assert_eq!(report["appeals"]["upheld"], 1);
    assert_eq!(report["appeals"]["overturned"], 1);
    assert_eq!(
        appeals.iter().map(|(_, n)| n).sum::<i64>(),
        report["appeals"]["time_to_decision"]["decided"]
            .as_i64()
            .unwrap()
    );
    assert_eq!(report["appeals"]["received"], 2);
    assert!(
        report["appeals"]["time_to_decision"]["median_seconds"]
            .as_f64()
            .unwrap()
            >= 0.0
    );

    // CSV: the same numbers, one row each.
    let csv = app
        .get(&format!("/api/v1/transparency?{q}&format=csv"), &w.admin)
        .await;
    csv.assert_status(200);
    assert!(
        csv.text.starts_with("section,key,value\r\n"),
        "{}",
        csv.text
    );
    assert!(csv.text.contains("appeals,received,2\r\n"), "{}", csv.text);
    assert!(
        csv.text.contains("report_category,counterfeit,2\r\n"),
        "{}",
        csv.text
    );
    assert!(
        csv.text.contains(&format!("decisions,total,{total}\r\n")),
        "{}",
        csv.text
    );

    // Only tenant administrators; at most the 400 days before `to` are read.
    app.get(&format!("/api/v1/transparency?{q}"), &w.moderator)
        .await
        .assert_problem(403, "forbidden");
    let long = app
        .get(
            "/api/v1/transparency?from=2020-01-01T00:00:00Z&to=2022-01-01T00:00:00Z",
            &w.admin,
        )
        .await
        .assert_status(200)
        .body
        .clone();
    assert_eq!(
        long["from"], "2020-11-27T00:00:00Z",
        "the last 400 days: {long}"
    );
    app.get("/api/v1/transparency?format=xml", &w.admin)
        .await
        .assert_problem(400, "invalid_query_parameter");

    // The platform's report adds every tenant's; tenant tokens may not read it.
    let platform = app
        .get(
            &format!("/api/v1/platform/transparency?{q}"),
            &app.platform_admin(),
        )
        .await
        .assert_status(200)
        .body
        .clone();
    assert!(platform["tenants"].as_u64().unwrap() >= 1);
    assert!(platform["decisions"]["total"].as_i64().unwrap() >= total);
    app.get(&format!("/api/v1/platform/transparency?{q}"), &w.admin)
        .await
        .assert_problem(403, "forbidden");
}

fn urlencoding(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn a_request_for_changes_has_one_statement_in_the_decision_notice() {
    let app = TestApp::start().await;
    let w = World::new(&app, "changes").await;
    rule(&app, &w.admin, "links", "require_review", &["telegram"]).await;
    app.patch(
        &format!("/api/v1/products/{}", w.product_id),
        &w.seller,
        json!({"description": "ask me on telegram"}),
    )
    .await
    .assert_status(200);
    let item = app
        .get("/api/v1/moderation/reviews", &w.moderator)
        .await
        .assert_status(200)
        .items()
        .into_iter()
        .find(|i| i["content_id"] == json!(w.product_id))
        .expect("the listing waits for review");
    let path = format!(
        "/api/v1/moderation/reviews/{}",
        item["id"].as_str().unwrap()
    );
    app.post(&format!("{path}/claim"), &w.moderator, json!({}))
        .await
        .assert_status(200);
    app.post(
        &format!("{path}/decision"),
        &w.moderator,
        json!({"decision": "request_changes", "note": "no contact details in listings"}),
    )
    .await
    .assert_status(200);
    let seller = user_id(&app, &w.seller).await;
    let decisions: Vec<String> = statements_of(w.tenant, seller)
        .await
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    assert_eq!(decisions, ["content_held", "changes_requested"]);
    let inbox = app.get("/api/v1/notifications", &w.seller).await.items();
    let notice = inbox
        .iter()
        .find(|n| n["kind"] == "review_decided")
        .expect("the decision's notice");
    assert_eq!(notice["data"]["decision"], "changes_requested");
    assert_eq!(
        notice["data"]["ground_text"],
        "no contact details in listings"
    );
    assert_eq!(notice["data"]["automated"], false);
    let statement = app
        .get(
            &format!(
                "/api/v1/statements/{}",
                notice["data"]["statement_id"].as_str().unwrap()
            ),
            &w.seller,
        )
        .await
        .assert_status(200)
        .body
        .clone();
    assert_full_statement(&statement);
    assert!(statement["appeal"].is_null());
    assert_eq!(statement["content_id"], json!(w.product_id));
}
