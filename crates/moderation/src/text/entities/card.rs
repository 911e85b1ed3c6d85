//! Payment card numbers: 13–19 digits, optionally grouped by spaces or
//! dashes, passing the Luhn check.

use std::sync::LazyLock;

use regex::Regex;

use super::lexicon::compile;
use super::{Entity, EntityKind, char_at, char_before};

/// Up to 19 digits with single separators; a longer run is cut at 19 and
/// then tried at its group boundaries (a card followed by a CVV or year).
static CARD: LazyLock<Option<Regex>> = LazyLock::new(|| compile(r"\d(?:[ \-]?\d){12,18}"));

pub(super) fn find(text: &str, out: &mut Vec<Entity>) {
    let Some(regex) = CARD.as_ref() else {
        return;
    };
    for m in regex.find_iter(text) {
        let prev = char_before(text, m.start());
        if prev.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == ',') {
            continue;
        }
        if let Some(end) = longest_valid_prefix(text, m.start(), m.end()) {
            let number = &text[m.start()..end];
            out.push(Entity::new(
                EntityKind::PaymentCard,
                m.start(),
                end,
                mask(number),
            ));
        }
    }
}

/// The longest prefix of `text[start..end]` that ends at a group boundary
/// (followed by a separator or a non-digit) and is a Luhn-valid 13–19 digit
/// number.
fn longest_valid_prefix(text: &str, start: usize, end: usize) -> Option<usize> {
    let candidate = text.get(start..end)?;
    let mut ends: Vec<usize> = candidate
        .char_indices()
        .filter(|(_, c)| !c.is_ascii_digit())
        .map(|(i, _)| start + i)
        .collect();
    ends.push(end);
    ends.into_iter().rev().find(|&prefix_end| {
        let after = char_at(text, prefix_end);
        let boundary = !after.is_some_and(|c| c.is_alphanumeric());
        let digits: Vec<u8> = text[start..prefix_end]
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        boundary && (13..=19).contains(&digits.len()) && luhn(&digits)
    })
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Replaces every digit but the last four with `*`, keeping separators.
fn mask(number: &str) -> String {
    let total = number.bytes().filter(u8::is_ascii_digit).count();
    let mut seen = 0;
    number
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 4 <= total { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        find(text, &mut out);
        out.into_iter()
            .map(|e| (text[e.start..e.end].to_owned(), e.value))
            .collect()
    }

    #[test]
    fn regex_compiles() {
        assert!(CARD.is_some());
    }

    #[test]
    fn luhn_valid_card_is_found_and_masked() {
        assert_eq!(
            cards("card: 4242 4242 4242 4242 thanks"),
            [(
                "4242 4242 4242 4242".to_owned(),
                "**** **** **** 4242".to_owned()
            )]
        );
        assert_eq!(
            cards("4242-4242-4242-4242"),
            [(
                "4242-4242-4242-4242".to_owned(),
                "****-****-****-4242".to_owned()
            )]
        );
        assert_eq!(
            cards("№4242424242424242✓"),
            [("4242424242424242".to_owned(), "************4242".to_owned())]
        );
    }

    #[test]
    fn non_luhn_is_not_a_card() {
        assert!(cards("4242 4242 4242 4241").is_empty());
        assert!(cards("1234567890123").is_empty());
    }

    #[test]
    fn card_followed_by_cvv_or_year() {
        assert_eq!(cards("4242 4242 4242 4242 123")[0].0, "4242 4242 4242 4242");
        assert_eq!(
            cards("4242 4242 4242 4242 2029")[0].0,
            "4242 4242 4242 4242"
        );
    }

    #[test]
    fn amex_length() {
        assert_eq!(cards("3782 822463 10005")[0].1, "**** ****** *0005");
    }

    #[test]
    fn luhn_check() {
        assert!(luhn(&[4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2]));
        assert!(!luhn(&[4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 1]));
    }
}
