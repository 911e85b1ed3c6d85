//! The audit writer: a bounded queue in front of a task that writes events in
//! batches, by size or every `flush_interval`, whichever comes first.
//!
//! A full queue makes `record` wait (backpressure) instead of dropping events.
//! A failed write is retried until it succeeds, so an event once queued is
//! written as long as the process lives; `shutdown` writes everything queued.
//!
//! An event queued with [`AuditWriter::record_committed`] survives the process
//! too: its caller learns when the batch holding it has committed. Such events
//! do not wait out `flush_interval`: their batch goes as soon as a write slot
//! is free, and while every slot is busy the next batch gathers whatever
//! arrives meanwhile (group commit). A waiting caller pays about one insert
//! round trip, and under load batches stay large.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use warden_tenancy::Db;

use crate::event::ActivityEvent;
use crate::{AuditError, store};

/// Writer settings.
#[derive(Clone, Debug)]
pub struct WriterConfig {
    /// Events the queue holds before `record` waits.
    pub capacity: usize,
    /// Most events per batch.
    pub batch_size: usize,
    /// Longest time an event waits for its batch.
    pub flush_interval: Duration,
    /// Batches written at the same time: a batch spends much of its time
    /// waiting on its commit, so a few in flight keep the database busy.
    pub writers: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            capacity: 65_536,
            batch_size: 2_000,
            flush_interval: Duration::from_millis(50),
            writers: 3,
        }
    }
}

/// Told when an event's batch has committed (`Ok`), or that the database
/// refused the event itself (`Err`: it is only in the log).
type Committed = oneshot::Sender<Result<(), AuditError>>;

enum Msg {
    /// An event, and whom to tell once it is stored.
    Event(Box<ActivityEvent>, Option<Committed>),
    /// Acknowledged once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

impl Msg {
    /// Whether someone waits on this message, so its batch should not linger.
    fn awaited(&self) -> bool {
        matches!(self, Msg::Event(_, Some(_)) | Msg::Flush(_))
    }
}

/// Counters and gauges of the writer, exported as metrics.
#[derive(Debug, Default)]
pub struct WriterMetrics {
    /// Events written.
    pub written: AtomicU64,
    /// Batches written.
    pub batches: AtomicU64,
    /// Failed batch writes (each retried).
    pub failures: AtomicU64,
    /// Events the database refused outright (logged in full, not stored).
    pub rejected: AtomicU64,
    /// Duration of the last batch write, microseconds.
    pub last_flush_us: AtomicU64,
    /// Longest batch write so far, microseconds.
    pub max_flush_us: AtomicU64,
    /// Sum of batch write durations, microseconds.
    pub total_flush_us: AtomicU64,
}

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Msg>,
    capacity: usize,
    metrics: Arc<WriterMetrics>,
}

/// Resolves once an event queued by [`AuditWriter::record_committed`] is
/// stored: `Ok` after its batch committed, `Err` when the database refused
/// the event itself or the writer stopped before writing it.
pub struct CommitHandle(oneshot::Receiver<Result<(), AuditError>>);

impl CommitHandle {
    /// Waits for the outcome.
    pub async fn committed(self) -> Result<(), AuditError> {
        self.0.await.map_err(|_| AuditError::Closed)?
    }
}

/// The writing task; `shutdown` drains it.
pub struct WriterTask {
    writer: AuditWriter,
    task: tokio::task::JoinHandle<()>,
}

impl AuditWriter {
    /// Starts the writing task on the current runtime.
    pub fn start(db: Db, config: WriterConfig) -> (Self, WriterTask) {
        let (tx, rx) = mpsc::channel(config.capacity.max(1));
        let metrics = Arc::new(WriterMetrics::default());
        let writer = Self {
            tx,
            capacity: config.capacity.max(1),
            metrics: metrics.clone(),
        };
        let task = tokio::spawn(run(db, config, rx, metrics));
        (writer.clone(), WriterTask { writer, task })
    }

    /// Queues an event, waiting while the queue is full.
    pub async fn record(&self, event: ActivityEvent) -> Result<(), AuditError> {
        self.tx
            .send(Msg::Event(Box::new(event), None))
            .await
            .map_err(|_| AuditError::Closed)
    }

    /// Queues an event (waiting while the queue is full) and returns a handle
    /// that resolves once the batch holding it has committed. Dropping the
    /// handle does not take the event back: it is written all the same.
    pub async fn record_committed(&self, event: ActivityEvent) -> Result<CommitHandle, AuditError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Msg::Event(Box::new(event), Some(tx)))
            .await
            .map_err(|_| AuditError::Closed)?;
        Ok(CommitHandle(rx))
    }

    /// Waits until everything queued so far is written.
    pub async fn flush(&self) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Msg::Flush(ack))
            .await
            .map_err(|_| AuditError::Closed)?;
        done.await.map_err(|_| AuditError::Closed)
    }

    /// Events waiting in the queue.
    pub fn queue_depth(&self) -> usize {
        self.capacity - self.tx.capacity()
    }

    /// Queue capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Counters.
    pub fn metrics(&self) -> &WriterMetrics {
        &self.metrics
    }
}

impl WriterTask {
    /// Writes everything queued, then stops the task. Call after the server
    /// has stopped taking requests. Gives up after `deadline` (the database
    /// being away) and says so, rather than hanging the shutdown.
    pub async fn shutdown(self, deadline: Duration) -> Result<(), AuditError> {
        let flushed = tokio::time::timeout(deadline, self.writer.flush()).await;
        self.task.abort();
        match flushed {
            Ok(result) => result,
            Err(_) => Err(AuditError::invalid(format!(
                "{} activity events were still queued when the shutdown deadline passed",
                self.writer.queue_depth()
            ))),
        }
    }
}

async fn run(
    db: Db,
    config: WriterConfig,
    mut rx: mpsc::Receiver<Msg>,
    metrics: Arc<WriterMetrics>,
) {
    let writers = config.writers.max(1);
    let mut inbox = Vec::with_capacity(config.batch_size);
    let mut writes = tokio::task::JoinSet::new();
    loop {
        if rx.recv_many(&mut inbox, config.batch_size).await == 0 {
            while let Some(done) = writes.join_next().await {
                check(done);
            }
            return; // every sender is gone
        }
        // Unless someone waits on it, give the batch until the interval ends
        // to fill up.
        let mut awaited = inbox.iter().any(Msg::awaited);
        let deadline = tokio::time::Instant::now() + config.flush_interval;
        while !awaited && inbox.len() < config.batch_size {
            let (before, room) = (inbox.len(), config.batch_size - inbox.len());
            match tokio::time::timeout_at(deadline, rx.recv_many(&mut inbox, room)).await {
                Ok(0) | Err(_) => break,
                Ok(_) => awaited = inbox[before..].iter().any(Msg::awaited),
            }
        }
        // Wait for a free write slot; what arrives meanwhile joins this batch
        // (group commit: batches form while earlier ones are being written).
        while writes.len() >= writers {
            let room = config.batch_size - inbox.len();
            if room == 0 {
                if let Some(done) = writes.join_next().await {
                    check(done);
                }
                continue;
            }
            tokio::select! {
                biased;
                Some(done) = writes.join_next() => check(done),
                n = rx.recv_many(&mut inbox, room) => {
                    if n == 0 && let Some(done) = writes.join_next().await {
                        check(done); // closed: nothing more will come
                    }
                }
            }
        }
        let mut events = Vec::with_capacity(inbox.len());
        let mut waiters = Vec::new();
        let mut acks = Vec::new();
        for msg in inbox.drain(..) {
            match msg {
                Msg::Event(e, waiter) => {
                    if let Some(w) = waiter {
                        waiters.push((events.len(), w));
                    }
                    events.push(*e);
                }
                Msg::Flush(ack) => acks.push(ack),
            }
        }
        if !events.is_empty() {
            let (db, metrics) = (db.clone(), metrics.clone());
            writes.spawn(async move {
                let refused = write_with_retry(&db, &events, &metrics).await;
                for (i, waiter) in waiters {
                    let outcome = match refused.get(&i) {
                        None => Ok(()),
                        Some(e) => Err(AuditError::invalid(format!(
                            "the database refused the activity event: {e}"
                        ))),
                    };
                    let _ = waiter.send(outcome);
                }
            });
        }
        if !acks.is_empty() {
            // A flush is answered once everything queued before it is written.
            while let Some(done) = writes.join_next().await {
                check(done);
            }
            for ack in acks {
                let _ = ack.send(());
            }
        }
    }
}

/// A write task that panicked lost its batch: say so loudly.
fn check(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        tracing::error!(error = %e, "an audit write task failed; its batch is lost");
    }
}

/// Whether the database refused the data itself (a constraint, a bad value):
/// retrying cannot help. Anything else (connections, timeouts, failover) is
/// temporary and retried until it succeeds.
fn is_permanent(e: &AuditError) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error as D};
    match e {
        AuditError::Refused(warden_tenancy::Rejection::Invalid(_)) => true,
        AuditError::Tenancy(warden_tenancy::TenancyError::RlsViolation) => true,
        AuditError::Tenancy(warden_tenancy::TenancyError::Database(D::DatabaseError(
            kind,
            info,
        ))) => {
            matches!(kind, K::UniqueViolation | K::ForeignKeyViolation | K::NotNullViolation | K::CheckViolation)
                // SQLSTATE class 22: data exceptions (bad values), known by
                // their messages since the driver does not pass the code on.
                || ["invalid input", "invalid byte sequence", "unsupported Unicode", "out of range", "too long"]
                    .iter()
                    .any(|m| info.message().contains(m))
        }
        AuditError::Tenancy(warden_tenancy::TenancyError::Database(
            D::SerializationError(_) | D::QueryBuilderError(_),
        )) => true,
        _ => false,
    }
}

/// Writes a batch; returns the events the database refused (by index in
/// `events`, with the reason), which are only in the log.
async fn write_with_retry(
    db: &Db,
    events: &[ActivityEvent],
    metrics: &WriterMetrics,
) -> BTreeMap<usize, String> {
    let n = u64::try_from(events.len()).unwrap_or(u64::MAX);
    let started = Instant::now();
    let mut refused = BTreeMap::new();
    match write_until_done(db, events, metrics, false).await {
        Ok(()) => {
            let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            metrics.written.fetch_add(n, Ordering::Relaxed);
            metrics.batches.fetch_add(1, Ordering::Relaxed);
            metrics.last_flush_us.store(us, Ordering::Relaxed);
            metrics.max_flush_us.fetch_max(us, Ordering::Relaxed);
            metrics.total_flush_us.fetch_add(us, Ordering::Relaxed);
        }
        Err(e) => {
            // The batch holds an event the database refuses: write the others
            // one by one, so one bad event cannot stop the log.
            tracing::warn!(error = %e, events = n, "audit batch refused; writing its events one by one");
            for (i, event) in events.iter().enumerate() {
                // Part of the batch may be stored already (tenant and platform
                // rows go in separate transactions): those are not refusals.
                match write_until_done(db, std::slice::from_ref(event), metrics, true).await {
                    Ok(()) => {
                        metrics.written.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        metrics.rejected.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(error = %e, id = %event.id, event = ?event, "activity event refused by the database; kept in this log line only");
                        refused.insert(i, e.to_string());
                    }
                }
            }
        }
    }
    refused
}

/// Writes `events`, retrying temporary failures however long they last (the
/// queue fills meanwhile and holds requests back); returns permanent refusals.
/// Inserts ignore rows already written, so a retry after a half-done attempt
/// does not fail on them.
async fn write_until_done(
    db: &Db,
    events: &[ActivityEvent],
    metrics: &WriterMetrics,
    mut skip_existing: bool,
) -> Result<(), AuditError> {
    let mut backoff = Duration::from_millis(50);
    // A failure may come after the commit (a lost connection): later attempts
    // skip rows already stored. A first attempt need not pay for that check.
    loop {
        match store::insert_batch(db, events, skip_existing).await {
            Ok(()) => return Ok(()),
            Err(e) if is_permanent(&e) => return Err(e),
            Err(e) => {
                metrics.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, events = events.len(), "audit write failed; retrying");
                skip_existing = true;
                tokio::time::sleep(backoff).await;
                // Requests may be waiting on this batch: retry at least every
                // second, so they learn soon after the database is back.
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
}
