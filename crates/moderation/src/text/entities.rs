//! Entity extraction: contact details and payment routes that move a
//! conversation or a payment off the platform.
//!
//! Each detector proposes candidates; overlaps are resolved so the result is
//! sorted and non-overlapping. A longer candidate beats a shorter one it
//! overlaps (a URL containing digits is a URL, not a phone number); on equal
//! spans the more specific kind wins (`wa.me/123` is a contact handle, not a
//! URL). Detectors run on the text given; [`find_entities_in`] runs them on
//! the analysis text and maps the spans back to the original.
//!
//! `value` is a normalised form: emails lowercased and de-obfuscated, phones
//! as digits (with a leading `+` when given), cards masked to the last four
//! digits, handles as `platform` or `platform:handle`.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::NormalizedText;

mod card;
mod email;
mod handles;
mod lexicon;
mod payment;
mod phone;
mod url;

/// Most entities reported for one text, to bound output on hostile input.
pub const MAX_ENTITIES: usize = 1_000;

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// An email address, including "name at gmail dot com" obfuscations.
    Email,
    /// A phone number (international or national format).
    Phone,
    /// A URL, with or without scheme.
    Url,
    /// A Luhn-valid payment card number (value masked).
    PaymentCard,
    /// A messaging handle or invitation to talk elsewhere.
    ContactHandle,
    /// A payment handle, wallet address or invitation to pay elsewhere.
    PaymentHandle,
}

impl EntityKind {
    /// All kinds, in declaration order.
    pub const ALL: [EntityKind; 6] = [
        Self::Email,
        Self::Phone,
        Self::Url,
        Self::PaymentCard,
        Self::ContactHandle,
        Self::PaymentHandle,
    ];

    /// The snake_case name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Url => "url",
            Self::PaymentCard => "payment_card",
            Self::ContactHandle => "contact_handle",
            Self::PaymentHandle => "payment_handle",
        }
    }

    /// Tie-break for candidates with the same span: lower is more specific.
    fn specificity(self) -> u8 {
        match self {
            Self::PaymentCard => 0,
            Self::Email => 1,
            Self::PaymentHandle => 2,
            Self::ContactHandle => 3,
            Self::Url => 4,
            Self::Phone => 5,
        }
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown entity kind name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown entity kind: {0:?}")]
pub struct UnknownEntityKind(pub String);

impl FromStr for EntityKind {
    type Err = UnknownEntityKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownEntityKind(s.to_owned()))
    }
}

/// One entity found in a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Entity {
    /// What was found.
    pub kind: EntityKind,
    /// Start byte offset in the text.
    pub start: usize,
    /// End byte offset (exclusive) in the text.
    pub end: usize,
    /// Normalised value (see the module docs); masked for payment cards.
    pub value: String,
}

impl Entity {
    fn new(kind: EntityKind, start: usize, end: usize, value: String) -> Self {
        Self {
            kind,
            start,
            end,
            value,
        }
    }
}

/// [`find_entities`] over the analysis text of `text` (invisible characters
/// stripped, look-alikes folded), with spans mapped back to the original.
pub fn find_entities_in(text: &NormalizedText) -> Vec<Entity> {
    find_entities(text.analysis_text())
        .into_iter()
        .map(|entity| {
            let (start, end) = text.analysis_span(entity.start, entity.end);
            Entity {
                start,
                end,
                ..entity
            }
        })
        .collect()
}

/// Finds emails, phones, URLs, payment cards, contact and payment handles.
/// Sorted by start, non-overlapping, at most [`MAX_ENTITIES`].
pub fn find_entities(text: &str) -> Vec<Entity> {
    let mut candidates = Vec::new();
    card::find(text, &mut candidates);
    email::find(text, &mut candidates);
    url::find(text, &mut candidates);
    phone::find(text, &mut candidates);
    handles::find(text, &mut candidates);
    payment::find(text, &mut candidates);
    resolve(candidates)
}

/// Greedy overlap resolution: longest first, then most specific, then
/// leftmost. Accepted spans are kept in a map keyed by start; since they
/// never overlap, only the nearest one starting before a candidate's end
/// needs checking.
fn resolve(mut candidates: Vec<Entity>) -> Vec<Entity> {
    candidates.retain(|c| c.start < c.end);
    candidates.sort_by_key(|c| {
        (
            std::cmp::Reverse(c.end - c.start),
            c.kind.specificity(),
            c.start,
        )
    });
    let mut accepted: BTreeMap<usize, Entity> = BTreeMap::new();
    for candidate in candidates {
        if accepted.len() >= MAX_ENTITIES {
            break;
        }
        let overlaps = accepted
            .range(..candidate.end)
            .next_back()
            .is_some_and(|(_, prior)| prior.end > candidate.start);
        if !overlaps {
            accepted.insert(candidate.start, candidate);
        }
    }
    accepted.into_values().collect()
}

/// The character just before byte `at`, if any.
fn char_before(text: &str, at: usize) -> Option<char> {
    text.get(..at)?.chars().next_back()
}

/// The character at byte `at`, if any.
fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..)?.chars().next()
}

/// Collapses whitespace runs and lowercases, for phrase values.
fn normalize_phrase(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(EntityKind, &str, String)> {
        find_entities(text)
            .into_iter()
            .map(|e| (e.kind, &text[e.start..e.end], e.value))
            .collect()
    }

    fn one(text: &str) -> (EntityKind, String, String) {
        let all = found(text);
        assert_eq!(all.len(), 1, "{text:?}: {all:?}");
        let (kind, span, value) = all.into_iter().next().unwrap();
        (kind, span.to_owned(), value)
    }

    #[test]
    fn entities_are_found_in_the_analysis_text_with_original_spans() {
        let original = "mail j\u{200B}ohn@exаmple.com or call +1 555\u{200B}0100 123";
        let text = NormalizedText::new(original);
        let found = find_entities_in(&text);
        let email = found
            .iter()
            .find(|e| e.kind == EntityKind::Email)
            .expect("email found");
        assert_eq!(email.value, "john@example.com");
        assert_eq!(
            &original[email.start..email.end],
            "j\u{200B}ohn@exаmple.com"
        );
        assert!(
            found
                .iter()
                .all(|e| original.is_char_boundary(e.start) && original.is_char_boundary(e.end))
        );
    }
    #[test]
    fn kind_names_round_trip() {
        for kind in EntityKind::ALL {
            assert_eq!(kind.as_str().parse::<EntityKind>().unwrap(), kind);
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().to_owned())
            );
        }
        assert!("bogus".parse::<EntityKind>().is_err());
    }

    #[test]
    fn mixed_text_is_sorted_and_non_overlapping() {
        let text = "Écris-moi: bob@example.com, ☎ +1 (415) 555-0132, wa.me/14155550132, \
                    carte 4242 4242 4242 4242, venmo @bob, see https://x.org/p?q=1 ✓";
        let all = find_entities(text);
        let kinds: Vec<EntityKind> = all.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EntityKind::Email,
                EntityKind::Phone,
                EntityKind::ContactHandle,
                EntityKind::PaymentCard,
                EntityKind::PaymentHandle,
                EntityKind::Url,
            ]
        );
        for pair in all.windows(2) {
            assert!(pair[0].end <= pair[1].start);
        }
        for e in &all {
            assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
        }
    }

    #[test]
    fn email_inside_wins_over_url() {
        assert_eq!(
            one("mail bob.smith@gmail.com now"),
            (
                EntityKind::Email,
                "bob.smith@gmail.com".to_owned(),
                "bob.smith@gmail.com".to_owned()
            )
        );
    }

    #[test]
    fn url_containing_digits_is_not_a_phone() {
        let (kind, span, _) = one("go to https://x.org/p?id=14155550132 now");
        assert_eq!(kind, EntityKind::Url);
        assert_eq!(span, "https://x.org/p?id=14155550132");
    }

    #[test]
    fn nothing_in_plain_text() {
        assert!(find_entities("Let's meet at noon and talk about the 3 items.").is_empty());
        assert!(find_entities("").is_empty());
    }

    #[test]
    fn hostile_input_is_bounded() {
        let text = "a@b.co ".repeat(5_000);
        assert_eq!(find_entities(&text).len(), MAX_ENTITIES);
        let digits = "1".repeat(100_000);
        assert!(find_entities(&digits).is_empty());
    }
}
