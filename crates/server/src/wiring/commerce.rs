//! Commerce's traits answered by moderation ([`ModeratorScreen`]) and trust
//! ([`TrustStanding`]). Their errors travel through commerce whole, as
//! [`DelegatedError`]s that `crate::error` answers as moderation's and
//! trust's own.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;
use warden_commerce::content_screen::{self, ContentKind, ContentScreen, ScreenRules, Screened};
use warden_commerce::seller_standing::{GatedFeature, SellerStanding};
use warden_commerce::{CommerceError, DelegatedError};
use warden_moderation::content::{ContentType, ModerationStatus};
use warden_moderation::moderator::Verdict;
use warden_moderation::rules::RuleSet;
use warden_moderation::{ModerationError, Moderator, results};
use warden_tenancy::{Actor, Db, DbConn, TenantId};

use super::rejection_violations::EnforcedAtOnce;
use crate::state::{AppState, UserCache, forget_user};
use warden_trust::TrustError;
use warden_trust::settings::Feature;

/// Commerce's content screen, answered by the moderator. A refused write's
/// violation is recorded at once ([`EnforcedAtOnce`]), and its author's
/// cached account row forgotten, so a ban it brings refuses their next
/// request.
pub struct ModeratorScreen<'a> {
    moderator: &'a Moderator,
    violations: EnforcedAtOnce,
    users: &'a UserCache,
}

impl<'a> ModeratorScreen<'a> {
    /// The screen of the server's moderator, clock and user cache.
    pub fn of(state: &'a AppState) -> Self {
        Self {
            moderator: &state.moderator,
            violations: EnforcedAtOnce {
                clock: Arc::clone(&state.clock),
            },
            users: &state.users,
        }
    }
}

/// A verdict that passed, with the kind of content it is about.
struct Judged {
    content_type: ContentType,
    verdict: Verdict,
}

/// A tenant's compiled rules, with the moderator to judge by them.
struct RulesInHand {
    moderator: Moderator,
    rules: Arc<RuleSet>,
}

fn moderation(e: ModerationError) -> CommerceError {
    DelegatedError::new(e.code(), e).into()
}

fn content_type(kind: ContentKind) -> ContentType {
    match kind {
        ContentKind::Product => ContentType::Product,
        ContentKind::Review => ContentType::Review,
        ContentKind::Message => ContentType::Message,
        ContentKind::SellerProfile => ContentType::SellerProfile,
    }
}

/// Moderation's name for a kind of commerce content, in commerce's terms.
pub(crate) fn content_kind(t: ContentType) -> ContentKind {
    match t {
        ContentType::Product => ContentKind::Product,
        ContentType::Review => ContentKind::Review,
        ContentType::Message => ContentKind::Message,
        ContentType::SellerProfile => ContentKind::SellerProfile,
    }
}

fn status(status: ModerationStatus) -> content_screen::ModerationStatus {
    use content_screen::ModerationStatus as Commerce;
    match status {
        ModerationStatus::Approved => Commerce::Approved,
        ModerationStatus::Flagged => Commerce::Flagged,
        ModerationStatus::PendingReview => Commerce::PendingReview,
        ModerationStatus::Rejected => Commerce::Rejected,
        ModerationStatus::ChangesRequested => Commerce::ChangesRequested,
    }
}

#[async_trait]
impl ContentScreen for ModeratorScreen<'_> {
    async fn screen(
        &self,
        db: &Db,
        author: &Actor,
        kind: ContentKind,
        content_id: Option<Uuid>,
        text: String,
    ) -> Result<Box<dyn Screened>, CommerceError> {
        let content_type = content_type(kind);
        let verdict = self
            .moderator
            .screen(db, author, content_type, content_id, text, &self.violations)
            .await
            .map_err(|e| {
                if matches!(e, ModerationError::Rejected { .. }) {
                    // The refusal may have banned the author.
                    forget_user(self.users, author.tenant, author.user_id);
                }
                moderation(e)
            })?;
        Ok(Box::new(Judged {
            content_type,
            verdict,
        }))
    }

    async fn rules(
        &self,
        db: &Db,
        tenant: TenantId,
    ) -> Result<Box<dyn ScreenRules>, CommerceError> {
        let rules = self.moderator.rules(db, tenant).await.map_err(moderation)?;
        Ok(Box::new(RulesInHand {
            moderator: self.moderator.clone(),
            rules,
        }))
    }
}

#[async_trait]
impl ScreenRules for RulesInHand {
    async fn screen(
        &self,
        kind: ContentKind,
        text: String,
    ) -> Result<Box<dyn Screened>, CommerceError> {
        let content_type = content_type(kind);
        let verdict = self
            .moderator
            .screen_with(&self.rules, content_type, text)
            .await
            .map_err(moderation)?;
        Ok(Box::new(Judged {
            content_type,
            verdict,
        }))
    }
}

#[async_trait]
impl Screened for Judged {
    async fn record(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        content_id: Uuid,
        author: Option<Uuid>,
    ) -> Result<content_screen::ModerationStatus, CommerceError> {
        let content = results::Judged {
            content_type: self.content_type,
            content_id: Some(content_id),
            author,
        };
        results::record(conn, tenant, content, &self.verdict)
            .await
            .map(status)
            .map_err(moderation)
    }
}

/// Commerce's view of a store's standing, answered by trust.
pub struct TrustStanding;

fn trust(e: TrustError) -> CommerceError {
    DelegatedError::new(e.code(), e).into()
}

fn feature(feature: GatedFeature) -> Feature {
    match feature {
        GatedFeature::BasicAnalytics => Feature::BasicAnalytics,
        GatedFeature::AdvancedAnalytics => Feature::AdvancedAnalytics,
        GatedFeature::BulkOperations => Feature::BulkOperations,
        GatedFeature::Payments => Feature::Payments,
        GatedFeature::AutomatedOrderProcessing => Feature::AutomatedOrderProcessing,
        GatedFeature::CustomAutomationRules => Feature::CustomAutomationRules,
    }
}

#[async_trait]
impl SellerStanding for TrustStanding {
    async fn check_listing(&self, conn: &mut DbConn, seller: Uuid) -> Result<(), CommerceError> {
        warden_trust::standing::check_listing(conn, seller)
            .await
            .map_err(trust)
    }

    async fn listing_refused(
        &self,
        db: &Db,
        tenant: TenantId,
        user: Uuid,
    ) -> Result<(), CommerceError> {
        warden_trust::refusals::listing_refused(db, tenant, user)
            .await
            .map_err(trust)
    }

    async fn require_own(
        &self,
        conn: &mut DbConn,
        user: Uuid,
        gated: GatedFeature,
    ) -> Result<Uuid, CommerceError> {
        warden_trust::gates::require_own(conn, user, feature(gated))
            .await
            .map_err(trust)
    }

    async fn require(
        &self,
        conn: &mut DbConn,
        seller: Uuid,
        gated: GatedFeature,
    ) -> Result<(), CommerceError> {
        warden_trust::gates::require(conn, seller, feature(gated))
            .await
            .map_err(trust)
    }

    async fn allows(
        &self,
        conn: &mut DbConn,
        seller: Uuid,
        gated: GatedFeature,
    ) -> Result<bool, CommerceError> {
        warden_trust::gates::allows(conn, seller, feature(gated))
            .await
            .map_err(trust)
    }

    async fn signals_changed(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        seller: Uuid,
    ) -> Result<(), CommerceError> {
        warden_trust::jobs::enqueue_recompute(conn, tenant, seller)
            .await
            .map_err(trust)
    }
}
