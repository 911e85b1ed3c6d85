use warden_tenancy::TenancyError;
use warden_tenancy::{ErrorCode, Rejection};

/// Errors of moderation. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// A model file is missing, unreadable, or its checksum differs from the recorded one.
    #[error("model file {path}: {problem}")]
    ModelFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// ONNX Runtime could not be loaded or a model could not be run.
    #[error("inference: {0}")]
    Inference(String),
    /// The inference pool is shut down or overloaded past its queue.
    #[error("the moderation models are not available")]
    Unavailable,
    /// Moderation refused the content; nothing was written.
    #[error("the content was rejected by moderation")]
    Rejected {
        /// Why, one line per deciding rule.
        reasons: Vec<String>,
        /// The decision.
        decision: Box<crate::rules::Decision>,
    },
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
}

impl ModerationError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::ModelFile { .. } => ErrorCode::Internal,
            Self::Inference(_) => ErrorCode::Internal,
            Self::Unavailable => ErrorCode::ModerationUnavailable,
            Self::Rejected { .. } => ErrorCode::ContentRejected,
            Self::Tenancy(e) => e.code(),
        }
    }
}

impl From<diesel::result::Error> for ModerationError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

impl From<ort::Error> for ModerationError {
    fn from(e: ort::Error) -> Self {
        Self::Inference(e.to_string())
    }
}

warden_tenancy::rejection_constructors!(ModerationError);

impl From<warden_decisions::DecisionError> for ModerationError {
    fn from(e: warden_decisions::DecisionError) -> Self {
        use warden_decisions::DecisionError;
        match e {
            DecisionError::Refused(r) => Self::Refused(r),
            DecisionError::Tenancy(t) => Self::Tenancy(t),
            DecisionError::Notification(n) => crate::notify::moderation_error(n),
        }
    }
}
