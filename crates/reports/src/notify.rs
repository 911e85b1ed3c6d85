//! What reports tell people, raised through the notification outbox in the
//! transaction of the decision: each reporter learns the outcome.

use warden_notifications::model::{EventKind, Priority};
use warden_notifications::raise::{NotificationRequest, Recipients, raise};
use warden_tenancy::{DbConn, TenantId};

use crate::{Outcome, Report, ReportError};

/// Tells a reporter how their report was decided.
pub(crate) async fn report_decided(
    conn: &mut DbConn,
    tenant: TenantId,
    report: &Report,
    outcome: Outcome,
) -> Result<(), ReportError> {
    let title = match outcome {
        Outcome::Upheld => format!("Your report of a {} was upheld", report.target_type),
        Outcome::Dismissed => format!("Your report of a {} was dismissed", report.target_type),
    };
    let request = NotificationRequest {
        recipients: Recipients::User(report.reporter_id),
        kind: EventKind::ReportDecided,
        priority: Priority::Low,
        category: "reports".into(),
        title,
        body: String::new(),
        data: serde_json::json!({
            "report_id": report.id,
            "target_type": report.target_type,
            "target_id": report.target_id,
            "category": report.category,
            "outcome": outcome.as_str(),
        }),
        event_key: Some(format!("report:{}", report.id)),
        security: false,
        channels: None,
    };
    raise(conn, tenant, &request).await?;
    Ok(())
}
