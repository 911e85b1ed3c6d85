//! Keys of an external identity provider, fetched from its JWKS URL, cached,
//! and fetched again when a token names a key id not seen yet.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use tokio::sync::RwLock;

/// Least time between two fetches, so tokens with made-up key ids cannot make
/// the server hammer the identity provider.
const MIN_REFETCH: Duration = Duration::from_secs(10);
/// Keys are refreshed at least this often even when every kid is known.
const MAX_AGE: Duration = Duration::from_secs(3600);

struct Cached {
    keys: HashMap<String, Arc<(DecodingKey, jsonwebtoken::Algorithm)>>,
    fetched_at: Option<Instant>,
}

/// A cached JWKS.
pub(crate) struct Jwks {
    url: String,
    client: reqwest::Client,
    cache: RwLock<Cached>,
}

impl Jwks {
    pub(crate) fn new(url: String) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            url,
            client,
            cache: RwLock::new(Cached {
                keys: HashMap::new(),
                fetched_at: None,
            }),
        })
    }

    /// The key with id `kid`, fetching the set when the kid is unknown or the set is old.
    pub(crate) async fn key(
        &self,
        kid: &str,
    ) -> Option<Arc<(DecodingKey, jsonwebtoken::Algorithm)>> {
        {
            let cache = self.cache.read().await;
            let fresh = cache.fetched_at.is_some_and(|t| t.elapsed() < MAX_AGE);
            if fresh && let Some(k) = cache.keys.get(kid) {
                return Some(k.clone());
            }
        }
        let mut cache = self.cache.write().await;
        let may_fetch = cache.fetched_at.is_none_or(|t| t.elapsed() >= MIN_REFETCH);
        if may_fetch {
            match self.fetch().await {
                Ok(keys) => {
                    cache.keys = keys;
                    cache.fetched_at = Some(Instant::now());
                }
                Err(e) => tracing::warn!(url = %self.url, error = %e, "fetching JWKS failed"),
            }
        }
        cache.keys.get(kid).cloned()
    }

    async fn fetch(
        &self,
    ) -> Result<HashMap<String, Arc<(DecodingKey, jsonwebtoken::Algorithm)>>, String> {
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Some(alg)) = (jwk.common.key_id.clone(), jwk_alg(jwk)) else {
                continue;
            };
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                keys.insert(kid, Arc::new((key, alg)));
            }
        }
        Ok(keys)
    }
}

/// The algorithm a key is for: its `alg`, or the one its type implies.
fn jwk_alg(jwk: &jsonwebtoken::jwk::Jwk) -> Option<jsonwebtoken::Algorithm> {
    use jsonwebtoken::Algorithm;
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, KeyAlgorithm};
    match jwk.common.key_algorithm {
        Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
        Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
        Some(_) => None,
        None => match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                Some(Algorithm::ES256)
            }
            _ => None,
        },
    }
}
