//! One keyword compiled into a regex over skeletons (see `normalize`).
//!
//! Word boundaries are checked in code rather than with `\b`: a Unicode `\b`
//! makes the regex crate's lazy DFA give up on any non-ASCII haystack and
//! fall back to a much slower engine, and an ASCII `\b` is wrong for
//! non-Latin keywords.

use regex::Regex;
use unicode_normalization::char::is_combining_mark;

/// Separator characters a multi-word keyword may be split by in the text
/// (whitespace is already collapsed to one space in skeletons). Must agree
/// with [`is_gap_char`].
const GAP_CLASS: &str =
    r"[\x20-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E\u{A0}-\u{BF}\u{2010}-\u{205E}\u{3000}-\u{3003}]{1,4}";

fn is_gap_char(c: char) -> bool {
    matches!(
        c,
        '\u{20}'..='\u{2F}'
            | '\u{3A}'..='\u{40}'
            | '\u{5B}'..='\u{60}'
            | '\u{7B}'..='\u{7E}'
            | '\u{A0}'..='\u{BF}'
            | '\u{2010}'..='\u{205E}'
            | '\u{3000}'..='\u{3003}'
    )
}

/// Letters, digits and marks: what a keyword boundary must not touch.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// A compiled keyword.
#[derive(Debug, Clone)]
pub(crate) struct Keyword {
    /// The keyword as configured.
    pub(crate) source: String,
    regex: Regex,
    /// Whether the keyword starts/ends with a word character, i.e. whether a
    /// word boundary is required on that side.
    bounded_start: bool,
    bounded_end: bool,
}

impl Keyword {
    pub(crate) fn new(source: String, folded: &str, regex: Regex) -> Self {
        Self {
            source,
            bounded_start: folded.chars().next().is_some_and(is_word_char),
            bounded_end: folded.chars().next_back().is_some_and(is_word_char),
            regex,
        }
    }

    /// Calls `on_match` with the skeleton byte range of each whole-word
    /// occurrence, at most `limit` times. A candidate failing the boundary
    /// check restarts the search one character later, so the cost per
    /// position is bounded by the (length-limited) keyword.
    pub(crate) fn find_in(
        &self,
        skeleton: &str,
        soft_boundary: impl Fn(usize) -> bool,
        limit: usize,
        mut on_match: impl FnMut(usize, usize),
    ) {
        let mut at = 0;
        let mut found = 0;
        while found < limit {
            let Some(m) = self.regex.find_at(skeleton, at) else {
                break;
            };
            let (s, e) = (m.start(), m.end());
            let whole_word =
                (!self.bounded_start || soft_boundary(s) || separated_before(skeleton, s))
                    && (!self.bounded_end || soft_boundary(e) || separated_after(skeleton, e));
            if whole_word && !m.is_empty() {
                on_match(m.start(), m.end());
                found += 1;
                at = m.end();
            } else {
                at = m.start()
                    + skeleton
                        .get(m.start()..)
                        .and_then(|s| s.chars().next())
                        .map_or(1, char::len_utf8);
            }
            if at > skeleton.len() {
                break;
            }
        }
    }
}

/// A `*` counts as part of a word only when it masks a letter ("f*ck"), not
/// when it is emphasis ("*scam*").
fn separated_before(s: &str, at: usize) -> bool {
    let mut prev = s.get(..at).unwrap_or("").chars().rev();
    match prev.next() {
        None => true,
        Some('*') => !prev.next().is_some_and(is_word_char),
        Some(c) => !is_word_char(c),
    }
}

fn separated_after(s: &str, at: usize) -> bool {
    let mut next = s.get(at..).unwrap_or("").chars();
    match next.next() {
        None => true,
        Some('*') => !next.next().is_some_and(is_word_char),
        Some(c) => !is_word_char(c),
    }
}

/// How many leading atoms (letter runs, gaps, literals) of each keyword go
/// into the combined prefilter set. A prefix pattern matches wherever the
/// full one does, so the set stays a correct filter while its size no longer
/// grows with keyword length.
pub(crate) const PREFILTER_ATOMS: usize = 12;

/// Regex source for a folded keyword, as a list of atoms to concatenate.
///
/// * A letter run of length 1 matches a run of 1 or 3+ in the skeleton, a
///   run of 2 matches 2 or 3+ (skeleton runs are capped at 3).
/// * An interior letter run of a word of 3+ characters may be masked by `*`.
/// * Separators between words match any short run of separators.
pub(crate) fn keyword_atoms(folded: &str) -> Vec<String> {
    let chars: Vec<char> = folded.chars().collect();
    let mut atoms = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let word = is_word_char(chars[i]);
        let mut j = i;
        while j < chars.len() && is_word_char(chars[j]) == word {
            j += 1;
        }
        let segment = &chars[i..j];
        if word {
            push_word(&mut atoms, segment);
        } else if i > 0 && j < chars.len() && segment.iter().all(|c| is_gap_char(*c)) {
            atoms.push(GAP_CLASS.to_owned());
        } else {
            atoms.extend(segment.iter().map(|c| literal(*c)));
        }
        i = j;
    }
    atoms
}

fn push_word(atoms: &mut Vec<String>, word: &[char]) {
    let maskable = word.len() >= 3;
    let mut i = 0;
    while i < word.len() {
        let c = word[i];
        let mut j = i;
        while j < word.len() && word[j] == c {
            j += 1;
        }
        let run = j - i;
        if !c.is_alphabetic() {
            atoms.push(literal(c).repeat(run));
        } else if maskable && i > 0 && j < word.len() {
            let mask = if run == 1 {
                String::from(r"\*")
            } else {
                format!(r"\*{{1,{}}}", run.min(3))
            };
            atoms.push(format!("(?:{}|{mask})", letter_run(c, run)));
        } else {
            atoms.push(letter_run(c, run));
        }
        i = j;
    }
}

fn letter_run(c: char, run: usize) -> String {
    let lit = literal(c);
    match run {
        1 => format!("{lit}(?:{lit}{lit})?"),
        2 => format!("{lit}{lit}{lit}?"),
        _ => format!("{lit}{lit}{lit}"),
    }
}

fn literal(c: char) -> String {
    regex::escape(c.encode_utf8(&mut [0; 4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyword(folded: &str) -> Keyword {
        let regex = Regex::new(&keyword_atoms(folded).concat()).unwrap();
        Keyword::new(folded.to_owned(), folded, regex)
    }

    fn matches(folded: &str, skeleton: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        keyword(folded).find_in(skeleton, |_| false, 100, |s, e| out.push((s, e)));
        out
    }

    #[test]
    fn repeat_semantics() {
        assert_eq!(matches("so", "sooo"), vec![(0, 4)]);
        assert_eq!(matches("so", "soo"), vec![]);
        assert_eq!(matches("good", "gooo"), vec![]);
        assert_eq!(matches("good", "goood"), vec![(0, 5)]);
        assert_eq!(matches("good", "god"), vec![]);
        assert_eq!(matches("scam", "scaaam"), vec![(0, 6)]);
    }

    #[test]
    fn masked_letters() {
        assert_eq!(matches("fuck", "f*ck"), vec![(0, 4)]);
        assert_eq!(matches("fuck", "*uck"), vec![]);
        assert_eq!(matches("scam", "*scam*"), vec![(1, 5)]);
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(matches("scam", "scampi mascot scams"), vec![]);
        assert_eq!(matches("scam", "scamscam scam"), vec![(9, 13)]);
        assert_eq!(matches("scam", "x_scam_y"), vec![(2, 6)]);
    }

    #[test]
    fn multi_word_gap() {
        assert_eq!(matches("pay outside", "pay - outside"), vec![(0, 13)]);
        assert_eq!(matches("pay outside", "payoutside"), vec![]);
    }

    #[test]
    fn symbols_at_edges_are_literal() {
        assert_eq!(matches("c++", "i like c++ a lot"), vec![(7, 10)]);
    }
}
