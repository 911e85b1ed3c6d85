//! Offensive language: `alt-profanity-check` (TF-IDF + calibrated linear SVM)
//! exported with skl2onnx. The graph takes the raw strings and does its own
//! tokenisation, so nothing is ported here.

use ort::session::Session;
use ort::value::Tensor;

use crate::ModerationError;

/// The offensive-language classifier session.
pub struct Profanity {
    session: Session,
}

impl Profanity {
    /// Wraps a session of `profanity.onnx`.
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// P(offensive) of each text.
    pub fn scores(&mut self, texts: &[&str]) -> Result<Vec<f32>, ModerationError> {
        let owned: Vec<String> = texts.iter().map(|t| (*t).to_owned()).collect();
        let input = Tensor::from_string_array(([owned.len(), 1usize], &*owned))?;
        let outputs = self.session.run(ort::inputs! { "text" => input })?;
        let probabilities = outputs.get("probabilities").ok_or_else(|| {
            ModerationError::Inference("profanity.onnx has no probabilities output".into())
        })?;
        let (_, p) = probabilities.try_extract_tensor::<f32>()?;
        // Columns are the classes [0 = clean, 1 = offensive].
        Ok(p.chunks_exact(2).map(|row| row[1]).collect())
    }
}
