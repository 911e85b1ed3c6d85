//! Harness for Warden's end-to-end tests: a real server on a loopback port
//! against the real test database, tokens, and a small JSON client.
//!
//! Tests share one migrated database and isolate themselves by creating their
//! own tenants, so they run in parallel.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

pub mod load;
pub mod raw_fanout;
pub mod server_process;
pub mod smtp;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Once;
use std::time::Duration;

use actix_web::{HttpServer, web};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_moderation::models::ModelPaths;
use warden_quotas::limiter::FailMode;
use warden_server::auth::{MintRequest, mint_hs256};
use warden_server::config::{
    AuditConfig, BehaviorConfig, Config, JwtConfig, LiveConfig, LogFormat, ModerationConfig,
    NotificationsConfig, RateLimitConfig,
};
use warden_server::{AppState, app, load_redoc};

/// Runtime URL of the test database (what `just test` migrates).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://warden_test_app@127.0.0.1:5432/warden_test".into())
}

/// Admin URL of the test database.
pub fn admin_url() -> String {
    std::env::var("DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/warden_test".into())
}

/// The repository's root (the parent of `tests/`), for tests that read its
/// files or run tools in it.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The HS256 secret the test server accepts.
pub const SECRET: &str = "test-secret";

/// A server configuration for tests; adjust fields before `TestApp::start_with`.
pub fn test_config() -> Config {
    Config {
        database_url: database_url(),
        database_admin_url: admin_url(),
        database_pool_size: 4,
        bind_addr: "127.0.0.1:0".parse().unwrap(),
        jwt: JwtConfig {
            hs256_secret: Some(SECRET.into()),
            jwks_url: None,
            issuer: None,
            audience: None,
            tenant_claim: "tenant_id".into(),
            roles_claim: "roles".into(),
            max_lifetime_secs: 86_400,
            ..JwtConfig::default()
        },
        log_format: LogFormat::Text,
        max_body_bytes: 64 * 1024,
        body_read_timeout: Duration::from_secs(10),
        header_read_timeout: Duration::from_secs(10),
        trusted_proxies: Vec::new(),
        redoc_js_path: PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../vendor/redoc/redoc.standalone.js"
        )),
        dashboard_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../dashboard/dist")),
        shutdown_timeout: Duration::from_secs(1),
        http_workers: 2,
        rate_limit: RateLimitConfig {
            enabled: true,
            redis_url: None,
            fail_mode: FailMode::Open,
            usage_flush_interval: Duration::from_secs(3600),
            user_share_percent: 20,
            // Every test client is 127.0.0.1: quotas no suite reaches. The
            // limiter's own tests start a server with small ones.
            pre_auth_per_minute: std::num::NonZeroU32::new(1_000_000).unwrap(),
            pre_auth_failures_per_minute: std::num::NonZeroU32::new(1_000_000).unwrap(),
        },
        audit: AuditConfig {
            enabled: true,
            writer: warden_audit::writer::WriterConfig::default(),
            retention_days: 30,
            commit_timeout: Duration::from_secs(5),
        },
        live: LiveConfig {
            ping_interval: Duration::from_secs(20),
            timeout: Duration::from_secs(60),
            connection_queue: 256,
            resume_buffer: 1000,
            max_per_user: 8,
            max_per_tenant: 2000,
        },
        moderation: ModerationConfig {
            paths: ModelPaths {
                models_dir: ModerationConfig::repo_models_dir(),
                cache_dir: ModelPaths::default_cache_dir(),
                ort_dylib: std::env::var_os("ORT_DYLIB_PATH")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| ModelPaths::default_cache_dir().join("libonnxruntime.so")),
            },
            workers: 1,
            max_batch: 64,
            // Test processes share one database: a worker here would take other
            // tests' jobs. Tests run a worker for their own tenant instead.
            run_jobs: false,
            evidence_retention_days: warden_decisions::retention::DEFAULT_DAYS,
        },
        // Real Redis, as replicas use it; a fresh key prefix per test server.
        behavior: BehaviorConfig {
            enabled: true,
            queue: 4096,
            redis_url: Some(
                std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
            ),
            redis_prefix: format!("warden-test:bh:{}", Uuid::now_v7()),
        },
        // Providers off: tests that deliver start their own SMTP server and
        // Twilio stand-in and point the configuration at them.
        notifications: NotificationsConfig {
            smtp_url: None,
            smtp_from: "Warden <noreply@warden.test>".into(),
            twilio: None,
            public_base_url: None,
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_millis(400),
        },
        verification: warden_trust::verifications::CodeLimits {
            sms_per_number_per_hour: 3,
            sms_numbers_per_store_per_day: 5,
        },
    }
}

fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub config: Config,
    pub state: web::Data<AppState>,
    server: actix_web::dev::ServerHandle,
}

/// A response: status, headers and JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Reads a response: status, headers, text, and the text as JSON (null
    /// when it is not JSON).
    pub async fn read(res: reqwest::Response) -> Result<Reply, reqwest::Error> {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            headers,
            body,
            text,
        })
    }
}

impl Reply {
    /// The `id` field of the body.
    pub fn id(&self) -> Uuid {
        self.body["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no id in {:?}", self.body))
    }

    /// Asserts an RFC 9457 problem with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        assert_eq!(self.body["code"], code, "body: {}", self.text);
        assert_eq!(self.body["status"], status);
        for field in ["type", "title", "detail", "request_id"] {
            assert!(
                self.body[field].is_string(),
                "{field} missing in {}",
                self.text
            );
        }
        assert_eq!(
            self.headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok()),
            self.body["request_id"].as_str()
        );
    }

    /// Asserts a success status.
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        self
    }

    /// The `items` of a list response.
    pub fn items(&self) -> Vec<Value> {
        self.body["items"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("no items in {}", self.text))
    }

    /// The ids of a list response's items.
    pub fn item_ids(&self) -> Vec<Uuid> {
        self.items()
            .iter()
            .map(|i| i["id"].as_str().unwrap().parse().unwrap())
            .collect()
    }
}

/// Who calls: a token and the tenant header to send.
#[derive(Clone, Debug)]
pub struct As {
    pub token: Option<String>,
    pub tenant: Option<String>,
}

impl As {
    /// No credentials at all.
    pub fn anonymous() -> Self {
        Self {
            token: None,
            tenant: None,
        }
    }

    /// The same token with another `X-Tenant-ID` header value.
    pub fn with_tenant_header(&self, value: &str) -> Self {
        Self {
            token: self.token.clone(),
            tenant: Some(value.into()),
        }
    }
}

impl TestApp {
    /// Starts a server with the default test configuration.
    pub async fn start() -> Self {
        Self::start_with(test_config()).await
    }

    /// Starts a server with `config` on a free loopback port.
    pub async fn start_with(config: Config) -> Self {
        Self::start_with_clock(config, Arc::new(warden_tenancy::clock::SystemClock)).await
    }

    /// Starts a server whose enforcement runs on `clock`.
    pub async fn start_with_clock(
        config: Config,
        clock: Arc<dyn warden_tenancy::clock::Clock>,
    ) -> Self {
        install_crypto();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = web::Data::new(AppState::with_clock(config.clone(), clock).unwrap());
        let redoc = load_redoc(&config);
        let server_state = state.clone();
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server =
                    HttpServer::new(move || app::build(server_state.clone(), redoc.clone()))
                        .workers(1)
                        .disable_signals()
                        .shutdown_timeout(5)
                        .listen(listener)
                        .unwrap()
                        .run();
                let _ = handle_tx.send(server.handle());
                server.await
            })
        });
        let server = handle_rx.recv().unwrap();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let app = Self {
            base: format!("http://127.0.0.1:{port}"),
            client,
            config,
            state,
            server,
        };
        for _ in 0..100 {
            if app.client.get(app.url("/health/live")).send().await.is_ok() {
                return app;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("test server did not start");
    }

    /// Stops the server as `warden serve` does on SIGTERM: live connections
    /// closed, in-flight requests finished, the activity log drained.
    pub async fn stop(&self) {
        self.state.hub.close();
        self.server.stop(true).await;
        self.state.shutdown().await;
    }

    /// Runs the tenant's ready background jobs, as the job runner of `serve`
    /// does; how many ran.
    pub async fn run_jobs(&self, tenant: Uuid) -> usize {
        let runner = self.state.job_runner();
        let mut n = 0;
        while runner
            .run_next("test-worker", Some(warden_tenancy::TenantId::new(tenant)))
            .await
            .unwrap()
        {
            n += 1;
        }
        n
    }

    /// The WebSocket URL of the live endpoint.
    pub fn ws_url(&self) -> String {
        format!("{}/api/v1/ws", self.base.replace("http://", "ws://"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request with optional JSON body.
    pub async fn call(&self, method: Method, path: &str, who: &As, body: Option<Value>) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = &who.token {
            req = req.bearer_auth(t);
        }
        if let Some(t) = &who.tenant {
            req = req.header("X-Tenant-ID", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::reply(req.send().await.unwrap()).await
    }

    /// Sends a raw body with a content type.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        who: &As,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = &who.token {
            req = req.bearer_auth(t);
        }
        if let Some(t) = &who.tenant {
            req = req.header("X-Tenant-ID", t);
        }
        Self::reply(req.send().await.unwrap()).await
    }

    async fn reply(res: reqwest::Response) -> Reply {
        Reply::read(res).await.unwrap()
    }

    pub async fn get(&self, path: &str, who: &As) -> Reply {
        self.call(Method::GET, path, who, None).await
    }

    pub async fn post(&self, path: &str, who: &As, body: Value) -> Reply {
        self.call(Method::POST, path, who, Some(body)).await
    }

    pub async fn put(&self, path: &str, who: &As, body: Value) -> Reply {
        self.call(Method::PUT, path, who, Some(body)).await
    }

    pub async fn patch(&self, path: &str, who: &As, body: Value) -> Reply {
        self.call(Method::PATCH, path, who, Some(body)).await
    }

    pub async fn delete(&self, path: &str, who: &As) -> Reply {
        self.call(Method::DELETE, path, who, None).await
    }

    /// A token signed with the test secret.
    pub fn token(&self, tenant: Option<Uuid>, sub: &str, roles: &[Role]) -> String {
        self.mint(tenant, sub, roles, None)
    }

    /// A token whose name claim holds `name`.
    pub fn token_with_name(
        &self,
        tenant: Option<Uuid>,
        sub: &str,
        roles: &[Role],
        name: &str,
    ) -> String {
        self.mint(tenant, sub, roles, Some(name))
    }

    fn mint(&self, tenant: Option<Uuid>, sub: &str, roles: &[Role], name: Option<&str>) -> String {
        mint_hs256(
            &self.config.jwt,
            &MintRequest {
                api_client: false,
                subject: sub.into(),
                tenant,
                roles: roles.to_vec(),
                email: Some(format!("{sub}@example.test")),
                name: name.map(str::to_owned),
                ttl: Duration::from_secs(600),
            },
        )
        .unwrap()
    }

    /// A platform administrator (no tenant header).
    pub fn platform_admin(&self) -> As {
        As {
            token: Some(self.token(None, "platform-admin", &[Role::PlatformAdmin])),
            tenant: None,
        }
    }

    /// A member of `tenant` with `roles`.
    pub fn member(&self, tenant: Uuid, sub: &str, roles: &[Role]) -> As {
        As {
            token: Some(self.token(Some(tenant), sub, roles)),
            tenant: Some(tenant.to_string()),
        }
    }

    /// A member of `tenant` with `roles` calling as an API client (the
    /// token carries the API-client claim).
    pub fn api_client(&self, tenant: Uuid, sub: &str, roles: &[Role]) -> As {
        let token = mint_hs256(
            &self.config.jwt,
            &MintRequest {
                api_client: true,
                subject: sub.into(),
                tenant: Some(tenant),
                roles: roles.to_vec(),
                email: Some(format!("{sub}@example.test")),
                name: None,
                ttl: Duration::from_secs(600),
            },
        )
        .unwrap();
        As {
            token: Some(token),
            tenant: Some(tenant.to_string()),
        }
    }

    /// Sets a user's status behind the API's back, as a bug or a hand edit
    /// could (a ban lasts a day), and drops the server's cached copy of the row.
    pub async fn set_user_status_in_db(&self, tenant: Uuid, user: Uuid, status: &str) {
        use diesel_async::RunQueryDsl;
        let mut conn = admin_conn().await;
        let sql = "UPDATE users SET status = $1, banned_until = CASE WHEN $1 = 'banned' \
                   THEN now() + interval '1 day' END WHERE id = $2";
        let n = diesel::sql_query(sql)
            .bind::<diesel::sql_types::Text, _>(status)
            .bind::<diesel::sql_types::Uuid, _>(user)
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 1);
        self.state
            .forget_user(warden_tenancy::TenantId::new(tenant), user);
    }

    /// Opens the `payments` gate of `tenant` to every trust level, behind the
    /// API's back (no activity row): test worlds pay orders of level-0 stores,
    /// and tests about other things should not have to verify them first.
    pub async fn open_payments_in_db(&self, tenant: Uuid) {
        use diesel_async::RunQueryDsl;
        let mut settings = warden_trust::settings::TrustSettings::default();
        settings
            .features
            .insert(warden_trust::settings::Feature::Payments, 0);
        let config = serde_json::to_value(settings).unwrap();
        let mut conn = admin_conn().await;
        diesel::sql_query(
            "INSERT INTO trust_settings (tenant_id, config) VALUES ($1, $2) \
             ON CONFLICT (tenant_id) DO UPDATE SET config = jsonb_set(trust_settings.config, \
             '{features,payments}', '0')",
        )
        .bind::<diesel::sql_types::Uuid, _>(tenant)
        .bind::<diesel::sql_types::Jsonb, _>(config)
        .execute(&mut conn)
        .await
        .unwrap();
    }

    /// Creates a tenant with limits high enough that tests about other things
    /// never meet them, and returns its id.
    pub async fn tenant(&self, name: &str) -> Uuid {
        self.tenant_with_limits(name, generous_limits()).await
    }

    /// Creates a tenant with these limits (`PUT /tenants/{id}/limits` body).
    pub async fn tenant_with_limits(&self, name: &str, limits: Value) -> Uuid {
        let id = self
            .post(
                "/api/v1/tenants",
                &self.platform_admin(),
                json!({ "name": name }),
            )
            .await
            .assert_status(201)
            .id();
        self.put(
            &format!("/api/v1/tenants/{id}/limits"),
            &self.platform_admin(),
            limits,
        )
        .await
        .assert_status(200);
        id
    }
}

/// Limits no ordinary test reaches.
pub fn generous_limits() -> Value {
    json!({
        "requests_per_minute": 100000, "requests_per_hour": 1000000, "requests_per_day": 10000000,
        "user_requests_per_minute": null, "max_products": 100000, "max_users": 100000,
        "max_storage_bytes": 1073741824
    })
}

/// A tenant with the usual cast: an admin, a moderator, two sellers with stores
/// and one product each, and two buyers. The tenant opened the `payments` gate
/// to every level, so that its level-0 stores take orders to the end.
pub struct World {
    pub tenant: Uuid,
    pub admin: As,
    pub moderator: As,
    pub seller: As,
    pub seller_id: Uuid,
    pub product_id: Uuid,
    pub other_seller: As,
    pub other_seller_id: Uuid,
    pub other_product_id: Uuid,
    pub buyer: As,
    pub other_buyer: As,
    /// `buyer`'s delivered order of `product_id`.
    pub order_id: Uuid,
    /// `buyer`'s conversation with `seller`, with one message.
    pub conversation_id: Uuid,
    /// `buyer`'s review of `product_id` from `order_id`.
    pub review_id: Uuid,
}

impl World {
    /// Builds the cast in a fresh tenant.
    pub async fn new(app: &TestApp, name: &str) -> Self {
        let tenant = app.tenant(name).await;
        let admin = app.member(tenant, "admin", &[Role::TenantAdmin]);
        let moderator = app.member(tenant, "mod", &[Role::Moderator]);
        let seller = app.member(tenant, "seller-1", &[Role::Seller]);
        let other_seller = app.member(tenant, "seller-2", &[Role::Seller]);
        let buyer = app.member(tenant, "buyer-1", &[Role::Buyer]);
        let other_buyer = app.member(tenant, "buyer-2", &[Role::Buyer]);
        let seller_id = app
            .put(
                "/api/v1/sellers/me",
                &seller,
                json!({"store_name": format!("{name} store 1")}),
            )
            .await
            .assert_status(201)
            .id();
        let other_seller_id = app
            .put(
                "/api/v1/sellers/me",
                &other_seller,
                json!({"store_name": format!("{name} store 2")}),
            )
            .await
            .assert_status(201)
            .id();
        let product_id = app
            .post(
                "/api/v1/products",
                &seller,
                json!({"title": "Teapot", "price_minor": 2500, "currency": "USD"}),
            )
            .await
            .assert_status(201)
            .id();
        let other_product_id = app
            .post(
                "/api/v1/products",
                &other_seller,
                json!({"title": "Kettle", "price_minor": 4000, "currency": "USD"}),
            )
            .await
            .assert_status(201)
            .id();
        // Touch every member once so their user rows exist.
        for who in [&admin, &moderator, &buyer, &other_buyer] {
            app.get("/api/v1/users/me", who).await.assert_status(200);
        }
        let order_id = app
            .post(
                "/api/v1/orders",
                &buyer,
                json!({"items": [{"product_id": product_id, "quantity": 2}]}),
            )
            .await
            .assert_status(201)
            .id();
        // The tenant lets stores of every level take payments (see
        // `open_payments_in_db`); the stores stay at level 0.
        app.open_payments_in_db(tenant).await;
        let order_path = format!("/api/v1/orders/{order_id}");
        for (who, status) in [
            (&buyer, "paid"),
            (&seller, "shipped"),
            (&buyer, "delivered"),
        ] {
            app.patch(&order_path, who, json!({"status": status}))
                .await
                .assert_status(200);
        }
        let conversation_id = app
            .post(
                "/api/v1/conversations",
                &buyer,
                json!({"seller_id": seller_id, "product_id": product_id, "subject": "Teapot", "message": "Is it blue?"}),
            )
            .await
            .assert_status(201)
            .id();
        let review_id = app
            .post("/api/v1/reviews", &buyer, json!({"order_id": order_id, "product_id": product_id, "rating": 5, "body": "Lovely"}))
            .await
            .assert_status(201)
            .id();
        Self {
            tenant,
            admin,
            moderator,
            seller,
            seller_id,
            product_id,
            other_seller,
            other_seller_id,
            other_product_id,
            buyer,
            other_buyer,
            order_id,
            conversation_id,
            review_id,
        }
    }
}

/// A direct connection as the admin role, for checks the API cannot make
/// (catalog queries, counting rows across tenants).
pub async fn admin_conn() -> diesel_async::AsyncPgConnection {
    use diesel_async::AsyncConnection;
    diesel_async::AsyncPgConnection::establish(&admin_url())
        .await
        .unwrap()
}

/// Counts rows of `table` in `tenant`, bypassing RLS as the admin.
pub async fn count_rows(table: &str, tenant: Uuid) -> i64 {
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = admin_conn().await;
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM {table} WHERE tenant_id = $1"
    ))
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .get_result::<N>(&mut conn)
    .await
    .unwrap()
    .n
}
