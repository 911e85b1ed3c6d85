//! Activity-log settings.

use std::time::Duration;

use super::parse::{Switch, trimmed};

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

/// The activity-log variables.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Activity log")]
pub struct AuditArgs {
    /// `off` stops recording activity (benchmarks only).
    #[arg(long, env = "AUDIT", value_enum, default_value = "on")]
    pub audit: Switch,
    /// Activity events queued before requests wait for the writer
    /// (backpressure, never dropping).
    #[arg(long, env = "AUDIT_QUEUE_CAPACITY", default_value = "65536", value_parser = trimmed::<usize>)]
    pub audit_queue_capacity: usize,
    /// Most events per batch insert (1 to 10000).
    #[arg(long, env = "AUDIT_BATCH_SIZE", default_value = "2000", value_parser = trimmed::<usize>)]
    pub audit_batch_size: usize,
    /// Longest an event nobody waits on waits for its batch, in ms.
    #[arg(long, env = "AUDIT_FLUSH_INTERVAL_MS", default_value = "50", value_parser = trimmed::<u64>)]
    pub audit_flush_interval_ms: u64,
    /// Batches written at the same time (1 to 16).
    #[arg(long, env = "AUDIT_WRITERS", default_value = "3", value_parser = trimmed::<usize>)]
    pub audit_writers: usize,
    /// Daily activity partitions older than this many days are dropped (checked hourly).
    #[arg(long, env = "AUDIT_RETENTION_DAYS", default_value = "90", value_parser = trimmed::<i32>)]
    pub audit_retention_days: i32,
    /// Longest a response waits for its activity row to commit, in ms; past it
    /// the client gets 503 `audit_unavailable`.
    #[arg(long, env = "AUDIT_COMMIT_TIMEOUT_MS", default_value = "5000", value_parser = trimmed::<u64>)]
    pub audit_commit_timeout_ms: u64,
}

impl AuditArgs {
    /// The activity-log settings.
    pub fn resolve(self) -> AuditConfig {
        AuditConfig {
            enabled: self.audit.is_on(),
            writer: warden_audit::writer::WriterConfig {
                capacity: self.audit_queue_capacity.max(1),
                batch_size: self.audit_batch_size.clamp(1, 10_000),
                flush_interval: Duration::from_millis(self.audit_flush_interval_ms.max(1)),
                writers: self.audit_writers.clamp(1, 16),
            },
            retention_days: self.audit_retention_days.max(1),
            commit_timeout: Duration::from_millis(self.audit_commit_timeout_ms.max(1)),
        }
    }
}
