//! Extractor settings: every malformed path, query or body becomes a problem+json.
//! Also [`Query`], the query extractor of every route.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::{Ready, ready};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};

pub(crate) fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { length, limit } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body has {length} bytes; at most {limit} are accepted"),
        ),
        JsonPayloadError::Overflow { limit } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is larger than the {limit} bytes accepted"),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as application/json",
        ),
        // serde's message names the offending field, type or position; it
        // describes the client's own input and nothing of the server's.
        JsonPayloadError::Deserialize(e) if e.is_syntax() || e.is_eof() => ApiError::new(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        ),
        JsonPayloadError::Deserialize(e) => ApiError::new(ErrorCode::InvalidBody, e.to_string()),
        _ => ApiError::new(
            ErrorCode::MalformedJson,
            "the body could not be read as JSON",
        ),
    };
    api.into()
}

fn path_error(err: PathError, req: &HttpRequest) -> actix_web::Error {
    if let Some(allow) = req
        .app_data::<web::Data<crate::known_paths::KnownPaths>>()
        .and_then(|known| known.literal(req.path()))
    {
        return crate::known_paths::method_not_allowed(req, allow).into();
    }
    let PathError::Deserialize(e) = &err else {
        return ApiError::new(ErrorCode::InvalidPathParameter, "invalid path").into();
    };
    ApiError::new(
        ErrorCode::InvalidPathParameter,
        format!("a path parameter is malformed: {e}"),
    )
    .into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let detail = match &err {
        QueryPayloadError::Deserialize(e) => format!("a query parameter is malformed: {e}"),
        _ => "the query string is malformed".into(),
    };
    ApiError::new(ErrorCode::InvalidQueryParameter, detail).into()
}

/// JSON body limit and error handler.
pub fn json_config(max_body_bytes: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(max_body_bytes)
        .error_handler(json_error)
}

/// Form body (webhooks) limit and error handler.
pub fn form_config(max_body_bytes: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(max_body_bytes)
        .error_handler(form_error)
}

fn form_error(err: UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        UrlencodedError::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as application/x-www-form-urlencoded",
        ),
        UrlencodedError::Overflow { size, limit } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body has {size} bytes; at most {limit} are accepted"),
        ),
        UrlencodedError::Parse(e) => ApiError::new(ErrorCode::InvalidBody, e.to_string()),
        _ => ApiError::new(ErrorCode::InvalidBody, "the form body could not be read"),
    };
    api.into()
}

/// Path parameter error handler.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(path_error)
}

/// Query string error handler.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(query_error)
}

/// The query string read as `T`, refusing control characters first.
///
/// Every route takes its query through this instead of `web::Query`: a
/// percent-encoded NUL or other control character (`%00`, `%0A`, `%1B`, …)
/// has no place in a filter, a cursor or an id, and a NUL in particular
/// cannot reach PostgreSQL, which refuses it mid-query (a 500 before this).
/// The refusal names the parameter, in one place for every route.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    /// The parameters.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(read_query(req).map(Query))
    }
}

fn read_query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, actix_web::Error> {
    refuse_query_controls(req.query_string())?;
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| query_error(e, req))
}

/// Refuses a query whose parameter names or values hold a control character
/// once percent-decoded, or a time outside the years 1 to 9999, naming the
/// parameter.
fn refuse_query_controls(query: &str) -> Result<(), ApiError> {
    // Decoded as `T` is, pair by pair; a string that does not even split into
    // pairs is left for `T`'s own error.
    let Ok(pairs) = web::Query::<Vec<(String, String)>>::from_query(query) else {
        return Ok(());
    };
    for (name, value) in pairs.iter() {
        let detail = if name.chars().any(char::is_control) {
            format!(
                "the query parameter name \"{}\" must not contain control characters",
                name.escape_debug()
            )
        } else if value.chars().any(char::is_control) {
            format!("the query parameter {name} must not contain control characters")
        } else if crate::time_bounds::out_of_range(value) {
            format!(
                "the query parameter {name} {}",
                crate::time_bounds::OUT_OF_RANGE
            )
        } else {
            continue;
        };
        return Err(ApiError::new(ErrorCode::InvalidQueryParameter, detail)
            .with_member("parameter", name.escape_debug().to_string()));
    }
    Ok(())
}
