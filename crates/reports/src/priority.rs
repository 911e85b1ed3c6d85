//! The priority of a target's review item, from its reporters.
//!
//! # The rule
//!
//! Each distinct reporter with an open report of the target adds their
//! weight; repeats by one reporter add nothing (they are merged).
//!
//! - A reporter's **accuracy** is `(upheld + 1) / (upheld + dismissed + 2)`
//!   over their decided reports: the prior of one upheld and one dismissed
//!   report gives a first-time reporter 1/2, so new reporters count.
//! - Their **weight** is `round(100 × accuracy)`: 50 for a first-time
//!   reporter, 67 after one upheld report, 33 after one dismissed.
//!   **Reporters whose reports are repeatedly dismissed lose priority**:
//!   after 3 dismissals and no upheld report a reporter weighs 20, after 8
//!   weighs 10, and no reporter weighs 0 (each report is still reviewed).
//! - A **trusted flagger** weighs 100, and an item with at least one trusted
//!   flagger among its reporters gets [`TRUSTED_BOOST`] on top, which puts it
//!   ahead of every item without one.
//!
//! The item's priority is the sum (at most `i32::MAX`). Automated items
//! (content held by the tenant's rules) have priority
//! [`AUTOMATED_PRIORITY`], as two first-time reporters. The queue lists
//! higher priorities first, then older items first. A decision changes the
//! accuracy of every reporter of the item, so the priorities of their other
//! open items are computed again at once.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::DbConn;

use crate::schema::{reporters, reports};
use crate::{ReportError, ReviewQueue};

/// Added to an item reported by at least one trusted flagger.
pub const TRUSTED_BOOST: i32 = 1_000_000;

/// The priority of automated review items (the column's default).
pub const AUTOMATED_PRIORITY: i32 = 100;

/// What counts of a reporter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    /// A trusted flagger of the tenant.
    pub trusted: bool,
    /// Their reports upheld so far.
    pub upheld: i32,
    /// Their reports dismissed so far.
    pub dismissed: i32,
}

impl Standing {
    /// `(upheld + 1) / (upheld + dismissed + 2)`.
    pub fn accuracy(&self) -> f64 {
        let upheld = f64::from(self.upheld.max(0));
        let decided = upheld + f64::from(self.dismissed.max(0));
        (upheld + 1.0) / (decided + 2.0)
    }

    /// 100 for a trusted flagger, else `round(100 × accuracy)`.
    pub fn weight(&self) -> i32 {
        if self.trusted {
            return 100;
        }
        let upheld = i64::from(self.upheld.max(0));
        let decided = upheld + i64::from(self.dismissed.max(0));
        let w = (200 * (upheld + 1) + decided + 2) / (2 * (decided + 2));
        i32::try_from(w).unwrap_or(100)
    }
}

/// The priority of an item with these distinct reporters.
pub fn item_priority(reporters: &[Standing]) -> i32 {
    let sum: i64 = reporters.iter().map(|s| i64::from(s.weight())).sum();
    let boost = if reporters.iter().any(|s| s.trusted) {
        i64::from(TRUSTED_BOOST)
    } else {
        0
    };
    i32::try_from(sum + boost).unwrap_or(i32::MAX)
}

/// The ids, each once, in order.
pub(crate) fn distinct(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The standings of these users (a user with no row: first-time, untrusted).
pub(crate) async fn standings(
    conn: &mut DbConn,
    users: &[Uuid],
) -> Result<Vec<Standing>, ReportError> {
    let rows: Vec<(Uuid, bool, i32, i32)> = reporters::table
        .filter(reporters::user_id.eq_any(users))
        .select((
            reporters::user_id,
            reporters::trusted,
            reporters::upheld,
            reporters::dismissed,
        ))
        .load(conn)
        .await?;
    Ok(users
        .iter()
        .map(|u| {
            rows.iter()
                .find(|r| r.0 == *u)
                .map(|&(_, trusted, upheld, dismissed)| Standing {
                    trusted,
                    upheld,
                    dismissed,
                })
                .unwrap_or_default()
        })
        .collect())
}

/// Computes the priority of an open item from its open reports and stores
/// it through the queue.
pub(crate) async fn refresh(
    conn: &mut DbConn,
    queue: &dyn ReviewQueue,
    review_id: Uuid,
) -> Result<i32, ReportError> {
    let users = distinct(
        reports::table
            .filter(reports::review_id.eq(review_id))
            .filter(reports::status.eq("open"))
            .select(reports::reporter_id)
            .load(conn)
            .await?,
    );
    let priority = item_priority(&standings(conn, &users).await?);
    queue.set_priority(conn, review_id, priority).await?;
    Ok(priority)
}

/// Computes again the priority of every open item these users reported
/// (after their accuracy or trust changed).
pub(crate) async fn refresh_for(
    conn: &mut DbConn,
    queue: &dyn ReviewQueue,
    users: &[Uuid],
) -> Result<(), ReportError> {
    let items = distinct(
        reports::table
            .filter(reports::reporter_id.eq_any(users))
            .filter(reports::status.eq("open"))
            .select(reports::review_id)
            .load(conn)
            .await?,
    );
    for item in items {
        refresh(conn, queue, item).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(upheld: i32, dismissed: i32) -> Standing {
        Standing {
            trusted: false,
            upheld,
            dismissed,
        }
    }

    #[test]
    fn weights_follow_the_documented_rule() {
        assert_eq!(s(0, 0).weight(), 50);
        assert_eq!(s(1, 0).weight(), 67);
        assert_eq!(s(0, 1).weight(), 33);
        assert_eq!(s(0, 3).weight(), 20);
        assert_eq!(s(0, 8).weight(), 10);
        assert!(s(0, 1000).weight() >= 0);
        assert_eq!(
            Standing {
                trusted: true,
                ..s(0, 5)
            }
            .weight(),
            100
        );
        assert!((s(1, 1).accuracy() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn repeated_dismissals_lower_the_weight_step_by_step() {
        let weights: Vec<i32> = (0..6).map(|d| s(0, d).weight()).collect();
        assert!(weights.windows(2).all(|w| w[0] > w[1]), "{weights:?}");
    }

    #[test]
    fn more_reporters_and_trusted_flaggers_rank_higher() {
        let one = item_priority(&[s(0, 0)]);
        let two = item_priority(&[s(0, 0), s(0, 0)]);
        assert!(two > one);
        assert!(item_priority(&[s(2, 0)]) > item_priority(&[s(0, 2)]));
        let trusted = item_priority(&[Standing {
            trusted: true,
            ..s(0, 0)
        }]);
        let crowd = item_priority(&vec![s(10, 0); 100]);
        assert!(trusted > crowd);
        assert_eq!(item_priority(&[]), 0);
    }
}
