//! The id of what a request created, handed from its handler to the activity
//! log, so that a `resource_create` row names it in `resource_id` and
//! `/audit?resource_id=` finds who created a thing.

use actix_web::HttpResponse;

/// Response extension: the id of the resource the request created.
#[derive(Clone, Debug)]
pub struct CreatedResource(pub String);

/// `response` (a 201 or 202 answer) marked as having created `id`.
pub fn created(id: impl ToString, mut response: HttpResponse) -> HttpResponse {
    response
        .extensions_mut()
        .insert(CreatedResource(id.to_string()));
    response
}
