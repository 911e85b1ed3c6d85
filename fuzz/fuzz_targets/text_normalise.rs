//! The moderation text pipeline that runs before any model or rule:
//! evasion-resistant normalisation (the skeleton and its byte map back to
//! the original), entity extraction, tokenisation and language detection,
//! on arbitrary text.
//!
//! Checks, besides "no panic, no hang":
//! - `fold(s)` is the skeleton of `NormalizedText::new(s)`;
//! - the skeleton stays within a constant factor of the input;
//! - every skeleton range maps to an original range on char boundaries;
//! - entities are sorted, non-overlapping, in bounds and at most
//!   `MAX_ENTITIES`; tokens are in bounds, in order, and lowercase.

#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_moderation::text::entities::MAX_ENTITIES;
use warden_moderation::text::{NormalizedText, detect, find_entities, fold, tokens};

/// Largest growth of one input byte in the skeleton: the longest NFKD
/// expansion (U+FDFA, 3 bytes, becomes 18 letters and spaces) is about 11×.
const MAX_GROWTH: usize = 16;

fn check_span(original: &str, (s, e): (usize, usize)) {
    assert!(
        s <= e && e <= original.len(),
        "span {s}..{e} of {}",
        original.len()
    );
    assert!(
        original.is_char_boundary(s) && original.is_char_boundary(e),
        "span {s}..{e} cuts a character"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let normalized = NormalizedText::new(text);
    let skeleton = normalized.skeleton();
    assert_eq!(normalized.original(), text);
    assert_eq!(fold(text), skeleton);
    assert!(
        skeleton.len() <= MAX_GROWTH * text.len() + 4,
        "skeleton of {} bytes from {} bytes",
        skeleton.len(),
        text.len()
    );
    // Each skeleton character, then each prefix and suffix, and a few
    // ranges that do not fall on skeleton character boundaries.
    let bounds: Vec<usize> = skeleton
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(skeleton.len()))
        .collect();
    for pair in bounds.windows(2) {
        check_span(text, normalized.original_span(pair[0], pair[1]));
    }
    for &b in bounds.iter().step_by(7) {
        check_span(text, normalized.original_span(0, b));
        check_span(text, normalized.original_span(b, skeleton.len()));
        check_span(text, normalized.original_span(b + 1, b + 2));
    }
    check_span(text, normalized.original_span(skeleton.len(), usize::MAX));

    let entities = find_entities(text);
    assert!(entities.len() <= MAX_ENTITIES);
    let mut last_end = 0;
    for e in &entities {
        check_span(text, (e.start, e.end));
        assert!(e.start < e.end, "empty entity {e:?}");
        assert!(
            e.start >= last_end,
            "entities overlap or are unsorted: {entities:?}"
        );
        last_end = e.end;
    }

    let mut last_end = 0;
    for t in tokens(text) {
        check_span(text, (t.start, t.end));
        assert!(t.start >= last_end && t.start < t.end, "{t:?}");
        assert_eq!(t.text, text[t.start..t.end].to_lowercase());
        last_end = t.end;
    }

    let language = detect(text);
    assert!((0.0..=1.0).contains(&language.confidence), "{language:?}");
});
