//! The long form of the load test: a fixed arrival rate (`LOAD_RATE` req/s,
//! default 120) for `LOAD_SECONDS` (default 180) over the mixed workload of
//! `warden_tests::load` (50% product reads, 15% product creations and 20%
//! messages, both moderated, 15% order status changes), then the activity
//! log checked for an event per answered request, acknowledged creations
//! looked up, and the server's resident memory over the run.
//!
//! Against a running release server (`WARDEN_URL`, `WARDEN_PID` for its
//! memory, `JWT_HS256_SECRET`, `DATABASE_ADMIN_URL`; `scripts/bench-load.sh`
//! sets them), or an in-process one for small trials. Prints a table and
//! writes `build/bench/load.json` (`BENCH_OUT_DIR` elsewhere).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "bench code: a panic is the failure report and the results are printed"
)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use warden_tests::load::{
    self, LoadConfig, Minter, Mix, Target, WorldSize, audit_check, creation_check,
};
use warden_tests::{TestApp, admin_url, test_config};

fn env(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rate = env("LOAD_RATE", 120.0);
    let seconds = env("LOAD_SECONDS", 180.0);
    let (target, minter, pid, _local) = match std::env::var("WARDEN_URL") {
        Ok(base) => {
            let secret =
                std::env::var("JWT_HS256_SECRET").expect("JWT_HS256_SECRET of that server");
            let pid = std::env::var("WARDEN_PID")
                .ok()
                .and_then(|p| p.parse().ok());
            (Target::new(&base), Minter::from_secret(&secret), pid, None)
        }
        Err(_) => {
            let mut config = test_config();
            config.database_pool_size = 16;
            config.rate_limit.enabled = true;
            let app = TestApp::start_with(config).await;
            let minter = Minter::new(app.config.jwt.clone());
            (Target::new(&app.base), minter, None, Some(app))
        }
    };
    let size = WorldSize {
        products: 200,
        buyers: 16,
        // Far more than can be in flight at once, so an update always finds one.
        orders: 256,
    };
    let world = Arc::new(
        load::build_world(&target, &minter, "load-bench", size)
            .await
            .unwrap(),
    );
    let config = LoadConfig {
        rate,
        duration: Duration::from_secs_f64(seconds),
        mix: Mix::default(),
        rss_pid: pid,
        rss_every: Duration::from_secs(1),
        // A sixth of the run (at most 30 s): pools, caches and allocator
        // arenas fill early; what grows after that is what "flat" is about.
        warmup: Duration::from_secs_f64((seconds / 6.0).min(30.0)),
    };
    println!(
        "load: {rate} req/s for {seconds} s against {} (memory of {})",
        target.base,
        pid.map_or("this process".to_owned(), |p| format!("pid {p}"))
    );
    let report = load::run(&target, world.clone(), &config).await;
    print!("{}", report.table());

    let admin = std::env::var("DATABASE_ADMIN_URL").unwrap_or_else(|_| admin_url());
    let audit = audit_check(&admin, &report, Duration::from_secs(60))
        .await
        .unwrap();
    println!(
        "activity log: {} answered requests, {} with an event, {} missing, {} recorded twice",
        audit.expected, audit.found, audit.missing, audit.duplicated
    );
    let created = creation_check(&admin, &report).await.unwrap();
    println!(
        "acknowledged creations stored: products {}/{}, messages {}/{}",
        created.products_found, created.products, created.messages_found, created.messages
    );

    let mut out = report.to_json();
    out["audit"] = audit.to_json();
    out["creations"] = json!({
        "products": created.products, "products_found": created.products_found,
        "messages": created.messages, "messages_found": created.messages_found,
    });
    println!("wrote {}", load::write_bench_json("load", &out));
}
