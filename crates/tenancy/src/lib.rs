//! Tenants, the database pool and row-level-security tenant transactions.
//!
//! Every tenant-scoped table is protected by a PostgreSQL policy on the
//! transaction-local setting `app.tenant_id`. The only way this crate offers to
//! reach those tables is [`Db::tenant_tx`], which sets that setting as the first
//! act of a transaction; nothing here ever sets tenant context on a session.

mod actor;
pub mod clock;
mod error;
mod error_code;
mod id;
pub mod migrate;
pub mod pagination;
mod pool;
pub mod queue;
mod registry;
mod rejection;
pub mod schema;
pub mod text;
mod text_enum;

pub use actor::{Actor, Role, highest_rank};
pub use error::{TenancyError, is_rls_violation, is_unique_violation};
pub use error_code::ErrorCode;
pub use id::TenantId;
pub use pagination::{Cursor, Page, PageRequest};
pub use pool::{Db, DbConn};
pub use registry::{NewTenant, Tenant, TenantPatch, TenantRegistry, TenantStatus};
pub use rejection::Rejection;

/// Re-exported so that domain crates write their queries against the same versions.
pub use diesel;
pub use diesel_async;
pub use scoped_futures::ScopedFutureExt;
