//! The models run in Rust as they do in the Python export: on the fixed texts
//! of `models/reference`, the same token ids and the same outputs within 1e-5.
//! Needs the fetched models (`just models`).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is the failure report"
)]

use std::sync::{Arc, OnceLock};

use serde_json::Value;
use warden_moderation::models::{ModelPaths, Models, SharedModelData};

const TOLERANCE: f64 = 1e-5;

fn reference(name: &str) -> Vec<Value> {
    let path = format!(
        "{}/../../models/reference/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn paths() -> ModelPaths {
    let cache = std::env::var_os("WARDEN_MODEL_CACHE")
        .map(Into::into)
        .unwrap_or_else(ModelPaths::default_cache_dir);
    ModelPaths {
        models_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/../../models").into(),
        ort_dylib: std::env::var_os("ORT_DYLIB_PATH")
            .map(Into::into)
            .unwrap_or_else(|| cache.join("libonnxruntime.so")),
        cache_dir: cache,
    }
}

fn data() -> Arc<SharedModelData> {
    static DATA: OnceLock<Arc<SharedModelData>> = OnceLock::new();
    DATA.get_or_init(|| SharedModelData::load(paths()).expect("models (run `just models`)"))
        .clone()
}

fn texts() -> Vec<String> {
    reference("texts")
        .iter()
        .map(|t| t["text"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

fn close(what: &str, i: usize, got: f64, want: f64) {
    assert!(
        (got - want).abs() < TOLERANCE,
        "{what} of text {i}: rust {got} vs python {want}"
    );
}

#[test]
fn there_are_at_least_twenty_reference_texts() {
    assert!(texts().len() >= 20);
}

#[test]
fn toxicity_matches_the_python_export() {
    let data = data();
    let mut models = Models::open(data.clone()).unwrap();
    let labels = [
        "toxic",
        "severe_toxic",
        "obscene",
        "threat",
        "insult",
        "identity_hate",
    ];
    for (i, (text, want)) in texts().iter().zip(reference("toxblock")).enumerate() {
        let encoded = data.vocabulary().encode(text);
        assert_eq!(encoded, ids(&want["input_ids"]), "token ids of text {i}");
        let raw = models.toxblock().raw_scores(encoded).unwrap();
        for (l, label) in labels.iter().enumerate() {
            close(
                label,
                i,
                f64::from(raw[0][l]),
                want["scores"][label].as_f64().unwrap(),
            );
            let rescaled = warden_moderation::models::toxblock::rescale(l, raw[0][l]);
            let want_rescaled = want["rescaled"][label].as_f64().unwrap().min(1.0);
            close(label, i, rescaled, want_rescaled);
        }
    }
}

#[test]
fn offensive_language_matches_the_python_export() {
    let mut models = Models::open(data()).unwrap();
    let texts = texts();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // As one batch and one by one: the scores must not depend on batch-mates.
    let batch = models.profanity().scores(&refs).unwrap();
    for (i, want) in reference("profanity").iter().enumerate() {
        let want = want["offensive"].as_f64().unwrap();
        close("offensive (batch)", i, f64::from(batch[i]), want);
        let alone = models.profanity().scores(&refs[i..=i]).unwrap();
        close("offensive (alone)", i, f64::from(alone[0]), want);
    }
}

#[test]
fn sentiment_matches_the_python_export() {
    let data = data();
    let mut models = Models::open(data.clone()).unwrap();
    for (i, (text, want)) in texts().iter().zip(reference("minilm")).enumerate() {
        let encoder = models.encoder();
        assert_eq!(
            encoder.token_ids(text).unwrap(),
            ids(&want["input_ids"]),
            "word pieces of text {i}"
        );
        let pooled = encoder.embed(text).unwrap();
        let norm = pooled
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            .sqrt();
        close(
            "pooled norm",
            i,
            norm,
            want["pooled_norm"].as_f64().unwrap(),
        );
        for (d, w) in want["embedding"].as_array().unwrap().iter().enumerate() {
            close(
                "embedding",
                i,
                f64::from(pooled[d]) / norm,
                w.as_f64().unwrap(),
            );
        }
        let p = data.head().probability(&pooled);
        close("P(positive)", i, p, want["prob"].as_f64().unwrap());
        close(
            "polarity",
            i,
            2.0 * p - 1.0,
            want["polarity"].as_f64().unwrap(),
        );
    }
}

#[test]
fn a_batch_scores_like_each_text_alone() {
    let mut models = Models::open(data()).unwrap();
    let texts = texts();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batch = models.score(&refs).unwrap();
    for (i, text) in refs.iter().enumerate() {
        let alone = models.score(&[text]).unwrap().remove(0);
        for l in 0..6 {
            close(
                "toxicity (batch vs alone)",
                i,
                batch[i].toxicity[l],
                alone.toxicity[l],
            );
        }
        close(
            "offensive (batch vs alone)",
            i,
            batch[i].offensive,
            alone.offensive,
        );
        close(
            "positive (batch vs alone)",
            i,
            batch[i].positive,
            alone.positive,
        );
    }
}

/// A NUL character cannot enter ONNX Runtime's string tensors (C strings), so
/// the text fails inference; the pool answers the other jobs of its batch.
#[tokio::test]
async fn a_text_the_models_cannot_run_fails_only_its_own_job() {
    use warden_moderation::inference::{InferencePool, PoolConfig};
    let mut models = Models::open(data()).unwrap();
    assert!(
        models.score(&["a\0b"]).is_err(),
        "NUL no longer fails the models: this test needs another failing text"
    );
    let config = PoolConfig {
        workers: 1,
        max_batch: 64,
        queue: 1024,
    };
    let pool = InferencePool::start(data(), config).unwrap();
    // Queued together, so that the worker batches them.
    let jobs: Vec<_> = (0..40)
        .map(|i| {
            let pool = pool.clone();
            let text = if i == 20 {
                "poisoned \0 text".to_owned()
            } else {
                format!("an ordinary message number {i}")
            };
            tokio::spawn(async move { pool.score(vec![text]).await })
        })
        .collect();
    for (i, job) in jobs.into_iter().enumerate() {
        let answer = job.await.unwrap();
        assert_eq!(answer.is_err(), i == 20, "job {i}: {answer:?}");
    }
}
