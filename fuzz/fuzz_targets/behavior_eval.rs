//! Structured behaviour patterns over structured events: conditions, windows
//! and cooldowns are generated to be mostly valid (fields and operators from
//! the real vocabulary, operands of fitting types, regexes from fragments),
//! so that most inputs get past validation and reach evaluation.
//!
//! Checks, besides "no panic, no overflow, no hang":
//! - validation errors name a JSON path of the pattern;
//! - `{"not": c}` matches exactly the events `c` does not;
//! - the engine fires exactly when a plain model of its documented rules
//!   says it should (window aggregate strictly above the threshold, outside
//!   the group's cooldown), with the same group, aggregate and actor.

#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use uuid::Uuid;
use warden_behavior::fields::FIELD_NAMES;
use warden_behavior::operators::BUILTIN_NAMES;
use warden_behavior::{
    AggregateKind, BehaviorError, Condition, Engine, GroupBy, MemoryWindows, Operators, PatternBody,
};
use warden_fuzz::{WindowModel, block_on, event, json as any_json, number, sums_agree, word};
use warden_tenancy::TenantId;

const BASE_MS: i64 = 1_700_000_000_000;

const REGEX_PARTS: &[&str] = &[
    "^",
    "$",
    "a",
    "b",
    ".",
    ".*",
    "[0-9]+",
    "(login|token)",
    "\\d{2,}",
    "|",
    "(?i)ADMIN",
    "\\.",
    "[^/]",
    "x?",
    "\\b",
    "(",
    ")",
    "{2}",
    "\\p{L}",
    "🙂",
];

fn field(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    Ok(match u.int_in_range(0..=5u8)? {
        0..=2 => (*u.choose(&FIELD_NAMES)?).to_owned(),
        3 | 4 => {
            let n = u.int_in_range(0..=4usize)?;
            let mut path = String::from("metadata");
            for _ in 0..n {
                path.push('.');
                if u.arbitrary()? {
                    path.push_str(&u.int_in_range(0..=3u8)?.to_string());
                } else {
                    path.push_str(&word(u)?);
                }
            }
            path
        }
        _ => word(u)?,
    })
}

fn scalar(u: &mut Unstructured<'_>) -> arbitrary::Result<Value> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => json!(word(u)?),
        1 => serde_json::Number::from_f64(number(u)?).map_or(Value::Null, Value::Number),
        2 => json!(u.arbitrary::<bool>()?),
        _ => json!(*u.choose(&[
            "security",
            "auth",
            "api_call",
            "00000000-0000-0000-0000-000000000001"
        ])?),
    })
}

fn regex(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    if u.ratio(1, 8)? {
        return u.arbitrary();
    }
    let n = u.int_in_range(1..=4usize)?;
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(u.choose(REGEX_PARTS)?);
    }
    Ok(s)
}

fn comparison(u: &mut Unstructured<'_>) -> arbitrary::Result<Value> {
    let op = if u.ratio(15, 16)? {
        (*u.choose(&BUILTIN_NAMES)?).to_owned()
    } else {
        word(u)?
    };
    let value = match op.as_str() {
        "gt" | "lt" | "gte" | "lte" if u.ratio(7, 8)? => {
            serde_json::Number::from_f64(number(u)?).map_or(Value::Null, Value::Number)
        }
        "in" if u.ratio(7, 8)? => {
            let n = u.int_in_range(0..=12usize)?;
            Value::Array((0..n).map(|_| scalar(u)).collect::<Result<_, _>>()?)
        }
        "regex" if u.ratio(7, 8)? => json!(regex(u)?),
        "eq" | "ne" if u.ratio(1, 4)? => any_json(u, 2)?,
        _ => scalar(u)?,
    };
    Ok(json!({"field": field(u)?, "op": op, "value": value}))
}

fn condition(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    let pick = if depth == 0 {
        0
    } else {
        u.int_in_range(0..=4u8)?
    };
    Ok(match pick {
        0 | 1 => comparison(u)?,
        2 | 3 => {
            let n = u.int_in_range(0..=4usize)?;
            let xs: Vec<Value> = (0..n)
                .map(|_| condition(u, depth - 1))
                .collect::<Result<_, _>>()?;
            if pick == 2 {
                json!({"all": xs})
            } else {
                json!({"any": xs})
            }
        }
        _ => json!({"not": condition(u, depth - 1)?}),
    })
}

fn window(u: &mut Unstructured<'_>) -> arbitrary::Result<Value> {
    let mut w = serde_json::Map::new();
    let length = match u.int_in_range(0..=3u8)? {
        0 => u64::from(u.int_in_range(0..=300u16)?),
        1 => u64::from(u.int_in_range(0..=3u8)?),
        _ => u.arbitrary()?,
    };
    let unit = *u.choose(&["seconds", "seconds", "minutes", "hours"])?;
    w.insert(unit.into(), json!(length));
    if u.ratio(1, 16)? {
        w.insert("minutes".into(), json!(1));
    }
    w.insert(
        "per".into(),
        json!(*u.choose(&["actor", "ip", "resource"])?),
    );
    let aggregate = match u.int_in_range(0..=2u8)? {
        0 => json!("count"),
        1 => json!({"sum": {"field": field(u)?}}),
        _ => json!({"distinct_count": {"field": field(u)?}}),
    };
    w.insert("aggregate".into(), aggregate);
    let above = match u.int_in_range(0..=2u8)? {
        0 => f64::from(u.int_in_range(0..=5u8)?),
        _ => number(u)?,
    };
    w.insert(
        "above".into(),
        serde_json::Number::from_f64(above).map_or(json!(0), Value::Number),
    );
    Ok(Value::Object(w))
}

fn pattern(u: &mut Unstructured<'_>) -> arbitrary::Result<Value> {
    let mut p = json!({
        "name": "fuzz",
        "condition": condition(u, 4)?,
        "severity": *u.choose(&["low", "medium", "high", "critical"])?,
        "mode": *u.choose(&["shadow", "live"])?,
        "cooldown_seconds": match u.int_in_range(0..=3u8)? {
            0 | 1 => 0,
            2 => u64::from(u.int_in_range(1..=120u8)?),
            _ => u.arbitrary::<u64>()?,
        },
    });
    if u.ratio(2, 3)? {
        p["window"] = window(u)?;
    }
    Ok(p)
}

const PATHS: &[&str] = &[
    "name",
    "description",
    "cooldown_seconds",
    "condition",
    "window",
];

fn run(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let definition = pattern(u)?;
    let ops = Operators::builtin();
    let Ok(body) = serde_json::from_value::<PatternBody>(definition) else {
        return Ok(());
    };
    let compiled = match body.compile(&ops) {
        Ok(c) => Arc::new(c),
        Err(BehaviorError::Invalid(m)) => {
            assert!(
                PATHS.iter().any(|p| m.starts_with(p)),
                "an error without a path: {m}"
            );
            return Ok(());
        }
        Err(e) => panic!("compiling fails with {e:?}"),
    };
    let negated = Condition::Not {
        not: Box::new(body.condition.clone()),
    }
    .compile(&ops, "condition")
    .ok();

    let n = u.int_in_range(0..=24usize)?;
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        let mut e = event(u, BASE_MS)?;
        // Ids repeat now and then: the same event delivered twice.
        if !events.is_empty() && u.ratio(1, 8)? {
            let prev: &warden_audit::ActivityEvent = u.choose(&events)?;
            e.id = prev.id;
        }
        events.push(e);
    }

    let id = Uuid::from_u128(7);
    let engine = Engine::new([(id, compiled.clone())]);
    let tenant = TenantId::new(Uuid::nil());
    let store = MemoryWindows::new();
    let mut windows: HashMap<String, WindowModel> = HashMap::new();
    let mut cooldowns: HashMap<String, i64> = HashMap::new();
    for e in &events {
        let matched = compiled.matches(e);
        assert_eq!(
            matched,
            compiled.matches(e),
            "evaluation is not deterministic"
        );
        if let Some(not) = &negated {
            assert_eq!(not.matches(e), !matched, "not c disagrees with c");
        }
        let firings = block_on(engine.evaluate(tenant, e, &store)).expect("memory never fails");
        assert!(firings.len() <= 1);
        let fired = firings.first();

        // What the documented rules say.
        let at = e.occurred_at.timestamp_millis();
        let mut want: Option<(String, f64)> = None;
        if matched {
            match compiled.window() {
                None => want = Some((compiled.group_key(e).unwrap_or_else(|| "*".into()), 1.0)),
                Some(w) => {
                    if let (Some(group), Some((member, value))) =
                        (w.per().key(e), w.aggregate_input(e))
                    {
                        let model = windows.entry(group.clone()).or_default();
                        let (agg, magnitude) =
                            model.add(at, w.length_ms(), w.aggregate_kind(), &member, value);
                        let got = fired.map(|f| f.observed);
                        if w.aggregate_kind() == AggregateKind::Sum {
                            // Rounding may move a sum across the threshold:
                            // only compare where both sides are clear.
                            if let Some(got) = got {
                                assert!(
                                    sums_agree(got, agg, magnitude),
                                    "window sum {got}, model {agg} (magnitude {magnitude})"
                                );
                            }
                            let margin = 1e-9 * (1.0 + magnitude);
                            if (agg - w.above()).abs() <= margin {
                                return Ok(());
                            }
                        }
                        if agg > w.above() {
                            want = Some((group, agg));
                        }
                    }
                }
            }
        }
        let cooldown = compiled.cooldown_ms();
        if let Some((group, _)) = &want
            && cooldown > 0
        {
            let until = cooldowns.entry(group.clone()).or_insert(i64::MIN);
            if *until > at {
                want = None;
            } else {
                *until = at.saturating_add(cooldown);
            }
        }
        match (fired, &want) {
            (None, None) => {}
            (Some(f), Some((group, agg))) => {
                assert_eq!(&f.group_key, group);
                if let Some(w) = compiled.window() {
                    if w.aggregate_kind() != AggregateKind::Sum {
                        assert_eq!(f.observed, *agg);
                    }
                    assert_eq!(f.threshold, Some(w.above()));
                    let named = if w.per() == GroupBy::Actor {
                        e.actor_id
                    } else {
                        None
                    };
                    assert_eq!(f.actor_id, named);
                } else {
                    assert_eq!(f.actor_id, e.actor_id);
                }
                assert_eq!(f.event_ids.first(), Some(&e.id));
                assert!((0.5..=1.0).contains(&f.confidence));
            }
            (f, w) => panic!("engine fired {f:?}, model says {w:?} for {e:?}"),
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
