//! Evasion-resistant normalisation: the one place where text is prepared
//! for rules and models.
//!
//! [`NormalizedText`] holds three forms of a text, each with a byte map back
//! to the original so every span is reported against the text as given:
//!
//! * the **analysis text** ([`NormalizedText::analysis_text`], built in
//!   `cleaned`): invisible characters stripped, bidi overrides put in reading
//!   order, look-alike letters folded. The models, the language detector,
//!   entity extraction and the subjectivity lexicon read it;
//! * its **NFKC form**, which regex rules match;
//! * the **skeleton**, built from the analysis text, which keyword rules
//!   match.
//!
//! The skeleton is built in four linear passes over the characters of the
//! analysis text, each keeping, for every output character, the byte range
//! it came from:
//!
//! 1. **Fold** each character: compatibility decomposition (NFKD, which also
//!    undoes fullwidth and mathematical letters), drop diacritics and
//!    invisible characters, map look-alike letters to ASCII, lowercase, and
//!    collapse whitespace runs to one space. NFKD rather than NFKC because the
//!    diacritics are stripped anyway; keywords go through the same fold, so
//!    both sides are always compared in the same form.
//! 2. **Join spelled-out words**: three or more single letters separated by
//!    one to three separator characters ("s c a m", "f.u.c.k", "s_c_a_m")
//!    become one word.
//! 3. **Leetspeak**: `0 1 3 4 5 7 8 9 @ $ ! |` become letters only when they
//!    touch a letter, so "100 dollars" and "$20" keep their digits, and a
//!    trailing "!!!" stays punctuation.
//! 4. **Cap repeats**: runs of the same letter longer than three are cut to
//!    three. Three letters in the skeleton therefore mean "three or more";
//!    keyword patterns let a single letter match a run of one or 3+, and a
//!    double letter match two or 3+ ("sooo" matches "so", "goood" matches
//!    "good", but "good" does not match "god").
//!
//! A `*` between letters is left in the skeleton: keyword patterns accept it
//! in place of an interior letter ("f*ck").

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

use super::cleaned::Cleaned;
use super::confusables::{confusable, expansion, is_letter_separator, is_strippable_mark, leet};
use super::invisible::is_invisible;
use super::nfkc_view::{NfkcView, span_from_map};
use std::sync::OnceLock;

/// Longest run of one letter kept in the skeleton.
const MAX_REPEAT: usize = 3;
/// Fewest single letters that count as a spelled-out word.
const MIN_SPELLED_LETTERS: usize = 3;
/// Most separator characters allowed between spelled-out letters.
const MAX_SPELLED_GAP: usize = 3;

/// One skeleton character and the original byte range it stands for.
#[derive(Debug, Clone, Copy)]
struct Unit {
    ch: char,
    start: usize,
    end: usize,
    /// A word boundary may be assumed before this unit although it follows a
    /// letter (see [`join_spelled_out`]).
    soft_boundary: bool,
}

impl Unit {
    fn new(ch: char, start: usize, end: usize) -> Self {
        Self {
            ch,
            start,
            end,
            soft_boundary: false,
        }
    }
}

/// A text together with its analysis text, its matching skeleton and the
/// byte maps back to the original.
#[derive(Debug, Clone)]
pub struct NormalizedText {
    original: String,
    cleaned: Cleaned,
    skeleton: String,
    /// Original byte range for every byte of `skeleton`.
    origin: Vec<(usize, usize)>,
    /// Sorted skeleton offsets inside joined spelled-out words where a word
    /// boundary may be assumed.
    soft_boundaries: Vec<usize>,
    /// NFKC form of the analysis text, built on first use: only regex
    /// patterns need it.
    nfkc: OnceLock<NfkcView>,
}

impl NormalizedText {
    /// Normalises `original`. Linear in its length; the skeleton is at most a
    /// small constant factor longer (NFKD expansions of ligatures).
    pub fn new(original: &str) -> Self {
        let cleaned = Cleaned::new(original);
        let units = skeleton_units(cleaned.text());
        let mut skeleton = String::with_capacity(units.len());
        let mut origin = Vec::with_capacity(units.len());
        let mut soft_boundaries = Vec::new();
        for unit in &units {
            if unit.soft_boundary {
                soft_boundaries.push(skeleton.len());
            }
            skeleton.push(unit.ch);
            let span = cleaned.original_span(unit.start, unit.end);
            origin.resize(origin.len() + unit.ch.len_utf8(), span);
        }
        Self {
            original: original.to_owned(),
            cleaned,
            skeleton,
            origin,
            soft_boundaries,
            nfkc: OnceLock::new(),
        }
    }

    /// The normalised form used for keyword matching.
    pub fn skeleton(&self) -> &str {
        &self.skeleton
    }

    /// The text as given.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// What the models and the other analyzers read: the original with
    /// invisible characters stripped, bidi overrides put in reading order
    /// and look-alike letters folded to ASCII (see the module docs).
    pub fn analysis_text(&self) -> &str {
        self.cleaned.text()
    }

    /// Maps the byte range `start..end` of [`Self::analysis_text`] to the
    /// original byte range it came from.
    pub fn analysis_span(&self, start: usize, end: usize) -> (usize, usize) {
        self.cleaned.original_span(start, end)
    }

    /// Maps the skeleton byte range `skeleton_start..skeleton_end` to the
    /// original byte range it was produced from. The result always lies on
    /// char boundaries of the original and covers every original character
    /// that contributed (including dropped marks and joined separators
    /// inside the range). An empty range maps to an empty range.
    pub fn original_span(&self, skeleton_start: usize, skeleton_end: usize) -> (usize, usize) {
        span_from_map(
            &self.origin,
            skeleton_start,
            skeleton_end,
            self.original.len(),
        )
    }

    /// Whether a keyword may start or end at `skeleton_offset` even though
    /// letters touch there: true just after the first and just before the
    /// last letter of a joined spelled-out word, so "a s c a m" (article
    /// followed by a spelled word) still yields "scam".
    pub(crate) fn is_soft_boundary(&self, skeleton_offset: usize) -> bool {
        self.soft_boundaries.binary_search(&skeleton_offset).is_ok()
    }

    /// NFKC form of the analysis text, for regex patterns.
    pub(crate) fn nfkc(&self) -> &str {
        self.nfkc_view().text()
    }

    /// Maps a byte range of [`Self::nfkc`] to the original byte range.
    pub(crate) fn nfkc_span(&self, start: usize, end: usize) -> (usize, usize) {
        let (s, e) = self.nfkc_view().original_span(start, end);
        self.cleaned.original_span(s, e)
    }

    fn nfkc_view(&self) -> &NfkcView {
        self.nfkc.get_or_init(|| NfkcView::new(self.cleaned.text()))
    }
}

/// The skeleton of `s` without the byte map: use it to bring keywords into
/// the same space as [`NormalizedText::skeleton`] (through the same
/// stripping and folding).
pub fn fold(s: &str) -> String {
    skeleton_units(Cleaned::new(s).text())
        .into_iter()
        .map(|u| u.ch)
        .collect()
}

fn skeleton_units(original: &str) -> Vec<Unit> {
    let units = fold_chars(original);
    let mut units = join_spelled_out(&units);
    apply_leet(&mut units);
    cap_repeats(units)
}

/// Pass 1: per-character folding.
fn fold_chars(original: &str) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::with_capacity(original.len());
    for (start, c) in original.char_indices() {
        let end = start + c.len_utf8();
        if is_invisible(c) {
            continue;
        }
        if is_strippable_mark(c) {
            // A mark belongs to the preceding letter: widen that letter's span
            // so a match never cuts a grapheme in half.
            if let Some(last) = units.last_mut() {
                last.end = end;
            }
            continue;
        }
        let mut emit = |ch: char| {
            if ch.is_whitespace() {
                if let Some(last) = units.last_mut().filter(|l| l.ch == ' ') {
                    last.end = end;
                    return;
                }
                units.push(Unit::new(' ', start, end));
            } else {
                units.push(Unit::new(ch, start, end));
            }
        };
        if ('\u{AC00}'..='\u{D7A3}').contains(&c) {
            // Hangul syllables would decompose into jamo; keep them whole.
            emit(c);
        } else {
            decompose_compatible(c, |d| fold_char(d, &mut emit));
        }
    }
    units
}

fn fold_char(d: char, emit: &mut impl FnMut(char)) {
    if is_invisible(d) || is_strippable_mark(d) {
        return;
    }
    if let Some(ascii) = confusable(d) {
        emit(ascii);
        return;
    }
    for lower in d.to_lowercase() {
        if is_strippable_mark(lower) {
            continue;
        }
        if let Some(ascii) = confusable(lower) {
            emit(ascii);
        } else if let Some(expanded) = expansion(lower) {
            expanded.chars().for_each(&mut *emit);
        } else {
            emit(lower);
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Letters and leet digits can be spelled-out letters; leet symbols cannot,
/// they double as separators ("s|c|a|m").
fn is_spelled_letter(c: char) -> bool {
    c.is_alphabetic() || (c.is_ascii_digit() && leet(c).is_some())
}

/// Pass 2: join "s c a m" style chains into one word.
fn join_spelled_out(units: &[Unit]) -> Vec<Unit> {
    let n = units.len();
    let single = |i: usize| {
        is_spelled_letter(units[i].ch)
            && (i == 0 || !is_word_char(units[i - 1].ch))
            && (i + 1 >= n || !is_word_char(units[i + 1].ch))
    };
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        if !single(i) {
            out.push(units[i]);
            i += 1;
            continue;
        }
        let mut last = i;
        let mut letters = 1;
        let mut alphabetic = usize::from(units[i].ch.is_alphabetic());
        loop {
            let mut next = last + 1;
            while next < n && next - last <= MAX_SPELLED_GAP && is_letter_separator(units[next].ch)
            {
                next += 1;
            }
            if next == last + 1 || next >= n || !single(next) {
                break;
            }
            letters += 1;
            alphabetic += usize::from(units[next].ch.is_alphabetic());
            last = next;
        }
        // Two real letters at least, so "1 2 3" or "at 5 p" stay as they are.
        if letters >= MIN_SPELLED_LETTERS && alphabetic >= 2 {
            let mut position = 0;
            for unit in &units[i..=last] {
                if is_spelled_letter(unit.ch) {
                    position += 1;
                    out.push(Unit {
                        ch: leet(unit.ch).unwrap_or(unit.ch),
                        soft_boundary: position == 2 || position == letters,
                        ..*unit
                    });
                }
            }
        } else {
            // Any chain starting inside this one is shorter: skip past it.
            out.extend_from_slice(&units[i..=last]);
        }
        i = last + 1;
    }
    out
}

/// Pass 3: leetspeak next to letters.
fn apply_leet(units: &mut [Unit]) {
    let n = units.len();
    let mut i = 0;
    while i < n {
        if leet(units[i].ch).is_none() {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && leet(units[j].ch).is_some() {
            j += 1;
        }
        let before = i > 0 && units[i - 1].ch.is_alphabetic();
        let after = j < n && units[j].ch.is_alphabetic();
        for unit in &mut units[i..j] {
            // A run followed by a letter is inside a word ("5c4m", "$cam").
            // A run only preceded by one converts its digits ("h3ll0") but
            // not symbols, so "idiot!!!" keeps its exclamation marks.
            let convert = after || (before && unit.ch.is_ascii_digit());
            if !convert {
                break;
            }
            unit.ch = leet(unit.ch).unwrap_or(unit.ch);
        }
        i = j;
    }
}

/// Pass 4: cap letter runs at [`MAX_REPEAT`], widening the last kept letter
/// over the dropped ones.
fn cap_repeats(units: Vec<Unit>) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::with_capacity(units.len());
    let mut run = 0;
    for unit in units {
        match out.last_mut() {
            Some(last) if unit.ch.is_alphabetic() && last.ch == unit.ch => {
                run += 1;
                if run > MAX_REPEAT {
                    last.end = unit.end;
                    continue;
                }
            }
            _ => run = 1,
        }
        out.push(unit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_of<'a>(text: &'a NormalizedText, needle: &str) -> &'a str {
        let at = text.skeleton().find(needle).expect("needle in skeleton");
        let (s, e) = text.original_span(at, at + needle.len());
        &text.original()[s..e]
    }

    #[test]
    fn evasions_fold_to_plain_word() {
        for (input, expected) in [
            ("SCAM", "scam"),
            ("s c a m", "scam"),
            ("s.c.a.m", "scam"),
            ("s-c-a-m", "scam"),
            ("s_c_a_m", "scam"),
            ("f*u*c*k", "fuck"),
            ("s|c|a|m", "scam"),
            ("5c4m", "scam"),
            ("5 c 4 m", "scam"),
            ("sc@m", "scam"),
            ("$cam", "scam"),
            ("ЅСАМ", "scam"),
            ("ｓｃａｍ", "scam"),
            ("sc\u{200B}am", "scam"),
            ("s\u{00AD}cam", "scam"),
            ("scám", "scam"),
            ("s\u{0336}c\u{0336}a\u{0336}m\u{0336}", "scam"),
            ("𝐬𝐜𝐚𝐦", "scam"),
            ("idi0t", "idiot"),
            ("h3ll0", "hello"),
            ("straße", "strasse"),
        ] {
            assert_eq!(fold(input), expected, "{input:?}");
        }
    }

    #[test]
    fn hooked_letters_and_overrides_fold_to_the_word_read() {
        for (input, expected) in [
            ("ʂcam", "scam"),
            ("ɱoney", "money"),
            ("\u{202E}macs", "scam"),
            ("a \u{202E}macs\u{202C} b", "a scam b"),
            ("s\u{2066}c\u{2069}am", "scam"),
            ("\u{FEFF}s\u{061C}c\u{180E}a\u{2064}m", "scam"),
            ("s\u{FE0F}cam", "scam"),
        ] {
            assert_eq!(fold(input), expected, "{input:?}");
        }
    }

    #[test]
    fn analysis_text_is_stripped_and_folded_with_original_spans() {
        let original = "you \u{202E}toidi\u{202C} ʂcammer, pay by раураl";
        let text = NormalizedText::new(original);
        assert_eq!(text.analysis_text(), "you idiot scammer, pay by paypal");
        let (s, e) = text.analysis_span(4, 9);
        assert_eq!(&original[s..e], "toidi");
        assert_eq!(span_of(&text, "scammer"), "ʂcammer");
        assert_eq!(span_of(&text, "paypal"), "раураl");
        // Text with nothing to strip or fold is analysed as given.
        let plain = NormalizedText::new("héllo wörld");
        assert_eq!(plain.analysis_text(), "héllo wörld");
    }

    #[test]
    fn numbers_and_punctuation_are_kept() {
        assert_eq!(fold("100 dollars"), "100 dollars");
        assert_eq!(fold("$20 for 3 items"), "$20 for 3 items");
        assert_eq!(fold("IDIOT!!!"), "idiot!!!");
        assert_eq!(fold("well-known"), "well-known");
        assert_eq!(fold("a b"), "a b");
        assert_eq!(fold("1 2 3"), "1 2 3");
    }

    #[test]
    fn repeats_are_capped_at_three() {
        assert_eq!(fold("scaaaaaam"), "scaaam");
        assert_eq!(fold("sooo"), "sooo");
        assert_eq!(fold("good"), "good");
        assert_eq!(fold("!!!!!!"), "!!!!!!");
    }

    #[test]
    fn whitespace_runs_collapse() {
        assert_eq!(fold("pay \t\n  outside"), "pay outside");
        assert_eq!(fold("a\u{00A0}\u{3000}b"), "a b");
    }

    #[test]
    fn spans_point_at_original_bytes() {
        let text = NormalizedText::new("héllo ｓ.ｃ.ａ.ｍ wörld");
        assert_eq!(text.skeleton(), "hello scam world");
        assert_eq!(span_of(&text, "scam"), "ｓ.ｃ.ａ.ｍ");
        assert_eq!(span_of(&text, "hello"), "héllo");
        assert_eq!(span_of(&text, "world"), "wörld");
    }

    #[test]
    fn spans_cover_dropped_marks_and_repeats() {
        let text = NormalizedText::new("é sca\u{301}aaaaam\u{301}!");
        assert_eq!(text.skeleton(), "e scaaam!");
        assert_eq!(span_of(&text, "scaaam"), "sca\u{301}aaaaam\u{301}");
    }

    #[test]
    fn spans_are_on_char_boundaries() {
        let original = "日本 ЅСАМ 語 sc\u{200B}am ✓";
        let text = NormalizedText::new(original);
        let skeleton = text.skeleton();
        for start in 0..=skeleton.len() {
            for end in start..=skeleton.len() {
                let (s, e) = text.original_span(start, end);
                assert!(s <= e, "{start}..{end}");
                assert!(original.is_char_boundary(s) && original.is_char_boundary(e));
            }
        }
        assert_eq!(text.original_span(0, 0), (0, 0));
        assert_eq!(
            text.original_span(skeleton.len(), skeleton.len() + 5),
            (original.len(), original.len())
        );
    }

    #[test]
    fn spelled_words_allow_boundaries_after_first_and_before_last_letter() {
        let text = NormalizedText::new("a s c a m");
        assert_eq!(text.skeleton(), "ascam");
        let soft: Vec<usize> = (0..=5).filter(|i| text.is_soft_boundary(*i)).collect();
        assert_eq!(soft, [1, 4]);
        assert!(!NormalizedText::new("ascam").is_soft_boundary(1));
    }

    #[test]
    fn hangul_is_kept_whole() {
        assert_eq!(fold("한국어"), "한국어");
    }

    #[test]
    fn hostile_input_stays_linear_and_bounded() {
        let zalgo = format!("a{}", "\u{0301}".repeat(100_000));
        let text = NormalizedText::new(&zalgo);
        assert_eq!(text.skeleton(), "a");
        assert_eq!(text.original_span(0, 1), (0, zalgo.len()));

        let repeated = "a".repeat(200_000);
        assert_eq!(NormalizedText::new(&repeated).skeleton(), "aaa");

        let spelled = "a b ".repeat(50_000);
        assert_eq!(fold(&spelled).len(), 100_001);
    }
}
