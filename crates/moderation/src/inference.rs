//! The inference pool: model sessions on dedicated threads, off the async
//! executor, fed through a bounded queue.
//!
//! Each worker thread owns one [`Models`] (sessions run through `&mut`, so no
//! locks around them). A worker takes a job, then every job already waiting
//! up to `max_batch` texts, sorts the texts by length so that batch-mates are
//! alike, runs them together and answers each job. Callers await a oneshot and
//! never block the executor.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use crate::ModerationError;
use crate::models::{ModelScores, Models, SharedModelData};

/// Sizes of the pool.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    /// Worker threads, each with its own sessions.
    pub workers: usize,
    /// Most texts one worker runs together.
    pub max_batch: usize,
    /// Jobs that may wait before callers wait to enqueue (backpressure).
    pub queue: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            max_batch: 64,
            queue: 1024,
        }
    }
}

struct Job {
    texts: Vec<String>,
    reply: oneshot::Sender<Result<Vec<ModelScores>, ModerationError>>,
}

type Queue = Arc<Mutex<mpsc::Receiver<Job>>>;

/// A handle to the pool; cheap to clone. The workers stop when the last
/// handle is dropped and the queue has drained.
#[derive(Clone)]
pub struct InferencePool {
    tx: mpsc::Sender<Job>,
    workers: Arc<Vec<JoinHandle<()>>>,
}

impl InferencePool {
    /// Opens `config.workers` sets of sessions (failing if any cannot be
    /// opened) and starts the workers.
    pub fn start(data: Arc<SharedModelData>, config: PoolConfig) -> Result<Self, ModerationError> {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let rx: Queue = Arc::new(Mutex::new(rx));
        let mut workers = Vec::new();
        for n in 0..config.workers.max(1) {
            let models = Models::open(Arc::clone(&data))?;
            let rx = Arc::clone(&rx);
            let max_batch = config.max_batch.max(1);
            let handle = std::thread::Builder::new()
                .name(format!("moderation-{n}"))
                .spawn(move || work(models, &rx, max_batch))
                .map_err(|e| ModerationError::Inference(format!("cannot start worker: {e}")))?;
            workers.push(handle);
        }
        Ok(Self {
            tx,
            workers: Arc::new(workers),
        })
    }

    /// Scores `texts`, in order.
    pub async fn score(&self, texts: Vec<String>) -> Result<Vec<ModelScores>, ModerationError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { texts, reply })
            .await
            .map_err(|_| ModerationError::Unavailable)?;
        answer.await.map_err(|_| ModerationError::Unavailable)?
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }
}

fn work(mut models: Models, rx: &Queue, max_batch: usize) {
    loop {
        let jobs = {
            let Ok(mut queue) = rx.lock() else { return };
            let Some(first) = queue.blocking_recv() else {
                return;
            };
            let mut count = first.texts.len();
            let mut jobs = vec![first];
            while count < max_batch {
                match queue.try_recv() {
                    Ok(job) => {
                        count += job.texts.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            jobs
        };
        run(&mut models, jobs, max_batch);
    }
}

/// Runs the texts of `jobs` in length-sorted batches and answers each job.
fn run(models: &mut Models, jobs: Vec<Job>, max_batch: usize) {
    let mut order: Vec<(usize, usize)> = jobs
        .iter()
        .enumerate()
        .flat_map(|(j, job)| (0..job.texts.len()).map(move |t| (j, t)))
        .collect();
    order.sort_by_key(|&(j, t)| jobs[j].texts[t].len());
    let mut results: Vec<Vec<Option<ModelScores>>> =
        jobs.iter().map(|job| vec![None; job.texts.len()]).collect();
    let mut failure = None;
    for chunk in order.chunks(max_batch) {
        let texts: Vec<&str> = chunk
            .iter()
            .map(|&(j, t)| jobs[j].texts[t].as_str())
            .collect();
        match models.score(&texts) {
            Ok(scores) => {
                for (&(j, t), score) in chunk.iter().zip(scores) {
                    results[j][t] = Some(score);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "moderation inference failed");
                failure = Some(e.to_string());
                break;
            }
        }
    }
    for (job, scores) in jobs.into_iter().zip(results) {
        let answer = match (&failure, scores.into_iter().collect::<Option<Vec<_>>>()) {
            (None, Some(all)) => Ok(all),
            (Some(e), _) => Err(ModerationError::Inference(e.clone())),
            (None, None) => Err(ModerationError::Inference("texts left unscored".into())),
        };
        // The caller may have gone away; nothing to do then.
        let _ = job.reply.send(answer);
    }
}
