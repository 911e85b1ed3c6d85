//! A user's inbox: their in-app notifications, newest first, with read state
//! and soft deletion. Nobody reads another user's notifications, staff included.

use crate::schema::notifications;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;
use warden_tenancy::{Actor, Db, Page, PageRequest, ScopedFutureExt};

use crate::NotificationError;
use crate::model::Priority;

/// A notification as its recipient sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = notifications)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Notification {
    /// Notification id.
    pub id: Uuid,
    /// The user it is for.
    pub recipient_id: Uuid,
    /// urgent, high, medium or low.
    pub priority: String,
    /// The event kind (`violation_created`, `ban`, …).
    pub kind: String,
    /// Category (`enforcement`, `moderation`, `behavior`, `security`, …).
    pub category: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Details (ids of the violation, detection, …).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// De-duplication key of the event.
    pub event_key: Option<String>,
    /// Security notices reach the user whatever their preferences.
    pub security: bool,
    /// When it was read.
    pub read_at: Option<DateTime<Utc>>,
    /// When it was deleted (deleted ones are not listed).
    pub deleted_at: Option<DateTime<Utc>>,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
}

/// Filters of the inbox.
#[derive(Clone, Debug, Default)]
pub struct InboxFilter {
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only read (true) or unread (false) ones.
    pub read: Option<bool>,
    /// Only this category.
    pub category: Option<String>,
    /// Full-text search over title and body.
    pub q: Option<String>,
}

/// The caller's notifications, newest first.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: InboxFilter,
    page: PageRequest,
) -> Result<Page<Notification>, NotificationError> {
    if filter
        .q
        .as_ref()
        .is_some_and(|q| q.len() > 200 || q.contains('\0'))
    {
        return Err(NotificationError::invalid("q: at most 200 characters"));
    }
    let user = actor.user_id;
    let rows = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                let mut q = notifications::table
                    .select(Notification::as_select())
                    .filter(notifications::recipient_id.eq(user))
                    .filter(notifications::deleted_at.is_null())
                    .order(notifications::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(notifications::id.lt(after));
                }
                if let Some(p) = filter.priority {
                    q = q.filter(notifications::priority.eq(p.as_str()));
                }
                match filter.read {
                    Some(true) => q = q.filter(notifications::read_at.is_not_null()),
                    Some(false) => q = q.filter(notifications::read_at.is_null()),
                    None => {}
                }
                if let Some(c) = filter.category {
                    q = q.filter(notifications::category.eq(c));
                }
                if let Some(text) = filter.q.filter(|t| !t.trim().is_empty()) {
                    q = q.filter(
                        diesel::dsl::sql::<Bool>("search @@ plainto_tsquery('simple', ")
                            .bind::<Text, _>(text)
                            .sql(")"),
                    );
                }
                Ok::<_, NotificationError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |n| n.id))
}

/// One of the caller's notifications with how each channel delivered it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationDetail {
    /// The notification.
    #[serde(flatten)]
    pub notification: Notification,
    /// Its delivery on each channel: in-app, e-mail, SMS.
    pub deliveries: Vec<crate::deliveries::DeliveryView>,
}

/// One of the caller's notifications (not another user's, staff included;
/// not a deleted one), with its deliveries.
pub async fn get(
    db: &Db,
    actor: &Actor,
    id: Uuid,
) -> Result<NotificationDetail, NotificationError> {
    let (user, tenant) = (actor.user_id, actor.tenant.as_uuid());
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let notification = notifications::table
                .select(Notification::as_select())
                .filter(notifications::tenant_id.eq(tenant))
                .filter(notifications::id.eq(id))
                .filter(notifications::recipient_id.eq(user))
                .filter(notifications::deleted_at.is_null())
                .first(conn)
                .await
                .optional()?
                .ok_or(NotificationError::not_found("notification"))?;
            let deliveries = crate::deliveries::of(conn, tenant, id).await?;
            Ok(NotificationDetail {
                notification,
                deliveries,
            })
        }
        .scope_boxed()
    })
    .await
}

/// How many of the caller's notifications are unread.
pub async fn unread_count(db: &Db, actor: &Actor) -> Result<i64, NotificationError> {
    let user = actor.user_id;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            Ok(notifications::table
                .filter(notifications::recipient_id.eq(user))
                .filter(notifications::deleted_at.is_null())
                .filter(notifications::read_at.is_null())
                .count()
                .get_result(conn)
                .await?)
        }
        .scope_boxed()
    })
    .await
}

/// Marks one of the caller's notifications read (`true`) or unread.
pub async fn mark(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    read: bool,
) -> Result<Notification, NotificationError> {
    let user = actor.user_id;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let read_at = read.then(Utc::now);
            diesel::update(
                notifications::table
                    .filter(notifications::id.eq(id))
                    .filter(notifications::recipient_id.eq(user))
                    .filter(notifications::deleted_at.is_null()),
            )
            .set(notifications::read_at.eq(read_at))
            .returning(Notification::as_returning())
            .get_result(conn)
            .await
            .optional()?
            .ok_or(NotificationError::not_found("notification"))
        }
        .scope_boxed()
    })
    .await
}

/// Marks all of the caller's notifications read; returns how many changed.
pub async fn read_all(db: &Db, actor: &Actor) -> Result<usize, NotificationError> {
    let user = actor.user_id;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            Ok(diesel::update(
                notifications::table
                    .filter(notifications::recipient_id.eq(user))
                    .filter(notifications::deleted_at.is_null())
                    .filter(notifications::read_at.is_null()),
            )
            .set(notifications::read_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?)
        }
        .scope_boxed()
    })
    .await
}

/// Deletes one of the caller's notifications (kept, hidden: deliveries refer to it).
pub async fn delete(db: &Db, actor: &Actor, id: Uuid) -> Result<(), NotificationError> {
    let user = actor.user_id;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let n = diesel::update(
                notifications::table
                    .filter(notifications::id.eq(id))
                    .filter(notifications::recipient_id.eq(user))
                    .filter(notifications::deleted_at.is_null()),
            )
            .set(notifications::deleted_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
            if n == 0 {
                return Err(NotificationError::not_found("notification"));
            }
            Ok(())
        }
        .scope_boxed()
    })
    .await
}
