//! The one way to raise a notification, inside the transaction of the event
//! that causes it (a transactional outbox): the notification rows, their
//! deliveries and the delivery jobs commit with the event or not at all.
//!
//! In-app delivery happens here (the row is the inbox, and the live event is
//! published in the same transaction), so it is exactly once; email and SMS
//! are queued for the delivery worker (at least once).

use crate::schema::{notifications, users};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_audit::hub::{self, Topic};
use warden_tenancy::{DbConn, TenantId, queue};

use crate::model::{Channel, DeliveryStatus, EventKind, Priority};
use crate::{NotificationError, delivery, preferences, settings};

/// Who a notification is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recipients {
    /// One user.
    User(Uuid),
    /// Every active moderator and tenant administrator.
    Staff,
    /// Every active tenant administrator.
    Admins,
}

/// A notification to raise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationRequest {
    /// Who.
    pub recipients: Recipients,
    /// What happened (chooses the email and SMS template).
    pub kind: EventKind,
    /// How pressing (chooses the channels).
    pub priority: Priority,
    /// Category, which users may opt out of (e.g. `enforcement`, `moderation`).
    pub category: String,
    /// Title (in-app).
    pub title: String,
    /// Body (in-app).
    pub body: String,
    /// Details, also the template's variables.
    pub data: serde_json::Value,
    /// Same key, same user, within the tenant's `dedup_seconds`: raised once.
    pub event_key: Option<String>,
    /// Security notices ignore the user's opt-outs.
    pub security: bool,
    /// Deliver on exactly these channels instead of the tenant's routing
    /// (verification codes go to the address being verified).
    #[serde(default)]
    pub channels: Option<Vec<Channel>>,
}

fn clip(s: &str, max: usize) -> String {
    s.replace('\0', "\u{fffd}").chars().take(max).collect()
}

async fn resolve(
    conn: &mut DbConn,
    recipients: &Recipients,
) -> Result<Vec<Uuid>, NotificationError> {
    let roles: Vec<String> = match recipients {
        Recipients::User(id) => return Ok(vec![*id]),
        Recipients::Staff => vec!["moderator".into(), "tenant_admin".into()],
        Recipients::Admins => vec!["tenant_admin".into()],
    };
    Ok(users::table
        .filter(users::status.eq("active"))
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("roles && ").bind::<Array<Text>, _>(roles),
        )
        .select(users::id)
        .order(users::id.asc())
        .limit(500)
        .load(conn)
        .await?)
}

/// Raises `request` in `tenant` inside the caller's transaction; returns the
/// notifications created (none for a recipient who opted out of its category
/// or already got the same event key within the window).
pub async fn raise(
    conn: &mut DbConn,
    tenant: TenantId,
    request: &NotificationRequest,
) -> Result<Vec<Uuid>, NotificationError> {
    let settings = settings::load(conn).await?;
    let mut created = Vec::new();
    for recipient in resolve(conn, &request.recipients).await? {
        if let Some(key) = &request.event_key {
            let since =
                chrono::Utc::now() - chrono::Duration::seconds(i64::from(settings.dedup_seconds));
            let seen: i64 = notifications::table
                .filter(notifications::recipient_id.eq(recipient))
                .filter(notifications::event_key.eq(key))
                .filter(notifications::created_at.gt(since))
                .count()
                .get_result(conn)
                .await?;
            if seen > 0 {
                continue;
            }
        }
        let prefs = preferences::load(conn, recipient).await?;
        if !request.security && prefs.categories_off.contains(&request.category) {
            continue;
        }
        let email: Option<Option<String>> = users::table
            .filter(users::id.eq(recipient))
            .select(users::email)
            .first(conn)
            .await
            .optional()?;
        let Some(email) = email else {
            continue;
        };
        let id = Uuid::now_v7();
        diesel::insert_into(notifications::table)
            .values((
                notifications::tenant_id.eq(tenant.as_uuid()),
                notifications::id.eq(id),
                notifications::recipient_id.eq(recipient),
                notifications::priority.eq(request.priority.as_str()),
                notifications::kind.eq(request.kind.as_str()),
                notifications::category.eq(clip(&request.category, 100)),
                notifications::title.eq(clip(&request.title, 300)),
                notifications::body.eq(clip(&request.body, 5000)),
                notifications::data.eq(&request.data),
                notifications::event_key.eq(request.event_key.as_deref().map(|k| clip(k, 300))),
                notifications::security.eq(request.security),
            ))
            .execute(conn)
            .await?;
        let channels = request
            .channels
            .as_deref()
            .unwrap_or_else(|| settings.routing.channels(request.priority));
        for channel in channels {
            if !request.security && prefs.channels_off.contains(channel) {
                continue;
            }
            let address = match channel {
                Channel::InApp => None,
                Channel::Email => email.clone(),
                Channel::Sms => prefs.phone.clone(),
            };
            let (status, error) = match (channel, &address) {
                (Channel::InApp, _) => (DeliveryStatus::Delivered, None),
                (_, Some(_)) => (DeliveryStatus::Queued, None),
                (_, None) => (DeliveryStatus::Failed, Some("no_address")),
            };
            let delivery_id = delivery::insert_delivery(
                conn,
                tenant,
                id,
                *channel,
                status,
                address.as_deref(),
                error,
            )
            .await?;
            match (channel, status) {
                (Channel::InApp, _) => {
                    let live = serde_json::json!({
                        "id": id,
                        "recipient_id": recipient,
                        "priority": request.priority,
                        "kind": request.kind,
                        "category": request.category,
                        "title": clip(&request.title, 300),
                        "body": clip(&request.body, 5000),
                        "data": request.data,
                    });
                    hub::publish_in_tx(conn, tenant, Topic::Notification, live).await?;
                }
                (_, DeliveryStatus::Queued) => {
                    queue::enqueue_with_attempts(
                        conn,
                        tenant,
                        delivery::JOB_KIND,
                        serde_json::json!({ "delivery_id": delivery_id }),
                        None,
                        delivery::MAX_ATTEMPTS,
                    )
                    .await?;
                }
                _ => {}
            }
        }
        created.push(id);
    }
    Ok(created)
}
