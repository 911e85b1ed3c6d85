//! Configuration: command-line options, each also read from its environment
//! variable (and `.env`, loaded by `main`), so `warden serve --help` lists
//! every variable with its default.
//!
//! [`Settings`] is what clap parses; [`Settings::resolve`] checks what clap
//! cannot check alone and yields the [`Config`] the server runs with.

mod audit;
mod database;
mod http;
mod jwt;
mod live;
mod moderation;
mod notifications;
pub mod parse;
mod rate_limit;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use audit::{AuditArgs, AuditConfig};
pub use database::{DEFAULT_DATABASE_ADMIN_URL, DEFAULT_DATABASE_URL, DatabaseArgs};
pub use http::{HttpArgs, LogFormat};
pub use jwt::{DEFAULT_JWT_MAX_LIFETIME_SECS, JwtArgs, JwtConfig};
pub use live::{LiveArgs, LiveConfig};
pub use moderation::{BehaviorArgs, BehaviorConfig, ModerationArgs, ModerationConfig};
pub use notifications::{NotificationsArgs, NotificationsConfig};
pub use rate_limit::{RateLimitArgs, RateLimitConfig};

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl ConfigError {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
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

/// Every configuration variable, grouped by area (each group is a heading
/// of `--help`).
#[derive(Clone, Debug, clap::Args)]
pub struct Settings {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    http: HttpArgs,
    #[command(flatten)]
    jwt: JwtArgs,
    #[command(flatten)]
    rate_limit: RateLimitArgs,
    #[command(flatten)]
    audit: AuditArgs,
    #[command(flatten)]
    live: LiveArgs,
    #[command(flatten)]
    moderation: ModerationArgs,
    #[command(flatten)]
    behavior: BehaviorArgs,
    #[command(flatten)]
    notifications: NotificationsArgs,
}

impl Settings {
    /// The tracing filter (`RUST_LOG`).
    pub fn log_filter(&self) -> &str {
        &self.http.rust_log
    }

    /// Checks what the value parsers cannot check alone and yields the configuration.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let Self {
            database,
            http,
            jwt,
            rate_limit,
            audit,
            live,
            moderation,
            behavior,
            notifications,
        } = self;
        let (notifications, verification) = notifications.resolve()?;
        let behavior = behavior.resolve(rate_limit.redis_url.clone());
        Ok(Config {
            database_url: database.database_url,
            database_admin_url: database.database_admin_url,
            database_pool_size: database.database_pool_size.max(1),
            bind_addr: http.bind_addr,
            jwt: jwt.resolve()?,
            log_format: http.log_format,
            max_body_bytes: http.max_body_bytes,
            body_read_timeout: Duration::from_secs(http.body_read_timeout_secs.max(1)),
            header_read_timeout: Duration::from_secs(http.header_read_timeout_secs.max(1)),
            trusted_proxies: http.trusted_proxies.map(|l| l.0).unwrap_or_default(),
            redoc_js_path: http.redoc_js_path,
            dashboard_dir: http.dashboard_dir,
            shutdown_timeout: Duration::from_secs(http.shutdown_timeout_secs),
            http_workers: parse::workers_or_cpus(http.http_workers),
            rate_limit: rate_limit.resolve(),
            audit: audit.resolve(),
            live: live.resolve(),
            moderation: moderation.resolve(),
            behavior,
            notifications,
            verification,
        })
    }
}

/// Treats a blank variable (empty or only whitespace) as unset, as the
/// configuration always has: clap would otherwise parse `""` as the value.
///
/// clap reads each variable when the argument is built, so the variables are
/// read again here and a blank one is detached from its argument.
pub fn unset_blank_env(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(detach_blank_env)
        .mut_subcommands(unset_blank_env)
}

fn detach_blank_env(arg: clap::Arg) -> clap::Arg {
    let blank = arg
        .get_env()
        .and_then(std::env::var_os)
        .is_some_and(|v| v.to_string_lossy().trim().is_empty());
    if blank {
        arg.env(None::<&'static str>)
    } else {
        arg
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches, Parser};

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    /// Parses `args` as `main` does (a blank variable of the test's
    /// environment counts as unset).
    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        let matches = unset_blank_env(Cli::command())
            .try_get_matches_from(std::iter::once("warden").chain(args.iter().copied()))?;
        Ok(Cli::from_arg_matches(&matches)?.settings)
    }

    fn error_of(args: &[&str]) -> String {
        match parse(args) {
            Ok(_) => panic!("{args:?} should be refused"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (args, variable) in [
            (&["--max-body-bytes", "abc"][..], "MAX_BODY_BYTES"),
            (&["--max-body-bytes", "0"], "MAX_BODY_BYTES"),
            (&["--log-format", "xml"], "LOG_FORMAT"),
            (&["--rate-limit", "maybe"], "RATE_LIMIT"),
            (
                &["--rate-limit-fail-mode", "sideways"],
                "RATE_LIMIT_FAIL_MODE",
            ),
            (
                &["--user-rate-share-percent", "101"],
                "USER_RATE_SHARE_PERCENT",
            ),
            (&["--pre-auth-per-minute", "0"], "PRE_AUTH_PER_MINUTE"),
            (&["--jwt-max-lifetime-secs", "0"], "JWT_MAX_LIFETIME_SECS"),
            (&["--trusted-proxies", "10.0.0.0/8,nope"], "TRUSTED_PROXIES"),
            (&["--bind-addr", "localhost"], "BIND_ADDR"),
        ] {
            let error = error_of(args);
            assert!(error.contains(variable), "{args:?}: {error}");
        }
    }

    #[test]
    fn checks_across_variables_name_them() {
        let resolve = |args: &[&str]| {
            parse(args)
                .expect("parses")
                .resolve()
                .expect_err("refused")
                .to_string()
        };
        assert!(resolve(&["--twilio-account-sid", "AC1"]).contains("TWILIO_AUTH_TOKEN"));
        assert!(
            resolve(&["--twilio-account-sid", "AC1", "--twilio-auth-token", "t"])
                .contains("TWILIO_MESSAGING_SERVICE_SID")
        );
        assert!(resolve(&["--jwt-hs256-secret", "short"]).contains("JWT_HS256_SECRET"));
    }

    #[test]
    fn values_are_trimmed_and_clamped_as_before() {
        let config = parse(&[
            "--max-body-bytes",
            " 2048 ",
            "--audit-batch-size",
            "50000",
            "--trusted-proxies",
            "10.0.0.0/8, 192.168.1.1",
        ])
        .expect("parses")
        .resolve()
        .expect("resolves");
        assert_eq!(config.max_body_bytes, 2048);
        assert_eq!(config.audit.writer.batch_size, 10_000);
        assert_eq!(config.trusted_proxies.len(), 2);
    }
}
