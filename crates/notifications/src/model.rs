//! The words notifications are made of: priorities, channels, delivery
//! statuses and the kinds of event that cause a notification.

use serde::{Deserialize, Serialize};

use crate::NotificationError;

/// How pressing a notification is. Ordered: `Urgent` is the greatest.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Low: informational.
    Low,
    /// Medium: the default.
    Medium,
    /// High: email subjects get a `[HIGH] ` prefix.
    High,
    /// Urgent: email subjects get an `[URGENT] ` prefix.
    Urgent,
}
warden_tenancy::text_enum!(Priority, NotificationError, { Urgent => "urgent", High => "high", Medium => "medium", Low => "low" });

/// Where a notification is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The in-app inbox (and live stream) of the user.
    InApp,
    /// Email over SMTP.
    Email,
    /// SMS over Twilio.
    Sms,
}
warden_tenancy::text_enum!(Channel, NotificationError, { InApp => "in_app", Email => "email", Sms => "sms" });

/// Where the delivery of a notification on one channel stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting to be handed to the provider.
    Queued,
    /// Accepted by the provider.
    Sent,
    /// Confirmed delivered by the provider (e.g. a Twilio status callback).
    Delivered,
    /// Refused permanently, or retries ran out.
    Failed,
}
warden_tenancy::text_enum!(DeliveryStatus, NotificationError, { Queued => "queued", Sent => "sent", Delivered => "delivered", Failed => "failed" });

/// What happened that a user is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A violation was recorded against the user.
    ViolationCreated,
    /// The user was banned (temporarily or permanently).
    Ban,
    /// The user's ban was lifted or expired.
    BanLifted,
    /// Content needs a moderator's review.
    ReviewRequested,
    /// A moderator decided on the user's content.
    ReviewDecided,
    /// A behavioural pattern was detected.
    Detection,
    /// The user's appeal was decided.
    AppealDecided,
    /// Abuse of rate limits was detected.
    RateLimitAbuse,
    /// A one-time verification code.
    VerificationCode,
    /// The seller's trust level changed (promotion or demotion).
    TrustLevelChanged,
    /// The seller's trust score fell below its level's threshold: demotion
    /// follows unless it recovers by a date.
    TrustDemotionWarning,
    /// A restrictive decision about the user's content or account, with its
    /// reasons and how to appeal.
    StatementOfReasons,
    /// The user's report was decided (upheld or dismissed).
    ReportDecided,
}
warden_tenancy::text_enum!(EventKind, NotificationError, {
    ViolationCreated => "violation_created",
    Ban => "ban",
    BanLifted => "ban_lifted",
    ReviewRequested => "review_requested",
    ReviewDecided => "review_decided",
    Detection => "detection",
    AppealDecided => "appeal_decided",
    RateLimitAbuse => "rate_limit_abuse",
    VerificationCode => "verification_code",
    TrustLevelChanged => "trust_level_changed",
    TrustDemotionWarning => "trust_demotion_warning",
    StatementOfReasons => "statement_of_reasons",
    ReportDecided => "report_decided",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_are_ordered_urgent_highest() {
        assert!(Priority::Urgent > Priority::High);
        assert!(Priority::High > Priority::Medium);
        assert!(Priority::Medium > Priority::Low);
        assert_eq!(Priority::ALL[0], Priority::Urgent);
    }

    #[test]
    fn text_round_trips() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()).ok(), Some(*p));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()).ok(), Some(*c));
        }
        for s in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(s.as_str()).ok(), Some(*s));
        }
        assert_eq!(EventKind::ALL.len(), 13);
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()).ok(), Some(*k));
            let json = serde_json::to_string(k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        assert!(matches!(
            EventKind::parse("custom"),
            Err(NotificationError::Refused(
                warden_tenancy::Rejection::Invalid(_)
            ))
        ));
    }
}
