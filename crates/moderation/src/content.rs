//! The kinds of content moderation runs on, and their moderation state.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A kind of user-written content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    /// A product listing (title and description).
    Product,
    /// A review of an order or product.
    Review,
    /// A chat message.
    Message,
    /// A seller's store profile (name and description).
    SellerProfile,
}

impl ContentType {
    /// Every content type.
    pub const ALL: [ContentType; 4] = [
        Self::Product,
        Self::Review,
        Self::Message,
        Self::SellerProfile,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::Review => "review",
            Self::Message => "message",
            Self::SellerProfile => "seller_profile",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where a piece of content stands with moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModerationStatus {
    /// Visible.
    Approved,
    /// Visible, marked for staff.
    Flagged,
    /// Hidden from buyers until a reviewer approves.
    PendingReview,
    /// Hidden: a reviewer rejected it.
    Rejected,
    /// Hidden until the author edits it.
    ChangesRequested,
}

impl ModerationStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Flagged => "flagged",
            Self::PendingReview => "pending_review",
            Self::Rejected => "rejected",
            Self::ChangesRequested => "changes_requested",
        }
    }

    /// Whether buyers (and anyone but the author and staff) may see the content.
    pub fn is_public(self) -> bool {
        matches!(self, Self::Approved | Self::Flagged)
    }
}

/// Sets the moderation status of a piece of content (inside a tenant transaction).
pub async fn set_status(
    conn: &mut warden_tenancy::DbConn,
    content_type: ContentType,
    id: uuid::Uuid,
    status: ModerationStatus,
) -> Result<(), crate::ModerationError> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use warden_tenancy::schema::{messages, products, reviews, seller_profiles};
    let s = status.as_str();
    match content_type {
        ContentType::Product => {
            diesel::update(products::table.filter(products::id.eq(id)))
                .set(products::moderation_status.eq(s))
                .execute(conn)
                .await?
        }
        ContentType::Review => {
            diesel::update(reviews::table.filter(reviews::id.eq(id)))
                .set(reviews::moderation_status.eq(s))
                .execute(conn)
                .await?
        }
        ContentType::Message => {
            diesel::update(messages::table.filter(messages::id.eq(id)))
                .set(messages::moderation_status.eq(s))
                .execute(conn)
                .await?
        }
        ContentType::SellerProfile => {
            diesel::update(seller_profiles::table.filter(seller_profiles::id.eq(id)))
                .set(seller_profiles::moderation_status.eq(s))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// The user who wrote a piece of content (inside a tenant transaction):
/// a product's seller, a review's or message's author, a profile's owner.
/// `None` for content without a person behind it (assistant messages) or gone.
pub async fn author(
    conn: &mut warden_tenancy::DbConn,
    content_type: ContentType,
    id: uuid::Uuid,
) -> Result<Option<uuid::Uuid>, crate::ModerationError> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use warden_tenancy::schema::{messages, products, reviews, seller_profiles};
    let seller_owner = |seller: uuid::Uuid| {
        seller_profiles::table
            .filter(seller_profiles::id.eq(seller))
            .select(seller_profiles::user_id)
    };
    Ok(match content_type {
        ContentType::Product => {
            let seller: Option<uuid::Uuid> = products::table
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
        ContentType::Review => reviews::table
            .filter(reviews::id.eq(id))
            .select(reviews::author_id)
            .first(conn)
            .await
            .optional()?,
        ContentType::Message => messages::table
            .filter(messages::id.eq(id))
            .select(messages::author_id)
            .first::<Option<uuid::Uuid>>(conn)
            .await
            .optional()?
            .flatten(),
        ContentType::SellerProfile => seller_owner(id).first(conn).await.optional()?,
    })
}
