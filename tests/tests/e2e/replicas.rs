//! Two real `warden serve` processes on different ports, as replicas behind a
//! load balancer: one rate-limit budget per tenant through Redis, live events
//! caused on one replica reaching sockets on the other, background jobs run
//! once whichever replica takes them, and behavior windows counting events
//! that hit either replica.
//!
//! The rate-limit, live and behavior tests run on the shared test database
//! and the real Redis, each in a fresh tenant and without job runners (a
//! runner takes any tenant's jobs, so it would steal other tests' jobs). The
//! job test runs both replicas' runners on a private PostgreSQL cluster.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel::sql_types::{Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_tests::server_process::{LiveClient, PgCluster, Serve, ServerProcess, member, token};
use warden_tests::{As, database_url, generous_limits, smtp};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Two replicas on the shared test database and Redis, with one behavior key
/// prefix between them (as one deployment has).
async fn two_replicas() -> (ServerProcess, ServerProcess) {
    let serve = Serve::new(&database_url()).var("REDIS_URL", redis_url());
    let (one, two) = tokio::join!(serve.start(), serve.start());
    (one, two)
}

fn limits(per_minute: u32) -> Value {
    let mut l = generous_limits();
    l["requests_per_minute"] = json!(per_minute);
    l["requests_per_hour"] = json!(1000);
    l["requests_per_day"] = json!(10000);
    l
}

fn remaining_minute(r: &warden_tests::Reply) -> i64 {
    r.headers
        .get("x-ratelimit-remaining-minute")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no X-RateLimit-Remaining-Minute: {:?}", r.headers))
}

#[tokio::test]
async fn a_tenants_rate_limit_is_one_budget_across_replicas() {
    // One buyer spends the whole tenant budget: no default per-user share.
    let serve = Serve::new(&database_url())
        .var("REDIS_URL", redis_url())
        .var("USER_RATE_SHARE_PERCENT", "100");
    let (one, two) = tokio::join!(serve.start(), serve.start());
    let tenant = one.tenant_with_limits("replicas-limit", limits(10)).await;
    let buyer = member(tenant, "buyer", &[Role::Buyer]);
    // Ten requests, alternating: each replica admits its five and the
    // remaining budget counts down across both.
    for n in 0..10 {
        let replica = if n % 2 == 0 { &one } else { &two };
        let r = replica.get("/api/v1/products", &buyer).await;
        r.assert_status(200);
        assert_eq!(
            remaining_minute(&r),
            9 - n,
            "request {n}: one shared budget"
        );
    }
    // The eleventh is refused on either replica, although each has served
    // only half the limit itself.
    for replica in [&two, &one] {
        replica
            .get("/api/v1/products", &buyer)
            .await
            .assert_problem(429, "rate_limited");
    }
}

#[tokio::test]
async fn a_socket_on_one_replica_receives_events_caused_on_the_other() {
    let (one, two) = two_replicas().await;
    let tenant = one
        .tenant_with_limits("replicas-live", generous_limits())
        .await;
    let admin = token(Some(tenant), "admin", &[Role::TenantAdmin]);
    let buyer = member(tenant, "buyer", &[Role::Buyer]);
    let mut on_two = LiveClient::connect(&two.ws_url(), &admin).await;
    on_two.subscribe(&["activity"]).await;
    let mut on_one = LiveClient::connect(&one.ws_url(), &admin).await;
    on_one.subscribe(&["activity"]).await;

    for (caused_on, watcher, marker) in [
        (&one, &mut on_two, format!("replicas-live-1-{tenant}")),
        (&two, &mut on_one, format!("replicas-live-2-{tenant}")),
    ] {
        let r = ServerProcess::send(
            caused_on
                .request(reqwest::Method::GET, "/api/v1/products", &buyer)
                .header("x-request-id", &marker),
        )
        .await
        .unwrap();
        r.assert_status(200);
        let event = watcher
            .event(Duration::from_secs(15), |e| {
                e["topic"] == "activity" && e["data"]["client_request_id"] == marker.as_str()
            })
            .await;
        assert_eq!(event["tenant_id"], tenant.to_string());
        assert_eq!(event["data"]["route"], "/api/v1/products");
    }
}

/// Waits until each replica has evaluated `n` events in all (it evaluates
/// one per tenant request it served, queued before the response left), so
/// every detection those requests cause is recorded.
async fn behavior_settled(replicas: [(&ServerProcess, f64); 2]) {
    const EVALUATED: &str = "warden_behavior_events_evaluated_total";
    let started = Instant::now();
    for (replica, n) in replicas {
        loop {
            let evaluated = replica.metric(EVALUATED).await;
            if evaluated >= n {
                assert_eq!(evaluated, n, "replica on port {}", replica.port);
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "replica on port {} evaluated {evaluated} of {n} events",
                replica.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn behavior_windows_count_events_that_hit_either_replica() {
    let (one, two) = two_replicas().await;
    let tenant = one
        .tenant_with_limits("replicas-behavior", generous_limits())
        .await;
    let admin = member(tenant, "admin", &[Role::TenantAdmin]);
    let moderator = member(tenant, "mod", &[Role::Moderator]);
    let buyer = member(tenant, "buyer", &[Role::Buyer]);
    // The pattern exists before either replica first reads the tenant's
    // patterns, so neither caches a list without it. (Platform routes, like
    // the tenant's creation, belong to no tenant and are not evaluated.)
    let pattern = one
        .post(
            "/api/v1/behavior/patterns",
            &admin,
            json!({
                "name": "browsing burst",
                "condition": {"field": "route", "op": "eq", "value": "/api/v1/products"},
                "window": {"seconds": 300, "per": "actor", "aggregate": "count", "above": 5},
                "severity": "low",
                "cooldown_seconds": 600,
                "mode": "shadow"
            }),
        )
        .await;
    pattern.assert_status(201);
    let pattern_id = pattern.id();

    // Three on each replica: neither alone passes "more than five", together
    // they do, once.
    browse(&one, &two, &buyer).await;
    behavior_settled([(&one, 4.0), (&two, 3.0)]).await;
    let found = detections(&one, &moderator, pattern_id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["observed"], 6.0);

    // Six more: the window is far past its threshold on both replicas, and
    // the cooldown, shared as well, keeps it to that one detection.
    browse(&two, &one, &buyer).await;
    behavior_settled([(&one, 8.0), (&two, 6.0)]).await;
    assert_eq!(detections(&one, &moderator, pattern_id).await.len(), 1);
}

/// Six product listings, alternating between the replicas.
async fn browse(first: &ServerProcess, second: &ServerProcess, buyer: &As) {
    for n in 0..6 {
        let replica = if n % 2 == 0 { first } else { second };
        replica
            .get("/api/v1/products", buyer)
            .await
            .assert_status(200);
    }
}

async fn detections(replica: &ServerProcess, moderator: &As, pattern: Uuid) -> Vec<Value> {
    let r = replica
        .get(
            &format!("/api/v1/behavior/detections?pattern_id={pattern}"),
            moderator,
        )
        .await;
    r.assert_status(200);
    r.items()
}

const SID: &str = "AC00000000000000000000000000replica";
const SELLERS: usize = 8;

#[derive(QueryableByName, Debug)]
struct JobRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Text>)]
    locked_by: Option<String>,
}

async fn jobs(conn: &mut diesel_async::AsyncPgConnection, tenant: Uuid) -> Vec<JobRow> {
    diesel::sql_query(
        "SELECT kind, status, attempts, locked_by FROM job_queue WHERE tenant_id = $1 ORDER BY id",
    )
    .bind::<SqlUuid, _>(tenant)
    .load(conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_background_job_runs_once_whichever_replica_takes_it() {
    let cluster = PgCluster::start().await;
    let url = cluster.migrate("warden_replicas").await;
    let (smtp_port, mailbox) = smtp::start();
    // Every SMS takes a moment, so both replicas' runners are seen holding jobs.
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{SID}/Messages.json")))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"sid": "SM0001", "status": "queued"}))
                .set_delay(Duration::from_millis(400)),
        )
        .mount(&twilio)
        .await;
    let serve = Serve::new(&url)
        .var("BACKGROUND_JOBS", "on")
        .var("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .var("TWILIO_ACCOUNT_SID", SID)
        .var("TWILIO_AUTH_TOKEN", "twilio-test-token")
        .var("TWILIO_FROM", "+15005550006")
        .var("TWILIO_BASE_URL", twilio.uri());
    let (serve_one, serve_two) = (
        serve.clone().var("HOSTNAME", "replica1"),
        serve.var("HOSTNAME", "replica2"),
    );
    let (one, two) = tokio::join!(serve_one.start(), serve_two.start());
    let tenant = one
        .tenant_with_limits("replicas-jobs", generous_limits())
        .await;
    let admin = member(tenant, "admin", &[Role::TenantAdmin]);
    let moderator = member(tenant, "mod", &[Role::Moderator]);
    one.get("/api/v1/users/me", &moderator)
        .await
        .assert_status(200);
    let mut routing = one.get("/api/v1/notifications/routing", &admin).await.body;
    routing["routing"]["medium"] = json!(["in_app", "email", "sms"]);
    one.put("/api/v1/notifications/routing", &admin, routing)
        .await
        .assert_status(200);
    let sellers: Vec<(Uuid, String)> = {
        let mut v = Vec::new();
        for n in 0..SELLERS {
            let seller = member(tenant, &format!("seller-{n}"), &[Role::Seller]);
            let phone = format!("+3460000{n:04}");
            let id = two
                .get("/api/v1/users/me", &seller)
                .await
                .assert_status(200)
                .id();
            two.put(
                "/api/v1/notifications/preferences",
                &seller,
                json!({"phone": phone}),
            )
            .await
            .assert_status(200);
            v.push((id, phone));
        }
        v
    };
    // A warning for each seller, recorded on either replica: one email and
    // one SMS job each, which the two runners share.
    for (n, (id, _)) in sellers.iter().enumerate() {
        let replica = if n % 2 == 0 { &one } else { &two };
        replica
            .post(
                "/api/v1/violations",
                &moderator,
                json!({"user_id": id, "type": "content", "severity": "low", "reason": "Listing spam"}),
            )
            .await
            .assert_status(201);
    }

    let mut conn = cluster.admin_conn("warden_replicas").await;
    let mut holders = BTreeSet::new();
    let started = Instant::now();
    loop {
        // The evidence retention's daily run waits for tomorrow.
        let rows: Vec<_> = jobs(&mut conn, tenant)
            .await
            .into_iter()
            .filter(|r| r.kind != "decisions.retention")
            .collect();
        for r in rows.iter().filter(|r| r.status == "running") {
            if let Some(by) = &r.locked_by {
                holders.insert(by.split('-').next().unwrap_or_default().to_owned());
            }
        }
        let deliveries = rows
            .iter()
            .filter(|r| r.kind == "notifications.deliver")
            .count();
        if deliveries == 2 * SELLERS && rows.iter().all(|r| r.status == "done") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "jobs not done: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        holders,
        BTreeSet::from(["replica1".to_owned(), "replica2".to_owned()]),
        "both replicas' runners took jobs"
    );
    // Each job was claimed once: a second claim would have counted an attempt.
    let rows = jobs(&mut conn, tenant).await;
    assert!(
        rows.iter()
            .filter(|r| r.kind != "decisions.retention")
            .all(|r| r.attempts == 1),
        "{rows:?}"
    );

    // Exactly one email and one SMS per seller.
    let mail = mailbox.lock().unwrap().clone();
    let mut mailed: Vec<String> = mail.iter().flat_map(|m| m.to.clone()).collect();
    mailed.sort();
    let mut expected: Vec<String> = (0..SELLERS)
        .map(|n| format!("seller-{n}@example.test"))
        .collect();
    expected.sort();
    assert_eq!(mailed, expected);
    let texted: Vec<String> = twilio
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            url::form_urlencoded::parse(&r.body)
                .find(|(k, _)| k == "To")
                .map(|(_, v)| v.into_owned())
                .unwrap()
        })
        .collect();
    let mut texted_sorted = texted.clone();
    texted_sorted.sort();
    let mut phones: Vec<String> = sellers.iter().map(|(_, p)| p.clone()).collect();
    phones.sort();
    assert_eq!(texted_sorted, phones, "{texted:?}");
}
