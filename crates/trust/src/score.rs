//! The trust score: 0–100 from commerce signals.
//!
//! Each signal becomes a component in 0..1; the score is the weighted mean of
//! the components × 100, with the tenant's weights:
//!
//! | component | value |
//! |---|---|
//! | `account_age` | `min(1, days since the store opened / 180)` |
//! | `order_volume` | `min(1, ln(1 + delivered orders) / ln(101))` (100 delivered orders = 1) |
//! | `ratings` | `0.5·(1 − c) + c·(mean rating − 1) / 4` with `c = n / (n + 5)` (few ratings stay near neutral) |
//! | `response_time` | `1 − min(1, median hours to the seller's first reply / 48)`; 0.5 without conversations |
//! | `disputes` | `1 − min(1, disputed or refunded orders / orders / 0.10)` (10 % = 0); 0.5 without orders |
//! | `payments` | `1 − min(1, orders cancelled before payment / orders / 0.25)`; 0.5 without orders |
//! | `compliance` | `max(0, 1 − Σ severity weight of violations of the last 90 days not overturned)`, weights low 0.1, medium 0.25, high 0.5, critical 1 |

use serde::{Deserialize, Serialize};

/// The signals of one seller.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signals {
    /// Days since the store opened.
    pub account_age_days: f64,
    /// Delivered orders.
    pub delivered_orders: u64,
    /// All orders (any status).
    pub orders: u64,
    /// Orders disputed or refunded.
    pub disputed_orders: u64,
    /// Orders cancelled before payment.
    pub unpaid_cancellations: u64,
    /// Ratings received.
    pub ratings: u64,
    /// Mean rating (1–5), when there are ratings.
    pub mean_rating: Option<f64>,
    /// Median hours to the seller's first reply in a conversation.
    pub median_response_hours: Option<f64>,
    /// Σ severity weights of recent violations not overturned.
    pub violation_weight: f64,
}

/// Weights of the components (any non-negative numbers; they are normalised).
/// All zero means nothing counts: every score is 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Account age.
    #[schema(minimum = 0, maximum = 1000)]
    pub account_age: f64,
    /// Order volume.
    #[schema(minimum = 0, maximum = 1000)]
    pub order_volume: f64,
    /// Customer ratings.
    #[schema(minimum = 0, maximum = 1000)]
    pub ratings: f64,
    /// Response time in conversations.
    #[schema(minimum = 0, maximum = 1000)]
    pub response_time: f64,
    /// Dispute rate.
    #[schema(minimum = 0, maximum = 1000)]
    pub disputes: f64,
    /// Payment history.
    #[schema(minimum = 0, maximum = 1000)]
    pub payments: f64,
    /// Rule compliance (violations).
    #[schema(minimum = 0, maximum = 1000)]
    pub compliance: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            account_age: 10.0,
            order_volume: 20.0,
            ratings: 20.0,
            response_time: 10.0,
            disputes: 15.0,
            payments: 10.0,
            compliance: 15.0,
        }
    }
}

impl Weights {
    fn all(&self) -> [f64; 7] {
        [
            self.account_age,
            self.order_volume,
            self.ratings,
            self.response_time,
            self.disputes,
            self.payments,
            self.compliance,
        ]
    }

    /// Checks the weights.
    pub fn validate(&self) -> Result<(), String> {
        let all = self.all();
        if all
            .iter()
            .any(|w| !w.is_finite() || *w < 0.0 || *w > 1000.0)
        {
            return Err("weights: each 0 to 1000".into());
        }
        Ok(())
    }
}

/// Each component, 0..1, and the score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Breakdown {
    /// Account age.
    pub account_age: f64,
    /// Order volume.
    pub order_volume: f64,
    /// Customer ratings.
    pub ratings: f64,
    /// Response time.
    pub response_time: f64,
    /// Dispute rate.
    pub disputes: f64,
    /// Payment history.
    pub payments: f64,
    /// Rule compliance.
    pub compliance: f64,
    /// The score, 0–100.
    pub score: f64,
}

fn ratio_component(bad: u64, total: u64, zero_at: f64) -> f64 {
    if total == 0 {
        return 0.5;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "a count far below 2^53, where f64 starts to round"
    )]
    let rate = bad as f64 / total as f64;
    1.0 - (rate / zero_at).min(1.0)
}

/// The score of `signals` with `weights` (see the module documentation).
pub fn score(signals: &Signals, weights: &Weights) -> Breakdown {
    #[expect(
        clippy::cast_precision_loss,
        reason = "a count far below 2^53, where f64 starts to round"
    )]
    let delivered = signals.delivered_orders as f64;
    #[expect(
        clippy::cast_precision_loss,
        reason = "a count far below 2^53, where f64 starts to round"
    )]
    let n = signals.ratings as f64;
    let account_age = (signals.account_age_days.max(0.0) / 180.0).min(1.0);
    let order_volume = ((1.0 + delivered).ln() / 101f64.ln()).min(1.0);
    let ratings = match signals.mean_rating {
        Some(mean) if n > 0.0 => {
            let c = n / (n + 5.0);
            0.5 * (1.0 - c) + c * ((mean.clamp(1.0, 5.0) - 1.0) / 4.0)
        }
        _ => 0.5,
    };
    let response_time = signals
        .median_response_hours
        .map_or(0.5, |h| 1.0 - (h.max(0.0) / 48.0).min(1.0));
    let disputes = ratio_component(signals.disputed_orders, signals.orders, 0.10);
    let payments = ratio_component(signals.unpaid_cancellations, signals.orders, 0.25);
    let compliance = (1.0 - signals.violation_weight.max(0.0)).max(0.0);
    let components = [
        account_age,
        order_volume,
        ratings,
        response_time,
        disputes,
        payments,
        compliance,
    ];
    let w = weights.all();
    let total: f64 = w.iter().sum();
    let weighted: f64 = components.iter().zip(w).map(|(c, w)| c * w).sum();
    let score = if total > 0.0 {
        100.0 * weighted / total
    } else {
        0.0
    };
    Breakdown {
        account_age,
        order_volume,
        ratings,
        response_time,
        disputes,
        payments,
        compliance,
        score: (score * 100.0).round() / 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn all_zero_weights_are_valid_and_score_zero() {
        let zero = Weights {
            account_age: 0.0,
            order_volume: 0.0,
            ratings: 0.0,
            response_time: 0.0,
            disputes: 0.0,
            payments: 0.0,
            compliance: 0.0,
        };
        assert_eq!(zero.validate(), Ok(()));
        assert!(close(score(&Signals::default(), &zero).score, 0.0));
        let negative = Weights {
            ratings: -1.0,
            ..zero
        };
        assert!(negative.validate().is_err());
    }

    #[test]
    fn a_new_store_scores_on_neutral_components_only() {
        let b = score(&Signals::default(), &Weights::default());
        // age 0, volume 0, ratings/response/disputes/payments 0.5, compliance 1:
        // (0·10 + 0·20 + 0.5·20 + 0.5·10 + 0.5·15 + 0.5·10 + 1·15) / 100 = 42.5
        assert!(close(b.score, 42.5), "{b:?}");
    }

    #[test]
    fn known_inputs_give_the_documented_score() {
        let s = Signals {
            account_age_days: 90.0,
            delivered_orders: 100,
            orders: 100,
            disputed_orders: 5,
            unpaid_cancellations: 0,
            ratings: 45,
            mean_rating: Some(4.6),
            median_response_hours: Some(12.0),
            violation_weight: 0.25,
        };
        let b = score(&s, &Weights::default());
        assert!(close(b.account_age, 0.5));
        assert!(close(b.order_volume, 1.0));
        // c = 45/50 = 0.9: 0.05 + 0.9 · 0.9 = 0.86
        assert!(close(b.ratings, 0.86), "{b:?}");
        assert!(close(b.response_time, 0.75));
        assert!(close(b.disputes, 0.5));
        assert!(close(b.payments, 1.0));
        assert!(close(b.compliance, 0.75));
        // (5 + 20 + 17.2 + 7.5 + 7.5 + 10 + 11.25) = 78.45
        assert!(close(b.score, 78.45), "{b:?}");
    }

    #[test]
    fn weights_are_normalised_and_checked() {
        let s = Signals {
            account_age_days: 400.0,
            ..Signals::default()
        };
        let only_age = Weights {
            account_age: 1.0,
            order_volume: 0.0,
            ratings: 0.0,
            response_time: 0.0,
            disputes: 0.0,
            payments: 0.0,
            compliance: 0.0,
        };
        assert!(close(score(&s, &only_age).score, 100.0));
        let negative = Weights {
            ratings: -1.0,
            ..Weights::default()
        };
        assert!(negative.validate().is_err());
        assert!(Weights::default().validate().is_ok());
    }

    #[test]
    fn heavy_violations_take_compliance_to_zero() {
        let s = Signals {
            violation_weight: 1.5,
            ..Signals::default()
        };
        assert!(close(score(&s, &Weights::default()).compliance, 0.0));
    }
}
