//! Screens texts with `warden-moderation` alone: no database, no server.
//!
//! ```text
//! bash scripts/fetch-models.sh            # once: the large models, into ~/.cache/warden/models
//! cargo run -p warden-examples --bin screen_texts -- "Lovely teapot" "You are a stupid idiot"
//! printf 'one text\nanother\n' | cargo run -p warden-examples --bin screen_texts
//! ```
//!
//! Prints one line per text, `<applied action>  <text>`, then the scores and,
//! indented, the reasons of the rules that decided. The rules here are two in
//! code (a tenant's would come from the database): toxic language is rejected,
//! contact details are flagged.
//!
//! Model files are found as the server finds them: `WARDEN_MODELS_DIR`
//! (default: this repository's `models/`), `WARDEN_MODEL_CACHE` (default
//! `~/.cache/warden/models`) and `ORT_DYLIB_PATH` (default
//! `<cache>/libonnxruntime.so`).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use uuid::Uuid;
use warden_moderation::Moderator;
use warden_moderation::content::ContentType;
use warden_moderation::inference::PoolConfig;
use warden_moderation::models::ModelPaths;
use warden_moderation::rules::engine::CompiledRule;
use warden_moderation::rules::model::{
    Condition, EntitiesCondition, ToxicityCategory, ToxicityCondition,
};
use warden_moderation::rules::{Action, RuleKind, RuleSet};
use warden_moderation::text::EntityKind;

/// Where the analyzers' files are, from the same variables the server reads.
fn model_paths() -> ModelPaths {
    let var = |name: &str| std::env::var_os(name).map(PathBuf::from);
    let cache_dir = var("WARDEN_MODEL_CACHE").unwrap_or_else(ModelPaths::default_cache_dir);
    ModelPaths {
        models_dir: var("WARDEN_MODELS_DIR")
            .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../models").into()),
        ort_dylib: var("ORT_DYLIB_PATH").unwrap_or_else(|| cache_dir.join("libonnxruntime.so")),
        cache_dir,
    }
}

/// The rules the decisions follow: what a tenant would configure.
fn rules() -> RuleSet {
    let rule = |name: &str, kind, condition, action, priority| CompiledRule {
        id: Uuid::nil(),
        name: name.to_owned(),
        kind,
        condition,
        patterns: None,
        content_types: vec![ContentType::Message],
        action,
        priority,
    };
    RuleSet::new(vec![
        rule(
            "toxic language",
            RuleKind::Toxicity,
            Condition::Toxicity(ToxicityCondition {
                category: ToxicityCategory::Any,
                threshold: 0.8,
            }),
            Action::Reject,
            10,
        ),
        rule(
            "contact details",
            RuleKind::Entities,
            Condition::Entities(EntitiesCondition {
                kinds: vec![EntityKind::Email, EntityKind::Phone],
            }),
            Action::Flag,
            0,
        ),
    ])
}

/// The texts: the arguments, or else the non-empty lines of standard input.
fn texts() -> std::io::Result<Vec<String>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        return Ok(args);
    }
    let mut texts = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if !line.trim().is_empty() {
            texts.push(line);
        }
    }
    Ok(texts)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let texts = match texts() {
        Ok(t) if !t.is_empty() => t,
        Ok(_) => {
            eprintln!("usage: screen_texts TEXT... (or texts on standard input, one a line)");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("reading standard input: {e}");
            return ExitCode::from(2);
        }
    };
    // Checks every model file against its recorded SHA-256 before loading it.
    let pool = PoolConfig {
        workers: 1,
        ..PoolConfig::default()
    };
    let moderator = match Moderator::start(model_paths(), pool) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e} (fetch the models with `bash scripts/fetch-models.sh`)");
            return ExitCode::FAILURE;
        }
    };
    let analyses = match moderator.analyze(texts.clone()).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("analysis failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rules = rules();
    let mut out = String::new();
    for (text, analysis) in texts.iter().zip(&analyses) {
        let decision = rules.decide(ContentType::Message, analysis);
        out.push_str(&format!(
            "{:<15} {text:?}\n    toxicity {:.2}, offensive {:.2}, sentiment {:?}, language {}\n",
            decision.applied_action,
            analysis.toxicity.max(),
            analysis.offensive,
            analysis.sentiment.label,
            analysis.language.code,
        ));
        for reason in decision.reasons() {
            out.push_str(&format!("    - {reason}\n"));
        }
    }
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
