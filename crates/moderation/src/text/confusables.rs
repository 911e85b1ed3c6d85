//! Character tables for building the matching skeleton: look-alike letters,
//! leetspeak substitutions, invisible characters and strippable diacritics.
//!
//! The tables are hand-written (rather than pulled from a UTS #39 crate) to
//! keep the dependency set small; they cover the substitutions seen in
//! practice when people dodge keyword filters, not every confusable in
//! Unicode.

/// Characters that render as nothing (or nearly nothing) and are inserted to
/// split words invisibly. They are dropped from the skeleton.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                      // soft hyphen
            | '\u{034F}'                // combining grapheme joiner
            | '\u{061C}'                // Arabic letter mark
            | '\u{115F}'
            | '\u{1160}'                // Hangul fillers
            | '\u{17B4}'
            | '\u{17B5}'                // Khmer inherent vowels (invisible)
            | '\u{180B}'..='\u{180F}'   // Mongolian variation selectors, vowel separator
            | '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM/RLM
            | '\u{202A}'..='\u{202E}'   // bidi embeddings and overrides
            | '\u{2060}'..='\u{206F}'   // word joiner, invisible operators, bidi isolates
            | '\u{3164}'                // Hangul filler
            | '\u{FE00}'..='\u{FE0F}'   // variation selectors
            | '\u{FEFF}'                // zero-width no-break space / BOM
            | '\u{FFA0}'                // halfwidth Hangul filler
            | '\u{FFF9}'..='\u{FFFB}'   // interlinear annotation controls
            | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
            | '\u{E0000}'..='\u{E0FFF}' // tags and variation selectors supplement
    )
}

/// Diacritic combining marks removed after compatibility decomposition, so
/// "é" and "e\u{301}" (and "Zalgo" text stacked with marks) both reduce to
/// the base letter. Marks that are an inherent part of a script (Indic vowel
/// signs, Japanese voicing marks) are kept: stripping them would merge
/// unrelated words.
pub(crate) fn is_strippable_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'     // combining diacritical marks
            | '\u{0483}'..='\u{0489}' // Cyrillic combining marks
            | '\u{064B}'..='\u{065F}' // Arabic harakat (optional vowel marks)
            | '\u{1AB0}'..='\u{1AFF}' // combining diacritical marks extended
            | '\u{1DC0}'..='\u{1DFF}' // combining diacritical marks supplement
            | '\u{20D0}'..='\u{20FF}' // combining marks for symbols
            | '\u{FE20}'..='\u{FE2F}' // combining half marks
    )
}

/// Maps a look-alike letter (either case) to the lowercase ASCII letter it
/// imitates. Applied before lowercasing so that e.g. Greek capital eta (which
/// looks like "H") and small eta (which looks like "n") map differently.
pub(crate) fn confusable(c: char) -> Option<char> {
    let mapped = match c {
        // Cyrillic capitals.
        'А' => 'a',
        'В' => 'b',
        'Е' => 'e',
        'К' => 'k',
        'М' => 'm',
        'Н' => 'h',
        'О' => 'o',
        'Р' => 'p',
        'С' => 'c',
        'Т' => 't',
        'У' | 'Ү' => 'y',
        'Х' => 'x',
        'Ѕ' => 's',
        'І' => 'i',
        'Ј' => 'j',
        'Ԁ' => 'd',
        'Ԛ' => 'q',
        'Ԝ' => 'w',
        'Һ' => 'h',
        'Ӏ' => 'l',
        // Cyrillic small letters.
        'а' => 'a',
        'в' | 'ь' => 'b',
        'г' => 'r',
        'е' => 'e',
        'к' => 'k',
        'м' => 'm',
        'н' | 'һ' => 'h',
        'о' => 'o',
        'п' => 'n',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' | 'ү' => 'y',
        'х' => 'x',
        'ѕ' => 's',
        'і' => 'i',
        'ј' => 'j',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'ӏ' => 'l',
        // Greek capitals.
        'Α' => 'a',
        'Β' => 'b',
        'Ε' => 'e',
        'Ζ' => 'z',
        'Η' => 'h',
        'Ι' => 'i',
        'Κ' => 'k',
        'Μ' => 'm',
        'Ν' => 'n',
        'Ο' => 'o',
        'Ρ' => 'p',
        'Τ' => 't',
        'Υ' => 'y',
        'Χ' => 'x',
        // Greek small letters.
        'α' => 'a',
        'β' => 'b',
        'γ' => 'y',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'μ' | 'υ' => 'u',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'χ' => 'x',
        'ω' => 'w',
        // Latin letters without a decomposition to their base letter.
        'ɑ' => 'a',
        'ƀ' => 'b',
        'đ' | 'Đ' | 'ð' | 'Ð' => 'd',
        'ɇ' => 'e',
        'ɡ' | 'ɢ' => 'g',
        'ħ' | 'Ħ' | 'ʜ' => 'h',
        'ı' | 'ɩ' | 'ɪ' | 'ɨ' => 'i',
        'ȷ' => 'j',
        'ł' | 'Ł' | 'ʟ' => 'l',
        'ɴ' => 'n',
        'ø' | 'Ø' => 'o',
        'ʀ' => 'r',
        'ŧ' | 'Ŧ' => 't',
        'ʉ' => 'u',
        'ʏ' => 'y',
        'ʙ' => 'b',
        // Small capitals.
        'ᴀ' => 'a',
        'ᴄ' => 'c',
        'ᴅ' => 'd',
        'ᴇ' => 'e',
        'ꜰ' => 'f',
        'ᴊ' => 'j',
        'ᴋ' => 'k',
        'ᴍ' => 'm',
        'ᴏ' => 'o',
        'ᴘ' => 'p',
        'ꜱ' => 's',
        'ᴛ' => 't',
        'ᴜ' => 'u',
        'ᴠ' => 'v',
        'ᴡ' => 'w',
        'ᴢ' => 'z',
        _ => return enclosed_letter(c),
    };
    Some(mapped)
}

/// Negative circled/squared letters and regional indicators have no
/// compatibility decomposition but are laid out A..Z, so map by offset.
fn enclosed_letter(c: char) -> Option<char> {
    let code = u32::from(c);
    let base = [0x1F150, 0x1F170, 0x1F1E6]
        .into_iter()
        .find(|base| (*base..*base + 26).contains(&code))?;
    char::from_u32(u32::from('a') + (code - base))
}

/// Letters whose folded form is more than one character (case folding of
/// "ß", ligatures that NFKD leaves alone).
pub(crate) fn expansion(c: char) -> Option<&'static str> {
    match c {
        'ß' | 'ẞ' => Some("ss"),
        'æ' | 'Æ' => Some("ae"),
        'œ' | 'Œ' => Some("oe"),
        _ => None,
    }
}

/// Leetspeak substitutions. Only applied next to letters (see the
/// normaliser), so ordinary numbers and prices are left alone.
pub(crate) fn leet(c: char) -> Option<char> {
    let mapped = match c {
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        '|' => 'l',
        _ => return None,
    };
    Some(mapped)
}

/// Characters people put between single letters to break up a word
/// ("s.c.a.m", "s-c-a-m", "s_c_a_m", "s*c*a*m"). Whitespace has already been
/// collapsed to a single ASCII space when this is consulted.
pub(crate) fn is_letter_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '.'
            | '-'
            | '_'
            | '*'
            | ','
            | '·'
            | '•'
            | '/'
            | '\\'
            | '+'
            | '~'
            | ':'
            | '='
            | '\''
            | '"'
            | '‐'..='―' | '@' | '$' | '!' | '|'
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_and_greek_lookalikes_map_to_ascii() {
        let folded: String = "ЅСАМ".chars().filter_map(confusable).collect();
        assert_eq!(folded, "scam");
        let folded: String = "раураl"
            .chars()
            .map(|c| confusable(c).unwrap_or(c))
            .collect();
        assert_eq!(folded, "paypal");
        assert_eq!(confusable('Η'), Some('h'));
        assert_eq!(confusable('η'), Some('n'));
    }

    #[test]
    fn enclosed_letters_map_by_offset() {
        assert_eq!(confusable('\u{1F170}'), Some('a'));
        assert_eq!(confusable('\u{1F189}'), Some('z'));
        assert_eq!(confusable('\u{1F1F8}'), Some('s'));
        assert_eq!(confusable('\u{1F18A}'), None);
    }

    #[test]
    fn invisible_and_marks() {
        for c in ['\u{200B}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}'] {
            assert!(is_invisible(c), "{c:?}");
        }
        assert!(is_strippable_mark('\u{0301}'));
        assert!(!is_strippable_mark('\u{3099}'));
        assert!(!is_invisible('a'));
    }

    #[test]
    fn leet_table() {
        let mapped: String = "0134579@$!|8".chars().filter_map(leet).collect();
        assert_eq!(mapped, "oieastgasilb");
        assert_eq!(leet('2'), None);
    }
}
