//! Email addresses, plain and obfuscated ("bob at gmail dot com",
//! "bob(at)gmail(dot)com", "bob [at] gmail [dot] com").

use std::sync::LazyLock;

use regex::Regex;

use super::lexicon::{COMMON_TLDS, compile};
use super::{Entity, EntityKind, char_at, char_before};

const LOCAL: &str = r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}";
const LABEL: &str = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?";

static PLAIN: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(&format!(r"{LOCAL}@{LABEL}(?:\.{LABEL})*\.[A-Za-z]{{2,24}}")));

/// " at " / "(at)" / "@" then labels joined by " dot " / "(dot)" / ".",
/// ending in a common TLD.
static OBFUSCATED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let at = r"(?:\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+|\s*@\s*)";
    let dot = r"(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+|\s*\.\s*)";
    compile(&format!(
        r"(?i)(?P<local>{LOCAL}){at}(?P<domain>{LABEL}(?:{dot}{LABEL})*){dot}(?P<tld>{COMMON_TLDS})"
    ))
});

/// Splits an obfuscated domain into labels.
static DOT: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"(?i)\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+|\s*\.\s*"));

/// Mail providers: with a bare " at " and a real dot ("bob at gmail.com") the
/// domain must be one of these, so "look at google.com" stays a URL.
const MAIL_PROVIDERS: &[&str] = &[
    "aol",
    "gmail",
    "gmx",
    "hotmail",
    "icloud",
    "live",
    "mail",
    "me",
    "msn",
    "outlook",
    "proton",
    "protonmail",
    "yahoo",
    "yandex",
    "zoho",
];

pub(super) fn find(text: &str, out: &mut Vec<Entity>) {
    if let Some(regex) = PLAIN.as_ref() {
        for m in regex.find_iter(text) {
            if separated(text, m.start(), m.end()) {
                out.push(Entity::new(
                    EntityKind::Email,
                    m.start(),
                    m.end(),
                    m.as_str().to_lowercase(),
                ));
            }
        }
    }
    let (Some(regex), Some(dot)) = (OBFUSCATED.as_ref(), DOT.as_ref()) else {
        return;
    };
    for caps in regex.captures_iter(text) {
        let (Some(whole), Some(local), Some(domain), Some(tld)) = (
            caps.get(0),
            caps.name("local"),
            caps.name("domain"),
            caps.name("tld"),
        ) else {
            continue;
        };
        if !separated(text, whole.start(), whole.end()) {
            continue;
        }
        let labels: Vec<&str> = dot.split(domain.as_str()).collect();
        let lower = whole.as_str().to_lowercase();
        let spelled_out = lower.contains("dot") || lower.contains(['(', '[', '{', '<', '@']);
        let provider = labels
            .first()
            .is_some_and(|l| MAIL_PROVIDERS.contains(&l.to_lowercase().as_str()));
        if !spelled_out && !provider {
            continue;
        }
        let value =
            format!("{}@{}.{}", local.as_str(), labels.join("."), tld.as_str()).to_lowercase();
        out.push(Entity::new(
            EntityKind::Email,
            whole.start(),
            whole.end(),
            value,
        ));
    }
}

/// Not glued to surrounding word characters.
fn separated(text: &str, start: usize, end: usize) -> bool {
    let before = char_before(text, start);
    let after = char_at(text, end);
    !before.is_some_and(|c| c.is_alphanumeric() || "._%+-@".contains(c))
        && !after.is_some_and(|c| c.is_alphanumeric() || c == '@')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        find(text, &mut out);
        let mut found: Vec<(String, String)> = out
            .into_iter()
            .map(|e| (text[e.start..e.end].to_owned(), e.value))
            .collect();
        found.sort();
        found.dedup();
        found
    }

    #[test]
    fn regexes_compile() {
        assert!(PLAIN.is_some() && OBFUSCATED.is_some() && DOT.is_some());
    }

    #[test]
    fn plain_emails() {
        assert_eq!(
            emails("write to Bob.Smith+x@Mail.Example.co.uk."),
            [(
                "Bob.Smith+x@Mail.Example.co.uk".to_owned(),
                "bob.smith+x@mail.example.co.uk".to_owned()
            )]
        );
    }

    #[test]
    fn obfuscated_emails() {
        for (text, span) in [
            ("mail bob at gmail dot com pls", "bob at gmail dot com"),
            ("mail bob(at)gmail(dot)com pls", "bob(at)gmail(dot)com"),
            (
                "mail bob [at] gmail [dot] com pls",
                "bob [at] gmail [dot] com",
            ),
            ("mail bob AT gmail DOT com pls", "bob AT gmail DOT com"),
            ("mail bob at gmail.com pls", "bob at gmail.com"),
            ("mail bob @ gmail . com pls", "bob @ gmail . com"),
        ] {
            let found = emails(text);
            assert_eq!(found.len(), 1, "{text:?}: {found:?}");
            assert_eq!(found[0].0, span);
            assert_eq!(found[0].1, "bob@gmail.com");
        }
        assert_eq!(
            emails("x: jo at mail dot example dot co dot uk")[0].1,
            "jo@mail.example.co.uk"
        );
    }

    #[test]
    fn ordinary_sentences_are_not_emails() {
        assert!(emails("look at google.com for answers").is_empty());
        assert!(emails("we met at noon. com").is_empty());
        assert!(emails("price @ 20 dollars").is_empty());
    }

    #[test]
    fn multibyte_neighbours() {
        let text = "✉️ bob@example.com ✓";
        let found = emails(text);
        assert_eq!(found[0].0, "bob@example.com");
    }
}
