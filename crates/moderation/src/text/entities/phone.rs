//! Phone numbers: international (`+CC ...`) and national formats grouped by
//! spaces, dashes, dots or parentheses, 7–15 digits. Dates, prices,
//! thousands-grouped amounts and IP addresses are rejected.

use std::sync::LazyLock;

use regex::Regex;

use super::lexicon::compile;
use super::{Entity, EntityKind, char_at, char_before};

static PHONE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(r"(?:\+ ?)?(?:\(\d{1,5}\)|\d{1,8})(?:(?: ?\(\d{1,5}\) ?|[ .\-])\d{1,8}){0,7}")
});

/// Shapes that look like digit groups but are dates or IP addresses.
static NOT_PHONE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"^(?:\d{4}[-./ ]\d{1,2}[-./ ]\d{1,2}|\d{1,2}[-./ ]\d{1,2}[-./ ]\d{2,4}|\d{1,3}(?:\.\d{1,3}){3})$",
    )
});

const CURRENCY: &str = "$€£¥₹₽₩₺¢";

pub(super) fn find(text: &str, out: &mut Vec<Entity>) {
    let (Some(regex), Some(not_phone)) = (PHONE.as_ref(), NOT_PHONE.as_ref()) else {
        return;
    };
    for m in regex.find_iter(text) {
        let candidate = m.as_str();
        let digits: String = candidate.chars().filter(char::is_ascii_digit).collect();
        if !(7..=15).contains(&digits.len()) || not_phone.is_match(candidate) {
            continue;
        }
        let before = char_before(text, m.start());
        if before
            .is_some_and(|c| c.is_alphanumeric() || "#.,_/=:".contains(c) || CURRENCY.contains(c))
        {
            continue;
        }
        let currency_before = text
            .get(..m.start())
            .and_then(|s| s.trim_end().chars().next_back())
            .is_some_and(|c| CURRENCY.contains(c));
        let after = char_at(text, m.end());
        if currency_before || after.is_some_and(|c| c.is_alphanumeric() || CURRENCY.contains(c)) {
            continue;
        }
        if looks_like_amount(candidate) {
            continue;
        }
        let international = candidate.starts_with('+');
        let value = if international {
            format!("+{digits}")
        } else {
            digits
        };
        out.push(Entity::new(EntityKind::Phone, m.start(), m.end(), value));
    }
}

/// "1 000 000", "12.345.678" (thousands grouping) or a list of small
/// numbers ("10 20 30 40") rather than a phone number. National numbers
/// starting with 0 ("06 12 34 56 78") and international ones are kept.
fn looks_like_amount(candidate: &str) -> bool {
    if candidate.starts_with('+') || candidate.contains('(') {
        return false;
    }
    let groups: Vec<&str> = candidate
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let Some((first, rest)) = groups.split_first() else {
        return false;
    };
    if rest.is_empty() {
        return false;
    }
    let thousands = first.len() <= 2 && rest.iter().all(|g| g.len() == 3);
    let small_list = !first.starts_with('0') && groups.iter().all(|g| g.len() <= 2);
    thousands || small_list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phones(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        find(text, &mut out);
        out.into_iter()
            .map(|e| (text[e.start..e.end].to_owned(), e.value))
            .collect()
    }

    #[test]
    fn regexes_compile() {
        assert!(PHONE.is_some() && NOT_PHONE.is_some());
    }

    #[test]
    fn international_and_national() {
        assert_eq!(
            phones("call +1 (415) 555-0132 now"),
            [("+1 (415) 555-0132".to_owned(), "+14155550132".to_owned())]
        );
        assert_eq!(
            phones("mob 07911 123456."),
            [("07911 123456".to_owned(), "07911123456".to_owned())]
        );
        assert_eq!(phones("tel: 06 12 34 56 78")[0].1, "0612345678");
        assert_eq!(phones("ring 555.867.5309")[0].1, "5558675309");
        assert_eq!(phones("☎️+44 20 7946 0958✓")[0].1, "+442079460958");
    }

    #[test]
    fn not_phones() {
        for text in [
            "on 2024-05-01 we",
            "on 01/05/2024 we",
            "costs $1,299.99",
            "costs €1299999",
            "1 000 000 people",
            "scores 10 20 30 40",
            "ip 192.168.100.200",
            "order #12345678",
            "short 555-0132x",
            "tiny 12345",
            "long 1234567890123456",
        ] {
            assert!(phones(text).is_empty(), "{text:?}: {:?}", phones(text));
        }
    }
}
