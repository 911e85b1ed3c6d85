//! Shared regex plumbing and word lists for the entity detectors.

use regex::{Regex, RegexBuilder};

/// Top-level domains accepted for bare domains ("example.com", "bit.ly/x")
/// and obfuscated emails. Deliberately excludes TLDs that collide with file
/// extensions in ordinary text (.py, .md, .sh, .rs, .js...).
pub(super) const COMMON_TLDS: &str = "com|net|org|edu|gov|mil|int|info|biz|io|co|ly|me|tv|cc|gg|to|xyz|app|dev|ai|\
    online|site|website|shop|store|club|top|live|link|click|vip|pro|win|bet|icu|buzz|fun|life|world|today|\
    tk|ml|ga|cf|gq|ws|su|us|uk|ca|au|nz|ie|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|cz|pt|gr|ru|ua|by|kz|\
    tr|il|ae|sa|in|pk|bd|cn|hk|tw|jp|kr|sg|my|th|vn|id|ph|br|ar|mx|cl|pe|ve|za|ng|ke|eg|ro|hu|bg|sk|lt|lv|ee|is|eu|asia";

/// Compiles one of this module's built-in patterns. Built-in patterns are
/// covered by tests, so `None` (a bug) only disables that one detector
/// instead of panicking in production.
pub(super) fn compile(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(pattern).size_limit(1 << 22).build().ok()
}

/// Length of `url` once trailing sentence punctuation is dropped; a closing
/// bracket stays when the URL opened one ("wiki/Foo_(bar)").
pub(super) fn trim_url_end(url: &str) -> usize {
    let mut end = url.len();
    while let Some(last) = url.get(..end).and_then(|s| s.chars().next_back()) {
        let keep = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '*' => false,
            ')' | ']' | '}' => {
                let open = match last {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                let body = url.get(..end).unwrap_or("");
                body.matches(open).count() >= body.matches(last).count()
            }
            _ => true,
        };
        if keep {
            break;
        }
        end -= last.len_utf8();
    }
    end
}

/// Messaging platforms, as a regex alternation (case-insensitive use).
pub(super) const CONTACT_PLATFORMS: &str = "whats\\s?app|wa|telegram|tg|signal|we\\s?chat|weixin|snap(?:chat)?|sc|\
    insta(?:gram)?|ig|kik|line|discord|skype|viber|fb|facebook|messenger|session|threema|imessage|email|e-mail|gmail";

/// Payment services, as a regex alternation (case-insensitive use).
pub(super) const PAYMENT_PLATFORMS: &str = "pay\\s?pal|venmo|cash\\s?app|zelle|revolut|skrill|payoneer|wise|chime|\
    apple\\s?pay|google\\s?pay|g\\s?pay|western\\s+union|money\\s?gram|wu";

/// Canonical lowercase name for a matched platform spelling.
pub(super) fn canonical_platform(raw: &str) -> String {
    let squashed: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let canonical = match squashed.as_str() {
        "whatsapp" | "wa" => "whatsapp",
        "telegram" | "tg" => "telegram",
        "wechat" | "weixin" => "wechat",
        "snap" | "snapchat" | "sc" => "snapchat",
        "insta" | "instagram" | "ig" => "instagram",
        "fb" | "facebook" | "messenger" => "facebook",
        "email" | "gmail" => "email",
        "paypal" => "paypal",
        "cashapp" => "cashapp",
        "applepay" => "apple_pay",
        "googlepay" | "gpay" => "google_pay",
        "westernunion" | "wu" => "western_union",
        other => return other.to_owned(),
    };
    canonical.to_owned()
}

/// Value for a handle: `platform:handle` without a leading `@`/`$`, phone
/// handles reduced to digits.
pub(super) fn handle_value(platform: &str, handle: Option<&str>) -> String {
    let platform = canonical_platform(platform);
    let Some(handle) = handle.map(str::trim).filter(|h| !h.is_empty()) else {
        return platform;
    };
    let handle = handle.trim_start_matches(['@', '$']);
    let looks_like_phone = handle
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if looks_like_phone {
        let digits: String = handle.chars().filter(char::is_ascii_digit).collect();
        format!("{platform}:{digits}")
    } else {
        format!("{platform}:{}", handle.to_lowercase())
    }
}

/// Regex tail matching the handle after a platform name: either after a
/// `:`/`=` ("telegram: x", "ig: @x") or, without punctuation, only an
/// `@handle` or a phone number ("venmo @bob", "whatsapp +44 7911 123456"),
/// so "signal is weak" is not read as a handle.
pub(super) const HANDLE_TAIL: &str = r"(?:\s*(?:id|handle|username|user|name|number|no\.?|#)?\s*[:=]\s*(?P<h1>@?[A-Za-z0-9_][A-Za-z0-9_.\-]{0,39}|\+?\d[\d \-().]{5,20}\d)|\s+(?:(?:id|handle|username|is|me|at|on|via|to)\s+){0,3}(?P<h2>@[A-Za-z0-9_][A-Za-z0-9_.\-]{0,39}|\+?\d[\d \-().]{5,20}\d))";

/// The part of a link's `id` capture that survives trimming the link at
/// `end` (sentence punctuation after the link is not part of the handle).
pub(super) fn clipped<'t>(text: &'t str, id: regex::Match<'t>, end: usize) -> &'t str {
    text.get(id.start()..id.end().min(end).max(id.start()))
        .unwrap_or_default()
}

/// Trailing URL characters after a link's handle ("?start=1").
pub(super) const URL_REST: &str = r#"(?:[/?#][^\s<>"'`{}|\\^]*)?"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_sentence_punctuation() {
        let url = "https://x.org/a).";
        assert_eq!(&url[..trim_url_end(url)], "https://x.org/a");
        let url = "https://x.org/Foo_(bar)";
        assert_eq!(trim_url_end(url), url.len());
    }

    #[test]
    fn handle_values() {
        assert_eq!(handle_value("Telegram", Some("@X")), "telegram:x");
        assert_eq!(
            handle_value("WhatsApp", Some("+44 7911 123456")),
            "whatsapp:447911123456"
        );
        assert_eq!(handle_value("Cash App", None), "cashapp");
    }

    #[test]
    fn shared_fragments_compile() {
        assert!(compile(&format!("(?i)(?:{CONTACT_PLATFORMS}){HANDLE_TAIL}")).is_some());
        assert!(
            compile(&format!(
                "(?i)(?:{PAYMENT_PLATFORMS}){HANDLE_TAIL}{URL_REST}"
            ))
            .is_some()
        );
        assert!(compile(&format!(r"\.(?:{COMMON_TLDS})")).is_some());
    }
}
