//! The live event hub: per-tenant events with typed topics, for WebSocket
//! clients and for in-process consumers (the behavior engine).
//!
//! Every event travels through PostgreSQL `NOTIFY` on the channel
//! [`CHANNEL`], also on the replica that made it, so every replica delivers
//! the same events in the same way. Small events ride in the payload; activity
//! events and large events are stored in a table and announced by id.
//! Each replica's listener ([`Hub::listen`]) turns notifications back into
//! events and fans them out to local subscribers.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::schema::hub_events;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use uuid::Uuid;
use warden_tenancy::{Db, DbConn, ScopedFutureExt, TenantId};

use crate::AuditError;

/// The NOTIFY channel.
pub const CHANNEL: &str = "warden_events";
/// NOTIFY payloads must stay under 8,000 bytes; beyond this, events go by reference.
const INLINE_LIMIT: usize = 7000;
/// Ids per activity announcement (36 bytes each, well inside the payload limit).
const IDS_PER_NOTICE: usize = 150;
/// Connection settings of the listener, unless the database URL sets them. A
/// connection attempt made while PostgreSQL is going down can hang without
/// ever failing; bounded, the listener tries again. Keepalives find a
/// connection whose server vanished (a crash, not a close).
const LISTENER_PARAMS: [(&str, &str); 3] = [
    ("connect_timeout", "5"),
    ("keepalives", "1"),
    ("keepalives_idle", "10"),
];
/// Longest the listener takes to connect, set up its session and LISTEN.
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);

/// What an event is about. Clients subscribe to topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// API calls and audited changes.
    Activity,
    /// Behavior detections.
    Detection,
    /// Policy violations and sanctions.
    Violation,
    /// Notifications to staff.
    Notification,
    /// Moderation decisions.
    Moderation,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 5] = [
        Topic::Activity,
        Topic::Detection,
        Topic::Violation,
        Topic::Notification,
        Topic::Moderation,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of topics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Topics(u8);

impl Topics {
    /// Every topic.
    pub fn all() -> Self {
        Self::from(&Topic::ALL[..])
    }

    /// Whether `topic` is in the set.
    pub fn contains(self, topic: Topic) -> bool {
        self.0 & topic.bit() != 0
    }
}

impl Topics {
    /// The set held in a subscription's shared cell.
    fn load(cell: &AtomicUsize) -> Self {
        Self(u8::try_from(AtomicUsize::load(cell, Ordering::Relaxed)).unwrap_or(0))
    }
}

impl From<&[Topic]> for Topics {
    fn from(ts: &[Topic]) -> Self {
        Self(ts.iter().fold(0, |acc, t| acc | t.bit()))
    }
}

/// A live event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HubEvent {
    /// Event id (UUIDv7); clients resume after it with `last_event_id`.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// Topic.
    pub topic: Topic,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The event itself (for `activity`: an activity-log record).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// An event as handed to subscribers: the event, and the WebSocket frame for
/// it serialised once, however many connections send it.
#[derive(Debug)]
pub struct Delivery {
    /// The event.
    pub event: HubEvent,
    /// `{"type":"event","event":…}` as JSON text.
    pub frame: String,
    /// Order in which this process's hub took the event.
    pub seq: u64,
}

impl std::ops::Deref for Delivery {
    type Target = HubEvent;

    fn deref(&self) -> &HubEvent {
        &self.event
    }
}

/// A notification payload.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum Notice {
    Inline {
        event: HubEvent,
    },
    Stored {
        tenant_id: Uuid,
        topic: Topic,
        ids: Vec<Uuid>,
    },
}

async fn notify(conn: &mut DbConn, notice: &Notice) -> Result<(), AuditError> {
    let payload = serde_json::to_string(notice).map_err(|e| AuditError::invalid(e.to_string()))?;
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<diesel::sql_types::Text, _>(CHANNEL)
        .bind::<diesel::sql_types::Text, _>(payload)
        .execute(conn)
        .await?;
    Ok(())
}

/// The NOTIFY payloads that announce stored events by id, for writers that
/// send them themselves (the audit writer's ingest function).
pub(crate) fn stored_notices(
    tenant: TenantId,
    topic: Topic,
    ids: &[Uuid],
) -> Result<Vec<String>, AuditError> {
    ids.chunks(IDS_PER_NOTICE)
        .map(|chunk| {
            serde_json::to_string(&Notice::Stored {
                tenant_id: tenant.as_uuid(),
                topic,
                ids: chunk.to_vec(),
            })
            .map_err(|e| AuditError::invalid(e.to_string()))
        })
        .collect()
}

/// Publishes an event inside the caller's tenant transaction: it reaches
/// subscribers only if the transaction commits. Large events are stored in
/// `hub_events` and announced by reference.
pub async fn publish_in_tx(
    conn: &mut DbConn,
    tenant: TenantId,
    topic: Topic,
    data: serde_json::Value,
) -> Result<Uuid, AuditError> {
    let event = HubEvent {
        id: Uuid::now_v7(),
        tenant_id: tenant.as_uuid(),
        topic,
        occurred_at: Utc::now(),
        data,
    };
    let id = event.id;
    let inline = Notice::Inline { event };
    let size = serde_json::to_vec(&inline)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size <= INLINE_LIMIT {
        notify(conn, &inline).await?;
    } else {
        let Notice::Inline { event } = inline else {
            return Err(AuditError::invalid("unreachable"));
        };
        diesel::insert_into(hub_events::table)
            .values((
                hub_events::tenant_id.eq(event.tenant_id),
                hub_events::id.eq(event.id),
                hub_events::topic.eq(serde_json::to_value(topic)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()),
                hub_events::data.eq(event.data),
            ))
            .execute(conn)
            .await?;
        notify(
            conn,
            &Notice::Stored {
                tenant_id: tenant.as_uuid(),
                topic,
                ids: vec![id],
            },
        )
        .await?;
    }
    Ok(id)
}

/// Decides whether a subscription may receive an event, beyond its tenant
/// and topics (e.g. a notification only for its recipient). The hub asks it
/// for live deliveries and for replays alike, so both send the same events.
pub type Admit = Arc<dyn Fn(&HubEvent) -> bool + Send + Sync>;

/// Why a subscription ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The subscriber did not keep up and was dropped so that others are not held up.
    SlowConsumer,
    /// The hub is shutting down.
    Shutdown,
}

struct Subscriber {
    id: u64,
    tenant: Option<Uuid>,
    topics: Arc<AtomicUsize>,
    admit: Option<Admit>,
    tx: mpsc::Sender<Arc<Delivery>>,
    ended: Arc<Mutex<Option<Ended>>>,
}

impl Subscriber {
    /// Whether it takes an event of `tenant` on `topic`.
    fn takes(&self, tenant: Uuid, topic: Topic) -> bool {
        self.tenant.is_none_or(|t| t == tenant) && Topics::load(&self.topics).contains(topic)
    }

    /// Whether `event` goes to it: its tenant and topics, and allowed to it.
    fn receives(&self, event: &HubEvent) -> bool {
        self.takes(event.tenant_id, event.topic) && admits(self.admit.as_ref(), event)
    }
}

/// Whether a subscription with `admit` may receive `event` (without one: every event).
fn admits(admit: Option<&Admit>, event: &HubEvent) -> bool {
    admit.is_none_or(|a| a(event))
}

/// How long after its last subscriber left a tenant's recent events are still
/// kept for resume. Tenants nobody watches on this replica keep none, so the
/// buffer's memory follows the staff online, not the number of tenants.
const RESUME_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

struct Recent {
    events: VecDeque<Arc<Delivery>>,
    watched_at: std::time::Instant,
}

impl Recent {
    fn watched(&self) -> bool {
        self.watched_at.elapsed() < RESUME_WINDOW
    }
}

#[derive(Default)]
struct State {
    /// `seq` of the last event taken.
    seq: u64,
    /// Recent events of watched tenants, for resume.
    recent: HashMap<Uuid, Recent>,
    subscribers: Vec<Subscriber>,
    closed: bool,
}

/// Counters of the hub.
#[derive(Debug, Default)]
pub struct HubStats {
    /// Events delivered to local subscribers' queues.
    pub delivered: AtomicU64,
    /// Subscribers dropped for not keeping up.
    pub slow_consumers: AtomicU64,
    /// Notifications received from PostgreSQL.
    pub notices: AtomicU64,
}

/// The hub of one process.
#[derive(Clone)]
pub struct Hub {
    state: Arc<Mutex<State>>,
    next_id: Arc<AtomicU64>,
    buffer: usize,
    stats: Arc<HubStats>,
}

/// A live subscription.
pub struct Subscription {
    id: u64,
    tenant: Option<Uuid>,
    topics: Arc<AtomicUsize>,
    admit: Option<Admit>,
    /// Events up to this `seq` were sent by replay: queued copies are skipped.
    replayed_through: Arc<AtomicU64>,
    rx: mpsc::Receiver<Arc<Delivery>>,
    ended: Arc<Mutex<Option<Ended>>>,
    hub: Hub,
}

impl Subscription {
    /// The next event, or `None` when the subscription ended (see [`Self::ended`]).
    pub async fn recv(&mut self) -> Option<Arc<Delivery>> {
        loop {
            let delivery = self.rx.recv().await?;
            if self.wants(&delivery) {
                return Some(delivery);
            }
        }
    }

    /// Whether a queued event still belongs to this subscription: its topic
    /// is still subscribed, and no replay has already sent it.
    fn wants(&self, delivery: &Delivery) -> bool {
        let topics = Topics::load(&self.topics);
        topics.contains(delivery.topic)
            && delivery.seq > AtomicU64::load(&self.replayed_through, Ordering::SeqCst)
    }

    /// Why the subscription ended, once `recv` returned `None`.
    pub fn ended(&self) -> Option<Ended> {
        *self
            .ended
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Polls for the next event, for code that drives a stream by hand (the
    /// WebSocket body writes events straight from here).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Arc<Delivery>>> {
        loop {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(delivery)) if !self.wants(&delivery) => continue,
                other => return other,
            }
        }
    }

    /// A handle that changes topics and replays while another task receives.
    pub fn control(&self) -> SubscriptionControl {
        SubscriptionControl {
            tenant: self.tenant,
            topics: self.topics.clone(),
            admit: self.admit.clone(),
            replayed_through: self.replayed_through.clone(),
            hub: self.hub.clone(),
        }
    }

    /// Events after `last_event_id` still in the resume buffer (of the
    /// subscribed topics), oldest first; `None` when that id is no longer there.
    pub fn replay_after(&self, last_event_id: Uuid) -> Option<Vec<Arc<Delivery>>> {
        self.control().replay_after(last_event_id)
    }
}

/// Changes a subscription's topics and reads its resume buffer, from a task
/// other than the one receiving its events.
#[derive(Clone)]
pub struct SubscriptionControl {
    tenant: Option<Uuid>,
    topics: Arc<AtomicUsize>,
    admit: Option<Admit>,
    replayed_through: Arc<AtomicU64>,
    hub: Hub,
}

impl SubscriptionControl {
    /// Events after `last_event_id` still in the resume buffer (of the
    /// subscribed topics, and admitted), oldest first; `None` when that id is
    /// no longer there.
    pub fn replay_after(&self, last_event_id: Uuid) -> Option<Vec<Arc<Delivery>>> {
        let topics = Topics::load(&self.topics);
        let state = self.hub.lock();
        self.missed(&state, topics, last_event_id)
    }

    /// Switches to `topics` and, with `last_event_id`, takes the events missed
    /// since then, in one step under the hub's lock: every later event goes to
    /// the subscription's queue, every earlier one is in the answer, none is
    /// in both. (Events already written to a client before it asked can still
    /// reach it twice: clients resuming on an open connection dedupe by id.)
    pub fn resubscribe(&self, topics: Topics, last_event_id: Option<Uuid>) -> Resubscribed {
        let state = self.hub.lock();
        let answer = match last_event_id {
            None => Resubscribed::Live,
            Some(last) => match self.missed(&state, topics, last) {
                Some(events) => {
                    // Events taken so far are in the replay or not wanted:
                    // copies still queued for this subscription are skipped.
                    self.replayed_through.store(state.seq, Ordering::SeqCst);
                    Resubscribed::Replay(events)
                }
                None => Resubscribed::Gap,
            },
        };
        self.topics.store(usize::from(topics.0), Ordering::Relaxed);
        answer
    }

    fn missed(&self, state: &State, topics: Topics, last: Uuid) -> Option<Vec<Arc<Delivery>>> {
        let recent = &state.recent.get(&self.tenant?)?.events;
        let pos = recent.iter().position(|e| e.id == last)?;
        Some(
            recent
                .iter()
                .skip(pos + 1)
                .filter(|e| topics.contains(e.topic) && admits(self.admit.as_ref(), e))
                .cloned()
                .collect(),
        )
    }
}

/// What [`SubscriptionControl::resubscribe`] found.
#[derive(Debug)]
pub enum Resubscribed {
    /// No resume asked: live events only.
    Live,
    /// The events missed, oldest first; live events follow them.
    Replay(Vec<Arc<Delivery>>),
    /// The last event seen is no longer buffered: some events are lost.
    Gap,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let id = self.id;
        self.hub.lock().subscribers.retain(|s| s.id != id);
    }
}

impl Hub {
    /// A hub keeping the last `buffer` events of each tenant for resume.
    pub fn new(buffer: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::default())),
            next_id: Arc::new(AtomicU64::new(1)),
            buffer: buffer.max(1),
            stats: Arc::new(HubStats::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counters.
    pub fn stats(&self) -> &HubStats {
        &self.stats
    }

    /// Local subscribers now.
    pub fn subscriber_count(&self) -> usize {
        self.lock().subscribers.len()
    }

    /// Subscribes to `tenant`'s events (or every tenant's, with `None`: for
    /// in-process consumers such as the behavior engine) on `topics`. At most
    /// `queue` events wait for the subscriber; one more and it is dropped
    /// ([`Ended::SlowConsumer`]). It receives every event of its tenant and
    /// topics: people watching go through [`Self::subscribe_admitting`].
    pub fn subscribe(
        &self,
        tenant: Option<TenantId>,
        topics: Topics,
        queue: usize,
    ) -> Subscription {
        self.subscription(tenant, topics, queue, None)
    }

    /// Like [`Self::subscribe`], but only events `admit` allows reach it, live
    /// or replayed.
    pub fn subscribe_admitting(
        &self,
        tenant: TenantId,
        topics: Topics,
        queue: usize,
        admit: Admit,
    ) -> Subscription {
        self.subscription(Some(tenant), topics, queue, Some(admit))
    }

    fn subscription(
        &self,
        tenant: Option<TenantId>,
        topics: Topics,
        queue: usize,
        admit: Option<Admit>,
    ) -> Subscription {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let topics = Arc::new(AtomicUsize::new(usize::from(topics.0)));
        let ended = Arc::new(Mutex::new(None));
        let mut state = self.lock();
        if let Some(t) = tenant {
            let now = std::time::Instant::now();
            state.recent.retain(|_, r| r.watched());
            state
                .recent
                .entry(t.as_uuid())
                .and_modify(|r| r.watched_at = now)
                .or_insert_with(|| Recent {
                    events: VecDeque::new(),
                    watched_at: now,
                });
        }
        if state.closed {
            *ended
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Ended::Shutdown);
        } else {
            state.subscribers.push(Subscriber {
                id,
                tenant: tenant.map(|t| t.as_uuid()),
                topics: topics.clone(),
                admit: admit.clone(),
                tx,
                ended: ended.clone(),
            });
        }
        Subscription {
            id,
            tenant: tenant.map(|t| t.as_uuid()),
            topics,
            admit,
            replayed_through: Arc::new(AtomicU64::new(0)),
            rx,
            ended,
            hub: self.clone(),
        }
    }

    /// Delivers an event to this process's subscribers and keeps it for resume.
    pub fn deliver(&self, event: HubEvent) {
        let mut state = self.lock();
        let tenant = event.tenant_id;
        if state.subscribers.iter().any(|s| s.tenant == Some(tenant)) {
            // Someone of this tenant is connected here: keep its events for resume.
            let now = std::time::Instant::now();
            state
                .recent
                .entry(tenant)
                .and_modify(|r| r.watched_at = now)
                .or_insert_with(|| Recent {
                    events: VecDeque::new(),
                    watched_at: now,
                });
        }
        let watched = state.recent.get(&tenant).is_some_and(Recent::watched);
        let wanted = state
            .subscribers
            .iter()
            .any(|s| s.takes(tenant, event.topic));
        if !watched {
            state.recent.remove(&tenant);
            if !wanted {
                // Nobody here wants it now or may resume it: skip even serialising.
                return;
            }
        }
        let frame = serde_json::json!({ "type": "event", "event": &event }).to_string();
        state.seq += 1;
        let event = Arc::new(Delivery {
            event,
            frame,
            seq: state.seq,
        });
        if let Some(recent) = state.recent.get_mut(&tenant) {
            if recent
                .events
                .iter()
                .rev()
                .take(64)
                .any(|e| e.id == event.id)
            {
                return; // already delivered (announced twice)
            }
            recent.events.push_back(event.clone());
            while recent.events.len() > self.buffer {
                recent.events.pop_front();
            }
        }
        let mut delivered = 0;
        state.subscribers.retain(|s| {
            if !s.receives(&event) {
                return true;
            }
            match s.tx.try_send(event.clone()) {
                Ok(()) => {
                    delivered += 1;
                    true
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    *s.ended
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some(Ended::SlowConsumer);
                    self.stats.slow_consumers.fetch_add(1, Ordering::Relaxed);
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
        self.stats.delivered.fetch_add(delivered, Ordering::Relaxed);
    }

    /// Whether anyone here would take an event of `tenant` on `topic`, now or on
    /// resume; if not, a stored event is not even loaded.
    fn interested(&self, tenant: Uuid, topic: Topic) -> bool {
        let state = self.lock();
        state.recent.get(&tenant).is_some_and(Recent::watched)
            || state.subscribers.iter().any(|s| s.takes(tenant, topic))
    }

    /// Ends every subscription (graceful shutdown); later subscriptions end at once.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        for s in state.subscribers.drain(..) {
            *s.ended
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Ended::Shutdown);
        }
    }

    /// Publishes an event now (its own transaction).
    pub async fn publish(
        &self,
        db: &Db,
        tenant: TenantId,
        topic: Topic,
        data: serde_json::Value,
    ) -> Result<Uuid, AuditError> {
        db.tenant_tx(tenant, |conn| {
            async move { publish_in_tx(conn, tenant, topic, data).await }.scope_boxed()
        })
        .await
    }

    /// Listens for notifications on `database_url` (a direct, unpooled
    /// connection; its connect timeout and TCP keepalives are the listener's
    /// own unless the URL sets them) and delivers them, reconnecting after
    /// failures, until the hub is closed. Events notified while disconnected
    /// are not replayed.
    pub fn listen(&self, database_url: String, db: Db) -> tokio::task::JoinHandle<()> {
        let hub = self.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            while !hub.lock().closed {
                match hub.listen_once(&database_url, &db).await {
                    Ok(()) => backoff = Duration::from_millis(100),
                    Err(e) => {
                        tracing::warn!(error = %e, "event listener lost its connection; reconnecting");
                        // Events may have been missed: resumes must see a gap, not a silent hole.
                        hub.lock().recent.clear();
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
        })
    }

    async fn listen_once(&self, database_url: &str, db: &Db) -> Result<(), String> {
        let url = listener_url(database_url);
        // `connect_timeout` (in the URL) bounds only the TCP connect; the
        // start-up exchange, diesel-async's session settings and LISTEN are
        // bounded here, so that no step of a connection made while PostgreSQL
        // is going down can hang the loop above.
        let mut conn = tokio::time::timeout(SETUP_TIMEOUT, async {
            let mut conn = AsyncPgConnection::establish(&url)
                .await
                .map_err(|e| e.to_string())?;
            diesel::sql_query(format!("LISTEN {CHANNEL}"))
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(conn)
        })
        .await
        .map_err(|_| format!("no listening connection within {SETUP_TIMEOUT:?}"))??;
        let (tx, mut rx) = mpsc::channel::<String>(100_000);
        let overflow = self.clone();
        let driver = tokio::spawn(async move {
            // diesel-async's stream yields the connection's error once and
            // then ends: either way the connection is gone.
            let mut notifications = std::pin::pin!(conn.notifications_stream());
            loop {
                match notifications.next().await {
                    Some(Ok(n)) => match tx.try_send(n.payload) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            // Far behind: drop rather than grow without bound;
                            // resumes will report the gap.
                            tracing::warn!("event listener overloaded; dropping a notification");
                            overflow.lock().recent.clear();
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => break,
                    },
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "event listener connection failed");
                        break;
                    }
                    None => break,
                }
            }
        });
        while let Some(payload) = rx.recv().await {
            if self.lock().closed {
                break;
            }
            self.stats.notices.fetch_add(1, Ordering::Relaxed);
            match serde_json::from_str::<Notice>(&payload) {
                Ok(notice) => {
                    if let Err(e) = self.resolve(db, notice).await {
                        tracing::warn!(error = %e, "could not load announced events");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "unreadable event notification"),
            }
        }
        // Dropping the connection (with the task) closes it.
        driver.abort();
        if self.lock().closed {
            Ok(())
        } else {
            Err("notification stream ended".into())
        }
    }

    async fn resolve(&self, db: &Db, notice: Notice) -> Result<(), AuditError> {
        match notice {
            Notice::Inline { event } => self.deliver(event),
            Notice::Stored {
                tenant_id, topic, ..
            } if !self.interested(tenant_id, topic) => {}
            Notice::Stored {
                tenant_id,
                topic: Topic::Activity,
                ids,
            } => {
                let tenant = TenantId::new(tenant_id);
                let records = db
                    .tenant_tx(tenant, |conn| {
                        async move { crate::store::load(conn, &ids).await }.scope_boxed()
                    })
                    .await?;
                for r in records {
                    self.deliver(HubEvent {
                        id: r.id,
                        tenant_id,
                        topic: Topic::Activity,
                        occurred_at: r.occurred_at,
                        data: serde_json::to_value(&r).unwrap_or_default(),
                    });
                }
            }
            Notice::Stored {
                tenant_id,
                topic,
                ids,
            } => {
                let tenant = TenantId::new(tenant_id);
                let rows: Vec<(Uuid, serde_json::Value, DateTime<Utc>)> = db
                    .tenant_tx(tenant, |conn| {
                        async move {
                            Ok::<_, AuditError>(
                                hub_events::table
                                    .filter(hub_events::id.eq_any(&ids))
                                    .select((
                                        hub_events::id,
                                        hub_events::data,
                                        hub_events::created_at,
                                    ))
                                    .order(hub_events::id.asc())
                                    .load(conn)
                                    .await?,
                            )
                        }
                        .scope_boxed()
                    })
                    .await?;
                for (id, data, occurred_at) in rows {
                    self.deliver(HubEvent {
                        id,
                        tenant_id,
                        topic,
                        occurred_at,
                        data,
                    });
                }
            }
        }
        Ok(())
    }
}

/// `database_url` with [`LISTENER_PARAMS`] added ahead of its own
/// parameters: PostgreSQL's driver keeps the last value of a repeated one, so
/// any the URL sets itself win. Takes both forms of connection string.
fn listener_url(database_url: &str) -> String {
    let defaults: Vec<String> = LISTENER_PARAMS
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let is_url = ["postgres://", "postgresql://"]
        .iter()
        .any(|p| database_url.starts_with(p));
    if !is_url {
        // `key=value` pairs separated by spaces, in any order.
        return format!("{} {database_url}", defaults.join(" "));
    }
    let defaults = defaults.join("&");
    // The query starts at the first `?` after the credentials (the driver
    // reads them up to the first `@`; a password may hold a `?`).
    let after_credentials = database_url.find('@').map_or(0, |at| at + 1);
    match database_url[after_credentials..].find('?') {
        Some(q) => {
            let (head, own) = database_url.split_at(after_credentials + q + 1);
            if own.is_empty() {
                format!("{head}{defaults}")
            } else {
                format!("{head}{defaults}&{own}")
            }
        }
        None => format!("{database_url}?{defaults}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(tenant: Uuid, topic: Topic) -> HubEvent {
        HubEvent {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            topic,
            occurred_at: Utc::now(),
            data: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn subscribers_get_only_their_tenant_and_topics() {
        let hub = Hub::new(16);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut sub = hub.subscribe(
            Some(TenantId::new(a)),
            Topics::from(&[Topic::Detection][..]),
            8,
        );
        hub.deliver(event(b, Topic::Detection));
        hub.deliver(event(a, Topic::Activity));
        let wanted = event(a, Topic::Detection);
        hub.deliver(wanted.clone());
        assert_eq!(sub.recv().await.map(|e| e.id), Some(wanted.id));
        assert!(sub.rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_slow_consumer_is_dropped_without_holding_up_others() {
        let hub = Hub::new(16);
        let t = Uuid::now_v7();
        let mut slow = hub.subscribe(Some(TenantId::new(t)), Topics::all(), 2);
        let mut fast = hub.subscribe(Some(TenantId::new(t)), Topics::all(), 100);
        for _ in 0..5 {
            hub.deliver(event(t, Topic::Activity));
            assert!(fast.recv().await.is_some());
        }
        assert!(slow.recv().await.is_some());
        assert!(slow.recv().await.is_some());
        assert!(slow.recv().await.is_none());
        assert_eq!(slow.ended(), Some(Ended::SlowConsumer));
        assert_eq!(hub.subscriber_count(), 1);
    }

    #[tokio::test]
    async fn replay_returns_what_followed_the_last_seen_event() {
        let hub = Hub::new(3);
        let t = Uuid::now_v7();
        let sub = hub.subscribe(Some(TenantId::new(t)), Topics::all(), 8);
        let events: Vec<HubEvent> = (0..5).map(|_| event(t, Topic::Activity)).collect();
        for e in &events {
            hub.deliver(e.clone());
        }
        let replayed: Vec<Uuid> = sub
            .replay_after(events[2].id)
            .unwrap_or_default()
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(replayed, vec![events[3].id, events[4].id]);
        // Fell out of the buffer of 3.
        assert!(sub.replay_after(events[0].id).is_none());
    }

    #[tokio::test]
    async fn a_resume_on_an_open_subscription_skips_the_queued_copies() {
        let hub = Hub::new(16);
        let t = Uuid::now_v7();
        let detection = Topics::from(&[Topic::Detection][..]);
        let mut sub = hub.subscribe(Some(TenantId::new(t)), detection, 16);
        let seen = event(t, Topic::Detection);
        hub.deliver(seen.clone());
        assert_eq!(sub.recv().await.map(|e| e.id), Some(seen.id));
        // Four more wait in the queue when the client resumes after `seen`,
        // now also on violations.
        let queued: Vec<HubEvent> = (0..4).map(|_| event(t, Topic::Detection)).collect();
        for e in &queued {
            hub.deliver(e.clone());
        }
        let both = Topics::from(&[Topic::Detection, Topic::Violation][..]);
        let Resubscribed::Replay(replayed) = sub.control().resubscribe(both, Some(seen.id)) else {
            panic!("expected a replay");
        };
        let replayed: Vec<Uuid> = replayed.iter().map(|e| e.id).collect();
        assert_eq!(replayed, queued.iter().map(|e| e.id).collect::<Vec<_>>());
        // The queue gives only what came after, on the new topics.
        let after = event(t, Topic::Violation);
        hub.deliver(after.clone());
        assert_eq!(sub.recv().await.map(|e| e.id), Some(after.id));
        assert!(sub.rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn an_admitting_subscription_gets_the_same_events_live_and_on_replay() {
        let hub = Hub::new(16);
        let t = Uuid::now_v7();
        let admit: Admit = Arc::new(|e: &HubEvent| e.data["for"] == "me");
        let mut sub = hub.subscribe_admitting(TenantId::new(t), Topics::all(), 16, admit);
        let fence = event(t, Topic::Detection);
        hub.deliver(HubEvent {
            data: serde_json::json!({"for": "me"}),
            ..fence.clone()
        });
        let mut sent = Vec::new();
        for whom in ["me", "someone else", "me"] {
            let e = HubEvent {
                data: serde_json::json!({ "for": whom }),
                ..event(t, Topic::Notification)
            };
            sent.push((e.id, whom == "me"));
            hub.deliver(e);
        }
        let admitted: Vec<Uuid> = sent.iter().filter(|s| s.1).map(|s| s.0).collect();
        assert_eq!(sub.recv().await.map(|e| e.id), Some(fence.id));
        let live = vec![
            sub.recv().await.map(|e| e.id),
            sub.recv().await.map(|e| e.id),
        ];
        assert_eq!(live, admitted.iter().copied().map(Some).collect::<Vec<_>>());
        assert!(sub.rx.try_recv().is_err());
        let replayed: Vec<Uuid> = sub
            .replay_after(fence.id)
            .unwrap_or_default()
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(replayed, admitted);
    }

    #[tokio::test]
    async fn tenants_nobody_watches_keep_no_resume_buffer() {
        let hub = Hub::new(16);
        let (watched, unwatched) = (Uuid::now_v7(), Uuid::now_v7());
        let sub = hub.subscribe(Some(TenantId::new(watched)), Topics::all(), 8);
        hub.deliver(event(unwatched, Topic::Activity));
        let kept = event(watched, Topic::Activity);
        hub.deliver(kept.clone());
        let state = hub.lock();
        assert!(!state.recent.contains_key(&unwatched));
        assert_eq!(state.recent.get(&watched).map(|r| r.events.len()), Some(1));
        drop(state);
        drop(sub);
    }

    /// What the driver makes of a connection string (diesel-async hands it to
    /// `tokio_postgres::connect` as it is).
    #[derive(Clone, Debug, PartialEq)]
    struct Settings {
        connect_timeout: Option<Duration>,
        keepalives: bool,
        keepalives_idle: Duration,
        user: Option<String>,
        password: Option<Vec<u8>>,
        dbname: Option<String>,
        ports: Vec<u16>,
        application_name: Option<String>,
    }

    fn settings(conninfo: &str) -> Settings {
        let c: tokio_postgres::Config = conninfo
            .parse()
            .unwrap_or_else(|e| panic!("{conninfo:?} does not parse: {e}"));
        Settings {
            connect_timeout: c.get_connect_timeout().copied(),
            keepalives: c.get_keepalives(),
            keepalives_idle: c.get_keepalives_idle(),
            user: c.get_user().map(str::to_owned),
            password: c.get_password().map(<[u8]>::to_vec),
            dbname: c.get_dbname().map(str::to_owned),
            ports: c.get_ports().to_vec(),
            application_name: c.get_application_name().map(str::to_owned),
        }
    }

    #[test]
    fn the_listener_url_adds_its_timeout_and_keepalives_unless_the_url_sets_them() {
        let ours = Settings {
            connect_timeout: Some(Duration::from_secs(5)),
            keepalives: true,
            keepalives_idle: Duration::from_secs(10),
            user: Some("app".into()),
            password: None,
            dbname: Some("warden".into()),
            ports: vec![5432],
            application_name: None,
        };
        let the_urls = Settings {
            connect_timeout: Some(Duration::from_secs(30)),
            keepalives_idle: Duration::from_secs(60),
            password: Some(b"p?w".to_vec()),
            ports: vec![6432],
            application_name: Some("hub".into()),
            ..ours.clone()
        };
        let no_keepalives = Settings {
            keepalives: false,
            ..ours.clone()
        };
        for (url, expected) in [
            ("postgres://app@127.0.0.1:5432/warden", &ours),
            ("postgresql://app@127.0.0.1:5432/warden?", &ours),
            ("host=127.0.0.1 port=5432 user=app dbname=warden", &ours),
            (
                "postgres://app:p%3Fw@db.example:6432/warden?application_name=hub&connect_timeout=30&keepalives_idle=60",
                &the_urls,
            ),
            (
                "postgres://app:p?w@db.example:6432/warden?application_name=hub&connect_timeout=30&keepalives_idle=60",
                &the_urls,
            ),
            (
                "application_name=hub connect_timeout = 30 user=app password='p?w' keepalives_idle=60 dbname=warden host=db.example port=6432",
                &the_urls,
            ),
            (
                "postgres://app@127.0.0.1:5432/warden?keepalives=0",
                &no_keepalives,
            ),
        ] {
            assert_eq!(&settings(&listener_url(url)), expected, "{url}");
        }
    }
}
