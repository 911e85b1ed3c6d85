//! The short form of the load test (the long one is `tests/benches/load.rs`,
//! run by `just bench`): a fixed arrival rate over the mixed workload for a
//! few seconds. It asserts behaviour only, never latency: no server error, an
//! activity event for every answered request and no request recorded twice,
//! every acknowledged creation stored, memory not growing without bound.

use std::sync::Arc;
use std::time::Duration;

use warden_tests::load::{
    self, LoadConfig, Minter, Mix, Target, WorldSize, audit_check, creation_check,
};
use warden_tests::{TestApp, admin_url, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_rate_mixed_load_loses_no_audit_event_and_keeps_memory_flat() {
    let mut config = test_config();
    config.database_pool_size = 8;
    let app = TestApp::start_with(config).await;
    let target = Target::new(&app.base);
    let world = load::build_world(
        &target,
        &Minter::new(app.config.jwt.clone()),
        "load-short",
        WorldSize {
            products: 20,
            buyers: 4,
            orders: 32,
        },
    )
    .await
    .unwrap();
    let world = Arc::new(world);
    let report = load::run(
        &target,
        world.clone(),
        &LoadConfig {
            rate: 50.0,
            duration: Duration::from_secs(10),
            mix: Mix::default(),
            rss_pid: None,
            rss_every: Duration::from_millis(500),
            warmup: Duration::from_secs(3),
        },
    )
    .await;
    eprintln!("{}", report.table());

    let all = &report.overall;
    assert_eq!(all.sent, 500, "every scheduled request was sent");
    assert_eq!(all.server_errors, 0, "no 5xx under load");
    assert_eq!(all.transport_errors, 0, "every request answered");
    // The world's texts pass the rules (no scam wording) and every order is
    // taken once at a time, so nothing is refused either.
    assert_eq!(all.client_errors + all.rejected, 0, "no 4xx: {report:?}");
    assert_eq!(report.skipped, 0, "an order was always free to update");

    app.state.audit.flush().await.unwrap();
    let audit = audit_check(&admin_url(), &report, Duration::from_secs(10))
        .await
        .unwrap();
    eprintln!("audit: {audit:?}");
    assert_eq!(audit.expected, 500);
    assert_eq!(audit.missing, 0, "lost activity events: {audit:?}");
    assert_eq!(audit.duplicated, 0, "requests recorded twice: {audit:?}");

    let created = creation_check(&admin_url(), &report).await.unwrap();
    assert!(created.products > 0 && created.messages > 0, "{created:?}");
    assert_eq!(created.products_found, created.products, "{created:?}");
    assert_eq!(created.messages_found, created.messages, "{created:?}");

    // Generous: this process holds the server, the client and the test
    // harness, and allocators keep what they once took. A leak per request
    // would still show at this size only over a longer run (the bench's).
    let warm = report.rss_after_warmup();
    let last = report.rss_last();
    assert!(warm > 0, "no memory samples");
    assert!(
        last <= warm + warm / 2 + 64 * 1024 * 1024,
        "resident memory grew from {warm} to {last} bytes"
    );
    app.stop().await;
}
