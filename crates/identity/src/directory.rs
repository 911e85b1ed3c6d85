//! Listing and reading a tenant's users.

use crate::schema::users;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::HashMap;
use uuid::Uuid;

use warden_tenancy::{Actor, Db, DbConn, Page, PageRequest, ScopedFutureExt};

use crate::user::UserRow;
use crate::{IdentityError, User, UserStatus};

/// Filters for listing users.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Only users with this status.
    pub status: Option<UserStatus>,
    /// Only users whose subject, e-mail or display name contains this text
    /// (case-insensitive).
    pub q: Option<String>,
}

/// Longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// `text` as a `LIKE`/`ILIKE` pattern matching exactly it: `%`, `_` and the
/// escape character itself match only themselves.
fn literal_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p
}

/// `text` as a pattern matching it anywhere.
fn contains_pattern(text: &str) -> String {
    format!("%{}%", literal_pattern(text))
}

/// The search text of a filter, checked: 1 to [`MAX_SEARCH_CHARS`] characters
/// after trimming, no control characters.
fn search_text(q: Option<String>) -> Result<Option<String>, IdentityError> {
    let Some(q) = q else { return Ok(None) };
    let q = q.trim();
    if q.is_empty() || q.chars().count() > MAX_SEARCH_CHARS || q.chars().any(char::is_control) {
        return Err(IdentityError::invalid(format!(
            "q: 1 to {MAX_SEARCH_CHARS} characters without control characters"
        )));
    }
    Ok(Some(q.to_owned()))
}

/// Lists the tenant's users (staff only).
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: UserFilter,
    page: PageRequest,
) -> Result<Page<User>, IdentityError> {
    if !actor.is_staff() {
        return Err(IdentityError::forbidden("only staff may list users"));
    }
    let search = search_text(filter.q)?.map(|q| contains_pattern(&q));
    let tenant = actor.tenant.as_uuid();
    let rows: Vec<UserRow> = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                let mut q = users::table
                    .select(UserRow::as_select())
                    .filter(users::tenant_id.eq(tenant))
                    .order(users::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(users::id.lt(after));
                }
                if let Some(s) = filter.status {
                    q = q.filter(users::status.eq(s.as_str()));
                }
                if let Some(p) = search {
                    q = q.filter(
                        users::subject
                            .ilike(p.clone())
                            .or(users::email.ilike(p.clone()))
                            .or(users::display_name.ilike(p)),
                    );
                }
                Ok::<_, IdentityError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |r| r.id).map(User::from))
}

/// Reads one user: the actor themself, or anyone for staff.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<User, IdentityError> {
    if id != actor.user_id && !actor.is_staff() {
        // Not 403: ids are not authorisation, and existence is not disclosed.
        return Err(IdentityError::not_found("user"));
    }
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            users::table
                .filter(users::id.eq(id))
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()?
                .map(User::from)
                .ok_or(IdentityError::not_found("user"))
        }
        .scope_boxed()
    })
    .await
}

/// The users a person may be named by in a search of the log: the user with
/// this id, subject or e-mail address (case-insensitive). Staff only.
pub async fn named(db: &Db, actor: &Actor, name: &str) -> Result<Vec<Uuid>, IdentityError> {
    if !actor.is_staff() {
        return Err(IdentityError::forbidden("only staff may look users up"));
    }
    let name = name.trim().to_owned();
    let id = Uuid::parse_str(&name).ok();
    let tenant = actor.tenant.as_uuid();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let mut q = users::table
                .select(users::id)
                .filter(users::tenant_id.eq(tenant))
                .filter(users::subject.eq(name.clone()))
                .or_filter(
                    users::tenant_id
                        .eq(tenant)
                        .and(users::email.ilike(literal_pattern(&name))),
                )
                .into_boxed();
            if let Some(id) = id {
                q = q.or_filter(users::tenant_id.eq(tenant).and(users::id.eq(id)));
            }
            Ok::<_, IdentityError>(q.limit(100).load(conn).await?)
        }
        .scope_boxed()
    })
    .await
}

/// What staff call each of `ids` (users of `tenant`): the display name, else
/// the e-mail address, else the token subject. Users the tenant does not know
/// are left out. Inside the caller's tenant transaction.
pub async fn names(
    conn: &mut DbConn,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, IdentityError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String, Option<String>, Option<String>)> = users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::id.eq_any(ids))
        .select((users::id, users::subject, users::email, users::display_name))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, subject, email, name)| (id, name.or(email).unwrap_or(subject)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns_match_wildcards_literally() {
        assert_eq!(contains_pattern("ann"), "%ann%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn search_text_is_trimmed_and_bounded() {
        assert_eq!(
            search_text(Some(" ann ".into())).ok().flatten().as_deref(),
            Some("ann")
        );
        assert!(search_text(Some("  ".into())).is_err());
        assert!(search_text(Some("a\u{0}".into())).is_err());
        assert!(search_text(Some("x".repeat(MAX_SEARCH_CHARS + 1))).is_err());
        assert_eq!(search_text(None).ok(), Some(None));
    }
}
