//! Configuration from environment variables (and `.env`, loaded by `main`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

/// Which log output to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Token verification settings.
#[derive(Clone, Debug)]
pub struct JwtConfig {
    /// Secret for HS256 tokens (development and tests).
    pub hs256_secret: Option<String>,
    /// JWKS document for RS256/ES256 tokens of an external identity provider.
    pub jwks_url: Option<String>,
    /// Required `iss`, when set.
    pub issuer: Option<String>,
    /// Required `aud`, when set.
    pub audience: Option<String>,
    /// Claim (dotted path) holding the tenant id.
    pub tenant_claim: String,
    /// Claim (dotted path) holding the roles.
    pub roles_claim: String,
    /// Longest token lifetime accepted (`exp - iat`, or `exp - now` without
    /// `iat`), in seconds; `warden token` mints no longer.
    pub max_lifetime_secs: u64,
}

/// Default of `JWT_MAX_LIFETIME_SECS`: a day.
pub const DEFAULT_JWT_MAX_LIFETIME_SECS: u64 = 86_400;

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            hs256_secret: None,
            jwks_url: None,
            issuer: None,
            audience: None,
            tenant_claim: String::new(),
            roles_claim: String::new(),
            max_lifetime_secs: DEFAULT_JWT_MAX_LIFETIME_SECS,
        }
    }
}

/// Everything the server reads from its environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// Runtime role's database URL.
    pub database_url: String,
    /// Admin URL used by `warden migrate`.
    pub database_admin_url: String,
    /// Connections in the pool.
    pub database_pool_size: usize,
    /// Listen address.
    pub bind_addr: SocketAddr,
    /// Token settings.
    pub jwt: JwtConfig,
    /// Log output.
    pub log_format: LogFormat,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Longest a request body may take to arrive, from the moment its head
    /// was read (`BODY_READ_TIMEOUT_SECS`); slower ones get 408.
    pub body_read_timeout: Duration,
    /// Longest a request head may take to arrive (`HEADER_READ_TIMEOUT_SECS`).
    pub header_read_timeout: Duration,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, IPs and
    /// CIDRs): the client of a request is its peer, or when the peer is one of
    /// these, the right-most address of `X-Forwarded-For` that is not.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// ReDoc's standalone bundle, served at `/redoc/redoc.standalone.js`.
    pub redoc_js_path: PathBuf,
    /// The built staff dashboard (`dashboard/dist`), served at `/dashboard/`.
    pub dashboard_dir: PathBuf,
    /// How long shutdown waits for in-flight work.
    pub shutdown_timeout: Duration,
    /// HTTP worker threads (each serves its share of connections).
    pub http_workers: usize,
    /// Rate limiting and usage metering.
    pub rate_limit: RateLimitConfig,
    /// Activity log.
    pub audit: AuditConfig,
    /// Live events over WebSockets.
    pub live: LiveConfig,
    /// Content moderation models and workers.
    pub moderation: ModerationConfig,
    /// Real-time behavior detection.
    pub behavior: BehaviorConfig,
    /// Notification providers and delivery retries.
    pub notifications: NotificationsConfig,
    /// Throttles of one-time verification codes.
    pub verification: warden_trust::verifications::CodeLimits,
}

/// Notification settings.
#[derive(Clone, Debug)]
pub struct NotificationsConfig {
    /// SMTP server (`SMTP_URL`, e.g. `smtp://127.0.0.1:2525` or
    /// `smtps://user:pass@smtp.example.com`); email deliveries fail with
    /// `not_configured` without it.
    pub smtp_url: Option<String>,
    /// Default sender (`SMTP_FROM`); tenants may set their own.
    pub smtp_from: String,
    /// Twilio (`TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_FROM` or
    /// `TWILIO_MESSAGING_SERVICE_SID`, `TWILIO_BASE_URL`).
    pub twilio: Option<warden_notifications::sms::TwilioConfig>,
    /// Public base URL of this API (`PUBLIC_BASE_URL`), for Twilio status callbacks.
    pub public_base_url: Option<String>,
    /// First retry delay of a failed delivery (`NOTIFY_RETRY_BASE_MS`), doubled per attempt.
    pub retry_base: Duration,
    /// Longest retry delay (`NOTIFY_RETRY_MAX_SECS`).
    pub retry_max: Duration,
}

impl NotificationsConfig {
    fn from_env() -> Result<Self, ConfigError> {
        let twilio = match (var("TWILIO_ACCOUNT_SID"), var("TWILIO_AUTH_TOKEN")) {
            (Some(account_sid), Some(auth_token)) => {
                let from = var("TWILIO_FROM");
                let messaging_service_sid = var("TWILIO_MESSAGING_SERVICE_SID");
                if from.is_none() && messaging_service_sid.is_none() {
                    return Err(ConfigError(
                        "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is needed with TWILIO_ACCOUNT_SID".into(),
                    ));
                }
                Some(warden_notifications::sms::TwilioConfig {
                    account_sid,
                    auth_token,
                    from,
                    messaging_service_sid,
                    base_url: var("TWILIO_BASE_URL")
                        .unwrap_or_else(|| "https://api.twilio.com".into()),
                    status_callback: None,
                })
            }
            (None, None) => None,
            _ => {
                return Err(ConfigError(
                    "set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither".into(),
                ));
            }
        };
        Ok(Self {
            smtp_url: var("SMTP_URL"),
            smtp_from: var("SMTP_FROM").unwrap_or_else(|| "Warden <no-reply@localhost>".into()),
            twilio,
            public_base_url: var("PUBLIC_BASE_URL"),
            retry_base: Duration::from_millis(parsed("NOTIFY_RETRY_BASE_MS", 2000u64)?.max(1)),
            retry_max: Duration::from_secs(parsed("NOTIFY_RETRY_MAX_SECS", 600u64)?.max(1)),
        })
    }
}

/// Behavior-detection settings.
#[derive(Clone, Debug)]
pub struct BehaviorConfig {
    /// Whether activity is evaluated against behavior patterns (`BEHAVIOR=off` to stop).
    pub enabled: bool,
    /// Events waiting for evaluation before requests wait (`BEHAVIOR_QUEUE`).
    pub queue: usize,
    /// Redis for window counters and cooldowns shared by replicas (`REDIS_URL`);
    /// without it, windows are per process.
    pub redis_url: Option<String>,
    /// Prefix of the Redis keys (`BEHAVIOR_REDIS_PREFIX`).
    pub redis_prefix: String,
}

/// Content-moderation settings.
#[derive(Clone, Debug)]
pub struct ModerationConfig {
    /// Model files.
    pub paths: warden_moderation::models::ModelPaths,
    /// Inference threads, each with its own sessions.
    pub workers: usize,
    /// Most texts run together.
    pub max_batch: usize,
    /// Whether this process runs background jobs (rescans).
    pub run_jobs: bool,
}

/// Activity-log settings.
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// Whether requests are recorded (`AUDIT=off` for benchmarks only).
    pub enabled: bool,
    /// Writer queue and batching.
    pub writer: warden_audit::writer::WriterConfig,
    /// Days of activity kept.
    pub retention_days: i32,
    /// Longest a response waits for its activity row to commit; past it the
    /// client gets 503 `audit_unavailable` instead (the row is still written
    /// once the database takes it).
    pub commit_timeout: Duration,
}

/// WebSocket and hub settings.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// Seconds between server pings.
    pub ping_interval: Duration,
    /// A connection silent this long is closed.
    pub timeout: Duration,
    /// Events waiting for one connection before it counts as a slow consumer.
    pub connection_queue: usize,
    /// Recent events kept per tenant for resume.
    pub resume_buffer: usize,
    /// Live connections one user may hold open on this replica (`WS_MAX_PER_USER`).
    pub max_per_user: usize,
    /// Live connections one tenant may hold open on this replica (`WS_MAX_PER_TENANT`).
    pub max_per_tenant: usize,
}

/// Rate-limit settings.
#[derive(Clone, Debug)]
pub struct RateLimitConfig {
    /// Whether tenant routes are rate limited at all (`RATE_LIMIT=off` for benchmarks).
    pub enabled: bool,
    /// Shared Redis for the limiter; in process when unset.
    pub redis_url: Option<String>,
    /// What to do when Redis is unreachable.
    pub fail_mode: warden_quotas::limiter::FailMode,
    /// How often usage counts are written to the database.
    pub usage_flush_interval: Duration,
    /// Share of the tenant's minute window one user may use when the tenant
    /// set no per-user limit (`USER_RATE_SHARE_PERCENT`, 1 to 100; 100 is no
    /// default per-user limit). Staff are not held to it.
    pub user_share_percent: u8,
    /// Requests per minute of one client IP before authentication (`PRE_AUTH_PER_MINUTE`).
    pub pre_auth_per_minute: std::num::NonZeroU32,
    /// Failed authentications per minute of one client IP before all its
    /// requests are refused (`PRE_AUTH_FAILURES_PER_MINUTE`).
    pub pre_auth_failures_per_minute: std::num::NonZeroU32,
}

/// Default runtime URL.
pub const DEFAULT_DATABASE_URL: &str = "postgres://warden_app@127.0.0.1:5432/warden";
/// Default admin URL.
pub const DEFAULT_DATABASE_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/warden";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ConfigError(format!("{name}={v:?} is not valid"))),
    }
}

/// `TRUSTED_PROXIES`: IPs and CIDRs, separated by commas or spaces.
fn trusted_proxies() -> Result<Vec<ipnet::IpNet>, ConfigError> {
    let Some(list) = var("TRUSTED_PROXIES") else {
        return Ok(Vec::new());
    };
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    ConfigError(format!(
                        "TRUSTED_PROXIES: {s:?} is neither an IP address nor a CIDR"
                    ))
                })
        })
        .collect()
}

fn on_off(name: &str) -> Result<bool, ConfigError> {
    match var(name).as_deref() {
        None | Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => Err(ConfigError(format!("{name}={other:?}: use on or off"))),
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let log_format = match var("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError(format!(
                    "LOG_FORMAT={other:?}: use text or json"
                )));
            }
        };
        let jwt = JwtConfig {
            hs256_secret: var("JWT_HS256_SECRET"),
            jwks_url: var("JWT_JWKS_URL"),
            issuer: var("JWT_ISSUER"),
            audience: var("JWT_AUDIENCE"),
            tenant_claim: var("JWT_TENANT_CLAIM").unwrap_or_else(|| "tenant_id".into()),
            roles_claim: var("JWT_ROLES_CLAIM").unwrap_or_else(|| "roles".into()),
            max_lifetime_secs: parsed("JWT_MAX_LIFETIME_SECS", DEFAULT_JWT_MAX_LIFETIME_SECS)?,
        };
        // Beyond i64 seconds the lifetime arithmetic would overflow; no real
        // token lives that long anyway.
        if jwt.max_lifetime_secs == 0 || i64::try_from(jwt.max_lifetime_secs).is_err() {
            return Err(ConfigError(
                "JWT_MAX_LIFETIME_SECS must be a positive number of seconds".into(),
            ));
        }
        if jwt.hs256_secret.as_ref().is_some_and(|s| s.len() < 8) {
            return Err(ConfigError(
                "JWT_HS256_SECRET must be at least 8 bytes".into(),
            ));
        }
        let max_body_bytes = parsed("MAX_BODY_BYTES", 1_048_576usize)?;
        if max_body_bytes == 0 {
            return Err(ConfigError("MAX_BODY_BYTES must be positive".into()));
        }
        let user_share_percent = parsed("USER_RATE_SHARE_PERCENT", 20u8)?;
        if !(1..=100).contains(&user_share_percent) {
            return Err(ConfigError(
                "USER_RATE_SHARE_PERCENT must be between 1 and 100".into(),
            ));
        }
        let positive = |name: &str, default: u32| {
            std::num::NonZeroU32::new(parsed(name, default)?)
                .ok_or_else(|| ConfigError(format!("{name} must be positive")))
        };
        Ok(Self {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            database_admin_url: var("DATABASE_ADMIN_URL")
                .unwrap_or_else(|| DEFAULT_DATABASE_ADMIN_URL.into()),
            database_pool_size: parsed("DATABASE_POOL_SIZE", 16usize)?.max(1),
            bind_addr: parsed("BIND_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080)))?,
            jwt,
            log_format,
            max_body_bytes,
            body_read_timeout: Duration::from_secs(parsed("BODY_READ_TIMEOUT_SECS", 10u64)?.max(1)),
            header_read_timeout: Duration::from_secs(
                parsed("HEADER_READ_TIMEOUT_SECS", 10u64)?.max(1),
            ),
            trusted_proxies: trusted_proxies()?,
            redoc_js_path: var("REDOC_JS_PATH").map(PathBuf::from).unwrap_or_else(|| {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../vendor/redoc/redoc.standalone.js"
                ))
            }),
            dashboard_dir: var("DASHBOARD_DIR").map(PathBuf::from).unwrap_or_else(|| {
                PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../dashboard/dist"))
            }),
            shutdown_timeout: Duration::from_secs(parsed("SHUTDOWN_TIMEOUT_SECS", 30u64)?),
            http_workers: match parsed("HTTP_WORKERS", 0usize)? {
                0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
                n => n,
            },
            rate_limit: RateLimitConfig {
                enabled: on_off("RATE_LIMIT")?,
                redis_url: var("REDIS_URL"),
                fail_mode: var("RATE_LIMIT_FAIL_MODE")
                    .map(|v| {
                        v.parse()
                            .map_err(|e| ConfigError(format!("RATE_LIMIT_FAIL_MODE={e}")))
                    })
                    .transpose()?
                    .unwrap_or(warden_quotas::limiter::FailMode::Open),
                usage_flush_interval: Duration::from_millis(
                    parsed("USAGE_FLUSH_INTERVAL_MS", 2000u64)?.max(100),
                ),
                user_share_percent,
                pre_auth_per_minute: positive("PRE_AUTH_PER_MINUTE", 1200)?,
                pre_auth_failures_per_minute: positive("PRE_AUTH_FAILURES_PER_MINUTE", 30)?,
            },
            audit: AuditConfig {
                enabled: on_off("AUDIT")?,
                writer: warden_audit::writer::WriterConfig {
                    capacity: parsed("AUDIT_QUEUE_CAPACITY", 65_536usize)?.max(1),
                    batch_size: parsed("AUDIT_BATCH_SIZE", 2_000usize)?.clamp(1, 10_000),
                    flush_interval: Duration::from_millis(
                        parsed("AUDIT_FLUSH_INTERVAL_MS", 50u64)?.max(1),
                    ),
                    writers: parsed("AUDIT_WRITERS", 3usize)?.clamp(1, 16),
                },
                retention_days: parsed("AUDIT_RETENTION_DAYS", 90i32)?.max(1),
                commit_timeout: Duration::from_millis(
                    parsed("AUDIT_COMMIT_TIMEOUT_MS", 5000u64)?.max(1),
                ),
            },
            live: LiveConfig {
                ping_interval: Duration::from_secs(parsed("WS_PING_SECS", 20u64)?.max(1)),
                timeout: Duration::from_secs(parsed("WS_TIMEOUT_SECS", 60u64)?.max(2)),
                connection_queue: parsed("WS_QUEUE", 256usize)?.max(1),
                resume_buffer: parsed("WS_RESUME_BUFFER", 1_000usize)?.max(1),
                max_per_user: parsed("WS_MAX_PER_USER", 8usize)?.max(1),
                max_per_tenant: parsed("WS_MAX_PER_TENANT", 2_000usize)?.max(1),
            },
            moderation: ModerationConfig::from_env()?,
            behavior: BehaviorConfig {
                enabled: on_off("BEHAVIOR")?,
                queue: parsed("BEHAVIOR_QUEUE", 65_536usize)?.max(1),
                redis_url: var("REDIS_URL"),
                redis_prefix: var("BEHAVIOR_REDIS_PREFIX").unwrap_or_else(|| "warden:bh".into()),
            },
            notifications: NotificationsConfig::from_env()?,
            verification: verification_from_env()?,
        })
    }
}

/// Throttles of SMS verification codes (`VERIFY_SMS_PER_NUMBER_PER_HOUR`,
/// `VERIFY_SMS_NUMBERS_PER_STORE_PER_DAY`); 0 sends no phone codes at all.
fn verification_from_env() -> Result<warden_trust::verifications::CodeLimits, ConfigError> {
    let defaults = warden_trust::verifications::CodeLimits::default();
    Ok(warden_trust::verifications::CodeLimits {
        sms_per_number_per_hour: parsed(
            "VERIFY_SMS_PER_NUMBER_PER_HOUR",
            defaults.sms_per_number_per_hour,
        )?,
        sms_numbers_per_store_per_day: parsed(
            "VERIFY_SMS_NUMBERS_PER_STORE_PER_DAY",
            defaults.sms_numbers_per_store_per_day,
        )?,
    })
}

impl ModerationConfig {
    fn from_env() -> Result<Self, ConfigError> {
        let cache_dir = var("WARDEN_MODEL_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(warden_moderation::models::ModelPaths::default_cache_dir);
        Ok(Self {
            paths: warden_moderation::models::ModelPaths {
                models_dir: var("WARDEN_MODELS_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(Self::repo_models_dir),
                ort_dylib: var("ORT_DYLIB_PATH")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| cache_dir.join("libonnxruntime.so")),
                cache_dir,
            },
            workers: match parsed("MODERATION_WORKERS", 0usize)? {
                0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
                n => n,
            },
            max_batch: parsed("MODERATION_MAX_BATCH", 64usize)?.clamp(1, 256),
            run_jobs: on_off("BACKGROUND_JOBS")?,
        })
    }

    /// `models/` of the source tree this binary was built from.
    pub fn repo_models_dir() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models"))
    }
}
