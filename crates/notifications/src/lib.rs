//! Notifications: in-app, email and SMS, with templates, routing and reliable delivery.
//!
//! - [`model`]: priorities, channels, delivery statuses and event kinds.
//! - [`templates`]: per event kind and language templates (subject, text,
//!   HTML), built-in in English and Spanish, tenant overrides, rendering with
//!   minijinja (HTML auto-escaped) and validation.
//! - [`email`]: multipart email over SMTP with lettre (tokio + rustls), the
//!   priority prefix on the subject and a Message-ID for the delivery record.
//! - [`sms`]: SMS through Twilio's Messages API over reqwest.
//!
//! The senders of [`email`] and [`sms`] (and so lettre and reqwest) come with
//! the `delivery` feature, on by default. A crate that only raises
//! notifications depends on this one with `default-features = false`: the
//! notifications and their queued deliveries are recorded the same, and a
//! replica built without senders fails email and SMS deliveries as
//! `not_configured`.
//! - [`twilio_signature`]: the `X-Twilio-Signature` of Twilio's webhooks
//!   (status callbacks).
//!
//! - [`raise`]: the one function every crate raises notifications through,
//!   inside the transaction of the event (a transactional outbox).
//! - [`delivery`]: the worker that sends queued email and SMS deliveries with
//!   retries, and Twilio status callbacks.
//! - [`inbox`], [`preferences`], [`settings`], [`template_store`]: the API's
//!   inbox, user preferences, tenant routing and caps, template overrides.

pub mod codes;
pub mod delivery;
pub mod email;
mod error;
pub mod inbox;
pub mod model;
pub mod preferences;
pub mod raise;
pub mod settings;
pub mod sms;
pub mod template_store;
pub mod templates;
pub mod twilio_signature;

#[cfg(feature = "delivery")]
pub use email::EmailSender;
pub use email::{EmailConfig, OutgoingEmail};
pub use error::NotificationError;
pub use model::{Channel, DeliveryStatus, EventKind, Priority};
#[cfg(feature = "delivery")]
pub use sms::SmsSender;
pub use sms::{SentSms, TwilioConfig};
pub use templates::{LANGUAGES, Rendered, TemplateSet};
