//! SMS through Twilio's Messages API: one form POST to
//! `{base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP
//! basic auth (account SID, auth token), over reqwest.
//!
//! The rustls crypto provider must be installed once per process before the
//! first [`SmsSender`] is made (the server does it at start).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::NotificationError;

/// Twilio's API.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// Longest a request to Twilio may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);

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

/// Twilio's error body.
#[derive(Deserialize)]
struct TwilioError {
    code: Option<serde_json::Value>,
    message: Option<String>,
}

/// Sends SMS through one Twilio account. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SmsSender {
    client: reqwest::Client,
    config: Arc<TwilioConfig>,
    messages_url: String,
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

/// True for an `http://` or `https://` URL.
fn is_http_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// A provider error of the SMS channel.
fn provider(code: Option<String>, message: String, retryable: bool) -> NotificationError {
    NotificationError::Provider {
        channel: "sms",
        code,
        message,
        retryable,
    }
}

impl SmsSender {
    /// A sender for `config`. Fails with `Invalid` for a missing account SID
    /// or token, no sender (`from` or `messaging_service_sid`), or a base
    /// URL or status callback that is not an HTTP(S) URL.
    pub fn new(config: TwilioConfig) -> Result<Self, NotificationError> {
        let invalid = |m: &str| Err(NotificationError::invalid(format!("twilio: {m}")));
        if config.account_sid.is_empty()
            || !config
                .account_sid
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        {
            return invalid("account_sid must be alphanumeric and not empty");
        }
        if config.auth_token.is_empty() {
            return invalid("auth_token is empty");
        }
        let has = |o: &Option<String>| o.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !has(&config.from) && !has(&config.messaging_service_sid) {
            return invalid("one of from and messaging_service_sid is required");
        }
        if !is_http_url(&config.base_url) {
            return invalid("base_url must be an http(s) URL");
        }
        if let Some(cb) = &config.status_callback
            && !is_http_url(cb)
        {
            return invalid("status_callback must be an http(s) URL");
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| NotificationError::invalid(format!("twilio: HTTP client: {e}")))?;
        let messages_url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            config.base_url.trim_end_matches('/'),
            config.account_sid
        );
        Ok(Self {
            client,
            config: Arc::new(config),
            messages_url,
        })
    }

    /// Sends `body` to `to` (E.164).
    ///
    /// Errors: `Invalid` for a number that is not E.164 or an empty or
    /// too long body; `Provider` with Twilio's error code, retryable for
    /// HTTP 429 and 5xx answers and for connection failures and timeouts.
    pub async fn send(&self, to: &str, body: &str) -> Result<SentSms, NotificationError> {
        self.send_with_callback(to, body, None).await
    }

    /// [`SmsSender::send`] asking Twilio to report this message's fate to
    /// `callback` (which overrides the configured `status_callback`).
    pub async fn send_with_callback(
        &self,
        to: &str,
        body: &str,
        callback: Option<&str>,
    ) -> Result<SentSms, NotificationError> {
        if !is_e164(to) {
            return Err(NotificationError::invalid(format!(
                "to: {to:?} is not an E.164 phone number (+ and 8 to 15 digits)"
            )));
        }
        if body.trim().is_empty() {
            return Err(NotificationError::invalid("body: empty SMS"));
        }
        let chars = body.chars().count();
        if chars > BODY_MAX_CHARS {
            return Err(NotificationError::invalid(format!(
                "body: {chars} characters (at most {BODY_MAX_CHARS})"
            )));
        }
        let cfg = &self.config;
        let mut form: Vec<(&str, &str)> = vec![("To", to), ("Body", body)];
        match (&cfg.messaging_service_sid, &cfg.from) {
            (Some(service), _) if !service.trim().is_empty() => {
                form.push(("MessagingServiceSid", service));
            }
            (_, Some(from)) => form.push(("From", from)),
            _ => {}
        }
        if let Some(cb) = callback.or(cfg.status_callback.as_deref()) {
            form.push(("StatusCallback", cb));
        }
        let response = self
            .client
            .post(&self.messages_url)
            .basic_auth(&cfg.account_sid, Some(&cfg.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| provider(None, format!("Twilio unreachable: {e}"), true))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            provider(
                None,
                format!("reading Twilio's answer: {e}"),
                !status.is_success(),
            )
        })?;
        if status.is_success() {
            let sent: SentSms = serde_json::from_slice(&bytes).map_err(|e| {
                // Twilio took the message: sending again could send it twice.
                provider(None, format!("unreadable answer from Twilio: {e}"), false)
            })?;
            tracing::debug!(sid = %sent.sid, status = %sent.status, "SMS accepted by Twilio");
            return Ok(sent);
        }
        let retryable = status.is_server_error() || status.as_u16() == 429;
        let (code, message) = match serde_json::from_slice::<TwilioError>(&bytes) {
            Ok(e) => (
                e.code.and_then(|c| match c {
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    serde_json::Value::String(s) => Some(s),
                    _ => None,
                }),
                e.message.unwrap_or_else(|| status.to_string()),
            ),
            Err(_) => (
                None,
                format!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&bytes)
                        .chars()
                        .take(200)
                        .collect::<String>()
                ),
            ),
        };
        let err = provider(code, message, retryable);
        tracing::warn!(error = %err, "SMS not sent");
        Err(err)
    }
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
