//! The job queue under row-level security: the runtime role sees and writes
//! only the jobs of the tenant whose transaction it is in; workers claim and
//! settle across tenants only through the queue role's functions, which hand
//! out no payload and need the claim's lease token.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::{Value, json};
use uuid::Uuid;
use warden_tenancy::{ScopedFutureExt, TenantId, queue};
use warden_tests::{TestApp, admin_conn, database_url};

/// A kind no runner takes, so only these tests claim these jobs.
const KIND: &str = "test.queue_rls";

/// Enqueues a job of `tenant` carrying `secret`, in the tenant's transaction.
async fn enqueue(app: &TestApp, tenant: Uuid, secret: &str) -> Uuid {
    let t = TenantId::new(tenant);
    let payload = json!({ "evidence": secret });
    app.state
        .db
        .tenant_tx(t, |conn| {
            async move { queue::enqueue(conn, t, KIND, payload, None).await }.scope_boxed()
        })
        .await
        .unwrap()
}

/// A connection as the runtime login role (`DATABASE_URL`), outside the pool.
async fn runtime_conn() -> AsyncPgConnection {
    AsyncPgConnection::establish(&database_url()).await.unwrap()
}

#[derive(QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    tenant_id: Uuid,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
}

/// Every job row the runtime role sees in a transaction with `context` as its
/// tenant (none: no tenant context).
async fn visible_jobs(conn: &mut AsyncPgConnection, context: Option<Uuid>) -> Vec<Row> {
    conn.batch_execute("BEGIN").await.unwrap();
    if let Some(t) = context {
        conn.batch_execute(&format!("SELECT set_config('app.tenant_id', '{t}', true)"))
            .await
            .unwrap();
    }
    let rows = diesel::sql_query("SELECT tenant_id, payload FROM job_queue")
        .load(conn)
        .await
        .unwrap();
    conn.batch_execute("ROLLBACK").await.unwrap();
    rows
}

/// What `sql` fails with as the runtime role inside tenant `context`'s
/// transaction (rolled back); `None` when it succeeds.
async fn runtime_error(context: Uuid, sql: &str) -> Option<String> {
    let mut conn = runtime_conn().await;
    conn.batch_execute(&format!(
        "BEGIN; SELECT set_config('app.tenant_id', '{context}', true)"
    ))
    .await
    .unwrap();
    let outcome = conn.batch_execute(sql).await;
    conn.batch_execute("ROLLBACK").await.unwrap();
    outcome.err().map(|e| e.to_string())
}

#[tokio::test]
async fn the_runtime_role_sees_and_writes_only_its_tenants_jobs() {
    let app = TestApp::start().await;
    let a = app.tenant("queue-rls-a").await;
    let b = app.tenant("queue-rls-b").await;
    let a_job = enqueue(&app, a, "a-evidence").await;
    let b_job = enqueue(&app, b, "b-evidence").await;
    let mut conn = runtime_conn().await;

    // In A's transaction: A's job with its payload, nothing of any other tenant.
    let seen = visible_jobs(&mut conn, Some(a)).await;
    assert!(
        seen.iter()
            .any(|r| r.payload == json!({"evidence": "a-evidence"})),
        "{seen:?}"
    );
    assert!(seen.iter().all(|r| r.tenant_id == a), "{seen:?}");
    // Without a tenant context: nothing at all.
    let seen = visible_jobs(&mut conn, None).await;
    assert!(seen.is_empty(), "{seen:?}");

    // A's transaction can neither add a job for B nor settle B's (or its own)
    // jobs behind the queue's back: settling goes through the functions.
    let insert = format!(
        "INSERT INTO job_queue (id, tenant_id, kind) VALUES (gen_random_uuid(), '{b}', '{KIND}')"
    );
    let refused = runtime_error(a, &insert).await;
    assert!(
        refused
            .as_deref()
            .is_some_and(|e| e.contains("row-level security")),
        "{refused:?}"
    );
    for job in [a_job, b_job] {
        let update = format!("UPDATE job_queue SET status = 'done' WHERE id = '{job}'");
        let refused = runtime_error(a, &update).await;
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("permission denied")),
            "{refused:?}"
        );
    }
    let delete = format!("DELETE FROM job_queue WHERE id = '{b_job}'");
    assert!(runtime_error(a, &delete).await.is_some());
    // B's job is as it was.
    let mut admin = admin_conn().await;
    #[derive(QueryableByName)]
    struct Status {
        #[diesel(sql_type = Text)]
        status: String,
    }
    let Status { status } = diesel::sql_query("SELECT status FROM job_queue WHERE id = $1")
        .bind::<SqlUuid, _>(b_job)
        .get_result(&mut admin)
        .await
        .unwrap();
    assert_eq!(status, "queued");
}

#[derive(QueryableByName, Debug)]
struct Claimed {
    #[diesel(sql_type = Jsonb)]
    claimed: Value,
}

#[tokio::test]
async fn a_claim_across_tenants_hands_out_no_payload() {
    let app = TestApp::start().await;
    let a = app.tenant("queue-claim-a").await;
    let b = app.tenant("queue-claim-b").await;
    let b_job = enqueue(&app, b, "b-secret").await;

    // The runtime role, inside A's transaction, claims B's job through the
    // definer function: it learns what a worker needs, not the payload.
    let mut conn = runtime_conn().await;
    conn.batch_execute(&format!(
        "BEGIN; SELECT set_config('app.tenant_id', '{a}', true)"
    ))
    .await
    .unwrap();
    let rows: Vec<Claimed> = diesel::sql_query(
        "SELECT to_jsonb(c) AS claimed FROM job_queue_claim('probe', ARRAY[$1], $2, '30 seconds') c",
    )
    .bind::<Text, _>(KIND)
    .bind::<SqlUuid, _>(b)
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let claimed = &rows[0].claimed;
    let mut keys: Vec<&str> = claimed
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "attempts",
            "id",
            "kind",
            "lease_token",
            "max_attempts",
            "tenant_id"
        ]
    );
    assert_eq!(claimed["id"], json!(b_job));
    assert!(!claimed.to_string().contains("b-secret"));
    // Nor can A's transaction read the payload afterwards.
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let N { n } = diesel::sql_query("SELECT count(*) AS n FROM job_queue WHERE id = $1")
        .bind::<SqlUuid, _>(b_job)
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 0);
    conn.batch_execute("ROLLBACK").await.unwrap();

    // The role the functions run as cannot read a payload itself, and the
    // runtime role cannot become it.
    let mut admin = admin_conn().await;
    #[derive(QueryableByName)]
    struct Facts {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        reads_payload: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        runtime_is_member: bool,
    }
    let runtime = url::Url::parse(&database_url())
        .unwrap()
        .username()
        .to_owned();
    let facts: Facts = diesel::sql_query(
        "SELECT has_column_privilege('warden_queue', 'job_queue', 'payload', 'SELECT') AS reads_payload,
                pg_has_role($1, 'warden_queue', 'MEMBER') AS runtime_is_member",
    )
    .bind::<Text, _>(runtime)
    .get_result(&mut admin)
    .await
    .unwrap();
    assert!(!facts.reads_payload);
    assert!(!facts.runtime_is_member);
}

#[derive(QueryableByName)]
struct JobState {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    locked_by: Option<String>,
}

async fn job_state(id: Uuid) -> JobState {
    let mut admin = admin_conn().await;
    diesel::sql_query("SELECT status, locked_by FROM job_queue WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .get_result(&mut admin)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_worker_whose_lease_passed_to_another_cannot_settle_the_job() {
    let app = TestApp::start().await;
    let tenant = app.tenant("queue-lease").await;
    let id = enqueue(&app, tenant, "lease").await;
    let db = &app.state.db;
    let only = Some(TenantId::new(tenant));

    // The first worker's lease lapses at once; the second claims the job.
    let first = queue::claim(db, "first", &[KIND], only, Duration::ZERO)
        .await
        .unwrap()
        .expect("the job is ready");
    assert_eq!(first.id, id);
    assert_eq!(first.payload, json!({"evidence": "lease"}));
    let second = queue::claim(db, "second", &[KIND], only, Duration::from_secs(60))
        .await
        .unwrap()
        .expect("the lapsed job is claimed again");
    assert_eq!((second.id, second.attempts), (id, 2));
    assert_ne!(first.lease, second.lease);

    // The first worker can neither extend, complete nor fail it any more.
    assert!(
        !queue::extend(db, &first, Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(!queue::complete(db, &first).await.unwrap());
    assert!(
        queue::fail(db, &first, "late", Duration::ZERO)
            .await
            .unwrap()
    );
    let state = job_state(id).await;
    assert_eq!(
        (state.status.as_str(), state.locked_by.as_deref()),
        ("running", Some("second"))
    );

    // The holder settles it.
    assert!(
        queue::extend(db, &second, Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(queue::complete(db, &second).await.unwrap());
    let state = job_state(id).await;
    assert_eq!((state.status.as_str(), state.locked_by), ("done", None));
    // Settled once: a second completion changes nothing.
    assert!(!queue::complete(db, &second).await.unwrap());
}
