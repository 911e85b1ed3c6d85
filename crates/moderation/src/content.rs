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
