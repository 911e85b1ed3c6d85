//! The inference pool: model sessions on dedicated threads, off the async
//! executor, fed through a bounded queue.
//!
//! Each worker thread owns one [`Models`] (sessions run through `&mut`, so no
//! locks around them). A worker takes a job, then its share of the jobs
//! already waiting (see `fair_share`) up to `max_batch` texts, sorts the
//! texts by length so that batch-mates are alike, runs them together and
//! answers each job. Callers await a oneshot and never block the executor.
//!
//! Jobs of different callers (and tenants) share a batch, so a batch that
//! fails is not allowed to fail them all: its texts are re-run in halves until
//! each failing text is alone, and only the jobs holding a failing text fail
//! (see `score_isolated`). A text can fail a batch for reasons no caller
//! controls; the first one found was a NUL character, which ONNX Runtime's
//! string tensors (C strings) cannot hold.

use std::panic::{AssertUnwindSafe, catch_unwind};
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

/// What a worker runs texts through: the models, or a stand-in in tests.
trait Scorer {
    /// Scores a batch of texts, in order.
    fn score(&mut self, texts: &[&str]) -> Result<Vec<ModelScores>, ModerationError>;
}

impl Scorer for Models {
    fn score(&mut self, texts: &[&str]) -> Result<Vec<ModelScores>, ModerationError> {
        Models::score(self, texts)
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
        let models = (0..config.workers.max(1))
            .map(|_| Models::open(Arc::clone(&data)))
            .collect::<Result<Vec<_>, _>>()?;
        Self::spawn(models, config)
    }

    /// Starts one worker per scorer.
    fn spawn<S: Scorer + Send + 'static>(
        scorers: Vec<S>,
        config: PoolConfig,
    ) -> Result<Self, ModerationError> {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let rx = Arc::new(Queue {
            jobs: Mutex::new(rx),
            idle: AtomicUsize::new(0),
        });
        let mut workers = Vec::new();
        for (n, scorer) in scorers.into_iter().enumerate() {
            let rx = Arc::clone(&rx);
            let max_batch = config.max_batch.max(1);
            let handle = std::thread::Builder::new()
                .name(format!("moderation-{n}"))
                .spawn(move || work(scorer, &rx, max_batch))
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

fn work(mut models: impl Scorer, rx: &Queue, max_batch: usize) {
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

/// Runs the texts of `jobs` in length-sorted batches and answers each job:
/// with its scores, or with the failure of one of its own texts.
fn run(models: &mut impl Scorer, jobs: Vec<Job>, max_batch: usize) {
    let mut order: Vec<(usize, usize)> = jobs
        .iter()
        .enumerate()
        .flat_map(|(j, job)| (0..job.texts.len()).map(move |t| (j, t)))
        .collect();
    order.sort_by_key(|&(j, t)| jobs[j].texts[t].len());
    let mut results: Vec<Vec<Option<TextResult>>> =
        jobs.iter().map(|job| vec![None; job.texts.len()]).collect();
    for chunk in order.chunks(max_batch) {
        let texts: Vec<&str> = chunk
            .iter()
            .map(|&(j, t)| jobs[j].texts[t].as_str())
            .collect();
        let mut scored = vec![None; texts.len()];
        score_isolated(models, &texts, &mut scored);
        for (&(j, t), result) in chunk.iter().zip(scored) {
            results[j][t] = result;
        }
    }
    for (job, scores) in jobs.into_iter().zip(results) {
        let answer = scores
            .into_iter()
            .map(|r| match r {
                Some(Ok(score)) => Ok(score),
                Some(Err(e)) => Err(ModerationError::Inference(e)),
                None => Err(ModerationError::Inference("text left unscored".into())),
            })
            .collect::<Result<Vec<_>, _>>();
        // The caller may have gone away; nothing to do then.
        let _ = job.reply.send(answer);
    }
}

/// The outcome for one text: its scores, or why it could not be scored.
type TextResult = Result<ModelScores, String>;

/// Scores `texts` into `out` (same length). When the batch fails, each half
/// is re-run on its own, down to single texts, so a text that cannot be scored
/// costs only itself its result: `k` such texts among `n` cost about
/// `2k·log2(n)` extra runs, and none cost nothing.
fn score_isolated(models: &mut impl Scorer, texts: &[&str], out: &mut [Option<TextResult>]) {
    match score_caught(models, texts) {
        Ok(scores) => {
            for (slot, score) in out.iter_mut().zip(scores) {
                *slot = Some(Ok(score));
            }
        }
        Err(e) if texts.len() == 1 => {
            tracing::warn!(error = %e, chars = texts[0].chars().count(), "a text failed inference");
            if let Some(slot) = out.first_mut() {
                *slot = Some(Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, texts = texts.len(), "an inference batch failed; re-running it in halves");
            let mid = texts.len() / 2;
            let (left, right) = out.split_at_mut(mid);
            score_isolated(models, &texts[..mid], left);
            score_isolated(models, &texts[mid..], right);
        }
    }
}

/// One run of the models, with a panic (a bug some input triggers in the
/// tokenizer or the runtime bindings) turned into a failure of the batch, so
/// the worker survives it and the batch is bisected like any other failure.
/// Also fails when the models answer for a different number of texts.
fn score_caught(models: &mut impl Scorer, texts: &[&str]) -> Result<Vec<ModelScores>, String> {
    // The sessions hold no state between runs that a half-done run could
    // leave inconsistent; unwinding out of one leaves them usable.
    let scores = catch_unwind(AssertUnwindSafe(|| models.score(texts)))
        .map_err(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".into());
            format!("inference panicked: {why}")
        })?
        .map_err(|e| e.to_string())?;
    if scores.len() == texts.len() {
        Ok(scores)
    } else {
        Err(format!(
            "the models scored {} texts of {}",
            scores.len(),
            texts.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores a text by its length; a batch holding a text with "poison"
    /// fails, one holding "panic" panics, as a tokenizer bug would.
    #[derive(Default)]
    struct Fake {
        runs: usize,
    }

    impl Scorer for Fake {
        fn score(&mut self, texts: &[&str]) -> Result<Vec<ModelScores>, ModerationError> {
            self.runs += 1;
            if texts.iter().any(|t| t.contains("panic")) {
                panic!("the fake scorer cannot read this text");
            }
            if texts.iter().any(|t| t.contains("poison")) {
                return Err(ModerationError::Inference("the fake refuses poison".into()));
            }
            Ok(texts.iter().map(|t| fake_score(t)).collect())
        }
    }

    fn fake_score(text: &str) -> ModelScores {
        let n = f64::from(u32::try_from(text.len()).unwrap_or(u32::MAX));
        ModelScores {
            toxicity: [n; 6],
            offensive: n,
            positive: n,
        }
    }

    type Answer = oneshot::Receiver<Result<Vec<ModelScores>, ModerationError>>;

    fn jobs(texts: &[&[&str]]) -> (Vec<Job>, Vec<Answer>) {
        texts
            .iter()
            .map(|texts| {
                let (reply, answer) = oneshot::channel();
                let texts = texts.iter().map(|t| (*t).to_owned()).collect();
                (Job { texts, reply }, answer)
            })
            .unzip()
    }

    fn answered(answer: Answer) -> Result<Vec<ModelScores>, ModerationError> {
        answer
            .blocking_recv()
            .unwrap_or(Err(ModerationError::Unavailable))
    }

    #[test]
    fn a_failing_text_fails_only_its_own_job() {
        for bad in ["poison", "panic"] {
            let texts: [&[&str]; 5] = [
                &["hello"],
                &["a", "bb", "ccc"],
                &["fine", &format!("x {bad} x"), "also fine"],
                &["yet another text"],
                &["z"],
            ];
            let (jobs, answers) = jobs(&texts);
            // A batch of 4 puts the bad text beside texts of other jobs.
            run(&mut Fake::default(), jobs, 4);
            for (i, (answer, texts)) in answers.into_iter().zip(texts).enumerate() {
                let answer = answered(answer);
                if i == 2 {
                    assert!(
                        matches!(answer, Err(ModerationError::Inference(_))),
                        "{bad}: {answer:?}"
                    );
                } else {
                    let want: Vec<_> = texts.iter().map(|t| fake_score(t)).collect();
                    assert_eq!(answer.ok(), Some(want), "{bad}: job {i}");
                }
            }
        }
    }

    #[test]
    fn a_failing_batch_is_bisected_not_rerun_text_by_text() {
        let mut texts: Vec<String> = (0..64).map(|i| format!("text {i:02}")).collect();
        texts[37] = "text poison".into();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let jobs_texts: Vec<&[&str]> = refs.chunks(1).collect();
        let (jobs, answers) = jobs(&jobs_texts);
        let mut fake = Fake::default();
        run(&mut fake, jobs, 64);
        let failed: Vec<usize> = answers
            .into_iter()
            .map(answered)
            .enumerate()
            .filter(|(_, a)| a.is_err())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(failed, [37]);
        // One batch, then two halves per level down to the text: 1 + 2·6.
        assert!(fake.runs <= 13, "{} runs", fake.runs);
    }

    #[tokio::test]
    async fn a_worker_survives_a_text_that_panics() {
        let config = PoolConfig {
            workers: 1,
            max_batch: 8,
            queue: 16,
        };
        let pool =
            InferencePool::spawn(vec![Fake::default()], config).unwrap_or_else(|e| panic!("{e}"));
        let bad = pool.score(vec!["ok".into(), "panic".into()]).await;
        assert!(matches!(bad, Err(ModerationError::Inference(_))), "{bad:?}");
        let good = pool.score(vec!["still here".into()]).await;
        assert_eq!(good.ok(), Some(vec![fake_score("still here")]));
    }

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
