//! Order automation of a store, two trust-gated features:
//!
//! - automated order processing (`automated_order_processing`): with the
//!   store's `auto_process_orders` on, Warden ships each order of the store
//!   as soon as it is paid;
//! - the store's own rules (`custom_automation_rules`): when an order of the
//!   store reaches `on_status` (`paid` or `disputed`) and its total and
//!   currency match, Warden moves it to `move_to`, a seller's move from that
//!   status in the order transition table. Rules send no text to anyone.
//!
//! Turning either on below the feature's level is refused; both are checked
//! again each time they would run, inside the order's transaction, and do
//! nothing while the store is below the level (the order stays where the
//! buyer or seller moved it).

use crate::schema::{automation_rules, seller_profiles};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Db, DbConn, ScopedFutureExt, TenantId};

use crate::orders::OrderStatus;
use crate::seller_standing::{GatedFeature, SellerStanding};
use crate::{Actor, CommerceError, Role, sellers, validate};

/// Most rules a store may have.
pub const MAX_RULES: i64 = 20;

/// A store's automation settings (`GET/PUT /sellers/me/automation`).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationSettings {
    /// Ship every paid order of the store at once (trust-gated:
    /// `automated_order_processing`; turning it on below the level is
    /// refused, and it stops applying while the store is below it).
    pub auto_process_orders: bool,
}

/// A store's automation rule.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = automation_rules)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct AutomationRule {
    /// Rule id.
    pub id: Uuid,
    /// The seller's name for it.
    pub name: String,
    /// The status an order reaches that runs the rule.
    #[diesel(deserialize_as = String)]
    pub on_status: OrderStatus,
    /// The status the rule moves the order to.
    #[diesel(deserialize_as = String)]
    pub move_to: OrderStatus,
    /// Only orders whose total is at most this (minor units).
    pub max_total_minor: Option<i64>,
    /// Only orders in this currency.
    pub currency: Option<String>,
    /// Whether it runs.
    pub enabled: bool,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// A rule as the seller writes it (`POST`, and `PUT` to replace one).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationRuleInput {
    /// 1 to 100 characters (seen by the store's owner and staff only).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    /// `paid` or `disputed`.
    pub on_status: OrderStatus,
    /// From `paid`: `shipped`, `cancelled` or `refunded`; from `disputed`:
    /// `refunded` or `delivered`.
    pub move_to: OrderStatus,
    /// Only orders whose total is at most this (0 to 999999999999).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 999_999_999_999_i64)]
    pub max_total_minor: Option<i64>,
    /// Only orders in this currency (ISO 4217).
    #[serde(default)]
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// Whether it runs (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A checked rule.
struct Checked {
    name: String,
    on_status: OrderStatus,
    move_to: OrderStatus,
    max_total_minor: Option<i64>,
    currency: Option<String>,
    enabled: bool,
}

fn check(input: AutomationRuleInput) -> Result<Checked, CommerceError> {
    use OrderStatus::*;
    let name = validate::title("name", &input.name, 1, 100)?;
    let allowed: &[OrderStatus] = match input.on_status {
        Paid => &[Shipped, Cancelled, Refunded],
        Disputed => &[Refunded, Delivered],
        other => {
            return Err(CommerceError::invalid(format!(
                "on_status: paid or disputed, not {other}"
            )));
        }
    };
    if !allowed.contains(&input.move_to) {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        return Err(CommerceError::invalid(format!(
            "move_to: from {} a rule may move an order to {}",
            input.on_status,
            names.join(", ")
        )));
    }
    let max_total_minor = input
        .max_total_minor
        .map(|v| {
            validate::price_minor(v)
                .map_err(|_| CommerceError::invalid("max_total_minor: 0 to 999999999999"))
        })
        .transpose()?;
    let currency = input
        .currency
        .as_deref()
        .map(validate::currency)
        .transpose()?;
    Ok(Checked {
        name,
        on_status: input.on_status,
        move_to: input.move_to,
        max_total_minor,
        currency,
        enabled: input.enabled.unwrap_or(true),
    })
}

/// The caller's store (sellers only; not found without one).
async fn own_store(conn: &mut DbConn, actor: &Actor) -> Result<Uuid, CommerceError> {
    if !actor.has(Role::Seller) {
        return Err(CommerceError::forbidden("only sellers have a store"));
    }
    sellers::of_user(conn, actor.user_id)
        .await?
        .map(|s| s.id)
        .ok_or(CommerceError::not_found("seller profile"))
}

/// Records a change of the store's automation in the activity log.
async fn audit(
    conn: &mut DbConn,
    actor: &Actor,
    seller: Uuid,
    action: &'static str,
    metadata: serde_json::Value,
) -> Result<(), CommerceError> {
    let mut event = ActivityEvent::new(Kind::ResourceUpdate, action);
    event.actor_id = Some(actor.user_id);
    event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
    event.resource_type = Some("sellers".into());
    event.resource_id = Some(seller.to_string());
    event.metadata = metadata;
    warden_audit::store::record_in_tx(conn, actor.tenant, event).await?;
    Ok(())
}

/// The caller's automation settings.
pub async fn settings(db: &Db, actor: &Actor) -> Result<AutomationSettings, CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = own_store(conn, &actor).await?;
            let auto_process_orders = seller_profiles::table
                .filter(seller_profiles::id.eq(seller))
                .select(seller_profiles::auto_process_orders)
                .first(conn)
                .await?;
            Ok(AutomationSettings {
                auto_process_orders,
            })
        }
        .scope_boxed()
    })
    .await
}

/// Replaces the caller's automation settings; turning automated order
/// processing on needs the store's level for it (turning it off never does).
pub async fn put_settings(
    db: &Db,
    seller_standing: &dyn SellerStanding,
    actor: &Actor,
    body: AutomationSettings,
) -> Result<AutomationSettings, CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = own_store(conn, &actor).await?;
            if body.auto_process_orders {
                seller_standing
                    .require(conn, seller, GatedFeature::AutomatedOrderProcessing)
                    .await?;
            }
            diesel::update(seller_profiles::table.filter(seller_profiles::id.eq(seller)))
                .set((
                    seller_profiles::auto_process_orders.eq(body.auto_process_orders),
                    seller_profiles::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            audit(
                conn,
                &actor,
                seller,
                "automation_settings_change",
                serde_json::json!({ "event": "automation_settings_change", "auto_process_orders": body.auto_process_orders }),
            )
            .await?;
            Ok(body)
        }
        .scope_boxed()
    })
    .await
}

/// The caller's rules, oldest first (the order they are tried in).
pub async fn list_rules(db: &Db, actor: &Actor) -> Result<Vec<AutomationRule>, CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = own_store(conn, &actor).await?;
            Ok(automation_rules::table
                .filter(automation_rules::seller_id.eq(seller))
                .order(automation_rules::id.asc())
                .limit(MAX_RULES)
                .select(AutomationRule::as_select())
                .load(conn)
                .await?)
        }
        .scope_boxed()
    })
    .await
}

/// Creates a rule of the caller's store (at most [`MAX_RULES`]); an enabled
/// rule needs the store's level for custom automation rules.
pub async fn create_rule(
    db: &Db,
    seller_standing: &dyn SellerStanding,
    actor: &Actor,
    input: AutomationRuleInput,
) -> Result<AutomationRule, CommerceError> {
    let rule = check(input)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = own_store(conn, &actor).await?;
            if rule.enabled {
                seller_standing
                    .require(conn, seller, GatedFeature::CustomAutomationRules)
                    .await?;
            }
            // The store row is locked so that concurrent creations count in turn.
            seller_profiles::table
                .filter(seller_profiles::id.eq(seller))
                .select(seller_profiles::id)
                .for_update()
                .first::<Uuid>(conn)
                .await?;
            let existing: i64 = automation_rules::table
                .filter(automation_rules::seller_id.eq(seller))
                .count()
                .get_result(conn)
                .await?;
            if existing >= MAX_RULES {
                return Err(CommerceError::invalid(format!(
                    "a store may have at most {MAX_RULES} automation rules; delete one first"
                )));
            }
            let created: AutomationRule = diesel::insert_into(automation_rules::table)
                .values((
                    automation_rules::tenant_id.eq(actor.tenant.as_uuid()),
                    automation_rules::id.eq(Uuid::now_v7()),
                    automation_rules::seller_id.eq(seller),
                    automation_rules::name.eq(&rule.name),
                    automation_rules::on_status.eq(rule.on_status.as_str()),
                    automation_rules::move_to.eq(rule.move_to.as_str()),
                    automation_rules::max_total_minor.eq(rule.max_total_minor),
                    automation_rules::currency.eq(&rule.currency),
                    automation_rules::enabled.eq(rule.enabled),
                ))
                .returning(AutomationRule::as_returning())
                .get_result(conn)
                .await?;
            audit(
                conn,
                &actor,
                seller,
                "automation_rule_create",
                serde_json::json!({ "event": "automation_rule_create", "rule": created }),
            )
            .await?;
            Ok(created)
        }
        .scope_boxed()
    })
    .await
}

/// Replaces a rule of the caller's store; an enabled rule needs the store's
/// level (disabling one never does).
pub async fn update_rule(
    db: &Db,
    seller_standing: &dyn SellerStanding,
    actor: &Actor,
    id: Uuid,
    input: AutomationRuleInput,
) -> Result<AutomationRule, CommerceError> {
    let rule = check(input)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = own_store(conn, &actor).await?;
            // Another store's rule (or another tenant's) is not found, whatever the level.
            automation_rules::table
                .filter(automation_rules::id.eq(id))
                .filter(automation_rules::seller_id.eq(seller))
                .select(automation_rules::id)
                .for_update()
                .first::<Uuid>(conn)
                .await
                .optional()?
                .ok_or(CommerceError::not_found("automation rule"))?;
            if rule.enabled {
                seller_standing
                    .require(conn, seller, GatedFeature::CustomAutomationRules)
                    .await?;
            }
            let updated: AutomationRule = diesel::update(
                automation_rules::table
                    .filter(automation_rules::id.eq(id))
                    .filter(automation_rules::seller_id.eq(seller)),
            )
            .set((
                automation_rules::name.eq(&rule.name),
                automation_rules::on_status.eq(rule.on_status.as_str()),
                automation_rules::move_to.eq(rule.move_to.as_str()),
                automation_rules::max_total_minor.eq(rule.max_total_minor),
                automation_rules::currency.eq(&rule.currency),
                automation_rules::enabled.eq(rule.enabled),
                automation_rules::updated_at.eq(diesel::dsl::now),
            ))
            .returning(AutomationRule::as_returning())
            .get_result(conn)
            .await
            .optional()?
            .ok_or(CommerceError::not_found("automation rule"))?;
            audit(
                conn,
                &actor,
                seller,
                "automation_rule_update",
                serde_json::json!({ "event": "automation_rule_update", "rule": updated }),
            )
            .await?;
            Ok(updated)
        }
        .scope_boxed()
    })
    .await
}

/// Deletes a rule of the caller's store (whatever its level).
pub async fn delete_rule(db: &Db, actor: &Actor, id: Uuid) -> Result<(), CommerceError> {
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let seller = own_store(conn, &actor).await?;
            let deleted = diesel::delete(
                automation_rules::table
                    .filter(automation_rules::id.eq(id))
                    .filter(automation_rules::seller_id.eq(seller)),
            )
            .execute(conn)
            .await?;
            if deleted == 0 {
                return Err(CommerceError::not_found("automation rule"));
            }
            audit(
                conn,
                &actor,
                seller,
                "automation_rule_delete",
                serde_json::json!({ "event": "automation_rule_delete", "rule_id": id }),
            )
            .await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
}

/// What moves an order automatically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    /// One of the store's rules.
    Rule(Uuid),
    /// The store's automated order processing.
    AutoProcessing,
}

/// An order that just reached a status, as automation sees it.
pub(crate) struct Reached<'a> {
    pub seller: Uuid,
    pub status: OrderStatus,
    pub total_minor: i64,
    pub currency: &'a str,
}

/// The automatic move of an order that just reached a status, if any: the
/// store's first enabled matching rule (oldest first) while its level allows
/// custom rules, else, for a paid order, shipping while automated processing
/// is on and allowed. Runs inside the order's transaction.
pub(crate) async fn next_move(
    conn: &mut DbConn,
    seller_standing: &dyn SellerStanding,
    order: &Reached<'_>,
) -> Result<Option<(OrderStatus, Cause)>, CommerceError> {
    if !matches!(order.status, OrderStatus::Paid | OrderStatus::Disputed) {
        return Ok(None);
    }
    let rules: Vec<AutomationRule> = automation_rules::table
        .filter(automation_rules::seller_id.eq(order.seller))
        .filter(automation_rules::on_status.eq(order.status.as_str()))
        .filter(automation_rules::enabled.eq(true))
        .order(automation_rules::id.asc())
        .select(AutomationRule::as_select())
        .load(conn)
        .await?;
    let matching = rules.iter().find(|r| {
        r.max_total_minor.is_none_or(|max| order.total_minor <= max)
            && r.currency.as_deref().is_none_or(|c| c == order.currency)
    });
    if let Some(rule) = matching
        && seller_standing
            .allows(conn, order.seller, GatedFeature::CustomAutomationRules)
            .await?
    {
        return Ok(Some((rule.move_to, Cause::Rule(rule.id))));
    }
    if order.status != OrderStatus::Paid {
        return Ok(None);
    }
    let auto: bool = seller_profiles::table
        .filter(seller_profiles::id.eq(order.seller))
        .select(seller_profiles::auto_process_orders)
        .first(conn)
        .await?;
    if auto
        && seller_standing
            .allows(conn, order.seller, GatedFeature::AutomatedOrderProcessing)
            .await?
    {
        return Ok(Some((OrderStatus::Shipped, Cause::AutoProcessing)));
    }
    Ok(None)
}

/// Records an automatic move of order `order` in the activity log.
pub(crate) async fn record_move(
    conn: &mut DbConn,
    tenant: TenantId,
    order: Uuid,
    (from, to): (OrderStatus, OrderStatus),
    cause: &Cause,
) -> Result<(), CommerceError> {
    let mut event = ActivityEvent::new(Kind::ResourceUpdate, "order_automated");
    event.resource_type = Some("orders".into());
    event.resource_id = Some(order.to_string());
    let (by, rule) = match cause {
        Cause::Rule(id) => ("custom_automation_rules", Some(*id)),
        Cause::AutoProcessing => ("automated_order_processing", None),
    };
    event.metadata = serde_json::json!({ "event": "order_automated", "from": from, "to": to, "feature": by, "rule_id": rule });
    warden_audit::store::record_in_tx(conn, tenant, event).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(on: OrderStatus, to: OrderStatus) -> AutomationRuleInput {
        AutomationRuleInput {
            name: "small disputes".into(),
            on_status: on,
            move_to: to,
            max_total_minor: Some(2000),
            currency: Some("USD".into()),
            enabled: None,
        }
    }

    #[test]
    fn a_rule_makes_only_a_sellers_move_of_the_transition_table() {
        use OrderStatus::*;
        for (on, to) in [
            (Paid, Shipped),
            (Paid, Cancelled),
            (Paid, Refunded),
            (Disputed, Refunded),
            (Disputed, Delivered),
        ] {
            assert!(on.can_become(to));
            assert!(check(input(on, to)).is_ok(), "{on} -> {to}");
        }
        for (on, to) in [
            (Paid, Delivered),
            (Pending, Paid),
            (Shipped, Delivered),
            (Disputed, Shipped),
        ] {
            assert!(check(input(on, to)).is_err(), "{on} -> {to}");
        }
        let mut bad = input(Paid, Shipped);
        bad.currency = Some("usd".into());
        assert!(check(bad).is_err());
        let mut bad = input(Paid, Shipped);
        bad.max_total_minor = Some(-1);
        assert!(check(bad).is_err());
        let mut bad = input(Paid, Shipped);
        bad.name = "  ".into();
        assert!(check(bad).is_err());
        assert!(check(input(Paid, Shipped)).is_ok_and(|c| c.enabled));
    }
}
