//! URLs: with a scheme, starting with `www.`, or bare domains with a common
//! TLD ("example.com", "bit.ly/abc").

use std::sync::LazyLock;

use regex::Regex;

use super::lexicon::{COMMON_TLDS, URL_REST, compile, trim_url_end};
use super::{Entity, EntityKind, char_before};

/// `(?-u:\b)` keeps the lazy DFA usable on non-ASCII text; URLs are ASCII
/// here (internationalised domains are caught through their ASCII TLD).
static URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let label = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?";
    compile(&format!(
        r#"(?i)(?-u:\b)(?:(?:https?|ftp)://[^\s<>"'`{{}}|\\^]+|www\.{label}(?:\.{label})+{URL_REST}|{label}(?:\.{label})*\.(?:{COMMON_TLDS})(?-u:\b){URL_REST})"#
    ))
});

pub(super) fn find(text: &str, out: &mut Vec<Entity>) {
    let Some(regex) = URL.as_ref() else {
        return;
    };
    for m in regex.find_iter(text) {
        // Part of a longer token ("v1.2.io" version strings are rare; a
        // preceding "@" means an email, handled there).
        if char_before(text, m.start()).is_some_and(|c| c == '@' || c == '.' || c == '_') {
            continue;
        }
        let end = m.start() + trim_url_end(m.as_str());
        if end <= m.start() {
            continue;
        }
        let value = text[m.start()..end].to_owned();
        out.push(Entity::new(EntityKind::Url, m.start(), end, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        find(text, &mut out);
        out.into_iter()
            .map(|e| text[e.start..e.end].to_owned())
            .collect()
    }

    #[test]
    fn regex_compiles() {
        assert!(URL.is_some());
    }

    #[test]
    fn urls_with_scheme_www_and_bare() {
        assert_eq!(urls("see https://x.org/p?q=1."), ["https://x.org/p?q=1"]);
        assert_eq!(urls("go (www.example.com/a)"), ["www.example.com/a"]);
        assert_eq!(urls("short: bit.ly/abc!"), ["bit.ly/abc"]);
        assert_eq!(urls("visit Example.COM today"), ["Example.COM"]);
        assert_eq!(urls("über→shop.example.de/x ✓"), ["shop.example.de/x"]);
    }

    #[test]
    fn non_urls() {
        assert!(urls("e.g. this, i.e. that").is_empty());
        assert!(urls("run main.py and read README.md").is_empty());
        assert!(urls("pi is 3.14").is_empty());
        assert!(urls("version 1.2.3").is_empty());
    }
}
