use std::time::Duration;

use deadpool::Runtime;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use scoped_futures::ScopedBoxFuture;

use crate::{TenancyError, TenantId};

/// A pooled connection. Outside this crate it is only ever seen inside a
/// transaction opened by [`Db::tenant_tx`] or [`Db::platform_tx`].
pub type DbConn = AsyncPgConnection;

/// The connection pool of the runtime database role.
///
/// Cloning is cheap: clones share the pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool<AsyncPgConnection>,
}

impl Db {
    /// Builds a pool of at most `max_size` connections to `url`. Connections are
    /// opened lazily, so this succeeds while the database is still down.
    pub fn connect(url: &str, max_size: usize) -> Result<Self, TenancyError> {
        let mut config = ManagerConfig::default();
        // `Verified` would add a `SELECT 1` round trip to every checkout; a broken
        // connection surfaces on first use instead and deadpool drops it.
        config.recycling_method = RecyclingMethod::Fast;
        let manager =
            AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
        let pool = Pool::builder(manager)
            .max_size(max_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(5)))
            .create_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| TenancyError::Unavailable(e.to_string()))?;
        Ok(Self { pool })
    }

    async fn get(&self) -> Result<Object<AsyncPgConnection>, TenancyError> {
        self.pool
            .get()
            .await
            .map_err(|e| TenancyError::Unavailable(e.to_string()))
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), TenancyError> {
        let mut conn = self.get().await?;
        diesel::sql_query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    /// Runs `f` inside a transaction that can see only `tenant`'s rows.
    ///
    /// The transaction's first act sets `app.tenant_id` transaction-locally; it
    /// is sent in the same round trip as `BEGIN`, so the whole pattern costs
    /// three round trips (begin + context, the caller's statements, commit). The
    /// setting dies with the transaction, so the pooled connection carries no
    /// tenant context to its next user. `f`'s error rolls the transaction back.
    pub async fn tenant_tx<'a, R, E, F>(&self, tenant: TenantId, f: F) -> Result<R, E>
    where
        F: for<'r> FnOnce(&'r mut DbConn) -> ScopedBoxFuture<'a, 'r, Result<R, E>> + Send + 'a,
        E: From<diesel::result::Error> + From<TenancyError> + Send + 'a,
        R: Send + 'a,
    {
        // A `Uuid` prints as hex digits and dashes only, so it is safe to inline;
        // the simple-query protocol lets both statements share one round trip.
        let begin = format!(
            "BEGIN; SELECT set_config('app.tenant_id', '{}', true)",
            tenant.as_uuid()
        );
        self.run_tx(&begin, f).await
    }

    /// Runs `f` in a transaction with no tenant context: tenant-scoped tables
    /// show no rows and refuse every write. Used for platform tables such as
    /// `tenants`.
    pub(crate) async fn platform_tx<'a, R, E, F>(&self, f: F) -> Result<R, E>
    where
        F: for<'r> FnOnce(&'r mut DbConn) -> ScopedBoxFuture<'a, 'r, Result<R, E>> + Send + 'a,
        E: From<diesel::result::Error> + From<TenancyError> + Send + 'a,
        R: Send + 'a,
    {
        self.run_tx("BEGIN", f).await
    }

    async fn run_tx<'a, R, E, F>(&self, begin: &str, f: F) -> Result<R, E>
    where
        F: for<'r> FnOnce(&'r mut DbConn) -> ScopedBoxFuture<'a, 'r, Result<R, E>> + Send + 'a,
        E: From<diesel::result::Error> + From<TenancyError> + Send + 'a,
        R: Send + 'a,
    {
        let mut conn = self.get().await?;
        let conn: &mut AsyncPgConnection = &mut conn;
        AnsiTransactionManager::begin_transaction_sql(conn, begin)
            .await
            .map_err(TenancyError::from)?;
        match f(conn).await {
            Ok(value) => {
                AnsiTransactionManager::commit_transaction(conn)
                    .await
                    .map_err(TenancyError::from)?;
                Ok(value)
            }
            Err(user_error) => match AnsiTransactionManager::rollback_transaction(conn).await {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(user_error),
                Err(rollback_error) => Err(TenancyError::from(rollback_error).into()),
            },
        }
    }

    /// A raw pooled connection for crate-internal tests of isolation.
    #[cfg(test)]
    pub(crate) async fn raw(&self) -> Result<Object<AsyncPgConnection>, TenancyError> {
        self.get().await
    }
}
