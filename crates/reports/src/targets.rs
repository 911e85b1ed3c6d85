//! Whether a report's target and message ids are there for the reporter to
//! report. Read-only (the tables are commerce's and identity's, listed under
//! `reads` in crates/OWNERS.toml); row-level security keeps other tenants'
//! rows out, so another tenant's id is as unknown as one that never existed.
//!
//! A member reports what they can see: a listing, review or store that is
//! public (active and approved or flagged), a public message of one of their
//! own conversations, any user of the tenant. Hidden content (held, rejected,
//! deleted, someone else's conversation) answers as if it did not exist, so a
//! report neither confirms that it exists nor re-opens what moderation has
//! already removed. Staff may report anything that exists.

use diesel::dsl::{count_star, exists as sql_exists};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::{Actor, DbConn};

use crate::schema::{conversations, messages, products, reviews, seller_profiles, users};
use crate::{ReportError, TargetType};

/// Moderation states in which content is shown to members.
const PUBLIC: [&str; 2] = ["approved", "flagged"];

/// Whether `reporter` may report the target: it exists in the tenant of the
/// transaction and is visible to them (see the module's rule).
pub(crate) async fn reportable(
    conn: &mut DbConn,
    reporter: &Actor,
    target_type: TargetType,
    id: Uuid,
) -> Result<bool, ReportError> {
    let staff = reporter.is_staff();
    let found = match target_type {
        TargetType::Listing => {
            let mut q = products::table
                .filter(products::id.eq(id))
                .filter(products::status.ne("deleted"))
                .into_boxed();
            if !staff {
                q = q
                    .filter(products::status.eq("active"))
                    .filter(products::moderation_status.eq_any(PUBLIC));
            }
            diesel::select(sql_exists(q.select(products::id)))
                .get_result(conn)
                .await?
        }
        TargetType::Review => {
            let mut q = reviews::table.filter(reviews::id.eq(id)).into_boxed();
            if !staff {
                q = q.filter(reviews::moderation_status.eq_any(PUBLIC));
            }
            diesel::select(sql_exists(q.select(reviews::id)))
                .get_result(conn)
                .await?
        }
        TargetType::Message => visible_messages(conn, reporter, &[id]).await? == 1,
        TargetType::Store => {
            let mut q = seller_profiles::table
                .filter(seller_profiles::id.eq(id))
                .into_boxed();
            if !staff {
                q = q
                    .filter(seller_profiles::status.eq("active"))
                    .filter(seller_profiles::moderation_status.eq_any(PUBLIC));
            }
            diesel::select(sql_exists(q.select(seller_profiles::id)))
                .get_result(conn)
                .await?
        }
        TargetType::User => user_exists(conn, id).await?,
    };
    Ok(found)
}

/// Whether the user exists in the tenant of the transaction.
pub(crate) async fn user_exists(conn: &mut DbConn, id: Uuid) -> Result<bool, ReportError> {
    Ok(
        diesel::select(sql_exists(users::table.filter(users::id.eq(id))))
            .get_result(conn)
            .await?,
    )
}

/// How many of these (distinct) ids are messages `reporter` can see: public
/// messages of conversations they are the buyer or the seller of (staff: any
/// message of the tenant).
pub(crate) async fn visible_messages(
    conn: &mut DbConn,
    reporter: &Actor,
    ids: &[Uuid],
) -> Result<i64, ReportError> {
    if ids.is_empty() {
        return Ok(0);
    }
    if reporter.is_staff() {
        return Ok(messages::table
            .filter(messages::id.eq_any(ids))
            .select(count_star())
            .get_result(conn)
            .await?);
    }
    let own_stores = seller_profiles::table
        .filter(seller_profiles::user_id.eq(reporter.user_id))
        .select(seller_profiles::id);
    let own_conversations = conversations::table
        .filter(
            conversations::buyer_id
                .eq(reporter.user_id)
                .or(conversations::seller_id.eq_any(own_stores)),
        )
        .select(conversations::id);
    Ok(messages::table
        .filter(messages::id.eq_any(ids))
        .filter(messages::moderation_status.eq_any(PUBLIC))
        .filter(messages::conversation_id.eq_any(own_conversations))
        .select(count_star())
        .get_result(conn)
        .await?)
}
