//! Whether a report's target and message ids exist in the tenant. Read-only
//! (the tables are commerce's and identity's, listed under `reads` in
//! crates/OWNERS.toml); row-level security keeps other tenants' rows out, so
//! another tenant's id is as unknown as one that never existed.

use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::DbConn;

use crate::schema::{messages, products, reviews, seller_profiles, users};
use crate::{ReportError, TargetType};

/// Whether the target exists in the tenant of the transaction (a deleted
/// listing does not: it is no longer served).
pub(crate) async fn exists(
    conn: &mut DbConn,
    target_type: TargetType,
    id: Uuid,
) -> Result<bool, ReportError> {
    let n: i64 = match target_type {
        TargetType::Listing => {
            products::table
                .filter(products::id.eq(id))
                .filter(products::status.ne("deleted"))
                .select(count_star())
                .get_result(conn)
                .await?
        }
        TargetType::Review => {
            reviews::table
                .filter(reviews::id.eq(id))
                .select(count_star())
                .get_result(conn)
                .await?
        }
        TargetType::Message => {
            messages::table
                .filter(messages::id.eq(id))
                .select(count_star())
                .get_result(conn)
                .await?
        }
        TargetType::Store => {
            seller_profiles::table
                .filter(seller_profiles::id.eq(id))
                .select(count_star())
                .get_result(conn)
                .await?
        }
        TargetType::User => {
            users::table
                .filter(users::id.eq(id))
                .select(count_star())
                .get_result(conn)
                .await?
        }
    };
    Ok(n > 0)
}

/// Whether the user exists in the tenant of the transaction.
pub(crate) async fn user_exists(conn: &mut DbConn, id: Uuid) -> Result<bool, ReportError> {
    exists(conn, TargetType::User, id).await
}

/// How many of these (distinct) ids are messages of the tenant.
pub(crate) async fn messages_found(conn: &mut DbConn, ids: &[Uuid]) -> Result<i64, ReportError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(messages::table
        .filter(messages::id.eq_any(ids))
        .select(count_star())
        .get_result(conn)
        .await?)
}
