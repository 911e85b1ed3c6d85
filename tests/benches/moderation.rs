//! Moderation throughput and latency, in one run on one machine:
//!
//! 1. raw ONNX Runtime: the three models called directly on `MODERATION_WORKERS`
//!    threads (one set of sessions each), one text per call and batches of 32;
//! 2. `POST /api/v1/moderation/analyze` through the whole server (auth, tenant
//!    transaction for the rules, text analysis, the inference pool, JSON), one
//!    text per request and 32 per request;
//! 3. p50/p99 latency of `POST /api/v1/products` with moderation on.
//!
//! 1 and 2 alternate for `ROUNDS` rounds (default 3) of `SECS` seconds each
//! (default 6); the figures reported are the medians, the ratios the median
//! of each round's ratio to its own raw run.
//!
//! The texts are the 32 reference texts of `models/reference/texts.json`
//! (short chat lines to 150-word reviews). Needs a migrated test database.
#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "bench code: a panic is the failure report and the results are printed"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warden_commerce::Role;
use warden_moderation::models::{Models, SharedModelData};
use warden_tests::{TestApp, generous_limits, test_config};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn texts() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../models/reference/texts.json"
    );
    let v: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v.iter()
        .map(|t| t["text"].as_str().unwrap().to_owned())
        .filter(|t| !t.trim().is_empty())
        .collect()
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    if xs.len().is_multiple_of(2) {
        (xs[mid - 1] + xs[mid]) / 2.0
    } else {
        xs[mid]
    }
}

/// Texts per second scored by `threads` threads calling the models directly.
fn raw(data: &Arc<SharedModelData>, threads: usize, batch: usize, secs: u64) -> f64 {
    let texts = Arc::new(texts());
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (data, texts, stop, done) =
                (data.clone(), texts.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                let mut models = Models::open(data).unwrap();
                let mut i = t * 7;
                while !stop.load(Ordering::Relaxed) {
                    let mut chunk: Vec<&str> = (0..batch)
                        .map(|k| texts[(i + k) % texts.len()].as_str())
                        .collect();
                    // Sorted by length, as the pool sorts what it runs together.
                    chunk.sort_by_key(|t| t.len());
                    models.score(&chunk).unwrap();
                    i += batch;
                    done.fetch_add(batch as u64, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    AtomicU64::load(&done, Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Texts per second through the analyze endpoint with `clients` concurrent clients.
async fn analyze(
    app: &TestApp,
    who: &warden_tests::As,
    clients: usize,
    batch: usize,
    secs: u64,
) -> f64 {
    let texts = Arc::new(texts());
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (texts, who) = (texts.clone(), who.clone());
        let client = app.client.clone();
        let url = app.url("/api/v1/moderation/analyze");
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut i = c * 11;
            while Instant::now() < deadline {
                let body = if batch == 1 {
                    json!({"text": texts[i % texts.len()]})
                } else {
                    json!({"texts": (0..batch).map(|k| texts[(i + k) % texts.len()].clone()).collect::<Vec<_>>()})
                };
                let r = client
                    .post(&url)
                    .bearer_auth(who.token.as_deref().unwrap())
                    .header("x-tenant-id", who.tenant.as_deref().unwrap())
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{}", r.text().await.unwrap());
                r.bytes().await.unwrap();
                n += batch as u64;
                i += batch;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// Texts per second through the domain call behind the endpoint (rules,
/// text analysis, inference pool), without HTTP.
async fn judge(app: &TestApp, tenant: uuid::Uuid, clients: usize, batch: usize, secs: u64) -> f64 {
    let texts = Arc::new(texts());
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let texts = texts.clone();
        let state = app.state.clone();
        tasks.push(tokio::spawn(async move {
            let (mut n, mut i) = (0u64, c * 11);
            while Instant::now() < deadline {
                let chunk: Vec<String> = (0..batch)
                    .map(|k| texts[(i + k) % texts.len()].clone())
                    .collect();
                state
                    .moderator
                    .judge(
                        &state.db,
                        warden_tenancy::TenantId::new(tenant),
                        warden_moderation::content::ContentType::Message,
                        chunk,
                    )
                    .await
                    .unwrap();
                n += batch as u64;
                i += batch;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let secs = env("SECS", 6);
    let workers = env("MODERATION_WORKERS", 2) as usize;
    let mut config = test_config();
    config.moderation.workers = workers;
    config.database_pool_size = 8;
    config.rate_limit.enabled = false;
    let app = TestApp::start_with(config.clone()).await;
    let tenant = app
        .tenant_with_limits("moderation-bench", generous_limits())
        .await;
    let seller = app.member(tenant, "bench-seller", &[Role::Seller]);
    app.put(
        "/api/v1/sellers/me",
        &seller,
        json!({"store_name": "bench"}),
    )
    .await
    .assert_status(201);
    // A realistic rule set: a keyword list, a regex, a toxicity and an entity rule.
    let admin = app.member(tenant, "bench-admin", &[Role::TenantAdmin]);
    // Hundreds of listings from one store: no trust-level listing limit.
    let mut settings = app.get("/api/v1/trust/settings", &admin).await.body;
    settings["listing_limits"] = json!([null, null, null, null]);
    app.put("/api/v1/trust/settings", &admin, settings)
        .await
        .assert_status(200);
    for body in [
        json!({"name": "scams", "kind": "pattern", "pattern": {"keywords": ["scam", "wire transfer", "gift card", "western union"], "regex": ["\\bfree\\s+money\\b"]}, "content_types": ["product", "review", "message", "seller_profile"], "action": "reject"}),
        json!({"name": "insults", "kind": "toxicity", "toxicity": {"category": "insult", "threshold": 0.9}, "content_types": ["product", "review", "message", "seller_profile"], "action": "require_review"}),
        json!({"name": "contact", "kind": "entities", "entities": {"kinds": ["phone", "email"]}, "content_types": ["message"], "action": "flag"}),
    ] {
        app.post("/api/v1/moderation/rules", &admin, body)
            .await
            .assert_status(201);
    }
    let data = SharedModelData::load(config.moderation.paths.clone()).unwrap();

    println!(
        "moderation benchmark: {workers} inference threads, {secs} s per measurement, {} texts",
        texts().len()
    );
    // The machine's other work (and the other services on it) moves any one
    // short window by several percent; rounds that alternate the three
    // measurements, judged by their medians, compare like with like.
    let rounds = env("ROUNDS", 3).max(1) as usize;
    let mut result = json!({"workers": workers, "seconds": secs, "rounds": rounds});
    for batch in [1usize, 32] {
        // Enough clients to keep every inference thread busy.
        let clients = if batch == 1 { workers * 8 } else { workers * 2 };
        let (mut raws, mut judges, mut apis) = (Vec::new(), Vec::new(), Vec::new());
        for round in 1..=rounds {
            let raw_rate = tokio::task::spawn_blocking({
                let data = data.clone();
                move || raw(&data, workers, batch, secs)
            })
            .await
            .unwrap();
            let domain_rate = judge(&app, tenant, clients, batch, secs).await;
            let api_rate = analyze(&app, &seller, clients, batch, secs).await;
            println!(
                "batch {batch:>2}, round {round}: raw ONNX Runtime {raw_rate:8.1} texts/s | Moderator::judge {domain_rate:8.1} texts/s ({:5.1}% of raw) | POST /moderation/analyze {api_rate:8.1} texts/s ({:5.1}% of raw)",
                100.0 * domain_rate / raw_rate,
                100.0 * api_rate / raw_rate
            );
            raws.push(raw_rate);
            judges.push(domain_rate);
            apis.push(api_rate);
        }
        let pct_of_raw =
            |of: &[f64]| 100.0 * median(of.iter().zip(&raws).map(|(x, r)| x / r).collect());
        let (judge_pct, api_pct) = (pct_of_raw(&judges), pct_of_raw(&apis));
        let (raw_rate, domain_rate, api_rate) = (
            median(raws.clone()),
            median(judges.clone()),
            median(apis.clone()),
        );
        println!(
            "batch {batch:>2}, median of {rounds}: raw ONNX Runtime {raw_rate:8.1} texts/s | Moderator::judge {domain_rate:8.1} texts/s ({judge_pct:5.1}% of raw) | POST /moderation/analyze {api_rate:8.1} texts/s ({api_pct:5.1}% of raw)",
        );
        result[format!("batch_{batch}")] = json!({
            "raw": raw_rate, "judge": domain_rate, "analyze": api_rate,
            "judge_pct": judge_pct, "analyze_pct": api_pct,
            "rounds": {"raw": raws, "judge": judges, "analyze": apis},
        });
    }

    // Product creation latency, one request at a time.
    let texts = texts();
    let n = env("CREATES", 300) as usize;
    let mut latencies = Vec::with_capacity(n);
    for i in 0..n {
        let text = &texts[i % texts.len()];
        let title: String = text.chars().take(120).collect();
        let started = Instant::now();
        let r = app
            .post(
                "/api/v1/products",
                &seller,
                json!({"title": if title.trim().is_empty() { "item".to_owned() } else { title }, "description": text, "price_minor": 100, "currency": "USD"}),
            )
            .await;
        latencies.push(started.elapsed());
        assert!(matches!(r.status.as_u16(), 201 | 422), "{}", r.text);
    }
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    println!(
        "POST /products with moderation, {n} sequential creates: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    result["product_create"] =
        json!({"n": n, "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": pct(1.0)});
    warden_tests::load::write_bench_json("moderation", &result);
}
