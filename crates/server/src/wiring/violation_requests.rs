//! Requests for a violation from moderation and behavior (jobs of their own
//! kinds), in enforcement's terms: what kind of rule was broken, how
//! severely, and the source that makes recording it idempotent.

use warden_behavior::pattern::Severity as PatternSeverity;
use warden_behavior::violation_requests::ViolationRequest as DetectionRequest;
use warden_enforcement::model::Source;
use warden_enforcement::violations::ViolationRequest;
use warden_enforcement::{Severity, SourceKind, ViolationType};
use warden_moderation::violation_requests::ViolationRequest as RejectionRequest;

/// Content that moderation (a rule or a reviewer) rejected: a `content`
/// violation of medium severity of its author, once per moderation result or
/// review item.
pub fn from_moderation(r: RejectionRequest) -> ViolationRequest {
    ViolationRequest {
        user_id: r.author,
        violation_type: ViolationType::Content,
        severity: Severity::Medium,
        source: Source {
            kind: SourceKind::Moderation,
            id: Some(r.source),
        },
        reason: r.reason,
    }
}

/// A live detection: a `behavior` violation of its actor, as severe as the
/// pattern that fired, once per detection.
pub fn from_behavior(r: DetectionRequest) -> ViolationRequest {
    ViolationRequest {
        user_id: r.user_id,
        violation_type: ViolationType::Behavior,
        severity: match r.severity {
            PatternSeverity::Low => Severity::Low,
            PatternSeverity::Medium => Severity::Medium,
            PatternSeverity::High => Severity::High,
            PatternSeverity::Critical => Severity::Critical,
        },
        source: Source {
            kind: SourceKind::Detection,
            id: Some(r.detection_id),
        },
        reason: r.reason,
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_rejection_is_a_medium_content_violation_sourced_from_moderation() {
        let source = Uuid::now_v7();
        let author = Uuid::now_v7();
        let request = from_moderation(RejectionRequest {
            author,
            source,
            reason: "spam".into(),
        });
        assert_eq!(request.user_id, author);
        assert_eq!(request.violation_type, ViolationType::Content);
        assert_eq!(request.severity, Severity::Medium);
        assert_eq!(request.source.kind, SourceKind::Moderation);
        assert_eq!(request.source.id, Some(source));
        assert_eq!(request.reason, "spam");
    }

    #[test]
    fn a_detection_keeps_its_severity_and_is_sourced_from_itself() {
        let detection_id = Uuid::now_v7();
        for (pattern, enforced) in [
            (PatternSeverity::Low, Severity::Low),
            (PatternSeverity::Medium, Severity::Medium),
            (PatternSeverity::High, Severity::High),
            (PatternSeverity::Critical, Severity::Critical),
        ] {
            let request = from_behavior(DetectionRequest {
                user_id: Uuid::nil(),
                detection_id,
                severity: pattern,
                reason: "fired".into(),
            });
            assert_eq!(request.severity, enforced);
            assert_eq!(request.violation_type, ViolationType::Behavior);
            assert_eq!(request.source.kind, SourceKind::Detection);
            assert_eq!(request.source.id, Some(detection_id));
        }
    }
}
