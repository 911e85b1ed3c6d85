//! The moderation service a server embeds: analyse texts, decide with the
//! tenant's rules, and record decisions with the content they are about.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;
use warden_tenancy::{Actor, Db, TenantId};

use crate::ModerationError;
use crate::analysis::Analysis;
use crate::content::ContentType;
use crate::inference::{InferencePool, PoolConfig};
use crate::models::{ModelPaths, SharedModelData};
use crate::results;
use crate::rules::{Decision, RuleSet, store};
use crate::subjectivity::Lexicon;
use crate::text::{NormalizedText, detect, find_entities_in};
use crate::violation_requests::ViolationSink;

/// Most texts one `analyze` call takes.
pub const MAX_TEXTS: usize = 64;
/// Longest text analysed, in characters (the longest content field is 10,000).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// How long a tenant's compiled rules are reused before being read again;
/// changes made through this replica take effect at once.
const RULES_TTL: Duration = Duration::from_secs(5);

/// An analysed text and the decision about it.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// What the analyzers found.
    pub analysis: Analysis,
    /// What the rules decided.
    pub decision: Decision,
}

/// Analyzers, models and rule cache; cheap to clone.
#[derive(Clone)]
pub struct Moderator {
    pool: InferencePool,
    lexicon: Arc<Lexicon>,
    rules: moka::future::Cache<TenantId, Arc<RuleSet>>,
}

impl Moderator {
    /// Verifies and loads every model and starts the inference pool. Fails,
    /// naming the file, when a model is missing or is not the recorded one.
    pub fn start(paths: ModelPaths, pool: PoolConfig) -> Result<Self, ModerationError> {
        let lexicon_path = paths.committed("textblob_en_sentiment.tsv");
        // Checksums first, so that a missing or altered file is named as such.
        let data = SharedModelData::load(paths)?;
        let lexicon = Lexicon::load(&lexicon_path)?;
        Ok(Self {
            pool: InferencePool::start(data, pool)?,
            lexicon: Arc::new(lexicon),
            rules: moka::future::Cache::builder()
                .time_to_live(RULES_TTL)
                .max_capacity(10_000)
                .build(),
        })
    }

    /// The inference pool (for benchmarks).
    pub fn pool(&self) -> &InferencePool {
        &self.pool
    }

    /// Analyses texts (models run off the executor, in one pool job).
    pub async fn analyze(&self, texts: Vec<String>) -> Result<Vec<Analysis>, ModerationError> {
        if texts.len() > MAX_TEXTS {
            return Err(ModerationError::invalid(format!(
                "at most {MAX_TEXTS} texts per request"
            )));
        }
        if let Some(i) = texts
            .iter()
            .position(|t| t.chars().count() > MAX_TEXT_CHARS)
        {
            return Err(ModerationError::invalid(format!(
                "text {i} is longer than {MAX_TEXT_CHARS} characters"
            )));
        }
        // Every analyzer reads the analysis text: invisible characters
        // stripped, overrides in reading order, look-alikes folded.
        let normalized: Vec<NormalizedText> =
            texts.iter().map(|t| NormalizedText::new(t)).collect();
        let clean = normalized
            .iter()
            .map(|n| n.analysis_text().to_owned())
            .collect();
        let scores = self.pool.score(clean).await?;
        Ok(normalized
            .into_iter()
            .zip(scores)
            .map(|(text, s)| {
                let subjectivity = self.lexicon.subjectivity(text.analysis_text());
                let language = detect(text.analysis_text());
                let entities = find_entities_in(&text);
                Analysis::new(&s, subjectivity, language, entities, text)
            })
            .collect())
    }

    /// The tenant's compiled rules, from the cache or the database.
    pub async fn rules(&self, db: &Db, tenant: TenantId) -> Result<Arc<RuleSet>, ModerationError> {
        if let Some(rules) = self.rules.get(&tenant).await {
            return Ok(rules);
        }
        let rules = Arc::new(store::load_rule_set(db, tenant).await?);
        self.rules.insert(tenant, Arc::clone(&rules)).await;
        Ok(rules)
    }

    /// Forgets a tenant's cached rules after a change.
    pub async fn forget_rules(&self, tenant: TenantId) {
        self.rules.invalidate(&tenant).await;
    }

    /// Creates a filter rule ([`store::create`]) and forgets the tenant's
    /// cached rules, so the next decision uses it.
    pub async fn create_rule(
        &self,
        db: &Db,
        actor: &Actor,
        body: crate::rules::RuleBody,
    ) -> Result<crate::rules::Rule, ModerationError> {
        let rule = store::create(db, actor, body).await?;
        self.forget_rules(actor.tenant).await;
        Ok(rule)
    }

    /// Replaces a filter rule ([`store::replace`]) and forgets the tenant's cached rules.
    pub async fn replace_rule(
        &self,
        db: &Db,
        actor: &Actor,
        id: Uuid,
        body: crate::rules::RuleBody,
    ) -> Result<crate::rules::Rule, ModerationError> {
        let rule = store::replace(db, actor, id, body).await?;
        self.forget_rules(actor.tenant).await;
        Ok(rule)
    }

    /// Deletes a filter rule ([`store::delete`]) and forgets the tenant's cached rules.
    pub async fn delete_rule(
        &self,
        db: &Db,
        actor: &Actor,
        id: Uuid,
    ) -> Result<(), ModerationError> {
        store::delete(db, actor, id).await?;
        self.forget_rules(actor.tenant).await;
        Ok(())
    }

    /// Analyses texts and decides about each as `content_type` content.
    pub async fn judge(
        &self,
        db: &Db,
        tenant: TenantId,
        content_type: ContentType,
        texts: Vec<String>,
    ) -> Result<Vec<Verdict>, ModerationError> {
        let rules = self.rules(db, tenant).await?;
        self.judge_with(&rules, content_type, texts).await
    }

    /// Analyses texts and decides about each with the given rules.
    async fn judge_with(
        &self,
        rules: &RuleSet,
        content_type: ContentType,
        texts: Vec<String>,
    ) -> Result<Vec<Verdict>, ModerationError> {
        let analyses = self.analyze(texts).await?;
        Ok(analyses
            .into_iter()
            .map(|analysis| Verdict {
                decision: rules.decide(content_type, &analysis),
                analysis,
            })
            .collect())
    }

    /// [`Moderator::screen`] with rules already in hand (inside a transaction,
    /// where fetching them could wait on the pool the transaction holds).
    pub async fn screen_with(
        &self,
        rules: &RuleSet,
        content_type: ContentType,
        text: String,
    ) -> Result<Verdict, ModerationError> {
        let verdict = self
            .judge_with(rules, content_type, vec![text])
            .await?
            .pop()
            .ok_or(ModerationError::Unavailable)?;
        if verdict.decision.applied() == crate::rules::Action::Reject {
            return Err(rejected(verdict));
        }
        Ok(verdict)
    }

    /// Judges the text of one piece of content `author` is about to write
    /// (`content_id` when it exists already); a rejection becomes
    /// [`ModerationError::Rejected`] so nothing is written, and is recorded
    /// with its evidence and a violation against the author, given to
    /// `violations` before this returns (see [`results::record_rejection`]).
    pub async fn screen(
        &self,
        db: &Db,
        author: &Actor,
        content_type: ContentType,
        content_id: Option<Uuid>,
        text: String,
        violations: &dyn ViolationSink,
    ) -> Result<Verdict, ModerationError> {
        let rules = self.rules(db, author.tenant).await?;
        let verdict = self
            .judge_with(&rules, content_type, vec![text])
            .await?
            .pop()
            .ok_or(ModerationError::Unavailable)?;
        if verdict.decision.applied() == crate::rules::Action::Reject {
            if let Err(e) = results::record_rejection(
                db,
                author,
                content_type,
                content_id,
                &verdict,
                violations,
            )
            .await
            {
                // The author still gets the rejection; the record is what is lost.
                tracing::error!(error = %e, "rejected content could not be recorded");
            }
            return Err(rejected(verdict));
        }
        Ok(verdict)
    }
}

fn rejected(verdict: Verdict) -> ModerationError {
    ModerationError::Rejected {
        reasons: verdict.decision.reasons(),
        decision: Box::new(verdict.decision),
    }
}

/// Checks the body of an analyze request: exactly one of `text` and `texts`,
/// 1 to [`MAX_TEXTS`] texts, each free of the control characters writes
/// refuse (see [`crate::input`]). Returns the texts and whether one was sent
/// alone.
pub fn analyze_input(
    text: Option<String>,
    texts: Option<Vec<String>>,
) -> Result<(Vec<String>, bool), ModerationError> {
    let (texts, single) = analyze_shape(text, texts)?;
    for (i, t) in texts.iter().enumerate() {
        let field = if single {
            "text".to_owned()
        } else {
            format!("texts[{i}]")
        };
        crate::input::check_controls(&field, t).map_err(ModerationError::invalid)?;
    }
    Ok((texts, single))
}

fn analyze_shape(
    text: Option<String>,
    texts: Option<Vec<String>>,
) -> Result<(Vec<String>, bool), ModerationError> {
    match (text, texts) {
        (Some(t), None) => Ok((vec![t], true)),
        (None, Some(ts)) if ts.is_empty() => Err(ModerationError::invalid(
            "texts must hold at least one text",
        )),
        (None, Some(ts)) if ts.len() > MAX_TEXTS => Err(ModerationError::invalid(format!(
            "texts holds {} texts; at most {MAX_TEXTS} per request",
            ts.len()
        ))),
        (None, Some(ts)) => Ok((ts, false)),
        (Some(_), Some(_)) => Err(ModerationError::invalid(
            "give either text or texts, not both",
        )),
        (None, None) => Err(ModerationError::invalid("give text or texts")),
    }
}

impl Moderator {
    /// [`Moderator::judge`] for an API caller: any member of the tenant may
    /// preview how content would be judged (nothing is stored); the content
    /// type defaults to `message`.
    pub async fn judge_for(
        &self,
        db: &Db,
        actor: &warden_tenancy::Actor,
        content_type: Option<ContentType>,
        texts: Vec<String>,
    ) -> Result<Vec<Verdict>, ModerationError> {
        self.judge(
            db,
            actor.tenant,
            content_type.unwrap_or(ContentType::Message),
            texts,
        )
        .await
    }
}
