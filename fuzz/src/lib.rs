//! Helpers shared by the fuzz targets: a poller for futures that never wait,
//! input splitting, and structured activity events built from fuzz bytes.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use arbitrary::Unstructured;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};

/// Runs a future that completes without waiting (the in-memory window store
/// never blocks). A `Pending` would be a bug in that promise, so it panics.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("an in-memory evaluation returned Pending"),
    }
}

/// Splits fuzz input at NUL bytes into at most `n` parts (the last one keeps
/// any further NULs), each decoded as UTF-8 with invalid bytes replaced, so
/// that seeds stay writable by hand: `printf 'a\0b\0c'`.
pub fn split_parts(data: &[u8], n: usize) -> Vec<String> {
    data.splitn(n, |b| *b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

/// A small vocabulary, so generated events collide with generated
/// conditions often enough to reach the interesting branches.
const WORDS: &[&str] = &[
    "",
    "auth_failure",
    "login",
    "admin",
    "GET",
    "/api/v1/login",
    "10.0.0.1",
    "bob",
    "products",
    "42",
    "a",
    "x.y",
];

/// A short string: mostly from [`WORDS`], sometimes arbitrary.
pub fn word(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    if u.ratio(3, 4)? {
        Ok((*u.choose(WORDS)?).to_owned())
    } else {
        let s: String = u.arbitrary()?;
        Ok(s.chars().take(40).collect())
    }
}

fn opt_word(u: &mut Unstructured<'_>) -> arbitrary::Result<Option<String>> {
    if u.arbitrary()? {
        Ok(Some(word(u)?))
    } else {
        Ok(None)
    }
}

/// A number that is usually small and sometimes extreme.
pub fn number(u: &mut Unstructured<'_>) -> arbitrary::Result<f64> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => f64::from(u.int_in_range(-3..=3i32)?),
        1 => f64::from(u.arbitrary::<i32>()?),
        2 => f64::from(u.arbitrary::<f32>()?),
        3 => u.arbitrary::<f64>()?,
        4 => f64::from(u.int_in_range(400..=404i32)?),
        _ => u.arbitrary::<i64>()? as f64,
    })
}

/// An arbitrary JSON value, nested at most `depth` levels.
pub fn json(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    let pick = if depth == 0 {
        u.int_in_range(0..=3u8)?
    } else {
        u.int_in_range(0..=5u8)?
    };
    Ok(match pick {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => serde_json::Number::from_f64(number(u)?).map_or(Value::Null, Value::Number),
        3 => Value::String(word(u)?),
        4 => {
            let n = u.int_in_range(0..=4usize)?;
            let mut xs = Vec::with_capacity(n);
            for _ in 0..n {
                xs.push(json(u, depth - 1)?);
            }
            Value::Array(xs)
        }
        _ => Value::Object(object(u, depth - 1)?),
    })
}

/// An arbitrary JSON object.
pub fn object(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Map<String, Value>> {
    let n = u.int_in_range(0..=4usize)?;
    let mut m = Map::new();
    for _ in 0..n {
        m.insert(word(u)?, json(u, depth)?);
    }
    Ok(m)
}

/// An event time: mostly close to a fixed instant (so windows fill up),
/// sometimes anywhere chrono can represent.
pub fn time(u: &mut Unstructured<'_>, base_ms: i64) -> arbitrary::Result<DateTime<Utc>> {
    let ms = match u.int_in_range(0..=5u8)? {
        0 | 1 => base_ms + i64::from(u.int_in_range(-5_000..=120_000i32)?),
        2 => base_ms + i64::from(u.arbitrary::<i32>()?),
        // The very first and last instants chrono can represent.
        3 => DateTime::<Utc>::MIN_UTC.timestamp_millis() + i64::from(u.arbitrary::<u16>()?),
        4 => DateTime::<Utc>::MAX_UTC.timestamp_millis() - i64::from(u.arbitrary::<u16>()?),
        _ => u.arbitrary::<i64>()?,
    };
    Ok(DateTime::from_timestamp_millis(ms)
        .or_else(|| DateTime::from_timestamp_millis(ms % 8_000_000_000_000_000))
        .unwrap_or(DateTime::UNIX_EPOCH))
}

/// A structured activity event.
pub fn event(u: &mut Unstructured<'_>, base_ms: i64) -> arbitrary::Result<ActivityEvent> {
    let kind = if u.arbitrary()? {
        Some(*u.choose(&Kind::ALL)?)
    } else {
        None
    };
    let roles = (0..u.int_in_range(0..=3usize)?)
        .map(|_| word(u))
        .collect::<arbitrary::Result<Vec<_>>>()?;
    let small = |u: &mut Unstructured<'_>| -> arbitrary::Result<Option<i64>> {
        Ok(match u.int_in_range(0..=2u8)? {
            0 => None,
            1 => Some(i64::from(u.int_in_range(0..=5_000i32)?)),
            _ => Some(u.arbitrary()?),
        })
    };
    Ok(ActivityEvent {
        id: Uuid::from_u128(u.arbitrary()?),
        occurred_at: time(u, base_ms)?,
        tenant: None,
        claimed_tenant: None,
        request_id: opt_word(u)?,
        actor_id: if u.arbitrary()? {
            Some(Uuid::from_u128(u.int_in_range(0..=3u128)?))
        } else {
            None
        },
        actor_subject: opt_word(u)?,
        actor_roles: roles,
        kind,
        action: word(u)?,
        method: opt_word(u)?,
        route: opt_word(u)?,
        path: opt_word(u)?,
        status: if u.arbitrary()? {
            Some(u.arbitrary()?)
        } else {
            None
        },
        latency_us: small(u)?,
        bytes_in: small(u)?,
        bytes_out: small(u)?,
        client_ip: opt_word(u)?,
        user_agent: opt_word(u)?,
        resource_type: opt_word(u)?,
        resource_id: opt_word(u)?,
        metadata: Value::Object(object(u, 3)?),
    })
}

/// A plain model of one sliding window, as `warden_behavior::windows`
/// documents it: a reading at `at` covers `(at - window, at]`; a member
/// (event id, or distinct value) counts once, stamped with its latest time;
/// members at or before `at - window` are forgotten for good. Written for
/// clarity, not speed, to check the real stores against.
#[derive(Default)]
pub struct WindowModel {
    members: std::collections::HashMap<String, (i64, f64)>,
}

impl WindowModel {
    /// Adds `member` and returns `(aggregate, sum of |value| in range)`; the
    /// second bounds the rounding error a correct sum may have.
    pub fn add(
        &mut self,
        at: i64,
        window_ms: i64,
        kind: warden_behavior::AggregateKind,
        member: &str,
        value: f64,
    ) -> (f64, f64) {
        match self.members.get(member) {
            Some(&(ts, _)) if ts >= at => {}
            _ => {
                self.members.insert(member.to_owned(), (at, value));
            }
        }
        let lo = at.saturating_sub(window_ms);
        self.members.retain(|_, (ts, _)| *ts > lo);
        let mut in_range: Vec<(i64, f64)> = self
            .members
            .values()
            .copied()
            .filter(|(ts, _)| *ts <= at)
            .collect();
        in_range.sort_by_key(|(ts, _)| *ts);
        let magnitude = in_range.iter().map(|(_, v)| v.abs()).sum();
        let value = match kind {
            warden_behavior::AggregateKind::Sum => in_range.iter().map(|(_, v)| v).sum(),
            _ => in_range.len() as f64,
        };
        (value, magnitude)
    }
}

/// Whether a window sum `got` agrees with the model's `want`, allowing for
/// rounding relative to the magnitude of the values summed.
pub fn sums_agree(got: f64, want: f64, magnitude: f64) -> bool {
    if !want.is_finite() || !magnitude.is_finite() {
        // Overflowing sums have no exact answer to compare with.
        return true;
    }
    (got - want).abs() <= 1e-9 * (1.0 + magnitude)
}
