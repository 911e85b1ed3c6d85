//! Database setup: roles, the database itself, and the embedded migrations.
//!
//! Three roles are involved:
//! - `warden_owner` (NOLOGIN, BYPASSRLS) owns the database and every table;
//!   migrations and the log-maintenance function run as it, and must see every
//!   tenant's rows (moving log rows between partitions, pruning).
//! - `warden_runtime` (NOLOGIN) holds the grants the server needs and nothing else.
//! - `warden_queue` (NOLOGIN, no BYPASSRLS) owns the job queue's SECURITY DEFINER
//!   functions, through which workers claim and settle jobs of every tenant; it
//!   may read the queue's bookkeeping columns (never a payload) and nothing else.
//!   The owner role is a member of it so that migrations can hand it functions.
//! - the login role named in `DATABASE_URL`: NOSUPERUSER NOBYPASSRLS, member of
//!   `warden_runtime`, owner of nothing. Row-level security therefore applies to it.

use diesel::connection::SimpleConnection;
use diesel::sql_types::{Bool, Text};
use diesel::{Connection, QueryableByName};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use url::Url;

use crate::TenancyError;

/// The migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");
/// Role that owns the schema.
pub const OWNER_ROLE: &str = "warden_owner";
/// Group role holding the runtime grants.
pub const RUNTIME_GROUP: &str = "warden_runtime";
/// Role owning the job queue's cross-tenant functions.
pub const QUEUE_ROLE: &str = "warden_queue";

/// What `migrate` did.
#[derive(Debug, Clone)]
pub struct MigrateReport {
    /// Database name.
    pub database: String,
    /// Runtime login role.
    pub runtime_role: String,
    /// Whether the database was created by this run.
    pub created_database: bool,
    /// Versions of the migrations applied by this run.
    pub applied: Vec<String>,
}

/// Which way to move the schema (for tests and operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Apply every pending migration.
    UpAll,
    /// Revert every applied migration.
    DownAll,
}

fn parse(url: &str, what: &str) -> Result<Url, TenancyError> {
    Url::parse(url).map_err(|e| TenancyError::Migration(format!("{what} is not a valid URL: {e}")))
}

fn database_of(url: &Url, what: &str) -> Result<String, TenancyError> {
    let db = url.path().trim_start_matches('/');
    check_identifier(db, what)?;
    Ok(db.to_owned())
}

/// Role and database names are spliced into DDL, so only plain identifiers pass.
fn check_identifier(name: &str, what: &str) -> Result<(), TenancyError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(TenancyError::Migration(format!(
            "{what} {name:?} must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 bytes)"
        )))
    }
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

async fn connect(url: &Url) -> Result<AsyncPgConnection, TenancyError> {
    AsyncPgConnection::establish(url.as_str())
        .await
        .map_err(|e| TenancyError::Migration(format!("cannot connect as admin: {e}")))
}

fn ddl_err(e: diesel::result::Error) -> TenancyError {
    TenancyError::Migration(e.to_string())
}

/// Creates the roles and the database when missing, then applies pending
/// migrations. With `reset`, drops the database first. Safe to run from several
/// processes at once: an advisory lock serialises them.
pub async fn migrate(
    admin_url: &str,
    runtime_url: &str,
    reset: bool,
) -> Result<MigrateReport, TenancyError> {
    let admin = parse(admin_url, "DATABASE_ADMIN_URL")?;
    let runtime = parse(runtime_url, "DATABASE_URL")?;
    let database = database_of(&runtime, "database name")?;
    if database_of(&admin, "admin database name")? != database {
        return Err(TenancyError::Migration(
            "DATABASE_ADMIN_URL and DATABASE_URL must name the same database".into(),
        ));
    }
    let role = runtime.username().to_owned();
    check_identifier(&role, "runtime role")?;
    if role == admin.username() || role == OWNER_ROLE || role == RUNTIME_GROUP || role == QUEUE_ROLE
    {
        return Err(TenancyError::Migration(format!(
            "the runtime role {role:?} must be its own login role, not the admin or owner role"
        )));
    }
    let password = runtime
        .password()
        .map(|p| {
            url::form_urlencoded::parse(format!("p={p}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .filter(|p| !p.is_empty());

    let mut maintenance_url = admin.clone();
    maintenance_url.set_path("/postgres");
    let mut conn = connect(&maintenance_url).await?;
    conn.batch_execute("SELECT pg_advisory_lock(hashtext('warden_migrate'))")
        .await
        .map_err(ddl_err)?;

    let password_clause = password
        .as_deref()
        .map(|p| format!(" PASSWORD {}", quote_literal(p)))
        .unwrap_or_default();
    conn.batch_execute(&format!(
        r#"DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
                CREATE ROLE {OWNER_ROLE} NOLOGIN;
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RUNTIME_GROUP}') THEN
                CREATE ROLE {RUNTIME_GROUP} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{QUEUE_ROLE}') THEN
                CREATE ROLE {QUEUE_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} LOGIN;
            END IF;
        END $$;
        ALTER ROLE {OWNER_ROLE} NOLOGIN BYPASSRLS;
        ALTER ROLE {QUEUE_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        GRANT {QUEUE_ROLE} TO {OWNER_ROLE};
        ALTER ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE{password_clause};
        GRANT {RUNTIME_GROUP} TO {role};"#
    ))
    .await
    .map_err(ddl_err)?;

    if reset {
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .await
            .map_err(ddl_err)?;
    }
    let exists =
        diesel::sql_query("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1) AS flag")
            .bind::<Text, _>(&database)
            .get_result::<Flag>(&mut conn)
            .await
            .map_err(ddl_err)?
            .flag;
    if !exists {
        conn.batch_execute(&format!("CREATE DATABASE {database} OWNER {OWNER_ROLE}"))
            .await
            .map_err(ddl_err)?;
    }
    conn.batch_execute(&format!(
        "REVOKE ALL ON DATABASE {database} FROM PUBLIC;
         GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {RUNTIME_GROUP};"
    ))
    .await
    .map_err(ddl_err)?;

    let applied = apply(admin.as_str(), Direction::UpAll).await?;

    conn.batch_execute("SELECT pg_advisory_unlock(hashtext('warden_migrate'))")
        .await
        .map_err(ddl_err)?;
    Ok(MigrateReport {
        database,
        runtime_role: role,
        created_database: !exists,
        applied,
    })
}

/// Moves the schema of the database at `admin_url` as the owner role and
/// returns the versions touched. The database and roles must exist.
pub async fn apply(admin_url: &str, direction: Direction) -> Result<Vec<String>, TenancyError> {
    let url = admin_url.to_owned();
    // The migration harness is synchronous and blocks on the async connection,
    // which must not happen on an async worker thread.
    tokio::task::spawn_blocking(move || -> Result<Vec<String>, TenancyError> {
        let mut conn =
            <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url)
                .map_err(|e| TenancyError::Migration(format!("cannot connect as admin: {e}")))?;
        SimpleConnection::batch_execute(
            &mut conn,
            &format!("SET ROLE {OWNER_ROLE}; GRANT USAGE ON SCHEMA public TO {RUNTIME_GROUP};"),
        )
        .map_err(ddl_err)?;
        let versions = match direction {
            Direction::UpAll => conn.run_pending_migrations(MIGRATIONS),
            Direction::DownAll => conn.revert_all_migrations(MIGRATIONS),
        }
        .map_err(|e| TenancyError::Migration(e.to_string()))?;
        Ok(versions.into_iter().map(|v| v.to_string()).collect())
    })
    .await
    .map_err(|e| TenancyError::Migration(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_that_could_inject_are_refused() {
        assert!(check_identifier("warden_app", "role").is_ok());
        assert!(check_identifier("app; DROP TABLE x", "role").is_err());
        assert!(check_identifier("Warden", "role").is_err());
        assert!(check_identifier("1abc", "role").is_err());
        assert!(check_identifier("", "role").is_err());
    }

    #[test]
    fn literals_are_quoted() {
        assert_eq!(quote_literal("a'b"), "'a''b'");
    }
}
