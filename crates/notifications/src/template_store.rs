//! A tenant's template overrides (administrators): listing every kind and
//! language with the template in effect, replacing or resetting one, and
//! previewing a rendering.

use std::collections::HashMap;

use crate::schema::notification_templates;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, Db, ScopedFutureExt};

use crate::NotificationError;
use crate::model::EventKind;
use crate::templates::{self, LANGUAGES, Rendered, TemplateSet};

/// What a caller who is not an administrator is told.
const ADMIN_ONLY: &str = "only tenant administrators manage notification templates";

/// A template in effect for one kind and language.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateEntry {
    /// Event kind.
    pub kind: EventKind,
    /// Language.
    pub language: String,
    /// Whether the tenant overrides the built-in one.
    pub overridden: bool,
    /// The template.
    pub template: TemplateSet,
}

/// `PUT /notifications/templates`: one override, or `template: null` to go
/// back to the built-in one.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateUpdate {
    /// Event kind.
    pub kind: EventKind,
    /// Language (`en`, `es`).
    #[schema(pattern = "^(en|es)$")]
    pub language: String,
    /// The new template; `null` resets to the built-in one.
    pub template: Option<TemplateSet>,
}

/// `POST /notifications/templates/preview`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// Event kind.
    pub kind: EventKind,
    /// Language (default `en`).
    #[serde(default)]
    #[schema(pattern = "^(en|es)$")]
    pub language: Option<String>,
    /// A template to try; the one in effect when absent.
    #[serde(default)]
    pub template: Option<TemplateSet>,
    /// Variables (`title`, `body`, `reason`, `until`, …).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// A rendering.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Preview {
    /// The language rendered.
    pub language: String,
    /// The rendering.
    #[serde(flatten)]
    pub rendered: Rendered,
}

fn check_language(lang: &str) -> Result<(), NotificationError> {
    if LANGUAGES.contains(&lang) {
        Ok(())
    } else {
        Err(NotificationError::invalid(format!(
            "language: one of {}",
            LANGUAGES.join(", ")
        )))
    }
}

async fn overrides(
    db: &Db,
    actor: &Actor,
) -> Result<HashMap<(String, String), TemplateSet>, NotificationError> {
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            Ok::<_, NotificationError>(
                notification_templates::table
                    .select((
                        notification_templates::kind,
                        notification_templates::language,
                        notification_templates::subject,
                        notification_templates::text_body,
                        notification_templates::html_body,
                    ))
                    .load::<(String, String, String, String, String)>(conn)
                    .await?
                    .into_iter()
                    .map(|(k, l, subject, text, html)| {
                        (
                            (k, l),
                            TemplateSet {
                                subject,
                                text,
                                html,
                            },
                        )
                    })
                    .collect(),
            )
        }
        .scope_boxed()
    })
    .await
}

/// Every kind and language with the template in effect (administrators).
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<TemplateEntry>, NotificationError> {
    actor.require_admin(ADMIN_ONLY)?;
    let saved = overrides(db, actor).await?;
    let mut out = Vec::new();
    for kind in EventKind::ALL {
        for lang in LANGUAGES {
            let own = saved.get(&(kind.as_str().to_owned(), (*lang).to_owned()));
            let (template, language) = templates::resolve(*kind, lang, |k, l| {
                saved.get(&(k.as_str().to_owned(), l.to_owned())).cloned()
            });
            out.push(TemplateEntry {
                kind: *kind,
                language,
                overridden: own.is_some(),
                template,
            });
        }
    }
    Ok(out)
}

/// Replaces or resets one override (administrators), audited with the change.
pub async fn put(
    db: &Db,
    actor: &Actor,
    update: TemplateUpdate,
) -> Result<TemplateEntry, NotificationError> {
    actor.require_admin(ADMIN_ONLY)?;
    check_language(&update.language)?;
    if let Some(t) = &update.template {
        templates::validate(t)?;
        if [&t.subject, &t.text, &t.html]
            .iter()
            .any(|p| p.contains('\0'))
        {
            return Err(NotificationError::invalid("template: no NUL characters"));
        }
    }
    let actor2 = actor.clone();
    let u = update.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let key = (
                notification_templates::kind.eq(u.kind.as_str()),
                notification_templates::language.eq(&u.language),
            );
            match &u.template {
                Some(t) => {
                    let values = (
                        notification_templates::subject.eq(&t.subject),
                        notification_templates::text_body.eq(&t.text),
                        notification_templates::html_body.eq(&t.html),
                        notification_templates::updated_by.eq(actor2.user_id),
                        notification_templates::updated_at.eq(diesel::dsl::now),
                    );
                    diesel::insert_into(notification_templates::table)
                        .values((notification_templates::tenant_id.eq(actor2.tenant.as_uuid()), key, values))
                        .on_conflict((
                            notification_templates::tenant_id,
                            notification_templates::kind,
                            notification_templates::language,
                        ))
                        .do_update()
                        .set(values)
                        .execute(conn)
                        .await?;
                }
                None => {
                    diesel::delete(
                        notification_templates::table
                            .filter(notification_templates::kind.eq(u.kind.as_str()))
                            .filter(notification_templates::language.eq(&u.language)),
                    )
                    .execute(conn)
                    .await?;
                }
            }
            let mut event = ActivityEvent::new(Kind::ResourceUpdate, "notification_template_change");
            event.actor_id = Some(actor2.user_id);
            event.actor_roles = actor2.roles.iter().map(|r| r.as_str().to_owned()).collect();
            event.resource_type = Some("notifications".into());
            event.resource_id = Some(format!("{}/{}", u.kind.as_str(), u.language));
            event.metadata = serde_json::json!({ "event": "notification_template_change", "reset": u.template.is_none() });
            warden_audit::store::record_in_tx(conn, actor2.tenant, event).await?;
            Ok::<_, NotificationError>(())
        }
        .scope_boxed()
    })
    .await?;
    let overridden = update.template.is_some();
    let (template, language) = match update.template {
        Some(t) => (t, update.language),
        None => templates::resolve(update.kind, &update.language, |_, _| None),
    };
    Ok(TemplateEntry {
        kind: update.kind,
        overridden,
        language,
        template,
    })
}

/// Renders a template with sample or given variables (administrators).
pub async fn preview(
    db: &Db,
    actor: &Actor,
    request: PreviewRequest,
) -> Result<Preview, NotificationError> {
    actor.require_admin(ADMIN_ONLY)?;
    let language = request.language.unwrap_or_else(|| "en".into());
    check_language(&language)?;
    let (set, language) = match request.template {
        Some(t) => {
            templates::validate(&t)?;
            (t, language)
        }
        None => {
            let saved = overrides(db, actor).await?;
            templates::resolve(request.kind, &language, |k, l| {
                saved.get(&(k.as_str().to_owned(), l.to_owned())).cloned()
            })
        }
    };
    let data = request.data.unwrap_or_else(|| serde_json::json!({}));
    if !data.is_object() {
        return Err(NotificationError::invalid("data: must be a JSON object"));
    }
    Ok(Preview {
        language,
        rendered: templates::render(&set, &data)?,
    })
}
