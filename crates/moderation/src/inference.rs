//! The inference pool: model sessions on dedicated threads, off the async
//! executor, fed through a bounded queue.
//!
//! Each worker thread owns one [`Models`] (sessions run through `&mut`, so no
//! locks around them). A worker takes a job, then its share of the jobs
//! already waiting (see [`fair_share`]) up to `max_batch` texts, sorts the
//! texts by length so that batch-mates are alike, runs them together and
//! answers each job. Callers await a oneshot and never block the executor.

use std::sync::atomic::{AtomicUsize, Ordering};
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

/// The jobs, and how many workers are waiting for one.
struct Queue {
    jobs: Mutex<mpsc::Receiver<Job>>,
    idle: AtomicUsize,
}

/// How many jobs a worker that just took one should take in all, when
/// `waiting` more wait and `idle_others` other workers wait for work.
///
/// Taking everything would leave the other workers idle while their callers'
/// requests sit in one batch; with concurrent single-text callers the pool
/// then settles into one worker running nearly every job and another running
/// one job at a time, idle for each caller's round trip. An even split keeps
/// every worker busy, and each batch still holds several jobs.
fn fair_share(waiting: usize, idle_others: usize) -> usize {
    (waiting + 1).div_ceil(idle_others + 1)
}

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
        let rx = Arc::new(Queue {
            jobs: Mutex::new(rx),
            idle: AtomicUsize::new(0),
        });
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
            rx.idle.fetch_add(1, Ordering::SeqCst);
            let Ok(mut queue) = rx.jobs.lock() else {
                return;
            };
            let first = queue.blocking_recv();
            rx.idle.fetch_sub(1, Ordering::SeqCst);
            let Some(first) = first else {
                return;
            };
            let share = fair_share(queue.len(), rx.idle.load(Ordering::SeqCst));
            let mut count = first.texts.len();
            let mut jobs = vec![first];
            while count < max_batch && jobs.len() < share {
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

#[cfg(test)]
mod tests {
    use super::fair_share;

    #[test]
    fn a_worker_leaves_the_others_their_share() {
        // Alone: everything waiting.
        assert_eq!(fair_share(15, 0), 16);
        // One other worker idle: half of the 16 jobs (its own and 15 waiting).
        assert_eq!(fair_share(15, 1), 8);
        // Odd counts round up, so nothing is left for a worker that is not there.
        assert_eq!(fair_share(4, 1), 3);
        assert_eq!(fair_share(0, 3), 1);
        assert_eq!(fair_share(2, 3), 1);
    }
}
