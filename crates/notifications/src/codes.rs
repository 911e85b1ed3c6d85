//! One-time codes (contact verification), sent at once by email or SMS with
//! the `verification_code` template. The code never touches the database:
//! the caller keeps only its hash, so it is not sent through the outbox.

use crate::delivery::Providers;
use crate::email::OutgoingEmail;
use crate::model::{Channel, EventKind, Priority};
use crate::{NotificationError, templates};

/// Sends `code` to `address` on `channel` in `language`; returns the
/// provider's message id.
pub async fn send_code(
    providers: &Providers,
    channel: Channel,
    address: &str,
    user_name: Option<String>,
    language: &str,
    code: &str,
    expires_minutes: u32,
) -> Result<String, NotificationError> {
    let (set, language) = templates::resolve(EventKind::VerificationCode, language, |_, _| None);
    let rendered = templates::render(
        &set,
        &serde_json::json!({ "code": code, "expires_minutes": expires_minutes, "user_name": user_name }),
    )?;
    let unconfigured =
        |what: &str| NotificationError::Invalid(format!("{what} is not configured on this server"));
    match channel {
        Channel::Email => {
            let email = providers
                .email
                .as_ref()
                .ok_or_else(|| unconfigured("email"))?;
            email
                .send(&OutgoingEmail {
                    to: address.to_owned(),
                    to_name: user_name,
                    from: None,
                    priority: Priority::High,
                    rendered,
                    language,
                })
                .await
        }
        Channel::Sms => {
            let sms = providers.sms.as_ref().ok_or_else(|| unconfigured("SMS"))?;
            sms.send(address, &rendered.text).await.map(|s| s.sid)
        }
        Channel::InApp => Err(NotificationError::Invalid(
            "codes go by email or SMS".into(),
        )),
    }
}
