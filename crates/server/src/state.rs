//! Shared application state.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::sync::Cache;
use uuid::Uuid;
use warden_commerce::users::{Identity, UserRef};
use warden_tenancy::{Db, TenantId, TenantRegistry};

use warden_quotas::limiter::{RateLimiter, RedisStore, SystemClock};
use warden_quotas::limits::LimitsStore;
use warden_quotas::usage::UsageRecorder;

use warden_audit::hub::Hub;
use warden_audit::writer::{AuditWriter, WriterTask};

use warden_moderation::Moderator;
use warden_moderation::inference::PoolConfig;

use crate::auth::Verifier;
use crate::config::Config;

/// How long a resolved user row is trusted. A status change made through this
/// process evicts it at once; one made through another replica shows within this time.
pub const USER_CACHE_TTL: Duration = Duration::from_secs(10);

/// Tasks that outlive requests.
struct Background {
    writer_task: WriterTask,
    listener: tokio::task::JoinHandle<()>,
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
    pub users: Cache<(TenantId, String), (Identity, UserRef)>,
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
    /// Content moderation.
    pub moderator: Moderator,
    /// Background tasks to stop at shutdown.
    background: Arc<Mutex<Option<Background>>>,
    /// Configuration.
    pub config: Arc<Config>,
}

impl AppState {
    /// Builds the state from configuration; the pool connects lazily.
    pub fn new(config: Config) -> anyhow::Result<Self> {
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
        let jobs = config.moderation.run_jobs.then(|| {
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let task = tokio::spawn(crate::jobs::run(
                db.clone(),
                moderator.clone(),
                stopped,
                None,
            ));
            (stop, task)
        });
        Ok(Self {
            audit,
            hub,
            background: Arc::new(Mutex::new(Some(Background {
                writer_task,
                listener,
                jobs,
            }))),
            moderator,
            limits: LimitsStore::new(db.clone()),
            limiter: Arc::new(limiter),
            usage: Arc::new(UsageRecorder::new(db.clone())),
            tenants: TenantRegistry::new(db.clone()),
            db,
            verifier: Arc::new(verifier),
            users: Cache::builder()
                .max_capacity(200_000)
                .time_to_live(USER_CACHE_TTL)
                .build(),
            config: Arc::new(config),
        })
    }

    /// Forgets the cached row of user `id` in `tenant` (after its status changed).
    pub fn forget_user(&self, tenant: TenantId, id: Uuid) {
        let stale: Vec<(TenantId, String)> = self
            .users
            .iter()
            .filter(|(k, v)| k.0 == tenant && v.1.id == id)
            .map(|(k, _)| (*k).clone())
            .collect();
        for k in stale {
            self.users.invalidate(&k);
        }
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
            if let Err(e) = b.writer_task.shutdown(self.config.shutdown_timeout).await {
                tracing::error!(error = %e, "activity log did not drain");
            }
        }
    }
}
