//! WebSocket and hub settings.

use std::time::Duration;

use super::parse::trimmed;

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

/// The live-connection variables.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Live events")]
pub struct LiveArgs {
    /// Server ping interval on live connections, in seconds.
    #[arg(long, env = "WS_PING_SECS", default_value = "20", value_parser = trimmed::<u64>)]
    pub ws_ping_secs: u64,
    /// A live connection silent this many seconds is closed (code 4002).
    #[arg(long, env = "WS_TIMEOUT_SECS", default_value = "60", value_parser = trimmed::<u64>)]
    pub ws_timeout_secs: u64,
    /// Events waiting for one connection before it is dropped as a slow consumer (code 4001).
    #[arg(long, env = "WS_QUEUE", default_value = "256", value_parser = trimmed::<usize>)]
    pub ws_queue: usize,
    /// Recent events kept per tenant for clients resuming with `last_event_id`.
    #[arg(long, env = "WS_RESUME_BUFFER", default_value = "1000", value_parser = trimmed::<usize>)]
    pub ws_resume_buffer: usize,
    /// Live connections one user may hold open on one replica.
    #[arg(long, env = "WS_MAX_PER_USER", default_value = "8", value_parser = trimmed::<usize>)]
    pub ws_max_per_user: usize,
    /// Live connections one tenant may hold open on one replica.
    #[arg(long, env = "WS_MAX_PER_TENANT", default_value = "2000", value_parser = trimmed::<usize>)]
    pub ws_max_per_tenant: usize,
}

impl LiveArgs {
    /// The live-connection settings.
    pub fn resolve(self) -> LiveConfig {
        LiveConfig {
            ping_interval: Duration::from_secs(self.ws_ping_secs.max(1)),
            timeout: Duration::from_secs(self.ws_timeout_secs.max(2)),
            connection_queue: self.ws_queue.max(1),
            resume_buffer: self.ws_resume_buffer.max(1),
            max_per_user: self.ws_max_per_user.max(1),
            max_per_tenant: self.ws_max_per_tenant.max(1),
        }
    }
}
