//! What commerce asks of content moderation, declared here so that commerce
//! does not depend on it (nor compile its models): user text is judged before
//! a write, and the judgement is recorded inside the write's transaction. The
//! server implements [`ContentScreen`] around its moderator and passes it in.

use async_trait::async_trait;
use uuid::Uuid;
use warden_tenancy::{Actor, Db, DbConn, TenantId};

use crate::CommerceError;

/// The kinds of commerce content whose text is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentKind {
    /// A product listing (title and description).
    Product,
    /// A review of an order or product.
    Review,
    /// A chat message.
    Message,
    /// A seller's store profile (name and description).
    SellerProfile,
}

/// Where a piece of content stands with moderation, as its
/// `moderation_status` column stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// Judges the text of content about to be written. A rejection is an error,
/// so nothing is written; its error is the moderation error, carried in
/// [`CommerceError::Delegated`] so that the API answers it unchanged.
#[async_trait]
pub trait ContentScreen: Send + Sync {
    /// Judges `text` that `author` is about to write as `kind` content
    /// (`content_id` when it exists already), outside any transaction (the
    /// judgement must not hold a connection). A rejection is recorded against
    /// the author and answered as an error.
    async fn screen(
        &self,
        db: &Db,
        author: &Actor,
        kind: ContentKind,
        content_id: Option<Uuid>,
        text: String,
    ) -> Result<Box<dyn Screened>, CommerceError>;

    /// The tenant's rules in hand, for judging inside a transaction (where
    /// fetching them could wait on the pool the transaction holds).
    async fn rules(&self, db: &Db, tenant: TenantId)
    -> Result<Box<dyn ScreenRules>, CommerceError>;
}

/// A tenant's screening rules, fetched before a transaction.
#[async_trait]
pub trait ScreenRules: Send + Sync {
    /// Judges `text` as `kind` content with these rules; a rejection is an
    /// error (and, unlike [`ContentScreen::screen`], is not recorded).
    async fn screen(
        &self,
        kind: ContentKind,
        text: String,
    ) -> Result<Box<dyn Screened>, CommerceError>;
}

/// Text that passed the screen, waiting to be recorded with its write.
#[async_trait]
pub trait Screened: Send + Sync {
    /// Records the judgement about content `content_id` by `author` (the
    /// person who wrote it, when one did) inside the transaction writing it,
    /// and returns the moderation status the content takes.
    async fn record(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        content_id: Uuid,
        author: Option<Uuid>,
    ) -> Result<ModerationStatus, CommerceError>;
}
