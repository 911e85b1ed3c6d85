//! Real processes for the tests that need more than one server, or faults of
//! the services under it: `warden serve` as a child process, a private
//! PostgreSQL cluster, a private Redis.
//!
//! The `warden` binary is not rebuilt by `cargo nextest run -p warden-tests`
//! (it belongs to another package): `just test` builds it first (`cargo run -p
//! warden-server -- migrate --reset`), and by hand `cargo build -p
//! warden-server` does. `WARDEN_BIN` points at another build.
//!
//! Every helper here owns what it starts and ends it on drop (the server and
//! Redis are killed, the cluster is stopped and its directory removed), so a
//! failing test leaves nothing behind. Nothing here touches the machine's
//! shared PostgreSQL or Redis beyond connecting to them.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use uuid::Uuid;
use warden_commerce::Role;
use warden_server::auth::{MintRequest, mint_hs256};
use warden_server::config::JwtConfig;

use crate::{As, Reply, SECRET};

/// Longest a server, cluster or Redis may take to come up.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The `warden` binary: `WARDEN_BIN`, else the one next to this test binary's
/// directory (`…/target/debug/deps/e2e-…` → `…/target/debug/warden`).
pub fn warden_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("WARDEN_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in <target>/<profile>/deps");
    let bin = profile_dir.join("warden");
    assert!(
        bin.is_file(),
        "the warden binary is missing at {}: build it first with `cargo build -p warden-server` \
         (`just test` does), or set WARDEN_BIN",
        bin.display()
    );
    bin
}

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// An HTTP client with a 30 s timeout. reqwest is built without a default
/// TLS provider, so one is installed first (again is fine: it is kept).
fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// A directory under the system temp directory, removed on drop.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Creates `<tmp>/warden-<what>-<uuid>`.
    pub fn new(what: &str) -> Self {
        let path = std::env::temp_dir().join(format!("warden-{what}-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&path).expect("create a scratch directory");
        Self(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The last `lines` lines of a log file, for failure messages.
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A token signed with the test secret (the processes started here accept it).
pub fn token(tenant: Option<Uuid>, sub: &str, roles: &[Role]) -> String {
    let jwt = JwtConfig {
        hs256_secret: Some(SECRET.into()),
        tenant_claim: "tenant_id".into(),
        roles_claim: "roles".into(),
        ..JwtConfig::default()
    };
    mint_hs256(
        &jwt,
        &MintRequest {
            api_client: false,
            subject: sub.into(),
            tenant,
            roles: roles.to_vec(),
            email: Some(format!("{sub}@example.test")),
            name: None,
            ttl: Duration::from_secs(600),
        },
    )
    .expect("mint a token")
}

/// A platform administrator.
pub fn platform_admin() -> As {
    As {
        token: Some(token(None, "platform-admin", &[Role::PlatformAdmin])),
        tenant: None,
    }
}

/// A member of `tenant` with `roles`.
pub fn member(tenant: Uuid, sub: &str, roles: &[Role]) -> As {
    As {
        token: Some(token(Some(tenant), sub, roles)),
        tenant: Some(tenant.to_string()),
    }
}

/// The environment of a `warden serve` process, built up before starting it.
/// `Clone` it to start replicas with the same settings (each gets its own port).
#[derive(Clone, Debug)]
pub struct Serve {
    vars: BTreeMap<String, String>,
}

impl Serve {
    /// A server on `database_url` with small pools and worker counts, the test
    /// secret, and no background jobs: a job runner takes any tenant's jobs,
    /// so one must never run against the database other tests share
    /// (turn it on with `var("BACKGROUND_JOBS", "on")` on a private cluster).
    pub fn new(database_url: &str) -> Self {
        let mut vars = BTreeMap::new();
        // What the binary needs from the outside world (model cache, loader paths).
        for name in [
            "PATH",
            "HOME",
            "LD_LIBRARY_PATH",
            "WARDEN_MODEL_CACHE",
            "WARDEN_MODELS_DIR",
            "ORT_DYLIB_PATH",
        ] {
            if let Ok(v) = std::env::var(name) {
                vars.insert(name.to_owned(), v);
            }
        }
        for (k, v) in [
            ("DATABASE_URL", database_url),
            ("JWT_HS256_SECRET", SECRET),
            ("DATABASE_POOL_SIZE", "4"),
            ("HTTP_WORKERS", "2"),
            ("MODERATION_WORKERS", "1"),
            ("BACKGROUND_JOBS", "off"),
            ("SHUTDOWN_TIMEOUT_SECS", "2"),
            ("LOG_FORMAT", "text"),
            ("RUST_LOG", "info"),
            // Every test client is 127.0.0.1.
            ("PRE_AUTH_PER_MINUTE", "1000000"),
            ("PRE_AUTH_FAILURES_PER_MINUTE", "1000000"),
        ] {
            vars.insert(k.to_owned(), v.to_owned());
        }
        // Behavior keys of these servers never meet anyone else's in a shared Redis.
        vars.insert(
            "BEHAVIOR_REDIS_PREFIX".into(),
            format!("warden-test:bh:{}", Uuid::now_v7()),
        );
        Self { vars }
    }

    /// Sets (or replaces) one variable.
    #[must_use]
    pub fn var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.insert(name.to_owned(), value.into());
        self
    }

    /// Starts the server on a free loopback port and waits until
    /// `/health/ready` answers 200.
    pub async fn start(&self) -> ServerProcess {
        let port = free_port();
        let dir = ScratchDir::new("serve");
        let log = dir.path().join("warden.log");
        let out = File::create(&log).expect("create the server log");
        let err = out.try_clone().expect("clone the log handle");
        // Everything that could fail comes before the spawn: from the spawn on,
        // the child is owned by a `ServerProcess`, which kills it on drop.
        let client = http_client();
        let bin = warden_bin();
        // A clean environment and a directory without `.env`: the process sees
        // exactly the variables given here.
        let child = Command::new(bin)
            .arg("serve")
            .env_clear()
            .envs(&self.vars)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn warden serve");
        let mut server = ServerProcess {
            base: format!("http://127.0.0.1:{port}"),
            port,
            client,
            child,
            log,
            _dir: dir,
        };
        server.wait_ready().await;
        server
    }
}

/// A running `warden serve` child process, killed on drop.
pub struct ServerProcess {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Its port.
    pub port: u16,
    /// A client for it (30 s timeout).
    pub client: reqwest::Client,
    child: Child,
    log: PathBuf,
    _dir: ScratchDir,
}

impl ServerProcess {
    async fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the server process") {
                panic!(
                    "warden serve exited with {status} before it was ready:\n{}",
                    tail(&self.log, 40)
                );
            }
            if let Ok(r) = self.client.get(self.url("/health/ready")).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "warden serve was not ready within {START_TIMEOUT:?}:\n{}",
                tail(&self.log, 40)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The WebSocket URL of the live endpoint.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/api/v1/ws", self.port)
    }

    /// Kills the process at once (`SIGKILL`, as `kill -9`: no shutdown, no
    /// flush) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process's log so far (stdout and stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A request with `who`'s credentials, to finish and [`send`](Self::send).
    pub fn request(&self, method: Method, path: &str, who: &As) -> RequestBuilder {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = &who.token {
            req = req.bearer_auth(t);
        }
        if let Some(t) = &who.tenant {
            req = req.header("X-Tenant-ID", t);
        }
        req
    }

    /// Sends a request; `Err` when no response came (refused, timed out).
    pub async fn send(req: RequestBuilder) -> Result<Reply, reqwest::Error> {
        Reply::read(req.send().await?).await
    }

    /// Sends a request with an optional JSON body; panics without a response.
    pub async fn call(&self, method: Method, path: &str, who: &As, body: Option<Value>) -> Reply {
        let mut req = self.request(method, path, who);
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::send(req).await.expect("a response")
    }

    /// `GET`.
    pub async fn get(&self, path: &str, who: &As) -> Reply {
        self.call(Method::GET, path, who, None).await
    }

    /// `POST` with a JSON body.
    pub async fn post(&self, path: &str, who: &As, body: Value) -> Reply {
        self.call(Method::POST, path, who, Some(body)).await
    }

    /// `PUT` with a JSON body.
    pub async fn put(&self, path: &str, who: &As, body: Value) -> Reply {
        self.call(Method::PUT, path, who, Some(body)).await
    }

    /// Creates a tenant with these limits (`PUT /tenants/{id}/limits` body).
    pub async fn tenant_with_limits(&self, name: &str, limits: Value) -> Uuid {
        let admin = platform_admin();
        let id = self
            .post("/api/v1/tenants", &admin, json!({ "name": name }))
            .await
            .assert_status(201)
            .id();
        self.put(&format!("/api/v1/tenants/{id}/limits"), &admin, limits)
            .await
            .assert_status(200);
        id
    }

    /// The value of counter or gauge `name` on `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- last lines of warden serve on port {} ---\n{}",
                self.port,
                tail(&self.log, 60)
            );
        }
    }
}

/// Whether this process runs as root, by the owner of `/proc/self` (no libc needed).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The PostgreSQL server binaries: `PG_BIN_DIR`, else the newest
/// `/usr/lib/postgresql/<version>/bin`, else whatever `PATH` finds.
fn pg_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN_DIR") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// A PostgreSQL cluster of its own (trust authentication, loopback only),
/// for tests that must restart the database or run background jobs without
/// disturbing the shared test database. Stopped and deleted on drop.
pub struct PgCluster {
    /// Its port on 127.0.0.1.
    pub port: u16,
    data: PathBuf,
    log: PathBuf,
    bin: Option<PathBuf>,
    dir: ScratchDir,
}

impl PgCluster {
    /// Creates and starts a cluster on a free port.
    pub async fn start() -> Self {
        let dir = ScratchDir::new("pg");
        if is_root() {
            // PostgreSQL refuses to run as root: the cluster belongs to `postgres`.
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("run chown");
            assert!(status.success(), "chown of the cluster directory failed");
        }
        let cluster = Self {
            port: free_port(),
            data: dir.path().join("data"),
            log: dir.path().join("postgres.log"),
            bin: pg_bin_dir(),
            dir,
        };
        cluster
            .run(
                "initdb",
                &[
                    "-D",
                    path_str(&cluster.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    // Durability of the files initdb writes does not matter here;
                    // the server itself runs with fsync on.
                    "--no-sync",
                ],
            )
            .await;
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=60",
            cluster.port,
            path_str(cluster.dir.path())
        );
        cluster.pg_ctl(&["-o", &options, "-t", "60", "start"]).await;
        cluster
    }

    async fn run(&self, program: &str, args: &[&str]) {
        let exe = self
            .bin
            .as_ref()
            .map_or_else(|| PathBuf::from(program), |b| b.join(program));
        let mut cmd = if is_root() {
            let mut c = tokio::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            tokio::process::Command::new(&exe)
        };
        // The postmaster inherits pg_ctl's output: into a file, never a pipe
        // this process would wait on.
        let out_path = self.dir.path().join(format!("{program}.out"));
        let out = File::create(&out_path).expect("create a command log");
        let err = out.try_clone().expect("clone the log handle");
        let status = cmd
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .status()
            .await
            .unwrap_or_else(|e| panic!("run {}: {e}", exe.display()));
        assert!(
            status.success(),
            "{program} {args:?} failed ({status}):\n{}\n--- server log ---\n{}",
            tail(&out_path, 30),
            tail(&self.log, 30)
        );
    }

    async fn pg_ctl(&self, args: &[&str]) {
        let mut all = vec!["-D", path_str(&self.data), "-l", path_str(&self.log), "-w"];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all).await;
    }

    /// Restarts the server: `mode` is `fast` (clients disconnected, clean
    /// shutdown) or `immediate` (like a crash: recovery from the WAL on start).
    /// Returns once the server accepts connections again.
    pub async fn restart(&self, mode: &str) {
        self.pg_ctl(&["-m", mode, "-t", "60", "restart"]).await;
    }

    /// Superuser URL of database `db`.
    pub fn admin_url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// URL of database `db` as the login role `role`.
    pub fn url_as(&self, role: &str, db: &str) -> String {
        format!("postgres://{role}@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `db` and its runtime role `<db>_app` with `warden
    /// migrate`, and returns the runtime URL to serve with.
    pub async fn migrate(&self, db: &str) -> String {
        let runtime = self.url_as(&format!("{db}_app"), db);
        let out = tokio::process::Command::new(warden_bin())
            .arg("migrate")
            .env_clear()
            .envs(std::env::var("PATH").map(|p| ("PATH", p)))
            .env("DATABASE_URL", &runtime)
            .env("DATABASE_ADMIN_URL", self.admin_url(db))
            .env("RUST_LOG", "warn")
            .current_dir(self.dir.path())
            .output()
            .await
            .expect("run warden migrate");
        assert!(
            out.status.success(),
            "warden migrate failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        runtime
    }

    /// A superuser connection to database `db` (row-level security does not
    /// apply), for checks the API cannot make.
    pub async fn admin_conn(&self, db: &str) -> diesel_async::AsyncPgConnection {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&self.admin_url(db))
            .await
            .expect("connect to the private cluster")
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let exe = self
            .bin
            .as_ref()
            .map_or_else(|| PathBuf::from("pg_ctl"), |b| b.join("pg_ctl"));
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        let _ = cmd
            .args(["-D", path_str(&self.data), "-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if std::thread::panicking() {
            eprintln!(
                "--- last lines of the private PostgreSQL ---\n{}",
                tail(&self.log, 30)
            );
        }
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// A Redis server of its own on a fixed port, which a test may stop and start
/// again (nothing persisted: it comes back empty). Killed on drop.
pub struct RedisServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
    dir: ScratchDir,
}

impl RedisServer {
    /// Starts one on a free port.
    pub async fn start() -> Self {
        let mut redis = Self {
            port: free_port(),
            child: None,
            dir: ScratchDir::new("redis"),
        };
        redis.resume().await;
        redis
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as a crash would); its port refuses connections until
    /// [`resume`](Self::resume).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on its port and waits until it answers `PING`.
    pub async fn resume(&mut self) {
        assert!(self.child.is_none(), "Redis is already running");
        let log = File::create(self.dir.path().join("redis.log")).expect("create the Redis log");
        let err = log.try_clone().expect("clone the log handle");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .expect("spawn redis-server (is it installed?)");
        self.child = Some(child);
        let started = Instant::now();
        loop {
            if self.ping().await {
                return;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "redis-server on port {} did not answer",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn ping(&self) -> bool {
        let Ok(client) = redis::Client::open(self.url()) else {
            return false;
        };
        let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
            return false;
        };
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok()
    }

    /// Keys matching `pattern` (`KEYS`; fine on a private, tiny Redis).
    pub async fn keys(&self, pattern: &str) -> Vec<String> {
        let client = redis::Client::open(self.url()).expect("a Redis URL");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("connect to the private Redis");
        redis::cmd("KEYS")
            .arg(pattern)
            .query_async(&mut conn)
            .await
            .expect("KEYS")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A staff client of the live endpoint (`/api/v1/ws`).
pub struct LiveClient {
    ws: WsStream,
}

impl LiveClient {
    /// Connects to `ws_url` with `token` and reads the welcome.
    pub async fn connect(ws_url: &str, token: &str) -> Self {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = ws_url.into_client_request().expect("a WebSocket URL");
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("a header value"),
        );
        let (ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("WebSocket handshake");
        let mut client = Self { ws };
        let welcome = client.next(Duration::from_secs(10)).await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        client
    }

    /// The next JSON message; panics when none comes within `within` or the
    /// connection ends.
    pub async fn next(&mut self, within: Duration) -> Value {
        self.try_next(within)
            .await
            .unwrap_or_else(|| panic!("no live message within {within:?}"))
    }

    /// The next JSON message, `None` when none comes within `within`; panics
    /// when the connection ends.
    pub async fn try_next(&mut self, within: Duration) -> Option<Value> {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = tokio::time::timeout(left, self.ws.next()).await.ok()?;
            match msg {
                Some(Ok(Message::Text(t))) => {
                    return Some(serde_json::from_str(&t).expect("a JSON message"));
                }
                Some(Ok(Message::Close(frame))) => panic!("live connection closed: {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("live connection failed: {e}"),
                None => panic!("live connection ended"),
            }
        }
    }

    /// Subscribes to `topics` and waits for the confirmation.
    pub async fn subscribe(&mut self, topics: &[&str]) {
        use futures::SinkExt;
        let msg = json!({ "type": "subscribe", "topics": topics });
        self.ws
            .send(tokio_tungstenite::tungstenite::Message::text(
                msg.to_string(),
            ))
            .await
            .expect("send subscribe");
        while self.next(Duration::from_secs(10)).await["type"] != "subscribed" {}
    }

    /// Waits (at most `within` in all) for an event whose body satisfies `pred`
    /// and returns that event.
    pub async fn event(&mut self, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        self.try_event(within, pred)
            .await
            .unwrap_or_else(|| panic!("the expected live event did not come within {within:?}"))
    }

    /// Like [`Self::event`], but `None` when no such event comes in time.
    pub async fn try_event(
        &mut self,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let m = self.try_next(left).await?;
            if m["type"] == "event" && pred(&m["event"]) {
                return Some(m["event"].clone());
            }
        }
    }
}
