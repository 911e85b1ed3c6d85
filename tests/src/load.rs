//! An open-loop load generator over a mixed commerce workload, for the short
//! load test in `just test` and the long one in `just bench`.
//!
//! Requests leave at fixed arrival times (`rate` per second), whatever the
//! server answers: each one is spawned on its own, so a slow answer never
//! delays the next send, and its latency runs from the time it was *scheduled*
//! to leave, so a stalled server shows up in the percentiles instead of being
//! hidden by the generator waiting (coordinated omission).
//!
//! Every request carries an `X-Request-Id` of the run's prefix and its
//! sequence number, so the activity log can be checked afterwards for exactly
//! one event per answered request ([`audit_check`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;
use warden_commerce::Role;
use warden_server::auth::{MintRequest, mint_hs256};
use warden_server::config::JwtConfig;

/// Mints HS256 tokens for the server under load.
#[derive(Clone)]
pub struct Minter {
    jwt: JwtConfig,
}

impl Minter {
    /// Tokens the server configured with `jwt` accepts.
    pub fn new(jwt: JwtConfig) -> Self {
        Self { jwt }
    }

    /// Tokens signed with `secret`, with the default claim names (what
    /// `warden serve` reads with only `JWT_HS256_SECRET` set).
    pub fn from_secret(secret: &str) -> Self {
        Self::new(JwtConfig {
            hs256_secret: Some(secret.into()),
            tenant_claim: "tenant_id".into(),
            roles_claim: "roles".into(),
            ..JwtConfig::default()
        })
    }

    /// A token for `sub` with `roles`, in `tenant` (none for platform staff).
    /// Valid for four hours: longer than any load run and its setup.
    pub fn token(&self, tenant: Option<Uuid>, sub: &str, roles: &[Role]) -> String {
        mint_hs256(
            &self.jwt,
            &MintRequest {
                api_client: false,
                subject: sub.into(),
                tenant,
                roles: roles.to_vec(),
                email: Some(format!("{sub}@load.test")),
                name: None,
                ttl: Duration::from_secs(4 * 3600),
            },
        )
        .expect("mint a token")
    }
}

/// A caller inside the load's tenant.
#[derive(Clone, Debug)]
pub struct Member {
    /// Bearer token.
    pub token: String,
    /// `X-Tenant-ID` value.
    pub tenant: String,
}

/// How large a world to build.
#[derive(Clone, Copy, Debug)]
pub struct WorldSize {
    /// Listings created up front, which the reads and the orders use.
    pub products: usize,
    /// Buyers, each with a conversation with the store.
    pub buyers: usize,
    /// Delivered orders whose status the load moves back and forth.
    pub orders: usize,
}

/// The tenant the load runs in: one store, its listings, buyers with a
/// conversation each, and delivered orders.
#[derive(Debug)]
pub struct World {
    /// The tenant.
    pub tenant: Uuid,
    /// The store's owner.
    pub seller: Member,
    /// Buyers.
    pub buyers: Vec<Member>,
    /// Listings made before the load.
    pub products: Vec<Uuid>,
    /// One conversation per buyer, with the buyer's index.
    pub conversations: Vec<(Uuid, usize)>,
    /// Delivered orders, with the buyer's index.
    pub orders: Vec<(Uuid, usize)>,
}

/// A small HTTP client for one server.
#[derive(Clone)]
pub struct Target {
    /// `http://host:port`.
    pub base: String,
    /// The client (connection pool shared by every request).
    pub client: reqwest::Client,
}

impl Target {
    /// A client for the server at `base`. Idle connections are kept in
    /// numbers, so that the load measures the server and not connection setup.
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(1024)
            .build()
            .expect("an HTTP client");
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
        }
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        token: &str,
        tenant: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("user-agent", "warden-load");
        match tenant {
            Some(t) => req.header("X-Tenant-ID", t),
            None => req,
        }
    }

    /// A setup call that must answer `want`; its JSON body.
    async fn expect(
        &self,
        method: Method,
        path: &str,
        token: &str,
        tenant: Option<&str>,
        body: Option<Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let mut req = self.request(method.clone(), path, token, tenant);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        if status != want {
            bail!("{method} {path}: {status} (wanted {want}): {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn id_of(v: &Value) -> anyhow::Result<Uuid> {
    v["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no id in {v}"))
}

/// The texts of `models/reference/texts.json` that are not blank: chat lines,
/// reviews, insults, URLs, other languages; what moderation sees in practice.
pub fn texts() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../models/reference/texts.json"
    );
    let v: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("reference texts"))
            .expect("reference texts are JSON");
    v.iter()
        .filter_map(|t| t["text"].as_str())
        .filter(|t| !t.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Builds the world through the API, as a client would: a tenant with limits
/// the load never meets, no listing limit for the store, the moderation rules
/// of the moderation benchmark, and then the store's data.
pub async fn build_world(
    target: &Target,
    minter: &Minter,
    name: &str,
    size: WorldSize,
) -> anyhow::Result<World> {
    let admin = minter.token(None, "load-platform-admin", &[Role::PlatformAdmin]);
    let tenant = id_of(
        &target
            .expect(
                Method::POST,
                "/api/v1/tenants",
                &admin,
                None,
                Some(json!({ "name": name })),
                201,
            )
            .await?,
    )?;
    target
        .expect(
            Method::PUT,
            &format!("/api/v1/tenants/{tenant}/limits"),
            &admin,
            None,
            Some(json!({
                "requests_per_minute": 1_000_000, "requests_per_hour": 100_000_000,
                "requests_per_day": 1_000_000_000, "user_requests_per_minute": null,
                "max_products": 1_000_000, "max_users": 100_000,
                "max_storage_bytes": 10_737_418_240_i64
            })),
            200,
        )
        .await?;
    let t = tenant.to_string();
    let member = |sub: &str, role: Role| Member {
        token: minter.token(Some(tenant), sub, &[role]),
        tenant: t.clone(),
    };
    let tenant_admin = member("load-admin", Role::TenantAdmin);
    let seller = member("load-seller", Role::Seller);
    let call = |method: Method, path: String, who: &Member, body: Option<Value>, want: u16| {
        let who = who.clone();
        async move {
            target
                .expect(method, &path, &who.token, Some(&who.tenant), body, want)
                .await
        }
    };

    // Thousands of listings from one store: no trust-level listing limit.
    let mut settings = call(
        Method::GET,
        "/api/v1/trust/settings".into(),
        &tenant_admin,
        None,
        200,
    )
    .await?;
    settings["listing_limits"] = json!([null, null, null, null]);
    // Its orders are paid: the store takes payments at any level.
    settings["features"]["payments"] = json!(0);
    call(
        Method::PUT,
        "/api/v1/trust/settings".into(),
        &tenant_admin,
        Some(settings),
        200,
    )
    .await?;
    for rule in [
        json!({"name": "scams", "kind": "pattern", "pattern": {"keywords": ["scam", "wire transfer", "gift card", "western union"], "regex": ["\\bfree\\s+money\\b"]}, "content_types": ["product", "review", "message", "seller_profile"], "action": "reject"}),
        json!({"name": "insults", "kind": "toxicity", "toxicity": {"category": "insult", "threshold": 0.9}, "content_types": ["product", "review", "message", "seller_profile"], "action": "require_review"}),
        json!({"name": "contact", "kind": "entities", "entities": {"kinds": ["phone", "email"]}, "content_types": ["message"], "action": "flag"}),
    ] {
        call(
            Method::POST,
            "/api/v1/moderation/rules".into(),
            &tenant_admin,
            Some(rule),
            201,
        )
        .await?;
    }
    let seller_id = id_of(
        &call(
            Method::PUT,
            "/api/v1/sellers/me".into(),
            &seller,
            Some(json!({"store_name": format!("{name} store")})),
            201,
        )
        .await?,
    )?;

    // Setup runs a few calls at a time: quicker, and gentle on a shared machine.
    const PARALLEL: usize = 8;
    let products: Vec<Uuid> = futures::stream::iter(0..size.products.max(1))
        .map(|i| {
            call(
                Method::POST,
                "/api/v1/products".into(),
                &seller,
                Some(json!({"title": format!("Teapot {i}"), "description": "Glazed stoneware, 1.2 l.", "price_minor": 1000 + i, "currency": "USD"})),
                201,
            )
        })
        .buffered(PARALLEL)
        .collect::<Vec<_>>()
        .await
        .iter()
        .map(|r| r.as_ref().map_err(|e| anyhow::anyhow!("{e:#}")).and_then(id_of))
        .collect::<anyhow::Result<_>>()?;

    let buyers: Vec<Member> = (0..size.buyers.max(1))
        .map(|i| member(&format!("load-buyer-{i}"), Role::Buyer))
        .collect();
    let mut conversations = Vec::new();
    for (b, buyer) in buyers.iter().enumerate() {
        let c = call(
            Method::POST,
            "/api/v1/conversations".into(),
            buyer,
            Some(json!({"seller_id": seller_id, "product_id": products[b % products.len()], "subject": "Teapot", "message": "Is it still available?"})),
            201,
        )
        .await?;
        conversations.push((id_of(&c)?, b));
    }

    // Delivered orders: from there the buyer may dispute and the seller may
    // settle back to delivered, a cycle the load can repeat for ever.
    let orders: Vec<(Uuid, usize)> = futures::stream::iter(0..size.orders.max(1))
        .map(|i| {
            let b = i % buyers.len();
            let buyer = &buyers[b];
            let product = products[i % products.len()];
            let seller = &seller;
            async move {
                let order = id_of(
                    &call(
                        Method::POST,
                        "/api/v1/orders".into(),
                        buyer,
                        Some(json!({"items": [{"product_id": product, "quantity": 1}]})),
                        201,
                    )
                    .await?,
                )?;
                let path = format!("/api/v1/orders/{order}");
                for (who, status) in [(buyer, "paid"), (seller, "shipped"), (buyer, "delivered")] {
                    call(
                        Method::PATCH,
                        path.clone(),
                        who,
                        Some(json!({ "status": status })),
                        200,
                    )
                    .await?;
                }
                anyhow::Ok((order, b))
            }
        })
        .buffered(PARALLEL)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;

    Ok(World {
        tenant,
        seller,
        buyers,
        products,
        conversations,
        orders,
    })
}

/// One kind of request of the mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `GET /products/{id}` as a buyer.
    ProductRead,
    /// `POST /products` as the seller: title and description moderated.
    ProductCreate,
    /// `POST /conversations/{id}/messages` as a buyer: the body moderated.
    MessagePost,
    /// `PATCH /orders/{id}`: delivered → disputed (buyer) or back (seller).
    OrderUpdate,
}

impl Op {
    /// Every kind, in report order.
    pub const ALL: [Op; 4] = [
        Op::ProductRead,
        Op::ProductCreate,
        Op::MessagePost,
        Op::OrderUpdate,
    ];

    /// Short name for tables and JSON.
    pub fn label(self) -> &'static str {
        match self {
            Op::ProductRead => "product_read",
            Op::ProductCreate => "product_create",
            Op::MessagePost => "message_post",
            Op::OrderUpdate => "order_update",
        }
    }
}

/// Weights of the kinds of request.
#[derive(Clone, Debug)]
pub struct Mix(pub Vec<(Op, u32)>);

impl Default for Mix {
    /// 50% product reads, 15% product creations, 20% messages, 15% order updates.
    fn default() -> Self {
        Self(vec![
            (Op::ProductRead, 50),
            (Op::ProductCreate, 15),
            (Op::MessagePost, 20),
            (Op::OrderUpdate, 15),
        ])
    }
}

impl Mix {
    /// The first `n` kinds, interleaved by smooth weighted round robin: exact
    /// proportions over every window, no clumps of one kind, and the same
    /// sequence on every run.
    pub fn sequence(&self, n: usize) -> Vec<Op> {
        let total: i64 = self.0.iter().map(|(_, w)| i64::from(*w)).sum();
        let mut current = vec![0i64; self.0.len()];
        let mut out = Vec::with_capacity(n);
        if total == 0 {
            return out;
        }
        for _ in 0..n {
            let mut best = 0;
            for (i, (_, w)) in self.0.iter().enumerate() {
                current[i] += i64::from(*w);
                if current[i] > current[best] {
                    best = i;
                }
            }
            current[best] -= total;
            out.push(self.0[best].0);
        }
        out
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// Requests per second, scheduled at fixed intervals.
    pub rate: f64,
    /// How long to send.
    pub duration: Duration,
    /// Kinds of request.
    pub mix: Mix,
    /// The process whose resident memory to sample; this one when `None`
    /// (an in-process server).
    pub rss_pid: Option<u32>,
    /// How often to sample it.
    pub rss_every: Duration,
    /// Samples before this are warm-up (pools filling, caches, allocator
    /// arenas); the memory check compares the end with the first sample after.
    pub warmup: Duration,
}

/// How one request ended.
#[derive(Clone, Debug)]
enum Outcome {
    Status(u16),
    /// No HTTP answer (connection refused, timeout): nothing acknowledged.
    Transport,
    /// An order update with no order free to move (all in flight): not sent.
    Skipped,
}

#[derive(Clone, Debug)]
struct Sample {
    op: Op,
    seq: usize,
    /// From the scheduled send time to the end of the answer's body.
    latency: Duration,
    /// From the scheduled send time to the actual one: the generator's own lag.
    lag: Duration,
    outcome: Outcome,
    created: Option<Uuid>,
}

/// Figures for one kind of request, or all of them.
#[derive(Clone, Debug, Default)]
pub struct OpStats {
    /// Requests sent.
    pub sent: usize,
    /// 2xx answers.
    pub ok: usize,
    /// 422 answers (moderation rejected the text).
    pub rejected: usize,
    /// Other 4xx answers.
    pub client_errors: usize,
    /// 5xx answers.
    pub server_errors: usize,
    /// No answer at all.
    pub transport_errors: usize,
    /// Median latency from the scheduled send time.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
}

impl OpStats {
    fn of<'a>(samples: impl Iterator<Item = &'a Sample>) -> Self {
        let mut s = Self::default();
        let mut latencies = Vec::new();
        for sample in samples {
            match sample.outcome {
                Outcome::Skipped => continue,
                Outcome::Transport => s.transport_errors += 1,
                Outcome::Status(c) if (200..300).contains(&c) => s.ok += 1,
                Outcome::Status(422) => s.rejected += 1,
                Outcome::Status(c) if c >= 500 => s.server_errors += 1,
                Outcome::Status(_) => s.client_errors += 1,
            }
            s.sent += 1;
            latencies.push(sample.latency);
        }
        latencies.sort_unstable();
        let pct = |p: f64| {
            if latencies.is_empty() {
                Duration::ZERO
            } else {
                let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len());
                latencies[i - 1]
            }
        };
        s.p50 = pct(0.50);
        s.p99 = pct(0.99);
        s.max = pct(1.0);
        s
    }

    fn to_json(&self) -> Value {
        json!({
            "sent": self.sent, "ok": self.ok, "rejected_422": self.rejected,
            "client_errors": self.client_errors, "server_errors": self.server_errors,
            "transport_errors": self.transport_errors,
            "p50_ms": ms(self.p50), "p99_ms": ms(self.p99), "max_ms": ms(self.max),
        })
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

const MIB: f64 = 1024.0 * 1024.0;

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// The `X-Request-Id` prefix of every request of the run.
    pub prefix: String,
    /// The tenant.
    pub tenant: Uuid,
    /// Target rate (req/s).
    pub target_rate: f64,
    /// How long requests were sent.
    pub duration: Duration,
    /// Requests sent per second of sending.
    pub achieved_rate: f64,
    /// From the first send to the last answer.
    pub elapsed: Duration,
    /// Worst lag of a send behind its schedule (the generator's own health).
    pub max_send_lag: Duration,
    /// All kinds together.
    pub overall: OpStats,
    /// Per kind.
    pub per_op: BTreeMap<Op, OpStats>,
    /// Order updates not sent because every order was in flight.
    pub skipped: usize,
    /// Request ids of the requests that got an HTTP answer.
    pub acknowledged: Vec<String>,
    /// Ids of the listings created (201).
    pub created_products: Vec<Uuid>,
    /// Ids of the messages posted (201).
    pub created_messages: Vec<Uuid>,
    /// Resident memory samples: seconds since the start, bytes.
    pub rss: Vec<(f64, u64)>,
    /// The warm-up, as configured.
    pub warmup: Duration,
}

impl Report {
    /// The first memory sample after the warm-up (or the last one if the
    /// run was shorter).
    pub fn rss_after_warmup(&self) -> u64 {
        let w = self.warmup.as_secs_f64();
        self.rss
            .iter()
            .find(|(t, _)| *t >= w)
            .or(self.rss.last())
            .map_or(0, |(_, b)| *b)
    }

    /// The first memory sample.
    pub fn rss_first(&self) -> u64 {
        self.rss.first().map_or(0, |(_, b)| *b)
    }

    /// The last memory sample.
    pub fn rss_last(&self) -> u64 {
        self.rss.last().map_or(0, |(_, b)| *b)
    }

    /// The largest memory sample.
    pub fn rss_max(&self) -> u64 {
        self.rss.iter().map(|(_, b)| *b).max().unwrap_or(0)
    }

    /// A plain-text table of the run.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "open-loop load: target {:.0} req/s for {:.0} s, sent {} at {:.1} req/s (worst send lag {:.1} ms), {} order updates skipped",
            self.target_rate,
            self.duration.as_secs_f64(),
            self.overall.sent,
            self.achieved_rate,
            ms(self.max_send_lag),
            self.skipped,
        );
        let _ = writeln!(
            out,
            "{:<15} {:>7} {:>7} {:>5} {:>5} {:>5} {:>5} {:>9} {:>9} {:>9}",
            "kind", "sent", "2xx", "422", "4xx", "5xx", "none", "p50 ms", "p99 ms", "max ms"
        );
        let rows = self
            .per_op
            .iter()
            .map(|(op, s)| (op.label(), s))
            .chain(std::iter::once(("all", &self.overall)));
        for (label, s) in rows {
            let _ = writeln!(
                out,
                "{:<15} {:>7} {:>7} {:>5} {:>5} {:>5} {:>5} {:>9.1} {:>9.1} {:>9.1}",
                label,
                s.sent,
                s.ok,
                s.rejected,
                s.client_errors,
                s.server_errors,
                s.transport_errors,
                ms(s.p50),
                ms(s.p99),
                ms(s.max)
            );
        }
        let _ = writeln!(
            out,
            "RSS MiB: first {:.1}, after warm-up {:.1}, last {:.1}, max {:.1} ({} samples)",
            self.rss_first() as f64 / MIB,
            self.rss_after_warmup() as f64 / MIB,
            self.rss_last() as f64 / MIB,
            self.rss_max() as f64 / MIB,
            self.rss.len(),
        );
        out
    }

    /// The run as JSON (what `just bench` reads).
    pub fn to_json(&self) -> Value {
        let per_op: serde_json::Map<String, Value> = self
            .per_op
            .iter()
            .map(|(op, s)| (op.label().to_owned(), s.to_json()))
            .collect();
        json!({
            "prefix": self.prefix,
            "target_rate": self.target_rate,
            "duration_s": self.duration.as_secs_f64(),
            "achieved_rate": (self.achieved_rate * 10.0).round() / 10.0,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "max_send_lag_ms": ms(self.max_send_lag),
            "skipped": self.skipped,
            "overall": self.overall.to_json(),
            "per_op": per_op,
            "acknowledged": self.acknowledged.len(),
            "created_products": self.created_products.len(),
            "created_messages": self.created_messages.len(),
            "rss_mib": {
                "first": self.rss_first() as f64 / MIB,
                "after_warmup": self.rss_after_warmup() as f64 / MIB,
                "last": self.rss_last() as f64 / MIB,
                "max": self.rss_max() as f64 / MIB,
                "warmup_s": self.warmup.as_secs_f64(),
                "samples": self.rss.iter().map(|(t, b)| json!([(t * 10.0).round() / 10.0, (*b as f64 / MIB * 10.0).round() / 10.0])).collect::<Vec<_>>(),
            },
        })
    }
}

/// Resident set size of `pid` (this process when `None`), from /proc.
pub fn rss_bytes(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".into(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// An order the load moves, and where it stands.
#[derive(Clone, Copy, Debug)]
struct OrderSlot {
    id: Uuid,
    buyer: usize,
    disputed: bool,
}

/// What the request tasks share.
struct Shared {
    target: Target,
    world: Arc<World>,
    texts: Vec<String>,
    prefix: String,
    /// Orders not in flight. An order is taken for one update and put back
    /// when it is answered, so two updates of one order never race (which
    /// would turn into 409s that say nothing about the server).
    orders: Mutex<VecDeque<OrderSlot>>,
}

async fn one(shared: Arc<Shared>, op: Op, seq: usize, scheduled: Instant) -> Sample {
    let lag = scheduled.elapsed();
    let w = &shared.world;
    let text = &shared.texts[(seq * 7) % shared.texts.len()];
    let mut slot = None;
    let (method, path, who, body) = match op {
        Op::ProductRead => {
            let p = w.products[(seq * 13) % w.products.len()];
            let who = &w.buyers[seq % w.buyers.len()];
            (Method::GET, format!("/api/v1/products/{p}"), who, None)
        }
        Op::ProductCreate => {
            let title: String = text.chars().take(120).collect();
            let title = if title.trim().is_empty() {
                format!("Item {seq}")
            } else {
                title
            };
            (
                Method::POST,
                "/api/v1/products".into(),
                &w.seller,
                Some(
                    json!({"title": title, "description": text, "price_minor": 100 + seq, "currency": "USD"}),
                ),
            )
        }
        Op::MessagePost => {
            let (c, b) = w.conversations[seq % w.conversations.len()];
            (
                Method::POST,
                format!("/api/v1/conversations/{c}/messages"),
                &w.buyers[b],
                Some(json!({ "body": text })),
            )
        }
        Op::OrderUpdate => {
            let taken = shared.orders.lock().expect("orders lock").pop_front();
            let Some(s) = taken else {
                return Sample {
                    op,
                    seq,
                    latency: Duration::ZERO,
                    lag,
                    outcome: Outcome::Skipped,
                    created: None,
                };
            };
            slot = Some(s);
            let (who, status) = if s.disputed {
                (&w.seller, "delivered")
            } else {
                (&w.buyers[s.buyer], "disputed")
            };
            (
                Method::PATCH,
                format!("/api/v1/orders/{}", s.id),
                who,
                Some(json!({ "status": status })),
            )
        }
    };
    let mut req = shared
        .target
        .request(method, &path, &who.token, Some(&who.tenant))
        .header("x-request-id", format!("{}{seq}", shared.prefix));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let (outcome, created) = match req.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            // The whole body counts: a client is served when it has read it.
            let bytes = res.bytes().await.unwrap_or_default();
            let created = (status == 201)
                .then(|| serde_json::from_slice::<Value>(&bytes).ok())
                .flatten()
                .and_then(|v| id_of(&v).ok());
            (Outcome::Status(status), created)
        }
        Err(_) => (Outcome::Transport, None),
    };
    let latency = scheduled.elapsed();
    // An order whose update got no answer may or may not have moved: it is
    // kept out of the load; a refused one stands where it was.
    if let (Some(mut s), Outcome::Status(status)) = (slot, &outcome) {
        if *status == 200 {
            s.disputed = !s.disputed;
        }
        shared.orders.lock().expect("orders lock").push_back(s);
    }
    Sample {
        op,
        seq,
        latency,
        lag,
        outcome,
        created,
    }
}

/// Runs the load against `target` in `world` and waits for every answer.
pub async fn run(target: &Target, world: Arc<World>, config: &LoadConfig) -> Report {
    let prefix = format!("load-{}-", Uuid::now_v7().simple());
    let n = (config.rate * config.duration.as_secs_f64()).round() as usize;
    let ops = config.mix.sequence(n);
    let shared = Arc::new(Shared {
        target: target.clone(),
        texts: texts(),
        prefix: prefix.clone(),
        orders: Mutex::new(
            world
                .orders
                .iter()
                .map(|&(id, buyer)| OrderSlot {
                    id,
                    buyer,
                    disputed: false,
                })
                .collect(),
        ),
        world: world.clone(),
    });

    let start = Instant::now();
    let rss = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let (rss, pid, every) = (rss.clone(), config.rss_pid, config.rss_every);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Some(b) = rss_bytes(pid) {
                    rss.lock()
                        .expect("rss lock")
                        .push((start.elapsed().as_secs_f64(), b));
                }
            }
        })
    };

    // Fixed send times computed from the start, not from the previous send:
    // a late wake-up sends what is due at once (a burst) and the schedule
    // does not drift.
    let interval = Duration::from_secs_f64(1.0 / config.rate);
    let mut tasks = Vec::with_capacity(n);
    for (seq, op) in ops.into_iter().enumerate() {
        let scheduled = start + interval.mul_f64(seq as f64);
        tokio::time::sleep_until(scheduled).await;
        tasks.push(tokio::spawn(one(shared.clone(), op, seq, scheduled)));
    }
    let sent_for = start.elapsed();
    let mut samples = Vec::with_capacity(tasks.len());
    for t in tasks {
        samples.push(t.await.expect("a request task"));
    }
    let elapsed = start.elapsed();
    // One more sample once everything is answered.
    tokio::time::sleep(config.rss_every).await;
    sampler.abort();
    let rss = std::mem::take(&mut *rss.lock().expect("rss lock"));

    let mut per_op = BTreeMap::new();
    for op in Op::ALL {
        if samples.iter().any(|s| s.op == op) {
            per_op.insert(op, OpStats::of(samples.iter().filter(|s| s.op == op)));
        }
    }
    let acknowledged = samples
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Status(_)))
        .map(|s| format!("{prefix}{}", s.seq))
        .collect();
    let created = |op: Op| {
        samples
            .iter()
            .filter(|s| s.op == op)
            .filter_map(|s| s.created)
            .collect::<Vec<_>>()
    };
    let sent = samples
        .iter()
        .filter(|s| !matches!(s.outcome, Outcome::Skipped))
        .count();
    Report {
        prefix,
        tenant: world.tenant,
        target_rate: config.rate,
        duration: config.duration,
        achieved_rate: sent as f64 / sent_for.as_secs_f64().max(1e-9),
        elapsed,
        max_send_lag: samples.iter().map(|s| s.lag).max().unwrap_or_default(),
        overall: OpStats::of(samples.iter()),
        per_op,
        skipped: samples
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Skipped))
            .count(),
        acknowledged,
        created_products: created(Op::ProductCreate),
        created_messages: created(Op::MessagePost),
        rss,
        warmup: config.warmup,
    }
}

/// The activity log against the run.
#[derive(Clone, Debug, Default)]
pub struct AuditCheck {
    /// Answered requests, each of which must have exactly one event.
    pub expected: usize,
    /// Answered requests with at least one event.
    pub found: usize,
    /// Answered requests with no event: lost events.
    pub missing: usize,
    /// Requests with more than one event.
    pub duplicated: usize,
    /// Events of the run's prefix for requests that got no answer (allowed:
    /// the server may have handled a request whose answer the client lost).
    pub unanswered: usize,
}

impl AuditCheck {
    /// As JSON.
    pub fn to_json(&self) -> Value {
        json!({"expected": self.expected, "found": self.found, "missing": self.missing,
               "duplicated": self.duplicated, "unanswered_recorded": self.unanswered})
    }
}

async fn admin_connect(admin_url: &str) -> anyhow::Result<diesel_async::AsyncPgConnection> {
    use diesel_async::AsyncConnection;
    diesel_async::AsyncPgConnection::establish(admin_url)
        .await
        .context("connect to the admin database URL")
}

/// Compares the activity log with the run, as the admin role (past RLS):
/// every answered request must have exactly one event. The audit writer
/// flushes on its own within milliseconds; this polls until every answered
/// request is found or `wait` has passed, so it works against a server in
/// another process as well as an in-process one.
pub async fn audit_check(
    admin_url: &str,
    report: &Report,
    wait: Duration,
) -> anyhow::Result<AuditCheck> {
    use diesel::QueryableByName;
    use diesel::sql_types::{BigInt, Nullable, Text};
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Text>)]
        request_id: Option<String>,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = admin_connect(admin_url).await?;
    let deadline = Instant::now() + wait;
    loop {
        // Both logs: a request that lost its tenant (a 401, say) would be in
        // the platform one.
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT request_id, count(*) AS n FROM (
                 SELECT client_request_id AS request_id FROM activity_log WHERE tenant_id = $1 AND client_request_id LIKE $2
                 UNION ALL
                 SELECT client_request_id AS request_id FROM platform_activity_log WHERE client_request_id LIKE $2
             ) r GROUP BY request_id",
        )
        .bind::<diesel::sql_types::Uuid, _>(report.tenant)
        .bind::<Text, _>(format!("{}%", report.prefix))
        .load(&mut conn)
        .await
        .context("count activity events")?;
        let counts: HashMap<String, i64> = rows
            .into_iter()
            .filter_map(|r| r.request_id.map(|id| (id, r.n)))
            .collect();
        let found = report
            .acknowledged
            .iter()
            .filter(|id| counts.contains_key(*id))
            .count();
        if found == report.acknowledged.len() || Instant::now() >= deadline {
            let answered: std::collections::HashSet<&str> =
                report.acknowledged.iter().map(String::as_str).collect();
            return Ok(AuditCheck {
                expected: report.acknowledged.len(),
                found,
                missing: report.acknowledged.len() - found,
                duplicated: counts.values().filter(|n| **n > 1).count(),
                unanswered: counts
                    .keys()
                    .filter(|id| !answered.contains(id.as_str()))
                    .count(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Acknowledged creations against the database.
#[derive(Clone, Debug, Default)]
pub struct CreationCheck {
    /// Listings answered 201.
    pub products: usize,
    /// Of those, rows found.
    pub products_found: usize,
    /// Messages answered 201.
    pub messages: usize,
    /// Of those, rows found.
    pub messages_found: usize,
}

/// Looks up every acknowledged listing and message, as the admin role.
pub async fn creation_check(admin_url: &str, report: &Report) -> anyhow::Result<CreationCheck> {
    use diesel::QueryableByName;
    use diesel::sql_types::{Array, BigInt};
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = admin_connect(admin_url).await?;
    let mut count = async |table: &str, ids: &[Uuid]| -> anyhow::Result<usize> {
        let n = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM {table} WHERE tenant_id = $1 AND id = ANY($2)"
        ))
        .bind::<diesel::sql_types::Uuid, _>(report.tenant)
        .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
        .get_result::<N>(&mut conn)
        .await
        .with_context(|| format!("count {table}"))?
        .n;
        Ok(usize::try_from(n).unwrap_or(0))
    };
    let products_found = count("products", &report.created_products).await?;
    let messages_found = count("messages", &report.created_messages).await?;
    Ok(CreationCheck {
        products: report.created_products.len(),
        products_found,
        messages: report.created_messages.len(),
        messages_found,
    })
}

/// Writes a benchmark's result to `<name>.json` in `BENCH_OUT_DIR` (default
/// the repository's `build/bench/`), for `scripts/bench-report.py`, which
/// builds the README's table from them. Returns the path written.
pub fn write_bench_json(name: &str, value: &Value) -> String {
    let dir = std::env::var("BENCH_OUT_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../build/bench").into());
    std::fs::create_dir_all(&dir).expect("create the bench output directory");
    let path = format!("{dir}/{name}.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(value).expect("JSON of a bench result"),
    )
    .expect("write a bench result");
    path
}
