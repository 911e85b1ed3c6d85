//! Invisible characters: which ones analysis strips, and which ones titles
//! and names refuse.
//!
//! Two sets, on purpose:
//!
//! * [`is_invisible`] is everything that renders as nothing and can split a
//!   word without showing: zero-width characters, bidi controls, the BOM,
//!   soft hyphens, variation selectors, tag characters, fillers. Analysis
//!   strips all of them before rules and models see a text (moderation's
//!   cleaned text). Stripping, not refusing: the zero-width joiner and
//!   non-joiner are legitimate in emoji sequences and in Indic and Persian
//!   writing, and variation selectors and tags in emoji.
//! * [`is_refused_control`] is the smaller set that titles and names refuse
//!   outright: bidi embeddings, overrides and isolates (which can make a
//!   title read backwards: "\u{202E}macs" shows as "scam"), zero-width characters
//!   and the BOM. A zero-width joiner between two emoji is allowed (see
//!   [`find_refused_control`]).

/// Characters that render as nothing (or nearly nothing) and are inserted to
/// split words invisibly. They are stripped before analysis.
pub fn is_invisible(c: char) -> bool {
    is_refused_control(c)
        || matches!(
            c,
            '\u{034F}'                      // combining grapheme joiner
                | '\u{115F}'
                | '\u{1160}'                // Hangul fillers
                | '\u{17B4}'
                | '\u{17B5}'                // Khmer inherent vowels (invisible)
                | '\u{180B}'..='\u{180F}'   // Mongolian variation selectors, vowel separator
                | '\u{3164}'                // Hangul filler
                | '\u{FE00}'..='\u{FE0F}'   // variation selectors
                | '\u{FFA0}'                // halfwidth Hangul filler
                | '\u{FFF9}'..='\u{FFFB}'   // interlinear annotation controls
                | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
                | '\u{E0000}'..='\u{E0FFF}' // tags and variation selectors supplement
        )
}

/// Bidi embeddings, overrides and isolates, and the bidi marks.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'                  // Arabic letter mark
            | '\u{200E}'
            | '\u{200F}'            // left-to-right / right-to-left marks
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2066}'..='\u{2069}' // isolates
    )
}

/// Zero-width characters, the soft hyphen and the byte-order mark.
pub fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                  // soft hyphen
            | '\u{180E}'            // Mongolian vowel separator
            | '\u{200B}'..='\u{200D}' // zero-width space, non-joiner, joiner
            | '\u{2060}'..='\u{2065}' // word joiner, invisible operators
            | '\u{206A}'..='\u{206F}' // deprecated format characters
            | '\u{FEFF}'            // zero-width no-break space / BOM
    )
}

/// Whether titles and names refuse `c` (a bidi control or a zero-width
/// character).
pub fn is_refused_control(c: char) -> bool {
    is_bidi_control(c) || is_zero_width(c)
}

/// The first character of `s` that a title or name refuses, with its byte
/// offset. A zero-width joiner between two emoji (a family, a rainbow flag)
/// is part of the emoji and allowed.
pub fn find_refused_control(s: &str) -> Option<(usize, char)> {
    let mut previous: Option<char> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if is_refused_control(c) {
            let joins_emoji = c == '\u{200D}'
                && previous.is_some_and(is_emoji)
                && chars.peek().is_some_and(|&(_, next)| is_emoji(next));
            if !joins_emoji {
                return Some((at, c));
            }
        }
        // A variation selector or skin tone keeps the emoji before it.
        if !matches!(c, '\u{FE0E}' | '\u{FE0F}') {
            previous = Some(c);
        }
    }
    None
}

/// Whether `s` shows nothing: only white space, invisible characters,
/// combining marks with no letter to sit on, and blank look-alikes.
pub fn is_visibly_empty(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_whitespace()
            || c.is_control()
            || is_invisible(c)
            || unicode_normalization::char::is_combining_mark(c)
            || c == '\u{2800}' // braille pattern blank
    })
}

/// Pictographs that take part in emoji ZWJ sequences (skin tones included).
fn is_emoji(c: char) -> bool {
    matches!(
        c,
        '\u{2300}'..='\u{23FF}'
            | '\u{2600}'..='\u{27BF}'
            | '\u{2B00}'..='\u{2BFF}'
            | '\u{1F000}'..='\u{1FAFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_sets_are_refused() {
        let refused = [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}',
            '\u{2060}', '\u{2061}', '\u{2062}', '\u{2063}', '\u{2064}', '\u{FEFF}', '\u{061C}',
            '\u{180E}', '\u{00AD}',
        ];
        for c in refused {
            assert!(is_refused_control(c), "{:04X}", u32::from(c));
            assert!(is_invisible(c), "{:04X}", u32::from(c));
        }
        for c in ['a', ' ', 'é', '\u{FE0F}', '\u{E0067}', '\u{3164}'] {
            assert!(!is_refused_control(c), "{:04X}", u32::from(c));
        }
    }

    #[test]
    fn refused_controls_are_found_with_their_offset() {
        assert_eq!(find_refused_control("plain title"), None);
        assert_eq!(find_refused_control("ab\u{202E}cd"), Some((2, '\u{202E}')));
        assert_eq!(find_refused_control("s\u{200B}cam"), Some((1, '\u{200B}')));
        assert_eq!(find_refused_control("\u{FEFF}x"), Some((0, '\u{FEFF}')));
        // Emoji ZWJ sequences: family, rainbow flag (with VS16), skin tone.
        for emoji in [
            "👨\u{200D}👩\u{200D}👧",
            "🏳\u{FE0F}\u{200D}🌈",
            "👩🏽\u{200D}💻",
        ] {
            assert_eq!(find_refused_control(emoji), None, "{emoji}");
        }
        // A joiner between letters, or at an edge of an emoji, is refused.
        assert_eq!(find_refused_control("a\u{200D}b"), Some((1, '\u{200D}')));
        assert_eq!(find_refused_control("👨\u{200D}a"), Some((4, '\u{200D}')));
    }

    #[test]
    fn visibly_empty() {
        for s in [
            "",
            " \t",
            "\u{200B}\u{200D}",
            "\u{3164}\u{3164}",
            "\u{2800}",
            "\u{FE0F}\u{0301}",
        ] {
            assert!(is_visibly_empty(s), "{s:?}");
        }
        for s in ["a", "\u{200B}a", "日", "👍"] {
            assert!(!is_visibly_empty(s), "{s:?}");
        }
    }
}
