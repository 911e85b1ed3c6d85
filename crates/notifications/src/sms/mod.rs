//! SMS through Twilio's Messages API: the account and sender
//! ([`TwilioConfig`]), a message Twilio accepted ([`SentSms`]) and E.164
//! numbers; with the `delivery` feature, [`SmsSender`] sends one form POST to
//! `{base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP
//! basic auth (account SID, auth token), over reqwest.
//!
//! The rustls crypto provider must be installed once per process before the
//! first `SmsSender` is made (the server does it at start).

use serde::{Deserialize, Serialize};

#[cfg(feature = "delivery")]
mod twilio;
#[cfg(feature = "delivery")]
pub use twilio::SmsSender;

/// Twilio's API.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// Longest body Twilio accepts, in characters.
pub const BODY_MAX_CHARS: usize = 1_600;

/// The Twilio account and sender to send SMS with.
#[derive(Clone, Serialize, Deserialize)]
pub struct TwilioConfig {
    /// Account SID (`AC…`), the user of basic auth and part of the path.
    pub account_sid: String,
    /// Auth token, the password of basic auth (and the key of webhook
    /// signatures).
    pub auth_token: String,
    /// Sender number (E.164) or alphanumeric sender ID; used when no
    /// messaging service is set.
    pub from: Option<String>,
    /// Messaging service SID (`MG…`); takes precedence over `from`.
    pub messaging_service_sid: Option<String>,
    /// Base URL of the API: [`DEFAULT_BASE_URL`], or a stand-in in tests.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// URL Twilio posts status changes of each message to.
    pub status_callback: Option<String>,
}

/// [`DEFAULT_BASE_URL`], owned.
fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_owned()
}

impl TwilioConfig {
    /// A configuration sending from `from` with Twilio's API, no callback.
    pub fn new(account_sid: &str, auth_token: &str, from: &str) -> Self {
        Self {
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            from: Some(from.to_owned()),
            messaging_service_sid: None,
            base_url: default_base_url(),
            status_callback: None,
        }
    }
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"***")
            .field("from", &self.from)
            .field("messaging_service_sid", &self.messaging_service_sid)
            .field("base_url", &self.base_url)
            .field("status_callback", &self.status_callback)
            .finish()
    }
}

/// A message Twilio accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SentSms {
    /// Twilio's message SID (`SM…`), the key of later status callbacks.
    pub sid: String,
    /// Twilio's status of the message (`queued`, `accepted`, `sent`, …).
    pub status: String,
}

/// True for an E.164 number: `+`, then 8 to 15 digits, the first not 0.
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_e164() {
        assert!(is_e164("+14155552671"));
        assert!(is_e164("+34600123456"));
        assert!(is_e164("+12345678"));
        assert!(is_e164("+123456789012345"));
        assert!(!is_e164("+1234567"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("14155552671"));
        assert!(!is_e164("+1 415 555 2671"));
        assert!(!is_e164("+04155552671"));
        assert!(!is_e164(""));
    }

    #[test]
    fn hides_the_token() {
        let cfg = TwilioConfig::new("AC123", "secret-token", "+15005550006");
        assert!(!format!("{cfg:?}").contains("secret-token"));
    }
}
