//! Database settings.

/// Default runtime URL.
pub const DEFAULT_DATABASE_URL: &str = "postgres://warden_app@127.0.0.1:5432/warden";
/// Default admin URL.
pub const DEFAULT_DATABASE_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/warden";

/// The database variables.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseArgs {
    /// Runtime login role (NOSUPERUSER, NOBYPASSRLS, owns nothing).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Used only by `warden migrate` to create roles, the database, and run migrations.
    #[arg(long, env = "DATABASE_ADMIN_URL", hide_env_values = true, default_value = DEFAULT_DATABASE_ADMIN_URL)]
    pub database_admin_url: String,
    /// Runtime connection pool size.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value = "16", value_parser = super::parse::trimmed::<usize>)]
    pub database_pool_size: usize,
}
