//! Violations as the API shows them, and the words they are made of.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_decisions::evidence::Evidence;
use warden_decisions::statements::Statement;

use crate::EnforcementError;

/// What kind of rule was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViolationType {
    /// Content (listings, reviews, messages, profiles).
    Content,
    /// Behavior (abusive patterns of activity).
    Behavior,
    /// Security (attacks on accounts or the platform).
    Security,
}
warden_tenancy::text_enum!(ViolationType, EnforcementError, { Content => "content", Behavior => "behavior", Security => "security" });

/// How grave a violation is. CRITICAL may skip ladder steps.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}
warden_tenancy::text_enum!(Severity, EnforcementError, { Low => "low", Medium => "medium", High => "high", Critical => "critical" });

/// The enforcement step a violation caused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A warning; the account stays usable.
    Warning,
    /// Refused on every request until `ban_until`.
    TemporaryBan,
    /// The account is disabled.
    PermanentBan,
}
warden_tenancy::text_enum!(Action, EnforcementError, { Warning => "warning", TemporaryBan => "temporary_ban", PermanentBan => "permanent_ban" });

/// Where a violation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViolationStatus {
    /// Recorded, enforcement applied.
    Open,
    /// Handled by staff (or the appeal was upheld); it still counts on the ladder.
    Resolved,
    /// The user appealed; a moderator decides.
    Appealed,
    /// Overturned on appeal; its enforcement step was reverted and it no longer counts.
    Overturned,
}
warden_tenancy::text_enum!(ViolationStatus, EnforcementError, { Open => "open", Resolved => "resolved", Appealed => "appealed", Overturned => "overturned" });

/// What a violation came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A moderation decision that rejected content.
    Moderation,
    /// A behavior detection (confirmed, or live with high confidence).
    Detection,
    /// Staff, by hand.
    Manual,
}
warden_tenancy::text_enum!(SourceKind, EnforcementError, { Moderation => "moderation", Detection => "detection", Manual => "manual" });

/// Where a violation came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Source {
    /// Kind of source.
    pub kind: SourceKind,
    /// The moderation result or detection; none for manual violations.
    pub id: Option<Uuid>,
}

/// An appeal of a violation.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Appeal {
    /// The appealing user.
    pub appellant_id: Uuid,
    /// Why the user thinks the violation is wrong.
    pub text: String,
    /// `pending`, `upheld` or `overturned`.
    pub status: String,
    /// The moderator who decided.
    pub decided_by: Option<Uuid>,
    /// The moderator's note.
    pub decision_note: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
}

/// A violation with the enforcement it caused.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Violation {
    /// Violation id.
    pub id: Uuid,
    /// The user who broke the rule.
    pub user_id: Uuid,
    /// What staff call that user: their display name, else e-mail address,
    /// else token subject (null when the tenant no longer knows them).
    pub user_name: Option<String>,
    /// Kind of rule broken.
    #[serde(rename = "type")]
    pub violation_type: ViolationType,
    /// Severity.
    pub severity: Severity,
    /// What it came from.
    pub source: Source,
    /// Why, in words.
    pub reason: String,
    /// The enforcement step applied.
    pub action: Action,
    /// Position on the tenant's ladder (1 = first step).
    pub ladder_step: i32,
    /// End of a temporary ban.
    pub ban_until: Option<DateTime<Utc>>,
    /// Status.
    pub status: ViolationStatus,
    /// Notes of the resolution (or of the appeal decision).
    pub resolution_note: Option<String>,
    /// Who resolved it.
    pub resolved_by: Option<Uuid>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Staff who created it by hand.
    pub created_by: Option<Uuid>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The appeal, if any.
    pub appeal: Option<Appeal>,
    /// What it was decided on (absent once the retention has deleted it).
    pub evidence_id: Option<Uuid>,
}

/// A violation with what it was decided on and what its user was told
/// (`GET /violations/{id}`, an appeal's decision).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ViolationDetail {
    /// The violation.
    #[serde(flatten)]
    pub violation: Violation,
    /// Its evidence: the content as judged with the rules' spans, scores and
    /// model versions, a detection's events, who decided and when.
    pub evidence: Option<Evidence>,
    /// The statement of reasons its user received.
    pub statement: Option<Statement>,
}
