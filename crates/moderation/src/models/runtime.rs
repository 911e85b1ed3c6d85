//! The process-wide ONNX Runtime environment and session construction.

use std::path::Path;
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::Session;

use crate::ModerationError;

/// ONNX Runtime allows one environment per process; every pool shares it.
static ENVIRONMENT: OnceLock<Result<Environment, String>> = OnceLock::new();

/// Loads `libonnxruntime.so` from `dylib` once per process (later calls reuse
/// the first library, whatever path they pass).
pub fn environment(dylib: &Path) -> Result<&'static Environment, ModerationError> {
    ENVIRONMENT
        .get_or_init(|| {
            ort::init_from(dylib)
                .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", dylib.display()))?
                .with_name("warden")
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| ModerationError::Inference(e.clone()))
}

/// A session for one worker thread: one intra-op thread without spinning, since
/// parallelism comes from running one worker per core, and a spinning pool
/// burns a core waiting for the next small batch.
pub fn session(env: &Environment, model: &Path) -> Result<Session, ModerationError> {
    let fail = |e: String| ModerationError::Inference(format!("{}: {e}", model.display()));
    Session::builder(env)
        .map_err(|e| fail(e.to_string()))?
        .with_intra_threads(1)
        .map_err(|e| fail(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| fail(e.to_string()))?
        .with_intra_op_spinning(false)
        .map_err(|e| fail(e.to_string()))?
        .with_inter_op_spinning(false)
        .map_err(|e| fail(e.to_string()))?
        .commit_from_file(model)
        .map_err(|e| fail(e.to_string()))
}
