//! The delivery worker: sends one queued email or SMS delivery per job, from
//! the PostgreSQL job queue. A provider error that may pass (a connection
//! refused, a 4xx SMTP reply, Twilio 429 or 5xx) leaves the delivery queued
//! and fails the job, which the runner retries with exponential backoff for as
//! long as it takes; a permanent refusal marks the delivery failed with the
//! provider's code. A delivery is sent at least once: a worker that dies
//! between sending and recording sends it again.

use std::collections::HashMap;
use std::time::Duration;

use crate::schema::{notification_deliveries, notification_templates, notifications, users};
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::{Db, DbConn, ScopedFutureExt, TenantId, queue};

#[cfg(feature = "delivery")]
use crate::email::{EmailSender, OutgoingEmail};
use crate::model::{Channel, DeliveryStatus, EventKind, Priority};
#[cfg(feature = "delivery")]
use crate::sms::SmsSender;
use crate::templates::{self, Rendered, TemplateSet};
use crate::{NotificationError, preferences, settings};

/// Job kind of a delivery.
pub const JOB_KIND: &str = "notifications.deliver";
/// Attempts of a delivery job: enough to wait out any outage at the backoff ceiling.
pub const MAX_ATTEMPTS: i32 = 100_000;
/// How long a worker holds a delivery job.
pub const LEASE: Duration = Duration::from_secs(60);

/// Wait before attempt `attempts + 1`: `base × 2^(attempts − 1)`, at most `ceiling`.
pub fn retry_delay(attempts: i32, base: Duration, ceiling: Duration) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    base.saturating_mul(2u32.saturating_pow(exp)).min(ceiling)
}

/// The providers a replica has; a channel without one fails its deliveries
/// with `not_configured`. Without the `delivery` feature there are none: the
/// crate only records notifications and their deliveries, and an embedding
/// that wants email and SMS sent enables the feature.
#[derive(Clone, Default)]
pub struct Providers {
    /// SMTP.
    #[cfg(feature = "delivery")]
    pub email: Option<EmailSender>,
    /// Twilio.
    #[cfg(feature = "delivery")]
    pub sms: Option<SmsSender>,
    /// Public base URL of this API (e.g. `https://warden.example.com`), for
    /// Twilio status callbacks; none are asked for without it.
    pub callback_base: Option<String>,
}

impl Providers {
    /// True when this replica has a provider for `channel` (never for in-app,
    /// which is not handed to one).
    pub fn sends(&self, channel: Channel) -> bool {
        match channel {
            #[cfg(feature = "delivery")]
            Channel::Email => self.email.is_some(),
            #[cfg(feature = "delivery")]
            Channel::Sms => self.sms.is_some(),
            _ => false,
        }
    }
}

/// An email or SMS rendered and ready to hand to its provider.
// Only the senders of the `delivery` feature read the message's parts.
#[cfg_attr(
    not(feature = "delivery"),
    expect(
        dead_code,
        reason = "only the delivery feature's senders read the parts"
    )
)]
pub(crate) struct Prepared {
    pub(crate) delivery_id: Uuid,
    pub(crate) channel: Channel,
    pub(crate) address: String,
    pub(crate) priority: Priority,
    pub(crate) rendered: Rendered,
    pub(crate) language: String,
    pub(crate) from: Option<String>,
    pub(crate) to_name: Option<String>,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    #[expect(
        dead_code,
        reason = "the query must return a row; its value is not read"
    )]
    sent: i32,
}

/// Counts one send against the tenant's hourly cap; false when the cap is reached.
pub(crate) async fn within_cap(
    conn: &mut DbConn,
    tenant: TenantId,
    channel: Channel,
    cap: u32,
) -> Result<bool, NotificationError> {
    if cap == 0 {
        return Ok(false);
    }
    let counted: Option<Counted> = diesel::sql_query(
        "INSERT INTO notification_send_counts AS c (tenant_id, channel, hour, sent)
         VALUES ($1, $2, date_trunc('hour', now()), 1)
         ON CONFLICT (tenant_id, channel, hour) DO UPDATE SET sent = c.sent + 1
         WHERE c.sent < $3
         RETURNING c.sent",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<Text, _>(channel.as_str())
    .bind::<Integer, _>(i32::try_from(cap).unwrap_or(i32::MAX))
    .get_result(conn)
    .await
    .optional()?;
    Ok(counted.is_some())
}

pub(crate) async fn finish(
    conn: &mut DbConn,
    id: Uuid,
    status: DeliveryStatus,
    provider_id: Option<&str>,
    error: Option<(&str, &str)>,
) -> Result<(), NotificationError> {
    let now = Utc::now();
    diesel::update(notification_deliveries::table.filter(notification_deliveries::id.eq(id)))
        .set((
            notification_deliveries::status.eq(status.as_str()),
            notification_deliveries::provider_id.eq(provider_id),
            notification_deliveries::error_code.eq(error.map(|e| e.0)),
            notification_deliveries::error_message
                .eq(error.map(|e| e.1.chars().take(2000).collect::<String>())),
            notification_deliveries::attempts.eq(notification_deliveries::attempts + 1),
            notification_deliveries::updated_at.eq(now),
            notification_deliveries::sent_at.eq((status == DeliveryStatus::Sent).then_some(now)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Loads and renders a queued delivery; `None` when there is nothing to send
/// (already done, or refused here: over the cap, no provider).
async fn prepare(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    providers: &Providers,
) -> Result<Option<Prepared>, NotificationError> {
    let row: Option<(Uuid, String, String, Option<String>, i32)> = notification_deliveries::table
        .filter(notification_deliveries::id.eq(id))
        .select((
            notification_deliveries::notification_id,
            notification_deliveries::channel,
            notification_deliveries::status,
            notification_deliveries::address,
            notification_deliveries::attempts,
        ))
        .for_no_key_update()
        .first(conn)
        .await
        .optional()?;
    let Some((notification_id, channel, status, address, attempts)) = row else {
        return Ok(None);
    };
    if status != DeliveryStatus::Queued.as_str() {
        return Ok(None);
    }
    let channel = Channel::parse(&channel)?;
    let Some(address) = address else {
        finish(
            conn,
            id,
            DeliveryStatus::Failed,
            None,
            Some(("no_address", "no address")),
        )
        .await?;
        return Ok(None);
    };
    if !providers.sends(channel) {
        finish(
            conn,
            id,
            DeliveryStatus::Failed,
            None,
            Some(("not_configured", "no provider for this channel")),
        )
        .await?;
        return Ok(None);
    }
    let settings = settings::load(conn).await?;
    let cap = match channel {
        Channel::Email => settings.email_per_hour,
        _ => settings.sms_per_hour,
    };
    // A delivery counts against the cap once, however often it is retried.
    if attempts == 0 && !within_cap(conn, tenant, channel, cap).await? {
        finish(
            conn,
            id,
            DeliveryStatus::Failed,
            None,
            Some((
                "cap_exceeded",
                "the tenant's hourly cap for this channel is reached",
            )),
        )
        .await?;
        return Ok(None);
    }
    let (recipient, priority, kind, title, body, data): (
        Uuid,
        String,
        String,
        String,
        String,
        serde_json::Value,
    ) = notifications::table
        .filter(notifications::id.eq(notification_id))
        .select((
            notifications::recipient_id,
            notifications::priority,
            notifications::kind,
            notifications::title,
            notifications::body,
            notifications::data,
        ))
        .first(conn)
        .await?;
    let priority = Priority::parse(&priority)?;
    let kind = EventKind::parse(&kind)?;
    let vars = match data {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    let (rendered, language, to_name) = render_for(
        conn,
        RenderFor {
            tenant,
            channel,
            recipient,
            kind,
            priority,
            title: &title,
            body: &body,
        },
        vars,
    )
    .await?;
    Ok(Some(Prepared {
        delivery_id: id,
        channel,
        address,
        priority,
        rendered,
        language,
        from: settings.email_from,
        to_name,
    }))
}

/// What a notification is about and who receives it, to render it.
pub(crate) struct RenderFor<'a> {
    /// The tenant (its name signs the message).
    pub tenant: TenantId,
    /// The channel it goes out on (an SMS carries no e-mail signature).
    pub channel: Channel,
    /// The recipient (their language and name).
    pub recipient: Uuid,
    /// Its kind.
    pub kind: EventKind,
    /// Its priority.
    pub priority: Priority,
    /// Its title.
    pub title: &'a str,
    /// Its body.
    pub body: &'a str,
}

/// What staff call `user`: display name, else e-mail, else subject.
async fn person_name(conn: &mut DbConn, user: Uuid) -> Result<Option<String>, NotificationError> {
    let row: Option<(String, Option<String>, Option<String>)> = users::table
        .filter(users::id.eq(user))
        .select((users::subject, users::email, users::display_name))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(subject, email, name)| name.or(email).unwrap_or(subject)))
}

/// Renders a notification for its recipient in their language, with the
/// tenant's template override when there is one; returns the rendering, its
/// language and the recipient's display name. Besides the notification's own
/// variables, templates get `tenant_name`, `user_name`, `channel` and, when the
/// notification is about a user (`target_user`), `target_user_name`.
pub(crate) async fn render_for(
    conn: &mut DbConn,
    what: RenderFor<'_>,
    mut vars: serde_json::Map<String, serde_json::Value>,
) -> Result<(Rendered, String, Option<String>), NotificationError> {
    let RenderFor {
        tenant,
        channel,
        recipient,
        kind,
        priority,
        title,
        body,
    } = what;
    let prefs = preferences::load(conn, recipient).await?;
    let to_name: Option<String> = users::table
        .filter(users::id.eq(recipient))
        .select(users::display_name)
        .first::<Option<String>>(conn)
        .await
        .optional()?
        .flatten();
    if let Some(name) = warden_tenancy::tenant_name(conn, tenant).await? {
        vars.insert("tenant_name".into(), name.into());
    }
    vars.insert("channel".into(), channel.as_str().into());
    let target = vars
        .get("target_user")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| s.parse::<Uuid>().ok());
    if let Some(target) = target
        && let Some(name) = person_name(conn, target).await?
    {
        vars.insert("target_user_name".into(), name.into());
    }
    let overrides: HashMap<String, TemplateSet> = notification_templates::table
        .filter(notification_templates::kind.eq(kind.as_str()))
        .select((
            notification_templates::language,
            notification_templates::subject,
            notification_templates::text_body,
            notification_templates::html_body,
        ))
        .load::<(String, String, String, String)>(conn)
        .await?
        .into_iter()
        .map(|(lang, subject, text, html)| {
            (
                lang,
                TemplateSet {
                    subject,
                    text,
                    html,
                },
            )
        })
        .collect();
    let (set, language) = templates::resolve(kind, &prefs.language, |_, lang| {
        overrides.get(lang).cloned()
    });
    vars.insert("title".into(), title.into());
    vars.insert("body".into(), body.into());
    vars.insert("priority".into(), priority.as_str().into());
    if let Some(name) = &to_name {
        vars.insert("user_name".into(), name.clone().into());
    }
    let rendered = templates::render(&set, &serde_json::Value::Object(vars))?;
    Ok((rendered, language, to_name))
}

/// Hands a prepared email or SMS to its provider (an SMS asks for status
/// callbacks when the public base URL is known); returns the provider's id.
#[cfg(feature = "delivery")]
pub(crate) async fn hand_over(
    providers: &Providers,
    tenant: TenantId,
    p: &Prepared,
) -> Result<String, NotificationError> {
    match p.channel {
        Channel::Email => match &providers.email {
            Some(email) => {
                email
                    .send(&OutgoingEmail {
                        to: p.address.clone(),
                        to_name: p.to_name.clone(),
                        from: p.from.clone(),
                        priority: p.priority,
                        rendered: p.rendered.clone(),
                        language: p.language.clone(),
                    })
                    .await
            }
            None => Err(NotificationError::invalid("email is not configured")),
        },
        Channel::Sms => match &providers.sms {
            Some(sms) => {
                let callback = providers.callback_base.as_ref().map(|base| {
                    format!(
                        "{}/api/v1/webhooks/twilio/status?tenant={}&delivery={}",
                        base.trim_end_matches('/'),
                        tenant,
                        p.delivery_id
                    )
                });
                let body: String = p
                    .rendered
                    .text
                    .chars()
                    .take(crate::sms::BODY_MAX_CHARS)
                    .collect();
                sms.send_with_callback(&p.address, &body, callback.as_deref())
                    .await
                    .map(|s| s.sid)
            }
            None => Err(NotificationError::invalid("sms is not configured")),
        },
        Channel::InApp => Err(NotificationError::invalid(
            "in-app notifications are not handed to a provider",
        )),
    }
}

/// Without the `delivery` feature there is no provider to hand anything to.
#[cfg(not(feature = "delivery"))]
pub(crate) async fn hand_over(
    _providers: &Providers,
    _tenant: TenantId,
    p: &Prepared,
) -> Result<String, NotificationError> {
    Err(NotificationError::invalid(match p.channel {
        Channel::Email => "email is not configured",
        Channel::Sms => "sms is not configured",
        Channel::InApp => "in-app notifications are not handed to a provider",
    }))
}

/// Runs one delivery job.
pub async fn run_job(
    db: &Db,
    providers: &Providers,
    job: &queue::Job,
) -> Result<(), NotificationError> {
    let tenant = job.tenant();
    let id: Uuid = job
        .payload
        .get("delivery_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| NotificationError::invalid("delivery job without delivery_id"))?;
    let prepared = db
        .tenant_tx(tenant, |conn| {
            async move { prepare(conn, tenant, id, providers).await }.scope_boxed()
        })
        .await?;
    let Some(p) = prepared else {
        return Ok(());
    };
    if p.channel == Channel::InApp {
        return Ok(());
    }
    let sent = hand_over(providers, tenant, &p).await;
    let outcome = match &sent {
        Ok(provider_id) => (DeliveryStatus::Sent, Some(provider_id.clone()), None),
        Err(NotificationError::Provider {
            code,
            message,
            retryable: true,
            ..
        }) => {
            // Stays queued; the job is retried.
            let code = code.clone().unwrap_or_else(|| "unavailable".into());
            db.tenant_tx(tenant, |conn| {
                let (code, message) = (code.clone(), message.clone());
                async move {
                    diesel::update(
                        notification_deliveries::table.filter(notification_deliveries::id.eq(id)),
                    )
                    .set((
                        notification_deliveries::attempts.eq(notification_deliveries::attempts + 1),
                        notification_deliveries::error_code.eq(code),
                        notification_deliveries::error_message
                            .eq(message.chars().take(2000).collect::<String>()),
                        notification_deliveries::updated_at.eq(Utc::now()),
                    ))
                    .execute(conn)
                    .await?;
                    Ok::<_, NotificationError>(())
                }
                .scope_boxed()
            })
            .await?;
            return sent.map(|_| ());
        }
        Err(_) => final_outcome(&sent),
    };
    db.tenant_tx(tenant, |conn| {
        let outcome = outcome.clone();
        async move {
            let (status, provider_id, error) = outcome;
            finish(
                conn,
                id,
                status,
                provider_id.as_deref(),
                error.as_ref().map(|(c, m)| (c.as_str(), m.as_str())),
            )
            .await
        }
        .scope_boxed()
    })
    .await
}

/// Writes the delivery of notification `notification` over `channel`, in
/// `status` (an in-app delivery is delivered as it is written); its id.
pub(crate) async fn insert_delivery(
    conn: &mut DbConn,
    tenant: TenantId,
    notification: Uuid,
    channel: Channel,
    status: DeliveryStatus,
    address: Option<&str>,
    error: Option<&str>,
) -> Result<Uuid, NotificationError> {
    let id = Uuid::now_v7();
    diesel::insert_into(notification_deliveries::table)
        .values((
            notification_deliveries::tenant_id.eq(tenant.as_uuid()),
            notification_deliveries::id.eq(id),
            notification_deliveries::notification_id.eq(notification),
            notification_deliveries::channel.eq(channel.as_str()),
            notification_deliveries::status.eq(status.as_str()),
            notification_deliveries::address.eq(address),
            notification_deliveries::error_code.eq(error),
            notification_deliveries::delivered_at.eq((channel == Channel::InApp).then(Utc::now)),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// What a hand-over that is not retried leaves on its delivery: its status,
/// the provider's id, and the error code and message of a failure.
pub(crate) type Outcome = (DeliveryStatus, Option<String>, Option<(String, String)>);

/// The outcome of a hand-over taken as final (no retry).
pub(crate) fn final_outcome(sent: &Result<String, NotificationError>) -> Outcome {
    match sent {
        Ok(id) => (DeliveryStatus::Sent, Some(id.clone()), None),
        Err(NotificationError::Provider { code, message, .. }) => (
            DeliveryStatus::Failed,
            None,
            Some((
                code.clone().unwrap_or_else(|| "refused".into()),
                message.clone(),
            )),
        ),
        Err(e) => (
            DeliveryStatus::Failed,
            None,
            Some((e.delivery_code().to_owned(), e.to_string())),
        ),
    }
}

/// Where a status stands in a delivery's life. A delivery only moves to a
/// greater rank: `queued` < `sent` < `delivered` | `failed`. Both `delivered`
/// and `failed` are final and rank alike, so the first final status reported
/// stands (Twilio reports at most one for a message; a later contrary one is
/// a replay or out of order, and is not taken).
fn rank(status: DeliveryStatus) -> u8 {
    match status {
        DeliveryStatus::Queued => 0,
        DeliveryStatus::Sent => 1,
        DeliveryStatus::Delivered | DeliveryStatus::Failed => 2,
    }
}

/// True when a delivery at `current` may move to `next`; false for the same
/// status (a replay) and for any earlier or other final one.
pub fn advances(current: DeliveryStatus, next: DeliveryStatus) -> bool {
    rank(next) > rank(current)
}

/// Our status for Twilio's `MessageStatus`: every state before a final one
/// (`queued`, `accepted`, `sending`, `sent`, …) is our `sent` (Twilio has the message).
pub fn twilio_status(status: &str) -> Result<DeliveryStatus, NotificationError> {
    match status {
        "delivered" | "read" => Ok(DeliveryStatus::Delivered),
        "failed" | "undelivered" | "canceled" => Ok(DeliveryStatus::Failed),
        "queued" | "accepted" | "scheduled" | "sending" | "sent" => Ok(DeliveryStatus::Sent),
        other => Err(NotificationError::invalid(format!(
            "MessageStatus: unknown value {other:?}"
        ))),
    }
}

/// Applies a Twilio status callback to delivery `id` of `tenant` (the
/// message's `sid` must match the one recorded). Callbacks may arrive late,
/// out of order or more than once: a status is applied only when it advances
/// the delivery (see [`advances`]), so a replayed or earlier one changes
/// nothing. Returns whether it was applied.
pub async fn apply_status(
    db: &Db,
    tenant: TenantId,
    id: Uuid,
    sid: &str,
    status: &str,
    error_code: Option<&str>,
) -> Result<bool, NotificationError> {
    let next = twilio_status(status)?;
    let (sid, error_code) = (sid.to_owned(), error_code.map(str::to_owned));
    db.tenant_tx(tenant, |conn| {
        async move {
            // Locked, so two callbacks for one delivery are applied one after the other.
            let current: Option<String> = notification_deliveries::table
                .filter(notification_deliveries::id.eq(id))
                .filter(notification_deliveries::channel.eq(Channel::Sms.as_str()))
                .filter(notification_deliveries::provider_id.eq(&sid))
                .select(notification_deliveries::status)
                .for_no_key_update()
                .first(conn)
                .await
                .optional()?;
            let current =
                DeliveryStatus::parse(&current.ok_or(NotificationError::not_found("delivery"))?)?;
            if !advances(current, next) {
                return Ok(false);
            }
            let now = Utc::now();
            diesel::update(
                notification_deliveries::table.filter(notification_deliveries::id.eq(id)),
            )
            .set((
                notification_deliveries::status.eq(next.as_str()),
                notification_deliveries::error_code.eq(&error_code),
                notification_deliveries::delivered_at
                    .eq((next == DeliveryStatus::Delivered).then_some(now)),
                notification_deliveries::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
            Ok(true)
        }
        .scope_boxed()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryStatus::{Delivered, Failed, Queued, Sent};

    #[test]
    fn a_status_only_moves_forward() {
        assert!(advances(Queued, Sent));
        assert!(advances(Queued, Delivered));
        assert!(advances(Sent, Delivered));
        assert!(advances(Sent, Failed));
        // Replays and earlier statuses change nothing.
        for s in DeliveryStatus::ALL {
            assert!(!advances(*s, *s), "{s} replayed");
        }
        assert!(!advances(Delivered, Sent));
        assert!(!advances(Delivered, Queued));
        assert!(!advances(Failed, Sent));
        assert!(!advances(Sent, Queued));
        // The first final status stands.
        assert!(!advances(Delivered, Failed));
        assert!(!advances(Failed, Delivered));
    }

    #[test]
    fn twilio_statuses_map_to_ours() {
        for (twilio, ours) in [
            ("queued", Sent),
            ("accepted", Sent),
            ("sending", Sent),
            ("sent", Sent),
            ("delivered", Delivered),
            ("read", Delivered),
            ("undelivered", Failed),
            ("failed", Failed),
            ("canceled", Failed),
        ] {
            assert_eq!(twilio_status(twilio).ok(), Some(ours), "{twilio}");
        }
        assert!(twilio_status("exploded").is_err());
    }
}
