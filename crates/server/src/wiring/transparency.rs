//! The transparency report (EU Digital Services Act, article 24): what a
//! tenant (or, for a platform administrator, every tenant) decided in a
//! period, put together from the domains that decide: reports (notices
//! received by category, and how they were decided), decisions (statements
//! of reasons by decision, ground and automation), moderation (time review
//! items waited for a person) and enforcement (appeals). Each tenant's part
//! is read in one tenant transaction, so it is consistent.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use warden_decisions::transparency::{DecisionCounts, decision_counts};
use warden_enforcement::stats::{AppealCounts, appeal_counts};
use warden_reports::transparency::{ReportCounts, report_counts};
use warden_tenancy::{Db, PageRequest, ScopedFutureExt, TenantId, TenantRegistry};

use crate::error::ApiError;

/// Longest period one report covers.
pub const MAX_DAYS: i64 = 400;

/// Time to decision: how many were decided in the period and the median
/// wait, in seconds (absent when none).
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct TimeToDecision {
    /// Decided in the period.
    pub decided: i64,
    /// Median seconds from opening to decision.
    pub median_seconds: Option<f64>,
}

impl TimeToDecision {
    fn of(mut waits: Vec<f64>) -> Self {
        waits.sort_by(f64::total_cmp);
        let n = waits.len();
        let median = match n {
            0 => None,
            _ if n % 2 == 1 => Some(waits[n / 2]),
            _ => Some((waits[n / 2 - 1] + waits[n / 2]) / 2.0),
        };
        Self {
            decided: i64::try_from(n).unwrap_or(i64::MAX),
            median_seconds: median,
        }
    }
}

/// User reports of the period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ReportSummary {
    /// Received by category and target; upheld and dismissed.
    #[serde(flatten)]
    pub counts: ReportCounts,
    /// How long decided reports took, from filing.
    pub time_to_decision: TimeToDecision,
}

/// Appeals of the period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct AppealSummary {
    /// Filed, upheld and overturned.
    #[serde(flatten)]
    pub counts: AppealCounts,
    /// How long decided appeals took.
    pub time_to_decision: TimeToDecision,
}

/// What was decided in a period.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct TransparencyReport {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// Tenants covered (1 for a tenant's own report).
    pub tenants: usize,
    /// Notices from users.
    pub reports: ReportSummary,
    /// Restrictive decisions, by decision, ground and automation.
    pub decisions: DecisionCounts,
    /// Review items decided by a person, and how long they waited.
    pub reviews: TimeToDecision,
    /// Appeals received, upheld and overturned.
    pub appeals: AppealSummary,
}

/// One tenant's raw part: counts, and the waits medians are taken over.
struct Part {
    reports: ReportCounts,
    report_waits: Vec<f64>,
    decisions: DecisionCounts,
    review_waits: Vec<f64>,
    appeals: AppealCounts,
    appeal_waits: Vec<f64>,
}

async fn part(
    db: &Db,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Part, ApiError> {
    db.tenant_tx(tenant, |conn| {
        async move {
            let (reports, report_waits) = report_counts(conn, tenant, from, to).await?;
            let decisions = decision_counts(conn, tenant, from, to).await?;
            let review_waits =
                warden_moderation::reviews::decision_waits(conn, tenant, from, to).await?;
            let (appeals, appeal_waits) = appeal_counts(conn, tenant, from, to).await?;
            Ok::<_, ApiError>(Part {
                reports,
                report_waits,
                decisions,
                review_waits,
                appeals,
                appeal_waits,
            })
        }
        .scope_boxed()
    })
    .await
}

fn report(from: DateTime<Utc>, to: DateTime<Utc>, parts: Vec<Part>) -> TransparencyReport {
    let tenants = parts.len();
    let mut decisions = DecisionCounts::empty();
    let mut reports = ReportCounts::default();
    let mut appeals = AppealCounts::default();
    let (mut review_waits, mut appeal_waits, mut report_waits) =
        (Vec::new(), Vec::new(), Vec::new());
    for p in parts {
        reports.add(&p.reports);
        report_waits.extend(p.report_waits);
        decisions.add(&p.decisions);
        appeals.add(&p.appeals);
        review_waits.extend(p.review_waits);
        appeal_waits.extend(p.appeal_waits);
    }
    TransparencyReport {
        from,
        to,
        tenants,
        reports: ReportSummary {
            counts: reports,
            time_to_decision: TimeToDecision::of(report_waits),
        },
        decisions,
        reviews: TimeToDecision::of(review_waits),
        appeals: AppealSummary {
            counts: appeals,
            time_to_decision: TimeToDecision::of(appeal_waits),
        },
    }
}

/// The report of one tenant over `[from, to)`.
pub async fn for_tenant(
    db: &Db,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<TransparencyReport, ApiError> {
    Ok(report(from, to, vec![part(db, tenant, from, to).await?]))
}

/// The report of every tenant over `[from, to)`, added up (medians over
/// every tenant's decisions together).
pub async fn for_platform(
    db: &Db,
    registry: &TenantRegistry,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<TransparencyReport, ApiError> {
    let mut parts = Vec::new();
    let mut page = PageRequest::new(Some(100), None)?;
    loop {
        let tenants = registry.list(page).await?;
        for t in &tenants.items {
            parts.push(part(db, TenantId::new(t.id), from, to).await?);
        }
        match tenants.next_cursor {
            Some(cursor) => page = PageRequest::new(Some(100), Some(cursor.as_str()))?,
            None => break,
        }
    }
    Ok(report(from, to, parts))
}

/// The report as CSV: `section,key,value` rows, one per count.
pub fn to_csv(r: &TransparencyReport) -> String {
    let mut rows = vec![
        ("period".to_owned(), "from".to_owned(), r.from.to_rfc3339()),
        ("period".to_owned(), "to".to_owned(), r.to.to_rfc3339()),
        (
            "period".to_owned(),
            "tenants".to_owned(),
            r.tenants.to_string(),
        ),
        (
            "decisions".to_owned(),
            "total".to_owned(),
            r.decisions.total.to_string(),
        ),
        (
            "automation".to_owned(),
            "automated".to_owned(),
            r.decisions.automated.to_string(),
        ),
        (
            "automation".to_owned(),
            "manual".to_owned(),
            r.decisions.manual.to_string(),
        ),
    ];
    rows.extend([
        (
            "reports".to_owned(),
            "received".to_owned(),
            r.reports.counts.received.to_string(),
        ),
        (
            "reports".to_owned(),
            "upheld".to_owned(),
            r.reports.counts.upheld.to_string(),
        ),
        (
            "reports".to_owned(),
            "dismissed".to_owned(),
            r.reports.counts.dismissed.to_string(),
        ),
    ]);
    for (k, v) in &r.reports.counts.by_category {
        rows.push(("report_category".to_owned(), k.clone(), v.to_string()));
    }
    for (k, v) in &r.reports.counts.by_target {
        rows.push(("report_target".to_owned(), k.clone(), v.to_string()));
    }
    for (k, v) in &r.decisions.by_decision {
        rows.push(("decision".to_owned(), k.clone(), v.to_string()));
    }
    for (k, v) in &r.decisions.by_ground {
        rows.push(("ground".to_owned(), k.clone(), v.to_string()));
    }
    let median = |t: &TimeToDecision| t.median_seconds.map(|s| s.to_string()).unwrap_or_default();
    // Each time to decision as the JSON has it: `decided`, `median_seconds`.
    for (section, t) in [
        ("reports", &r.reports.time_to_decision),
        ("reviews", &r.reviews),
        ("appeals", &r.appeals.time_to_decision),
    ] {
        rows.push((
            section.to_owned(),
            "time_to_decision.decided".to_owned(),
            t.decided.to_string(),
        ));
        rows.push((
            section.to_owned(),
            "time_to_decision.median_seconds".to_owned(),
            median(t),
        ));
    }
    rows.extend([
        (
            "appeals".to_owned(),
            "received".to_owned(),
            r.appeals.counts.received.to_string(),
        ),
        (
            "appeals".to_owned(),
            "upheld".to_owned(),
            r.appeals.counts.upheld.to_string(),
        ),
        (
            "appeals".to_owned(),
            "overturned".to_owned(),
            r.appeals.counts.overturned.to_string(),
        ),
    ]);
    let mut out = String::from("section,key,value\r\n");
    for (section, key, value) in rows {
        out.push_str(&format!(
            "{},{},{}\r\n",
            field(&section),
            field(&key),
            field(&value)
        ));
    }
    out
}

/// A CSV field: quoted when it holds a comma, quote or line break, and
/// prefixed with `'` when a spreadsheet would read it as a formula (a ground
/// name is tenant text).
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_even_and_odd_counts() {
        assert_eq!(TimeToDecision::of(vec![]).median_seconds, None);
        assert_eq!(
            TimeToDecision::of(vec![5.0, 1.0, 3.0]).median_seconds,
            Some(3.0)
        );
        assert_eq!(
            TimeToDecision::of(vec![4.0, 1.0, 3.0, 2.0]).median_seconds,
            Some(2.5)
        );
        assert_eq!(TimeToDecision::of(vec![4.0, 1.0]).decided, 2);
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("spam"), "spam");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-3.5"), "-3.5");
    }
}
