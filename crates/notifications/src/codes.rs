//! One-time codes (contact verification), sent by email or SMS with the
//! `verification_code` template through the normal delivery path: the send
//! counts against the tenant's hourly cap of its channel, email goes from the
//! tenant's sender, the recipient's language and the tenant's template
//! overrides apply, and the delivery is recorded (an SMS asks Twilio for status
//! callbacks on it).
//!
//! Unlike other notifications a code is sent at once, after its transaction
//! commits, and never retried by the worker: the code itself never touches the
//! database (the caller keeps only its hash, and the notification row says
//! only that a code was sent), so a failed send fails its delivery and the
//! caller asks for a new code.

use crate::schema::notifications;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::{Db, DbConn, ScopedFutureExt, TenantId};

use crate::delivery::{self, Prepared, Providers};
use crate::model::{Channel, DeliveryStatus, EventKind, Priority};
use crate::{NotificationError, settings};

/// A code recorded with its delivery, to send once the transaction commits.
pub struct PendingCode {
    tenant: TenantId,
    prepared: Prepared,
}

impl PendingCode {
    /// The delivery the code goes out on.
    pub fn delivery_id(&self) -> Uuid {
        self.prepared.delivery_id
    }
}

/// The tenant's hourly cap of the channel is reached: the code is not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapReached {
    /// The channel.
    pub channel: Channel,
    /// The cap (sends per hour).
    pub cap: u32,
    /// Seconds until the next hour, when the cap starts again.
    pub retry_after_secs: u64,
}

/// `+34600000002` → `+34•••••0002`: enough for its owner to recognise.
fn masked(address: &str, channel: Channel) -> String {
    match channel {
        Channel::Sms => {
            let chars: Vec<char> = address.chars().collect();
            let keep_end = 4.min(chars.len());
            let keep_start = 3.min(chars.len() - keep_end);
            let hidden = chars.len() - keep_end - keep_start;
            format!(
                "{}{}{}",
                chars[..keep_start].iter().collect::<String>(),
                "•".repeat(hidden),
                chars[chars.len() - keep_end..].iter().collect::<String>()
            )
        }
        _ => address.to_owned(),
    }
}

/// Records a code for `recipient` to `address` on `channel` inside the
/// caller's transaction: counts it against the tenant's hourly cap of the
/// channel, then writes the notification (without the code) and its queued
/// delivery, and renders the message. `Ok(Err(CapReached))` when the cap is
/// reached (nothing is written). Send it with [`send_code`] after commit.
#[expect(
    clippy::too_many_arguments,
    reason = "each is a distinct part of the code's message"
)]
pub async fn queue_code(
    conn: &mut DbConn,
    tenant: TenantId,
    providers: &Providers,
    recipient: Uuid,
    channel: Channel,
    address: &str,
    code: &str,
    expires_minutes: u32,
) -> Result<Result<PendingCode, CapReached>, NotificationError> {
    if channel == Channel::InApp {
        return Err(NotificationError::invalid("codes go by email or SMS"));
    }
    if !providers.sends(channel) {
        return Err(NotificationError::invalid(format!(
            "{} is not configured on this server",
            if channel == Channel::Sms {
                "SMS"
            } else {
                "email"
            }
        )));
    }
    let settings = settings::load(conn).await?;
    let cap = match channel {
        Channel::Email => settings.email_per_hour,
        _ => settings.sms_per_hour,
    };
    if !delivery::within_cap(conn, tenant, channel, cap).await? {
        let into_hour = u64::try_from(Utc::now().timestamp().rem_euclid(3600)).unwrap_or(0);
        return Ok(Err(CapReached {
            channel,
            cap,
            retry_after_secs: (3600 - into_hour).max(1),
        }));
    }
    let title = "Verification code sent";
    let body = format!(
        "A verification code was sent to {}.",
        masked(address, channel)
    );
    let data = serde_json::json!({ "channel": channel, "expires_minutes": expires_minutes });
    let id = Uuid::now_v7();
    diesel::insert_into(notifications::table)
        .values((
            notifications::tenant_id.eq(tenant.as_uuid()),
            notifications::id.eq(id),
            notifications::recipient_id.eq(recipient),
            notifications::priority.eq(Priority::High.as_str()),
            notifications::kind.eq(EventKind::VerificationCode.as_str()),
            notifications::category.eq("security"),
            notifications::title.eq(title),
            notifications::body.eq(&body),
            notifications::data.eq(&data),
            notifications::security.eq(true),
        ))
        .execute(conn)
        .await?;
    let delivery_id = delivery::insert_delivery(
        conn,
        tenant,
        id,
        channel,
        DeliveryStatus::Queued,
        Some(address),
        None,
    )
    .await?;
    let mut vars = serde_json::Map::new();
    vars.insert("code".into(), code.into());
    vars.insert("expires_minutes".into(), expires_minutes.into());
    let (rendered, language, to_name) = delivery::render_for(
        conn,
        delivery::RenderFor {
            tenant,
            channel,
            recipient,
            kind: EventKind::VerificationCode,
            priority: Priority::High,
            title,
            body: &body,
        },
        vars,
    )
    .await?;
    Ok(Ok(PendingCode {
        tenant,
        prepared: Prepared {
            delivery_id,
            channel,
            address: address.to_owned(),
            priority: Priority::High,
            rendered,
            language,
            from: settings.email_from,
            to_name,
        },
    }))
}

/// Sends a code recorded by [`queue_code`] (after its transaction committed)
/// and records the outcome on its delivery: `sent` with the provider's id, or
/// `failed` with the provider's error (a code is never retried). Returns the
/// provider's message id.
pub async fn send_code(
    db: &Db,
    providers: &Providers,
    pending: PendingCode,
) -> Result<String, NotificationError> {
    let PendingCode { tenant, prepared } = pending;
    let sent = delivery::hand_over(providers, tenant, &prepared).await;
    let (status, provider_id, error) = delivery::final_outcome(&sent);
    let id = prepared.delivery_id;
    db.tenant_tx(tenant, |conn| {
        let (provider_id, error) = (provider_id.clone(), error.clone());
        async move {
            delivery::finish(
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
    .await?;
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_in_the_notice() {
        assert_eq!(masked("+34600000002", Channel::Sms), "+34•••••0002");
        assert_eq!(masked("+12345678", Channel::Sms), "+12••5678");
        assert_eq!(masked("a@b.test", Channel::Email), "a@b.test");
    }
}
