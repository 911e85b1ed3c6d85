//! The tenant's AI sales-assistant settings: one row per tenant, absent until
//! a tenant administrator first saves them (until then the defaults apply).
//! Tenant administrators and moderators read them; tenant administrators change them.

use crate::schema::ai_config;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use warden_tenancy::{Db, ScopedFutureExt};

use crate::{Actor, CommerceError, validate};

/// Longest model name, in characters.
pub const MAX_MODEL_CHARS: usize = 100;
/// Longest system prompt, in characters.
pub const MAX_SYSTEM_PROMPT_CHARS: usize = 8000;
/// Highest sampling temperature.
pub const MAX_TEMPERATURE: f32 = 2.0;
/// Largest `max_reply_chars`.
pub const MAX_REPLY_CHARS: i32 = 10_000;
/// Most blocked topics.
pub const MAX_BLOCKED_TOPICS: usize = 50;
/// Longest blocked topic, in characters.
pub const MAX_TOPIC_CHARS: usize = 100;

/// The tenant's AI sales-assistant settings.
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, Queryable, Selectable,
)]
#[diesel(table_name = ai_config)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct AiConfig {
    /// Whether the assistant is on.
    pub enabled: bool,
    /// Model name.
    pub model: String,
    /// Instructions given to the model before every conversation.
    pub system_prompt: String,
    /// Sampling temperature, 0 to 2.
    pub temperature: f32,
    /// Longest reply, in characters.
    pub max_reply_chars: i32,
    /// Whether the assistant answers buyers without a seller's approval.
    pub auto_reply: bool,
    /// Topics the assistant must not discuss.
    pub blocked_topics: Vec<String>,
    /// Last saved at; null while the tenant still has the defaults.
    #[diesel(deserialize_as = DateTime<Utc>)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Default for AiConfig {
    /// The settings of a tenant that never saved any: assistant off.
    fn default() -> Self {
        Self {
            enabled: false,
            model: "default".into(),
            system_prompt: String::new(),
            temperature: 0.7,
            max_reply_chars: 1000,
            auto_reply: false,
            blocked_topics: Vec::new(),
            updated_at: None,
        }
    }
}

/// The whole settings (`PUT /ai-config`); every field is required.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AiConfigInput {
    /// Whether the assistant is on.
    pub enabled: bool,
    /// Model name, 1 to 100 characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub model: String,
    /// Instructions for the model, up to 8000 characters (may be empty).
    #[schema(
        max_length = 8000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub system_prompt: String,
    /// Sampling temperature, 0 to 2.
    #[schema(minimum = 0.0, maximum = 2.0)]
    pub temperature: f32,
    /// Longest reply, 1 to 10000 characters.
    #[schema(minimum = 1, maximum = 10000)]
    pub max_reply_chars: i32,
    /// Whether the assistant answers buyers without a seller's approval.
    pub auto_reply: bool,
    /// Up to 50 topics of 1 to 100 characters each; repeats are dropped.
    #[schema(schema_with = topics_schema)]
    pub blocked_topics: Vec<String>,
}

/// The spec of `blocked_topics`: what `check` accepts, item by item.
fn topics_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .description(Some(
            "Up to 50 topics of 1 to 100 characters each; repeats are dropped.",
        ))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(MAX_TOPIC_CHARS))
                .pattern(Some(crate::validate::REQUIRED_TEXT_PATTERN)),
        )
        .max_items(Some(MAX_BLOCKED_TOPICS))
        .build()
}

/// Validated settings, ready to store.
#[derive(Debug, PartialEq)]
struct Checked {
    enabled: bool,
    model: String,
    system_prompt: String,
    temperature: f32,
    max_reply_chars: i32,
    auto_reply: bool,
    blocked_topics: Vec<String>,
}

fn check(input: AiConfigInput) -> Result<Checked, CommerceError> {
    let model = validate::text("model", &input.model, 1, MAX_MODEL_CHARS)?;
    let system_prompt = validate::text(
        "system_prompt",
        &input.system_prompt,
        0,
        MAX_SYSTEM_PROMPT_CHARS,
    )?;
    if !input.temperature.is_finite() || !(0.0..=MAX_TEMPERATURE).contains(&input.temperature) {
        return Err(CommerceError::invalid(
            "temperature must be between 0 and 2",
        ));
    }
    if !(1..=MAX_REPLY_CHARS).contains(&input.max_reply_chars) {
        return Err(CommerceError::invalid(format!(
            "max_reply_chars must be 1 to {MAX_REPLY_CHARS}"
        )));
    }
    if input.blocked_topics.len() > MAX_BLOCKED_TOPICS {
        return Err(CommerceError::invalid(format!(
            "blocked_topics may have at most {MAX_BLOCKED_TOPICS} entries"
        )));
    }
    let mut blocked_topics: Vec<String> = Vec::with_capacity(input.blocked_topics.len());
    for topic in &input.blocked_topics {
        let topic = validate::text("each blocked topic", topic, 1, MAX_TOPIC_CHARS)?;
        if !blocked_topics.contains(&topic) {
            blocked_topics.push(topic);
        }
    }
    Ok(Checked {
        enabled: input.enabled,
        model,
        system_prompt,
        temperature: input.temperature,
        max_reply_chars: input.max_reply_chars,
        auto_reply: input.auto_reply,
        blocked_topics,
    })
}

/// Reads the tenant's settings, or the defaults when none were saved
/// (tenant administrators and moderators).
pub async fn get(db: &Db, actor: &Actor) -> Result<AiConfig, CommerceError> {
    if !actor.is_staff() {
        return Err(CommerceError::forbidden(
            "only tenant administrators and moderators may read the AI settings",
        ));
    }
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            Ok(ai_config::table
                .select(AiConfig::as_select())
                .first(conn)
                .await
                .optional()?
                .unwrap_or_default())
        }
        .scope_boxed()
    })
    .await
}

/// Replaces the tenant's settings (tenant administrators only).
pub async fn put(db: &Db, actor: &Actor, input: AiConfigInput) -> Result<AiConfig, CommerceError> {
    if !actor.is_admin() {
        return Err(CommerceError::forbidden(
            "only tenant administrators may change the AI settings",
        ));
    }
    let c = check(input)?;
    let tenant = actor.tenant;
    db.tenant_tx(tenant, |conn| {
        async move {
            Ok(diesel::insert_into(ai_config::table)
                .values((
                    ai_config::tenant_id.eq(tenant.as_uuid()),
                    ai_config::enabled.eq(c.enabled),
                    ai_config::model.eq(c.model),
                    ai_config::system_prompt.eq(c.system_prompt),
                    ai_config::temperature.eq(c.temperature),
                    ai_config::max_reply_chars.eq(c.max_reply_chars),
                    ai_config::auto_reply.eq(c.auto_reply),
                    ai_config::blocked_topics.eq(c.blocked_topics),
                ))
                .on_conflict(ai_config::tenant_id)
                .do_update()
                .set((
                    ai_config::enabled.eq(excluded(ai_config::enabled)),
                    ai_config::model.eq(excluded(ai_config::model)),
                    ai_config::system_prompt.eq(excluded(ai_config::system_prompt)),
                    ai_config::temperature.eq(excluded(ai_config::temperature)),
                    ai_config::max_reply_chars.eq(excluded(ai_config::max_reply_chars)),
                    ai_config::auto_reply.eq(excluded(ai_config::auto_reply)),
                    ai_config::blocked_topics.eq(excluded(ai_config::blocked_topics)),
                    ai_config::updated_at.eq(diesel::dsl::now),
                ))
                .returning(AiConfig::as_returning())
                .get_result(conn)
                .await?)
        }
        .scope_boxed()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AiConfigInput {
        AiConfigInput {
            enabled: true,
            model: " gpt-x ".into(),
            system_prompt: "Be helpful.\nBe brief.".into(),
            temperature: 0.7,
            max_reply_chars: 1000,
            auto_reply: false,
            blocked_topics: vec![
                "weapons".into(),
                " medical advice ".into(),
                "weapons".into(),
            ],
        }
    }

    #[test]
    fn defaults_match_the_schema_defaults() {
        let d = AiConfig::default();
        assert!(!d.enabled && !d.auto_reply);
        assert_eq!(d.model, "default");
        assert_eq!(d.system_prompt, "");
        assert!((d.temperature - 0.7).abs() < f32::EPSILON);
        assert_eq!(d.max_reply_chars, 1000);
        assert!(d.blocked_topics.is_empty());
        assert_eq!(d.updated_at, None);
    }

    #[test]
    fn valid_input_is_trimmed_and_deduplicated() {
        let c = check(input()).ok();
        let c = c.as_ref();
        assert_eq!(c.map(|c| c.model.as_str()), Some("gpt-x"));
        assert_eq!(
            c.map(|c| c.blocked_topics.clone()),
            Some(vec!["weapons".to_owned(), "medical advice".to_owned()])
        );
    }

    #[test]
    fn out_of_range_input_is_refused() {
        let cases: Vec<fn(&mut AiConfigInput)> = vec![
            |i| i.model = " ".into(),
            |i| i.model = "m".repeat(MAX_MODEL_CHARS + 1),
            |i| i.system_prompt = "p".repeat(MAX_SYSTEM_PROMPT_CHARS + 1),
            |i| i.temperature = -0.1,
            |i| i.temperature = 2.01,
            |i| i.temperature = f32::NAN,
            |i| i.temperature = f32::INFINITY,
            |i| i.max_reply_chars = 0,
            |i| i.max_reply_chars = MAX_REPLY_CHARS + 1,
            |i| i.blocked_topics = vec!["t".into(); MAX_BLOCKED_TOPICS + 1],
            |i| i.blocked_topics = vec!["".into()],
            |i| i.blocked_topics = vec!["t".repeat(MAX_TOPIC_CHARS + 1)],
        ];
        for (n, case) in cases.into_iter().enumerate() {
            let mut i = input();
            case(&mut i);
            assert!(
                matches!(
                    check(i),
                    Err(CommerceError::Refused(warden_tenancy::Rejection::Invalid(
                        _
                    )))
                ),
                "case {n}"
            );
        }
        let mut edge = input();
        edge.temperature = 0.0;
        edge.max_reply_chars = MAX_REPLY_CHARS;
        edge.system_prompt = String::new();
        edge.blocked_topics = vec![];
        assert!(check(edge).is_ok());
        let mut edge = input();
        edge.temperature = MAX_TEMPERATURE;
        assert!(check(edge).is_ok());
    }

    #[test]
    fn put_body_needs_every_field_and_no_other() {
        let full = serde_json::json!({
            "enabled": true, "model": "m", "system_prompt": "", "temperature": 1.0,
            "max_reply_chars": 10, "auto_reply": false, "blocked_topics": []
        });
        assert!(serde_json::from_value::<AiConfigInput>(full.clone()).is_ok());
        let mut missing = full.clone();
        if let Some(o) = missing.as_object_mut() {
            o.remove("blocked_topics");
        }
        assert!(serde_json::from_value::<AiConfigInput>(missing).is_err());
        let mut extra = full;
        if let Some(o) = extra.as_object_mut() {
            o.insert("tenant_id".into(), serde_json::json!("x"));
        }
        assert!(serde_json::from_value::<AiConfigInput>(extra).is_err());
    }
}
