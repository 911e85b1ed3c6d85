//! Faults of the services under a real `warden serve` process: PostgreSQL
//! restarted under load, Redis down in either fail mode, the SMTP server and
//! the Twilio stand-in down for a while.
//!
//! What fails is always private to the test (its own PostgreSQL cluster, its
//! own Redis, its own providers), so tests running beside it never notice.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel::sql_types::{Integer, Nullable, Text, Uuid as SqlUuid};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_tests::server_process::{
    LiveClient, PgCluster, RedisServer, Serve, ServerProcess, member, token,
};
use warden_tests::{As, Reply, database_url, generous_limits, smtp};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

// ---------------------------------------------------------------------------
// PostgreSQL restarted under load
// ---------------------------------------------------------------------------

/// How one write of the load ended.
#[derive(Debug)]
struct Outcome {
    request_id: String,
    sent: Instant,
    /// The answer, or why none came.
    reply: Result<Reply, String>,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

#[derive(QueryableByName)]
struct RequestRow {
    #[diesel(sql_type = Text)]
    request_id: String,
}

/// Request ids of the load in the tenant's log and in the platform log (where
/// a request lands whose tenant could not be resolved), with repeats.
async fn logged(
    conn: &mut diesel_async::AsyncPgConnection,
    tenant: Uuid,
    prefix: &str,
) -> (Vec<String>, Vec<String>) {
    use diesel_async::RunQueryDsl;
    let like = format!("{prefix}%");
    let tenant_log: Vec<RequestRow> = diesel::sql_query(
        "SELECT client_request_id AS request_id FROM activity_log WHERE tenant_id = $1 AND client_request_id LIKE $2",
    )
    .bind::<SqlUuid, _>(tenant)
    .bind::<Text, _>(&like)
    .load(conn)
    .await
    .unwrap();
    let platform_log: Vec<RequestRow> =
        diesel::sql_query("SELECT client_request_id AS request_id FROM platform_activity_log WHERE client_request_id LIKE $1")
            .bind::<Text, _>(&like)
            .load(conn)
            .await
            .unwrap();
    (
        tenant_log.into_iter().map(|r| r.request_id).collect(),
        platform_log.into_iter().map(|r| r.request_id).collect(),
    )
}

/// Posts messages to `conversation` in `writers` sequential streams until `stop`.
fn start_load(
    server: &Arc<ServerProcess>,
    buyer: &As,
    conversation: Uuid,
    prefix: &str,
    writers: usize,
    stop: &Arc<AtomicBool>,
    outcomes: &Arc<Mutex<Vec<Outcome>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..writers)
        .map(|w| {
            let (server, buyer, stop, outcomes) = (
                Arc::clone(server),
                buyer.clone(),
                Arc::clone(stop),
                Arc::clone(outcomes),
            );
            let prefix = prefix.to_owned();
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let request_id = format!("{prefix}{w}-{n}");
                    n += 1;
                    let sent = Instant::now();
                    // A bound on every answer: a request that hangs fails the test.
                    let req = server
                        .request(
                            Method::POST,
                            &format!("/api/v1/conversations/{conversation}/messages"),
                            &buyer,
                        )
                        .header("x-request-id", &request_id)
                        .timeout(Duration::from_secs(20))
                        .json(&json!({"body": format!("Is it still available? ({request_id})")}));
                    let reply = ServerProcess::send(req).await.map_err(|e| e.to_string());
                    let failed = !reply.as_ref().is_ok_and(|r| r.status.is_success());
                    outcomes.lock().unwrap().push(Outcome {
                        request_id,
                        sent,
                        reply,
                    });
                    if failed {
                        // What a client does while the service is degraded.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            })
        })
        .collect()
}

fn acknowledged_since(outcomes: &Mutex<Vec<Outcome>>, since: Instant) -> usize {
    outcomes
        .lock()
        .unwrap()
        .iter()
        .filter(|o| o.sent >= since && o.reply.as_ref().is_ok_and(|r| r.status.is_success()))
        .count()
}

/// How the load's requests ended so far: status (or transport error) → count,
/// with one example answer each.
fn summary(outcomes: &Mutex<Vec<Outcome>>) -> BTreeMap<String, (usize, String)> {
    let mut by: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for o in outcomes.lock().unwrap().iter() {
        let (key, example) = match &o.reply {
            Ok(r) => (
                r.status.as_u16().to_string(),
                r.text.chars().take(300).collect(),
            ),
            Err(e) => ("no answer".to_owned(), e.clone()),
        };
        by.entry(key).or_insert((0, example)).0 += 1;
    }
    by
}

/// Waits (bounded) until enough writes sent at or after `since` are acknowledged.
async fn wait_for_acks(outcomes: &Mutex<Vec<Outcome>>, since: Instant, n: usize, within: Duration) {
    let started = Instant::now();
    while acknowledged_since(outcomes, since) < n {
        assert!(
            started.elapsed() < within,
            "fewer than {n} writes acknowledged within {within:?}: {:?}",
            summary(outcomes)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_load_loses_no_acknowledged_write_or_audit_event() {
    const DB: &str = "warden_pg_restart";
    const PREFIX: &str = "pg-restart-";
    let cluster = PgCluster::start().await;
    let url = cluster.migrate(DB).await;
    // Jobs on: the runner must ride out the restart as well (the database is private).
    let server = Arc::new(
        Serve::new(&url)
            .var("BACKGROUND_JOBS", "on")
            .var("DATABASE_POOL_SIZE", "8")
            // The live socket below is not read while the load runs, so it
            // answers no pings; on a slow machine that phase outlasts the
            // default heartbeat timeout, which is not what this test is about.
            .var("WS_TIMEOUT_SECS", "600")
            .start()
            .await,
    );
    let tenant = server
        .tenant_with_limits("fault-pg-restart", generous_limits())
        .await;
    let seller = member(tenant, "seller", &[Role::Seller]);
    let buyer = member(tenant, "buyer", &[Role::Buyer]);
    let store = server
        .put(
            "/api/v1/sellers/me",
            &seller,
            json!({"store_name": "Fault store"}),
        )
        .await
        .assert_status(201)
        .id();
    let conversation = server
        .post(
            "/api/v1/conversations",
            &buyer,
            json!({"seller_id": store, "subject": "Teapot", "message": "Hello"}),
        )
        .await
        .assert_status(201)
        .id();
    // A live socket opened before the restart: its events come through the
    // LISTEN connection, which must come back by itself.
    let admin = token(Some(tenant), "admin", &[Role::TenantAdmin]);
    let mut live = LiveClient::connect(&server.ws_url(), &admin).await;
    live.subscribe(&["activity"]).await;

    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let load = start_load(&server, &buyer, conversation, PREFIX, 4, &stop, &outcomes);
    let began = Instant::now();
    wait_for_acks(&outcomes, began, 20, Duration::from_secs(30)).await;

    // A crash-like stop (no checkpoint; recovery replays the WAL), then start.
    let restart_began = Instant::now();
    cluster.restart("immediate").await;
    let restarted = Instant::now();
    // The server is not touched: it must reconnect by itself.
    wait_for_acks(&outcomes, restarted, 20, Duration::from_secs(30)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());

    // Every request was answered: a write or a problem+json 503, never a
    // hang, a dropped connection or a 500.
    let mut acknowledged: BTreeMap<String, Uuid> = BTreeMap::new();
    let mut refused = BTreeSet::new();
    for o in &outcomes {
        let reply = o
            .reply
            .as_ref()
            .unwrap_or_else(|e| panic!("{} got no answer: {e}", o.request_id));
        if reply.status.is_success() {
            reply.assert_status(201);
            acknowledged.insert(o.request_id.clone(), reply.id());
        } else {
            // Unavailable, whether the database was down when the request came
            // or went away under it: a client may retry either. A write that
            // went through but whose activity row could not commit in time is
            // not acknowledged either (audit_unavailable).
            let code = reply.body["code"].as_str().unwrap_or_default();
            let code = if code == "audit_unavailable" {
                code
            } else {
                "service_unavailable"
            };
            reply.assert_problem(503, code);
            refused.insert(o.request_id.clone());
        }
    }
    // The restart did hit the load, and the server came back by itself.
    assert!(!refused.is_empty(), "no request met the outage");
    let first_after = outcomes
        .iter()
        .filter(|o| o.sent >= restarted && o.reply.as_ref().is_ok_and(|r| r.status.is_success()))
        .map(|o| o.sent)
        .min()
        .unwrap();
    let recovery = first_after.saturating_duration_since(restarted);
    assert!(
        recovery < Duration::from_secs(30),
        "recovered after {recovery:?}"
    );
    let refused_at: Vec<Duration> = outcomes
        .iter()
        .filter(|o| refused.contains(&o.request_id))
        .map(|o| o.sent.saturating_duration_since(restart_began))
        .collect();
    eprintln!(
        "PostgreSQL restart took {:?} (pg_ctl -m immediate, -w); requests refused (503) from \
         {:?} to {:?} after it began; first write accepted {recovery:?} after PostgreSQL was up; \
         {} writes acknowledged, {} refused",
        restarted - restart_began,
        refused_at.iter().min().unwrap(),
        refused_at.iter().max().unwrap(),
        acknowledged.len(),
        refused.len(),
    );

    // Every acknowledged write is stored.
    use diesel_async::RunQueryDsl;
    let mut conn = cluster.admin_conn(DB).await;
    let stored: BTreeSet<Uuid> = diesel::sql_query("SELECT id FROM messages WHERE tenant_id = $1")
        .bind::<SqlUuid, _>(tenant)
        .load::<IdRow>(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|(_, id)| !stored.contains(id))
        .map(|(rid, _)| rid)
        .collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");

    // The activity log holds exactly one event for every answered request:
    // an acknowledged one in the tenant's log, a refused one in the tenant's
    // or (tenant not resolved) the platform's. The writer retries through
    // the outage, so this comes true once it has caught up.
    let started = Instant::now();
    loop {
        let (tenant_log, platform_log) = logged(&mut conn, tenant, PREFIX).await;
        let tenant_set: BTreeSet<&String> = tenant_log.iter().collect();
        let mut all = tenant_log.clone();
        all.extend(platform_log.iter().cloned());
        let all_set: BTreeSet<&String> = all.iter().collect();
        let missing_acknowledged = acknowledged
            .keys()
            .filter(|r| !tenant_set.contains(r))
            .count();
        let missing_refused = refused.iter().filter(|r| !all_set.contains(r)).count();
        if missing_acknowledged == 0 && missing_refused == 0 {
            assert_eq!(
                all.len(),
                all_set.len(),
                "an activity event was written twice"
            );
            assert_eq!(
                all.len(),
                outcomes.len(),
                "events of requests never answered"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "activity events missing: {missing_acknowledged} acknowledged, {missing_refused} refused"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Live events flow again on the socket opened before the restart. The
    // replicas' listener reconnects with backoff, and what is published before
    // it listens again is not replayed (a resume reports the gap), so one
    // marker sent too early may never arrive: send markers until one does.
    let prefix = format!("pg-restart-live-{tenant}-");
    let started = Instant::now();
    for attempt in 0.. {
        let marker = format!("{prefix}{attempt}");
        ServerProcess::send(
            server
                .request(Method::GET, "/api/v1/users/me", &seller)
                .header("x-request-id", &marker),
        )
        .await
        .unwrap()
        .assert_status(200);
        let arrived = live
            .try_event(Duration::from_secs(1), |e| {
                e["data"]["client_request_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with(&prefix))
            })
            .await;
        if arrived.is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no live event within 30 s of PostgreSQL coming back ({attempt} markers sent)"
        );
    }
}

// ---------------------------------------------------------------------------
// Redis down
// ---------------------------------------------------------------------------

fn limits(per_minute: u32) -> Value {
    let mut l = generous_limits();
    l["requests_per_minute"] = json!(per_minute);
    l["requests_per_hour"] = json!(1000);
    l["requests_per_day"] = json!(10000);
    l
}

fn remaining_minute(r: &Reply) -> i64 {
    r.headers
        .get("x-ratelimit-remaining-minute")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no X-RateLimit-Remaining-Minute: {:?}", r.headers))
}

/// Spends a whole budget of `limit` requests (each admitted, the remaining
/// count going down to zero), and sees the next one refused with 429.
async fn spend_budget(server: &ServerProcess, who: &As, limit: i64, first_remaining: Option<i64>) {
    let start = first_remaining.unwrap_or(limit - 1);
    for remaining in (0..=start).rev() {
        let r = server.get("/api/v1/products", who).await;
        r.assert_status(200);
        assert_eq!(remaining_minute(&r), remaining);
    }
    server
        .get("/api/v1/products", who)
        .await
        .assert_problem(429, "rate_limited");
}

/// Asks until an answer other than `while_status` comes (bounded), and returns it.
async fn first_answer_other_than(
    server: &ServerProcess,
    who: &As,
    while_status: u16,
) -> (Reply, Duration) {
    let started = Instant::now();
    loop {
        let r = server.get("/api/v1/products", who).await;
        if r.status.as_u16() != while_status {
            return (r, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still {while_status} 20 s after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn redis_server_and_tenant(mode: &str) -> (RedisServer, ServerProcess, Uuid, As) {
    let redis = RedisServer::start().await;
    let server = Serve::new(&database_url())
        .var("REDIS_URL", redis.url())
        .var("RATE_LIMIT_FAIL_MODE", mode)
        // One buyer spends the whole tenant budget: no default per-user share.
        .var("USER_RATE_SHARE_PERCENT", "100")
        .start()
        .await;
    let tenant = server
        .tenant_with_limits(&format!("fault-redis-{mode}"), limits(5))
        .await;
    let buyer = member(tenant, "buyer", &[Role::Buyer]);
    (redis, server, tenant, buyer)
}

#[tokio::test]
async fn redis_down_fail_open_admits_by_the_nodes_own_limit_and_redis_decides_again_when_back() {
    let (mut redis, server, tenant, buyer) = redis_server_and_tenant("open").await;
    // Redis up: the shared budget, kept in Redis.
    spend_budget(&server, &buyer, 5, None).await;
    assert_eq!(
        redis.keys(&format!("warden:rl:{{{tenant}}}:*")).await.len(),
        1
    );

    // Redis down: requests still pass, by this node's own limiter, which
    // still holds the tenant to its limit per node (not unlimited).
    redis.stop();
    spend_budget(&server, &buyer, 5, None).await;

    // Redis back (empty: nothing was persisted). The node's own budget is
    // spent, so an admitted request is Redis's decision, with its fresh
    // budget: the first one leaves four.
    redis.resume().await;
    let (r, after) = first_answer_other_than(&server, &buyer, 429).await;
    r.assert_status(200);
    assert_eq!(remaining_minute(&r), 4, "decided by the empty Redis");
    eprintln!("fail open: Redis deciding again {after:?} after it came back");
    spend_budget(&server, &buyer, 5, Some(3)).await;
    assert_eq!(
        redis.keys(&format!("warden:rl:{{{tenant}}}:*")).await.len(),
        1
    );
}

#[tokio::test]
async fn redis_down_fail_closed_refuses_with_503_and_limits_return_with_redis() {
    let (mut redis, server, _tenant, buyer) = redis_server_and_tenant("closed").await;
    spend_budget(&server, &buyer, 5, None).await;

    redis.stop();
    for _ in 0..3 {
        server
            .get("/api/v1/products", &buyer)
            .await
            .assert_problem(503, "rate_limiter_unavailable");
    }

    redis.resume().await;
    let (r, after) = first_answer_other_than(&server, &buyer, 503).await;
    r.assert_status(200);
    assert_eq!(remaining_minute(&r), 4, "decided by the empty Redis");
    eprintln!("fail closed: requests admitted again {after:?} after Redis came back");
    spend_budget(&server, &buyer, 5, Some(3)).await;
}

// ---------------------------------------------------------------------------
// SMTP server and Twilio stand-in down for a while
// ---------------------------------------------------------------------------

const SID: &str = "AC00000000000000000000000000faults";

/// A Twilio stand-in that can be switched between refusing (503) and
/// accepting, counting both.
#[derive(Clone, Default)]
struct Switch {
    up: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
}

impl Respond for Switch {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.up.load(Ordering::SeqCst) {
            let n = self.accepted.fetch_add(1, Ordering::SeqCst);
            ResponseTemplate::new(201)
                .set_body_json(json!({"sid": format!("SM{n:032}"), "status": "queued"}))
        } else {
            self.refused.fetch_add(1, Ordering::SeqCst);
            ResponseTemplate::new(503)
                .set_body_json(json!({"code": 20503, "message": "Service unavailable"}))
        }
    }
}

#[derive(QueryableByName, Debug)]
struct DeliveryJob {
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Text)]
    delivery_status: String,
    #[diesel(sql_type = Text)]
    job_status: String,
    #[diesel(sql_type = Integer)]
    job_attempts: i32,
    #[diesel(sql_type = Nullable<Text>)]
    last_error: Option<String>,
}

async fn delivery_jobs(
    conn: &mut diesel_async::AsyncPgConnection,
    tenant: Uuid,
) -> Vec<DeliveryJob> {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(
        "SELECT d.channel, d.status AS delivery_status, j.status AS job_status,
                j.attempts AS job_attempts, j.last_error
           FROM job_queue j
           JOIN notification_deliveries d
             ON d.tenant_id = j.tenant_id AND d.id = (j.payload->>'delivery_id')::uuid
          WHERE j.tenant_id = $1 AND j.kind = 'notifications.deliver'
          ORDER BY d.channel",
    )
    .bind::<SqlUuid, _>(tenant)
    .load(conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_and_sms_wait_out_provider_outages_and_are_delivered_once() {
    const DB: &str = "warden_providers";
    let cluster = PgCluster::start().await;
    let url = cluster.migrate(DB).await;
    // The SMTP server is down: nothing listens on its port.
    let smtp_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The Twilio stand-in answers, but with 503.
    let switch = Switch::default();
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{SID}/Messages.json")))
        .respond_with(switch.clone())
        .mount(&twilio)
        .await;
    // Quick retries, so the server's own runner tries several times in the test.
    let server = Serve::new(&url)
        .var("BACKGROUND_JOBS", "on")
        .var("NOTIFY_RETRY_BASE_MS", "100")
        .var("NOTIFY_RETRY_MAX_SECS", "1")
        .var("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .var("TWILIO_ACCOUNT_SID", SID)
        .var("TWILIO_AUTH_TOKEN", "twilio-test-token")
        .var("TWILIO_FROM", "+15005550006")
        .var("TWILIO_BASE_URL", twilio.uri())
        .start()
        .await;
    let tenant = server
        .tenant_with_limits("fault-providers", generous_limits())
        .await;
    let admin = member(tenant, "admin", &[Role::TenantAdmin]);
    let moderator = member(tenant, "mod", &[Role::Moderator]);
    let seller = member(tenant, "seller", &[Role::Seller]);
    server
        .get("/api/v1/users/me", &moderator)
        .await
        .assert_status(200);
    let seller_id = server
        .get("/api/v1/users/me", &seller)
        .await
        .assert_status(200)
        .id();
    server
        .put(
            "/api/v1/notifications/preferences",
            &seller,
            json!({"phone": "+34600000001"}),
        )
        .await
        .assert_status(200);
    let mut routing = server
        .get("/api/v1/notifications/routing", &admin)
        .await
        .body;
    routing["routing"]["medium"] = json!(["in_app", "email", "sms"]);
    server
        .put("/api/v1/notifications/routing", &admin, routing)
        .await
        .assert_status(200);
    server
        .post(
            "/api/v1/violations",
            &moderator,
            json!({"user_id": seller_id, "type": "content", "severity": "low", "reason": "Listing spam"}),
        )
        .await
        .assert_status(201);

    // While both are down, the server's runner keeps trying (and the
    // deliveries stay queued, not failed).
    let mut conn = cluster.admin_conn(DB).await;
    let started = Instant::now();
    loop {
        let jobs = delivery_jobs(&mut conn, tenant).await;
        assert_eq!(jobs.len(), 2, "{jobs:?}");
        assert!(
            jobs.iter().all(|j| j.delivery_status == "queued"
                && j.job_status != "done"
                && j.job_status != "failed"),
            "{jobs:?}"
        );
        if jobs
            .iter()
            .all(|j| j.job_attempts >= 3 && j.last_error.is_some())
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not retried: {jobs:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A job's attempt is counted when it is claimed, so the third request may
    // still be on its way to the stand-in: two refusals have surely landed.
    assert!(switch.refused.load(Ordering::SeqCst) >= 2);
    assert_eq!(switch.accepted.load(Ordering::SeqCst), 0);

    // Both come back, on the same ports.
    let mailbox = smtp::serve_on(TcpListener::bind(("127.0.0.1", smtp_port)).unwrap());
    switch.up.store(true, Ordering::SeqCst);
    let back = Instant::now();
    loop {
        let jobs = delivery_jobs(&mut conn, tenant).await;
        if jobs
            .iter()
            .all(|j| j.delivery_status == "sent" && j.job_status == "done")
        {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(20),
            "not delivered after the outage: {jobs:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "providers back: delivered within {:?}; {} SMS attempts refused before",
        back.elapsed(),
        switch.refused.load(Ordering::SeqCst)
    );
    // Longer than the longest retry delay: nothing is sent a second time.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mail = mailbox.lock().unwrap().clone();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["seller@example.test"]);
    assert_eq!(switch.accepted.load(Ordering::SeqCst), 1);
    let jobs = delivery_jobs(&mut conn, tenant).await;
    let channels: Vec<&str> = jobs.iter().map(|j| j.channel.as_str()).collect();
    assert_eq!(channels, ["email", "sms"]);
    assert!(jobs.iter().all(|j| j.delivery_status == "sent"));
}
