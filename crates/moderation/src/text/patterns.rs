//! Keyword and regex patterns matched against a [`NormalizedText`].
//!
//! * **Keywords** are folded with [`fold`] and matched as whole words against
//!   the skeleton, so spelled-out, leetspeak, look-alike and padded variants
//!   are caught. Multi-word keywords match across any short run of
//!   separators ("pay outside" matches "pay - outside").
//! * **Regexes** run case-insensitively against the NFKC form of the
//!   analysis text (invisible characters stripped, look-alikes folded; see
//!   [`NormalizedText::analysis_text`]), not the skeleton. Regex authors
//!   write patterns for real text (digits, punctuation, exact spellings); the
//!   skeleton rewrites exactly those (digits become letters, separators
//!   vanish, repeats are capped), so a regex over it would behave
//!   unpredictably. NFKC still unifies fullwidth and other compatibility
//!   forms.

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::keyword::{Keyword, PREFILTER_ATOMS, keyword_atoms};
use super::normalize::{NormalizedText, fold};

/// Most keywords in one set.
pub const MAX_KEYWORDS: usize = 500;
/// Most regexes in one set.
pub const MAX_REGEXES: usize = 50;
/// Longest keyword or regex, in characters.
pub const MAX_PATTERN_CHARS: usize = 500;
/// Compiled-size limit for one regex, so a short pattern such as
/// `(a{1000}){1000}` is refused instead of exhausting memory.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Lazy-DFA cache limit for one regex.
pub const REGEX_DFA_SIZE_LIMIT: usize = 1 << 21;
/// Compiled-size limit for the combined keyword prefilter (up to
/// [`MAX_KEYWORDS`] keyword prefixes).
const KEYWORD_SET_SIZE_LIMIT: usize = 16 << 20;
/// Most matches reported per pattern, to bound output on hostile input.
pub const MAX_MATCHES_PER_PATTERN: usize = 1_000;

/// What kind of pattern produced a match.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PatternKind {
    /// A keyword, matched as a whole word on the normalised skeleton.
    Keyword,
    /// A regular expression, matched on the NFKC-normalised analysis text.
    Regex,
}

impl PatternKind {
    /// The snake_case name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Keyword => "keyword",
            Self::Regex => "regex",
        }
    }
}

impl std::fmt::Display for PatternKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a pattern set could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// A regex failed to parse or exceeded the compiled-size limits.
    #[error("regex #{index} is invalid: {message}")]
    InvalidRegex {
        /// Position of the regex in the input list.
        index: usize,
        /// The regex crate's error message.
        message: String,
    },
    /// More patterns of one kind than allowed.
    #[error("too many {kind} patterns: {count} (limit {limit})")]
    TooManyPatterns {
        /// Which list is too long.
        kind: PatternKind,
        /// How many were given.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// One pattern is longer than [`MAX_PATTERN_CHARS`].
    #[error("{kind} #{index} is too long: {length} characters (limit {limit})")]
    PatternTooLong {
        /// Which list the pattern is in.
        kind: PatternKind,
        /// Position of the pattern in its list.
        index: usize,
        /// Its length in characters.
        length: usize,
        /// The limit.
        limit: usize,
    },
    /// A keyword is empty or only whitespace / invisible characters.
    #[error("keyword #{index} is empty")]
    EmptyKeyword {
        /// Position of the keyword in the input list.
        index: usize,
    },
    /// The keywords together exceed the compiled-size limit.
    #[error("keyword set is too large to compile: {message}")]
    KeywordSetTooLarge {
        /// The regex crate's error message.
        message: String,
    },
}

/// One occurrence of a pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PatternMatch {
    /// Keyword or regex.
    pub kind: PatternKind,
    /// The keyword or regex as configured.
    pub pattern: String,
    /// Start byte offset in the original text.
    pub start: usize,
    /// End byte offset (exclusive) in the original text.
    pub end: usize,
    /// The original text at `start..end`.
    pub matched: String,
    /// True when the match was only found thanks to normalisation: for a
    /// keyword, the matched text differs from the keyword after lowercasing
    /// (and whitespace collapsing); for a regex, the matched text differs
    /// from what the regex saw (not NFKC, or with invisible characters or
    /// look-alikes in it).
    pub evasion: bool,
}

/// Compiled keywords and regexes.
#[derive(Debug, Clone)]
pub struct PatternSet {
    keywords: Vec<Keyword>,
    /// Prefixes of all keyword regexes at once: one pass tells which
    /// keywords may occur, so only those are searched for positions.
    keyword_set: RegexSet,
    regexes: Vec<(String, Regex)>,
}

impl PatternSet {
    /// Validates and compiles `keywords` and `regexes`. Keywords that fold
    /// to the same skeleton are compiled once (the first spelling is kept).
    pub fn compile(keywords: &[String], regexes: &[String]) -> Result<PatternSet, PatternError> {
        check_limits(PatternKind::Keyword, keywords, MAX_KEYWORDS)?;
        check_limits(PatternKind::Regex, regexes, MAX_REGEXES)?;

        let mut compiled = Vec::with_capacity(keywords.len());
        let mut sources = Vec::with_capacity(keywords.len());
        let mut seen = std::collections::HashSet::new();
        for (index, keyword) in keywords.iter().enumerate() {
            let folded = fold(keyword.trim());
            let folded = folded.trim();
            if folded.is_empty() {
                return Err(PatternError::EmptyKeyword { index });
            }
            if !seen.insert(folded.to_owned()) {
                continue;
            }
            let atoms = keyword_atoms(folded);
            let regex = RegexBuilder::new(&atoms.concat())
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
                .build()
                .map_err(|e| PatternError::KeywordSetTooLarge {
                    message: e.to_string(),
                })?;
            compiled.push(Keyword::new(keyword.clone(), folded, regex));
            sources.push(atoms[..atoms.len().min(PREFILTER_ATOMS)].concat());
        }
        let keyword_set = RegexSetBuilder::new(&sources)
            .size_limit(KEYWORD_SET_SIZE_LIMIT)
            .dfa_size_limit(REGEX_DFA_SIZE_LIMIT * 4)
            .build()
            .map_err(|e| PatternError::KeywordSetTooLarge {
                message: e.to_string(),
            })?;

        let regexes = regexes
            .iter()
            .enumerate()
            .map(|(index, source)| {
                RegexBuilder::new(source)
                    .case_insensitive(true)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
                    .build()
                    .map(|regex| (source.clone(), regex))
                    .map_err(|e| PatternError::InvalidRegex {
                        index,
                        message: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;

        Ok(PatternSet {
            keywords: compiled,
            keyword_set,
            regexes,
        })
    }

    /// True when the set has no patterns at all.
    pub fn is_empty(&self) -> bool {
        self.keywords.is_empty() && self.regexes.is_empty()
    }

    /// All matches in `text`, sorted by start (then end, kind, pattern) and
    /// deduplicated. Spans are byte offsets into the original text.
    pub fn find(&self, text: &NormalizedText) -> Vec<PatternMatch> {
        let mut out = Vec::new();
        let original = text.original();
        let skeleton = text.skeleton();
        if !self.keywords.is_empty() {
            for index in self.keyword_set.matches(skeleton).iter() {
                let Some(keyword) = self.keywords.get(index) else {
                    continue;
                };
                let expected = collapse_whitespace(&keyword.source.to_lowercase());
                let soft = |at: usize| text.is_soft_boundary(at);
                keyword.find_in(skeleton, soft, MAX_MATCHES_PER_PATTERN, |s, e| {
                    let (start, end) = text.original_span(s, e);
                    let matched = original.get(start..end).unwrap_or_default();
                    out.push(PatternMatch {
                        kind: PatternKind::Keyword,
                        pattern: keyword.source.clone(),
                        start,
                        end,
                        matched: matched.to_owned(),
                        evasion: collapse_whitespace(&matched.to_lowercase()) != expected,
                    });
                });
            }
        }
        if !self.regexes.is_empty() {
            let view = text.nfkc();
            for (source, regex) in &self.regexes {
                let found = regex.find_iter(view).filter(|m| !m.is_empty());
                for m in found.take(MAX_MATCHES_PER_PATTERN) {
                    let (start, end) = text.nfkc_span(m.start(), m.end());
                    let matched = original.get(start..end).unwrap_or_default();
                    out.push(PatternMatch {
                        kind: PatternKind::Regex,
                        pattern: source.clone(),
                        start,
                        end,
                        matched: matched.to_owned(),
                        evasion: matched != m.as_str(),
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            (a.start, a.end, a.kind, &a.pattern).cmp(&(b.start, b.end, b.kind, &b.pattern))
        });
        out.dedup();
        out
    }
}

fn check_limits(kind: PatternKind, patterns: &[String], limit: usize) -> Result<(), PatternError> {
    if patterns.len() > limit {
        return Err(PatternError::TooManyPatterns {
            kind,
            count: patterns.len(),
            limit,
        });
    }
    for (index, pattern) in patterns.iter().enumerate() {
        let length = pattern.chars().count();
        if length > MAX_PATTERN_CHARS {
            return Err(PatternError::PatternTooLong {
                kind,
                index,
                length,
                limit: MAX_PATTERN_CHARS,
            });
        }
    }
    Ok(())
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn keywords(items: &[&str]) -> PatternSet {
        PatternSet::compile(&strings(items), &[]).unwrap()
    }

    fn find(set: &PatternSet, text: &str) -> Vec<PatternMatch> {
        set.find(&NormalizedText::new(text))
    }

    #[test]
    fn evasions_are_caught_with_original_spans() {
        let set = keywords(&["scam", "idiot"]);
        for (text, expected, evasion) in [
            ("this is a scam ok", "scam", false),
            ("this is a SCAM ok", "SCAM", false),
            ("this is a s c a m ok", "s c a m", true),
            ("this is a s.c.a.m ok", "s.c.a.m", true),
            ("this is a 5c4m ok", "5c4m", true),
            ("this is a sc@m ok", "sc@m", true),
            ("this is a scaaaam ok", "scaaaam", true),
            ("this is a ЅСАМ ok", "ЅСАМ", true),
            ("this is a ｓｃａｍ ok", "ｓｃａｍ", true),
            ("this is a sc\u{200B}am ok", "sc\u{200B}am", true),
            ("you idi0t", "idi0t", true),
            ("you IDIOT!!!", "IDIOT", false),
            ("日本語 ЅСАМ ✓", "ЅСАМ", true),
        ] {
            let found = find(&set, text);
            assert_eq!(found.len(), 1, "{text:?}: {found:?}");
            let m = &found[0];
            assert_eq!(&text[m.start..m.end], expected, "{text:?}");
            assert_eq!(m.matched, expected);
            assert_eq!(m.evasion, evasion, "{text:?}");
            assert_eq!(m.kind, PatternKind::Keyword);
        }
    }

    #[test]
    fn invisible_reordered_and_lookalike_text_is_caught_with_original_spans() {
        let set = PatternSet::compile(&strings(&["scam"]), &strings(&[r"\bfree money\b"])).unwrap();
        for (text, expected, kind) in [
            ("a ʂcam here", "ʂcam", PatternKind::Keyword),
            ("a s\u{200B}cam here", "s\u{200B}cam", PatternKind::Keyword),
            ("a \u{202E}macs\u{202C} here", "macs", PatternKind::Keyword),
            (
                "a s\u{2066}c\u{2069}a\u{FEFF}m",
                "s\u{2066}c\u{2069}a\u{FEFF}m",
                PatternKind::Keyword,
            ),
            (
                "get fr\u{200B}ee m\u{200D}oney",
                "fr\u{200B}ee m\u{200D}oney",
                PatternKind::Regex,
            ),
            ("get ƒree money now", "ƒree money", PatternKind::Regex),
            (
                "get \u{202E}yenom eerf\u{202C} now",
                "yenom eerf",
                PatternKind::Regex,
            ),
        ] {
            let found = find(&set, text);
            assert_eq!(found.len(), 1, "{text:?}: {found:?}");
            let m = &found[0];
            assert_eq!(m.kind, kind, "{text:?}");
            assert_eq!(&text[m.start..m.end], expected, "{text:?}");
            assert_eq!(m.matched, expected);
            assert!(m.evasion, "{text:?}");
        }
        // Real words of other alphabets are not turned into matches.
        assert!(find(&set, "Привет, как дела? свобода").is_empty());
    }

    #[test]
    fn non_matches() {
        let set = keywords(&["scam", "idiot"]);
        for text in ["scampi", "mascot", "$20 for 3 items", "idiotic", "scams"] {
            assert!(find(&set, text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn multi_word_keyword_matches_across_separators() {
        let set = keywords(&["pay outside"]);
        let text = "please pay   outside, or pay-outside or P.A.Y outside";
        let found = find(&set, text);
        let spans: Vec<&str> = found.iter().map(|m| m.matched.as_str()).collect();
        assert_eq!(spans, ["pay   outside", "pay-outside", "P.A.Y outside"]);
        assert!(!found[0].evasion, "whitespace differences are not evasion");
        assert!(found[1].evasion);
        assert!(find(&set, "payoutside").is_empty());
    }

    #[test]
    fn overlapping_keywords_are_all_reported_and_sorted() {
        let set = keywords(&["outside", "pay outside", "pay", "PAY"]);
        let found = find(&set, "pay outside");
        let got: Vec<(&str, usize, usize)> = found
            .iter()
            .map(|m| (m.pattern.as_str(), m.start, m.end))
            .collect();
        assert_eq!(
            got,
            [("pay", 0, 3), ("pay outside", 0, 11), ("outside", 4, 11)]
        );
    }

    #[test]
    fn regexes_match_nfkc_case_insensitively() {
        let set = PatternSet::compile(&[], &strings(&[r"\bfree \d+ coins\b"])).unwrap();
        let text = "→ ＦＲＥＥ １００ coins!";
        let found = find(&set, text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, PatternKind::Regex);
        assert_eq!(found[0].matched, "ＦＲＥＥ １００ coins");
        assert!(found[0].evasion);
        let plain = find(&set, "Free 100 coins");
        assert_eq!(plain[0].matched, "Free 100 coins");
        assert!(!plain[0].evasion);
    }

    #[test]
    fn regex_digits_are_not_leetified() {
        let set = PatternSet::compile(&[], &strings(&[r"\$\d+"])).unwrap();
        let found = find(&set, "only $20 today");
        assert_eq!(found[0].matched, "$20");
    }

    #[test]
    fn invalid_regex_names_its_index() {
        let err = PatternSet::compile(&[], &strings(&["ok", "(unclosed"])).unwrap_err();
        match &err {
            PatternError::InvalidRegex { index, message } => {
                assert_eq!(*index, 1);
                assert!(!message.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("#1"));
    }

    #[test]
    fn oversized_regex_is_refused() {
        let err = PatternSet::compile(&[], &strings(&["(a{1000}){1000}"])).unwrap_err();
        assert!(
            matches!(err, PatternError::InvalidRegex { index: 0, ref message } if message.contains("size limit")),
            "{err:?}"
        );
    }

    #[test]
    fn limits_are_enforced() {
        let many = vec!["word".to_owned(); MAX_KEYWORDS + 1];
        assert!(matches!(
            PatternSet::compile(&many, &[]),
            Err(PatternError::TooManyPatterns {
                kind: PatternKind::Keyword,
                count: 501,
                limit: 500
            })
        ));
        let many = vec!["x".to_owned(); MAX_REGEXES + 1];
        assert!(matches!(
            PatternSet::compile(&[], &many),
            Err(PatternError::TooManyPatterns {
                kind: PatternKind::Regex,
                ..
            })
        ));
        let long = vec!["a".repeat(MAX_PATTERN_CHARS + 1)];
        assert!(matches!(
            PatternSet::compile(&long, &[]),
            Err(PatternError::PatternTooLong { index: 0, .. })
        ));
    }

    #[test]
    fn empty_keyword_is_rejected() {
        for empty in ["", "   ", "\u{200B}"] {
            let err = PatternSet::compile(&strings(&["ok", empty]), &[]).unwrap_err();
            assert_eq!(err, PatternError::EmptyKeyword { index: 1 }, "{empty:?}");
        }
    }

    fn distinct_keyword(i: usize, len: usize) -> String {
        // Letters only (digits would be leetified), distinct per index.
        let prefix: String = format!("{i:03}")
            .bytes()
            .map(|d| char::from(b'c' + (d - b'0') * 2))
            .collect();
        format!("{prefix}{}", "ab".repeat(len))
            .chars()
            .take(len)
            .collect()
    }

    #[test]
    fn limit_sized_keyword_sets_compile_and_run() {
        // The most keywords allowed: the prefilter set stays within limits.
        let many: Vec<String> = (0..MAX_KEYWORDS).map(|i| distinct_keyword(i, 40)).collect();
        let set = PatternSet::compile(&many, &[]).unwrap();
        assert_eq!(find(&set, &format!("x {} y", many[7])).len(), 1);
        // The longest keywords allowed: each full regex stays within limits.
        let long: Vec<String> = (0..5)
            .map(|i| distinct_keyword(i, MAX_PATTERN_CHARS))
            .collect();
        let set = PatternSet::compile(&long, &[]).unwrap();
        let text = "ab".repeat(20_000);
        assert!(find(&set, &text).is_empty());
        assert_eq!(find(&set, &format!("x {} y", long[3])).len(), 1);
    }

    #[test]
    fn serializes_snake_case() {
        let set = keywords(&["scam"]);
        let json = serde_json::to_value(find(&set, "a scam")).unwrap();
        assert_eq!(json[0]["kind"], "keyword");
        assert_eq!(json[0]["start"], 2);
    }
}
