//! NFKC-normalised copy of a text that remembers where every byte came from.

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// NFKC form of an original text plus a byte map back into the original.
#[derive(Debug, Clone)]
pub(crate) struct NfkcView {
    text: String,
    /// Original byte range for every byte of `text`; empty when the original
    /// was already NFKC (identity mapping, the common case).
    origin: Vec<(usize, usize)>,
}

impl NfkcView {
    /// Normalises `original` chunk by chunk. A chunk is a starter followed by
    /// its combining characters, which is where NFKC composition happens, so
    /// normalising chunks independently gives the whole-string result except
    /// for the rare starter+starter compositions outside Hangul (handled here
    /// by keeping conjoining jamo with their leading consonant). Working per
    /// chunk is what lets every output byte point at its source.
    pub(crate) fn new(original: &str) -> Self {
        if is_nfkc_quick(original.chars()) == IsNormalized::Yes {
            return Self {
                text: original.to_owned(),
                origin: Vec::new(),
            };
        }
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        let mut chunk_start = 0;
        for (i, c) in original.char_indices() {
            if i > chunk_start && starts_chunk(c) {
                push_chunk(original, chunk_start, i, &mut text, &mut origin);
                chunk_start = i;
            }
        }
        if chunk_start < original.len() {
            push_chunk(
                original,
                chunk_start,
                original.len(),
                &mut text,
                &mut origin,
            );
        }
        Self { text, origin }
    }

    /// The normalised text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Maps a byte range of [`Self::text`] to the original range it covers.
    pub(crate) fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        if self.origin.is_empty() {
            return (start, end);
        }
        span_from_map(
            &self.origin,
            start,
            end,
            self.origin.last().map_or(0, |l| l.1),
        )
    }
}

fn starts_chunk(c: char) -> bool {
    // Conjoining Hangul vowels/finals compose with the preceding consonant.
    canonical_combining_class(c) == 0 && !('\u{1160}'..='\u{11FF}').contains(&c)
}

fn push_chunk(
    original: &str,
    start: usize,
    end: usize,
    text: &mut String,
    origin: &mut Vec<(usize, usize)>,
) {
    let Some(chunk) = original.get(start..end) else {
        return;
    };
    let before = text.len();
    text.extend(chunk.nfkc());
    origin.resize(origin.len() + (text.len() - before), (start, end));
}

/// Shared span lookup for byte maps: `map[i]` is the original range of byte
/// `i`. Out-of-range or empty requests collapse to a point. The result covers
/// every byte's range, so it stays right where the map is not monotonic
/// (text shown reversed by a bidi override is analysed in reading order).
pub(crate) fn span_from_map(
    map: &[(usize, usize)],
    start: usize,
    end: usize,
    original_len: usize,
) -> (usize, usize) {
    let point = |i: usize| map.get(i).map_or(original_len, |r| r.0);
    let end = end.min(map.len());
    if start >= end {
        let p = point(start);
        return (p, p);
    }
    map[start..end]
        .iter()
        .fold((usize::MAX, 0), |(s, e), r| (s.min(r.0), e.max(r.1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn already_normal_text_is_identity() {
        let view = NfkcView::new("plain text é");
        assert_eq!(view.text(), "plain text é");
        assert_eq!(view.original_span(0, 5), (0, 5));
    }

    #[test]
    fn fullwidth_maps_back_to_original_bytes() {
        let original = "x ｓｃａｍ y";
        let view = NfkcView::new(original);
        assert_eq!(view.text(), "x scam y");
        let (s, e) = view.original_span(2, 6);
        assert_eq!(&original[s..e], "ｓｃａｍ");
    }

    #[test]
    fn combining_sequences_compose() {
        let original = "cafe\u{301}!";
        let view = NfkcView::new(original);
        assert_eq!(view.text(), "café!");
        let (s, e) = view.original_span(3, 5);
        assert_eq!(&original[s..e], "e\u{301}");
    }

    #[test]
    fn hangul_jamo_compose_into_syllables() {
        let original = "\u{1100}\u{1161}";
        let view = NfkcView::new(original);
        assert_eq!(view.text(), "가");
        assert_eq!(view.original_span(0, 3), (0, 6));
    }
}
