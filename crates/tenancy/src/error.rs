use crate::{ErrorCode, Rejection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Errors of the tenancy layer. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// No connection could be taken from the pool (database down or pool
    /// exhausted), or the connection was lost under a query.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed for a reason the caller cannot fix.
    #[error("database error: {0}")]
    Database(#[source] DieselError),
    /// A write was refused by the row-level-security policy: an attempt to
    /// write a row of another tenant.
    #[error("row-level security refused the write")]
    RlsViolation,
    /// The tenant does not exist.
    #[error("tenant not found")]
    TenantNotFound,
    /// Migrations or role setup failed.
    #[error("migration failed: {0}")]
    Migration(String),
}

impl TenancyError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::Unavailable(_) => ErrorCode::ServiceUnavailable,
            Self::Database(_) => ErrorCode::Internal,
            Self::RlsViolation => ErrorCode::TenantIsolationViolation,
            Self::TenantNotFound => ErrorCode::TenantNotFound,
            Self::Migration(_) => ErrorCode::Internal,
        }
    }
}

impl From<DieselError> for TenancyError {
    fn from(e: DieselError) -> Self {
        if is_rls_violation(&e) {
            Self::RlsViolation
        } else if is_connection_lost(&e) {
            // The database went away under the query (a restart, a failover):
            // as transient as finding it down before the query, so answered
            // alike (503, worth a retry) rather than as a server bug (500).
            Self::Unavailable(e.to_string())
        } else {
            Self::Database(e)
        }
    }
}

/// True when the connection to PostgreSQL was lost, or the server is shutting
/// down or not yet accepting queries (SQLSTATE class 57P). The driver passes
/// no SQLSTATE on, so the messages tell: without a code, the driver's own
/// (`connection closed`, I/O errors); with one, the server's.
fn is_connection_lost(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
            let m = info.message();
            m == "connection closed"
                || m.starts_with("error communicating with the server")
                || m.starts_with("error connecting to server")
        }
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            m.starts_with("terminating connection due to")
                || m.starts_with("the database system is")
        }
        _ => false,
    }
}

/// True when PostgreSQL refused a row because of a row-level-security policy.
pub fn is_rls_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(_, info) if info.message().contains("row-level security"))
}

/// True for a unique-constraint violation.
pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn a_lost_connection_is_unavailability_not_a_database_error() {
        for e in [
            db_error(DatabaseErrorKind::UnableToSendCommand, "connection closed"),
            db_error(
                DatabaseErrorKind::UnableToSendCommand,
                "error communicating with the server: Connection reset by peer (os error 104)",
            ),
            db_error(DatabaseErrorKind::ClosedConnection, "closed"),
            db_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
            db_error(
                DatabaseErrorKind::Unknown,
                "the database system is shutting down",
            ),
        ] {
            assert!(
                matches!(TenancyError::from(e), TenancyError::Unavailable(_)),
                "not unavailable"
            );
        }
        for e in [
            db_error(
                DatabaseErrorKind::UnableToSendCommand,
                "error serializing parameter 0",
            ),
            db_error(DatabaseErrorKind::Unknown, "relation \"x\" does not exist"),
            db_error(DatabaseErrorKind::UniqueViolation, "duplicate key value"),
        ] {
            assert!(matches!(TenancyError::from(e), TenancyError::Database(_)));
        }
    }
}

crate::rejection_constructors!(TenancyError);
