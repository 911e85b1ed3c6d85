//! A tenant's notification settings: which channels each priority goes to,
//! the email sender, hourly caps on email and SMS sends (cost control), and
//! the de-duplication window.

use crate::schema::notification_settings;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt};

use crate::NotificationError;
use crate::model::{Channel, Priority};

/// What a caller who is not an administrator is told.
const ADMIN_ONLY: &str = "only tenant administrators manage notification settings and templates";

/// Channels per priority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Default: in-app, email and SMS.
    #[schema(min_items = 1, max_items = 3)]
    pub urgent: Vec<Channel>,
    /// Default: in-app and email.
    #[schema(min_items = 1, max_items = 3)]
    pub high: Vec<Channel>,
    /// Default: in-app.
    #[schema(min_items = 1, max_items = 3)]
    pub medium: Vec<Channel>,
    /// Default: in-app.
    #[schema(min_items = 1, max_items = 3)]
    pub low: Vec<Channel>,
}

impl Routing {
    /// The channels of `priority`.
    pub fn channels(&self, priority: Priority) -> &[Channel] {
        match priority {
            Priority::Urgent => &self.urgent,
            Priority::High => &self.high,
            Priority::Medium => &self.medium,
            Priority::Low => &self.low,
        }
    }
}

/// A tenant's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Channels per priority.
    pub routing: Routing,
    /// The sender of the tenant's email (`Name <address>` or an address);
    /// the server's `SMTP_FROM` when absent.
    #[serde(default)]
    #[schema(max_length = 320, pattern = "^[^\\r\\n\\x00]*\\S[^\\r\\n\\x00]*$")]
    pub email_from: Option<String>,
    /// Most emails sent per hour; past it, deliveries fail with `cap_exceeded`.
    #[schema(maximum = 1000000)]
    pub email_per_hour: u32,
    /// Most SMS sent per hour.
    #[schema(maximum = 1000000)]
    pub sms_per_hour: u32,
    /// A notification with the same `event_key` for the same user within this
    /// many seconds is not raised again.
    #[schema(maximum = 604800)]
    pub dedup_seconds: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            routing: Routing {
                urgent: vec![Channel::InApp, Channel::Email, Channel::Sms],
                high: vec![Channel::InApp, Channel::Email],
                medium: vec![Channel::InApp],
                low: vec![Channel::InApp],
            },
            email_from: None,
            email_per_hour: 1000,
            sms_per_hour: 100,
            dedup_seconds: 600,
        }
    }
}

impl Settings {
    /// Checks the settings, naming the first problem.
    pub fn validate(&self) -> Result<(), NotificationError> {
        for p in Priority::ALL {
            let channels = self.routing.channels(*p);
            let repeated = channels
                .iter()
                .enumerate()
                .any(|(i, c)| channels[..i].contains(c));
            if channels.is_empty() || repeated {
                return Err(NotificationError::invalid(format!(
                    "routing.{}: give one to three different channels",
                    p.as_str()
                )));
            }
        }
        if let Some(from) = &self.email_from
            && (from.trim().is_empty()
                || from.chars().count() > 320
                || from.contains(['\r', '\n', '\0']))
        {
            return Err(NotificationError::invalid(
                "email_from: an address or `Name <address>`, one line",
            ));
        }
        if self.email_per_hour > 1_000_000 || self.sms_per_hour > 1_000_000 {
            return Err(NotificationError::invalid(
                "email_per_hour and sms_per_hour: at most 1,000,000",
            ));
        }
        if self.dedup_seconds > 7 * 24 * 3600 {
            return Err(NotificationError::invalid("dedup_seconds: at most 7 days"));
        }
        Ok(())
    }
}

/// The tenant's settings inside a running transaction (defaults when none are saved).
pub async fn load(conn: &mut DbConn) -> Result<Settings, NotificationError> {
    let saved: Option<serde_json::Value> = notification_settings::table
        .select(notification_settings::config)
        .first(conn)
        .await
        .optional()?;
    Ok(match saved {
        None => Settings::default(),
        Some(v) => serde_json::from_value(v).unwrap_or_else(|e| {
            tracing::error!(error = %e, "stored notification settings do not parse; using the defaults");
            Settings::default()
        }),
    })
}

/// The tenant's settings (administrators).
pub async fn get(db: &Db, actor: &Actor) -> Result<Settings, NotificationError> {
    actor.require_admin(ADMIN_ONLY)?;
    db.tenant_tx(actor.tenant, |conn| {
        async move { load(conn).await }.scope_boxed()
    })
    .await
}

/// Replaces the tenant's settings (administrators), audited with the change.
pub async fn put(
    db: &Db,
    actor: &Actor,
    settings: Settings,
) -> Result<Settings, NotificationError> {
    actor.require_admin(ADMIN_ONLY)?;
    settings.validate()?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let before = load(conn).await?;
            let config = serde_json::to_value(&settings)
                .map_err(|e| NotificationError::invalid(e.to_string()))?;
            diesel::insert_into(notification_settings::table)
                .values((
                    notification_settings::tenant_id.eq(actor.tenant.as_uuid()),
                    notification_settings::config.eq(&config),
                    notification_settings::updated_by.eq(actor.user_id),
                ))
                .on_conflict(notification_settings::tenant_id)
                .do_update()
                .set((
                    notification_settings::config.eq(&config),
                    notification_settings::updated_by.eq(actor.user_id),
                    notification_settings::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let mut event = ActivityEvent::new(Kind::ResourceUpdate, "notification_routing_change");
            event.actor_id = Some(actor.user_id);
            event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
            event.resource_type = Some("notifications".into());
            event.metadata = serde_json::json!({ "event": "notification_routing_change", "from": before, "to": config });
            warden_audit::store::record_in_tx(conn, actor.tenant, event).await?;
            Ok(settings)
        }
        .scope_boxed()
    })
    .await
}
