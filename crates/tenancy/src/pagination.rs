//! Keyset pagination over time-ordered (UUIDv7) ids, newest first.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::TenancyError;

/// Largest page a client may ask for.
pub const MAX_LIMIT: i64 = 100;
/// Page size when the client names none.
pub const DEFAULT_LIMIT: i64 = 20;

/// An opaque position in a list: the id of the last item of the previous page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor(pub Uuid);

impl Cursor {
    /// The cursor as clients see it (URL-safe base64 of the id bytes).
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    /// Parses a cursor a client sent back.
    pub fn decode(s: &str) -> Result<Self, TenancyError> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| TenancyError::invalid("cursor is not one this server issued"))?;
        Uuid::from_slice(&bytes)
            .map(Self)
            .map_err(|_| TenancyError::invalid("cursor is not one this server issued"))
    }
}

/// A validated page request.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    /// Items wanted, 1 to [`MAX_LIMIT`].
    pub limit: i64,
    /// Start after this id (exclusive), or from the newest.
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// Validates the raw `limit` and `cursor` query parameters.
    pub fn new(limit: Option<i64>, cursor: Option<&str>) -> Result<Self, TenancyError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(TenancyError::invalid(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        // An empty `cursor=` is no cursor (forms and generated clients send it).
        let after = cursor
            .filter(|c| !c.is_empty())
            .map(Cursor::decode)
            .transpose()?
            .map(|c| c.0);
        Ok(Self { limit, after })
    }

    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Turns the fetched rows (at most `fetch()`, newest first) into a page.
    pub fn page<T>(&self, mut rows: Vec<T>, id_of: impl Fn(&T) -> Uuid) -> Page<T> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| Cursor(id_of(r)).encode())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// One page of a list.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Maps the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_junk() {
        let id = Uuid::now_v7();
        let c = Cursor(id).encode();
        assert_eq!(Cursor::decode(&c).map(|c| c.0).ok(), Some(id));
        assert!(Cursor::decode("not base64 !").is_err());
        assert!(Cursor::decode("AAAA").is_err());
    }

    #[test]
    fn limit_bounds_are_enforced() {
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(101), None).is_err());
        assert_eq!(PageRequest::new(None, None).map(|p| p.limit).ok(), Some(20));
    }

    #[test]
    fn page_sets_cursor_only_when_more_rows_exist() {
        let req = PageRequest::new(Some(2), None).expect("valid");
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = req.page(ids.clone(), |id| *id);
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next_cursor, Some(Cursor(ids[1]).encode()));
        let page = req.page(ids[..2].to_vec(), |id| *id);
        assert_eq!(page.next_cursor, None);
    }
}
