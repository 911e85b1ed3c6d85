//! [`SmsSender`]: SMS through Twilio's Messages API over reqwest (the
//! `delivery` feature).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{BODY_MAX_CHARS, SentSms, TwilioConfig, is_e164};
use crate::NotificationError;

/// Longest a request to Twilio may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);

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
