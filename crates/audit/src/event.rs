//! Activity events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::TenantId;

/// What kind of thing happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Sessions: live connections opened and closed.
    Auth,
    /// A resource was created.
    ResourceCreate,
    /// A resource was changed.
    ResourceUpdate,
    /// A resource was deleted.
    ResourceDelete,
    /// Any other API call (reads).
    ApiCall,
    /// Something the platform did by itself.
    System,
    /// Authentication failures, cross-tenant attempts, role and status changes,
    /// rate-limit breaches, platform administrators acting inside a tenant.
    Security,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 7] = [
        Kind::Auth,
        Kind::ResourceCreate,
        Kind::ResourceUpdate,
        Kind::ResourceDelete,
        Kind::ApiCall,
        Kind::System,
        Kind::Security,
    ];

    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::ResourceCreate => "resource_create",
            Self::ResourceUpdate => "resource_update",
            Self::ResourceDelete => "resource_delete",
            Self::ApiCall => "api_call",
            Self::System => "system",
            Self::Security => "security",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One recorded event: a request, or an audited change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActivityEvent {
    /// Event id (UUIDv7, time-ordered).
    pub id: Uuid,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The tenant whose log holds it; `None` goes to the platform log.
    pub tenant: Option<TenantId>,
    /// For platform-log events: the tenant the request named, if any.
    pub claimed_tenant: Option<String>,
    /// The request's id (the server's own).
    pub request_id: Option<String>,
    /// The `X-Request-Id` the client sent, when it was well-formed; not
    /// unique: clients may repeat it.
    pub client_request_id: Option<String>,
    /// The acting user's row id in the tenant.
    pub actor_id: Option<Uuid>,
    /// The token's subject.
    pub actor_subject: Option<String>,
    /// The token's roles.
    pub actor_roles: Vec<String>,
    /// Kind.
    pub kind: Option<Kind>,
    /// What happened, e.g. `GET /api/v1/products/{id}` or `role_change`.
    pub action: String,
    /// HTTP method.
    pub method: Option<String>,
    /// Route template.
    pub route: Option<String>,
    /// Path as requested.
    pub path: Option<String>,
    /// Response status.
    pub status: Option<u16>,
    /// Time to answer, microseconds.
    pub latency_us: Option<i64>,
    /// Request body bytes.
    pub bytes_in: Option<i64>,
    /// Response body bytes.
    pub bytes_out: Option<i64>,
    /// Client address.
    pub client_ip: Option<String>,
    /// Client's user agent.
    pub user_agent: Option<String>,
    /// Resource type, e.g. `products`.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Anything else, as a JSON object.
    pub metadata: serde_json::Value,
}

impl ActivityEvent {
    /// A new event of `kind` and `action`, now, with a fresh id.
    pub fn new(kind: Kind, action: impl Into<String>) -> Self {
        Self {
            id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            kind: Some(kind),
            action: action.into(),
            metadata: serde_json::json!({}),
            ..Self::default()
        }
    }
}
