//! The moderation state of commerce content (products, reviews, messages,
//! seller profiles): what moderation reads and sets through its
//! `ContentStore`, which the server implements with these functions.
//! Each runs inside the caller's tenant transaction.

use diesel::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::text::title_and_description;

use crate::content_screen::ContentKind;
use warden_tenancy::DbConn;

use crate::schema::{messages, products, reviews, seller_profiles};

/// Sets the stored moderation status (`status`) of a piece of content.
pub async fn set_status(
    conn: &mut DbConn,
    kind: ContentKind,
    id: Uuid,
    status: &str,
) -> QueryResult<()> {
    match kind {
        ContentKind::Product => {
            diesel::update(products::table.filter(products::id.eq(id)))
                .set(products::moderation_status.eq(status))
                .execute(conn)
                .await?
        }
        ContentKind::Review => {
            diesel::update(reviews::table.filter(reviews::id.eq(id)))
                .set(reviews::moderation_status.eq(status))
                .execute(conn)
                .await?
        }
        ContentKind::Message => {
            diesel::update(messages::table.filter(messages::id.eq(id)))
                .set(messages::moderation_status.eq(status))
                .execute(conn)
                .await?
        }
        ContentKind::SellerProfile => {
            diesel::update(seller_profiles::table.filter(seller_profiles::id.eq(id)))
                .set(seller_profiles::moderation_status.eq(status))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// The user who wrote a piece of content: a product's seller, a review's or
/// message's author, a profile's owner. `None` for content without a person
/// behind it (assistant messages) or gone.
pub async fn author(conn: &mut DbConn, kind: ContentKind, id: Uuid) -> QueryResult<Option<Uuid>> {
    let seller_owner = |seller: Uuid| {
        seller_profiles::table
            .filter(seller_profiles::id.eq(seller))
            .select(seller_profiles::user_id)
    };
    Ok(match kind {
        ContentKind::Product => {
            let seller: Option<Uuid> = products::table
                .filter(products::id.eq(id))
                .select(products::seller_id)
                .first(conn)
                .await
                .optional()?;
            match seller {
                Some(s) => seller_owner(s).first(conn).await.optional()?,
                None => None,
            }
        }
        ContentKind::Review => reviews::table
            .filter(reviews::id.eq(id))
            .select(reviews::author_id)
            .first(conn)
            .await
            .optional()?,
        ContentKind::Message => messages::table
            .filter(messages::id.eq(id))
            .select(messages::author_id)
            .first::<Option<Uuid>>(conn)
            .await
            .optional()?
            .flatten(),
        ContentKind::SellerProfile => seller_owner(id).first(conn).await.optional()?,
    })
}

/// How many items of a type there are to moderate (deleted products are not).
pub async fn count(conn: &mut DbConn, kind: ContentKind) -> QueryResult<i64> {
    match kind {
        ContentKind::Product => {
            products::table
                .filter(products::status.ne("deleted"))
                .count()
                .get_result(conn)
                .await
        }
        ContentKind::Review => reviews::table.count().get_result(conn).await,
        ContentKind::Message => messages::table.count().get_result(conn).await,
        ContentKind::SellerProfile => seller_profiles::table.count().get_result(conn).await,
    }
}

/// The moderated text of one piece of content, as a rescan reads it; `None`
/// when it is gone.
pub async fn text(conn: &mut DbConn, kind: ContentKind, id: Uuid) -> QueryResult<Option<String>> {
    Ok(match kind {
        ContentKind::Product => products::table
            .filter(products::id.eq(id))
            .select((products::title, products::description))
            .first::<(String, String)>(conn)
            .await
            .optional()?
            .map(|(title, description)| title_and_description(&title, &description)),
        ContentKind::Review => reviews::table
            .filter(reviews::id.eq(id))
            .select(reviews::body)
            .first(conn)
            .await
            .optional()?,
        ContentKind::Message => messages::table
            .filter(messages::id.eq(id))
            .select(messages::body)
            .first(conn)
            .await
            .optional()?,
        ContentKind::SellerProfile => seller_profiles::table
            .filter(seller_profiles::id.eq(id))
            .select((seller_profiles::store_name, seller_profiles::description))
            .first::<(String, String)>(conn)
            .await
            .optional()?
            .map(|(name, description)| title_and_description(&name, &description)),
    })
}

/// Up to `limit` items of a type with ids after `after`, in id order:
/// (id, moderated text, current moderation status).
pub async fn page(
    conn: &mut DbConn,
    kind: ContentKind,
    after: Uuid,
    limit: i64,
) -> QueryResult<Vec<(Uuid, String, String)>> {
    Ok(match kind {
        ContentKind::Product => products::table
            .filter(products::id.gt(after))
            .filter(products::status.ne("deleted"))
            .order(products::id)
            .limit(limit)
            .select((
                products::id,
                products::title,
                products::description,
                products::moderation_status,
            ))
            .load::<(Uuid, String, String, String)>(conn)
            .await?
            .into_iter()
            .map(|(id, title, description, s)| (id, title_and_description(&title, &description), s))
            .collect(),
        ContentKind::Review => {
            reviews::table
                .filter(reviews::id.gt(after))
                .order(reviews::id)
                .limit(limit)
                .select((reviews::id, reviews::body, reviews::moderation_status))
                .load(conn)
                .await?
        }
        ContentKind::Message => {
            messages::table
                .filter(messages::id.gt(after))
                .order(messages::id)
                .limit(limit)
                .select((messages::id, messages::body, messages::moderation_status))
                .load(conn)
                .await?
        }
        ContentKind::SellerProfile => seller_profiles::table
            .filter(seller_profiles::id.gt(after))
            .order(seller_profiles::id)
            .limit(limit)
            .select((
                seller_profiles::id,
                seller_profiles::store_name,
                seller_profiles::description,
                seller_profiles::moderation_status,
            ))
            .load::<(Uuid, String, String, String)>(conn)
            .await?
            .into_iter()
            .map(|(id, name, description, s)| (id, title_and_description(&name, &description), s))
            .collect(),
    })
}
