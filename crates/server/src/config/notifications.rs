//! Notification providers, delivery retries and verification-code throttles.

use std::time::Duration;

use warden_trust::verifications::CodeLimits;

use super::ConfigError;
use super::parse::trimmed;

/// Notification settings.
#[derive(Clone, Debug)]
pub struct NotificationsConfig {
    /// SMTP server (`SMTP_URL`, e.g. `smtp://127.0.0.1:2525` or
    /// `smtps://user:pass@smtp.example.com`); email deliveries fail with
    /// `not_configured` without it.
    pub smtp_url: Option<String>,
    /// Default sender (`SMTP_FROM`); tenants may set their own.
    pub smtp_from: String,
    /// Twilio (`TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_FROM` or
    /// `TWILIO_MESSAGING_SERVICE_SID`, `TWILIO_BASE_URL`).
    pub twilio: Option<warden_notifications::sms::TwilioConfig>,
    /// Public base URL of this API (`PUBLIC_BASE_URL`), for Twilio status callbacks.
    pub public_base_url: Option<String>,
    /// First retry delay of a failed delivery (`NOTIFY_RETRY_BASE_MS`), doubled per attempt.
    pub retry_base: Duration,
    /// Longest retry delay (`NOTIFY_RETRY_MAX_SECS`).
    pub retry_max: Duration,
}

/// The notification variables.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Notifications")]
pub struct NotificationsArgs {
    /// SMTP server for email notifications (`smtp://host:25`,
    /// `smtp://host:587?tls=required`, `smtps://user:pass@host`); without it
    /// email deliveries fail with `not_configured`.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Default sender; tenants may set their own (`email_from` in `/notifications/routing`).
    #[arg(long, env = "SMTP_FROM", default_value = "Warden <no-reply@localhost>")]
    pub smtp_from: String,
    /// Twilio account for SMS notifications (with `TWILIO_AUTH_TOKEN`, or neither).
    #[arg(long, env = "TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,
    /// Twilio auth token (with `TWILIO_ACCOUNT_SID`, or neither).
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<String>,
    /// Sender number (E.164); this or `TWILIO_MESSAGING_SERVICE_SID` is required with Twilio.
    #[arg(long, env = "TWILIO_FROM")]
    pub twilio_from: Option<String>,
    /// Messaging service; this or `TWILIO_FROM` is required with Twilio.
    #[arg(long, env = "TWILIO_MESSAGING_SERVICE_SID")]
    pub twilio_messaging_service_sid: Option<String>,
    /// Twilio API base (tests point it at a local stand-in).
    #[arg(
        long,
        env = "TWILIO_BASE_URL",
        default_value = "https://api.twilio.com"
    )]
    pub twilio_base_url: String,
    /// This API's public URL; with it, SMS ask Twilio for status callbacks at
    /// `/api/v1/webhooks/twilio/status`.
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,
    /// First retry of a failed email or SMS, in ms; doubles per attempt.
    #[arg(long, env = "NOTIFY_RETRY_BASE_MS", default_value = "2000", value_parser = trimmed::<u64>)]
    pub notify_retry_base_ms: u64,
    /// Longest wait between retries, in seconds.
    #[arg(long, env = "NOTIFY_RETRY_MAX_SECS", default_value = "600", value_parser = trimmed::<u64>)]
    pub notify_retry_max_secs: u64,
    /// Verification codes sent to one phone number per hour, by all of a
    /// tenant's stores together (against SMS toll fraud); `0` sends none.
    #[arg(long, env = "VERIFY_SMS_PER_NUMBER_PER_HOUR", default_value_t = CodeLimits::default().sms_per_number_per_hour, value_parser = trimmed::<u32>)]
    pub verify_sms_per_number_per_hour: u32,
    /// Different phone numbers one store may send verification codes to per day; `0` sends none.
    #[arg(long, env = "VERIFY_SMS_NUMBERS_PER_STORE_PER_DAY", default_value_t = CodeLimits::default().sms_numbers_per_store_per_day, value_parser = trimmed::<u32>)]
    pub verify_sms_numbers_per_store_per_day: u32,
}

impl NotificationsArgs {
    /// The notification settings and the verification-code throttles.
    pub fn resolve(self) -> Result<(NotificationsConfig, CodeLimits), ConfigError> {
        let twilio = match (self.twilio_account_sid, self.twilio_auth_token) {
            (Some(account_sid), Some(auth_token)) => {
                if self.twilio_from.is_none() && self.twilio_messaging_service_sid.is_none() {
                    return Err(ConfigError::new(
                        "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is needed with TWILIO_ACCOUNT_SID",
                    ));
                }
                Some(warden_notifications::sms::TwilioConfig {
                    account_sid,
                    auth_token,
                    from: self.twilio_from,
                    messaging_service_sid: self.twilio_messaging_service_sid,
                    base_url: self.twilio_base_url,
                    status_callback: None,
                })
            }
            (None, None) => None,
            _ => {
                return Err(ConfigError::new(
                    "set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither",
                ));
            }
        };
        let notifications = NotificationsConfig {
            smtp_url: self.smtp_url,
            smtp_from: self.smtp_from,
            twilio,
            public_base_url: self.public_base_url,
            retry_base: Duration::from_millis(self.notify_retry_base_ms.max(1)),
            retry_max: Duration::from_secs(self.notify_retry_max_secs.max(1)),
        };
        let limits = CodeLimits {
            sms_per_number_per_hour: self.verify_sms_per_number_per_hour,
            sms_numbers_per_store_per_day: self.verify_sms_numbers_per_store_per_day,
        };
        Ok((notifications, limits))
    }
}
