//! The in-memory window store against a plain model of its documented
//! semantics (see `WindowModel`): adds in and out of event-time order,
//! repeated members, several keys and window lengths, extreme values, and
//! cooldowns. Times and lengths stay in the engine's domain: event times
//! chrono can represent, windows of 1 second to 7 days.

#![no_main]

use std::collections::HashMap;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use warden_behavior::windows::RECENT_MEMBERS;
use warden_behavior::{AggregateKind, MemoryWindows, WindowStore};
use warden_fuzz::{WindowModel, block_on, number, sums_agree};

/// Event times chrono can represent, in milliseconds.
const MAX_MS: i64 = 8_210_266_876_799_999;
const MIN_MS: i64 = -8_334_601_228_800_000;
const MAX_WINDOW_MS: i64 = 7 * 24 * 3_600_000;

fn run(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let store = MemoryWindows::new();
    let kinds = [
        AggregateKind::Count,
        AggregateKind::Sum,
        AggregateKind::DistinctCount,
    ];
    let mut models: HashMap<String, (WindowModel, AggregateKind, i64)> = HashMap::new();
    let mut cooldowns: HashMap<String, i64> = HashMap::new();
    let mut now: i64 = u.int_in_range(MIN_MS..=MAX_MS)?;
    for _ in 0..u.int_in_range(0..=64u32)? {
        // Mostly forwards in small steps, sometimes back, sometimes far.
        now = match u.int_in_range(0..=7u8)? {
            0..=4 => now.saturating_add(i64::from(u.int_in_range(0..=5_000u16)?)),
            5 => now.saturating_sub(i64::from(u.int_in_range(0..=5_000u16)?)),
            6 => now.saturating_add(i64::from(u.arbitrary::<i32>()?)),
            _ => u.int_in_range(MIN_MS..=MAX_MS)?,
        }
        .clamp(MIN_MS, MAX_MS);
        let key = format!("k{}", u.int_in_range(0..=2u8)?);
        if u.ratio(1, 5)? {
            let cooldown = i64::from(u.int_in_range(1..=10_000u16)?);
            let started = block_on(store.try_start_cooldown(&key, now, cooldown))
                .expect("memory never fails");
            let until = cooldowns.entry(key).or_insert(i64::MIN);
            let want = *until <= now;
            if want {
                *until = now.saturating_add(cooldown);
            }
            assert_eq!(started, want, "cooldown at {now}");
            continue;
        }
        // One key keeps one kind and length, as one pattern's window does.
        let (model, kind, window_ms) = match models.entry(key.clone()) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let kind = *u.choose(&kinds)?;
                let window_ms = if u.arbitrary()? {
                    i64::from(u.int_in_range(1..=10u8)?) * 1000
                } else {
                    u.int_in_range(1000..=MAX_WINDOW_MS)?
                };
                v.insert((WindowModel::default(), kind, window_ms))
            }
        };
        let member = format!("m{}", u.int_in_range(0..=12u8)?);
        let value = match kind {
            AggregateKind::Sum => number(u)?,
            _ => 1.0,
        };
        let reading = block_on(store.add(&key, now, *window_ms, *kind, &member, value))
            .expect("memory never fails");
        let (want, magnitude) = model.add(now, *window_ms, *kind, &member, value);
        assert!(reading.recent.len() <= RECENT_MEMBERS);
        match kind {
            AggregateKind::Sum => assert!(
                sums_agree(reading.value, want, magnitude),
                "{key} at {now}: sum {} but the model says {want} (magnitude {magnitude})",
                reading.value
            ),
            _ => assert_eq!(reading.value, want, "{key} at {now}: {kind:?}"),
        }
        if *kind != AggregateKind::Sum {
            // Newest first, up to the cap: as many as the window counts.
            assert_eq!(reading.recent.len() as f64, want.min(RECENT_MEMBERS as f64));
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
