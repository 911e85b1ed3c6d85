//! Requests for a violation from moderation and behavior (jobs of their own
//! kinds), in enforcement's terms: what kind of rule was broken, how
//! severely, and the source that makes recording it idempotent.

use warden_behavior::pattern::Severity as PatternSeverity;
use warden_behavior::violation_requests::ViolationRequest as DetectionRequest;
use warden_decisions::statements::Ground;
use warden_enforcement::model::Source;
use warden_enforcement::violations::ViolationRequest;
use warden_enforcement::{Severity, SourceKind, ViolationType};
use warden_moderation::violation_requests::ViolationRequest as RejectionRequest;

/// Content that moderation (a rule or a reviewer) rejected: a `content`
/// violation of medium severity of its author, once per moderation result or
/// review item.
pub fn from_moderation(r: RejectionRequest) -> ViolationRequest {
    let ground = (!r.rule_name.trim().is_empty()).then(|| Ground {
        text: if r.rule_text.trim().is_empty() {
            r.rule_name.clone()
        } else {
            r.rule_text.clone()
        },
        name: r.rule_name.clone(),
    });
    ViolationRequest {
        user_id: r.author,
        violation_type: ViolationType::Content,
        severity: Severity::Medium,
        source: Source {
            kind: SourceKind::Moderation,
            id: Some(r.source),
        },
        reason: r.reason,
        evidence_id: r.evidence_id,
        ground,
        content: r.content_type.map(|t| (t, r.content_id)),
        automated: r.automated,
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
        ground: Some(Ground {
            name: r.pattern_name.clone(),
            text: r.reason.clone(),
        }),
        reason: r.reason,
        evidence_id: r.evidence_id,
        content: None,
        automated: r.confirmed_by.is_none(),
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
        let evidence = Uuid::now_v7();
        let request = from_moderation(RejectionRequest {
            author,
            source,
            reason: "spam".into(),
            evidence_id: Some(evidence),
            rule_name: "links".into(),
            rule_text: "no links to other sites".into(),
            content_type: Some("message".into()),
            content_id: None,
            automated: true,
        });
        assert_eq!(request.evidence_id, Some(evidence));
        assert_eq!(
            request.ground,
            Some(Ground {
                name: "links".into(),
                text: "no links to other sites".into()
            })
        );
        assert_eq!(request.content, Some(("message".into(), None)));
        assert!(request.automated);
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
                pattern_name: "bursts".into(),
                evidence_id: None,
                confirmed_by: None,
            });
            assert!(request.automated);
            assert_eq!(
                request.ground.as_ref().map(|g| g.name.as_str()),
                Some("bursts")
            );
            assert_eq!(request.severity, enforced);
            assert_eq!(request.violation_type, ViolationType::Behavior);
            assert_eq!(request.source.kind, SourceKind::Detection);
            assert_eq!(request.source.id, Some(detection_id));
        }
    }
}
