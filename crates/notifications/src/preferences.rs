//! A user's notification preferences: channels and categories they opted out
//! of (security notices reach them anyway), their language and SMS number.

use crate::schema::notification_preferences;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt, TenantId};

use crate::NotificationError;
use crate::model::Channel;
use crate::templates::LANGUAGES;

/// Preferences as the API shows and takes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// Channels the user does not want (security notices ignore this).
    #[serde(default)]
    pub channels_off: Vec<Channel>,
    /// Categories the user does not want (e.g. `moderation`; security notices ignore this).
    #[serde(default)]
    #[schema(schema_with = category_names)]
    pub categories_off: Vec<String>,
    /// Language of email and SMS (`en`, `es`); unknown ones fall back to English.
    #[serde(default = "english")]
    #[schema(pattern = "^(en|es)$")]
    pub language: String,
    /// Number for SMS in E.164 form (`+` and 8 to 15 digits).
    #[serde(default)]
    #[schema(pattern = "^\\+[0-9]{8,15}$")]
    pub phone: Option<String>,
}

fn english() -> String {
    "en".into()
}

/// The spec of `categories_off`: what `validate` accepts, item by item.
fn category_names() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .description(Some(
            "Categories the user does not want (e.g. `moderation`; security notices ignore this).",
        ))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(100))
                .pattern(Some("^[^\\x00]*$")),
        )
        .max_items(Some(50))
        .build()
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            channels_off: Vec::new(),
            categories_off: Vec::new(),
            language: english(),
            phone: None,
        }
    }
}

impl Preferences {
    /// Checks the preferences, naming the first problem.
    pub fn validate(&self) -> Result<(), NotificationError> {
        if !LANGUAGES.contains(&self.language.as_str()) {
            return Err(NotificationError::invalid(format!(
                "language: one of {}",
                LANGUAGES.join(", ")
            )));
        }
        if let Some(phone) = &self.phone {
            let digits = phone.strip_prefix('+').unwrap_or("");
            if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(NotificationError::invalid(
                    "phone: E.164, a + and 8 to 15 digits",
                ));
            }
        }
        if self.categories_off.len() > 50
            || self
                .categories_off
                .iter()
                .any(|c| c.is_empty() || c.chars().count() > 100 || c.contains('\0'))
        {
            return Err(NotificationError::invalid(
                "categories_off: at most 50 names of 1 to 100 characters",
            ));
        }
        Ok(())
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = notification_preferences)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct Row {
    channels_off: Vec<String>,
    categories_off: Vec<String>,
    language: String,
    phone: Option<String>,
    #[expect(
        dead_code,
        reason = "selected so the row matches the table; nothing reads it"
    )]
    updated_at: DateTime<Utc>,
}

/// `user`'s preferences inside a running transaction (defaults when none are saved).
pub async fn load(conn: &mut DbConn, user: Uuid) -> Result<Preferences, NotificationError> {
    let row: Option<Row> = notification_preferences::table
        .filter(notification_preferences::user_id.eq(user))
        .select(Row::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(row.map_or_else(Preferences::default, |r| Preferences {
        channels_off: r
            .channels_off
            .iter()
            .filter_map(|c| Channel::parse(c).ok())
            .collect(),
        categories_off: r.categories_off,
        language: r.language,
        phone: r.phone,
    }))
}

/// The caller's preferences.
pub async fn get(db: &Db, actor: &Actor) -> Result<Preferences, NotificationError> {
    let user = actor.user_id;
    db.tenant_tx(actor.tenant, |conn| {
        async move { load(conn, user).await }.scope_boxed()
    })
    .await
}

/// Replaces the caller's preferences.
pub async fn put(
    db: &Db,
    actor: &Actor,
    prefs: Preferences,
) -> Result<Preferences, NotificationError> {
    prefs.validate()?;
    let (tenant, user) = (actor.tenant, actor.user_id);
    let channels: Vec<String> = prefs
        .channels_off
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    db.tenant_tx(tenant, |conn| {
        async move {
            let values = (
                notification_preferences::channels_off.eq(&channels),
                notification_preferences::categories_off.eq(&prefs.categories_off),
                notification_preferences::language.eq(&prefs.language),
                notification_preferences::phone.eq(&prefs.phone),
                notification_preferences::updated_at.eq(diesel::dsl::now),
            );
            diesel::insert_into(notification_preferences::table)
                .values((
                    notification_preferences::tenant_id.eq(tenant.as_uuid()),
                    notification_preferences::user_id.eq(user),
                    values,
                ))
                .on_conflict((
                    notification_preferences::tenant_id,
                    notification_preferences::user_id,
                ))
                .do_update()
                .set(values)
                .execute(conn)
                .await?;
            load(conn, user).await
        }
        .scope_boxed()
    })
    .await
}

/// Sets `user`'s SMS number inside a running transaction, keeping their other
/// preferences (defaults when none are saved). Trust calls it when a seller
/// verifies a phone number: the number verified is where SMS go.
pub async fn set_phone(
    conn: &mut DbConn,
    tenant: TenantId,
    user: Uuid,
    phone: &str,
) -> Result<(), NotificationError> {
    diesel::insert_into(notification_preferences::table)
        .values((
            notification_preferences::tenant_id.eq(tenant.as_uuid()),
            notification_preferences::user_id.eq(user),
            notification_preferences::phone.eq(phone),
        ))
        .on_conflict((
            notification_preferences::tenant_id,
            notification_preferences::user_id,
        ))
        .do_update()
        .set(notification_preferences::phone.eq(phone))
        .execute(conn)
        .await?;
    Ok(())
}
