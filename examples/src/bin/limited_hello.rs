//! `warden-quotas`' rate limiter in front of a plain axum handler: each client
//! IP may make `--limit` requests a minute; one more is answered 429 with
//! `Retry-After`.
//!
//! ```text
//! cargo run -p warden-examples --bin limited_hello -- --limit 3
//! cargo run -p warden-examples --bin limited_hello -- --limit 3 --redis redis://127.0.0.1:6379
//! ```
//!
//! Options: `--addr` (default `127.0.0.1:3000`; port 0 picks a free one),
//! `--limit` (default 5), `--redis URL` to share the budgets through Redis
//! between several processes (in process otherwise). Prints
//! `listening on http://ADDR` once it accepts connections.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uuid::Uuid;
use warden_quotas::gcra::Window;
use warden_quotas::limiter::{FailMode, Limit, LimitKey, RateLimiter, RedisStore};
use warden_tenancy::clock::SystemClock;

/// The limiter and the window every client gets.
struct Limiting {
    limiter: RateLimiter,
    window: Window,
}

/// The command line.
struct Options {
    addr: SocketAddr,
    limit: u64,
    redis: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
        limit: 5,
        redis: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => o.addr = value.parse().map_err(|e| format!("--addr: {e}"))?,
            "--limit" => o.limit = value.parse().map_err(|e| format!("--limit: {e}"))?,
            "--redis" => o.redis = Some(value),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

/// The budget of one client. Warden names budgets by UUID (a tenant's id);
/// an IP address fits in one.
fn client_key(ip: IpAddr) -> LimitKey {
    let bits = match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    };
    LimitKey::Tenant(Uuid::from_u128(bits))
}

/// Admits the request or answers 429 with `Retry-After` (503 when the limiter
/// cannot decide, as with Redis unreachable in fail-closed mode).
async fn limit(
    State(limiting): State<Arc<Limiting>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let limits = [Limit {
        key: client_key(peer.ip()),
        windows: vec![limiting.window.clone()],
    }];
    let decision = match limiting.limiter.check(&limits).await {
        Ok(mut decisions) => decisions.pop(),
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    };
    match decision {
        Some(d) if !d.allowed => {
            let mut response = (StatusCode::TOO_MANY_REQUESTS, "slow down\n").into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(d.retry_after_secs));
            response
        }
        _ => next.run(request).await,
    }
}

async fn hello() -> &'static str {
    "hello\n"
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\nusage: limited_hello [--addr HOST:PORT] [--limit N] [--redis URL]");
            return ExitCode::from(2);
        }
    };
    let clock = Arc::new(SystemClock);
    let limiter = match &options.redis {
        None => RateLimiter::in_process(clock),
        Some(url) => {
            // A fresh key prefix per run, so an earlier run's budgets do not count.
            let prefix = format!("limited_hello:{}", Uuid::now_v7());
            match RedisStore::new(url, &prefix) {
                // Redis down: each process still limits on its own.
                Ok(store) => RateLimiter::with_redis(store, FailMode::Open, clock),
                Err(e) => {
                    eprintln!("--redis {url}: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let limiting = Arc::new(Limiting {
        limiter,
        window: Window::new("minute", options.limit, 60),
    });
    let app = Router::new()
        .route("/", get(hello))
        .layer(middleware::from_fn_with_state(limiting, limit));
    let listener = match tokio::net::TcpListener::bind(options.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("binding {}: {e}", options.addr);
            return ExitCode::FAILURE;
        }
    };
    let bound = listener.local_addr().map_or(options.addr, |a| a);
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "listening on http://{bound}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    match axum::serve(listener, service).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serving: {e}");
            ExitCode::FAILURE
        }
    }
}
