use warden_tenancy::TenancyError;

/// Errors of moderation. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
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
    /// The input breaks a rule (bad rule body, too many texts, …).
    #[error("{0}")]
    Invalid(String),
    /// The thing does not exist in this tenant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with the current state (a review claimed by someone else, …).
    #[error("{0}")]
    Conflict(String),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
}

impl ModerationError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ModelFile { .. } => "model_file_invalid",
            Self::Inference(_) => "inference_failed",
            Self::Unavailable => "moderation_unavailable",
            Self::Rejected { .. } => "content_rejected",
            Self::Invalid(_) => "invalid_input",
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Conflict(_) => "conflict",
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
