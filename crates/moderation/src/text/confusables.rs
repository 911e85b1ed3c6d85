//! Character tables for building the matching skeleton: look-alike letters,
//! leetspeak substitutions and strippable diacritics.
//!
//! The look-alike table is hand-written for the Cyrillic, Greek and Latin
//! letters seen in practice when people dodge keyword filters, where the
//! choice matters (Greek capital eta looks like "H", small eta like "n").
//! Every other letter goes to `decancer`'s homoglyph table ("ʂ", "ɱ", "ꞩ",
//! letterlike symbols), limited to Latin look-alikes: letters of other
//! writing systems are not folded (see [`decancer_options`]).

use decancer::{Options, Translation};

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
        _ => return enclosed_letter(c).or_else(|| homoglyph(c)),
    };
    Some(mapped)
}

/// Options for `decancer`: cure look-alikes, hooked and stroked letters, but
/// keep the letters of real writing systems (Cyrillic and Greek look-alikes
/// come from the table above, which decides them one by one) and emoji.
fn decancer_options() -> Options {
    Options::default()
        .retain_greek()
        .retain_cyrillic()
        .retain_hebrew()
        .retain_arabic()
        .retain_devanagari()
        .retain_bengali()
        .retain_armenian()
        .retain_gujarati()
        .retain_tamil()
        .retain_thai()
        .retain_lao()
        .retain_burmese()
        .retain_khmer()
        .retain_mongolian()
        .retain_chinese()
        .retain_japanese()
        .retain_korean()
        .retain_braille()
        .retain_emojis()
        .retain_turkish()
}

/// The ASCII letter `decancer` says a non-ASCII letter imitates. Only letters
/// (not symbols: "€" is not an "e") and only single-letter answers count, and
/// not the letters of European alphabets ("ß" is "ss", not "b").
fn homoglyph(c: char) -> Option<char> {
    if c.is_ascii() || !c.is_alphabetic() || is_orthographic_latin(c) {
        return None;
    }
    match decancer::cure_char(c, decancer_options()) {
        Translation::Character(a) if a.is_ascii_alphabetic() => Some(a.to_ascii_lowercase()),
        _ => None,
    }
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

/// Latin-1 and Latin Extended-A: the letters of European orthographies
/// ("ß", "ø", "ł", "đ"). Their folding is decided here by hand (the table
/// above, [`expansion`]) or by their decomposition, never by `decancer`; the
/// analysis text keeps them as they are.
pub(crate) fn is_orthographic_latin(c: char) -> bool {
    ('\u{00C0}'..='\u{017F}').contains(&c)
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
    fn strippable_marks() {
        assert!(is_strippable_mark('\u{0301}'));
        assert!(!is_strippable_mark('\u{3099}'));
    }

    #[test]
    fn hooked_and_stroked_latin_letters_map_to_ascii() {
        for (c, ascii) in [('ʂ', 's'), ('ɱ', 'm'), ('ꞩ', 's'), ('ᶊ', 's'), ('ȿ', 's')] {
            assert_eq!(confusable(c), Some(ascii), "{c}");
        }
        // Letters of other writing systems and symbols are left alone.
        for c in ['и', 'ж', '乇', '丂', 'ש', '€', '£', '2', 'a', 'ß', 'ş'] {
            assert_eq!(confusable(c), None, "{c}");
        }
    }

    #[test]
    fn leet_table() {
        let mapped: String = "0134579@$!|8".chars().filter_map(leet).collect();
        assert_eq!(mapped, "oieastgasilb");
        assert_eq!(leet('2'), None);
    }
}
