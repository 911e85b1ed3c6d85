//! Moderation's [`ContentStore`] over commerce's tables: moderation decides,
//! commerce owns the content and its moderation state, the server connects
//! the two so that neither crate reaches into the other's tables.

use uuid::Uuid;
use warden_commerce::moderation_state;
use warden_moderation::content::{ContentType, ModerationStatus};
use warden_moderation::{ContentItem, ContentStore, ModerationError};
use warden_tenancy::DbConn;

use super::commerce::content_kind;

/// The content of commerce (products, reviews, messages, seller profiles).
#[derive(Debug, Clone, Copy, Default)]
pub struct CommerceContent;

#[async_trait::async_trait]
impl ContentStore for CommerceContent {
    async fn set_status(
        &self,
        conn: &mut DbConn,
        content_type: ContentType,
        id: Uuid,
        status: ModerationStatus,
    ) -> Result<(), ModerationError> {
        Ok(
            moderation_state::set_status(conn, content_kind(content_type), id, status.as_str())
                .await?,
        )
    }

    async fn author(
        &self,
        conn: &mut DbConn,
        content_type: ContentType,
        id: Uuid,
    ) -> Result<Option<Uuid>, ModerationError> {
        Ok(moderation_state::author(conn, content_kind(content_type), id).await?)
    }

    async fn text(
        &self,
        conn: &mut DbConn,
        content_type: ContentType,
        id: Uuid,
    ) -> Result<Option<String>, ModerationError> {
        Ok(moderation_state::text(conn, content_kind(content_type), id).await?)
    }

    async fn count(
        &self,
        conn: &mut DbConn,
        content_type: ContentType,
    ) -> Result<i64, ModerationError> {
        Ok(moderation_state::count(conn, content_kind(content_type)).await?)
    }

    async fn page(
        &self,
        conn: &mut DbConn,
        content_type: ContentType,
        after: Uuid,
        limit: i64,
    ) -> Result<Vec<ContentItem>, ModerationError> {
        Ok(
            moderation_state::page(conn, content_kind(content_type), after, limit)
                .await?
                .into_iter()
                .map(|(id, text, status)| ContentItem { id, text, status })
                .collect(),
        )
    }
}
