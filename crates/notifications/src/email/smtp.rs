//! [`EmailSender`]: email over SMTP with lettre (the `delivery` feature).

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use super::{EmailConfig, OutgoingEmail, redact_credentials, subject_with_priority};
use crate::NotificationError;
use crate::model::Priority;

/// Longest a connection to the SMTP server or one of its replies may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends email through one SMTP server, over a pool of connections. Cheap
/// to clone.
#[derive(Clone)]
pub struct EmailSender {
    inner: Arc<Inner>,
}

/// What clones of an [`EmailSender`] share.
struct Inner {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from_default: Mailbox,
}

impl std::fmt::Debug for EmailSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSender")
            .field("from_default", &self.inner.from_default.to_string())
            .finish_non_exhaustive()
    }
}

/// The `Content-Language` header, which lettre does not define.
#[derive(Clone, Debug)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim().to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The `X-Priority` header (1 highest, 3 normal, 5 lowest), which mail
/// clients show as importance.
#[derive(Clone, Debug)]
struct XPriority(u8);

impl Header for XPriority {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Priority")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim().get(..1).unwrap_or("3").parse()?))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.to_string())
    }
}

/// `X-Priority` value of a priority.
fn x_priority(priority: Priority) -> u8 {
    match priority {
        Priority::Urgent => 1,
        Priority::High => 2,
        Priority::Medium => 3,
        Priority::Low => 5,
    }
}

/// True for a language tag made of 1–8 character alphanumeric subtags
/// joined by `-` (`en`, `es-MX`), 35 characters at most.
fn is_language_tag(lang: &str) -> bool {
    !lang.is_empty()
        && lang.len() <= 35
        && lang
            .split('-')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Parses a sender: `addr` or `Name <addr>`.
fn parse_mailbox(what: &str, s: &str) -> Result<Mailbox, NotificationError> {
    s.trim().parse::<Mailbox>().map_err(|e| {
        NotificationError::invalid(format!("{what}: invalid email address {s:?}: {e}"))
    })
}

/// A provider error of the email channel.
fn provider(code: Option<String>, message: String, retryable: bool) -> NotificationError {
    NotificationError::Provider {
        channel: "email",
        code,
        message,
        retryable,
    }
}

/// Maps an SMTP failure: permanent (5xx) replies and refusals by lettre
/// itself are final; the rest (4xx, connection, TLS, timeouts) may succeed
/// later.
fn smtp_error(e: &lettre::transport::smtp::Error) -> NotificationError {
    let code = e.status().map(|c| c.to_string());
    provider(code, e.to_string(), !(e.is_permanent() || e.is_client()))
}

impl EmailSender {
    /// A sender for `config`. Fails with `Invalid` for an SMTP URL lettre
    /// does not understand or a bad default sender. Connects lazily.
    ///
    /// Must be called inside a tokio runtime: the connection pool starts a
    /// cleanup task.
    pub fn new(config: EmailConfig) -> Result<Self, NotificationError> {
        let from_default = parse_mailbox("from_default", &config.from_default)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| {
                NotificationError::invalid(format!(
                    "smtp_url {:?}: {e}",
                    redact_credentials(&config.smtp_url)
                ))
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                from_default,
            }),
        })
    }

    /// Builds the message of `msg` and its Message-ID (with angle brackets).
    pub fn build(&self, msg: &OutgoingEmail) -> Result<(Message, String), NotificationError> {
        let to_addr = msg.to.trim().parse::<Address>().map_err(|e| {
            NotificationError::invalid(format!("to: invalid email address {:?}: {e}", msg.to))
        })?;
        let to = Mailbox::new(
            msg.to_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            to_addr,
        );
        let from = match &msg.from {
            Some(from) => parse_mailbox("from", from)?,
            None => self.inner.from_default.clone(),
        };
        if !is_language_tag(&msg.language) {
            return Err(NotificationError::invalid(format!(
                "language: invalid language tag {:?}",
                msg.language
            )));
        }
        let message_id = format!("<{}@{}>", Uuid::now_v7().simple(), from.email.domain());
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(subject_with_priority(msg.priority, &msg.rendered.subject))
            .message_id(Some(message_id.clone()))
            .header(ContentLanguage(msg.language.clone()))
            .header(XPriority(x_priority(msg.priority)))
            .multipart(MultiPart::alternative_plain_html(
                msg.rendered.text.clone(),
                msg.rendered.html.clone(),
            ))
            .map_err(|e| NotificationError::invalid(format!("email: {e}")))?;
        Ok((message, message_id))
    }

    /// Sends `msg`; returns its Message-ID (with angle brackets).
    ///
    /// Errors: `Invalid` for a bad address or language tag; `Provider` with
    /// the SMTP reply code and `retryable: false` for a permanent (5xx)
    /// refusal, `retryable: true` for 4xx replies and connection failures.
    pub async fn send(&self, msg: &OutgoingEmail) -> Result<String, NotificationError> {
        let (message, message_id) = self.build(msg)?;
        match self.inner.transport.send(message).await {
            Ok(_) => {
                tracing::debug!(%message_id, "email accepted by the SMTP server");
                Ok(message_id)
            }
            Err(e) => {
                let err = smtp_error(&e);
                tracing::warn!(%message_id, error = %err, "email not sent");
                Err(err)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::Rendered;

    fn sender() -> EmailSender {
        EmailSender::new(EmailConfig {
            smtp_url: "smtp://127.0.0.1:2525".into(),
            from_default: "Warden <noreply@warden.test>".into(),
        })
        .unwrap()
    }

    fn outgoing() -> OutgoingEmail {
        OutgoingEmail {
            to: "ana@example.com".into(),
            to_name: Some("Ana".into()),
            from: None,
            priority: Priority::High,
            rendered: Rendered {
                subject: "Hi".into(),
                text: "text".into(),
                html: "<p>html</p>".into(),
            },
            language: "es".into(),
        }
    }

    #[tokio::test]
    async fn builds_multipart_with_headers() {
        let (message, id) = sender().build(&outgoing()).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(id.starts_with('<') && id.ends_with("@warden.test>"));
        assert!(raw.contains(&format!("Message-ID: {id}")), "{raw}");
        assert!(raw.contains("Content-Language: es"), "{raw}");
        assert!(raw.contains("Subject: [HIGH] Hi"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("From: Warden <noreply@warden.test>"), "{raw}");
    }

    #[tokio::test]
    async fn refuses_bad_input() {
        let s = sender();
        let mut m = outgoing();
        m.to = "not an address".into();
        assert_eq!(s.build(&m).unwrap_err().code().as_str(), "invalid_input");
        let mut m = outgoing();
        m.from = Some("bad@".into());
        assert_eq!(s.build(&m).unwrap_err().code().as_str(), "invalid_input");
        let mut m = outgoing();
        m.language = "es\r\nBcc: x@y.z".into();
        assert_eq!(s.build(&m).unwrap_err().code().as_str(), "invalid_input");
        assert!(
            EmailSender::new(EmailConfig {
                smtp_url: "gopher://x".into(),
                from_default: "a@b.c".into(),
            })
            .is_err()
        );
    }
}
