//! A port of TextBlob 0.20.1's default sentiment analyzer (`PatternAnalyzer`,
//! i.e. `textblob.en.sentiment` called on a plain string).
//!
//! TextBlob scores a text with Pattern's English adjective lexicon
//! (`en-sentiment.xml`): the text is tokenised with Pattern's `find_tokens`,
//! every token is lowercased, known words are assessed (with preceding
//! modifiers such as "very" multiplying and negations such as "not" flipping
//! and halving them), exclamation marks boost the previous assessment, `(!)`
//! marks irony and emoticons add a mood. Polarity and subjectivity are the
//! means over all assessments.
//!
//! The port follows `textblob/_text.py` (`find_tokens`, `Sentiment.load`,
//! `Sentiment.__call__`, `Sentiment.assessments`) and `textblob/en/__init__.py`
//! (the derived `-ly` adverbs) line by line, including their quirks (for
//! instance, `isn't` is tokenised as `is n ' t`, so its negation is never
//! seen). Everything runs in time linear in the input length.

use std::collections::HashMap;
use std::path::Path;

use regex::Regex;

use crate::ModerationError;

/// Pattern's `PUNCTUATION` string. `w not in PUNCTUATION` in `assessments()`
/// is a substring test, so the string itself is kept.
const PUNCTUATION: &str = ".,;:!?()[]{}`''\"@#$^&*+-|=~_";

/// The keys of Pattern's `replacements` (contractions), in dictionary order,
/// with what each is replaced by.
const REPLACEMENTS: [(&str, &str); 7] = [
    ("'d", " 'd"),
    ("'m", " 'm"),
    ("'s", " 's"),
    ("'ll", " 'll"),
    ("'re", " 're"),
    ("'ve", " 've"),
    ("n't", " n't"),
];

/// Pattern's `ABBREVIATIONS`.
const ABBREVIATIONS: [&str; 37] = [
    "a.", "adj.", "adv.", "al.", "a.m.", "c.", "cf.", "comp.", "conf.", "def.", "ed.", "e.g.",
    "esp.", "etc.", "ex.", "f.", "fig.", "gen.", "id.", "i.e.", "int.", "l.", "m.", "Med.", "Mil.",
    "Mr.", "n.", "n.q.", "orig.", "pl.", "pred.", "pres.", "p.m.", "ref.", "v.", "vs.", "w/",
];

/// The longest entry of [`ABBREVIATIONS`], in characters; longer tokens need
/// no set lookup.
const MAX_ABBREVIATION_CHARS: usize = 5;

/// Pattern's end-of-sentence marker for paragraph breaks (`\n\n`).
const EOS: &str = "END-OF-SENTENCE";

/// TextBlob's English negations.
const NEGATIONS: [&str; 4] = ["no", "not", "n't", "never"];

/// Pattern's `EMOTICONS`, in dictionary order (the order decides both which
/// regex alternative wins and which mood a lowercased emoticon gets). The
/// order inside one group does not matter: no emoticon of a group can match
/// where another of the same group matches.
const EMOTICONS: [(f64, &[&str]); 9] = [
    // love
    (1.0, &["<3", "♥"]),
    // grin
    (
        1.0,
        &[
            ">:D", ":-D", ":D", "=-D", "=D", "X-D", "x-D", "XD", "xD", "8-D",
        ],
    ),
    // taunt
    (
        0.75,
        &[
            ">:P", ":-P", ":P", ":-p", ":p", ":-b", ":b", ":c)", ":o)", ":^)",
        ],
    ),
    // smile
    (
        0.5,
        &[
            ">:)", ":-)", ":)", "=)", "=]", ":]", ":}", ":>", ":3", "8)", "8-)",
        ],
    ),
    // wink
    (
        0.25,
        &[">;]", ";-)", ";)", ";-]", ";]", ";D", ";^)", "*-)", "*)"],
    ),
    // gasp
    (
        0.05,
        &[">:o", ":-O", ":O", ":o", ":-o", "o_O", "o.O", "°O°", "°o°"],
    ),
    // worry
    (
        -0.25,
        &[
            ">:/", ":-/", ":/", ":\\", ">:\\", ":-.", ":-s", ":s", ":S", ":-S", ">.>",
        ],
    ),
    // frown
    (
        -0.75,
        &[
            ">:[", ":-(", ":(", "=(", ":-[", ":[", ":{", ":-<", ":c", ":-c", "=/",
        ],
    ),
    // cry
    (-1.0, &[":'(", ":'''(", ";'("]),
];

/// One lexicon value: (polarity, subjectivity, intensity).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Psi {
    polarity: f64,
    subjectivity: f64,
    intensity: f64,
}

impl Psi {
    /// Pattern's `[avg(each) for each in zip(*psi)]`: component-wise means,
    /// summed left to right as Python's `sum()` does.
    fn mean(values: &[Psi]) -> Psi {
        let n = values.len().max(1) as f64;
        let (mut p, mut s, mut i) = (0.0_f64, 0.0_f64, 0.0_f64);
        for v in values {
            p += v.polarity;
            s += v.subjectivity;
            i += v.intensity;
        }
        Psi {
            polarity: p / n,
            subjectivity: s / n,
            intensity: i / n,
        }
    }
}

/// What plain-text scoring needs of a word: its part-of-speech-free value
/// (Pattern's `self[w][None]`) and whether it has an adverb (`RB`) sense,
/// which makes it a modifier of the next word.
#[derive(Debug, Clone, Copy)]
struct Entry {
    value: Psi,
    modifier: bool,
}

/// One assessment of `Sentiment.assessments()`, before negation is applied.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    polarity: f64,
    subjectivity: f64,
    intensity: f64,
    negated: bool,
}

/// TextBlob's lexicon and analyzer.
///
/// Loaded from the TSV export of TextBlob 0.20.1's `en-sentiment.xml`
/// (`models/textblob_en_sentiment.tsv`); [`Lexicon::score`] gives what
/// `TextBlob(text).sentiment` gives.
#[derive(Debug)]
pub struct Lexicon {
    /// Word → its value and modifier flag.
    words: HashMap<String, Entry>,
    /// Lowercased emoticon → its polarity (first group wins).
    emoticons: HashMap<String, f64>,
    /// Pattern's `RE_SARCASM`.
    sarcasm: Regex,
    /// Pattern's `RE_EMOTICONS`.
    emoticon_re: Regex,
}

/// Per word, its part-of-speech rows in file order.
type Rows = Vec<(String, Vec<(String, Vec<Psi>)>)>;

impl Lexicon {
    /// Loads the lexicon from a TSV file with one entry per line:
    /// `word<TAB>pos<TAB>polarity<TAB>subjectivity<TAB>intensity`.
    ///
    /// A header line starting with `word<TAB>` and lines starting with `#` are
    /// skipped. Entries are aggregated as `Sentiment.load()` does: all rows of
    /// one (word, pos) are averaged. A word's part-of-speech-free value is the
    /// mean of its `*` rows when it has any (the export of the already loaded
    /// lexicon writes it so), else the mean over its part-of-speech values. If
    /// the file has no `*` row at all it is taken to be a raw dump of the XML,
    /// and TextBlob's English `load()` step is applied on top: every adjective
    /// `JJ` value is copied to its derived adverb (`terrible` → `terribly`) as
    /// that adverb's `RB` and part-of-speech-free value.
    ///
    /// # Errors
    ///
    /// [`ModerationError::ModelFile`] when the file cannot be read, a line is
    /// malformed or holds no finite numbers, or the file has no entries.
    pub fn load(path: &Path) -> Result<Self, ModerationError> {
        let fail = |problem: String| ModerationError::ModelFile {
            path: path.display().to_string(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;

        let mut rows: Rows = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut has_star = false;
        let mut first = true;
        for (number, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let is_first = std::mem::replace(&mut first, false);
            if line.is_empty() || line.starts_with('#') || (is_first && line.starts_with("word\t"))
            {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [word, pos, p, s, i] = fields.as_slice() else {
                return Err(fail(format!(
                    "line {}: expected 5 tab-separated fields, found {}",
                    number + 1,
                    fields.len()
                )));
            };
            let number_of = |field: &str, name: &str| -> Result<f64, ModerationError> {
                match field.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => Err(fail(format!(
                        "line {}: {name} {field:?} is not a finite number",
                        number + 1
                    ))),
                }
            };
            let psi = Psi {
                polarity: number_of(p, "polarity")?,
                subjectivity: number_of(s, "subjectivity")?,
                intensity: number_of(i, "intensity")?,
            };
            // Pattern skips entries without a form (`if w:`).
            if word.is_empty() {
                continue;
            }
            has_star |= *pos == "*";
            let slot = *index.entry((*word).to_owned()).or_insert_with(|| {
                rows.push(((*word).to_owned(), Vec::new()));
                rows.len() - 1
            });
            let Some((_, by_pos)) = rows.get_mut(slot) else {
                continue; // Unreachable: `slot` was just taken from `rows`.
            };
            match by_pos.iter_mut().find(|(tag, _)| tag == pos) {
                Some((_, values)) => values.push(psi),
                None => by_pos.push(((*pos).to_owned(), vec![psi])),
            }
        }
        if rows.is_empty() {
            return Err(fail("no lexicon entries".to_owned()));
        }

        let mut words: HashMap<String, Entry> = HashMap::with_capacity(rows.len() * 2);
        // Adjectives in file order, for the derived adverbs of a raw dump.
        let mut adjectives: Vec<(String, Psi)> = Vec::new();
        for (word, by_pos) in &rows {
            let stars: Vec<Psi> = by_pos
                .iter()
                .filter(|(tag, _)| tag == "*")
                .flat_map(|(_, values)| values.iter().copied())
                .collect();
            let per_pos: Vec<Psi> = by_pos
                .iter()
                .filter(|(tag, _)| tag != "*")
                .map(|(_, values)| Psi::mean(values))
                .collect();
            let value = if stars.is_empty() {
                Psi::mean(&per_pos)
            } else {
                Psi::mean(&stars)
            };
            let modifier = by_pos.iter().any(|(tag, _)| tag == "RB");
            if let Some((_, values)) = by_pos.iter().find(|(tag, _)| tag == "JJ") {
                adjectives.push((word.clone(), Psi::mean(values)));
            }
            words.insert(word.clone(), Entry { value, modifier });
        }
        if !has_star {
            // textblob/en/__init__.py, Sentiment.load(): map "terrible" to
            // the adverb "terribly"; `annotate()` sets both the RB and the
            // None value, later adjectives overwrite earlier ones.
            for (word, value) in adjectives {
                let mut stem = word;
                if stem.ends_with('y') {
                    stem.pop();
                    stem.push('i');
                }
                if stem.ends_with("le") {
                    stem.truncate(stem.len() - 2);
                }
                stem.push_str("ly");
                words.insert(
                    stem,
                    Entry {
                        value,
                        modifier: true,
                    },
                );
            }
        }

        let mut emoticons = HashMap::new();
        let mut alternatives = Vec::new();
        for (polarity, group) in EMOTICONS {
            for emoticon in group {
                // `w in map(lambda e: e.lower(), e)`, first group wins.
                emoticons.entry(emoticon.to_lowercase()).or_insert(polarity);
                // `r" ?".join([re.escape(each) for each in e])`.
                let spaced: Vec<String> = emoticon
                    .chars()
                    .map(|c| regex::escape(c.encode_utf8(&mut [0; 4])))
                    .collect();
                alternatives.push(spaced.join(" ?"));
            }
        }
        let compile = |pattern: &str| {
            Regex::new(pattern).map_err(|e| fail(format!("internal pattern {pattern:?}: {e}")))
        };
        Ok(Self {
            words,
            emoticons,
            sarcasm: compile(r"\( ?! ?\)")?,
            // Pattern's `\s` after an emoticon: the sentence strings it runs
            // on only hold single spaces as whitespace, so `\s` is exact.
            emoticon_re: compile(&format!(r"({})($|\s)", alternatives.join("|")))?,
        })
    }

    /// Scores `text` as `TextBlob(text).sentiment` does: (polarity in
    /// −1..1, subjectivity in 0..1), both 0.0 when no word is known.
    #[must_use]
    pub fn score(&self, text: &str) -> (f64, f64) {
        let tokens: Vec<String> = self
            .find_tokens(text)
            .iter()
            .flat_map(|sentence| sentence.split(is_py_space))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let chunks = self.assessments(&tokens);
        if chunks.is_empty() {
            return (0.0, 0.0);
        }
        let (mut polarity, mut subjectivity) = (0.0_f64, 0.0_f64);
        for chunk in &chunks {
            // "not good" = slightly bad, "not bad" = slightly good.
            polarity += if chunk.negated {
                chunk.polarity * -0.5
            } else {
                chunk.polarity
            };
            subjectivity += chunk.subjectivity;
        }
        let n = chunks.len() as f64;
        (polarity / n, subjectivity / n)
    }

    /// The subjectivity of `text` (0 objective … 1 subjective), as
    /// `TextBlob(text).sentiment.subjectivity`.
    #[must_use]
    pub fn subjectivity(&self, text: &str) -> f64 {
        self.score(text).1
    }

    /// Pattern's `find_tokens`: the sentences of `string`, each a string of
    /// space-separated tokens.
    fn find_tokens(&self, string: &str) -> Vec<String> {
        // Contractions, plain substring replacement in dictionary order.
        let mut s = string.to_owned();
        for (from, to) in REPLACEMENTS {
            if s.contains(from) {
                s = s.replace(from, to);
            }
        }
        // Quotes get a space on either side (one pass is the same as the
        // chained `str.replace` calls: none of them adds a quote).
        let mut quoted = String::with_capacity(s.len() + 16);
        for c in s.chars() {
            if matches!(c, '“' | '”' | '‘' | '’' | '\'' | '"') {
                quoted.push(' ');
                quoted.push(c);
                quoted.push(' ');
            } else {
                quoted.push(c);
            }
        }
        // `re.sub("\r\n", "\n")`, then `\n{2,}` → " END-OF-SENTENCE ", then
        // every run of (Python, i.e. Unicode) whitespace → " ".
        let crlf = quoted.replace("\r\n", "\n");
        let mut eos = String::with_capacity(crlf.len());
        let mut newlines = 0_usize;
        for c in crlf.chars() {
            if c == '\n' {
                newlines += 1;
                continue;
            }
            flush_newlines(&mut eos, newlines);
            newlines = 0;
            eos.push(c);
        }
        flush_newlines(&mut eos, newlines);

        let mut tokens: Vec<String> = Vec::new();
        for token in eos.split(is_py_space).filter(|t| !t.is_empty()) {
            split_token(token, &mut tokens);
        }

        let sentences = split_sentences(tokens);
        sentences
            .into_iter()
            .filter(|sentence| !sentence.is_empty())
            .map(|sentence| {
                let joined = sentence.join(" ");
                let joined = self.sarcasm.replace_all(&joined, "(!)");
                self.emoticon_re
                    .replace_all(&joined, |caps: &regex::Captures<'_>| {
                        let face = caps.get(1).map_or("", |m| m.as_str()).replace(' ', "");
                        face + caps.get(2).map_or("", |m| m.as_str())
                    })
                    .into_owned()
            })
            .collect()
    }

    /// Pattern's `Sentiment.assessments()` for lowercased tokens without
    /// part-of-speech tags.
    fn assessments(&self, tokens: &[String]) -> Vec<Chunk> {
        let mut a: Vec<Chunk> = Vec::new();
        // The preceding modifier and negation.
        let mut m: Option<&str> = None;
        let mut n: Option<&str> = None;
        for w in tokens {
            let w = w.as_str();
            if let Some(entry) = self.words.get(w) {
                let v = entry.value;
                if m.is_none() {
                    // Known word not preceded by a modifier ("good").
                    a.push(Chunk {
                        polarity: v.polarity,
                        subjectivity: v.subjectivity,
                        intensity: v.intensity,
                        negated: false,
                    });
                } else if let Some(last) = a.last_mut() {
                    // Preceded by a modifier ("really good"); a modifier is
                    // only set after a chunk was added, so `last` exists.
                    last.polarity = clamp(v.polarity * last.intensity);
                    last.subjectivity = clamp(v.subjectivity * last.intensity);
                    last.intensity = v.intensity;
                }
                if n.is_some() {
                    // Preceded by a negation ("not really good").
                    if let Some(last) = a.last_mut() {
                        last.intensity = 1.0 / last.intensity;
                        last.negated = true;
                    }
                }
                m = None;
                n = None;
                if entry.modifier {
                    m = Some(w);
                }
                if NEGATIONS.contains(&w) {
                    n = Some(w);
                }
            } else {
                if NEGATIONS.contains(&w) {
                    // Unknown word may be a negation ("not good").
                    n = Some(w);
                } else if n.is_some() && w.trim_matches('\'').chars().count() > 1 {
                    // Negation survives small words only ("not a good").
                    n = None;
                }
                if n.is_some() && m.is_some_and(|m| m.ends_with("ly")) {
                    // A negation after a modifier ("really not good").
                    if let Some(last) = a.last_mut() {
                        last.negated = true;
                    }
                    n = None;
                } else if m.is_some() && w.chars().count() > 2 {
                    // The modifier survives small words only.
                    m = None;
                }
                if w == "!" {
                    // Exclamation marks boost the previous word.
                    if let Some(last) = a.last_mut() {
                        last.polarity = clamp(last.polarity * 1.25);
                    }
                }
                if w == "(!)" {
                    // Exclamation marks in parentheses indicate irony.
                    a.push(Chunk {
                        polarity: 0.0,
                        subjectivity: 1.0,
                        intensity: 1.0,
                        negated: false,
                    });
                }
                // Emoticons add a mood.
                if !is_py_alpha(w)
                    && w.chars().count() <= 5
                    && !PUNCTUATION.contains(w)
                    && let Some(&polarity) = self.emoticons.get(w)
                {
                    a.push(Chunk {
                        polarity,
                        subjectivity: 1.0,
                        intensity: 1.0,
                        negated: false,
                    });
                }
            }
        }
        a
    }
}

/// `max(-1.0, min(x, +1.0))` with Python's `min`/`max` semantics.
fn clamp(x: f64) -> f64 {
    let upper = if 1.0 < x { 1.0 } else { x };
    if upper > -1.0 { upper } else { -1.0 }
}

/// Python's `str.isspace()` for one character, which is also what `\s` and
/// `str.split()` use: Unicode White_Space plus the separators U+001C..U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.isalpha()`: non-empty and every character a letter.
fn is_py_alpha(w: &str) -> bool {
    // Rust's Alphabetic property is a little wider than Python's letter
    // categories (it includes some marks and letter numbers), but this only
    // guards the emoticon lookup, and on the emoticons themselves (ASCII, ° and
    // ♥) both agree.
    !w.is_empty() && w.chars().all(char::is_alphabetic)
}

/// Writes the replacement for a run of `count` newlines: a lone newline stays
/// whitespace, two or more become an end-of-sentence marker.
fn flush_newlines(out: &mut String, count: usize) {
    match count {
        0 => {}
        1 => out.push('\n'),
        _ => {
            out.push(' ');
            out.push_str(EOS);
            out.push(' ');
        }
    }
}

/// Pattern's punctuation without the period.
fn is_punct(c: char) -> bool {
    c != '.' && PUNCTUATION.contains(c)
}

/// `t in replace` (a contraction key).
fn is_contraction(t: &[char]) -> bool {
    t.len() <= 3 && {
        let s: String = t.iter().collect();
        REPLACEMENTS.iter().any(|(key, _)| *key == s)
    }
}

/// Splits one whitespace-free token into tokens, as the body of Pattern's
/// `for t in TOKEN.findall(string + " ")` loop does.
fn split_token(token: &str, tokens: &mut Vec<String>) {
    let chars: Vec<char> = token.chars().collect();
    let mut start = 0;
    let end_all = chars.len();
    // Leading punctuation, one mark at a time.
    while let Some(&c) = chars.get(start) {
        if !is_punct(c) || is_contraction(&chars[start..end_all]) {
            break;
        }
        tokens.push(c.to_string());
        start += 1;
    }
    let t = &chars[start..];

    // The trailing loop only ever shortens `t` from the right, so the
    // abbreviation patterns can be decided for every prefix in one pass:
    // RE_ABBR2 `^([A-Za-z]\.)+$` holds for an even prefix length up to
    // `pairs`; RE_ABBR3 `^[A-Z][b|c|d|…]+.$` holds for a prefix length `k`
    // with 3 <= k <= consonants + 2.
    let mut pairs = 0;
    while let (Some(letter), Some('.')) = (t.get(pairs), t.get(pairs + 1)) {
        if !letter.is_ascii_alphabetic() {
            break;
        }
        pairs += 2;
    }
    let capital = t.first().is_some_and(char::is_ascii_uppercase);
    let consonants = t
        .iter()
        .skip(1)
        .take_while(|c| "bcdfghjklmnpqrstvwxz|".contains(**c))
        .count();
    let is_abbreviation = |k: usize| -> bool {
        let prefix = &t[..k];
        (k <= MAX_ABBREVIATION_CHARS && {
            let s: String = prefix.iter().collect();
            ABBREVIATIONS.contains(&s.as_str())
        }) || (k == 2 && prefix[0].is_ascii_alphabetic() && prefix[1] == '.')
            || (k >= 2 && k.is_multiple_of(2) && k <= pairs)
            || (capital && k >= 3 && k <= consonants + 2 && prefix[k - 1] != '\n')
    };

    let mut end = t.len();
    let mut tail: Vec<String> = Vec::new();
    while end > 0 && (is_punct(t[end - 1]) || t[end - 1] == '.') && !is_contraction(&t[..end]) {
        // Trailing punctuation.
        if is_punct(t[end - 1]) {
            tail.push(t[end - 1].to_string());
            end -= 1;
        }
        // An ellipsis before a period.
        if end >= 3 && t[end - 3..end] == ['.', '.', '.'] {
            tail.push("...".to_owned());
            end -= 3;
            while end > 0 && t[end - 1] == '.' {
                end -= 1;
            }
        }
        // A period, unless it ends an abbreviation.
        if end > 0 && t[end - 1] == '.' {
            if is_abbreviation(end) {
                break;
            }
            tail.push(".".to_owned());
            end -= 1;
        }
    }
    if end > 0 {
        tokens.push(t[..end].iter().collect());
    }
    tokens.extend(tail.into_iter().rev());
}

/// Pattern's sentence splitting: returns the sentences as token lists,
/// dropping end-of-sentence markers where Pattern drops them.
fn split_sentences(tokens: Vec<String>) -> Vec<Vec<String>> {
    let is_end = |t: &str| matches!(t, "..." | "." | "!" | "?") || t == EOS;
    let continues =
        |t: &str| matches!(t, "'" | "\"" | "”" | "’" | "..." | "." | "!" | "?" | ")") || t == EOS;
    let mut sentences: Vec<Vec<String>> = vec![Vec::new()];
    let (mut i, mut j) = (0_usize, 0_usize);
    let len = tokens.len();
    while j < len {
        if is_end(&tokens[j]) {
            // Citations, trailing parentheses, repeated punctuation (!?).
            while j < len && continues(&tokens[j]) {
                let t = tokens[j].as_str();
                // Pattern counts the quote in the sentence being built, which
                // is always still empty here: quotes always stop the run.
                let open = sentences
                    .last()
                    .map_or(0, |s| s.iter().filter(|x| x.as_str() == t).count());
                if (t == "'" || t == "\"") && open.is_multiple_of(2) {
                    break;
                }
                j += 1;
            }
            let done: Vec<String> = tokens[i..j]
                .iter()
                .filter(|t| t.as_str() != EOS)
                .cloned()
                .collect();
            if let Some(last) = sentences.last_mut() {
                last.extend(done);
            }
            sentences.push(Vec::new());
            i = j;
        }
        j += 1;
    }
    if let Some(last) = sentences.last_mut() {
        last.extend(tokens[i.min(len)..j.min(len)].iter().cloned());
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TSV export of TextBlob 0.20.1's lexicon, shipped in `models/`.
    const LEXICON: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/textblob_en_sentiment.tsv"
    );

    /// `TextBlob(text).sentiment` recorded with real TextBlob 0.20.1
    /// (Python 3.11): `[{"text", "polarity", "subjectivity"}]`.
    const REFERENCE: &str = include_str!("subjectivity_reference.json");

    fn lexicon() -> Lexicon {
        Lexicon::load(Path::new(LEXICON)).expect("the shipped lexicon loads")
    }

    #[test]
    fn matches_textblob_reference() {
        let lexicon = lexicon();
        let cases: Vec<serde_json::Value> = serde_json::from_str(REFERENCE).unwrap();
        assert!(cases.len() >= 40);
        let mut failures = Vec::new();
        for case in &cases {
            let text = case["text"].as_str().unwrap();
            let want = (
                case["polarity"].as_f64().unwrap(),
                case["subjectivity"].as_f64().unwrap(),
            );
            let got = lexicon.score(text);
            if (got.0 - want.0).abs() >= 1e-9 || (got.1 - want.1).abs() >= 1e-9 {
                failures.push(format!("{text:?}: got {got:?}, TextBlob {want:?}"));
            }
            assert_eq!(lexicon.subjectivity(text), got.1);
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn hostile_input_is_fast_and_bounded() {
        let lexicon = lexicon();
        let inputs = [
            "a".repeat(10_000),
            ".".repeat(10_000),
            "!(".repeat(5_000),
            "a.".repeat(5_000),
            format!("B{}.", "c".repeat(9_998)),
            "x.!.".repeat(2_500),
            ": ".repeat(5_000),
            "\n".repeat(10_000),
            "'".repeat(10_000),
            "good!".repeat(2_000),
            "not ".repeat(2_500),
        ];
        let started = std::time::Instant::now();
        for text in &inputs {
            let (p, s) = lexicon.score(text);
            assert!((-1.0..=1.0).contains(&p), "{p}");
            assert!((0.0..=1.0).contains(&s), "{s}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn tokenizer_quirks() {
        let lexicon = lexicon();
        let tokens = |text: &str| lexicon.find_tokens(text).join(" | ");
        assert_eq!(tokens("This isn't bad."), "This is n ' t bad .");
        assert_eq!(tokens("The U.S. is big"), "The U.S. is big");
        assert_eq!(tokens("Wait... what?!"), "Wait ... | what ? !");
        assert_eq!(tokens("so sad :-( ok ( ! )"), "so sad :-( ok (!)");
        assert_eq!(tokens("one\n\ntwo"), "one | two");
    }

    #[test]
    fn bad_files_are_model_file_errors() {
        let dir = std::env::temp_dir().join(format!("warden-subj-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.tsv");
        assert!(matches!(
            Lexicon::load(&missing),
            Err(ModerationError::ModelFile { .. })
        ));
        let bad = dir.join("bad.tsv");
        std::fs::write(
            &bad,
            "word\tpos\tpolarity\tsubjectivity\tintensity\ngood\tJJ\tx\t1\t1\n",
        )
        .unwrap();
        assert!(matches!(
            Lexicon::load(&bad),
            Err(ModerationError::ModelFile { .. })
        ));
        // A raw dump (no `*` rows) is aggregated like Sentiment.load().
        let raw = dir.join("raw.tsv");
        std::fs::write(
            &raw,
            "good\tJJ\t0.6\t0.5\t1.0\ngood\tJJ\t0.8\t0.7\t1.0\ngood\tNN\t0.1\t0.0\t1.0\n",
        )
        .unwrap();
        let lexicon = Lexicon::load(&raw).unwrap();
        let (p, s) = lexicon.score("good");
        assert!((p - (0.7 + 0.1) / 2.0).abs() < 1e-12 && (s - (0.6 + 0.0) / 2.0).abs() < 1e-12);
        // The derived adverb "goodly" is a modifier with the JJ value.
        let (p, _) = lexicon.score("goodly good");
        assert!((p - 0.4 * 1.0).abs() < 1e-12, "{p}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
