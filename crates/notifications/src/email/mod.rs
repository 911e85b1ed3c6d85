//! Email: where and as whom it is sent ([`EmailConfig`]), one message to send
//! ([`OutgoingEmail`]) and its subject's priority prefix; with the `delivery`
//! feature, [`EmailSender`] sends it over SMTP with lettre (tokio, rustls; no
//! OpenSSL).
//!
//! Each message is `multipart/alternative` with a plain-text and an HTML
//! part, carries `Content-Language`, a subject prefixed by priority
//! (`[URGENT] `, `[HIGH] `; none for medium and low) and a generated
//! Message-ID, returned for the delivery record.

use serde::{Deserialize, Serialize};

use crate::model::Priority;
use crate::templates::Rendered;

#[cfg(feature = "delivery")]
mod smtp;
#[cfg(feature = "delivery")]
pub use smtp::EmailSender;

/// Where and as whom email is sent.
#[derive(Clone, Serialize, Deserialize)]
pub struct EmailConfig {
    /// SMTP server, as lettre's `AsyncSmtpTransport::from_url` reads it:
    /// `smtp://127.0.0.1:2525` (no TLS), `smtps://user:pass@host:465`
    /// (implicit TLS), `smtp://user:pass@host:587?tls=required` (STARTTLS).
    pub smtp_url: String,
    /// Sender when the tenant has none: `noreply@example.com` or
    /// `Warden <noreply@example.com>`.
    pub from_default: String,
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("smtp_url", &redact_credentials(&self.smtp_url))
            .field("from_default", &self.from_default)
            .finish()
    }
}

/// `url` with the user and password (between `://` and `@`) hidden.
pub(crate) fn redact_credentials(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start + 3 => {
            format!("{}***{}", &url[..start + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// One email to send.
#[derive(Clone, Debug)]
pub struct OutgoingEmail {
    /// Recipient address.
    pub to: String,
    /// Recipient display name.
    pub to_name: Option<String>,
    /// The tenant's sender (`addr` or `Name <addr>`); the default sender when
    /// none.
    pub from: Option<String>,
    /// Priority: decides the subject prefix and the `X-Priority` header.
    pub priority: Priority,
    /// The rendered template.
    pub rendered: Rendered,
    /// Language of the rendered template (`Content-Language`).
    pub language: String,
}

/// The subject with the priority prefix: `[URGENT] `, `[HIGH] `, none for
/// medium and low.
pub fn subject_with_priority(priority: Priority, subject: &str) -> String {
    match priority {
        Priority::Urgent => format!("[URGENT] {subject}"),
        Priority::High => format!("[HIGH] {subject}"),
        Priority::Medium | Priority::Low => subject.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_subjects_by_priority() {
        assert_eq!(subject_with_priority(Priority::Urgent, "x"), "[URGENT] x");
        assert_eq!(subject_with_priority(Priority::High, "x"), "[HIGH] x");
        assert_eq!(subject_with_priority(Priority::Medium, "x"), "x");
        assert_eq!(subject_with_priority(Priority::Low, "x"), "x");
    }

    #[test]
    fn hides_credentials() {
        assert_eq!(
            redact_credentials("smtps://user:secret@mail.example.com:465"),
            "smtps://***@mail.example.com:465"
        );
        assert_eq!(
            redact_credentials("smtp://127.0.0.1:25"),
            "smtp://127.0.0.1:25"
        );
    }
}
