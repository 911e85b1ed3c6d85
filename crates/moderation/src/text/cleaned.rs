//! The analysis text: what the models, the language detector, entity
//! extraction and regex rules read, and what the keyword skeleton is built
//! from. It is the original with
//!
//! * every invisible character removed ([`is_invisible`]: zero-width
//!   characters, bidi controls, the BOM, soft hyphens, variation selectors),
//!   after putting text under a bidi override in the order it is read (see
//!   [`reading_order`]), so "s\u{200B}cam" and "\u{202E}macs" (shown as
//!   "scam") reach the analyzers as the word the reader sees;
//! * look-alike letters folded to ASCII: styled letters with a compatibility
//!   form ("𝐬𝐜𝐚𝐦", "ｓｃａｍ") and Latin letters with hooks or strokes that
//!   no language spells with ("ʂcam") always; look-alikes from other scripts
//!   (Cyrillic, Greek, …) inside a word with ASCII letters ("pаypal") always,
//!   and in a word made only of look-alikes ("ЅСАМ") when the text is
//!   otherwise Latin, so real Russian or Greek prose reaches the models and
//!   the language detector as written.
//!
//! Accented letters ("é", "ş", "ł") are kept: regex authors write them, and
//! the keyword skeleton drops their marks anyway. Every byte remembers the
//! original byte range it came from, so spans found here are reported
//! against the original text.

use unicode_normalization::char::{decompose_canonical, decompose_compatible, is_combining_mark};

use super::confusables::{confusable, is_orthographic_latin};
use super::invisible::is_invisible;
use super::nfkc_view::span_from_map;
use super::reading_order::reading_order;

/// The analysis text of one original and the byte map back to it.
#[derive(Debug, Clone)]
pub(crate) struct Cleaned {
    text: String,
    /// Original byte range for every byte of `text`; empty when `text` is
    /// the original unchanged (identity, the common case).
    origin: Vec<(usize, usize)>,
    original_len: usize,
}

/// How one character is folded.
enum Fold {
    /// Kept as it is.
    Keep,
    /// A styled or hooked Latin letter: always folded.
    Always(String),
    /// A look-alike from another script (Cyrillic, Greek…): folded
    /// depending on its word and the text around it.
    Script(char),
}

impl Cleaned {
    /// Builds the analysis text of `original`. Linear in its length.
    pub(crate) fn new(original: &str) -> Self {
        let identity = || Self {
            text: original.to_owned(),
            origin: Vec::new(),
            original_len: original.len(),
        };
        if original.is_ascii() {
            return identity();
        }
        let visible: Vec<(usize, char, Fold)> = reading_order(original)
            .into_iter()
            .filter(|&(_, c)| !is_invisible(c))
            .map(|(at, c)| (at, c, fold_of(c)))
            .collect();
        let dropped = visible.len() != original.chars().count();
        if !dropped && visible.iter().all(|(_, _, f)| matches!(f, Fold::Keep)) {
            return identity();
        }
        let whole_words = whole_words_fold(&visible);

        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        let mut push = |s: &str, at: usize, c: char| {
            text.push_str(s);
            origin.resize(origin.len() + s.len(), (at, at + c.len_utf8()));
        };
        let mut i = 0;
        while i < visible.len() {
            let (at, c, _) = &visible[i];
            if !is_word_char(*c) {
                push(c.encode_utf8(&mut [0; 4]), *at, *c);
                i += 1;
                continue;
            }
            let end = visible[i..]
                .iter()
                .position(|(_, c, _)| !is_word_char(*c))
                .map_or(visible.len(), |n| i + n);
            let word = &visible[i..end];
            let has_ascii = word.iter().any(|(_, c, _)| c.is_ascii_alphabetic());
            let all_lookalikes = word
                .iter()
                .all(|(_, c, f)| !c.is_alphabetic() || !matches!(f, Fold::Keep));
            let fold_script = has_ascii || (all_lookalikes && whole_words);
            for (at, c, fold) in word {
                match fold {
                    Fold::Always(ascii) => push(ascii, *at, *c),
                    Fold::Script(ascii) if fold_script => {
                        push(ascii.encode_utf8(&mut [0; 4]), *at, *c);
                    }
                    _ => push(c.encode_utf8(&mut [0; 4]), *at, *c),
                }
            }
            i = end;
        }
        Self {
            text,
            origin,
            original_len: original.len(),
        }
    }

    /// The analysis text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Maps the byte range `start..end` of [`Self::text`] to the original
    /// byte range it came from (on char boundaries of the original).
    pub(crate) fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        if self.origin.is_empty() {
            return (start.min(self.original_len), end.min(self.original_len));
        }
        span_from_map(&self.origin, start, end, self.original_len)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Whether words made only of Cyrillic or Greek look-alikes are folded: when
/// the text is mostly ASCII letters, or has no letter that is neither ASCII
/// nor a look-alike (nothing in it is written in another script for real).
fn whole_words_fold(visible: &[(usize, char, Fold)]) -> bool {
    let mut ascii = 0usize;
    let mut other = 0usize;
    let mut unfoldable = 0usize;
    for (_, c, fold) in visible {
        if c.is_ascii_alphabetic() {
            ascii += 1;
        } else if c.is_alphabetic() {
            other += 1;
            if matches!(fold, Fold::Keep) {
                unfoldable += 1;
            }
        }
    }
    ascii >= other || unfoldable == 0
}

fn fold_of(c: char) -> Fold {
    if c.is_ascii() || !c.is_alphabetic() {
        return Fold::Keep;
    }
    let mut compatible = String::new();
    decompose_compatible(c, |d| compatible.push(d));
    let mut canonical = String::new();
    decompose_canonical(c, |d| canonical.push(d));
    if compatible != canonical {
        // A styled form ("𝐬", "ｓ", "ⓢ", "ﬁ"): fold when it is plain letters.
        return if compatible.chars().all(|d| d.is_ascii_alphabetic()) {
            Fold::Always(compatible)
        } else {
            Fold::Keep
        };
    }
    if canonical.chars().count() > 1 || is_orthographic_latin(c) {
        // An accented letter, or a letter of a European alphabet.
        return Fold::Keep;
    }
    match confusable(c) {
        Some(ascii) if is_latin_variant(c) => Fold::Always(ascii.to_string()),
        Some(ascii) => Fold::Script(ascii),
        None => Fold::Keep,
    }
}

/// Blocks of Latin letter variants and letter-like symbols (hooked, stroked,
/// turned, small-capital, enclosed letters): not the alphabet of any text
/// written for real, so always a look-alike. Look-alikes from other scripts
/// (Cyrillic, Greek, Cherokee…) depend on the words around them.
fn is_latin_variant(c: char) -> bool {
    matches!(
        c,
        '\u{0180}'..='\u{02FF}'       // Latin Extended-B, IPA, modifier letters
            | '\u{1D00}'..='\u{1DBF}' // phonetic extensions
            | '\u{1E00}'..='\u{1EFF}' // Latin Extended Additional
            | '\u{2100}'..='\u{214F}' // letterlike symbols
            | '\u{2460}'..='\u{24FF}' // enclosed alphanumerics
            | '\u{2C60}'..='\u{2C7F}' // Latin Extended-C
            | '\u{A720}'..='\u{A7FF}' // Latin Extended-D
            | '\u{AB30}'..='\u{AB6F}' // Latin Extended-E
            | '\u{1F100}'..='\u{1F1FF}' // enclosed alphanumeric supplement
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> String {
        Cleaned::new(s).text().to_owned()
    }

    #[test]
    fn invisible_characters_are_stripped() {
        assert_eq!(clean("s\u{200B}c\u{200C}a\u{200D}m"), "scam");
        assert_eq!(clean("\u{FEFF}scam\u{2060}"), "scam");
        assert_eq!(clean("sc\u{00AD}am"), "scam");
        assert_eq!(clean("a \u{202E}macs\u{202C} b"), "a scam b");
        assert_eq!(clean("\u{202E}macs"), "scam");
        assert_eq!(clean("\u{2066}x\u{2069}\u{061C}\u{180E}"), "x");
        assert_eq!(clean("❤\u{FE0F} ok"), "❤ ok");
    }

    #[test]
    fn lookalikes_fold_to_ascii() {
        assert_eq!(clean("ʂcam"), "scam");
        assert_eq!(clean("this is a ʂcam"), "this is a scam");
        assert_eq!(clean("𝐬𝐜𝐚𝐦"), "scam");
        assert_eq!(clean("ＦＲＥＥ coins"), "FREE coins");
        assert_eq!(clean("рaypal"), "paypal");
        assert_eq!(clean("this is a ЅСАМ"), "this is a scam");
        assert_eq!(clean("ЅСАМ"), "scam");
    }

    #[test]
    fn real_words_of_other_alphabets_are_kept() {
        for s in [
            "café crème brûlée",
            "Søren in Łódź, złoty",
            "Привет, как дела?",
            "Καλημέρα, τι κάνεις;",
            "日本語のテキスト",
            "مرحبا بالعالم",
            "नमस्ते दुनिया",
            "€20 or £20",
            "გამარჯობა მეგობარო",
            "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ",
        ] {
            assert_eq!(clean(s), s);
        }
    }

    #[test]
    fn spans_map_back_to_the_original() {
        let original = "é s\u{200B}c\u{2066}am ʂcam рay \u{202E}macs\u{202C}!";
        let cleaned = Cleaned::new(original);
        assert_eq!(cleaned.text(), "é scam scam pay scam!");
        let span = |needle: &str, nth: usize| {
            let at = cleaned.text().match_indices(needle).nth(nth).unwrap().0;
            let (s, e) = cleaned.original_span(at, at + needle.len());
            &original[s..e]
        };
        assert_eq!(span("scam", 0), "s\u{200B}c\u{2066}am");
        assert_eq!(span("scam", 1), "ʂcam");
        assert_eq!(span("scam", 2), "macs");
        assert_eq!(span("am", 2), "ma");
        assert_eq!(span("pay", 0), "рay");
        assert_eq!(span("é", 0), "é");
    }

    #[test]
    fn unchanged_text_is_identity() {
        let cleaned = Cleaned::new("plain é text");
        assert!(cleaned.origin.is_empty());
        assert_eq!(cleaned.original_span(2, 4), (2, 4));
    }
}
