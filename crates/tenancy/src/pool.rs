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
    /// show no rows and refuse every write. For platform tables such as
    /// `tenants`, `platform_activity_log` and maintenance functions.
    pub async fn platform_tx<'a, R, E, F>(&self, f: F) -> Result<R, E>
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

#[cfg(test)]
mod tests {
    use diesel::sql_types::{BigInt, Text};
    use diesel::{ExpressionMethods, QueryDsl, QueryableByName};
    use diesel_async::RunQueryDsl;
    use scoped_futures::ScopedFutureExt;
    use uuid::Uuid;

    use super::*;
    use crate::schema::users;
    use crate::{NewTenant, TenantRegistry};

    fn url() -> String {
        std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://warden_test_app@127.0.0.1:5432/warden_test".into())
    }

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        value: Option<String>,
    }

    /// Inserts a user row of `row_tenant` in a transaction of `tx_tenant`.
    async fn insert_user(
        db: &Db,
        tx_tenant: TenantId,
        row_tenant: TenantId,
        subject: &'static str,
    ) -> Result<usize, TenancyError> {
        db.tenant_tx(tx_tenant, |conn| {
            async move {
                diesel::insert_into(users::table)
                    .values((
                        users::tenant_id.eq(row_tenant.as_uuid()),
                        users::id.eq(Uuid::now_v7()),
                        users::subject.eq(subject),
                    ))
                    .execute(conn)
                    .await
                    .map_err(TenancyError::from)
            }
            .scope_boxed()
        })
        .await
    }

    /// Users a transaction of `tenant` sees.
    async fn count_users(db: &Db, tenant: TenantId) -> i64 {
        db.tenant_tx(tenant, |conn| {
            async move {
                users::table
                    .count()
                    .get_result(conn)
                    .await
                    .map_err(TenancyError::from)
            }
            .scope_boxed()
        })
        .await
        .unwrap()
    }

    async fn tenant_with_user(db: &Db) -> TenantId {
        let registry = TenantRegistry::new(db.clone());
        let tenant = registry
            .create(NewTenant {
                name: "pool-test".into(),
                settings: None,
            })
            .await
            .unwrap();
        let id = TenantId::new(tenant.id);
        insert_user(db, id, id, "someone").await.unwrap();
        id
    }

    #[tokio::test]
    async fn tenant_context_does_not_outlive_its_transaction_on_a_pooled_connection() {
        // One connection, so the raw checkout below is the very one the transaction used.
        let db = Db::connect(&url(), 1).unwrap();
        let tenant = tenant_with_user(&db).await;
        let seen = count_users(&db, tenant).await;
        assert_eq!(seen, 1);

        let mut conn = db.raw().await.unwrap();
        let leaked = diesel::sql_query("SELECT count(*) AS n FROM users")
            .get_result::<Count>(&mut *conn)
            .await
            .unwrap();
        assert_eq!(leaked.n, 0, "rows visible outside a tenant transaction");
        let setting = diesel::sql_query("SELECT current_setting('app.tenant_id', true) AS value")
            .get_result::<Setting>(&mut *conn)
            .await
            .unwrap();
        assert!(setting.value.unwrap_or_default().is_empty());
    }

    #[tokio::test]
    async fn a_write_into_another_tenant_is_refused_by_the_policy() {
        let db = Db::connect(&url(), 2).unwrap();
        let a = tenant_with_user(&db).await;
        let b = tenant_with_user(&db).await;
        let err = insert_user(&db, a, b, "intruder").await.unwrap_err();
        assert!(matches!(err, TenancyError::RlsViolation), "{err:?}");

        // Neither can a tenant's transaction change or see the other's rows.
        let touched = db
            .tenant_tx(a, |conn| {
                async move {
                    diesel::update(users::table.filter(users::tenant_id.eq(b.as_uuid())))
                        .set(users::status.eq("disabled"))
                        .execute(conn)
                        .await
                        .map_err(TenancyError::from)
                }
                .scope_boxed()
            })
            .await
            .unwrap();
        assert_eq!(touched, 0);
    }

    #[tokio::test]
    async fn an_error_in_the_closure_rolls_everything_back() {
        let db = Db::connect(&url(), 1).unwrap();
        let tenant = tenant_with_user(&db).await;
        let result: Result<(), TenancyError> = db
            .tenant_tx(tenant, |conn| {
                async move {
                    diesel::insert_into(users::table)
                        .values((
                            users::tenant_id.eq(tenant.as_uuid()),
                            users::id.eq(Uuid::now_v7()),
                            users::subject.eq("rolled-back"),
                        ))
                        .execute(conn)
                        .await?;
                    Err(TenancyError::invalid("caller changed its mind"))
                }
                .scope_boxed()
            })
            .await;
        assert!(result.is_err());
        let n = count_users(&db, tenant).await;
        assert_eq!(n, 1);
    }
}
