//! Shared application state.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::sync::Cache;
use uuid::Uuid;
use warden_identity::{Identity, UserRef};
use warden_tenancy::{Db, TenantId, TenantRegistry};

use warden_quotas::limiter::{RateLimiter, RedisStore};
use warden_quotas::limits::LimitsStore;
use warden_quotas::usage::UsageRecorder;

use warden_audit::hub::Hub;
use warden_audit::writer::{AuditWriter, WriterTask};

use warden_behavior::detector::{Detector, SystemMetrics};
use warden_behavior::operators::Operators;
use warden_behavior::windows::{MemoryWindows, RedisWindows, WindowStore};
use warden_moderation::Moderator;
use warden_moderation::inference::PoolConfig;
use warden_notifications::delivery::Providers;
use warden_notifications::email::{EmailConfig, EmailSender};
use warden_notifications::sms::SmsSender;
use warden_tenancy::clock::{Clock, SystemClock};

use crate::auth::Verifier;
use crate::config::Config;

/// How long a resolved user row is trusted. A status change made through this
/// process evicts it at once; one made through another replica shows within this time.
pub const USER_CACHE_TTL: Duration = Duration::from_secs(10);

/// Users already synced from their token: (tenant, subject) → (identity seen,
/// row, the lower per-minute request limit seller trust puts on the user).
pub type UserCache = Cache<(TenantId, String), (Identity, UserRef, Option<u64>)>;

/// Forgets the cached row of user `id` in `tenant` (after its status changed).
/// Walks the cache: status changes are rare next to lookups.
pub fn forget_user(users: &UserCache, tenant: TenantId, id: Uuid) {
    let stale: Vec<(TenantId, String)> = users
        .iter()
        .filter(|(k, v)| k.0 == tenant && v.1.id == id)
        .map(|(k, _)| (*k).clone())
        .collect();
    for k in stale {
        users.invalidate(&k);
    }
}

/// The notification providers the configuration names.
fn providers(config: &Config) -> anyhow::Result<Providers> {
    let n = &config.notifications;
    Ok(Providers {
        email: n
            .smtp_url
            .as_ref()
            .map(|url| {
                EmailSender::new(EmailConfig {
                    smtp_url: url.clone(),
                    from_default: n.smtp_from.clone(),
                })
            })
            .transpose()?,
        sms: n.twilio.clone().map(SmsSender::new).transpose()?,
        callback_base: n.public_base_url.clone(),
    })
}

/// What a detection records about the system at the time.
fn system_metrics(audit: AuditWriter) -> SystemMetrics {
    Arc::new(move || {
        let load = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok());
        serde_json::json!({
            "audit_queue_depth": audit.queue_depth(),
            "load_average_1m": load,
        })
    })
}

/// Tasks that outlive requests.
struct Background {
    writer_task: WriterTask,
    listener: tokio::task::JoinHandle<()>,
    detector_task: tokio::task::JoinHandle<()>,
    jobs: Option<(
        tokio::sync::watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    )>,
}

/// Everything handlers and middleware share.
#[derive(Clone)]
pub struct AppState {
    /// Runtime pool.
    pub db: Db,
    /// Tenants.
    pub tenants: TenantRegistry,
    /// Token verification.
    pub verifier: Arc<Verifier>,
    /// Users already synced from their token: (tenant, subject) → (identity seen, row).
    pub users: UserCache,
    /// Per-tenant limits (cached).
    pub limits: LimitsStore,
    /// The rate limiter.
    pub limiter: Arc<RateLimiter>,
    /// API call metering.
    pub usage: Arc<UsageRecorder>,
    /// Activity-log writer.
    pub audit: AuditWriter,
    /// Live events.
    pub hub: Hub,
    /// Open live connections, against their caps.
    pub live_slots: Arc<crate::live_slots::LiveSlots>,
    /// Content moderation.
    pub moderator: Moderator,
    /// Real-time behavior detection.
    pub detector: Detector,
    /// Email and SMS providers of notification deliveries.
    pub providers: Providers,
    /// Tenants whose rate-limit abuse was reported in the last minute.
    pub abuse_reported: Cache<TenantId, ()>,
    /// The time enforcement runs on (bans start and end by it).
    pub clock: Arc<dyn Clock>,
    /// The per-client limiter in front of authentication.
    pub pre_auth: Arc<crate::pre_auth::PreAuth>,
    /// Background tasks to stop at shutdown.
    background: Arc<Mutex<Option<Background>>>,
    /// Configuration.
    pub config: Arc<Config>,
}

impl AppState {
    /// Builds the state from configuration; the pool connects lazily.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// Builds the state with enforcement running on `clock` (tests move it).
    pub fn with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let db = Db::connect(&config.database_url, config.database_pool_size)?;
        let verifier = Verifier::new(&config.jwt).map_err(anyhow::Error::msg)?;
        let limiter = match &config.rate_limit.redis_url {
            Some(url) => RateLimiter::with_redis(
                RedisStore::new(url, "warden:rl")?,
                config.rate_limit.fail_mode,
                Arc::new(SystemClock),
            ),
            None => RateLimiter::in_process(Arc::new(SystemClock)),
        };
        let (audit, writer_task) = AuditWriter::start(db.clone(), config.audit.writer.clone());
        let windows: Arc<dyn WindowStore> = match &config.behavior.redis_url {
            Some(url) => Arc::new(RedisWindows::new(url, &config.behavior.redis_prefix)?),
            None => Arc::new(MemoryWindows::new()),
        };
        let (detector, detector_task) = Detector::start(
            db.clone(),
            windows,
            Arc::new(Operators::builtin()),
            Arc::new(crate::wiring::CrossDomainEffects),
            system_metrics(audit.clone()),
            config.behavior.queue,
        );
        let hub = Hub::new(config.live.resume_buffer);
        let listener = hub.listen(config.database_url.clone(), db.clone());
        let moderator = Moderator::start(
            config.moderation.paths.clone(),
            PoolConfig {
                workers: config.moderation.workers,
                max_batch: config.moderation.max_batch,
                ..PoolConfig::default()
            },
        )?;
        let providers = providers(&config)?;
        let users = Cache::builder()
            .max_capacity(200_000)
            .time_to_live(USER_CACHE_TTL)
            .build();
        let jobs = config.moderation.run_jobs.then(|| {
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let task = tokio::spawn(crate::jobs::run(
                crate::jobs::Runner {
                    db: db.clone(),
                    moderator: moderator.clone(),
                    clock: clock.clone(),
                    users: users.clone(),
                    providers: providers.clone(),
                    retry_base: config.notifications.retry_base,
                    retry_max: config.notifications.retry_max,
                    evidence_retention_days: config.moderation.evidence_retention_days,
                },
                stopped,
                None,
            ));
            (stop, task)
        });
        Ok(Self {
            clock,
            detector,
            providers,
            abuse_reported: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
            audit,
            hub,
            live_slots: crate::live_slots::LiveSlots::new(
                config.live.max_per_user,
                config.live.max_per_tenant,
            ),
            background: Arc::new(Mutex::new(Some(Background {
                writer_task,
                listener,
                detector_task,
                jobs,
            }))),
            moderator,
            limits: LimitsStore::new(db.clone()),
            limiter: Arc::new(limiter),
            pre_auth: Arc::new(crate::pre_auth::PreAuth::new(&config)),
            usage: Arc::new(UsageRecorder::new(db.clone())),
            tenants: TenantRegistry::new(db.clone()),
            db,
            verifier: Arc::new(verifier),
            users,
            config: Arc::new(config),
        })
    }

    /// A job runner sharing this state's pool, models, clock and user cache.
    pub fn job_runner(&self) -> crate::jobs::Runner {
        crate::jobs::Runner {
            db: self.db.clone(),
            moderator: self.moderator.clone(),
            clock: self.clock.clone(),
            users: self.users.clone(),
            providers: self.providers.clone(),
            retry_base: self.config.notifications.retry_base,
            retry_max: self.config.notifications.retry_max,
            evidence_retention_days: self.config.moderation.evidence_retention_days,
        }
    }

    /// Forgets the cached row of user `id` in `tenant` (after its status changed).
    pub fn forget_user(&self, tenant: TenantId, id: Uuid) {
        forget_user(&self.users, tenant, id);
    }

    /// Graceful shutdown, after the server stopped taking requests: ends live
    /// subscriptions and writes every queued activity event.
    pub async fn shutdown(&self) {
        self.hub.close();
        let background = self
            .background
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(b) = background {
            b.listener.abort();
            if let Some((stop, task)) = b.jobs {
                let _ = stop.send(true);
                if tokio::time::timeout(self.config.shutdown_timeout, task)
                    .await
                    .is_err()
                {
                    tracing::warn!(
                        "background job still running at shutdown; its lease will lapse and another replica resumes it"
                    );
                }
            }
            // Events already queued are evaluated (their detections written) first.
            if tokio::time::timeout(self.config.shutdown_timeout, self.detector.drain())
                .await
                .is_err()
            {
                tracing::warn!("behavior detector did not drain in time");
            }
            b.detector_task.abort();
            if let Err(e) = b.writer_task.shutdown(self.config.shutdown_timeout).await {
                tracing::error!(error = %e, "activity log did not drain");
            }
        }
    }
}
