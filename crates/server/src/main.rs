//! The `warden` command: migrate, serve, mint development tokens, print the spec.

use std::time::Duration;

use actix_web::{HttpServer, web};
use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use uuid::Uuid;
use warden_commerce::Role;
use warden_server::auth::{MintRequest, mint_hs256};
use warden_server::config::{LogFormat, Settings, unset_blank_env};
use warden_server::{AppState, Config, app, load_redoc};

#[derive(Parser)]
#[command(name = "warden", version, about = "Warden trust-and-safety backend")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database and roles if missing, then apply migrations (uses DATABASE_ADMIN_URL).
    Migrate {
        /// Drop the database first (tests and local resets only).
        #[arg(long)]
        reset: bool,
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// Serve the API on BIND_ADDR.
    Serve {
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// Mint a development HS256 token signed with JWT_HS256_SECRET.
    Token {
        /// Tenant id; omit for a platform_admin token.
        #[arg(long)]
        tenant: Option<Uuid>,
        /// Subject (user id at the identity provider).
        #[arg(long)]
        sub: String,
        /// Role (repeat for several): platform_admin, tenant_admin, moderator, seller, buyer.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Lifetime, e.g. 1h, 30m, 7d.
        #[arg(long, default_value = "1h")]
        ttl: humantime::Duration,
        /// E-mail claim.
        #[arg(long)]
        email: Option<String>,
        /// Display name (set at the first of `JWT_NAME_CLAIMS`).
        #[arg(long)]
        name: Option<String>,
        /// Mint an API client's token (machine access by a seller's backend:
        /// sets `JWT_API_CLIENT_CLAIM` to `JWT_API_CLIENT_VALUE`).
        #[arg(long)]
        api_client: bool,
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// Print the OpenAPI document.
    Openapi {
        #[command(flatten)]
        settings: Box<Settings>,
    },
}

impl Command {
    /// The configuration variables, which every command reads.
    fn settings(&self) -> &Settings {
        match self {
            Self::Migrate { settings, .. }
            | Self::Serve { settings }
            | Self::Token { settings, .. }
            | Self::Openapi { settings } => settings,
        }
    }
}

fn init_tracing(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => builder.init(),
    }
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    // A missing .env is normal; the environment may carry everything.
    let _ = dotenvy::dotenv();
    // The JWKS client speaks TLS through rustls with the ring provider; the
    // process must pick it before any client is built. (Err: already installed.)
    let _ = rustls::crypto::ring::default_provider().install_default();
    let matches = unset_blank_env(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let log_filter = cli.command.settings().log_filter().to_owned();
    let config = cli.command.settings().clone().resolve()?;
    init_tracing(config.log_format, &log_filter);
    match cli.command {
        Command::Migrate { reset, .. } => {
            let report = warden_tenancy::migrate::migrate(
                &config.database_admin_url,
                &config.database_url,
                reset,
            )
            .await
            .context("migrate")?;
            tracing::info!(
                database = %report.database,
                runtime_role = %report.runtime_role,
                created_database = report.created_database,
                applied = ?report.applied,
                "database ready"
            );
            Ok(())
        }
        Command::Token {
            tenant,
            sub,
            roles,
            ttl,
            email,
            name,
            api_client,
            ..
        } => {
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).with_context(|| format!("unknown role {r:?}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            if tenant.is_none() && !roles.contains(&Role::PlatformAdmin) {
                anyhow::bail!("--tenant is required unless the token is for a platform_admin");
            }
            let token = mint_hs256(
                &config.jwt,
                &MintRequest {
                    subject: sub,
                    tenant,
                    roles,
                    email,
                    name,
                    ttl: ttl.into(),
                    api_client,
                },
            )
            .map_err(anyhow::Error::msg)?;
            #[expect(clippy::print_stdout, reason = "the token is the command's output")]
            {
                println!("{token}");
            }
            Ok(())
        }
        Command::Openapi { .. } => {
            let state = web::Data::new(AppState::new(config)?);
            let spec = app::openapi(state);
            #[expect(clippy::print_stdout, reason = "the spec is the command's output")]
            {
                println!("{}", serde_json::to_string_pretty(&spec)?);
            }
            Ok(())
        }
        Command::Serve { .. } => serve(config).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind_addr;
    let shutdown = config.shutdown_timeout;
    let workers = config.http_workers;
    let redoc = load_redoc(&config);
    let state = web::Data::new(AppState::new(config)?);
    if let Err(e) = state.db.ping().await {
        tracing::warn!(error = %e, "database not reachable yet; /health/ready will say so");
    }
    let flusher = state
        .usage
        .spawn_flusher(state.config.rate_limit.usage_flush_interval);
    let maintenance = spawn_log_maintenance(&state);
    tracing::info!(%bind, limiter = state.limiter.backend(), "serving; docs at /docs and /redoc");
    let app_state = state.clone();
    let server = HttpServer::new(move || app::build(app_state.clone(), redoc.clone()))
        .bind(bind)
        .with_context(|| format!("bind {bind}"))?
        .shutdown_timeout(shutdown.as_secs().max(1))
        .client_request_timeout(state.config.header_read_timeout)
        // actix treats SIGINT as a forced stop; both signals drain here instead.
        .disable_signals()
        .workers(workers)
        .run();
    let handle = server.handle();
    let hub = state.hub.clone();
    actix_web::rt::spawn(async move {
        let signal = shutdown_signal().await;
        tracing::info!(signal, "draining in-flight requests before stopping");
        // Live connections would hold the server open: close them first (1001).
        hub.close();
        handle.stop(true).await;
    });
    server.await?;
    maintenance.abort();
    // Every request has been answered, so every activity event is queued: write them all.
    state.shutdown().await;
    // In-flight requests are done: write the last usage counts.
    match flusher.stop().await {
        Ok(calls) => tracing::info!(calls, "final usage flush"),
        Err(e) => tracing::warn!(error = %e, "final usage flush failed"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Creates the activity-log partitions ahead and drops expired ones, at start
/// and every hour.
fn spawn_log_maintenance(state: &web::Data<AppState>) -> tokio::task::JoinHandle<()> {
    let db = state.db.clone();
    let retention = state.config.audit.retention_days;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match warden_audit::store::maintain(&db, 3, retention).await {
                Ok(created) => tracing::debug!(created, "activity log partitions maintained"),
                Err(e) => tracing::warn!(error = %e, "activity log maintenance failed"),
            }
        }
    })
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM and names the one that came.
async fn shutdown_signal() -> &'static str {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = ctrl_c => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = ctrl_c.await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
        "SIGINT"
    }
}
