//! HTTP listener, request limits, logging and served files.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::parse::{ProxyList, proxy_list, trimmed};

/// Which log output to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The HTTP and logging variables.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "HTTP")]
pub struct HttpArgs {
    /// Listen address.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080", value_parser = trimmed::<SocketAddr>)]
    pub bind_addr: SocketAddr,
    /// Largest request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value = "1048576", value_parser = super::parse::positive::<usize>)]
    pub max_body_bytes: usize,
    /// The whole request body must arrive within this many seconds of its
    /// head; otherwise 408 `request_timeout` and the connection is closed.
    #[arg(long, env = "BODY_READ_TIMEOUT_SECS", default_value = "10", value_parser = trimmed::<u64>)]
    pub body_read_timeout_secs: u64,
    /// The request head must arrive within this many seconds (408).
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value = "10", value_parser = trimmed::<u64>)]
    pub header_read_timeout_secs: u64,
    /// IPs and CIDRs (comma-separated) of the proxies in front of Warden; only
    /// when the peer is one of them is the client taken from `X-Forwarded-For`.
    #[arg(long, env = "TRUSTED_PROXIES", value_parser = proxy_list)]
    pub trusted_proxies: Option<ProxyList>,
    /// On SIGTERM or SIGINT, how long in-flight requests may finish, in seconds.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value = "30", value_parser = trimmed::<u64>)]
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads; 0 is one per CPU.
    #[arg(long, env = "HTTP_WORKERS", default_value = "0", value_parser = trimmed::<usize>)]
    pub http_workers: usize,
    /// ReDoc bundle served at `/redoc/redoc.standalone.js`.
    #[arg(long, env = "REDOC_JS_PATH", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../vendor/redoc/redoc.standalone.js"))]
    pub redoc_js_path: PathBuf,
    /// The built staff dashboard, served at `/dashboard/`.
    #[arg(long, env = "DASHBOARD_DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../dashboard/dist"))]
    pub dashboard_dir: PathBuf,
    /// Log output.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// tracing filter (an invalid one falls back to `info`).
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub rust_log: String,
}
