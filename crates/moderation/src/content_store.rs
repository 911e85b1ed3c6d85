//! The content moderation works on lives in another crate's tables; this is
//! what moderation needs from whoever owns them. Moderation never reads or
//! writes those tables itself (one owner per table); the server plugs in the
//! implementation.

use uuid::Uuid;
use warden_tenancy::DbConn;

use crate::ModerationError;
use crate::content::{ContentType, ModerationStatus};

/// One piece of content as a rescan judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentItem {
    /// The content's id.
    pub id: Uuid,
    /// The text moderated (see [`warden_tenancy::text::title_and_description`]).
    pub text: String,
    /// Its current moderation status, as stored.
    pub status: String,
}

/// Access to the content moderation decides on. Every method runs inside the
/// caller's tenant transaction (`conn`), so a decision and the content state
/// it changes commit together.
#[async_trait::async_trait]
pub trait ContentStore: Send + Sync {
    /// Sets the moderation status of a piece of content.
    async fn set_status(
        &self,
        conn: &mut DbConn,
        content_type: ContentType,
        id: Uuid,
        status: ModerationStatus,
    ) -> Result<(), ModerationError>;

    /// The user who wrote a piece of content: a product's seller, a review's
    /// or message's author, a profile's owner. `None` for content without a
    /// person behind it (assistant messages) or gone.
    async fn author(
        &self,
        conn: &mut DbConn,
        content_type: ContentType,
        id: Uuid,
    ) -> Result<Option<Uuid>, ModerationError>;

    /// The moderated text of a piece of content (what a rescan judges);
    /// `None` when it is gone.
    async fn text(
        &self,
        conn: &mut DbConn,
        content_type: ContentType,
        id: Uuid,
    ) -> Result<Option<String>, ModerationError>;

    /// How many items of a type a rescan looks at.
    async fn count(
        &self,
        conn: &mut DbConn,
        content_type: ContentType,
    ) -> Result<i64, ModerationError>;

    /// Up to `limit` items of a type with ids after `after`, in id order.
    async fn page(
        &self,
        conn: &mut DbConn,
        content_type: ContentType,
        after: Uuid,
        limit: i64,
    ) -> Result<Vec<ContentItem>, ModerationError>;
}
