//! A `kill -9` of a real `warden serve` under load: every request it answered
//! (below 500) has its activity row, because a response leaves only once the
//! batch holding its row has committed.
//!
//! The server runs on a private PostgreSQL cluster migrated by the binary
//! under test, and requests are matched to rows by the server's request id
//! (`X-Request-Id` of the response), so the same test runs against older
//! builds (`WARDEN_BIN`) to show what they lose.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel::sql_types::{Array, Text};
use serde_json::json;
use uuid::Uuid;
use warden_commerce::Role;
use warden_tests::generous_limits;
use warden_tests::server_process::{PgCluster, Serve, member};

/// Concurrent clients, each sending one request after another.
const CLIENTS: usize = 16;
/// Answers to wait for before the kill, so the writer is busy when it comes.
const ANSWERS_BEFORE_KILL: usize = 600;

#[derive(QueryableByName)]
struct RequestRow {
    #[diesel(sql_type = Text)]
    request_id: String,
}

/// Which of `ids` have a row in the tenant or the platform log.
async fn logged(
    conn: &mut diesel_async::AsyncPgConnection,
    ids: &BTreeSet<String>,
) -> BTreeSet<String> {
    use diesel_async::RunQueryDsl;
    let ids: Vec<&String> = ids.iter().collect();
    diesel::sql_query(
        "SELECT request_id FROM activity_log WHERE request_id = ANY($1)
         UNION ALL
         SELECT request_id FROM platform_activity_log WHERE request_id = ANY($1)",
    )
    .bind::<Array<Text>, _>(ids)
    .load::<RequestRow>(conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.request_id)
    .collect()
}

/// One answered request: the server's request id and the status.
type Answer = (String, u16);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_under_load_leaves_every_answered_request_with_its_activity_row() {
    const DB: &str = "warden_kill9";
    let cluster = PgCluster::start().await;
    let url = cluster.migrate(DB).await;
    let mut server = Serve::new(&url)
        .var("DATABASE_POOL_SIZE", "8")
        .start()
        .await;
    let tenant = server.tenant_with_limits("kill-9", generous_limits()).await;
    let seller = member(tenant, "seller", &[Role::Seller]);
    server
        .put(
            "/api/v1/sellers/me",
            &seller,
            json!({"store_name": "Crash store"}),
        )
        .await
        .assert_status(201);
    let buyer = member(tenant, "buyer", &[Role::Buyer]);

    // Cheap reads, found (200) and not (404): both are answers the log must hold.
    let paths = [
        "/api/v1/products".to_owned(),
        format!("/api/v1/products/{}", Uuid::now_v7()),
    ];
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<tokio::task::JoinHandle<Vec<Answer>>> = (0..CLIENTS)
        .map(|c| {
            let (client, stop, answered) = (
                server.client.clone(),
                Arc::clone(&stop),
                Arc::clone(&answered),
            );
            let url = server.url(&paths[c % paths.len()]);
            let (token, tenant) = (buyer.token.clone().unwrap(), buyer.tenant.clone().unwrap());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let sent = client
                        .get(&url)
                        .bearer_auth(&token)
                        .header("X-Tenant-ID", &tenant)
                        .timeout(Duration::from_secs(20))
                        .send()
                        .await;
                    // After the kill: connection refused or reset, never an answer.
                    let Ok(res) = sent else { break };
                    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
                    let status = res.status().as_u16();
                    // The status line and headers are the acknowledgement; the
                    // body may be cut by the kill.
                    answers.push((id, status));
                    answered.fetch_add(1, Ordering::Relaxed);
                }
                answers
            })
        })
        .collect();

    let started = Instant::now();
    while answered.load(Ordering::Relaxed) < ANSWERS_BEFORE_KILL {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "only {} answers within 60 s",
            answered.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    stop.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for c in clients {
        answers.extend(c.await.unwrap());
    }

    let acknowledged: BTreeSet<String> = answers
        .iter()
        .filter(|(_, status)| *status < 500)
        .map(|(id, _)| id.clone())
        .collect();
    let failed = answers.len() - acknowledged.len();
    assert!(acknowledged.len() >= ANSWERS_BEFORE_KILL, "{answers:?}");
    assert_eq!(
        acknowledged.len() + failed,
        answers.len(),
        "a request id was repeated"
    );

    // Straight after the kill: nothing is left to write, so nothing is awaited.
    let mut conn = cluster.admin_conn(DB).await;
    let stored = logged(&mut conn, &acknowledged).await;
    let missing: Vec<&String> = acknowledged.difference(&stored).collect();
    eprintln!(
        "kill -9 after {} answers ({} below 500, {failed} of 500 or more); {} without an activity row",
        answers.len(),
        acknowledged.len(),
        missing.len()
    );
    assert!(
        missing.is_empty(),
        "{} of {} answered requests have no activity row: {:?}",
        missing.len(),
        acknowledged.len(),
        missing.iter().take(10).collect::<Vec<_>>()
    );
}
