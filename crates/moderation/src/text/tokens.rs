//! Word tokenisation and English stop words.

/// A word of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word, lowercased.
    pub text: String,
    /// Start byte offset in the text.
    pub start: usize,
    /// End byte offset (exclusive) in the text.
    pub end: usize,
}

/// Splits `text` into words: runs of letters, digits and combining marks,
/// with apostrophes kept inside words ("don't", "l’homme") but not at their
/// edges.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    // End of the last word character, so a trailing apostrophe is excluded.
    let mut last_end = 0;
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            if start.is_none() {
                start = Some(i);
            }
            last_end = i + c.len_utf8();
        } else if is_apostrophe(c) && start.is_some() && last_end == i {
            // Possibly inside a word; decided by the next character.
        } else if let Some(s) = start.take() {
            push(&mut out, text, s, last_end);
        }
    }
    if let Some(s) = start {
        push(&mut out, text, s, last_end);
    }
    out
}

fn push(out: &mut Vec<Token>, text: &str, start: usize, end: usize) {
    if let Some(word) = text.get(start..end) {
        out.push(Token {
            text: word.to_lowercase(),
            start,
            end,
        });
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

/// Whether `word` is an English stop word (case-insensitive; typographic
/// apostrophes are accepted).
pub fn is_stop_word(word: &str) -> bool {
    let needs_folding = word.chars().any(|c| c.is_uppercase() || c == '\u{2019}');
    if needs_folding {
        let folded = word.to_lowercase().replace('\u{2019}', "'");
        STOP_WORDS.binary_search(&folded.as_str()).is_ok()
    } else {
        STOP_WORDS.binary_search(&word).is_ok()
    }
}

/// English stop words (the NLTK list), sorted for binary search.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "ain",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "aren",
    "aren't",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "couldn",
    "couldn't",
    "d",
    "did",
    "didn",
    "didn't",
    "do",
    "does",
    "doesn",
    "doesn't",
    "doing",
    "don",
    "don't",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "hadn",
    "hadn't",
    "has",
    "hasn",
    "hasn't",
    "have",
    "haven",
    "haven't",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "isn",
    "isn't",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "ll",
    "m",
    "ma",
    "me",
    "mightn",
    "mightn't",
    "more",
    "most",
    "mustn",
    "mustn't",
    "my",
    "myself",
    "needn",
    "needn't",
    "no",
    "nor",
    "not",
    "now",
    "o",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "re",
    "s",
    "same",
    "shan",
    "shan't",
    "she",
    "she's",
    "should",
    "should've",
    "shouldn",
    "shouldn't",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "that'll",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "ve",
    "very",
    "was",
    "wasn",
    "wasn't",
    "we",
    "were",
    "weren",
    "weren't",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "won",
    "won't",
    "wouldn",
    "wouldn't",
    "y",
    "you",
    "you'd",
    "you'll",
    "you're",
    "you've",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn splits_words_lowercased() {
        assert_eq!(
            words("Hello, WORLD! It's 2024."),
            ["hello", "world", "it's", "2024"]
        );
        assert_eq!(
            words("'quoted' rock'n'roll l’homme"),
            ["quoted", "rock'n'roll", "l’homme"]
        );
        assert_eq!(words("  ...  "), Vec::<String>::new());
    }

    #[test]
    fn unicode_words_and_offsets() {
        let text = "Ünïcode café 東京 naïve";
        let toks = tokens(text);
        let spans: Vec<&str> = toks.iter().map(|t| &text[t.start..t.end]).collect();
        assert_eq!(spans, ["Ünïcode", "café", "東京", "naïve"]);
        assert_eq!(toks[0].text, "ünïcode");
        let decomposed = "cafe\u{301} ok";
        assert_eq!(words(decomposed), ["cafe\u{301}", "ok"]);
    }

    #[test]
    fn stop_word_list_is_sorted_and_unique() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(STOP_WORDS.len() >= 170);
    }

    #[test]
    fn stop_words() {
        for word in ["the", "The", "AND", "don't", "don’t", "yourselves"] {
            assert!(is_stop_word(word), "{word}");
        }
        for word in ["scam", "", "theme", "dont"] {
            assert!(!is_stop_word(word), "{word}");
        }
    }
}
