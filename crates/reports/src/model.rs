//! What reports are made of: the kinds of target, the outcomes, a report.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ReportError;
use crate::schema::reports;

/// What a report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetType {
    /// A product listing.
    Listing,
    /// A review.
    Review,
    /// A chat message.
    Message,
    /// A store (seller profile).
    Store,
    /// A user account.
    User,
}
warden_tenancy::text_enum!(TargetType, ReportError, {
    Listing => "listing",
    Review => "review",
    Message => "message",
    Store => "store",
    User => "user",
});

/// How a decided report ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The reviewer acted on the target (removed it, asked for changes, or
    /// recorded a violation of the user).
    Upheld,
    /// The reviewer took no action.
    Dismissed,
}
warden_tenancy::text_enum!(Outcome, ReportError, { Upheld => "upheld", Dismissed => "dismissed" });

/// A report.
#[derive(Clone, Debug, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = reports)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Report {
    /// Report id.
    pub id: Uuid,
    /// Who reported.
    pub reporter_id: Uuid,
    /// `listing`, `review`, `message`, `store` or `user`.
    #[schema(value_type = TargetType)]
    pub target_type: String,
    /// The reported listing, review, message, store or user.
    pub target_id: Uuid,
    /// A category of the tenant's list (the latest given when merged).
    pub category: String,
    /// The reporter's words (the latest non-empty text when merged).
    pub text: String,
    /// Messages the reporter points to (every id given, merged).
    pub message_ids: Vec<Uuid>,
    /// How often the reporter reported the target while this report was open.
    pub times_reported: i32,
    /// The review item the target's open reports share.
    pub review_id: Uuid,
    /// `open` or `closed`.
    #[schema(pattern = "^(open|closed)$")]
    pub status: String,
    /// `upheld` or `dismissed` once closed.
    #[schema(value_type = Option<Outcome>)]
    pub outcome: Option<String>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// First reported at.
    pub created_at: DateTime<Utc>,
    /// Last reported or decided at.
    pub updated_at: DateTime<Utc>,
}
