//! Filter rules in the database: create, read, list, replace, delete. Only
//! tenant administrators change rules; staff read them. Each change is
//! audited in its own transaction.

use crate::schema::moderation_rules;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, Db, DbConn, Page, PageRequest, ScopedFutureExt, TenantId};

use super::engine::CompiledRule;
use super::model::{
    Action, Condition, EntitiesCondition, LanguageCondition, PatternCondition, RuleBody, RuleKind,
    SentimentCondition, ToxicityCondition, ValidRule,
};
use crate::ModerationError;
use crate::content::ContentType;
use crate::text::PatternSet;

const STAFF_ONLY: &str = "only staff may read moderation rules";

const ADMIN_ONLY: &str = "only tenant administrators may change moderation rules";

/// A stored rule, as the API shows it: the condition sits under its kind's name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rule {
    /// Rule id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: RuleKind,
    /// Condition of a pattern rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<PatternCondition>,
    /// Condition of a sentiment rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentCondition>,
    /// Condition of a toxicity rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toxicity: Option<ToxicityCondition>,
    /// Condition of a language rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageCondition>,
    /// Condition of an entities rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entities: Option<EntitiesCondition>,
    /// Content types.
    pub content_types: Vec<ContentType>,
    /// Action.
    pub action: String,
    /// Priority, higher first.
    pub priority: i32,
    /// Enabled.
    pub enabled: bool,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = moderation_rules)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct RuleRow {
    id: Uuid,
    name: String,
    kind: String,
    config: serde_json::Value,
    content_types: Vec<String>,
    action: String,
    priority: i32,
    enabled: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn corrupt(id: Uuid, what: &str) -> ModerationError {
    ModerationError::Inference(format!("stored rule {id} has an unreadable {what}"))
}

impl RuleRow {
    fn kind(&self) -> Result<RuleKind, ModerationError> {
        serde_json::from_value(serde_json::Value::String(self.kind.clone()))
            .map_err(|_| corrupt(self.id, "kind"))
    }

    fn condition(&self) -> Result<Condition, ModerationError> {
        let c = self.config.clone();
        let bad = |_| corrupt(self.id, "condition");
        Ok(match self.kind()? {
            RuleKind::Pattern => Condition::Pattern(serde_json::from_value(c).map_err(bad)?),
            RuleKind::Sentiment => Condition::Sentiment(serde_json::from_value(c).map_err(bad)?),
            RuleKind::Toxicity => Condition::Toxicity(serde_json::from_value(c).map_err(bad)?),
            RuleKind::Language => Condition::Language(serde_json::from_value(c).map_err(bad)?),
            RuleKind::Entities => Condition::Entities(serde_json::from_value(c).map_err(bad)?),
        })
    }

    fn content_types(&self) -> Vec<ContentType> {
        self.content_types
            .iter()
            .filter_map(|c| ContentType::parse(c))
            .collect()
    }

    fn into_rule(self) -> Result<Rule, ModerationError> {
        let kind = self.kind()?;
        let condition = self.condition()?;
        let content_types = self.content_types();
        let mut rule = Rule {
            id: self.id,
            name: self.name,
            kind,
            pattern: None,
            sentiment: None,
            toxicity: None,
            language: None,
            entities: None,
            content_types,
            action: self.action,
            priority: self.priority,
            enabled: self.enabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
        };
        match condition {
            Condition::Pattern(c) => rule.pattern = Some(c),
            Condition::Sentiment(c) => rule.sentiment = Some(c),
            Condition::Toxicity(c) => rule.toxicity = Some(c),
            Condition::Language(c) => rule.language = Some(c),
            Condition::Entities(c) => rule.entities = Some(c),
        }
        Ok(rule)
    }

    fn compile(self) -> Result<CompiledRule, ModerationError> {
        let kind = self.kind()?;
        let condition = self.condition()?;
        let patterns = match &condition {
            Condition::Pattern(p) => Some(
                PatternSet::compile(&p.keywords, &p.regex)
                    .map_err(|_| corrupt(self.id, "pattern"))?,
            ),
            _ => None,
        };
        Ok(CompiledRule {
            id: self.id,
            content_types: self.content_types(),
            action: Action::parse(&self.action).map_err(|_| corrupt(self.id, "action"))?,
            name: self.name,
            kind,
            condition,
            patterns,
            priority: self.priority,
        })
    }
}

fn condition_json(rule: &ValidRule) -> Result<serde_json::Value, ModerationError> {
    serde_json::to_value(&rule.condition).map_err(|e| ModerationError::invalid(e.to_string()))
}

fn type_names(rule: &ValidRule) -> Vec<String> {
    rule.content_types
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect()
}

async fn audit(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    id: Uuid,
) -> Result<(), ModerationError> {
    let mut event = ActivityEvent::new(Kind::System, action);
    event.actor_id = Some(actor.user_id);
    event.resource_type = Some("moderation_rules".into());
    event.resource_id = Some(id.to_string());
    event.metadata = serde_json::json!({ "event": action });
    warden_audit::store::record_in_tx(conn, actor.tenant, event)
        .await
        .map_err(|e| ModerationError::Inference(e.to_string()))
}

/// Creates a rule.
pub async fn create(db: &Db, actor: &Actor, body: RuleBody) -> Result<Rule, ModerationError> {
    actor.require_admin(ADMIN_ONLY)?;
    let rule = body.validate()?;
    let config = condition_json(&rule)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let id = Uuid::now_v7();
            let row: RuleRow = diesel::insert_into(moderation_rules::table)
                .values((
                    moderation_rules::tenant_id.eq(actor.tenant.as_uuid()),
                    moderation_rules::id.eq(id),
                    moderation_rules::name.eq(&rule.name),
                    moderation_rules::kind.eq(rule.kind.as_str()),
                    moderation_rules::config.eq(config),
                    moderation_rules::content_types.eq(type_names(&rule)),
                    moderation_rules::action.eq(rule.action.as_str()),
                    moderation_rules::priority.eq(rule.priority),
                    moderation_rules::enabled.eq(rule.enabled),
                ))
                .returning(RuleRow::as_returning())
                .get_result(conn)
                .await?;
            audit(conn, &actor, "moderation_rule_created", id).await?;
            row.into_rule()
        }
        .scope_boxed()
    })
    .await
}

/// Replaces a rule's whole body.
pub async fn replace(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    body: RuleBody,
) -> Result<Rule, ModerationError> {
    actor.require_admin(ADMIN_ONLY)?;
    let rule = body.validate()?;
    let config = condition_json(&rule)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let row: RuleRow =
                diesel::update(moderation_rules::table.filter(moderation_rules::id.eq(id)))
                    .set((
                        moderation_rules::name.eq(&rule.name),
                        moderation_rules::kind.eq(rule.kind.as_str()),
                        moderation_rules::config.eq(config),
                        moderation_rules::content_types.eq(type_names(&rule)),
                        moderation_rules::action.eq(rule.action.as_str()),
                        moderation_rules::priority.eq(rule.priority),
                        moderation_rules::enabled.eq(rule.enabled),
                        moderation_rules::updated_at.eq(diesel::dsl::now),
                    ))
                    .returning(RuleRow::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?
                    .ok_or(ModerationError::not_found("rule"))?;
            audit(conn, &actor, "moderation_rule_updated", id).await?;
            row.into_rule()
        }
        .scope_boxed()
    })
    .await
}

/// Deletes a rule. Decisions already made keep its id, name and explanation.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid) -> Result<(), ModerationError> {
    actor.require_admin(ADMIN_ONLY)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let n = diesel::delete(moderation_rules::table.filter(moderation_rules::id.eq(id)))
                .execute(conn)
                .await?;
            if n == 0 {
                return Err(ModerationError::not_found("rule"));
            }
            audit(conn, &actor, "moderation_rule_deleted", id).await
        }
        .scope_boxed()
    })
    .await
}

/// Reads a rule.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Rule, ModerationError> {
    actor.require_staff(STAFF_ONLY)?;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            moderation_rules::table
                .filter(moderation_rules::id.eq(id))
                .select(RuleRow::as_select())
                .first(conn)
                .await
                .optional()?
                .ok_or(ModerationError::not_found("rule"))?
                .into_rule()
        }
        .scope_boxed()
    })
    .await
}

/// Lists rules, newest first.
pub async fn list(
    db: &Db,
    actor: &Actor,
    page: PageRequest,
) -> Result<Page<Rule>, ModerationError> {
    actor.require_staff(STAFF_ONLY)?;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let mut q = moderation_rules::table
                .select(RuleRow::as_select())
                .order(moderation_rules::id.desc())
                .limit(page.fetch())
                .into_boxed();
            if let Some(after) = page.after {
                q = q.filter(moderation_rules::id.lt(after));
            }
            let rows: Vec<RuleRow> = q.load(conn).await?;
            let rules = rows
                .into_iter()
                .map(RuleRow::into_rule)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(page.page(rules, |r| r.id))
        }
        .scope_boxed()
    })
    .await
}

/// The tenant's enabled rules, compiled (inside a running tenant transaction).
pub async fn enabled_rules(conn: &mut DbConn) -> Result<Vec<CompiledRule>, ModerationError> {
    let rows: Vec<RuleRow> = moderation_rules::table
        .filter(moderation_rules::enabled.eq(true))
        .select(RuleRow::as_select())
        .load(conn)
        .await?;
    rows.into_iter().map(RuleRow::compile).collect()
}

/// Loads and compiles a tenant's enabled rules in a transaction of its own.
pub async fn load_rule_set(db: &Db, tenant: TenantId) -> Result<super::RuleSet, ModerationError> {
    db.tenant_tx(tenant, |conn| {
        async move { enabled_rules(conn).await.map(super::RuleSet::new) }.scope_boxed()
    })
    .await
}
