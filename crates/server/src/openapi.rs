//! The OpenAPI document's fixed parts. Paths and schemas are collected from the
//! route registrations (utoipa-actix-web); this adds what every route shares:
//! the bearer scheme, the `X-Tenant-ID` header on tenant routes, and the
//! problem+json error responses.

use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{Schema, SchemaType};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

use crate::error::Problem;
use crate::tenant_context::TENANT_HEADER;

/// Base of the document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Warden API",
        description = "Trust-and-safety backend of a multi-tenant conversational-commerce platform. \
            Tenant routes need `Authorization: Bearer <JWT>` and `X-Tenant-ID`. Errors are \
            `application/problem+json` (RFC 9457) with a stable `code`.",
        license(name = "MIT")
    ),
    components(schemas(Problem, warden_notifications::model::Priority)),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "tenants", description = "Tenants (platform administrators)"),
        (name = "users", description = "Users of a tenant"),
        (name = "sellers", description = "Seller profiles"),
        (name = "products", description = "Product listings"),
        (name = "orders", description = "Orders"),
        (name = "conversations", description = "Buyer–seller conversations and messages"),
        (name = "reviews", description = "Reviews"),
        (name = "ai-config", description = "The tenant's AI assistant settings"),
                (name = "usage", description = "Usage against quotas and rate limits"),
        (name = "audit", description = "Activity and audit log"),
        (name = "moderation", description = "Content moderation: analysis, filter rules, decisions, review queue, rescans"),
        (name = "reports", description = "User reports (notice and action): reporting, outcomes, categories, trusted flaggers"),
        (name = "live", description = "Live events over WebSocket; message format in the README, section \"Live events\""),
    )
)]
pub struct ApiDoc;

const BEARER: &str = "bearer";

/// Adds the bearer scheme, the tenant header and the problem responses to
/// every collected operation.
pub struct SharedParts;

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

fn tenant_header() -> Parameter {
    ParameterBuilder::new()
        .name(TENANT_HEADER)
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some("The tenant to act in (a UUID)."))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Uuid,
                ))),
        ))
        .build()
}

/// What `extract::Query` accepts in a text parameter: no control characters
/// (C0, DEL, C1). Declared so that clients and schema-driven tests know it.
const NO_CONTROL_CHARACTERS: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// Gives every free-text query parameter (a string without format, enum or
/// pattern of its own) the pattern `extract::Query` enforces.
fn declare_query_text_pattern(op: &mut Operation) {
    for param in op.parameters.iter_mut().flatten() {
        if !matches!(param.parameter_in, ParameterIn::Query) {
            continue;
        }
        let Some(RefOr::T(Schema::Object(object))) = param.schema.as_mut() else {
            continue;
        };
        let is_string = match &object.schema_type {
            SchemaType::Type(t) => *t == Type::String,
            SchemaType::Array(types) => types.contains(&Type::String),
            SchemaType::AnyValue => false,
        };
        if is_string
            && object.format.is_none()
            && object.enum_values.is_none()
            && object.pattern.is_none()
        {
            object.pattern = Some(NO_CONTROL_CHARACTERS.to_owned());
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

impl Modify for SharedParts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path.starts_with("/health") {
                continue;
            }
            // The live endpoint takes its tenant from the token, not a header.
            let tenant_route = !path.starts_with("/api/v1/tenants")
                && path != "/api/v1/ws"
                && !path.starts_with("/api/v1/webhooks/");
            // Webhooks are signed by their sender (X-Twilio-Signature), not bearer tokens.
            let webhook = path.starts_with("/api/v1/webhooks/");
            for op in operations(item) {
                declare_query_text_pattern(op);
                op.security = if webhook {
                    Some(Vec::new())
                } else {
                    Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())])
                };
                if tenant_route {
                    op.parameters
                        .get_or_insert_with(Vec::new)
                        .insert(0, tenant_header());
                }
                let responses = &mut op.responses.responses;
                let has_body = op
                    .request_body
                    .as_ref()
                    .is_some_and(|b: &RequestBody| !b.content.is_empty());
                let mut shared = vec![
                    ("400", "Malformed input (path, query, header or body)"),
                    ("401", "Missing or invalid bearer token"),
                    (
                        "403",
                        "Not allowed: role, tenant, suspended tenant or disabled user",
                    ),
                    ("404", "Not found, or not visible to the caller"),
                    ("500", "Internal error; quote the request_id"),
                    (
                        "503",
                        "The database is unavailable, or the request's activity row did not commit (audit_unavailable)",
                    ),
                ];
                if tenant_route {
                    shared.push((
                        "429",
                        "A rate limit is used up; see Retry-After and the RateLimit headers",
                    ));
                } else {
                    // The pre-authentication limit applies to every route.
                    shared.push((
                        "429",
                        "Too many requests or failed authentications from this client; see Retry-After",
                    ));
                }
                if has_body {
                    shared.push(("413", "Body larger than MAX_BODY_BYTES"));
                    shared.push(("415", "Body is not application/json"));
                    shared.push((
                        "408",
                        "The body did not arrive within BODY_READ_TIMEOUT_SECS",
                    ));
                }
                for (status, description) in shared {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(description));
                }
            }
            // Every change may conflict with the state it meets (a decided
            // review, an own account, a duplicate).
            for op in [
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .filter_map(Option::as_mut)
            {
                op.responses
                    .responses
                    .entry("409".to_owned())
                    .or_insert_with(|| problem_response("Conflicts with the current state"));
            }
        }
    }
}
