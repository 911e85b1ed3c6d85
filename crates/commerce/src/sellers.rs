//! Seller profiles: a user's store. Selling needs one.

use crate::schema::seller_profiles;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::text::title_and_description;
use warden_tenancy::{Db, DbConn, Page, PageRequest, ScopedFutureExt};

use crate::content_screen::{ContentKind, ContentScreen};
use crate::products::{PUBLIC, is_public};
use crate::seller_standing::SellerStanding;
use crate::{Actor, CommerceError, Role, validate};

/// A seller's store as stored: every field, for the code that decides who
/// sees what ([`SellerRecord::view_for`]).
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = seller_profiles)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct SellerRecord {
    /// Seller id.
    pub id: Uuid,
    /// The user who owns the store.
    pub user_id: Uuid,
    /// Store name.
    pub store_name: String,
    /// Contact e-mail.
    pub contact_email: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// About the store.
    pub description: String,
    /// `active` or `suspended`.
    pub status: String,
    /// Moderation status.
    pub moderation_status: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

impl SellerRecord {
    /// The store as `actor` may see it: every member of the tenant sees the
    /// store; only its owner and staff see who owns it and how to reach them
    /// (the other fields are left out, not sent as null).
    pub fn view_for(self, actor: &Actor) -> SellerProfile {
        let private = actor.is_staff() || self.user_id == actor.user_id;
        SellerProfile {
            id: self.id,
            user_id: private.then_some(self.user_id),
            store_name: self.store_name,
            contact_email: self.contact_email.filter(|_| private),
            contact_phone: self.contact_phone.filter(|_| private),
            description: self.description,
            status: self.status,
            moderation_status: self.moderation_status,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A seller's store. `user_id`, `contact_email` and `contact_phone` are only
/// there for the store's owner and staff (tenant admins, moderators, platform
/// admins); other members see the rest.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SellerProfile {
    /// Seller id (use it as `seller_id` elsewhere).
    pub id: Uuid,
    /// The user who owns the store (owner and staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub user_id: Option<Uuid>,
    /// Store name.
    pub store_name: String,
    /// Contact e-mail (owner and staff only; absent when not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contact_email: Option<String>,
    /// Contact phone (owner and staff only; absent when not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contact_phone: Option<String>,
    /// About the store.
    pub description: String,
    /// `active` or `suspended`.
    pub status: String,
    /// `approved`, `flagged`, `pending_review` (hidden from others until a
    /// reviewer approves), `rejected` or `changes_requested` (hidden).
    pub moderation_status: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// The caller's store details (`PUT /sellers/me`). `store_name` is always
/// given; a contact field or the description left out keeps its stored value,
/// and `null` clears it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SellerProfileInput {
    /// Store name, 1 to 200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub store_name: String,
    /// Contact e-mail; absent keeps the stored one, `null` clears it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub contact_email: Option<Option<String>>,
    /// Contact phone, up to 32 characters; absent keeps the stored one,
    /// `null` clears it.
    #[serde(default, deserialize_with = "given")]
    #[schema(
        value_type = Option<String>,
        max_length = 32,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub contact_phone: Option<Option<String>>,
    /// About the store, up to 5000 characters; absent keeps the stored text,
    /// `null` clears it.
    #[serde(default, deserialize_with = "given")]
    #[schema(
        value_type = Option<String>,
        max_length = 5000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub description: Option<Option<String>>,
}

/// A field that was given (`Some`), as a value or `null` (`Some(None)`); with
/// `#[serde(default)]`, a field left out is `None`.
fn given<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A given field's value, or the stored one when it was left out.
fn kept<T>(given: Option<Option<T>>, stored: Option<T>) -> Option<T> {
    match given {
        Some(v) => v,
        None => stored,
    }
}

/// Creates or updates the caller's store. Returns the profile and whether it
/// was created. Fields left out keep their stored values (`null` clears
/// them). The store name and description are moderated first: a rejection
/// writes nothing (contact details are not moderated: they are meant to be
/// there).
pub async fn upsert_mine(
    db: &Db,
    screen: &dyn ContentScreen,
    seller_standing: &dyn SellerStanding,
    actor: &Actor,
    input: SellerProfileInput,
) -> Result<(SellerProfile, bool), CommerceError> {
    if !actor.has(Role::Seller) {
        return Err(CommerceError::forbidden("only sellers have a store"));
    }
    let store_name = validate::title("store_name", &input.store_name, 1, 200)?;
    let contact_email = input
        .contact_email
        .map(|v| validate::email("contact_email", v.as_deref()))
        .transpose()?;
    let contact_phone = input
        .contact_phone
        .map(|v| validate::opt_text("contact_phone", v.as_deref(), 32))
        .transpose()?;
    let description = input
        .description
        .map(|v| validate::opt_text("description", v.as_deref(), 5000))
        .transpose()?;
    // What a field left out keeps. The moderated text is the name with the
    // description the store will have.
    let stored = db
        .tenant_tx(actor.tenant, |conn| {
            async move { of_user(conn, actor.user_id).await }.scope_boxed()
        })
        .await?;
    let contact_email = kept(
        contact_email,
        stored.as_ref().and_then(|s| s.contact_email.clone()),
    );
    let contact_phone = kept(
        contact_phone,
        stored.as_ref().and_then(|s| s.contact_phone.clone()),
    );
    let description = kept(description, stored.map(|s| s.description)).unwrap_or_default();
    let (tenant, user_id) = (actor.tenant, actor.user_id);
    let verdict = screen
        .screen(
            db,
            actor,
            ContentKind::SellerProfile,
            None,
            title_and_description(&store_name, &description),
        )
        .await?;
    db.tenant_tx(tenant, |conn| {
        async move {
            let new_id = Uuid::now_v7();
            let profile: SellerRecord = diesel::insert_into(seller_profiles::table)
                .values((
                    seller_profiles::tenant_id.eq(tenant.as_uuid()),
                    seller_profiles::id.eq(new_id),
                    seller_profiles::user_id.eq(user_id),
                    seller_profiles::store_name.eq(&store_name),
                    seller_profiles::contact_email.eq(&contact_email),
                    seller_profiles::contact_phone.eq(&contact_phone),
                    seller_profiles::description.eq(&description),
                ))
                .on_conflict((seller_profiles::tenant_id, seller_profiles::user_id))
                .do_update()
                .set((
                    seller_profiles::store_name.eq(&store_name),
                    seller_profiles::contact_email.eq(&contact_email),
                    seller_profiles::contact_phone.eq(&contact_phone),
                    seller_profiles::description.eq(&description),
                    seller_profiles::updated_at.eq(diesel::dsl::now),
                ))
                .returning(SellerRecord::as_returning())
                .get_result(conn)
                .await?;
            let created = profile.id == new_id;
            let moderation = verdict
                .record(conn, tenant, profile.id, Some(user_id))
                .await?;
            let profile =
                diesel::update(seller_profiles::table.filter(seller_profiles::id.eq(profile.id)))
                    .set(seller_profiles::moderation_status.eq(moderation.as_str()))
                    .returning(SellerRecord::as_returning())
                    .get_result(conn)
                    .await?;
            if created {
                // A new store gets its trust standing (and the tenant its daily pass).
                seller_standing
                    .signals_changed(conn, tenant, profile.id)
                    .await?;
            }
            Ok((profile.view_for(actor), created))
        }
        .scope_boxed()
    })
    .await
}

/// The store of `user_id`, if they have one (inside a running tenant transaction).
pub(crate) async fn of_user(
    conn: &mut DbConn,
    user_id: Uuid,
) -> Result<Option<SellerRecord>, CommerceError> {
    Ok(seller_profiles::table
        .filter(seller_profiles::user_id.eq(user_id))
        .select(SellerRecord::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The store with `id` (inside a running tenant transaction).
pub(crate) async fn by_id(conn: &mut DbConn, id: Uuid) -> Result<SellerRecord, CommerceError> {
    seller_profiles::table
        .filter(seller_profiles::id.eq(id))
        .select(SellerRecord::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(CommerceError::not_found("seller"))
}

/// The caller's store, or 404 when they have none yet.
pub async fn get_mine(db: &Db, actor: &Actor) -> Result<SellerProfile, CommerceError> {
    let user_id = actor.user_id;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            of_user(conn, user_id)
                .await?
                .map(|store| store.view_for(actor))
                .ok_or(CommerceError::not_found("seller profile"))
        }
        .scope_boxed()
    })
    .await
}

/// Reads a store; every member of the tenant may browse stores, except
/// stores moderation holds back (then only their owner and staff).
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<SellerProfile, CommerceError> {
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let store = by_id(conn, id).await?;
            if is_public(&store.moderation_status)
                || actor.is_staff()
                || store.user_id == actor.user_id
            {
                Ok(store.view_for(actor))
            } else {
                Err(CommerceError::not_found("seller"))
            }
        }
        .scope_boxed()
    })
    .await
}

/// Filters for listing stores.
#[derive(Clone, Debug, Default)]
pub struct SellerFilter {
    /// Only stores with this status (`active` or `suspended`).
    pub status: Option<String>,
}

/// Lists the tenant's stores, newest first.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: SellerFilter,
    page: PageRequest,
) -> Result<Page<SellerProfile>, CommerceError> {
    if let Some(s) = &filter.status
        && !matches!(s.as_str(), "active" | "suspended")
    {
        return Err(CommerceError::invalid("status must be active or suspended"));
    }
    let rows = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                let mut q = seller_profiles::table
                    .select(SellerRecord::as_select())
                    .order(seller_profiles::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(seller_profiles::id.lt(after));
                }
                if !actor.is_staff() {
                    q = q.filter(
                        seller_profiles::moderation_status
                            .eq_any(PUBLIC)
                            .or(seller_profiles::user_id.eq(actor.user_id)),
                    );
                }
                if let Some(s) = filter.status {
                    q = q.filter(seller_profiles::status.eq(s));
                }
                let rows: Vec<SellerRecord> = q.load(conn).await?;
                Ok::<_, CommerceError>(rows.into_iter().map(|r| r.view_for(actor)).collect())
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |r: &SellerProfile| r.id))
}
