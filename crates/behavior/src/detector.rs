//! Real-time detection: every activity event of the request path is handed
//! to the detector (a bounded queue: a full queue makes the request wait, it
//! never drops events) and evaluated against its tenant's enabled patterns.
//! Window counts and cooldowns live in the [`WindowStore`] — Redis when
//! several replicas run, so each replica evaluates the events it served and
//! all of them count together.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use warden_audit::ActivityEvent;
use warden_tenancy::{Db, ScopedFutureExt, TenantId};

use crate::BehaviorError;
use crate::detections::{self, Detection, Origin};
use crate::effects::DetectionEffects;
use crate::engine::Engine;
use crate::operators::Operators;
use crate::store;
use crate::windows::WindowStore;

/// How long a tenant's compiled patterns are reused before they are read
/// again (a change through this replica is seen at once).
pub const PATTERN_TTL: Duration = Duration::from_secs(5);

/// A snapshot of system metrics kept as evidence with each detection.
pub type SystemMetrics = Arc<dyn Fn() -> serde_json::Value + Send + Sync>;

/// Counters of the detector, exported as metrics.
#[derive(Debug, Default)]
pub struct DetectorMetrics {
    /// Events evaluated.
    pub evaluated: AtomicU64,
    /// Detections recorded.
    pub detections: AtomicU64,
    /// Evaluations that failed (logged; the event stays in the activity log).
    pub failures: AtomicU64,
    /// Sum of time from an event's creation to its evaluation, microseconds.
    pub lag_us_total: AtomicU64,
}

enum Msg {
    Event(TenantId, Box<ActivityEvent>),
    Drain(oneshot::Sender<()>),
}

struct Inner {
    db: Db,
    windows: Arc<dyn WindowStore>,
    operators: Arc<Operators>,
    effects: Arc<dyn DetectionEffects>,
    engines: moka::future::Cache<TenantId, Arc<Engine>>,
    /// Bumped by every pattern change, so an engine read before a change is
    /// not cached after it.
    generation: AtomicU64,
    system: SystemMetrics,
    metrics: DetectorMetrics,
    capacity: usize,
}

/// The sending side and the evaluator; cheap to clone.
#[derive(Clone)]
pub struct Detector {
    tx: mpsc::Sender<Msg>,
    inner: Arc<Inner>,
}

impl Detector {
    /// Starts the evaluating task on the current runtime; detections have
    /// `effects` in other domains.
    pub fn start(
        db: Db,
        windows: Arc<dyn WindowStore>,
        operators: Arc<Operators>,
        effects: Arc<dyn DetectionEffects>,
        system: SystemMetrics,
        capacity: usize,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let inner = Arc::new(Inner {
            db,
            windows,
            operators,
            effects,
            engines: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(PATTERN_TTL)
                .build(),
            generation: AtomicU64::new(0),
            system,
            metrics: DetectorMetrics::default(),
            capacity: capacity.max(1),
        });
        let detector = Self { tx, inner };
        let task = tokio::spawn(run(detector.clone(), rx));
        (detector, task)
    }

    /// Queues an event of `tenant` for evaluation, waiting while the queue is full.
    pub async fn observe(&self, tenant: TenantId, event: ActivityEvent) {
        if self
            .tx
            .send(Msg::Event(tenant, Box::new(event)))
            .await
            .is_err()
        {
            tracing::warn!("behavior detector stopped; event not evaluated");
        }
    }

    /// Waits until every event queued so far is evaluated (shutdown, tests).
    pub async fn drain(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Drain(ack)).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Events waiting.
    pub fn queue_depth(&self) -> usize {
        self.inner.capacity - self.tx.capacity()
    }

    /// Counters.
    pub fn metrics(&self) -> &DetectorMetrics {
        &self.inner.metrics
    }

    /// The operators patterns may use.
    pub fn operators(&self) -> &Operators {
        &self.inner.operators
    }

    /// Forgets a tenant's compiled patterns after a change.
    pub async fn forget_patterns(&self, tenant: TenantId) {
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        self.inner.engines.invalidate(&tenant).await;
    }

    /// Creates a pattern ([`store::create`], checked against this detector's
    /// operators) and forgets the tenant's compiled patterns, so it applies
    /// from the next event.
    pub async fn create_pattern(
        &self,
        db: &Db,
        actor: &warden_tenancy::Actor,
        body: crate::pattern::PatternBody,
    ) -> Result<store::Pattern, BehaviorError> {
        let pattern = store::create(db, actor, self.operators(), body).await?;
        self.forget_patterns(actor.tenant).await;
        Ok(pattern)
    }

    /// Replaces a pattern ([`store::replace`]) and forgets the tenant's compiled patterns.
    pub async fn replace_pattern(
        &self,
        db: &Db,
        actor: &warden_tenancy::Actor,
        id: uuid::Uuid,
        body: crate::pattern::PatternBody,
    ) -> Result<store::Pattern, BehaviorError> {
        let pattern = store::replace(db, actor, self.operators(), id, body).await?;
        self.forget_patterns(actor.tenant).await;
        Ok(pattern)
    }

    /// Deletes a pattern ([`store::delete`]) and forgets the tenant's compiled patterns.
    pub async fn delete_pattern(
        &self,
        db: &Db,
        actor: &warden_tenancy::Actor,
        id: uuid::Uuid,
    ) -> Result<(), BehaviorError> {
        store::delete(db, actor, id).await?;
        self.forget_patterns(actor.tenant).await;
        Ok(())
    }

    async fn engine(&self, tenant: TenantId) -> Result<Arc<Engine>, BehaviorError> {
        if let Some(e) = self.inner.engines.get(&tenant).await {
            return Ok(e);
        }
        let generation = self.inner.generation.load(Ordering::SeqCst);
        let engine =
            Arc::new(store::load_engine(&self.inner.db, tenant, &self.inner.operators).await?);
        // A pattern changed while this was read: use it once, do not keep it.
        if self.inner.generation.load(Ordering::SeqCst) == generation {
            self.inner.engines.insert(tenant, Arc::clone(&engine)).await;
        }
        Ok(engine)
    }

    /// Evaluates one event now and records what fires.
    pub async fn evaluate(
        &self,
        tenant: TenantId,
        event: &ActivityEvent,
    ) -> Result<Vec<Detection>, BehaviorError> {
        let engine = self.engine(tenant).await?;
        if engine.is_empty() {
            return Ok(Vec::new());
        }
        let firings = engine
            .evaluate(tenant, event, self.inner.windows.as_ref())
            .await?;
        let mut recorded = Vec::new();
        for firing in firings {
            let name = engine.name_of(firing.pattern_id).to_owned();
            let mut metrics = (self.inner.system)();
            if let Some(m) = metrics.as_object_mut() {
                m.insert("detector_queue_depth".into(), self.queue_depth().into());
            }
            let detection = self
                .inner
                .db
                .tenant_tx(tenant, |conn| {
                    let (name, firing) = (&name, &firing);
                    async move {
                        detections::record_in_tx(
                            conn,
                            tenant,
                            name,
                            firing,
                            event,
                            metrics,
                            Origin::Realtime(self.inner.effects.as_ref()),
                        )
                        .await
                    }
                    .scope_boxed()
                })
                .await?;
            if let Some(d) = detection {
                self.inner
                    .metrics
                    .detections
                    .fetch_add(1, Ordering::Relaxed);
                recorded.push(d);
            }
        }
        Ok(recorded)
    }
}

async fn run(detector: Detector, mut rx: mpsc::Receiver<Msg>) {
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Event(tenant, event) => {
                let m = &detector.inner.metrics;
                if let Err(e) = detector.evaluate(tenant, &event).await {
                    m.failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, event = %event.id, "behavior evaluation failed");
                }
                m.evaluated.fetch_add(1, Ordering::Relaxed);
                let lag = chrono::Utc::now() - event.occurred_at;
                let lag_us = u64::try_from(lag.num_microseconds().unwrap_or(0)).unwrap_or(0);
                m.lag_us_total.fetch_add(lag_us, Ordering::Relaxed);
            }
            Msg::Drain(ack) => {
                let _ = ack.send(());
            }
        }
    }
}
