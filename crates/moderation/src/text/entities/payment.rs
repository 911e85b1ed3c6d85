//! Payment routes that bypass the platform: payment links and handles
//! (paypal.me, Venmo, Cash App `$cashtag`), service names (Zelle, Western
//! Union...), crypto wallet addresses and "pay me directly" phrases.

use std::sync::LazyLock;

use regex::Regex;

use super::lexicon::{
    HANDLE_TAIL, PAYMENT_PLATFORMS, URL_REST, canonical_platform, clipped, compile, handle_value,
    trim_url_end,
};
use super::{Entity, EntityKind, char_at, char_before};

/// Payment links: (platform, pattern with an `id` group).
const LINKS: &[(&str, &str)] = &[
    (
        "paypal",
        r"paypal\.(?:me|com/paypalme)/(?P<id>[A-Za-z0-9._\-]+)",
    ),
    (
        "venmo",
        r"(?:account\.)?venmo\.com/(?:u/)?(?P<id>[A-Za-z0-9_\-]+)",
    ),
    ("cashapp", r"cash\.app/(?P<id>\$[A-Za-z0-9_\-]+)"),
    ("revolut", r"revolut\.me/(?P<id>[A-Za-z0-9_\-]+)"),
];

static LINK_REGEXES: LazyLock<Vec<(&'static str, Option<Regex>)>> = LazyLock::new(|| {
    LINKS
        .iter()
        .map(|(platform, body)| {
            let pattern = format!(r"(?i)(?-u:\b)(?:https?://)?(?:www\.)?{body}{URL_REST}");
            (*platform, compile(&pattern))
        })
        .collect()
});

/// "venmo @bob", "paypal: bob@example.com" is left to the email detector.
static MENTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)(?-u:\b)(?P<platform>{PAYMENT_PLATFORMS})(?-u:\b){HANDLE_TAIL}"
    ))
});

/// Service names that on their own mean paying elsewhere ("wise", "chime"
/// and "wu" are too ambiguous without a handle).
static BARE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)(?-u:\b)(?:pay\s?pal|venmo|cash\s?app|zelle|revolut|skrill|payoneer|western\s+union|money\s?gram)(?-u:\b)",
    )
});

/// Cash App cashtags; boundaries are checked in code.
static CASHTAG: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"\$(?P<tag>[A-Za-z][A-Za-z0-9_]{0,19})"));

/// "pay me directly", "pay outside the app", "send the money directly".
static PHRASE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)(?-u:\b)(?:pay(?:ing|ment)?|send(?:ing)?(?:\s+(?:the|your|my))?\s+(?:money|payment|funds|cash)|transfer(?:\s+(?:the|your))?\s+(?:money|payment|funds))\s+(?:me\s+|you\s+|us\s+)?(?:directly|outside(?:\s+(?:of\s+)?(?:the\s+|this\s+)?(?:app|platform|site|website))?|off[\s\-](?:the\s+)?(?:platform|app|site))(?-u:\b)",
    )
});

/// Wallet addresses: (currency, pattern). Bech32 BTC, base58 BTC, ETH.
const WALLETS: &[(&str, &str)] = &[
    (
        "bitcoin",
        r"(?-u:\b)(?:bc1|BC1|tb1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,71}(?-u:\b)",
    ),
    (
        "bitcoin",
        r"(?-u:\b)[13][1-9A-HJ-NP-Za-km-z]{25,34}(?-u:\b)",
    ),
    ("ethereum", r"(?-u:\b)0x[0-9a-fA-F]{40}(?-u:\b)"),
];

static WALLET_REGEXES: LazyLock<Vec<(&'static str, Option<Regex>)>> = LazyLock::new(|| {
    WALLETS
        .iter()
        .map(|(currency, pattern)| (*currency, compile(pattern)))
        .collect()
});

pub(super) fn find(text: &str, out: &mut Vec<Entity>) {
    find_links(text, out);
    if let Some(regex) = MENTION.as_ref() {
        for caps in regex.captures_iter(text) {
            let (Some(whole), Some(platform)) = (caps.get(0), caps.name("platform")) else {
                continue;
            };
            let handle = caps.name("h1").or_else(|| caps.name("h2"));
            let value = handle_value(platform.as_str(), handle.map(|h| h.as_str()));
            push(out, whole.start(), whole.end(), value);
        }
    }
    if let Some(regex) = BARE.as_ref() {
        for m in regex.find_iter(text) {
            push(out, m.start(), m.end(), canonical_platform(m.as_str()));
        }
    }
    if let Some(regex) = PHRASE.as_ref() {
        for m in regex.find_iter(text) {
            push(out, m.start(), m.end(), "direct_payment".to_owned());
        }
    }
    find_cashtags(text, out);
    find_wallets(text, out);
}

fn push(out: &mut Vec<Entity>, start: usize, end: usize, value: String) {
    out.push(Entity::new(EntityKind::PaymentHandle, start, end, value));
}

fn find_links(text: &str, out: &mut Vec<Entity>) {
    for (platform, regex) in LINK_REGEXES.iter() {
        let Some(regex) = regex else { continue };
        for caps in regex.captures_iter(text) {
            let (Some(whole), Some(id)) = (caps.get(0), caps.name("id")) else {
                continue;
            };
            if char_before(text, whole.start()).is_some_and(|c| c == '.' || c == '@') {
                continue;
            }
            let end = whole.start() + trim_url_end(whole.as_str());
            push(
                out,
                whole.start(),
                end,
                handle_value(platform, Some(clipped(text, id, end))),
            );
        }
    }
}

/// `$name` not glued to a word or amount, and not an all-caps ticker or
/// currency code ("$AAPL", "$USD").
fn find_cashtags(text: &str, out: &mut Vec<Entity>) {
    let Some(regex) = CASHTAG.as_ref() else {
        return;
    };
    for caps in regex.captures_iter(text) {
        let (Some(whole), Some(tag)) = (caps.get(0), caps.name("tag")) else {
            continue;
        };
        let glued_before = char_before(text, whole.start())
            .is_some_and(|c| c.is_alphanumeric() || c == '$' || c == '/');
        let glued_after = char_at(text, whole.end()).is_some_and(|c| c.is_alphanumeric());
        let ticker =
            tag.as_str().len() <= 5 && tag.as_str().chars().all(|c| c.is_ascii_uppercase());
        if glued_before || glued_after || ticker {
            continue;
        }
        push(
            out,
            whole.start(),
            whole.end(),
            handle_value("cashapp", Some(tag.as_str())),
        );
    }
}

fn find_wallets(text: &str, out: &mut Vec<Entity>) {
    for (currency, regex) in WALLET_REGEXES.iter() {
        let Some(regex) = regex else { continue };
        for m in regex.find_iter(text) {
            if plausible_wallet(m.as_str()) {
                push(
                    out,
                    m.start(),
                    m.end(),
                    format!("{currency}:{}", m.as_str()),
                );
            }
        }
    }
}

/// Bech32 is single-case; base58 addresses are random-looking, so require a
/// mix of upper case, lower case and digits to skip ordinary words.
fn plausible_wallet(address: &str) -> bool {
    if address.starts_with("0x") {
        return true;
    }
    if address.to_ascii_lowercase().starts_with("bc1") || address.starts_with("tb1") {
        let upper = address.chars().any(|c| c.is_ascii_uppercase());
        let lower = address.chars().any(|c| c.is_ascii_lowercase());
        return !(upper && lower);
    }
    address.chars().any(|c| c.is_ascii_uppercase())
        && address.chars().any(|c| c.is_ascii_lowercase())
        && address.chars().skip(1).any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::super::find_entities;
    use super::*;

    fn payments(text: &str) -> Vec<(String, String)> {
        find_entities(text)
            .into_iter()
            .filter(|e| e.kind == EntityKind::PaymentHandle)
            .map(|e| (text[e.start..e.end].to_owned(), e.value))
            .collect()
    }

    fn pair(span: &str, value: &str) -> Vec<(String, String)> {
        vec![(span.to_owned(), value.to_owned())]
    }

    #[test]
    fn regexes_compile() {
        assert!(LINK_REGEXES.iter().all(|(_, r)| r.is_some()));
        assert!(WALLET_REGEXES.iter().all(|(_, r)| r.is_some()));
        assert!(MENTION.is_some() && BARE.is_some() && PHRASE.is_some() && CASHTAG.is_some());
    }

    #[test]
    fn payment_links() {
        assert_eq!(
            payments("paypal.me/bob thx"),
            pair("paypal.me/bob", "paypal:bob")
        );
        assert_eq!(
            payments("https://www.paypal.me/Bob."),
            pair("https://www.paypal.me/Bob", "paypal:bob")
        );
        assert_eq!(
            payments("cash.app/$Bob"),
            pair("cash.app/$Bob", "cashapp:bob")
        );
    }

    #[test]
    fn handles_and_cashtags() {
        assert_eq!(payments("venmo @bob"), pair("venmo @bob", "venmo:bob"));
        assert_eq!(
            payments("Venmo: bob-smith"),
            pair("Venmo: bob-smith", "venmo:bob-smith")
        );
        assert_eq!(
            payments("send to $cashtag ✓"),
            pair("$cashtag", "cashapp:cashtag")
        );
        assert!(payments("only $20 or $AAPL or US$").is_empty());
    }

    #[test]
    fn services_and_phrases() {
        assert_eq!(payments("use Zelle"), pair("Zelle", "zelle"));
        assert_eq!(
            payments("via western union"),
            pair("western union", "western_union")
        );
        assert_eq!(
            payments("pay me directly"),
            pair("pay me directly", "direct_payment")
        );
        assert_eq!(
            payments("let's pay outside the app"),
            pair("pay outside the app", "direct_payment")
        );
        assert!(payments("I will pay you tomorrow").is_empty());
    }

    #[test]
    fn wallets() {
        let eth = "0x52908400098527886E0F7030069857D2E4169EE7";
        assert_eq!(
            payments(&format!("send to {eth}.")),
            pair(eth, &format!("ethereum:{eth}"))
        );
        let bech = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
        assert_eq!(payments(bech), pair(bech, &format!("bitcoin:{bech}")));
        let legacy = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
        assert_eq!(payments(legacy), pair(legacy, &format!("bitcoin:{legacy}")));
        assert!(payments("0x1234 is short").is_empty());
        assert!(payments("11111111111111111111111111111").is_empty());
    }
}
