//! Content-moderation and behavior-detection settings.

use std::path::PathBuf;

use super::parse::{Switch, trimmed, workers_or_cpus};

/// Content-moderation settings.
#[derive(Clone, Debug)]
pub struct ModerationConfig {
    /// Model files.
    pub paths: warden_moderation::models::ModelPaths,
    /// Inference threads, each with its own sessions.
    pub workers: usize,
    /// Most texts run together.
    pub max_batch: usize,
    /// Whether this process runs background jobs (rescans).
    pub run_jobs: bool,
    /// Days the evidence of a decision is kept before the daily retention
    /// job deletes it.
    pub evidence_retention_days: u32,
}

impl ModerationConfig {
    /// `models/` of the source tree this binary was built from.
    pub fn repo_models_dir() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models"))
    }
}

/// Behavior-detection settings.
#[derive(Clone, Debug)]
pub struct BehaviorConfig {
    /// Whether activity is evaluated against behavior patterns (`BEHAVIOR=off` to stop).
    pub enabled: bool,
    /// Events waiting for evaluation before requests wait (`BEHAVIOR_QUEUE`).
    pub queue: usize,
    /// Redis for window counters and cooldowns shared by replicas (`REDIS_URL`);
    /// without it, windows are per process.
    pub redis_url: Option<String>,
    /// Prefix of the Redis keys (`BEHAVIOR_REDIS_PREFIX`).
    pub redis_prefix: String,
}

/// The moderation variables.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Moderation")]
pub struct ModerationArgs {
    /// The committed models (`toxblock.onnx`, `profanity.onnx`, `sentiment_head.json`, lexicons).
    #[arg(long, env = "WARDEN_MODELS_DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models"))]
    pub warden_models_dir: PathBuf,
    /// The fetched models (`minilm/…`, `libonnxruntime.so`), filled by `just
    /// models` [default: ~/.cache/warden/models].
    #[arg(long, env = "WARDEN_MODEL_CACHE")]
    pub warden_model_cache: Option<PathBuf>,
    /// ONNX Runtime shared library [default: <WARDEN_MODEL_CACHE>/libonnxruntime.so].
    #[arg(long, env = "ORT_DYLIB_PATH")]
    pub ort_dylib_path: Option<PathBuf>,
    /// Inference threads, each with its own ONNX sessions; 0 is one per CPU.
    #[arg(long, env = "MODERATION_WORKERS", default_value = "0", value_parser = trimmed::<usize>)]
    pub moderation_workers: usize,
    /// Most texts one inference thread runs together (1 to 256).
    #[arg(long, env = "MODERATION_MAX_BATCH", default_value = "64", value_parser = trimmed::<usize>)]
    pub moderation_max_batch: usize,
    /// `off`: this replica takes no jobs (rescans, violations, ban expiry) from the queue.
    #[arg(long, env = "BACKGROUND_JOBS", value_enum, default_value = "on")]
    pub background_jobs: Switch,
    /// Days the evidence of a restrictive decision (the content as judged,
    /// scores, rules) is kept, 1 to 3650; a daily job per tenant deletes older
    /// evidence.
    #[arg(long, env = "EVIDENCE_RETENTION_DAYS", default_value = "365", value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub evidence_retention_days: u32,
}

impl ModerationArgs {
    /// The moderation settings.
    pub fn resolve(self) -> ModerationConfig {
        let cache_dir = self
            .warden_model_cache
            .unwrap_or_else(warden_moderation::models::ModelPaths::default_cache_dir);
        ModerationConfig {
            paths: warden_moderation::models::ModelPaths {
                models_dir: self.warden_models_dir,
                ort_dylib: self
                    .ort_dylib_path
                    .unwrap_or_else(|| cache_dir.join("libonnxruntime.so")),
                cache_dir,
            },
            workers: workers_or_cpus(self.moderation_workers),
            max_batch: self.moderation_max_batch.clamp(1, 256),
            run_jobs: self.background_jobs.is_on(),
            evidence_retention_days: self.evidence_retention_days,
        }
    }
}

/// The behavior-detection variables.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Behavior detection")]
pub struct BehaviorArgs {
    /// `off` stops evaluating activity against behavior patterns.
    #[arg(long, env = "BEHAVIOR", value_enum, default_value = "on")]
    pub behavior: Switch,
    /// Activity events waiting for behavior evaluation before requests wait (never dropped).
    #[arg(long, env = "BEHAVIOR_QUEUE", default_value = "65536", value_parser = trimmed::<usize>)]
    pub behavior_queue: usize,
    /// Prefix of the behavior keys in Redis.
    #[arg(long, env = "BEHAVIOR_REDIS_PREFIX", default_value = "warden:bh")]
    pub behavior_redis_prefix: String,
}

impl BehaviorArgs {
    /// The behavior settings, with the Redis shared with the rate limiter.
    pub fn resolve(self, redis_url: Option<String>) -> BehaviorConfig {
        BehaviorConfig {
            enabled: self.behavior.is_on(),
            queue: self.behavior_queue.max(1),
            redis_url,
            redis_prefix: self.behavior_redis_prefix,
        }
    }
}
