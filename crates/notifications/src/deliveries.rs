//! How a notification's deliveries stand, as its recipient may follow them:
//! one row per channel with its status, attempts, the provider's id and the
//! last error, told by its code in words of Warden's own (a provider's reply
//! text stays in the database: it can name hosts and accounts).

use crate::schema::notification_deliveries;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;
use warden_tenancy::DbConn;

use crate::NotificationError;

/// One channel's delivery of a notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// `in_app`, `email` or `sms`.
    pub channel: String,
    /// `queued`, `sent`, `delivered` or `failed`.
    pub status: String,
    /// Where it went: the recipient's e-mail address or phone number.
    pub address: Option<String>,
    /// Hand-overs tried so far.
    pub attempts: i32,
    /// The provider's id of the message (SMTP Message-ID, Twilio SID).
    pub provider_id: Option<String>,
    /// The last error, while retrying or once failed.
    pub last_error: Option<DeliveryError>,
    /// When it was handed to the provider.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the provider reported it delivered (in-app: when written).
    pub delivered_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Why a delivery failed or is being retried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryError {
    /// Warden's code (`cap_exceeded`, `no_address`, `not_configured`,
    /// `unavailable`, `refused`) or the provider's (an SMTP reply code, a
    /// Twilio error code).
    pub code: String,
    /// What the code means.
    pub message: String,
}

/// What an error code means, in words that leak nothing of the provider.
pub fn describe(channel: &str, code: &str) -> String {
    let provider = if channel == "sms" {
        "Twilio"
    } else {
        "the mail server"
    };
    match code {
        "cap_exceeded" => "the tenant's hourly cap for this channel was reached".into(),
        "no_address" => "the recipient has no address for this channel".into(),
        "not_configured" => "no provider is configured for this channel".into(),
        "unavailable" => format!("{provider} could not be reached; it is retried"),
        "refused" => format!("{provider} refused the message"),
        other if channel == "sms" => format!("Twilio refused the message (error {other})"),
        other => format!("{provider} refused the message (reply {other})"),
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = notification_deliveries)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct Row {
    channel: String,
    status: String,
    address: Option<String>,
    attempts: i32,
    provider_id: Option<String>,
    error_code: Option<String>,
    sent_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

/// The deliveries of `notification` of `tenant`, in channel order (in-app,
/// email, SMS), inside the caller's transaction.
pub async fn of(
    conn: &mut DbConn,
    tenant: Uuid,
    notification: Uuid,
) -> Result<Vec<DeliveryView>, NotificationError> {
    let mut rows: Vec<Row> = notification_deliveries::table
        .filter(notification_deliveries::tenant_id.eq(tenant))
        .filter(notification_deliveries::notification_id.eq(notification))
        .select(Row::as_select())
        .load(conn)
        .await?;
    let rank = |c: &str| match c {
        "in_app" => 0,
        "email" => 1,
        _ => 2,
    };
    rows.sort_by_key(|r| rank(&r.channel));
    Ok(rows
        .into_iter()
        .map(|r| DeliveryView {
            last_error: r.error_code.map(|code| DeliveryError {
                message: describe(&r.channel, &code),
                code,
            }),
            channel: r.channel,
            status: r.status,
            address: r.address,
            attempts: r.attempts,
            provider_id: r.provider_id,
            sent_at: r.sent_at,
            delivered_at: r.delivered_at,
            updated_at: r.updated_at,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_told_in_warden_s_words() {
        assert_eq!(
            describe("email", "550"),
            "the mail server refused the message (reply 550)"
        );
        assert_eq!(
            describe("sms", "30003"),
            "Twilio refused the message (error 30003)"
        );
        assert_eq!(
            describe("sms", "unavailable"),
            "Twilio could not be reached; it is retried"
        );
        assert_eq!(
            describe("email", "cap_exceeded"),
            "the tenant's hourly cap for this channel was reached"
        );
    }
}
