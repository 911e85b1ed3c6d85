//! The moderation pattern analyzer: a tenant's keyword and regex lists are
//! validated and compiled (`PatternSet::compile`), then matched against an
//! arbitrary text (`PatternSet::find`).
//!
//! Input: `keywords \0 regexes \0 text`, one keyword or regex per line, so
//! seeds are easy to write by hand.
//!
//! Checks, besides "no panic, no hang, no unbounded memory":
//! - matches are sorted, deduplicated, in bounds, on char boundaries, carry
//!   the original text of their span, and at most `MAX_MATCHES_PER_PATTERN`
//!   per pattern;
//! - a keyword matches a text that is exactly that keyword (unless it has
//!   a run of five or more separators, which keywords never match).

#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_fuzz::split_parts;
use warden_moderation::text::patterns::MAX_MATCHES_PER_PATTERN;
use warden_moderation::text::{NormalizedText, PatternKind, PatternSet, fold};

/// Compiling is the slow part; a few patterns reach every code path.
const MAX_PATTERNS: usize = 8;

fn lines(s: &str) -> Vec<String> {
    s.lines().take(MAX_PATTERNS).map(str::to_owned).collect()
}

fuzz_target!(|data: &[u8]| {
    let parts = split_parts(data, 3);
    let [keywords, regexes, text] = [0, 1, 2].map(|i| parts.get(i).cloned().unwrap_or_default());
    let keywords = lines(&keywords);
    let regexes = lines(&regexes);
    let Ok(set) = PatternSet::compile(&keywords, &regexes) else {
        return;
    };

    let normalized = NormalizedText::new(&text);
    let found = set.find(&normalized);
    let mut per_pattern = std::collections::HashMap::new();
    for pair in found.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            (a.start, a.end, a.kind, &a.pattern) <= (b.start, b.end, b.kind, &b.pattern),
            "unsorted: {a:?} {b:?}"
        );
        assert_ne!(a, b, "duplicate match");
    }
    for m in &found {
        assert!(m.start <= m.end && m.end <= text.len(), "{m:?}");
        assert!(
            text.is_char_boundary(m.start) && text.is_char_boundary(m.end),
            "{m:?}"
        );
        assert_eq!(m.matched, text[m.start..m.end], "{m:?}");
        let n = per_pattern
            .entry((m.kind, m.pattern.clone()))
            .or_insert(0usize);
        *n += 1;
        assert!(
            *n <= MAX_MATCHES_PER_PATTERN,
            "too many matches of {:?}",
            m.pattern
        );
    }

    // A keyword is found in a text that is just that keyword (reported
    // under the first spelling that folds the same).
    for keyword in &keywords {
        let folded = fold(keyword.trim());
        // Known limit, by design: separators between the words of a keyword
        // match runs of at most four (`GAP_CLASS` in keyword.rs).
        if folded
            .chars()
            .collect::<Vec<_>>()
            .windows(5)
            .any(|w| w.iter().all(|c| !c.is_alphanumeric()))
        {
            continue;
        }
        let alone = set.find(&NormalizedText::new(keyword));
        assert!(
            alone.iter().any(|m| m.kind == PatternKind::Keyword
                && fold(m.pattern.trim()).trim() == folded.trim()),
            "keyword {keyword:?} does not match itself: {alone:?}"
        );
    }
});
