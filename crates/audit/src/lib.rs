//! Activity tracking, the audit log and the live event hub.
//!
//! - [`event`]: what is recorded about a request or an audited change.
//! - [`writer`]: a bounded queue and a task that writes events in batches
//!   (backpressure when full); a request waits until its event's batch has
//!   committed (group commit), so no answered request loses its row.
//! - [`store`]: the `activity_log` table: batch inserts, in-transaction audit
//!   rows for changes that must be recorded with certainty, queries, retention.
//! - [`tenant_changes`]: platform changes to a tenant, audited in the same
//!   transaction.
//! - [`hub`]: per-tenant live events with typed topics, shared across replicas
//!   through PostgreSQL LISTEN/NOTIFY, with a resume buffer.

mod error;
pub mod event;
pub mod hub;
pub mod store;
pub mod tenant_changes;
pub mod writer;

pub use error::AuditError;
pub use event::{ActivityEvent, Kind};
